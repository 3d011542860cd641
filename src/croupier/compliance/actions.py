"""Proposed player-facing actions and the gate's decisions about them.

A Decision can only be made by `compliance.gate.decide`: its constructor demands a private
seal, so no other code path can fabricate an "allowed" decision for the outbox.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

# Every kind of player-facing action the gate knows how to judge.
ACTION_KINDS = ("message", "bonus", "mission_enrolment", "tournament_enrolment", "reward")
# Message purposes: safer-play messages are never suppressed by RG rules.
PURPOSES = ("promotional", "transactional", "safer_play")

_SEAL = object()


def action_id(kind: str, name: str, player_id: str, cause: str) -> str:
    """Deterministic id from the action and its cause: a retried batch proposes the same id."""
    return hashlib.sha256(f"{kind}|{name}|{player_id}|{cause}".encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Proposal:
    """Something the engine would like to do for a player, before the gate has looked at it."""

    kind: str                 # one of ACTION_KINDS
    name: str                 # template, bonus template, mission or tournament name
    player_id: str
    cause_event_id: str
    purpose: str = "promotional"
    channel: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def action_id(self) -> str:
        return action_id(self.kind, self.name, self.player_id, self.cause_event_id)


class Decision:
    """The gate's verdict on a proposal, with every reason and the config version used."""

    __slots__ = ("proposal", "allowed", "reasons", "config_version", "decided_at_us", "obligations", "notes")

    def __init__(self, seal: object, proposal: Proposal, allowed: bool, reasons: tuple[str, ...],
                 config_version: str, decided_at_us: int, obligations: tuple[str, ...] = (),
                 notes: tuple[str, ...] = ()):
        if seal is not _SEAL:
            raise TypeError("only compliance.gate.decide may create a Decision")
        for name, value in (("proposal", proposal), ("allowed", allowed), ("reasons", tuple(reasons)),
                            ("config_version", config_version), ("decided_at_us", decided_at_us),
                            ("obligations", tuple(obligations)), ("notes", tuple(notes))):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        # Immutable, or any code holding a suppressed decision could flip it to "allowed".
        raise AttributeError(f"a gate Decision is immutable (tried to set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a gate Decision is immutable (tried to delete {name!r})")

    def __reduce__(self):  # noqa: ANN204 - copy/pickle would rebuild it without the seal
        raise TypeError("a gate Decision cannot be copied or pickled; ask the gate again")

    def as_dict(self) -> dict[str, Any]:
        p = self.proposal
        out = {"action_id": p.action_id, "kind": p.kind, "name": p.name, "purpose": p.purpose,
               "channel": p.channel, "player_id": p.player_id, "cause_event_id": p.cause_event_id,
               "params": p.params, "allowed": self.allowed, "reasons": list(self.reasons),
               "obligations": list(self.obligations), "config_version": self.config_version}
        if self.notes:  # what the gate let through but wants seen (e.g. no register to ask)
            out["notes"] = list(self.notes)
        return out

    def __repr__(self) -> str:
        verdict = "allowed" if self.allowed else "suppressed"
        return f"Decision({self.proposal.kind}:{self.proposal.name} {verdict} {self.reasons})"
