"""Protection checks beside the limits: exclusions and deposit blocks the engine folded into
the player's ProtectionState (pure; the exclusion records themselves live in protection)."""

from __future__ import annotations

from croupier.compliance.rules import JurisdictionRules
from croupier.players.protection_state import LimitView, ProtectionState, active_exclusions
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


def mandatory_refusals(rules: JurisdictionRules, in_force: dict[str, LimitView], kind: str) -> list[Refusal]:
    """Where the jurisdiction makes a limit mandatory before play (e.g. Sweden's deposit
    limit), deposits and bets wait until the player has set one."""
    if kind not in ("deposit", "bet") or not getattr(rules.limits, "set_before_play", False):
        return []
    missing = [k for k in rules.limits.mandatory if not any(v.kind == k for v in in_force.values())]
    return [Refusal(code="mandatory_limit_missing", limit=k,
                    message=f"Refused: {rules.name} requires a {k.replace('_', ' ')} limit before play; "
                            f"the player has not set one (POST /v1/players/{{player_id}}/limits).")
            for k in missing]
