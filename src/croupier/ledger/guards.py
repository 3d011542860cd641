"""Protection checks beside the limits: exclusions and deposit blocks the engine folded into
the player's ProtectionState (pure; the exclusion records themselves live in protection)."""

from __future__ import annotations

from croupier.players.protection_state import ProtectionState, active_exclusions
from croupier.protection.limits_check import Refusal

BLOCKED_BY_EXCLUSION = ("deposit", "bet", "bonus_credit")


def protection_refusals(p: ProtectionState | None, kind: str, brand: str, at_us: int) -> list[Refusal]:
    if p is None:
        return []
    out = []
    if kind in BLOCKED_BY_EXCLUSION:
        for x in active_exclusions(p, at_us):
            if x.scope == "brand" and x.brand != brand:
                continue
            until = "indefinitely" if x.until_us is None else "until a later date"
            out.append(Refusal(code="excluded", message=f"Refused: the player is excluded ({x.kind}, "
                               f"scope {x.scope}, {until}); no {kind.replace('_', ' ')} may proceed.",
                               source=x.source))
    if kind == "deposit" and p.deposits_blocked:
        out.append(Refusal(code="deposits_blocked", message="Refused: deposits are blocked pending an RG review."))
    return out
