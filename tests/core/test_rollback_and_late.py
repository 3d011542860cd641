"""Rollbacks revert everything derived from the event they undo; late and out-of-order events
land where they belong; play before registration is kept and re-attributed once the
registration (time zone, currency) arrives."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from croupier.api import Runtime
from croupier.players import FeatureConfig, compute_features
from croupier.store.schema import daily_totals

from . import Script, body, fold, t, us

AS_OF = "2026-03-20T20:00"


def D(days_ago: int, clock: str = "10:00") -> str:  # noqa: N802
    return (t(f"2026-03-20T{clock}") - timedelta(days=days_ago)).isoformat()


def feats(events: list[dict], as_of: str = AS_OF) -> dict:
    return compute_features(fold(events), us(as_of), FeatureConfig())


def history() -> tuple[Script, list[dict], dict[str, dict]]:
    s = Script()
    named: dict[str, dict] = {}

    def add(name: str, event: dict) -> dict:
        named[name] = event
        return event

    h = [
        s.registered(D(30)),
        add("first_deposit", s.deposit(D(20), "50.00")),
        add("slots_bet", s.bet(D(10), "5.00", "b1", "slots", bonus_amount="1.00")),
        add("middle_deposit", s.deposit(D(5), "30.00")),
        add("live_bet", s.bet(D(4), "3.00", "b2", "live_casino")),
        add("casino_win", s.win(D(4, "10:05"), "6.00", "b2")),
        add("sports_bet", s.sports(D(3), "4.00", "sp1")),
        add("sports_settlement", s.settled(D(2), "sp1", "won", "10.00")),
        add("withdrawal", s.withdrawal(D(2), "15.00", "approved", "wd1")),
        s.withdrawal(D(1, "09:00"), "12.00", "requested", "wd2"),
        add("withdrawal_after_request", s.withdrawal(D(1, "12:00"), "12.00", "approved", "wd2")),
        add("void_sports_bet", s.sports(D(1), "2.00", "sp2")),
        s.settled(D(1, "13:00"), "sp2", "void"),
        add("last_deposit", s.deposit(D(1, "14:00"), "20.00")),
        add("latest_bet", s.bet(D(0), "2.00", "b3", "table")),
        add("late_night_bet", s.bet(D(6, "02:00"), "7.00", "b4", "crash")),
        add("declined_deposit", s.deposit(D(0, "11:00"), "99.00", status="declined")),
        add("foreign_bet", s.bet(D(0, "11:30"), "9.00", "b5", currency="USD")),
    ]
    return s, h, named


# A bet's win stays in the bet's game category when only the bet is undone, so a bet with a
# win is compared with the history lacking both, after rolling back both.
TARGETS = [(name,) for name in sorted(history()[2]) if name != "live_bet"] + [("live_bet", "casino_win")]


@pytest.mark.parametrize("targets", TARGETS, ids=["+".join(t) for t in TARGETS])
def test_a_rollback_reverts_every_derived_feature(targets):
    s, h, named = history()
    undone = [named[name] for name in targets]
    without = [e for e in h if not any(e is u for u in undone)]
    rolled = feats(h + [s.rollback(D(0, f"12:0{i}"), u, reason="provider error") for i, u in enumerate(undone)])
    expected = feats(without)
    differences = {k: (rolled[k], expected[k]) for k in expected if rolled[k] != expected[k]}
    assert not differences, differences
    assert feats(h) != expected                       # the event did matter


@pytest.mark.parametrize("target", sorted(history()[2]))
def test_a_rollback_arriving_before_its_event_leaves_the_event_uncounted(target):
    s, h, named = history()
    undone = named[target]
    position = h.index(undone)
    early = h[:position] + [s.rollback(D(0, "12:00"), undone)] + h[position:]
    before_arrival = fold(early[:position + 1])
    assert before_arrival.unmatched_rollbacks == 1
    rolled = feats(early)
    # The same rollback arriving after its event: the event is uncounted either way (and an
    # undone bet still names the game category of its win, whichever arrives first).
    expected = feats(h + [s.rollback(D(0, "12:00"), undone)])
    assert expected == feats([e for e in h if e is not undone]) or target == "live_bet"
    assert rolled["unmatched_rollbacks"] == 0
    differences = {k: (rolled[k], expected[k]) for k in expected if rolled[k] != expected[k]}
    assert not differences, differences


def test_rollbacks_of_unknown_events_are_counted_and_change_nothing_else():
    s, h, _ = history()
    f = feats(h + [s.rollback(D(0, "12:00"), "no-such-event"), s.rollback(D(0, "12:01"), "nor-this")])
    plain = feats(h)
    assert f["unmatched_rollbacks"] == 2
    assert {k: v for k, v in f.items() if k != "unmatched_rollbacks"} == \
           {k: v for k, v in plain.items() if k != "unmatched_rollbacks"}


def test_repeated_rollbacks_and_rollbacks_of_non_money_events_change_nothing_more():
    s, h, named = history()
    once = feats(h + [s.rollback(D(0, "12:00"), named["casino_win"])])
    twice = feats(h + [s.rollback(D(0, "12:00"), named["casino_win"]),
                       s.rollback(D(0, "12:01"), named["casino_win"])])
    assert once == twice
    registration = h[0]
    f = feats(h + [s.rollback(D(0, "12:00"), registration)])
    assert fold(h + [s.rollback(D(0, "12:00"), registration)]).registered
    assert f == feats(h)


def test_rollbacks_through_the_engine_fix_features_and_dashboard_totals(db_url):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    today = now.replace(hour=0, minute=0, second=0)
    s = Script("rb", currency="EUR")
    reg = s.registered(today - timedelta(days=2))
    dep1 = s.deposit(today + (now - today) / 4, "40.00")
    dep2 = s.deposit(today + (now - today) / 3, "10.00")
    bet = s.bet(today + (now - today) / 2, "5.00", "b1")
    rb_dep1 = s.rollback(now, dep1)
    rb_dep1_again = s.rollback(now, dep1)
    rb_bet_early = s.rollback(now, bet)
    runtime = Runtime(db_url)
    try:
        runtime.ingest(body([reg, dep1, dep2]))
        runtime.ingest(body([rb_dep1, rb_bet_early, s.rollback(now, "ghost")]))
        runtime.ingest(body([bet, rb_dep1_again]))
        runtime.engine.flush()
        state = runtime.engine.state_of("rb")
        f = compute_features(state, us(now), runtime.config.features)
        assert (f["deposit_sum_1d"], f["deposit_count_1d"], f["stake_sum_1d"]) == ("10.00", 1, "0.00")
        assert f["unmatched_rollbacks"] == 1          # "ghost"; the bet's rollback found its bet
        with runtime.db.engine.connect() as conn:
            totals = conn.execute(select(daily_totals)).all()
        assert [(r.currency, r.deposits_minor, r.deposit_count, r.stakes_minor, r.wins_minor)
                for r in totals] == [("EUR", 1000, 1, 0, 0)]
    finally:
        runtime.close()


# --- late and out-of-order --------------------------------------------------------------

def test_a_late_event_counts_in_the_day_it_happened():
    s = Script()
    base = [s.registered(D(20)), s.deposit(D(0), "10.00"), s.bet(D(0), "1.00", "b0")]
    late = [s.deposit(D(3), "5.00"), s.bet(D(8), "2.00", "b1")]
    f = feats(base + late)
    assert (f["deposit_sum_1d"], f["deposit_sum_7d"], f["deposit_sum_30d"]) == ("10.00", "15.00", "15.00")
    assert (f["stake_sum_7d"], f["stake_sum_30d"]) == ("1.00", "3.00")
    assert f["last_deposit_at"] == "2026-03-20T10:00:00Z"   # the late one is not the latest
    assert f == feats(base[:1] + [late[1], late[0]] + base[1:])


def causal_chains(s: Script) -> list[list[dict]]:
    """Chains whose inner order is causal (a session's start, bets, win and end; a bet and its
    settlement); the chains themselves may arrive interleaved in any order."""
    return [
        [s.deposit(D(12), "100.00")],
        [s("session.started", D(9, "20:00"), session_id="s1"),
         s.bet(D(9, "20:10"), "3.00", "b1", "live_casino", session_id="s1"),
         s.win(D(9, "20:11"), "4.00", "b1"),
         s.bet(D(9, "20:12"), "3.00", "b2", "live_casino", session_id="s1"),
         s("session.ended", D(9, "21:00"), session_id="s1")],
        [s.sports(D(5), "6.00", "sp1"), s.settled(D(4), "sp1", "won", "9.00")],
        [s.withdrawal(D(3), "20.00", "approved", "w1")],
        *[[s.bet(D(2, f"0{i}:00"), "1.00", f"n{i}", "slots")] for i in range(4)],
        [s("player.login", D(1))], [s.deposit(D(1, "12:00"), "10.00", status="declined")],
        [s.deposit(D(0, "01:00"), "30.00"), s.withdrawal(D(0, "02:00"), "5.00", "approved", "w2")],
    ]


def interleave(chains: list[list[dict]], rng: random.Random) -> list[dict]:
    queues = [list(chain) for chain in chains]
    out = []
    while any(queues):
        out.append(rng.choice([q for q in queues if q]).pop(0))
    return out


def test_events_arriving_in_any_order_give_the_same_features():
    s = Script(currency="SEK")
    registration = s.registered(D(15), timezone="Europe/Stockholm")
    chains = causal_chains(s)
    expected = feats([registration] + [e for chain in chains for e in chain])
    rng = random.Random(7)
    for _ in range(8):
        assert feats([registration] + interleave(chains, rng)) == expected


@pytest.mark.parametrize("pair", ["session", "withdrawal", "void"])
def test_the_second_half_of_a_pair_arriving_first(pair):
    s = Script()
    start = [s.registered(D(15))]
    pairs = {
        "session": s.session(D(3, "10:00"), D(3, "10:45"), "s1"),
        "withdrawal": [s.withdrawal(D(3), "20.00", "approved", "w1"),
                       s.withdrawal(D(2), "20.00", "cancelled", "w1")],
        "void": [s.sports(D(3), "6.00", "sp1"), s.settled(D(2), "sp1", "void")],
    }
    first, second = pairs[pair]
    assert feats(start + [second, first]) == feats(start + [first, second])


def test_a_win_arriving_before_its_bet():
    """The win is counted in "other" until its bet names the game category, then moves."""
    s = Script()
    start = [s.registered(D(15)), s("session.started", D(3, "09:00"), session_id="s")]
    bet = s.bet(D(3), "5.00", "b", "live_casino", session_id="s")
    win = s.win(D(3, "10:01"), "8.00", "b")
    assert feats(start + [win, bet]) == feats(start + [bet, win])


def test_a_late_event_inside_a_lapse_gap():
    """A late activity that closes a lapse withdraws the return recorded after it (a refold)."""
    s = Script()
    start = [s.registered(D(60)), s.deposit(D(40), "10.00")]
    back = s.bet(D(5), "1.00", "b2")              # 35 days after the deposit: "reactivated"
    gap_filler = s.bet(D(30), "1.00", "b1")       # ... unless this bet in between is known
    assert feats(start + [back, gap_filler])["lifecycle_stage"] == \
        feats(start + [gap_filler, back])["lifecycle_stage"]


def test_play_before_registration_is_kept_then_attributed_as_if_in_order(app_client):
    """Two players with the same history: one registered first, one registered last. After
    the late registration their features are identical, local-time features included."""
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)

    def play(s: Script) -> list[dict]:
        night = today - timedelta(minutes=30)      # 23:30 UTC: after midnight in Stockholm, not in UTC
        return [s.deposit(today - timedelta(days=2), "200.00"),
                s.bet(night, "10.00", "b1", "slots"), s.win(night + timedelta(minutes=1), "4.00", "b1"),
                s.bet(night + timedelta(minutes=5), "20.00", "b2", "slots"),
                s.deposit(today - timedelta(hours=1), "15.00", currency="EUR")]

    ordered, late = Script("ord1", currency="SEK"), Script("late1", currency="SEK")
    reg = {"timezone": "Europe/Stockholm", "currency": "SEK"}
    ordered_events = [ordered.registered(today - timedelta(days=3), **reg)] + play(ordered)
    late_play = play(late)
    assert app_client.post("/v1/events", content=body(ordered_events)).json()["accepted"] == 6
    # The EUR deposit first: still, until the registration says SEK, the wallet currency is
    # that of the earliest money event by occurred_at (the SEK deposit two days ago).
    scrambled = [late_play[4], late_play[1], late_play[2], late_play[3], late_play[0]]
    assert app_client.post("/v1/events", content=body(scrambled)).json()["accepted"] == 5

    early = app_client.get("/v1/players/late1").json()
    assert early["registered"] is False
    assert early["status"].startswith("unregistered")
    assert early["event_count"] == 5
    assert any("player_not_registered" in d["reasons"] for d in early["decisions"])

    registration = late.registered(today - timedelta(days=3), **reg)
    assert app_client.post("/v1/events", content=body([registration])).json()["accepted"] == 1
    after = app_client.get("/v1/players/late1").json()
    reference = app_client.get("/v1/players/ord1").json()
    assert after["registered"] is True
    assert early["features"]["currency"] == "SEK"
    assert early["features"]["foreign_currency_events"] == 1
    assert after["features"]["late_night_share_lifetime"] == 1.0   # 00:30 / 00:35 (or 01:30) local
    assert after["features"]["currency"] == "SEK"
    assert after["features"]["foreign_currency_events"] == 1       # the EUR deposit
    differences = {k: (after["features"][k], v) for k, v in reference["features"].items()
                   if after["features"][k] != v}
    assert not differences, differences
    assert after["profile"] == reference["profile"] | {"email": "late1@example.se"}


def test_a_win_rolled_back_while_its_session_is_open_restores_the_losing_run():
    s = Script()
    start = [s.registered(D(5)), s("session.started", D(0, "09:00"), session_id="s"),
             s.bet(D(0, "09:01"), "1.00", "x1", session_id="s"), s.bet(D(0, "09:02"), "1.00", "x2", session_id="s")]
    win = s.win(D(0, "09:03"), "3.00", "x2")
    after = [s.bet(D(0, "09:04"), "1.00", "x3", session_id="s")]
    end = [s("session.ended", D(0, "09:30"), session_id="s")]
    rolled = feats(start + [win] + after + [s.rollback(D(0, "09:05"), win)] + end)
    assert rolled["rtp_sensitivity"] == 1.0                  # x1 x2 x3 lost in a row
    assert rolled == feats(start + after + end)


def test_a_bet_rolled_back_in_an_open_session_before_a_win_keeps_the_run_after_it():
    s = Script()
    x1 = s.bet(D(0, "09:01"), "1.00", "x1", session_id="s")
    h = [s.registered(D(5)), s("session.started", D(0, "09:00"), session_id="s"), x1,
         s.win(D(0, "09:02"), "2.00", "x1")]
    h += [s.bet(D(0, f"09:0{3 + i}"), "1.00", f"y{i}", session_id="s") for i in range(3)]
    end = [s("session.ended", D(0, "09:30"), session_id="s")]
    rolled = feats(h + [s.rollback(D(0, "09:10"), x1)] + end)
    expected = feats([e for e in h if e is not x1] + end)
    assert rolled["rtp_sensitivity"] == expected["rtp_sensitivity"] == 1.0
    # x1's win stays in x1's category when only x1 is undone; without x1 it is "other"
    per_category_wins = {k for k in expected if k.startswith(("win_", "ggr_"))
                         and any(f"_{c}_" in k for c in ("slots", "other"))}
    assert {k for k in expected if rolled[k] != expected[k]} <= per_category_wins


@pytest.mark.parametrize("kind", ["bet", "deposit"])
def test_rolling_back_the_only_activity_inside_a_long_gap_makes_the_return_a_reactivation(kind):
    s = Script()
    start = [s.registered(D(60)), s.deposit(D(50), "10.00")]
    bridge = s.bet(D(25), "1.00", "b1") if kind == "bet" else s.deposit(D(25), "5.00")
    back = s.bet(D(5), "1.00", "b2")
    rolled = feats(start + [bridge, back, s.rollback(D(1), bridge)])
    assert rolled["lifecycle_stage"] == "reactivated"
    assert rolled == feats(start + [back])
    # ... while a bridge with company close by is undone in place and changes no stage
    company = [s.bet(D(24), "1.00", "b3")]
    assert feats(start + [bridge] + company + [back, s.rollback(D(1), bridge)])["lifecycle_stage"] == "active"
