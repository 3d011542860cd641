"""No tipping off: staff who may not see a player's AML status (no `aml.view`) must not learn it
from the gate's reasons either. Where decisions are shown to them (the player's decisions,
"why did player X receive / not receive Y", what a proposed configuration would change in
shadow), an AML reason reads as a neutral hold. The audit
log keeps the true reasons; staff with `aml.view` and a regulator's export see them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

AML_REASONS = frozenset({"aml_review", "aml_restricted", "aml_blocked"})
AML_FACTS = frozenset({"croupier.aml_status_changed"})   # on a player's timeline
NEUTRAL_HOLD = "compliance_hold"
REASON_CODES = (NEUTRAL_HOLD,)   # the code staff without aml.view see (compliance.reasons)


def neutral_reasons(reasons: Iterable[str]) -> list[str]:
    """The reasons with every AML one replaced by `compliance_hold` (once, where the first was)."""
    out: list[str] = []
    for reason in reasons:
        shown = NEUTRAL_HOLD if reason in AML_REASONS else reason
        if shown not in out or shown != NEUTRAL_HOLD:
            out.append(shown)
    return out


def decision_for_viewer(decision: dict[str, Any], sees_aml: bool) -> dict[str, Any]:
    """A decision (as recorded in the audit log) as this viewer may see it; a copy when masked."""
    reasons = decision.get("reasons") or []
    if sees_aml or not any(r in AML_REASONS for r in reasons):
        return decision
    return {**decision, "reasons": neutral_reasons(reasons)}


def timeline_for_viewer(events: list[dict[str, Any]], sees_aml: bool) -> list[dict[str, Any]]:
    """A player's timeline without the AML status facts, for a viewer without `aml.view`."""
    return events if sees_aml else [e for e in events if e.get("type") not in AML_FACTS]


def shadow_for_viewer(findings: Any, sees_aml: bool) -> Any:
    """A shadow run's findings (nested lists and dicts, decisions with `reasons` for the live
    and the proposed side) with every AML reason neutral for a viewer without `aml.view`."""
    if sees_aml or findings is None:
        return findings
    if isinstance(findings, dict):
        return {k: neutral_reasons(v) if k == "reasons" and isinstance(v, list) else shadow_for_viewer(v, False)
                for k, v in findings.items()}
    if isinstance(findings, list):
        return [shadow_for_viewer(v, False) for v in findings]
    return findings
