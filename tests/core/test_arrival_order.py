"""Features follow `occurred_at`, not arrival order: the same events delivered in another
order give the same features (docs/protocol.md#order-per-player lists the exceptions)."""

from __future__ import annotations

from datetime import timedelta

from croupier.players import FeatureConfig, compute_features

from . import Script, fold, t
from .test_rollback_and_late import AS_OF, D, feats, us


def sessions(s: Script, minutes: list[int]) -> list[dict]:
    """One ended session a day, oldest first, lasting the given minutes."""
    out: list[dict] = []
    for i, length in enumerate(minutes):
        day = len(minutes) - i
        out += s.session(D(day, "10:00"), D(day, f"{10 + length // 60:02d}:{length % 60:02d}"), f"s{i}")
    return out


def test_the_last_five_sessions_are_the_five_that_ended_last():
    """Seven sessions; the two oldest (long ones) arrive last. "Last 5" still means the five
    that ended latest by occurred_at, and the median takes every session, in any order."""
    s = Script()
    reg = s.registered(D(20))
    played = sessions(s, [300, 240, 10, 20, 30, 40, 50])
    in_order = feats([reg] + played)
    assert in_order["session_last5_mean_seconds"] == 30 * 60
    assert in_order["session_median_seconds"] == 40 * 60
    late_oldest = feats([reg] + played[4:] + played[:4])
    assert late_oldest["session_last5_mean_seconds"] == 30 * 60
    assert late_oldest == in_order


def test_the_session_memory_keeps_the_latest_hundred_by_end_time():
    """The state keeps 100 sessions: a late session older than every kept one is left out,
    as it would be had it arrived in time."""
    s = Script()
    start = t("2026-01-01T00:00")
    played = []
    for i in range(102):   # hourly sessions of 1 to 50 minutes
        begin = start + timedelta(hours=i)
        played += s.session(begin, begin + timedelta(minutes=i % 50 + 1), f"s{i}")
    reg = s.registered(D(200))
    in_order = fold([reg] + played)
    newest_first = fold([reg] + played[::-1])
    assert len(in_order.session_durations) == len(newest_first.session_durations) == 100
    assert newest_first.session_durations == in_order.session_durations
    config = FeatureConfig()
    assert compute_features(newest_first, us(AS_OF), config) == compute_features(in_order, us(AS_OF), config)


def test_a_profile_update_that_arrives_late_does_not_undo_a_newer_one():
    s = Script()
    reg = s.registered(D(30), language="sv")
    older = s("player.updated", D(10), language="en", email="old@example.se")
    newer = s("player.updated", D(5), language="de")
    for order in ([reg, older, newer], [reg, newer, older], [newer, older, reg], [older, newer, reg]):
        state = fold(order)
        assert state.profile["language"] == "de", order
        assert state.profile["email"] == "old@example.se"


def test_a_registration_that_arrives_after_an_update_keeps_the_update():
    s = Script()
    reg = s.registered(D(30), email="first@example.se")
    update = s("player.updated", D(10), email="new@example.se")
    assert fold([update, reg]).profile["email"] == fold([reg, update]).profile["email"] == "new@example.se"


def test_consents_and_kyc_take_the_latest_by_occurred_at():
    s = Script()
    reg = s.registered(D(30))                      # email consent granted at registration
    withdrawn = s("player.consent_changed", D(3), channel="email", granted=False)
    regranted = s("player.consent_changed", D(9), channel="email", granted=True)
    verified = s("kyc.status_changed", D(4), status="verified", level="full")
    pending = s("kyc.status_changed", D(8), status="pending", level="basic")
    for order in ([reg, regranted, withdrawn, pending, verified], [withdrawn, verified, reg, pending, regranted]):
        state = fold(order)
        assert state.consents["email"] is False, order
        assert (state.kyc_status, state.kyc_level) == ("verified", "full"), order


def test_a_bet_that_arrives_after_its_rollback_still_names_its_game_category():
    s = Script()
    reg = s.registered(D(10))
    bet = s.bet(D(2), "5.00", "b1", "live_casino")
    win = s.win(D(2, "10:01"), "8.00", "b1")
    undo = s.rollback(D(1), bet)
    in_order = feats([reg, bet, win, undo])
    assert in_order["win_live_casino_lifetime"] == "8.00"
    assert feats([reg, undo, bet, win]) == in_order


def test_a_rollback_of_an_event_it_cannot_undo_is_matched_whenever_it_arrives():
    s = Script()
    reg = s.registered(D(10))
    login = s("player.login", D(2))
    undo = s.rollback(D(1), login)
    assert feats([reg, login, undo])["unmatched_rollbacks"] == 0
    assert feats([reg, undo, login])["unmatched_rollbacks"] == 0


def test_a_late_first_activity_makes_the_next_one_a_return_after_a_lapse():
    """A deposit 40 days ago arrives after a bet 5 days ago: the bet is a return after a
    30-day lapse, as it is when the deposit arrives first."""
    s = Script()
    reg = s.registered(D(60))
    deposit = s.deposit(D(40), "10.00")
    back = s.bet(D(5), "1.00", "b1")
    assert feats([reg, deposit, back])["lifecycle_stage"] == "reactivated"
    assert feats([reg, back, deposit])["lifecycle_stage"] == "reactivated"


def test_the_wallet_currency_of_an_unregistered_player_is_that_of_the_earliest_money_event():
    s = Script()
    euros = s.deposit(D(3), "10.00", currency="EUR")
    crowns = s.deposit(D(2), "100.00", currency="SEK")
    for order in ([euros, crowns], [crowns, euros]):
        f = feats(order)
        assert (f["currency"], f["deposit_sum_lifetime"], f["foreign_currency_events"]) == ("EUR", "10.00", 1)


def test_a_time_zone_change_applies_from_its_occurred_at():
    """Bets at 23:30 UTC: late night in Stockholm (00:30) before the player moved to London,
    not after. However the move and the bets arrive, each bet counts in its own local hour."""
    s = Script()
    reg = s.registered(D(30), timezone="Europe/Stockholm")
    before = s.bet(D(10, "23:30"), "1.00", "b1")
    moved = s("player.updated", D(8), timezone="Europe/London")
    after = s.bet(D(5, "23:30"), "1.00", "b2")
    in_order = feats([reg, before, moved, after])
    assert in_order["late_night_share_lifetime"] == 0.5
    for order in ([reg, after, before, moved], [reg, moved, after, before], [moved, after, before, reg]):
        assert feats(order) == in_order, order


def test_equal_times_give_the_same_first_and_last_deposit_whatever_the_order():
    s = Script()
    reg = s.registered(D(10))
    a, b = s.deposit(D(2), "10.00"), s.deposit(D(2), "20.00")
    c, d = s.deposit(D(1), "30.00"), s.deposit(D(1), "5.00")
    assert feats([reg, a, b, c, d]) == feats([reg, b, a, d, c])


def test_devices_count_the_same_whether_the_registration_comes_first_or_last():
    s = Script()
    logins = [s("player.login", D(5, f"1{i}:00"), device_id=f"dev{i}") for i in range(10)]
    reg = s.registered(D(20), device_id="dev-reg")
    assert feats([reg] + logins)["device_count"] == feats(logins + [reg])["device_count"] == 10


def test_a_state_saved_before_session_end_times_were_kept_still_loads():
    """Its sessions rank before any session that ends later, in their old order."""
    import msgspec

    from croupier.players.apply import _remember_session
    from croupier.store.states import decode

    state = decode(msgspec.msgpack.encode({"player_id": "p1", "session_durations": [600, 60, 300]}))
    assert state.session_ends == [0, 0, 0]
    _remember_session(state, us(AS_OF), 120)
    assert state.session_durations == [600, 60, 300, 120]
