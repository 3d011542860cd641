"""One event through the functional core: apply -> detect -> react -> gate; a live journey's
messages pass the contact arbiter before the gate (engine.contacts)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from croupier.compliance import Decision, Proposal, decide, record_sent
from croupier.compliance.rules import RulesInForce, rules_in_force
from croupier.engine.changes import Changed, Watch
from croupier.engine.contacts import ContactNote, due, feedback, settle
from croupier.engine.detect import Signal, detect
from croupier.engine.react import react
from croupier.events import ROLLBACKABLE, ContactDue, Event, MessageFeedback, Rollback
from croupier.players import EngineConfig, PlayerState, apply, facts as fact, micros, rebuild, undo
from croupier.engine.journeys import proposals as journey_proposals, run_journeys, values_for
from croupier.journeys.run import EMPTY as NO_JOURNEYS, LiveJourneys, Outcome
from croupier.segments.live import EMPTY, Change, LiveSegments, rg_mark, update as update_segments


class PlayerLog(Protocol):
    """Read access to the log for the rare steps that need more than the current event."""

    def history(self, player_id: str, up_to_seq: int) -> Iterable[tuple[int, Event]]: ...

    def find(self, player_id: str, event_id: str, before_seq: int) -> tuple[int, Event] | None: ...


@dataclass(slots=True)
class StepResult:
    state: PlayerState
    facts: list[str]
    signals: list[Signal]
    decisions: list[Decision]
    undone: Event | None = None   # the event a rollback reverted
    at_us: int = 0                # the event's occurred_at in microseconds
    segments: list[Change] | None = None   # live segments entered or left
    journeys: Outcome | None = None        # what the live journeys did (tasks and timers are the shell's)
    contacts: list[ContactNote] | None = None   # messages the contact arbiter held or dropped
    changed: list[Changed] | None = None   # stage and RG level changes for the log (engine.changes)


def step(state: PlayerState, event: Event, seq: int, received_us: int, config: EngineConfig,
         log: PlayerLog, rules: RulesInForce | None = None, live: LiveSegments = EMPTY,
         journeys: LiveJourneys = NO_JOURNEYS) -> StepResult:
    """Process one event; the log is only read for rollbacks and late registrations.
    `rules` is `rules_in_force(config)`, which the engine builds once per configuration
    version rather than once per event; `live` and `journeys` the segments and journeys
    live at this log position."""
    if rules is None:
        rules = rules_in_force(config)
    at_us = micros(event.occurred_at)
    segments = bool(live or state.segments)
    mark = rg_mark(state) if segments else None
    watch = Watch.before(state, at_us, config.features.lifecycle, event.event_id)
    facts = apply(state, event, seq, config.features, at_us, rules)
    if not facts:  # most events (bets, wins, logins) change features and nothing else
        changes = (update_segments(state, live, event.__struct_config__.tag, False, at_us, event.event_id,
                                   config.features, rg_mark(state) != mark) if segments else None)
        changed = watch.after(state, at_us, config.features.lifecycle, event.event_id, journeys)
        if isinstance(event, ContactDue):   # a held message's wait ended: ask the arbiter again
            decisions, notes = due(state, event, config, journeys, values_for(state, config.features, at_us),
                                   received_us, at_us)
            return StepResult(state, facts, [], decisions, None, at_us, changes or None, None, notes or None,
                              changed)
        if isinstance(event, MessageFeedback):
            feedback(state, event)
        if not (journeys or state.journeys):
            return StepResult(state, facts, [], [], None, at_us, changes or None, None, None, changed)
        outcome = run_journeys(state, event, journeys, config.features, at_us)
        decisions, notes = _journey_decided(state, outcome, config, received_us, at_us, event.event_id)
        return StepResult(state, facts, [], decisions, None, at_us, changes or None, outcome or None, notes or None,
                          changed)
    undone = None
    if fact.ROLLBACK in facts:
        assert isinstance(event, Rollback)
        found = log.find(state.player_id, event.ref_event_id, seq)
        if found is None:
            state.unmatched_rollbacks += 1   # it may still arrive; apply will skip it then
        elif found[1].__struct_config__.tag in ROLLBACKABLE:
            target_seq, undone = found
            if not undo(state, undone, target_seq, config.features):
                facts.append(fact.REBUILD)
    if fact.REBUILD in facts:
        state = rebuild(state.player_id, log.history(state.player_id, seq), config.features, rules, previous=state)
    changes = update_segments(state, live, event.__struct_config__.tag, True, at_us, event.event_id, config.features) \
        if segments else None
    changed = watch.after(state, at_us, config.features.lifecycle, event.event_id, journeys)
    outcome = run_journeys(state, event, journeys, config.features, at_us) if journeys or state.journeys else None
    signals = detect(state, event, facts)
    decisions = _decided(state, react(state, signals), config, received_us, at_us) if signals else []
    notes: list[ContactNote] = []
    if outcome:
        made, notes = _journey_decided(state, outcome, config, received_us, at_us, event.event_id)
        decisions += made
    return StepResult(state, facts, signals, decisions, undone, at_us, changes or None, outcome or None,
                      notes or None, changed)


def _journey_decided(state: PlayerState, outcome: Outcome, config: EngineConfig, received_us: int, at_us: int,
                     cause_id: str) -> tuple[list[Decision], list[ContactNote]]:
    """The journeys' messages through the contact arbiter and then the gate (settled
    together), their bonuses through the gate; what the arbiter held or dropped, as notes."""
    if not outcome.actions:
        return [], []
    messages, others = journey_proposals(state, outcome, at_us)
    decisions, notes = settle(state, messages, config, received_us, at_us, cause_id)
    return decisions + _decided(state, others, config, received_us, at_us), notes


def _decided(state: PlayerState, proposals: Iterable[Proposal], config: EngineConfig, received_us: int,
             at_us: int) -> list[Decision]:
    """The gate's decision on each proposal, in order."""
    decisions = []
    for proposal in proposals:
        decision = decide(proposal, state, config, received_us, at_us)
        record_sent(state, decision)   # daily caps count what was let through
        decisions.append(decision)
    return decisions
