"""Player protection: limits (with history and cooling periods), exclusions, registers,
reality checks, RG risk markers and interventions."""

from croupier.protection.limits import LimitError, LimitOutcome, LimitRequest, set_limit
from croupier.protection.limits_check import Refusal, Usage, check_limits

__all__ = ["LimitError", "LimitOutcome", "LimitRequest", "Refusal", "Usage", "check_limits", "set_limit"]

# Exclusions, one person many accounts, national registers, reality checks (docs/exclusions-and-registers.md)
from croupier.protection.exclusions import (  # noqa: E402
    Verdict, check_access, end_exclusion, exclusions_of, start_exclusion,
)
from croupier.protection.exclusions_rules import ExclusionRefused, may_end_early, plan_end, plan_request  # noqa: E402
from croupier.protection.persons import Identity, accounts_of_person, person_view  # noqa: E402
from croupier.protection.reality import due_reality_checks, run_reality_checks  # noqa: E402
from croupier.protection.registers import (  # noqa: E402
    FileRegister, HttpRegister, Policy, Register, RegisterHit, RegisterUnavailable, refresh_due,
)

__all__ += [
    "ExclusionRefused", "FileRegister", "HttpRegister", "Identity", "Policy", "Register", "RegisterHit",
    "RegisterUnavailable", "Verdict", "accounts_of_person", "check_access", "due_reality_checks",
    "end_exclusion", "exclusions_of", "may_end_early", "person_view", "plan_end", "plan_request",
    "refresh_due", "run_reality_checks", "start_exclusion",
]

# RG risk markers, risk levels and interventions (docs/rg-markers.md)
from croupier.protection.interventions import review as review_rg_case  # noqa: E402
from croupier.protection.markers import MARKERS, MarkerConfig  # noqa: E402
from croupier.protection.risk import LEVELS as RISK_LEVELS, level_at  # noqa: E402

__all__ += ["MARKERS", "RISK_LEVELS", "MarkerConfig", "level_at", "review_rg_case"]
