"""Player protection: limits (with history and cooling periods), exclusions, registers,
reality checks, RG risk markers and interventions."""

from croupier.protection.limits import LimitError, LimitOutcome, LimitRequest, set_limit
from croupier.protection.limits_check import Refusal, Usage, check_limits

__all__ = ["LimitError", "LimitOutcome", "LimitRequest", "Refusal", "Usage", "check_limits", "set_limit"]
