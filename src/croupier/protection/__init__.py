"""Player protection: limits (with history and cooling periods), exclusions, registers,
reality checks, RG risk markers and interventions.

The face exports the pure rules only (limit checks, exclusion rules, markers, risk levels,
interventions), so the ledger's and the gate's pure modules can import them without pulling
in a database. The services that own SQL are imported from their own modules:
`protection.limits` (set_limit, LimitRequest, LimitError, LimitOutcome), `protection.exclusions`,
`protection.persons`, `protection.reality` and `protection.registers`."""

from croupier.protection.exclusions_rules import ExclusionRefused, may_end_early, plan_end, plan_request
from croupier.protection.interventions import review as review_rg_case
from croupier.protection.limits_check import Refusal, Usage, check_limits
from croupier.protection.markers import MARKERS, MarkerConfig
from croupier.protection.risk import LEVELS as RISK_LEVELS, level_at

__all__ = ["MARKERS", "RISK_LEVELS", "ExclusionRefused", "MarkerConfig", "Refusal", "Usage", "check_limits",
           "level_at", "may_end_early", "plan_end", "plan_request", "review_rg_case"]
