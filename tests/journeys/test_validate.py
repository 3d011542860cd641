"""Validation of a whole journey: every rule, each problem at its JSON path with the value
found there; problems inside conditions keep their position (line and column of the text,
or the JSON path inside the condition's tree); every problem at once."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from croupier.journeys import JourneyError, Problem, from_json, load, problems, validate
from croupier.segments import Identifier

# A valid journey touching every part; each case below breaks one thing in a copy of it.
VALID: dict[str, Any] = {
    "key": "welcome", "name": "Welcome", "version": 1, "purpose": "promotional", "group": "onboarding",
    "priority": 10, "holdout_percent": 10,
    "trigger": {"kind": "event", "event": "player.registered", "condition": "rg.level < medium"},
    "steps": [
        {"kind": "send", "id": "hello", "channel": "email", "template": "welcome",
         "personalise": ["favourite_category_30d"]},
        {"kind": "wait", "id": "wait-1d", "duration": "P1D"},
        {"kind": "wait_for_event", "id": "deposit", "event": "payment.deposit", "condition": 'event.status = "approved"',
         "timeout": "P2D", "on_event": "done", "on_timeout": "test"},
        {"kind": "split", "id": "test", "variants": [{"name": "bonus", "weight": 60, "next": "check"},
                                                     {"name": "control", "weight": 40, "next": "done"}]},
        {"kind": "branch", "id": "check", "condition": "excluded = false", "then": "offer", "else": "done"},
        {"kind": "bonus", "id": "offer", "template": "first_deposit_match"},
        {"kind": "send", "id": "popup", "channel": "popup", "template": "offer", "expires_after": "PT15M"},
        {"kind": "tag", "id": "tagged", "tag": "offered"},
        {"kind": "task", "id": "call", "queue": "retention", "title": "Call the player", "due_in": "P1D"},
        {"kind": "exit", "id": "done", "outcome": "finished"},
    ],
    "goals": [{"name": "first_deposit", "event": "payment.deposit", "condition": 'event.status = "approved"',
               "window": "P7D"}],
    "exit_when": ["excluded = true", {"feature": "rg.level", "op": ">=", "value": "medium"}],
    "reentry": {"policy": "after", "cooldown": "P30D"},
}


def broken(change: Callable[[dict[str, Any]], None]) -> list[Problem]:
    doc = copy.deepcopy(VALID)
    change(doc)
    return problems(from_json(doc))


def step(i: int, **fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["steps"][i].update(fields)


def top(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d.update(fields)


def trigger(t: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return lambda d: d.update(trigger=t)


def test_the_valid_journey_is_valid() -> None:
    assert problems(from_json(VALID)) == []
    assert load(VALID) == from_json(VALID)


CASES: list[tuple[str, Callable[[dict[str, Any]], None], str, str, Any]] = [
    # identity
    ("key", top(key="Welcome Journey"), "$.key", "is not a valid name", "Welcome Journey"),
    ("key with a line break", top(key="welcome\n"), "$.key", "is not a valid name", "welcome\n"),
    ("name", top(name="  "), "$.name", "1 to 200 characters", "  "),
    ("version", top(version=0), "$.version", "versions count from 1", 0),
    ("group", top(group="On Boarding"), "$.group", "is not a valid name", "On Boarding"),
    ("priority", top(priority=1001), "$.priority", "out of bounds: use 0 to 1000", 1001),
    ("holdout high", top(holdout_percent=51), "$.holdout_percent", "use 0 to 50 %", 51),
    ("holdout negative", top(holdout_percent=-1), "$.holdout_percent", "use 0 to 50 %", -1),
    # triggers
    ("unknown event", trigger({"kind": "event", "event": "player.registred"}), "$.trigger.event",
     "unknown event type 'player.registred'; did you mean 'player.registered'", "player.registred"),
    ("protective trigger", trigger({"kind": "event", "event": "croupier.limit_set"}), "$.trigger.event",
     "a promotional journey must not react to it", "croupier.limit_set"),
    ("segment id", trigger({"kind": "segment_entered", "segment_id": 0}), "$.trigger.segment_id",
     "ids are whole numbers from 1", 0),
    ("stage", trigger({"kind": "stage_changed", "to": "lapse"}), "$.trigger.to", "unknown lifecycle stage 'lapse'",
     "lapse"),
    ("stage same", trigger({"kind": "stage_changed", "from": "active", "to": "active"}), "$.trigger.to",
     "never changes to itself", "active"),
    ("schedule time", trigger({"kind": "schedule", "every": "day", "at": "24:00", "timezone": "UTC",
                               "segment_id": 4}), "$.trigger.at", "not a time of day", "24:00"),
    ("schedule zone", trigger({"kind": "schedule", "every": "day", "at": "09:00", "timezone": "Europe/Malte",
                               "segment_id": 4}), "$.trigger.timezone",
     "unknown time zone 'Europe/Malte'", "Europe/Malte"),
    ("schedule weekday", trigger({"kind": "schedule", "every": "week", "at": "09:00", "timezone": "UTC",
                                  "weekdays": ["mon", "monday"], "segment_id": 4}), "$.trigger.weekdays[1]",
     "unknown weekday 'monday'", "monday"),
    ("schedule month day", trigger({"kind": "schedule", "every": "month", "at": "09:00", "timezone": "UTC",
                                    "month_days": [31], "segment_id": 4}), "$.trigger.month_days[0]",
     "not in every month", 31),
    ("schedule weekdays needed", trigger({"kind": "schedule", "every": "week", "at": "09:00", "timezone": "UTC",
                                          "segment_id": 4}), "$.trigger.weekdays", "every week needs \"weekdays\"", None),
    ("schedule weekday twice", trigger({"kind": "schedule", "every": "week", "at": "09:00", "timezone": "UTC",
                                        "weekdays": ["mon", "mon"], "segment_id": 4}), "$.trigger.weekdays",
     "a weekday is listed twice", ["mon", "mon"]),
    ("schedule month days on a week", trigger({"kind": "schedule", "every": "week", "at": "09:00", "timezone": "UTC",
                                               "weekdays": ["mon"], "month_days": [1], "segment_id": 4}),
     "$.trigger.month_days", "applies to every month only, not every week", [1]),
    ("schedule month day twice", trigger({"kind": "schedule", "every": "month", "at": "09:00", "timezone": "UTC",
                                          "month_days": [1, 1], "segment_id": 4}), "$.trigger.month_days",
     "a day is listed twice", [1, 1]),
    ("schedule audience", trigger({"kind": "schedule", "every": "day", "at": "09:00", "timezone": "UTC"}),
     "$.trigger", "a schedule needs an audience", None),
    ("date", trigger({"kind": "date", "date": "name_day", "at": "10:00"}), "$.trigger.date",
     "unknown date 'name_day'", "name_day"),
    ("date days before", trigger({"kind": "date", "date": "birthday", "at": "10:00", "days_before": 40}),
     "$.trigger.days_before", "use 0 to 30", 40),
    # steps
    ("duplicate id", step(1, id="hello"), "$.steps[1].id", "is used twice (first by $.steps[0])", "hello"),
    ("bad id", step(1, id="Wait 1 Day"), "$.steps[1].id", "is not a valid name", "Wait 1 Day"),
    ("unknown next", step(1, next="wiat-2d"), "$.steps[1].next", "no step has the id 'wiat-2d'", "wiat-2d"),
    ("unknown branch target", step(4, **{"else": "dome"}), "$.steps[4].else", "did you mean 'done'", "dome"),
    ("unknown timeout target", step(2, on_timeout="tset"), "$.steps[2].on_timeout", "no step has the id", "tset"),
    ("wait too short", step(1, duration=30), "$.steps[1].duration", "30 seconds is out of bounds", 30),
    ("wait too long", step(1, duration="P400D"), "$.steps[1].duration", "use 1 minute to 365 days", "P400D"),
    ("wait in months", step(1, duration="P1M"), "$.steps[1].duration", "counts months or years", "P1M"),
    ("not a duration", step(1, duration="1 day"), "$.steps[1].duration", "is not an ISO 8601 duration", "1 day"),
    ("timeout", step(2, timeout="P100D"), "$.steps[2].timeout", "use 1 minute to 90 days", "P100D"),
    ("wait event", step(2, event="payment.deposited"), "$.steps[2].event", "unknown event type",
     "payment.deposited"),
    ("split weights", lambda d: d["steps"][3]["variants"][1].update(weight=30), "$.steps[3].variants",
     "the weights sum to 90, not 100", [60, 30]),
    ("split weight bounds", lambda d: (d["steps"][3]["variants"][0].update(weight=100),
                                       d["steps"][3]["variants"][1].update(weight=0)), "$.steps[3].variants[1].weight",
     "1 to 100 percent", 0),
    ("split variant names", lambda d: d["steps"][3]["variants"][1].update(name="bonus"),
     "$.steps[3].variants[1].name", "named twice", "bonus"),
    ("split one variant", lambda d: d["steps"][3].update(variants=[{"name": "all", "weight": 100, "next": "check"}]),
     "$.steps[3].variants", "a split needs 2 to 10 variants", 1),
    ("channel", step(0, channel="whatsapp"), "$.steps[0].channel", "unknown channel 'whatsapp'", "whatsapp"),
    ("template", step(0, template="Welcome Mail"), "$.steps[0].template", "is not a valid name", "Welcome Mail"),
    ("expires", step(6, expires_after="P31D"), "$.steps[6].expires_after", "use 1 minute to 30 days", "P31D"),
    ("personalise", step(0, personalise=["favourite_category"]), "$.steps[0].personalise[0]",
     "unknown feature 'favourite_category'", "favourite_category"),
    ("personalise protection", step(0, personalise=["rg.level"]), "$.steps[0].personalise[0]",
     "rg.level is protection or risk state: it is never passed to a message template", "rg.level"),
    ("safer-play message in a promotion", step(0, purpose="safer_play"), "$.steps[0].purpose",
     "only a safer_play journey sends it", "safer_play"),
    ("step condition", step(6, when="days_since_last_deposit >= seven"), "$.steps[6].when",
     'days_since_last_deposit is a number of days: "seven" is not a number', "days_since_last_deposit >= seven"),
    ("queue", step(8, queue="vip"), "$.steps[8].queue", "unknown task queue 'vip'", "vip"),
    ("task title", step(8, title=""), "$.steps[8].title", "1 to 200 characters", ""),
    ("task due", step(8, due_in="PT30S"), "$.steps[8].due_in", "use 1 minute to 90 days", "PT30S"),
    ("tag", step(7, tag="Offered!"), "$.steps[7].tag", "is not a valid name", "Offered!"),
    ("outcome", step(9, outcome="Done!"), "$.steps[9].outcome", "is not a valid name", "Done!"),
    # goals, exits, re-entry
    ("goal event", lambda d: d["goals"][0].update(event="deposit"), "$.goals[0].event", "unknown event type",
     "deposit"),
    ("goal window", lambda d: d["goals"][0].update(window="PT5M"), "$.goals[0].window", "use 1 hour to 365 days",
     "PT5M"),
    ("goal name twice", lambda d: d["goals"].append(dict(d["goals"][0])), "$.goals[1].name", "named twice",
     "first_deposit"),
    ("cooldown missing", top(reentry={"policy": "after"}), "$.reentry.cooldown", "needs a \"cooldown\"", None),
    ("cooldown unused", top(reentry={"policy": "never", "cooldown": "P1D"}), "$.reentry.cooldown",
     "applies to the policy \"after\" only", "P1D"),
    ("cooldown bounds", top(reentry={"policy": "after", "cooldown": "PT5M"}), "$.reentry.cooldown",
     "use 1 hour to 3650 days", "PT5M"),
]


@pytest.mark.parametrize(("change", "path", "words", "value"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_rule_is_reported_at_its_path(change: Callable[[dict[str, Any]], None], path: str, words: str,
                                           value: Any) -> None:
    found = broken(change)
    assert [p.path for p in found] == [path], found
    assert words in found[0].message, found[0].message
    if value is not None:
        assert found[0].value == value


def test_a_last_step_without_next_falls_off_the_end() -> None:
    found = broken(lambda d: (d["steps"].append({"kind": "tag", "id": "late", "tag": "x"}),
                              d["steps"][8].update(next="late")))
    problem, = found
    assert problem.path == "$.steps[10]" and "would fall off its end" in problem.message and problem.value == "late"


def test_the_flow_is_checked_once_every_step_id_is_known() -> None:
    # A mistyped id would also leave its intended target unreachable: only the id is reported.
    assert [p.path for p in broken(step(4, then="ofer"))] == ["$.steps[4].then"]


def test_unreachable_steps() -> None:
    found = broken(step(4, then="done"))                                    # nothing leads to "offer" any more
    assert [(p.path, p.value) for p in found] == [("$.steps[5]", "offer"), ("$.steps[6]", "popup"),
                                                   ("$.steps[7]", "tagged"), ("$.steps[8]", "call")]
    assert all("unreachable" in p.message for p in found)


def test_a_loop_without_a_wait_is_refused_and_a_loop_with_one_is_not() -> None:
    found = broken(step(8, next="check"))                                   # call -> check -> offer -> ... -> call
    assert [p.path for p in found] == ["$.steps[4]"]
    assert "form a loop without a wait" in found[0].message
    assert found[0].value == ["check", "offer", "popup", "tagged", "call"]
    assert broken(lambda d: d["steps"][8].update(next="wait-1d")) == []     # the loop goes through a wait


def test_a_step_that_loops_onto_itself() -> None:
    found = broken(step(7, next="tagged"))
    loops = [p for p in found if "loop without a wait" in p.message]
    assert [p.path for p in loops] == ["$.steps[7]"]


def test_no_exit_reachable() -> None:
    # Every path from the split loops back through the wait: no way out, though no loop is instant.
    def change(d: dict[str, Any]) -> None:
        d["steps"][2].update(on_event="wait-1d")
        d["steps"][3]["variants"][1].update(next="wait-1d")
        d["steps"][4].update({"else": "wait-1d"})
        d["steps"][8].update(next="wait-1d")
    found = broken(change)
    assert [p.path for p in found] == ["$.steps[9]", "$.steps[0]"]
    assert "unreachable" in found[0].message
    assert found[1].message.startswith("no exit can be reached from the steps 'hello', 'wait-1d', 'deposit'")
    no_exit = broken(lambda d: d["steps"].__setitem__(9, {"kind": "tag", "id": "done", "tag": "x", "next": "hello"}))
    assert any(p.path == "$.steps" and "no exit step" in p.message for p in no_exit)


def test_a_safer_play_journey_sends_no_promotion_and_proposes_no_bonus() -> None:
    found = broken(lambda d: (d.update(purpose="safer_play", holdout_percent=0),
                              d["steps"][0].update(purpose="promotional")))
    assert [(p.path, p.value) for p in found] == [("$.steps[0].purpose", "promotional"),
                                                   ("$.steps[5]", "first_deposit_match")]
    assert "safer-play journey sends no promotions" in found[0].message
    assert "a bonus is a promotion" in found[1].message
    assert [p.path for p in broken(top(purpose="safer_play"))] == ["$.holdout_percent", "$.steps[5]"]
    service = broken(lambda d: (d.update(purpose="service"), d["steps"].pop(5), d["steps"][4].update(then="popup")))
    assert service == []


def test_a_safer_play_journey_may_react_to_protective_events() -> None:
    doc = copy.deepcopy(VALID)
    doc.update(purpose="safer_play", holdout_percent=0, trigger={"kind": "event", "event": "croupier.limit_set",
                                                                 "condition": 'event.change = "decrease"'})
    doc["steps"] = [{"kind": "send", "id": "tools", "channel": "inbox", "template": "safer_play_tools"},
                    {"kind": "exit", "id": "done"}]
    assert problems(from_json(doc)) == []


def test_text_conditions_keep_line_and_column() -> None:
    found = broken(trigger({"kind": "event", "event": "player.registered",
                            "condition": "excluded = false and\n  rg.level < meduim"}))
    problem, = found
    assert (problem.path, problem.line, problem.column) == ("$.trigger.condition", 2, 14)
    assert "did you mean 'medium'" in problem.message and problem.suggestions == ("medium",)
    assert str(problem).startswith("$.trigger.condition (line 2, column 14): unknown value 'meduim'")


def test_json_conditions_extend_the_path() -> None:
    found = broken(lambda d: d["exit_when"].__setitem__(1, {"all": [
        {"feature": "excluded", "op": "=", "value": True},
        {"feature": "rg.levl", "op": ">=", "value": "medium"}]}))
    problem, = found
    assert problem.path == "$.exit_when[1].all[1].feature" and problem.value == "rg.levl"
    assert "did you mean 'rg.level'" in problem.message


def test_syntax_errors_in_conditions_are_located() -> None:
    problem, = broken(step(4, condition="excluded = false and"))
    assert (problem.path, problem.line, problem.column) == ("$.steps[4].condition", 1, 21)
    assert "ends too early" in problem.message


def test_event_fields_are_read_where_an_event_is() -> None:
    assert broken(step(4, condition="event.amount > 5"))[0].message.startswith(
        "event.amount reads an event: event fields may be read in the conditions of an event trigger")
    problem, = broken(lambda d: d["goals"][0].update(condition='event.stauts = "approved"'))
    assert problem.path == "$.goals[0].condition"
    assert problem.message.startswith("payment.deposit has no field 'stauts': its fields are event.amount,")
    problem, = broken(step(2, condition='event.status = "aproved"'))
    assert "did you mean 'approved'" in problem.message
    # With an unknown event type, only the type is reported, not each of its fields.
    found = broken(trigger({"kind": "event", "event": "payment.deposti", "condition": 'event.status = "approved"'}))
    assert [p.path for p in found] == ["$.trigger.event"]


def test_every_problem_at_once_in_json_order() -> None:
    def change(d: dict[str, Any]) -> None:
        d.update(key="Bad Key", priority=-1)
        d["trigger"]["event"] = "nope"
        d["steps"][0]["channel"] = "fax"
        d["steps"][3]["variants"][0]["weight"] = 10
        d["reentry"] = {"policy": "after"}
    found = broken(change)
    assert [p.path for p in found] == ["$.key", "$.priority", "$.trigger.event", "$.steps[0].channel",
                                       "$.steps[3].variants", "$.reentry.cooldown"]
    with pytest.raises(JourneyError) as caught:
        d = copy.deepcopy(VALID)
        change(d)
        validate(from_json(d))
    assert caught.value.problems == found and str(caught.value).startswith("$.key: the key 'Bad Key'")


def test_planned_event_types_are_accepted() -> None:
    assert broken(trigger({"kind": "event", "event": "frontend.deposit_started",
                           "condition": "event.amount >= 20"})) == []


def test_a_vocabulary_can_be_given() -> None:
    doc = copy.deepcopy(VALID)
    doc["steps"][4]["condition"] = "operator_loyalty_score >= 14"        # a feature the catalogue has not
    assert [p.path for p in problems(from_json(doc))] == ["$.steps[4].condition"]
    from croupier.segments import default_vocabulary
    vocab = {**default_vocabulary(), "operator_loyalty_score": Identifier("operator_loyalty_score", "integer")}
    assert problems(from_json(doc), vocab) == []


def test_conflicts_between_journeys_switched_on_together() -> None:
    from croupier.journeys import conflicts, template, templates

    assert conflicts(list(templates().values())) == []
    welcome = template("welcome")
    tied = from_json({**copy.deepcopy(VALID), "key": "welcome_b", "group": "onboarding", "priority": 50})
    service = from_json({**copy.deepcopy(VALID), "key": "kyc", "purpose": "service", "group": "onboarding",
                         "priority": 50, "steps": [{"kind": "exit", "id": "done"}], "goals": []})
    found = conflicts([welcome, service, tied, welcome])
    assert [(p.path, p.value) for p in found] == [("$[2].priority", 50), ("$[3].key", "welcome")]
    assert "'welcome_b' and 'welcome' are both promotional in group 'onboarding' with priority 50" in found[0].message
