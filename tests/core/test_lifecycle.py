"""Lifecycle stages through a player's life, with the default and with custom thresholds.

The state is grown event by event and asked for its stage at moments after what it has seen
(a stage is never asked about a moment before events the state already holds)."""

from __future__ import annotations

from datetime import timedelta

from croupier.players import FeatureConfig, LifecycleConfig, compute_features, lifecycle_stage

from . import Script, fold, t, us

START = t("2026-01-01T12:00")


def day(n: float) -> str:
    return (START + timedelta(days=n)).isoformat()


def stage_after(events: list[dict], at_day: float, config: LifecycleConfig | None = None) -> str:
    features = FeatureConfig(lifecycle=config or LifecycleConfig())
    state = fold(events, features)
    stage = lifecycle_stage(state, us(day(at_day)), features.lifecycle)
    assert compute_features(state, us(day(at_day)), features)["lifecycle_stage"] == stage
    return stage


def test_a_player_goes_through_every_stage_with_default_thresholds():
    s = Script()
    h = [s.registered(day(0))]
    assert stage_after(h, 0) == "prospect"
    assert stage_after(h, 60) == "prospect"          # no deposit, however long
    h.append(s.deposit(day(1), "10.00", status="declined"))
    assert stage_after(h, 1) == "prospect"           # declined deposits do not count
    h.append(s.deposit(day(1), "10.00"))
    assert stage_after(h, 1) == "new_depositor"
    assert stage_after(h, 15) == "new_depositor"     # exactly 14 days after the first deposit
    h.append(s.bet(day(16), "1.00", "b1"))
    assert stage_after(h, 16) == "active"
    assert stage_after(h, 30) == "active"            # idle exactly 14 days
    assert stage_after(h, 30.01) == "at_risk"        # idle more than 14 days
    assert stage_after(h, 45.99) == "at_risk"
    assert stage_after(h, 46) == "lapsed"            # idle 30 days
    assert stage_after(h, 400) == "lapsed"
    h.append(s.bet(day(50), "1.00", "b2"))           # back after 34 idle days
    assert stage_after(h, 50) == "reactivated"
    assert stage_after(h, 64) == "reactivated"       # reactivated 14 days ago, idle 14 days
    h.append(s.bet(day(63), "1.00", "b3"))
    assert stage_after(h, 63) == "reactivated"
    assert stage_after(h, 64.01) == "active"         # more than 14 days since the return
    assert stage_after(h, 77) == "active"
    assert stage_after(h, 80) == "at_risk"
    assert stage_after(h, 93) == "lapsed"


def test_sessions_and_deposits_count_as_activity_logins_do_not():
    s = Script()
    h = [s.registered(day(0)), s.deposit(day(0), "10.00")]
    assert stage_after(h + [s("player.login", day(40))], 40) == "lapsed"
    assert stage_after(h + s.session(day(40), day(40.01), "s"), 40) == "reactivated"
    assert stage_after(h + [s.deposit(day(40), "5.00")], 40) == "reactivated"


def test_a_return_after_a_short_break_is_not_a_reactivation():
    s = Script()
    h = [s.registered(day(0)), s.deposit(day(0), "10.00"), s.bet(day(29.9), "1.00", "b")]
    assert stage_after(h, 29.9) == "active"


def test_custom_thresholds():
    config = LifecycleConfig(new_depositor_days=3, active_days=5, lapsed_days=10, reactivated_days=2)
    s = Script()
    h = [s.registered(day(0)), s.deposit(day(0), "10.00")]
    assert stage_after(h, 3, config) == "new_depositor"
    assert stage_after(h, 3.01, config) == "active"
    assert stage_after(h, 5.01, config) == "at_risk"
    assert stage_after(h, 10, config) == "lapsed"
    h.append(s.bet(day(11), "1.00", "b"))          # 11 idle days >= 10: a reactivation
    assert stage_after(h, 11, config) == "reactivated"
    assert stage_after(h, 13, config) == "reactivated"
    assert stage_after(h, 13.01, config) == "active"
    # the same history under the default thresholds: never lapsed
    assert stage_after(h, 14) == "new_depositor"
    assert stage_after(h, 16) == "active"


def test_default_thresholds_see_no_reactivation_where_custom_ones_do():
    s = Script()
    h = [s.registered(day(0)), s.deposit(day(0), "10.00"), s.bet(day(20), "1.00", "b1"),
         s.bet(day(32), "1.00", "b2")]
    assert stage_after(h, 32) == "active"
    assert stage_after(h, 32, LifecycleConfig(lapsed_days=10)) == "reactivated"
