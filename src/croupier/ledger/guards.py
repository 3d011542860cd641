"""Protection checks beside the limits: exclusions, deposit blocks and the AML status the
engine folded into the player's ProtectionState (pure; the records themselves live in
protection and risk)."""

from __future__ import annotations

from croupier.compliance.rules import JurisdictionRules
from croupier.players.protection_state import LimitView, ProtectionState, active_exclusions
from croupier.protection.limits_check import Refusal

BLOCKED_BY_EXCLUSION = ("deposit", "bet", "bonus_credit")
# What each AML status stops where money moves: no bonus value while the player is under
# review or restricted (as the gate suppresses bonus proposals); a blocked account is frozen.
BLOCKED_BY_AML = {"review": ("bonus_credit",), "restricted": ("bonus_credit",),
                  "blocked": ("deposit", "bet", "bonus_credit", "withdrawal")}
REASON_CODES = ("excluded", "deposits_blocked", "aml_review", "aml_restricted", "aml_blocked",
                "mandatory_limit_missing")   # the refusals these checks give (compliance.reasons)


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
    if p.aml_status != "clear" and kind in BLOCKED_BY_AML.get(p.aml_status, ()):
        out.append(Refusal(code=f"aml_{p.aml_status}",
                           message=f"Refused: the account's AML status is {p.aml_status}; no "
                                   f"{kind.replace('_', ' ')} may proceed until compliance clears it. "
                                   "Do not tell the player the reason (tipping off)."))
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
