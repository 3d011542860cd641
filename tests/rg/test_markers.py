"""Each RG detector on small scripted histories: it fires when it should (with the numbers in
its explanation), stays silent when it should not, and markers decay when the behaviour stops."""

from __future__ import annotations

from datetime import timedelta

from croupier.players.protection_state import MarkerView
from croupier.protection.risk import level_at
from croupier.protection.markers import DEFAULT_CONFIG, effective_severity

from . import Player, at, scripted_config


def baseline_days(p: Player, days: int = 10, minutes: float = 10, bets: int = 20, stake: str = "10.00") -> None:
    """A quiet baseline: one evening session a day and a deposit every other day."""
    for d in range(days):
        if d % 2 == 0:
            p.deposit(at(d, minutes=-5), "200.00")
        p.session(at(d), minutes, bets=bets, stake=stake)


# --- loss chasing ----------------------------------------------------------------------------
def chase(p: Player, day: float, sizes: list[str], lose: str = "200.00") -> None:
    """Deposits each made a minute after the bet that lost the previous one."""
    start = at(day, hours=4)
    p.send("session.started", start, session_id=f"c{day}")
    for i, size in enumerate(sizes):
        when = start + timedelta(minutes=10 * i)
        p.bet(when, lose, f"c{day}")
        p.deposit(when + timedelta(minutes=1), size)
    p.send("session.ended", start + timedelta(minutes=10 * len(sizes)), session_id=f"c{day}")


def test_loss_chasing_fires_on_deposits_right_after_losses_and_names_the_numbers():
    p = Player()
    p.register()
    baseline_days(p)
    chase(p, 11, ["200.00", "300.00", "400.00"])
    marker = p.markers["loss_chasing"]
    assert marker.severity >= 2
    text = marker.explanation
    assert "3 deposits within 30 min" in text
    assert "losing 1,000.00 SEK in 24 h" in text                 # 400 of play since the last deposit + 3 x 200
    assert "100% → 200% of the median deposit (200.00 SEK)" in text


def test_rising_chase_deposits_weigh_more_than_level_ones():
    rising, level = Player("r"), Player("l")
    for p, sizes in ((rising, ["200.00", "300.00", "400.00"]), (level, ["200.00", "200.00", "200.00"])):
        p.register()
        baseline_days(p)
        chase(p, 11, sizes)
    assert rising.markers["loss_chasing"].severity == level.markers["loss_chasing"].severity + 1
    assert "rose" not in level.markers["loss_chasing"].explanation


def test_no_loss_chasing_when_deposits_follow_no_loss_or_no_recent_play():
    p = Player()
    p.register()
    baseline_days(p)
    for i in range(3):                                       # deposits hours after the last bet
        p.deposit(at(11, hours=3 * i), "300.00")
    won = Player("w")
    won.register()
    baseline_days(won)
    for i in range(3):                                       # straight after play, but winning
        r = won.bet(at(12, minutes=10 * i), "10.00")
        won.win(at(12, minutes=10 * i), "500.00", r.signals and "x" or f"b{won._n}")
        won.deposit(at(12, minutes=10 * i + 1), "300.00")
    assert "loss_chasing" not in p.markers
    assert "loss_chasing" not in won.markers


# --- deposit spike ---------------------------------------------------------------------------
def test_deposit_spike_against_the_players_own_median():
    p = Player()
    p.register()
    baseline_days(p)
    p.deposit(at(12), "2000.00")
    marker = p.markers["deposit_spike"]
    assert marker.severity == 3
    assert "2,000.00 SEK is 10.0×" in marker.explanation and "median deposit of 200.00 SEK" in marker.explanation


def test_no_spike_for_a_usual_deposit_or_without_a_baseline():
    p = Player()
    p.register()
    baseline_days(p)
    p.deposit(at(12), "300.00")
    new = Player("n")
    new.register()
    new.deposit(at(0), "50.00")
    new.deposit(at(1), "5000.00")                           # one deposit before: no baseline yet
    assert "deposit_spike" not in p.markers
    assert "deposit_spike" not in new.markers


# --- session escalation ----------------------------------------------------------------------
def test_session_escalation_against_the_30_day_baseline():
    p = Player()
    p.register()
    baseline_days(p, days=12, minutes=10, bets=0)
    for d in range(12, 15):
        for k in range(4):
            p.session(at(d, hours=-6 + 3 * k), 50)
    marker = p.markers["session_escalation"]
    assert marker.severity == 3
    assert "4.0 sessions/day of 50 min" in marker.explanation
    assert "1.0 sessions/day of 10 min" in marker.explanation


def test_no_session_escalation_when_play_stays_the_same():
    p = Player()
    p.register()
    baseline_days(p, days=20, minutes=30, bets=0)
    assert "session_escalation" not in p.markers


# --- withdrawals, declines -------------------------------------------------------------------
def test_cancelled_or_reversed_withdrawals():
    p = Player()
    p.register()
    p.withdrawal(at(1), "100.00", "requested", "w1")
    p.withdrawal(at(1, hours=1), "100.00", "cancelled", "w1")
    assert "withdrawal_reversal" not in p.markers          # one is not a pattern
    p.withdrawal(at(5), "100.00", "requested", "w2")
    p.withdrawal(at(5, hours=2), "100.00", "approved", "w2")
    p.withdrawal(at(8), "100.00", "reversed", "w2")
    marker = p.markers["withdrawal_reversal"]
    assert marker.severity == 1
    assert "2 withdrawals cancelled or reversed in the last 30 days" in marker.explanation


def test_repeated_declined_deposits_within_a_day_but_not_spread_out():
    p = Player()
    p.register()
    for i in range(3):
        p.deposit(at(1, hours=i), "100.00", status="declined")
    assert p.markers["declined_deposits"].severity == 1
    assert "3 deposits declined or failed in the last 24 h" in p.markers["declined_deposits"].explanation
    q = Player("q")
    q.register()
    for i in range(3):
        q.deposit(at(2 * i), "100.00", status="declined")
    assert "declined_deposits" not in q.markers


# --- late night ------------------------------------------------------------------------------
def test_late_night_play_in_the_players_local_time():
    p = Player()                                            # Stockholm: UTC+1 in March
    p.register()
    baseline_days(p, days=10, bets=30)                      # 19:00 local
    for d in (10, 11):
        p.session(at(d, hours=6), 60, bets=40)              # 00:00-01:00 local (23:00 UTC)
    marker = p.markers["late_night"]
    assert "local time (Europe/Stockholm)" in marker.explanation
    assert "00:00–06:00" in marker.explanation
    assert "vs 0% of" in marker.explanation


def test_the_same_utc_hours_are_not_late_night_in_new_york():
    p = Player(timezone_name="America/New_York", jurisdiction="US-NJ", currency="USD")
    p.register()
    baseline_days(p, days=10, bets=30)
    for d in (10, 11):
        p.session(at(d, hours=6), 60, bets=40)              # 23:00 UTC = 19:00 in New York
    assert "late_night" not in p.markers


# --- stake variability ------------------------------------------------------------------------
def test_rising_stake_variability():
    p = Player()
    p.register()
    baseline_days(p, days=8, bets=40, stake="10.00")
    for d in (8, 9):
        sid = f"v{d}"
        p.send("session.started", at(d), session_id=sid)
        for i in range(60):
            p.bet(at(d, minutes=i), "5.00" if i % 2 else "150.00", sid)
        p.send("session.ended", at(d, minutes=61), session_id=sid)
    marker = p.markers["stake_variability"]
    assert marker.severity == 3
    assert "over 160 bets in the last 3 days vs 0.00 over 280 bets before" in marker.explanation
    assert "mean stake 60.62 SEK vs 10.00 SEK" in marker.explanation
    steady = Player("s")
    steady.register()
    baseline_days(steady, days=12, bets=40, stake="10.00")
    assert "stake_variability" not in steady.markers


# --- limit increases -------------------------------------------------------------------------
def test_requested_limit_increases_inbound_and_as_croupier_facts():
    p = Player()
    p.register()
    p.send("limit.changed", at(1), kind="deposit", period="week", amount="1000.00", currency="SEK")
    p.send("limit.changed", at(2), kind="deposit", period="week", amount="500.00", currency="SEK")
    assert "limit_increase" not in p.markers                # new and lower: protective steps
    assert [a[1] for a in p.state.rg.actions] == ["limit:deposit:week", "limit:deposit:week"]
    p.send("limit.changed", at(3), kind="deposit", period="week", amount="2000.00", currency="SEK")
    # the same request as Croupier's own fact a minute later counts once
    p.send("croupier.limit_set", at(3, minutes=1), kind="deposit", period="week", amount="2000.00",
           currency="SEK", change="increase", effective_at=at(4).isoformat())
    assert p.markers["limit_increase"].severity == 1
    assert p.markers["limit_increase"].explanation == ("1 request to raise or remove a limit (deposit:week) in the "
                                                       "last 30 days")
    p.send("croupier.limit_set", at(5), kind="loss", period="day", change="removal", effective_at=at(6).isoformat())
    marker = p.markers["limit_increase"]
    assert marker.severity == 2
    assert "2 requests to raise or remove a limit (deposit:week, loss:day)" in marker.explanation


# --- distress --------------------------------------------------------------------------------
def test_distress_in_support_messages():
    p = Player()
    p.register()
    p.support(at(1), "How long does a withdrawal take?")
    p.support(at(2), "My withdrawal is still pending, where is my money?")
    assert "distress" not in p.markers
    p.support(at(3), "I can't stop gambling, I lost my whole salary. Please help me.")
    marker = p.markers["distress"]
    assert marker.severity >= 2
    assert '"can\'t stop"' in marker.explanation and '"whole salary"' in marker.explanation


# --- decay -----------------------------------------------------------------------------------
def test_severity_decays_one_step_per_period_without_evidence():
    marker = MarkerView("loss_chasing", 3, first_us=0, last_us=0, explanation="x")
    week = 7 * 86_400_000_000
    assert [effective_severity(marker, t, DEFAULT_CONFIG) for t in (0, week - 1, week, 2 * week, 3 * week)] == [3, 3, 2, 1, 0]
    distress = MarkerView("distress", 2, first_us=0, last_us=0, explanation="x")
    assert effective_severity(distress, week, DEFAULT_CONFIG) == 2     # distress decays over 14 days


def test_markers_decay_away_when_the_behaviour_stops():
    p = Player(config=scripted_config())
    p.register()
    for i in range(3):
        p.deposit(at(1, hours=i), "100.00", status="declined")
    assert p.markers["declined_deposits"].severity == 1
    assert p.state.protection.risk_level == "low"
    p.session(at(5), 10)                                    # evidence still within a week
    assert "declined_deposits" in p.markers
    p.session(at(9), 10)                                    # eight days without a decline
    assert "declined_deposits" not in p.markers
    assert p.state.protection.risk_level == "low"           # the marker is gone; the level waits for calm days
    p.session(at(40), 10)                                   # 30 calm days after the last evidence
    assert p.state.protection.risk_level == "none"
    history = p.state.protection.risk_history
    assert [h[1] for h in history] == ["low", "none"]
    last_evidence = int(at(5, minutes=10).timestamp()) * 1_000_000   # the marker still scored low at day 5
    assert history[-1][0] == last_evidence + 30 * 86_400_000_000 and history[-1][7] == "calm"
    assert level_at(p.state.protection, last_evidence + 30 * 86_400_000_000 - 1) == "low"
