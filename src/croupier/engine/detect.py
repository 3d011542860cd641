"""detect(state, event, facts): the signals an event raises for reactions to act on.

Signals are named, explained facts about a player; protection and engagement detectors
(RG markers, AML, journeys) add theirs here in later issues.
"""

from __future__ import annotations

from dataclasses import dataclass

from croupier.events import Event
from croupier.players import facts as fold
from croupier.players.state import PlayerState


@dataclass(frozen=True, slots=True)
class Signal:
    name: str
    player_id: str
    cause_event_id: str
    explanation: str


_EXPLAINED = {
    fold.REGISTERED: "player registered",
    fold.FIRST_DEPOSIT: "first approved deposit",
    fold.REACTIVATED: "activity after a lapse of at least lapsed_days",
    fold.DEPOSIT_DECLINED: "deposit declined or failed",
    fold.WITHDRAWAL_CANCELLED: "withdrawal cancelled or reversed",
}


def detect(state: PlayerState, event: Event, facts: list[str]) -> list[Signal]:
    return [Signal(fact, state.player_id, event.event_id, _EXPLAINED[fact])
            for fact in facts if fact in _EXPLAINED]
