"""react(state, signals): the actions the engine proposes. Every one goes to the gate.

The lifecycle messages here are the engine's built-in reactions; journeys, bonuses and
missions (later issues) propose through the same function and the same gate.
"""

from __future__ import annotations

from croupier.compliance import Proposal
from croupier.engine.detect import Signal
from croupier.players.state import PlayerState

# signal name -> (message template, purpose)
LIFECYCLE_MESSAGES = {
    "registered": ("welcome", "promotional"),
    "first_deposit": ("first_deposit_thanks", "promotional"),
    "reactivated": ("welcome_back", "promotional"),
}


def react(state: PlayerState, signals: list[Signal]) -> list[Proposal]:
    proposals = []
    for signal in signals:
        message = LIFECYCLE_MESSAGES.get(signal.name)
        if message is not None:
            template, purpose = message
            proposals.append(Proposal(kind="message", name=template, player_id=state.player_id,
                                      cause_event_id=signal.cause_event_id, purpose=purpose,
                                      channel="email", params={"signal": signal.name}))
    return proposals
