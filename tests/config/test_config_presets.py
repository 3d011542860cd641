"""The shipped jurisdiction presets: every one loads, validates as a configuration
document, has a source (or a ⚠ note) for its key values, and says what the sources say."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from croupier.compliance import document
from croupier.compliance.rules import PRESETS, presets, rules_for

CODES = ["GB", "SE", "DE", "NL", "CA-ON", "DK", "ES", "MT", "US-NJ"]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "jurisdictions.md"


def test_every_preset_loads_and_validates_as_a_document() -> None:
    table = presets()
    assert set(CODES) <= set(table)
    raw = {"jurisdictions": {code: json.loads(p.read_text()) for code, p in
                             ((json.loads(p.read_text())["code"], p) for p in PRESETS.glob("*.json"))}}
    doc = document.parse_document(raw)  # the same checks a proposal gets: formats, durations, source paths
    assert sorted(doc.jurisdictions) == sorted(CODES)
    for code in CODES:
        assert doc.jurisdictions[code] == table[code]


@pytest.mark.parametrize("code", CODES)
def test_each_preset_names_its_sources_and_marks_doubt(code: str) -> None:
    rules = presets()[code]
    assert rules.regulator and rules.reviewed
    for path in ("min_age", "exclusions.register", "aml.record_retention_years", "data_residency"):
        assert path in rules.sources, f"{code}: no source for {path}"
    assert all(note.strip() for note in rules.sources.values())


def test_key_values_match_the_sources() -> None:
    se, de, on, nj, es = (rules_for(c) for c in ("SE", "DE", "CA-ON", "US-NJ", "ES"))
    # Sweden: increases after 72 hours AND not before the current period ends; Spelpaus
    assert se.limits.increase_cooling_hours == 72 and se.limits.increase_after_period_end
    assert se.limits.mandatory == ["deposit"] and se.exclusions.register == "SPELPAUS"
    assert se.exclusions.self_exclusion_periods == ["P1M", "P3M", "P6M", "indefinite"]
    assert se.exclusions.indefinite_min == "P12M" and not se.exclusions.early_end_allowed
    # Germany: 24h panic button, OASIS, EUR 1,000 a month across operators, 7-day increases
    assert de.exclusions.panic_button_hours == 24 and de.exclusions.register == "OASIS"
    assert de.limits.ceilings == {"deposit:month": "1000.00"} and de.limits.cross_operator
    assert de.limits.increase_cooling_hours == 7 * 24
    assert de.games.max_stake == {"slots": "1.00"}
    # Ages
    assert on.min_age == 19 and nj.min_age == 21 and rules_for("GB").min_age == 18
    # Spain: RGIAJ is indefinite, cancellable after 6 months; no promotions to 18-25s
    assert es.exclusions.register == "RGIAJ" and es.exclusions.self_exclusion_periods == ["indefinite"]
    assert es.exclusions.indefinite_min == "P6M" and es.bonuses.banned_under_age == 26
    assert es.reality_check.interval_minutes == 60
    # Netherlands, Denmark, GB
    nl, dk, gb = rules_for("NL"), rules_for("DK"), rules_for("GB")
    assert nl.exclusions.register == "CRUKS" and nl.limits.ceilings_young == {"deposit:month": "150.00"}
    assert dk.bonuses.max_value == "1000.00" and dk.bonuses.wagering_base == "deposit_plus_bonus"
    assert gb.bonuses.max_wagering_multiple == 10 and gb.exclusions.register == "GAMSTOP"
    assert gb.exclusions.min_self_exclusion == "P6M"
    # Malta: limits offered not imposed; reopening after 24h (definite) or 7 days (indefinite),
    # one cooling value so the longer; no national register; CDD at EUR 2,000 (MGA FAQs, FIAU IP II)
    mt = rules_for("MT")
    assert mt.limits.mandatory == [] and mt.exclusions.register is None
    assert mt.exclusions.reactivation_cooling_hours == 7 * 24 and not mt.exclusions.early_end_allowed
    assert mt.exclusions.self_exclusion_periods == [] and mt.exclusions.min_self_exclusion == "P6M"
    assert mt.aml.cdd_threshold == "2000.00" and mt.reality_check.player_sets_interval
    # what could not be confirmed stays marked
    assert all("⚠" in mt.sources[path] for path in ("min_age", "exclusions.register",
                                                   "exclusions.min_self_exclusion", "limits.increase_cooling_hours"))
    assert rules_for("XX").code == "default"


def test_the_docs_list_every_preset_and_the_legal_caveat() -> None:
    text = DOCS.read_text()
    assert "not legal advice" in text.lower()
    for code in CODES:
        assert f"## {code}" in text or f"({code})" in text, code
