"""The feature catalogue against values computed by hand from small scripted histories.

Windows are UTC calendar days of `occurred_at`: "7d" is the as-of day and the six days
before it. Every expected value below is worked out in the comment next to it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from croupier.players import CATALOGUE, FeatureConfig, compute_features
from croupier.players.config import RfmConfig

from . import Script, fold, t, us

# As-of moment for the scripted histories: Friday 2026-03-20 20:00 UTC ("D").
AS_OF = "2026-03-20T20:00"


def D(days_ago: int, clock: str = "10:00") -> str:  # noqa: N802 - reads like the comments
    """The time `clock` (UTC) on the day `days_ago` days before 2026-03-20."""
    return (t(f"2026-03-20T{clock}") - timedelta(days=days_ago)).isoformat()


def features(events, config: FeatureConfig | None = None, as_of: str = AS_OF) -> dict:  # noqa: ANN001
    config = config or FeatureConfig()
    return compute_features(fold(events, config), us(as_of), config)


def assert_features(actual: dict, expected: dict) -> None:
    wrong = {k: (actual.get(k, "<missing>"), v) for k, v in expected.items() if actual.get(k, "<missing>") != v}
    assert not wrong, "feature: (actual, expected)\n" + "\n".join(f"  {k}: {a!r} != {e!r}" for k, (a, e) in wrong.items())


def test_catalogue_and_computed_features_name_the_same_things():
    computed = features([Script().registered(D(1))])
    assert set(computed) == {f.name for f in CATALOGUE}


def deposit_history() -> list[dict]:
    s = Script(currency="SEK")
    return [
        s.registered(D(120)),
        s.deposit(D(90), "80.00"),                    # lifetime only (day D-90 is outside 90d)
        s.deposit(D(89), "70.00"),                    # 90d
        s.deposit(D(40), "10.00", status="failed"),   # declined, 90d
        s.deposit(D(30), "60.00"),                    # 90d, not 30d
        s.deposit(D(29), "40.00"),                    # 30d
        s.deposit(D(7, "23:59:59"), "30.00"),         # 30d, not 7d (7 days ago)
        s.deposit(D(6, "00:00:00"), "20.00"),         # 7d (6 days ago, first second)
        s.deposit(D(2), "500.00", status="declined"),  # declined, 7d
        s.deposit(D(1, "23:59:59"), "50.00"),         # 7d, not 1d
        s.deposit(D(0, "10:00"), "100.00"),           # 1d
        s.deposit(D(0, "11:00"), "999.00", status="requested"),  # never counted
        # withdrawals
        s.withdrawal(D(10), "25.00", "approved", "w2"),
        s.withdrawal(D(5), "10.00", "approved", "w3"),
        s.withdrawal(D(3, "09:00"), "50.00", "requested", "w1"),
        s.withdrawal(D(3), "50.00", "approved", "w1"),          # counts on D-3
        s.withdrawal(D(2), "25.00", "cancelled", "w2"),         # w2 uncounted; cancel on D-2
        s.withdrawal(D(1), "5.00", "requested", "w4"),
        s.withdrawal(D(1, "12:00"), "5.00", "declined", "w4"),  # never counted
        s.withdrawal(D(0, "12:00"), "10.00", "reversed", "w3"),  # w3 uncounted; reversal on D
    ]


def test_deposit_and_withdrawal_windows_with_edges():
    f = features(deposit_history())
    assert_features(f, {
        "currency": "SEK",
        "deposit_count_1d": 1, "deposit_sum_1d": "100.00", "deposit_avg_1d": "100.00",
        # 100 + 50 + 20 = 170 over 3 -> 56.666 -> floor to the öre: 56.66
        "deposit_count_7d": 3, "deposit_sum_7d": "170.00", "deposit_avg_7d": "56.66",
        # + 30 + 40 = 240 over 5
        "deposit_count_30d": 5, "deposit_sum_30d": "240.00", "deposit_avg_30d": "48.00",
        # + 60 + 70 = 370 over 7 = 52.857 -> 52.85
        "deposit_count_90d": 7, "deposit_sum_90d": "370.00", "deposit_avg_90d": "52.85",
        # + 80 = 450 over 8
        "deposit_count_lifetime": 8, "deposit_sum_lifetime": "450.00", "deposit_avg_lifetime": "56.25",
        "deposit_declined_count_1d": 0, "deposit_declined_count_7d": 1,
        "deposit_declined_count_30d": 1, "deposit_declined_count_90d": 2,
        "deposit_declined_count_lifetime": 2,
        # only w1 survives (50.00 on D-3); w2 was cancelled, w3 reversed, w4 declined
        "withdrawal_count_1d": 0, "withdrawal_sum_1d": "0.00", "withdrawal_avg_1d": None,
        "withdrawal_count_7d": 1, "withdrawal_sum_7d": "50.00", "withdrawal_avg_7d": "50.00",
        "withdrawal_count_30d": 1, "withdrawal_sum_30d": "50.00",
        "withdrawal_count_lifetime": 1, "withdrawal_sum_lifetime": "50.00",
        # cancellations count on the day of the cancellation: reversal on D, cancel on D-2
        "withdrawal_cancelled_count_1d": 1, "withdrawal_cancelled_count_7d": 2,
        "withdrawal_cancelled_count_lifetime": 2,
        "net_deposit_1d": "100.00", "net_deposit_7d": "120.00", "net_deposit_30d": "190.00",
        "net_deposit_lifetime": "400.00",
        "first_deposit_at": "2025-12-20T10:00:00Z", "first_deposit_amount": "80.00",
        "last_deposit_at": "2026-03-20T10:00:00Z", "last_deposit_amount": "100.00",
        "days_since_first_deposit": 90,           # 90 days and 10 hours
        "days_since_last_deposit": 0,
        "days_since_registration": 120,
        "last_withdrawal_amount": "50.00",
        # active days count approved deposits (declined and withdrawals do not): D, D-1, D-6
        "active_days_1d": 1, "active_days_7d": 3, "active_days_30d": 5, "active_days_90d": 7,
    })


def test_negative_net_deposit_is_signed():
    s = Script()
    f = features([s.registered(D(5)), s.deposit(D(3), "10.00"),
                  s.withdrawal(D(2), "35.50", "approved", "w")])
    assert f["net_deposit_7d"] == "-25.50"


def betting_history() -> list[dict]:
    s = Script(currency="EUR")
    return [
        s.registered(D(100, "08:00")),
        s.deposit(D(20), "50.00"),
        s.deposit(D(3, "01:00"), "100.00"),
        s.bet(D(0, "10:00"), "10.00", "b1", "slots", bonus_amount="2.00"),
        s.win(D(0, "10:01"), "25.00", "b1"),
        s.bet(D(0, "11:00"), "5.00", "b2", "live_casino"),
        s.bet(D(3, "02:00"), "20.00", "b3", "table"),
        s.win(D(3, "02:05"), "10.00", "b3"),
        s.bet(D(10, "23:00"), "30.00", "b4", "slots", bonus_amount="30.00"),
        s.sports(D(1, "03:00"), "15.00", "s1", odds="2.70", sport="football"),
        s.settled(D(0, "09:00"), "s1", "won", "40.00"),        # paid on D
        s.sports(D(2, "14:00"), "8.00", "s2"),
        s.settled(D(1, "12:00"), "s2", "void"),                # refund of 8.00 on D-1
        s.sports(D(40, "19:00"), "12.00", "s3"),
        s.settled(D(40, "20:00"), "s3", "lost"),
        # foreign currency: counted, never summed
        s.bet(D(0, "12:00"), "1000.00", "b5", "slots", currency="USD"),
        s.deposit(D(0, "12:30"), "500.00", currency="USD"),
        s("player.login", D(3, "00:30")),
        s("player.login", D(0, "09:30"), success=False),
    ]


def test_bets_stakes_wins_and_ggr_per_window_and_category():
    f = features(betting_history())
    assert_features(f, {
        # bets: 1d b1 b2 | 7d + b3 s1 s2 | 30d + b4 | 90d + s3
        "bet_count_1d": 2, "bet_count_7d": 5, "bet_count_30d": 6, "bet_count_90d": 7, "bet_count_lifetime": 7,
        "stake_sum_1d": "15.00", "stake_sum_7d": "58.00", "stake_sum_30d": "88.00", "stake_sum_90d": "100.00",
        "bonus_stake_sum_1d": "2.00", "bonus_stake_sum_7d": "2.00", "bonus_stake_sum_30d": "32.00",
        # wins on the day paid: D 25 (b1) + 40 (s1) | D-1 8 (void refund) | D-3 10 (b3)
        "win_sum_1d": "65.00", "win_sum_7d": "83.00", "win_sum_30d": "83.00", "win_sum_lifetime": "83.00",
        "ggr_1d": "-50.00", "ggr_7d": "-25.00", "ggr_30d": "5.00", "ggr_90d": "17.00",
        "rtp_7d": 1.431,                              # 83 / 58 = 1.43103
        "bet_count_slots_7d": 1, "stake_slots_7d": "10.00", "win_slots_7d": "25.00", "ggr_slots_7d": "-15.00",
        "bet_count_live_casino_7d": 1, "stake_live_casino_7d": "5.00", "ggr_live_casino_7d": "5.00",
        "bet_count_table_7d": 1, "stake_table_7d": "20.00", "win_table_7d": "10.00", "ggr_table_7d": "10.00",
        "bet_count_sports_7d": 2, "stake_sports_7d": "23.00", "win_sports_7d": "48.00", "ggr_sports_7d": "-25.00",
        "bet_count_slots_30d": 2, "stake_slots_30d": "40.00", "ggr_slots_30d": "15.00",
        "stake_sports_90d": "35.00", "ggr_sports_90d": "-13.00",
        "bet_count_crash_lifetime": 0, "stake_crash_lifetime": "0.00",
        # favourite = largest stake: 1d slots 10 > live 5 | 7d sports 23 > table 20 > slots 10
        # | 30d slots 40 > sports 23 | 90d slots 40 > sports 35
        "favourite_category_1d": "slots", "favourite_category_7d": "sports",
        "favourite_category_30d": "slots", "favourite_category_90d": "slots",
        "bonus_stake_share_30d": 0.3636,              # 32 / 88
        # avg stake 30d 88/6 = 14.6667; avg deposit 30d 150/2 = 75 -> 0.19556
        "bet_to_deposit_ratio_30d": 0.1956,
        "foreign_currency_events": 2,
        "days_since_last_bet": 0, "days_since_last_login": 3, "login_count_7d": 1, "failed_logins": 1,
        # UTC hours (no time zone given): night b3 02h, s1 03h | morning b1 10h, b2 11h
        # | afternoon s2 14h | evening b4 23h, s3 19h
        "late_night_share_1d": 0.0, "late_night_share_7d": 0.4, "late_night_share_30d": 0.3333,
        "late_night_share_lifetime": 0.2857,
        "tod_night_share": 0.2857, "tod_morning_share": 0.2857, "tod_afternoon_share": 0.1429,
        "tod_evening_share": 0.2857,
        # active days (bet, deposit, session or login): D, D-1, D-2, D-3 | D-10, D-20 | D-40
        "active_days_1d": 1, "active_days_7d": 4, "active_days_30d": 6, "active_days_90d": 7,
        # RFM, default cut points: recency 0 days -> 5; 6 active days vs [1,3,8,15] -> 3;
        # net deposit 90d 150 EUR vs [20,100,500,2500] -> 3
        "rfm_recency": 5, "rfm_frequency": 3, "rfm_monetary": 3, "rfm_score": "533",
    })


def test_rfm_scores_follow_configured_cut_points():
    config = FeatureConfig(rfm=RfmConfig(recency_days=[10, 5, 3, 1], frequency_days=[1, 2, 3, 4],
                                         monetary=[10, 20, 30, 40], monetary_scale={"SEK": 2}))
    s = Script(currency="SEK")
    history = [s.registered(D(60)), s.deposit(D(50), "70.00"), s.bet(D(4), "1.00", "b1"),
               s.bet(D(4, "12:00"), "1.00", "b2")]
    f = features(history, config)
    # 4 days idle: <=10, <=5 -> 3 | 1 active day in 30d (D-4): >=1 -> 2
    # | net 70 SEK / scale 2 = 35: >=10, >=20, >=30 -> 4
    assert (f["rfm_recency"], f["rfm_frequency"], f["rfm_monetary"], f["rfm_score"]) == (3, 2, 4, "324")
    # Default cut points scale SEK by 10: 7.0 "units" -> below 20 -> 1; 4 idle days -> 4
    f = features(history)
    assert (f["rfm_recency"], f["rfm_frequency"], f["rfm_monetary"]) == (4, 2, 1)
    # A player who never did anything scores recency 1.
    assert features([s.registered(D(1))])["rfm_score"] == "111"


def session_history() -> list[dict]:
    s = Script()
    h = [s.registered(D(30))]
    h += s.session(D(20, "10:00:00"), D(20, "10:01:40"), "s6")           # 100 s
    # s1 (D-8, 1800 s): three losing bets, then the end -> after a losing run
    h += [s("session.started", D(8, "10:00"), session_id="s1")]
    h += [s.bet(D(8, f"10:0{i}"), "1.00", f"s1b{i}", session_id="s1") for i in range(3)]
    h += [s("session.ended", D(8, "10:30"), session_id="s1")]
    # s2 (D-2, 3600 s): three bets, the third wins -> not after a losing run
    h += [s("session.started", D(2, "20:00"), session_id="s2")]
    h += [s.bet(D(2, f"20:0{i}"), "1.00", f"s2b{i}", session_id="s2") for i in range(3)]
    h += [s.win(D(2, "20:05"), "5.00", "s2b2"), s("session.ended", D(2, "21:00"), session_id="s2")]
    h += s.session(D(1, "12:00"), D(1, "12:05"), "s5")                   # 300 s
    # s3 (D, 600 s): a bet, a win, then three losing bets -> after a losing run
    h += [s("session.started", D(0, "08:00"), session_id="s3"),
          s.bet(D(0, "08:01"), "1.00", "s3b0", session_id="s3"), s.win(D(0, "08:02"), "3.00", "s3b0")]
    h += [s.bet(D(0, f"08:0{3 + i}"), "1.00", f"s3b{i + 1}", session_id="s3") for i in range(3)]
    h += [s("session.ended", D(0, "08:10"), session_id="s3")]
    # s4 (D, 1200 s): two losing bets only -> not a losing run
    h += [s("session.started", D(0, "09:00"), session_id="s4")]
    h += [s.bet(D(0, f"09:0{i}"), "1.00", f"s4b{i}", session_id="s4") for i in range(2)]
    h += [s("session.ended", D(0, "09:20"), session_id="s4")]
    h += s.session(D(0, "11:00"), None, "s7")                            # still open
    return h


def test_sessions_durations_and_rtp_sensitivity():
    f = features(session_history())
    assert_features(f, {
        # started: 1d s3 s4 s7 | 7d + s2 s5 | 30d + s1 s6
        "session_count_1d": 3, "session_count_7d": 5, "session_count_30d": 7,
        # mean over ended sessions started in the window (s7 is open):
        # 1d (600+1200)/2 | 7d (600+1200+3600+300)/4 | 30d (5700+1800+100)/6 = 1266.7
        "session_mean_seconds_1d": 900, "session_mean_seconds_7d": 1425, "session_mean_seconds_30d": 1266,
        # ended, oldest first: 100 1800 3600 300 600 1200 -> median (600+1200)/2
        "session_median_seconds": 900,
        "session_last5_mean_seconds": 1500,          # (1800+3600+300+600+1200)/5
        "rtp_sensitivity": 0.3333,                   # s1 and s3 of 6 ended sessions
        "active_days_30d": 5,                         # D, D-1, D-2, D-8, D-20
    })


def test_rtp_sensitivity_follows_the_configured_run_length():
    f = features(session_history(), FeatureConfig(losing_run_bets=2))
    assert f["rtp_sensitivity"] == 0.5               # s1, s3 and now s4 (two losing bets)


def test_late_night_is_judged_in_the_players_local_time_across_dst():
    s = Script()
    history = [
        s.registered("2026-01-01T00:00Z", timezone="Europe/Stockholm"),
        s.bet("2026-01-10T23:30Z", "1.00", "w1"),   # winter, UTC+1: 00:30 local -> late night
        s.bet("2026-01-10T22:30Z", "1.00", "w2"),   # winter: 23:30 local -> not
        s.bet("2026-07-10T22:30Z", "1.00", "s1"),   # summer, UTC+2: 00:30 local -> late night
        s.bet("2026-07-10T21:30Z", "1.00", "s2"),   # summer: 23:30 local -> not
        s.bet("2026-07-10T21:45Z", "1.00", "s3"),   # summer: 23:45 local -> not
    ]
    f = features(history, as_of="2026-07-11T12:00")
    assert_features(f, {
        "late_night_share_lifetime": 0.4, "late_night_share_1d": None,   # no bets on 07-11
        "late_night_share_7d": 0.3333,               # s1 of s1 s2 s3
        "tod_night_share": 0.4, "tod_evening_share": 0.6, "tod_morning_share": 0.0,
        "peak_local_hour": 23,                       # w2 s2 s3 at 23h, w1 s1 at 00h
    })


def test_late_night_in_half_hour_time_zones():
    """India is UTC+5:30: 18:40 UTC is 00:10 local, late night; 18:20 UTC is 23:50 local.
    Newfoundland is UTC-3:30 in winter: 03:10 UTC is 23:40 local, 03:40 UTC is 00:10."""
    s = Script("in")
    india = features([s.registered("2026-01-01T00:00Z", timezone="Asia/Kolkata"),
                      s.bet("2026-03-19T18:40Z", "1.00", "a"), s.bet("2026-03-19T18:20Z", "1.00", "b")])
    assert (india["late_night_share_lifetime"], india["tod_night_share"], india["peak_local_hour"]) == (0.5, 0.5, 0)
    n = Script("nl")
    newfoundland = features([n.registered("2026-01-01T00:00Z", timezone="America/St_Johns"),
                             n.bet("2026-01-19T03:10Z", "1.00", "a"), n.bet("2026-01-19T03:40Z", "1.00", "b"),
                             n.bet("2026-01-19T03:50Z", "1.00", "c")])
    assert (newfoundland["late_night_share_lifetime"], newfoundland["peak_local_hour"]) == (0.6667, 0)


def test_configured_late_night_hours():
    s = Script()
    history = [s.registered("2026-03-01T00:00Z", timezone="UTC"),
               s.bet(D(0, "22:30"), "1.00", "a"), s.bet(D(0, "05:30"), "1.00", "b"), s.bet(D(0, "06:30"), "1.00", "c")]
    f = features(history, FeatureConfig(late_night_start_hour=5, late_night_end_hour=7), as_of="2026-03-20T23:00")
    assert f["late_night_share_1d"] == 0.6667


@pytest.mark.parametrize("as_of_clock,expected", [("00:00:00", 1), ("23:59:59", 1)])
def test_a_window_is_whole_calendar_days_whatever_the_hour_asked(as_of_clock, expected):
    s = Script()
    history = [s.registered(D(3)), s.deposit(D(0, "00:00:00"), "1.00"), s.deposit(D(1, "23:59:59"), "1.00")]
    f = features(history, as_of=f"2026-03-20T{as_of_clock}")
    assert f["deposit_count_1d"] == expected
    assert f["deposit_count_7d"] == 2


def test_player_view_shows_the_same_window_values(app_client):
    """The API computes features as of now: a history placed on whole UTC days before today."""
    from datetime import datetime, timezone

    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    s = Script("api1", currency="SEK")

    def day(days_ago: int, hour: int = 0) -> str:
        return (today - timedelta(days=days_ago, hours=-hour)).isoformat()

    history = [s.registered(day(40)), s.deposit(day(7, 12), "30.00"), s.deposit(day(6), "20.00"),
               s.deposit(day(1, 23), "50.00"), s.deposit(day(0), "100.00"),
               s.bet(day(6, 1), "10.00", "b1", "crash"), s.win(day(6, 2), "4.00", "b1")]
    response = app_client.post("/v1/events", content=__import__("json").dumps(history).encode())
    assert response.json()["accepted"] == len(history)
    f = app_client.get("/v1/players/api1").json()["features"]
    assert_features(f, {
        "deposit_count_1d": 1, "deposit_sum_1d": "100.00",
        "deposit_count_7d": 3, "deposit_sum_7d": "170.00", "deposit_avg_7d": "56.66",
        "deposit_count_30d": 4, "deposit_sum_30d": "200.00",
        "stake_crash_7d": "10.00", "ggr_crash_7d": "6.00", "favourite_category_7d": "crash",
        "lifecycle_stage": "new_depositor", "days_since_registration": 40,
    })
