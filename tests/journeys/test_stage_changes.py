"""The stage and RG level changes the step notices (`engine.changes`): a change time alone
made since the last fold is its own change, a late event does not take the stage back in
time, the first stage seen is no change, and a change is only handed on while a live
journey can react to it."""

from __future__ import annotations

from croupier.engine.changes import RG_LEVEL_CHANGED, STAGE_CHANGED, Watch, change_fact
from croupier.journeys.run import EMPTY, LiveJourneys
from croupier.players import LifecycleConfig, new_state
from croupier.players.state import DAY_US

T = 1_000 * DAY_US
CONFIG = LifecycleConfig()
ON_STAGES = LiveJourneys().activated({
    "key": "lapsed", "name": "Lapsed", "version": 1, "purpose": "service",
    "trigger": {"kind": "stage_changed", "to": "lapsed"}, "steps": [{"kind": "exit", "id": "done"}]})


def _depositor(last_us: int) -> object:
    state = new_state("p1")
    state.first_deposit_us, state.last_activity_us, state.last_event_us = T - 60 * DAY_US, last_us, last_us
    state.stage = "active"
    return state


def test_time_alone_is_a_change_of_its_own_before_the_event() -> None:
    state = _depositor(T - 31 * DAY_US)
    watch = Watch.before(state, T, CONFIG, "e1")
    assert [(c.kind, c.before, c.after) for c in watch.changed] == [(STAGE_CHANGED, "active", "lapsed")]
    state.last_activity_us = state.last_event_us = state.reactivated_us = T   # the event: play again
    changed = watch.after(state, T, CONFIG, "e1", ON_STAGES)
    assert [(c.before, c.after, c.cause_event_id) for c in changed or []] == \
        [("active", "lapsed", "e1"), ("lapsed", "reactivated", "e1")]
    assert state.stage == "reactivated"


def test_a_late_event_does_not_take_the_stage_back_and_nobody_listening_gets_nothing() -> None:
    state = _depositor(T)
    watch = Watch.before(state, T - 40 * DAY_US, CONFIG, "late")   # an event from long ago arrives now
    assert watch.changed == [] and state.stage == "active"
    state.protection.risk_level = "high"                            # its fold raised the RG level
    assert watch.after(state, T - 40 * DAY_US, CONFIG, "late", EMPTY) is None   # no live journey reacts
    assert [c.kind for c in watch.changed] == [RG_LEVEL_CHANGED]


def test_the_first_stage_is_no_change_and_the_fact_ids_derive_from_the_cause() -> None:
    state = new_state("p2")
    watch = Watch.before(state, T, CONFIG, "reg")
    assert watch.changed == [] and state.stage == "prospect"
    state.protection.risk_level = "medium"
    changed = watch.after(state, T, CONFIG, "reg", ON_STAGES.activated({
        "key": "safer", "name": "Safer", "version": 1, "purpose": "safer_play",
        "trigger": {"kind": "event", "event": "croupier.rg_level_changed", "condition": "event.to >= medium"},
        "steps": [{"kind": "exit", "id": "done"}]}))
    assert changed is not None and len(changed) == 1
    fact = change_fact("p2", "aurora", changed[0])
    again = change_fact("p2", "aurora", changed[0])
    assert fact.event_id == again.event_id and fact.rising and (fact.from_, fact.to) == ("none", "medium")
