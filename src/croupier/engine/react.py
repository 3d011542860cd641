"""react(state, signals): the actions the engine proposes. Every one goes to the gate.

The lifecycle messages here are the engine's built-in reactions; journeys, bonuses and
missions (later issues) propose through the same function and the same gate. RG
interventions propose safer-play messages (the gate never suppresses those by RG rules):
the intervention itself (paused promotions, forced reality checks, a case, blocked
deposits) is already in the state, folded by protection.interventions.
"""

from __future__ import annotations

from croupier.compliance import Proposal
from croupier.engine.detect import Signal
from croupier.events import format_amount
from croupier.players.state import PlayerState
from croupier.protection.interventions import MESSAGES, suggested_deposit_limit

# signal name -> (message template, purpose). In a market with a national register the gate
# holds these while the register check is pending (register_check_pending); the register's
# clear answer raises the signal again, caused by the answer's fact (so an action id of its own).
LIFECYCLE_MESSAGES = {
    "registered": ("welcome", "promotional"),
    "first_deposit": ("first_deposit_thanks", "promotional"),
    "reactivated": ("welcome_back", "promotional"),
}


def _channel(state: PlayerState) -> str:
    """Safer-play messages go where the player can be reached (they need no marketing consent)."""
    if state.profile.get("email"):
        return "email"
    if state.profile.get("phone"):
        return "sms"
    return "push"


def rg_proposal(state: PlayerState, signal: Signal) -> Proposal | None:
    view = next((v for v in reversed(state.protection.interventions)
                 if v.cause_event_id == signal.cause_event_id and v.kind == signal.detail), None)
    if view is None:
        return None
    params = {"intervention": view.kind, "variant": view.variant, "level": view.level,
              "markers": list(view.markers), "explanation": signal.explanation}
    if view.kind in ("soft", "firm"):
        limit = suggested_deposit_limit(state, view.at_us)
        if limit is not None and state.currency:
            params["suggested_limit"] = {"kind": "deposit", "period": "week", "currency": state.currency,
                                         "amount": format_amount(limit, state.currency)}
    if view.kind == "firm":
        params.update(promotions_paused=True, reality_check_forced=True, limit_required=True)
    if view.kind == "hard_stop":
        params["deposits_blocked"] = True
    return Proposal(kind="message", name=MESSAGES[view.kind], player_id=state.player_id,
                    cause_event_id=signal.cause_event_id, purpose="safer_play",
                    channel=_channel(state), params=params)


def react(state: PlayerState, signals: list[Signal]) -> list[Proposal]:
    proposals = []
    for signal in signals:
        if signal.name == "rg_intervention":
            proposal = rg_proposal(state, signal)
            if proposal is not None:
                proposals.append(proposal)
            continue
        message = LIFECYCLE_MESSAGES.get(signal.name)
        if message is not None:
            template, purpose = message
            proposals.append(Proposal(kind="message", name=template, player_id=state.player_id,
                                      cause_event_id=signal.cause_event_id, purpose=purpose,
                                      channel="email", params={"signal": signal.name}))
    return proposals
