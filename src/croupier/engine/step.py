"""One event through the functional core: apply -> detect -> react -> gate."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from croupier.compliance import Decision, decide
from croupier.engine.detect import Signal, detect
from croupier.engine.react import react
from croupier.events import Event
from croupier.players import REBUILD, EngineConfig, PlayerState, apply, micros, rebuild


@dataclass(slots=True)
class StepResult:
    state: PlayerState
    facts: list[str]
    signals: list[Signal]
    decisions: list[Decision]


def step(state: PlayerState, event: Event, seq: int, received_us: int, config: EngineConfig,
         history: Callable[[], Iterable[tuple[int, Event]]]) -> StepResult:
    """Process one event. `history` yields the player's log up to `seq` and is only called
    when the state must be refolded (a rollback, a registration that arrives after play)."""
    facts = apply(state, event, seq, config.features)
    if REBUILD in facts:
        state = rebuild(state.player_id, history(), config.features)
    signals = detect(state, event, facts)
    decisions = []
    if signals:
        event_us = micros(event.occurred_at)
        decisions = [decide(p, state, config, received_us, event_us) for p in react(state, signals)]
    return StepResult(state, facts, signals, decisions)
