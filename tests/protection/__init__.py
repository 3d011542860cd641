"""Behaviour tests of player protection: exclusions, persons, national registers, reality checks.

Shared helpers live here so every test file can use them with a relative import. The rules
used are written out here (modelled on the presets, not read from them), so a change to a
preset's values cannot silently change what these tests prove.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

from croupier.api import Runtime
from croupier.compliance.rules import (
    DEFAULT, ExclusionRules, JurisdictionRules, RealityCheckRules,
)
from croupier.protection.registers import Policy, Register

UTC = timezone.utc


def _rules(code: str, **exclusions: Any) -> JurisdictionRules:
    reality = exclusions.pop("reality", None) or RealityCheckRules()
    return JurisdictionRules(code=code, name=code, currency="EUR", exclusions=ExclusionRules(**exclusions),
                             reality_check=reality)


RULES: dict[str, JurisdictionRules] = {
    "default": DEFAULT,
    # Sweden-like: national scope (Spelpaus), fixed periods, lifts by itself, no early end
    "SE": _rules("SE", register="SPELPAUS", scope="national", self_exclusion_periods=["P1M", "P3M", "P6M", "indefinite"],
                 timeout_periods=["P1D", "P7D"], reactivation="automatic", early_end_allowed=False,
                 reality=RealityCheckRules(interval_minutes=60)),
    # Great Britain-like: reactivation on request after a 24 h cooling-off, player-chosen reality checks
    "GB": _rules("GB", register="GAMSTOP", scope="national", self_exclusion_periods=["P6M", "P1Y", "P5Y"],
                 min_self_exclusion="P6M", timeout_periods=["P1D", "P7D", "P1M", "P6W"],
                 reactivation="on_request_after_cooling", reactivation_cooling_hours=24,
                 reality=RealityCheckRules(interval_minutes=60, player_sets_interval=True)),
    # Germany-like: the panic button, a session limit
    "DE": _rules("DE", register="OASIS", scope="national", self_exclusion_periods=["P3M", "P6M", "P1Y", "indefinite"],
                 min_self_exclusion="P3M", panic_button_hours=24, reactivation="on_request",
                 reality=RealityCheckRules(interval_minutes=30, session_limit_minutes=90)),
    # A brand-scope market: an exclusion on one brand leaves the operator's other brands open
    "XB": _rules("XB", scope="brand", self_exclusion_periods=["P1M", "P6M"], timeout_periods=["P1D"],
                 reactivation="automatic"),
    # A market that lets a self-exclusion end early
    "XE": _rules("XE", scope="operator", self_exclusion_periods=["P1M", "P6M"], timeout_periods=["P1D", "P7D"],
                 early_end_allowed=True, reactivation="on_request"),
    # Ontario-like: a register that must be asked (HTTP in the tests)
    "CA-ON": _rules("CA-ON", register="IGO_CSE", scope="national", self_exclusion_periods=["P6M", "P1Y", "P5Y"]),
}


def rules(code: str | None) -> JurisdictionRules:
    return RULES.get(code or "default") or DEFAULT


def make_runtime(db_url: str, registers: dict[str, Register] | None = None) -> Runtime:
    runtime = Runtime(db_url)
    runtime.engine.protection_policy = Policy(runtime.db, rules, dict(registers or {}))
    return runtime


def event(type_: str, player_id: str, brand: str, at: datetime | None = None, **fields: Any) -> dict[str, Any]:
    return {"event_id": f"{player_id}-{type_}-{uuid.uuid4().hex[:8]}", "type": type_, "player_id": player_id,
            "brand": brand, "occurred_at": (at or datetime.now(UTC)).isoformat(), **fields}


def registration(player_id: str, brand: str, jurisdiction: str = "SE", **fields: Any) -> dict[str, Any]:
    base = {"jurisdiction": jurisdiction, "country": jurisdiction[:2], "currency": "EUR",
            "timezone": "Europe/Stockholm", "birth_date": "1990-05-17", "email": f"{player_id}@example.com",
            "first_name": f"First{player_id}", "last_name": f"Last{player_id}",
            "consents": {"email": True, "sms": True, "push": True}}
    base.update(fields)
    return event("player.registered", player_id, brand, **{k: v for k, v in base.items() if v is not None})


def send(runtime: Runtime, *events: dict[str, Any]) -> None:
    result = runtime.ingest(json.dumps(list(events)).encode())
    assert not result.rejected, result.rejected
    assert result.processed


def same_person(runtime: Runtime, a: str = "a1", b: str = "b1", jurisdiction: str = "SE",
                brands: tuple[str, str] = ("aurora", "borealis")) -> None:
    """Two accounts of one person (same email) on two brands of the operator."""
    send(runtime, registration(a, brands[0], jurisdiction, email=f"{a}.anna@example.com"),
         registration(b, brands[1], jurisdiction, email=f"{a.upper()}.Anna@example.com "))


def now() -> datetime:
    return datetime.now(UTC)
