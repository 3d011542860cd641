"""Jurisdiction rules as data: one versioned document per jurisdiction (presets in
`compliance/presets/*.json`, sources in docs/jurisdictions.md). Everything that depends on
a market (cooling periods, exclusion scope, reality checks, bonus bans, marketing caps,
AML thresholds, retention) reads it from here, never from code."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct

PRESETS = Path(__file__).with_name("presets")
Hours = Annotated[int, Meta(ge=0, le=24 * 3660)]
Period = Literal["day", "week", "month"]


class LimitRules(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Deposit, loss, wager and session-time limits."""

    mandatory: list[Literal["deposit", "loss", "wager", "session_time"]] = msgspec.field(default_factory=list)
    # Ceilings a player may not exceed, e.g. {"deposit:month": "1000.00"} (in the rules' currency)
    ceilings: dict[str, str] = msgspec.field(default_factory=dict)
    increase_cooling_hours: Hours = 24      # an increase or removal takes effect after this
    increase_after_period_end: bool = False  # ...and not before the current period ends (SE)
    decrease_immediate: bool = True
    operator_contact_above: dict[str, str] = msgspec.field(default_factory=dict)  # e.g. {"deposit:month": "10000.00"}


class ExclusionRules(Struct, forbid_unknown_fields=True, omit_defaults=True):
    register: str | None = None             # national register: GAMSTOP, SPELPAUS, OASIS, CRUKS, ROFUS, RGIAJ, NJ_DGE
    scope: Literal["brand", "operator", "national"] = "operator"
    self_exclusion_periods: list[str] = msgspec.field(default_factory=list)  # ISO 8601 durations, "indefinite"
    min_self_exclusion: str | None = None   # ISO 8601 duration
    timeout_periods: list[str] = msgspec.field(default_factory=list)
    panic_button_hours: Hours | None = None  # DE: 24
    early_end_allowed: bool = False
    reactivation: Literal["automatic", "on_request", "on_request_after_cooling"] = "on_request"
    reactivation_cooling_hours: Hours = 24
    check_at: list[Literal["registration", "login", "deposit", "bet", "marketing"]] = msgspec.field(
        default_factory=lambda: ["registration", "login", "deposit", "bet", "marketing"])


class RealityCheckRules(Struct, forbid_unknown_fields=True, omit_defaults=True):
    interval_minutes: int | None = None     # None: no mandated interval
    player_sets_interval: bool = False
    session_limit_minutes: int | None = None


class BonusRules(Struct, forbid_unknown_fields=True, omit_defaults=True):
    allowed: bool = True
    max_wagering_multiple: int | None = None
    max_value: str | None = None            # in the rules' currency
    first_deposit_only: bool = False
    banned_for_risk_levels: list[str] = msgspec.field(default_factory=list)
    banned_under_age: int | None = None     # e.g. ES: no promotions to under-25s


class MarketingRules(Struct, forbid_unknown_fields=True, omit_defaults=True):
    consent_required: bool = True
    max_messages_per_day: int | None = None
    quiet_hours: list[int] | None = None    # [start_hour, end_hour) local time, may cross midnight
    banned: bool = False                    # no direct marketing at all
    safer_play_disclaimer: str | None = None


class AmlRules(Struct, forbid_unknown_fields=True, omit_defaults=True):
    cdd_threshold: str | None = None        # in the rules' currency
    record_retention_years: int = 5


class JurisdictionRules(Struct, forbid_unknown_fields=True, omit_defaults=True):
    code: str
    name: str
    currency: str
    min_age: int = 18
    limits: LimitRules = msgspec.field(default_factory=LimitRules)
    exclusions: ExclusionRules = msgspec.field(default_factory=ExclusionRules)
    reality_check: RealityCheckRules = msgspec.field(default_factory=RealityCheckRules)
    bonuses: BonusRules = msgspec.field(default_factory=BonusRules)
    marketing: MarketingRules = msgspec.field(default_factory=MarketingRules)
    aml: AmlRules = msgspec.field(default_factory=AmlRules)
    data_residency: str | None = None
    record_retention_years: int = 5
    # field path -> source id or note (docs/jurisdictions.md lists the sources); "⚠" marks doubt
    sources: dict[str, str] = msgspec.field(default_factory=dict)


DEFAULT = JurisdictionRules(code="default", name="Default (no jurisdiction-specific rules)", currency="EUR")


@cache
def presets() -> dict[str, JurisdictionRules]:
    """The shipped presets, by code (e.g. "SE", "GB", "CA-ON")."""
    out = {"default": DEFAULT}
    for path in sorted(PRESETS.glob("*.json")):
        rules = msgspec.json.decode(path.read_bytes(), type=JurisdictionRules)
        out[rules.code] = rules
    return out


def rules_for(code: str | None, table: dict[str, JurisdictionRules] | None = None) -> JurisdictionRules:
    """The rules of a jurisdiction (from `table`, else the presets), or the default ones."""
    table = table if table is not None else presets()
    return table.get(code or "default") or table.get("default") or DEFAULT


def to_json(rules: JurisdictionRules) -> str:
    return json.dumps(msgspec.to_builtins(rules), indent=2, ensure_ascii=False)
