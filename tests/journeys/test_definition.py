"""The JSON form: every trigger and step kind reads and writes back unchanged, unknown fields
and wrong shapes are refused with their path, and any journey round-trips (hypothesis)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from croupier.journeys import (
    STEP_KINDS, TRIGGER_KINDS, Bonus, Branch, DateTrigger, EventTrigger, Exit, Goal, Journey, JourneyError, Once, Reentry,
    Schedule, SegmentEntered, SegmentLeft, Send, Split, StageChanged, Tag, Task, Variant, Wait, WaitForEvent,
    from_json, graph, successors, to_builtins, to_json,
)

TRIGGERS: dict[str, dict[str, Any]] = {
    "event": {"kind": "event", "event": "payment.deposit", "condition": 'event.status = "approved"'},
    "segment_entered": {"kind": "segment_entered", "segment_id": 12},
    "segment_left": {"kind": "segment_left", "segment_id": 12, "condition": "rg.level < medium"},
    "stage_changed": {"kind": "stage_changed", "from": "active", "to": "at_risk"},
    "schedule": {"kind": "schedule", "every": "week", "at": "09:30", "timezone": "Europe/Malta",
                 "weekdays": ["mon", "thu"], "segment_id": 3},
    "date": {"kind": "date", "date": "birthday", "at": "10:00", "days_before": 2, "fallback_timezone": "Europe/Rome"},
    "once": {"kind": "once", "at": "2026-12-24T10:00", "timezone": "Europe/Malta", "local": True, "segment_id": 3,
             "throttle_per_minute": 600},
}
STEPS: dict[str, dict[str, Any]] = {
    "wait": {"kind": "wait", "id": "w", "duration": "P1DT12H", "next": "x"},
    "wait_for_event": {"kind": "wait_for_event", "id": "w", "event": "payment.deposit", "timeout": 600,
                       "on_event": "x", "on_timeout": "y", "condition": {"feature": "event.amount", "op": ">=",
                                                                         "value": Decimal("10.50")}},
    "branch": {"kind": "branch", "id": "b", "condition": "rg.level < medium", "then": "x", "else": "y"},
    "split": {"kind": "split", "id": "s", "variants": [{"name": "a", "weight": 70, "next": "x"},
                                                       {"name": "b", "weight": 30, "next": "y"}]},
    "send": {"kind": "send", "id": "s", "channel": "popup", "template": "offer_15m", "expires_after": "PT15M",
             "purpose": "promotional", "personalise": ["favourite_category_30d"]},
    "bonus": {"kind": "bonus", "id": "b", "template": "reload_50", "when": "deposit_count_30d >= 1"},
    "tag": {"kind": "tag", "id": "t", "tag": "vip_candidate", "action": "clear"},
    "task": {"kind": "task", "id": "t", "queue": "vip_host", "title": "Call", "due_in": "P2D"},
    "exit": {"kind": "exit", "id": "e", "outcome": "converted"},
}


def journey(trigger: dict[str, Any] | None = None, steps: list[dict[str, Any]] | None = None,
            **fields: Any) -> dict[str, Any]:
    return {"key": "welcome", "name": "Welcome", "version": 1, "purpose": "promotional",
            "trigger": trigger or TRIGGERS["event"], "steps": steps or [STEPS["exit"]], **fields}


def test_the_kinds_are_all_covered() -> None:
    assert set(TRIGGERS) == set(TRIGGER_KINDS) and set(STEPS) == set(STEP_KINDS)


@pytest.mark.parametrize("kind", TRIGGER_KINDS)
def test_every_trigger_round_trips(kind: str) -> None:
    doc = journey(trigger=TRIGGERS[kind])
    j = from_json(json.dumps(doc))
    assert to_builtins(j)["trigger"] == doc["trigger"]
    assert from_json(to_json(j)) == j


@pytest.mark.parametrize("kind", STEP_KINDS)
def test_every_step_round_trips(kind: str) -> None:
    doc = journey(steps=[STEPS[kind]])
    j = from_json(to_json(from_json(doc)))
    assert to_builtins(j)["steps"] == [STEPS[kind]]


def test_the_decoded_types() -> None:
    j = from_json(journey(
        steps=[STEPS[k] for k in STEP_KINDS],
        goals=[{"name": "first_deposit", "event": "payment.deposit", "window": "P7D"}],
        exit_when=["excluded = true"], reentry={"policy": "after", "cooldown": "P30D"}, holdout_percent=10))
    assert [type(s) for s in j.steps] == [Wait, WaitForEvent, Branch, Split, Send, Bonus, Tag, Task, Exit]
    assert isinstance(j.trigger, EventTrigger)
    assert j.steps[2].otherwise == "y"                                  # "else" in JSON
    assert j.steps[1].condition == {"feature": "event.amount", "op": ">=", "value": Decimal("10.50")}
    assert j.goals == (Goal(name="first_deposit", event="payment.deposit", window="P7D"),)
    assert j.reentry == Reentry(policy="after", cooldown="P30D") and j.holdout_percent == 10
    assert {type(from_json(journey(trigger=t)).trigger) for t in TRIGGERS.values()} == {
        EventTrigger, SegmentEntered, SegmentLeft, StageChanged, Schedule, DateTrigger, Once}


def test_a_decimal_in_a_json_condition_stays_exact() -> None:
    text = to_json(from_json(b'{"key":"k","name":"n","version":1,"purpose":"service",'
                             b'"trigger":{"kind":"event","event":"casino.bet",'
                             b'"condition":{"feature":"event.amount","op":">","value":100.10}},'
                             b'"steps":[{"kind":"exit","id":"e"}]}'))
    assert b'"value":100.10' in text


def test_defaults_are_left_out_of_the_json() -> None:
    assert to_builtins(from_json(journey())) == journey()


def test_the_graph_follows_the_list_where_next_is_absent() -> None:
    j = from_json(journey(steps=[
        {"kind": "send", "id": "a", "channel": "email", "template": "t"},
        {"kind": "split", "id": "s", "variants": [{"name": "x", "weight": 50, "next": "a"},
                                                  {"name": "y", "weight": 50, "next": "e"}]},
        {"kind": "wait", "id": "w", "duration": "P1D", "next": "e"},
        {"kind": "exit", "id": "e"}]))
    assert graph(j) == {"a": ("s",), "s": ("a", "e"), "w": ("e",), "e": ()}
    assert successors(j.steps[-1], None) == ()


@pytest.mark.parametrize(("doc", "path", "words"), [
    (journey(colour="red"), "$.colour", "unknown field 'colour'"),
    (journey(steps=[{**STEPS["exit"], "colour": "red"}]), "$.steps[0].colour", "unknown field 'colour'"),
    (journey(steps=[{"kind": "wait", "id": "w"}]), "$.steps[0]", "missing required field 'duration'"),
    (journey(steps=[{"kind": "sned", "id": "w"}]), "$.steps[0].kind", "unknown kind 'sned': use one of wait,"),
    (journey(trigger={"kind": "evnt"}), "$.trigger.kind", "unknown kind 'evnt': use one of event,"),
    (journey(purpose="promo"), "$.purpose", "unknown value 'promo': use one of promotional, service, safer_play"),
    (journey(version="1"), "$.version", "Expected int, got str"),
    ({**journey(), "key": None}, "$.key", "Expected str, got null"),
])
def test_shape_problems_are_located(doc: dict[str, Any], path: str, words: str) -> None:
    with pytest.raises(JourneyError) as caught:
        from_json(doc)
    problem, = caught.value.problems
    assert problem.path == path and problem.message.startswith(words), problem


def test_the_bad_value_comes_with_the_shape_problem() -> None:
    with pytest.raises(JourneyError) as caught:
        from_json(journey(steps=[{"kind": "sned", "id": "w"}]))
    assert caught.value.problems[0].value == "sned"


def test_invalid_json_is_one_problem_at_the_root() -> None:
    with pytest.raises(JourneyError) as caught:
        from_json(b'{"key": ')
    assert caught.value.problems[0].path == "$" and "not valid JSON" in caught.value.problems[0].message


# --- any journey round-trips ------------------------------------------------------------

_ids = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True)
_names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
_durations = st.one_of(st.integers(0, 10**7), st.sampled_from(["PT10M", "P7D", "P1DT12H", "P2W"]))
_conditions = st.one_of(
    st.none(), st.sampled_from(["rg.level < medium", "deposit_count_30d >= 2"]),
    st.builds(lambda v: {"feature": "deposit_sum_30d", "op": ">=", "value": v},
              st.decimals(min_value=0, max_value=10**6, places=2)))
_next = st.one_of(st.none(), _ids)
_steps = st.one_of(
    st.builds(Wait, id=_ids, duration=_durations, next=_next),
    st.builds(WaitForEvent, id=_ids, event=st.sampled_from(["payment.deposit", "casino.bet"]), timeout=_durations,
              on_event=_ids, on_timeout=_ids, condition=_conditions),
    st.builds(Branch, id=_ids, condition=_conditions.filter(lambda c: c is not None), then=_ids, otherwise=_ids),
    st.builds(Split, id=_ids, variants=st.lists(st.builds(Variant, name=_names, weight=st.integers(1, 100),
                                                          next=_ids), min_size=1, max_size=4).map(tuple)),
    st.builds(Send, id=_ids, channel=st.sampled_from(["email", "sms", "push", "inbox", "popup"]), template=_names,
              expires_after=st.one_of(st.none(), _durations), next=_next,
              purpose=st.sampled_from([None, "promotional", "service", "safer_play"]),
              personalise=st.lists(_names, max_size=2).map(tuple)),
    st.builds(Bonus, id=_ids, template=_names, next=_next, when=_conditions),
    st.builds(Tag, id=_ids, tag=_names, action=st.sampled_from(["set", "clear"]), next=_next),
    st.builds(Task, id=_ids, queue=st.sampled_from(["vip_host", "rg_officer"]), title=st.text(max_size=20),
              due_in=st.one_of(st.none(), _durations), next=_next),
    st.builds(Exit, id=_ids, outcome=st.one_of(st.none(), _names)),
)
_triggers = st.one_of(
    st.builds(EventTrigger, event=st.sampled_from(["payment.deposit", "player.registered"]), condition=_conditions),
    st.builds(SegmentEntered, segment_id=st.integers(1, 10**9), condition=_conditions),
    st.builds(SegmentLeft, segment_id=st.integers(1, 10**9)),
    st.builds(StageChanged, from_stage=st.sampled_from([None, "active"]), to_stage=st.sampled_from([None, "lapsed"])),
    st.builds(Schedule, every=st.sampled_from(["day", "week", "month"]), at=st.sampled_from(["00:00", "23:59"]),
              timezone=st.sampled_from(["UTC", "Europe/Malta"]), weekdays=st.lists(st.sampled_from(["mon", "sun"]),
                                                                                    max_size=2).map(tuple),
              month_days=st.lists(st.integers(1, 28), max_size=2).map(tuple),
              segment_id=st.one_of(st.none(), st.integers(1, 100)), condition=_conditions),
    st.builds(DateTrigger, date=st.sampled_from(["birthday", "registration_anniversary"]), at=st.just("12:00"),
              days_before=st.integers(0, 30), fallback_timezone=st.sampled_from(["UTC", "Asia/Tokyo"])),
)
_journeys = st.builds(
    Journey, key=_names, name=st.text(min_size=1, max_size=30), version=st.integers(1, 1000),
    purpose=st.sampled_from(["promotional", "service", "safer_play"]), trigger=_triggers,
    steps=st.lists(_steps, min_size=1, max_size=6).map(tuple), group=_names, priority=st.integers(0, 1000),
    description=st.text(max_size=30),
    goals=st.lists(st.builds(Goal, name=_names, event=st.just("payment.deposit"), window=_durations,
                             condition=_conditions, ends_journey=st.booleans()), max_size=2).map(tuple),
    exit_when=st.lists(_conditions.filter(lambda c: c is not None), max_size=2).map(tuple),
    reentry=st.builds(Reentry, policy=st.sampled_from(["never", "after", "always"]),
                      cooldown=st.one_of(st.none(), _durations)),
    holdout_percent=st.integers(0, 50),
)


@settings(max_examples=150, deadline=None)
@given(_journeys)
def test_any_journey_round_trips_through_json(j: Journey) -> None:
    assert from_json(to_json(j)) == j
    assert from_json(to_builtins(j)) == j
