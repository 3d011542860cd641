"""Between journeys and between entries: one promotional journey per group with higher
priorities pre-empting, safer play replacing promotions, re-entry policies, the holdout
(control group: nothing sent, goals measured), and split assignment's determinism and
proportions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import croupier
from croupier.journeys import assign, in_holdout, template
from croupier.journeys.run import SendAction
from tests.journeys.journey_player import (
    DAY, HOUR, START, Player, held_out_id, journey, live_of, reasons, treated_id,
)


def promo(key: str, priority: int, event: str = "player.login", group: str = "retention",
          **fields: object):  # noqa: ANN201
    """A promotional journey: a message, a wait of 3 days, a second message, exit."""
    return journey(key=key, name=key, group=group, priority=priority, trigger={"kind": "event", "event": event},
                   steps=[{"kind": "send", "id": "first", "channel": "email", "template": f"{key}_first"},
                          {"kind": "wait", "id": "wait", "duration": "P3D"},
                          {"kind": "send", "id": "second", "channel": "email", "template": f"{key}_second"},
                          {"kind": "exit", "id": "done"}], **fields)


# -- groups and priorities ----------------------------------------------------------------------

def test_a_higher_priority_journey_pre_empts_a_lower_one_of_its_group() -> None:
    p = Player(live_of(promo("low", 10), promo("high", 20, event="player.logout")))
    p.event("player.login", timedelta(0))
    out = p.event("player.logout", HOUR)
    assert [(r.kind, r.journey_key, r.reason) for r in out.records][:2] == [
        ("exited", "low", "preempted_by:high"), ("entered", "high", "trigger")]
    p.until(START + 5 * DAY)
    assert p.templates_sent() == ["low_first", "high_first", "high_second"]
    assert "a higher-priority journey of the same group" in p.kinds("exited", "low")[0].words()


def test_an_equal_or_lower_priority_journey_waits_its_turn() -> None:
    for priority in (10, 5):
        p = Player(live_of(promo("first", 10), promo("other", priority, event="player.logout")))
        p.event("player.login", timedelta(0))
        out = p.event("player.logout", HOUR)
        assert reasons(out.records) == ["group_busy:first"]
        assert list(p.journeys.runs) == ["first"]
        # once the first journey is over, the other may start
        p.until(START + 4 * DAY)
        assert p.event("player.logout", 4 * DAY).of(SendAction)[0].template == "other_first"


def test_one_event_starting_two_journeys_of_a_group_enters_the_higher() -> None:
    p = Player(live_of(promo("alpha", 10), promo("beta", 30)))
    out = p.event("player.login", timedelta(0))
    assert [(r.journey_key, r.kind, r.reason) for r in out.records if r.kind in ("entered", "refused")] == [
        ("beta", "entered", "trigger"), ("alpha", "refused", "group_busy:beta")]
    assert p.templates_sent() == ["beta_first"]


def test_journeys_of_different_groups_and_service_journeys_run_side_by_side() -> None:
    service = journey(key="account", purpose="service", group="retention", priority=1,
                      steps=[{"kind": "send", "id": "info", "channel": "email", "template": "info"},
                             {"kind": "wait", "id": "wait", "duration": "P1D"}, {"kind": "exit", "id": "done"}])
    p = Player(live_of(promo("a", 10), promo("b", 20, group="vip"), service))
    p.event("player.login", timedelta(0))
    assert sorted(p.journeys.runs) == ["a", "account", "b"]


def test_welcome_hands_over_to_second_deposit_at_the_first_deposit() -> None:
    """Both are onboarding journeys; welcome (50) outranks second_deposit (40). The first
    deposit converts welcome's goal, which ends it, and then starts second_deposit."""
    pid = next(f"h{i}" for i in range(1000)
               if not in_holdout("welcome", f"h{i}", 10) and not in_holdout("second_deposit", f"h{i}", 10))
    p = Player(live_of("welcome", "second_deposit"), pid)
    p.register()
    out = p.deposit(START + 3 * HOUR)
    assert [(r.kind, r.journey_key) for r in out.records][:3] == [
        ("converted", "welcome"), ("exited", "welcome"), ("entered", "second_deposit")]


# -- safer play -----------------------------------------------------------------------------

def test_safer_play_ends_promotions_and_keeps_them_out() -> None:
    pid = treated_id("welcome", 10)
    p = Player(live_of("welcome", "safer_play", promo("later", 10)), pid)
    p.register()
    out = p.fact("croupier.rg_level_changed", HOUR, **{"from": "low", "to": "medium", "rising": True})
    assert [(r.kind, r.journey_key, r.reason) for r in out.records][:2] == [
        ("exited", "welcome", "safer_play:safer_play"), ("entered", "safer_play", "trigger")]
    assert [s.template for s in out.of(SendAction)] == ["safer_play_tools"]
    assert out.of(SendAction)[0].proposal(pid).purpose == "safer_play"
    assert reasons(p.event("player.login", 2 * HOUR).records) == ["safer_play_active:safer_play"]
    p.until(START + 4 * DAY)                                 # safer play over: promotions may start again
    assert p.event("player.login", 4 * DAY).of(SendAction)[0].template == "later_first"


def test_a_falling_rg_level_does_not_start_safer_play() -> None:
    p = Player(live_of("safer_play"))
    out = p.fact("croupier.rg_level_changed", HOUR, **{"from": "high", "to": "medium", "rising": False})
    assert reasons(out.records) == [] and not p.state.journeys.runs   # a falling level is not the trigger


# -- re-entry ---------------------------------------------------------------------------------

def _short(policy: dict[str, object]):  # noqa: ANN202
    return journey(key="short", reentry=policy,
                   steps=[{"kind": "send", "id": "hello", "channel": "email", "template": "hello"},
                          {"kind": "wait", "id": "wait", "duration": "PT1H"}, {"kind": "exit", "id": "done"}])


def test_reentry_never() -> None:
    p = Player(live_of(_short({"policy": "never"})))
    p.event("player.login", timedelta(0))
    assert reasons(p.event("player.login", 30 * timedelta(minutes=1)).records) == ["already_in"]
    assert reasons(p.event("player.login", 10 * DAY).records) == ["reentry_never"]
    assert reasons(p.event("player.login", 11 * DAY).records) == []     # the same refusal is recorded once
    assert p.templates_sent() == ["hello"]


def test_reentry_after_a_cooldown_since_the_previous_entry() -> None:
    p = Player(live_of(_short({"policy": "after", "cooldown": "P7D"})))
    p.event("player.login", timedelta(0))
    refused = p.event("player.login", 6 * DAY).records[0]
    assert refused.reason == f"reentry_cooldown:{int((START + 7 * DAY).timestamp()) * 1_000_000}"
    assert "2026-03-09 09:00 UTC" in refused.words()
    assert p.event("player.login", 7 * DAY).of(SendAction)
    assert p.journeys.history["short"].entries == 2


def test_reentry_always_but_never_twice_at_once() -> None:
    p = Player(live_of(_short({"policy": "always"})))
    p.event("player.login", timedelta(0))
    assert reasons(p.event("player.login", timedelta(minutes=30)).records) == ["already_in"]
    p.event("player.login", 2 * HOUR)
    assert p.templates_sent() == ["hello", "hello"]
    entries = [r.entry_id for r in p.kinds("entered")]
    assert len(set(entries)) == 2


# -- holdout ----------------------------------------------------------------------------------

def test_a_held_out_player_gets_nothing_and_is_measured() -> None:
    pid = held_out_id("welcome", 10)
    p = Player(live_of("welcome"), pid)
    out = p.register()
    assert out.actions == () and reasons(out.records) == ["holdout"]
    assert p.journeys.runs == {} and p.journeys.held_out("welcome", out.records[0].at_us)
    p.until(START + 10 * DAY)
    assert p.templates_sent() == []
    p2 = Player(live_of("welcome"), pid)
    p2.register()
    p2.deposit(START + 2 * DAY)
    (conv,) = p2.kinds("converted")
    assert conv.reason == "goal:first_deposit" and conv.detail["holdout"] is True


def test_a_held_out_player_does_not_occupy_the_group() -> None:
    held = next(f"g{i}" for i in range(1000)
                if in_holdout("high", f"g{i}", 20) and not in_holdout("low", f"g{i}", 0))
    p = Player(live_of(promo("low", 10), promo("high", 20, event="player.logout", holdout_percent=20)), held)
    p.event("player.login", timedelta(0))
    out = p.event("player.logout", HOUR)
    assert reasons(out.records) == ["holdout"]              # and "low" goes on: what they would have got
    p.until(START + 5 * DAY)
    assert p.templates_sent() == ["low_first", "low_second"]


def test_holdout_is_decided_after_the_entry_rules() -> None:
    """A player refused by re-entry is not counted in the control group either."""
    pid = held_out_id("welcome", 10)
    p = Player(live_of("welcome"), pid)
    p.register()
    p.until(START + 8 * DAY)
    out = p.register(9 * DAY)
    assert reasons(out.records) == ["reentry_never"]
    assert p.journeys.history["welcome"].entries == 1


# -- split ------------------------------------------------------------------------------------

SPLIT = journey(key="split_demo", steps=[
    {"kind": "split", "id": "abc", "variants": [{"name": "a", "weight": 20, "next": "send-a"},
                                                {"name": "b", "weight": 30, "next": "send-b"},
                                                {"name": "c", "weight": 50, "next": "send-c"}]},
    {"kind": "send", "id": "send-a", "channel": "email", "template": "a", "next": "done"},
    {"kind": "send", "id": "send-b", "channel": "email", "template": "b", "next": "done"},
    {"kind": "send", "id": "send-c", "channel": "email", "template": "c", "next": "done"},
    {"kind": "exit", "id": "done"}], reentry={"policy": "always"})


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=24))
def test_a_players_variant_is_the_same_every_time(pid: str) -> None:
    live = live_of(SPLIT)
    p = Player(live, pid)
    p.event("player.login", timedelta(0))
    p.event("player.login", DAY)
    again = Player(live, pid)
    again.event("player.login", 3 * DAY)
    expected = assign("split_demo", "abc", pid, SPLIT.steps[0].variants).name  # type: ignore[union-attr]
    assert p.templates_sent() == [expected, expected] and again.templates_sent() == [expected]


def test_split_proportions_follow_the_weights() -> None:
    live = live_of(SPLIT)
    counts = {"a": 0, "b": 0, "c": 0}
    n = 3000
    for i in range(n):
        p = Player(live, f"player-{i}")
        p.event("player.login", timedelta(0))
        counts[p.templates_sent()[0]] += 1
    # 99.9 % binomial bounds around 20 / 30 / 50 % of 3,000
    assert 520 <= counts["a"] <= 680 and 810 <= counts["b"] <= 990 and 1410 <= counts["c"] <= 1590


# -- purity -----------------------------------------------------------------------------------

def test_the_interpreter_imports_no_database_and_no_cycle() -> None:
    src = str(Path(croupier.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": src}
    for first in ("croupier.journeys.run", "croupier.tasks", "croupier.compliance"):
        code = f"import sys, json, {first}, croupier.journeys.run; print(json.dumps(sorted(sys.modules)))"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
                             timeout=60)
        loaded = json.loads(out.stdout)
        assert [m for m in loaded if m == "sqlalchemy" or m.startswith(("sqlalchemy.", "croupier.store"))] == []


def test_every_ready_made_journey_compiles() -> None:
    live = live_of(*(template(k) for k in ("welcome", "second_deposit", "abandoned_deposit", "reactivation_7d",
                                           "vip_escalation", "milestone_anniversary", "safer_play")))
    assert [c.key for c in live.all()][0] == "safer_play"
    assert live.current("reactivation_7d") is not None and live.started_by("player.registered")[0].key == "welcome"


def test_a_schedule_fires_for_its_audience_at_current_values() -> None:
    pid = treated_id("reactivation_7d", 10)
    p = Player(live_of("reactivation_7d"), pid)
    p.register(START - 20 * DAY)
    p.deposit(START - 19 * DAY)
    p.event("casino.bet", START - 9 * DAY, bet_id="b1", game_id="g1", game_category="slots", provider="x",
            amount="5.00", currency="EUR")
    out = p.fire("reactivation_7d", timedelta(0))
    assert [s.template for s in out.of(SendAction)] == ["reactivation_casino"]
    late = Player(p.live, treated_id("reactivation_7d", 10, "z"))
    late.register(START - 20 * DAY)
    late.deposit(START - 19 * DAY)
    late.event("casino.bet", START - HOUR, bet_id="b2", game_id="g1", game_category="slots", provider="x",
               amount="5.00", currency="EUR")
    assert reasons(late.fire("reactivation_7d", timedelta(0)).records) == ["trigger_condition"]
