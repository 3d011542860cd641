"""Journeys in the engine's step: the event (or a journey's timer, or a schedule or date
trigger's firing) moves the player through
the live journeys (`journeys.run.advance`), reading the player's values as they are now;
sends become requests for the contact arbiter (engine.contacts) and then proposals for the
gate, bonuses proposals for the gate, tags are folded here, and what the shell
must do outside the fold (create staff tasks, write timer facts when due) goes back with
the step's result. Pure: the same log makes the same journeys, live and in replay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from croupier.compliance import Proposal
from croupier.contact import ContactRequest
from croupier.events import Event, JourneyFired, JourneyTimer
from croupier.journeys.run import (
    NOTHING, BonusAction, Fired, LiveJourneys, Outcome, SendAction, TagAction, Timer, advance, concerns,
    occurrence_of,
)
from croupier.players import PlayerState
from croupier.players.config import FeatureConfig
from croupier.players.features import feature_values
from croupier.segments.protection import protection_values


def run_journeys(state: PlayerState, event: Event, live: LiveJourneys, config: FeatureConfig, at_us: int) -> Outcome:
    """The player's journeys after `event` (mutates `state.journeys`)."""
    if isinstance(event, JourneyTimer):
        happening: Any = Timer(event.journey_key, event.entry_id, event.step_id, at_us, event.event_id)
    elif isinstance(event, JourneyFired):   # a schedule or date trigger fired for the player
        happening = Fired(event.journey_key, event.event_id)
    else:
        tag = event.__struct_config__.tag
        if not concerns(live, state.journeys, tag):
            return NOTHING
        happening = occurrence_of(event)

    return advance(live, state.journeys, happening, values_for(state, config, at_us), at_us, state.player_id,
                   segments=state.segments.keys())


def values_for(state: PlayerState, config: FeatureConfig, at_us: int) -> Callable[[frozenset[str]], dict[str, Any]]:
    """The player's values as they are now (catalogue features and protection identifiers),
    read by name when a condition is checked."""
    def values_of(names: frozenset[str]) -> dict[str, Any]:
        values = feature_values(state, at_us, config, names)
        values.update(protection_values(state, at_us, names))
        return values

    return values_of


def proposals(state: PlayerState, outcome: Outcome,
              at_us: int) -> tuple[list[tuple[ContactRequest, Proposal]], list[Proposal]]:
    """An outcome's messages (each with its contact request, for the contact arbiter) and its
    other proposals for the gate (bonuses), in order; tags are set on the state as they come."""
    messages: list[tuple[ContactRequest, Proposal]] = []
    others: list[Proposal] = []
    pid = state.player_id
    for action in outcome.actions:
        if isinstance(action, SendAction):
            messages.append((action.contact_request(pid), action.proposal(pid)))
        elif isinstance(action, BonusAction):
            others.append(action.proposal(pid))
        elif isinstance(action, TagAction):
            if action.set:
                state.tags.setdefault(action.tag, at_us)
            else:
                state.tags.pop(action.tag, None)
    return messages, others
