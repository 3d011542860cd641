"""The pure exclusion rules: ISO 8601 periods with calendar months done right, requests
validated against the jurisdiction (with the allowed values), early end and reactivation."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from croupier.compliance.rules import presets
from croupier.protection.exclusions_rules import (
    ExclusionFacts, ExclusionRefused, add_period, covers, may_end_early, parse_period, plan_end, plan_request,
)

from . import RULES, UTC

NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("period", "expected"), [
    ("P1D", datetime(2026, 2, 1, 12, 0, tzinfo=UTC)),
    ("P1W", datetime(2026, 2, 7, 12, 0, tzinfo=UTC)),
    ("P1M", datetime(2026, 2, 28, 12, 0, tzinfo=UTC)),      # 31 Jan + 1 month: the month's last day
    ("P3M", datetime(2026, 4, 30, 12, 0, tzinfo=UTC)),
    ("P1Y", datetime(2027, 1, 31, 12, 0, tzinfo=UTC)),
    ("P12M", datetime(2027, 1, 31, 12, 0, tzinfo=UTC)),
    ("PT24H", datetime(2026, 2, 1, 12, 0, tzinfo=UTC)),
    ("P1Y1M1D", datetime(2027, 3, 1, 12, 0, tzinfo=UTC)),
])
def test_periods_use_calendar_months_and_years(period, expected):
    assert add_period(NOW, period) == expected


def test_a_leap_day_plus_a_year_is_the_last_day_of_february():
    assert add_period(datetime(2028, 2, 29, tzinfo=UTC), "P1Y") == datetime(2029, 2, 28, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "6M", "P", "P1.5M", "PXD", "forever"])
def test_a_malformed_period_is_refused_with_an_example(text):
    with pytest.raises(ExclusionRefused, match="ISO 8601"):
        parse_period(text)


def test_a_self_exclusion_period_not_offered_is_refused_with_the_allowed_values():
    with pytest.raises(ExclusionRefused) as refused:
        plan_request("self_exclusion", "P2M", RULES["SE"], NOW)
    assert refused.value.allowed == ["P1M", "P3M", "P6M", "indefinite"]
    assert "P2M" in refused.value.message and "SE" in refused.value.message


def test_a_timeout_period_is_checked_against_the_timeout_periods():
    assert plan_request("timeout", "P7D", RULES["SE"], NOW).until == NOW + timedelta(days=7)
    with pytest.raises(ExclusionRefused) as refused:
        plan_request("timeout", "P1M", RULES["SE"], NOW)
    assert refused.value.allowed == ["P1D", "P7D"]


def test_a_pam_request_for_a_period_not_offered_is_rounded_up_not_dropped():
    plan = plan_request("self_exclusion", "P2M", RULES["SE"], NOW, lenient=True)
    assert plan.period == "P3M" and "applied P3M" in (plan.note or "")
    longest = plan_request("self_exclusion", "P10Y", RULES["GB"], NOW, lenient=True)
    assert longest.period == "P5Y"


def test_scope_comes_from_the_rules_and_a_player_may_only_widen_it():
    assert plan_request("self_exclusion", "P1M", RULES["SE"], NOW).scope == "national"
    assert plan_request("self_exclusion", "P1M", RULES["XB"], NOW).scope == "brand"
    assert plan_request("self_exclusion", "P1M", RULES["XB"], NOW, scope="operator").scope == "operator"
    assert plan_request("self_exclusion", "P1M", RULES["SE"], NOW, scope="brand").scope == "national"
    assert covers("brand", "aurora", "aurora") and not covers("brand", "aurora", "borealis")
    assert covers("operator", "aurora", "borealis") and covers("national", "aurora", "borealis")


def test_automatic_reactivation_lifts_by_itself_on_request_does_not():
    se = plan_request("self_exclusion", "P1M", RULES["SE"], NOW)
    assert se.until == se.period_ends == datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
    gb = plan_request("self_exclusion", "P6M", RULES["GB"], NOW)
    assert gb.period_ends == datetime(2026, 7, 31, 12, 0, tzinfo=UTC) and gb.until is None


def test_indefinite_has_no_end_and_the_panic_button_locks_for_24_hours():
    indefinite = plan_request("self_exclusion", "indefinite", RULES["SE"], NOW)
    assert indefinite.period_ends is None and indefinite.until is None
    panic = plan_request("panic", None, RULES["DE"], NOW)
    assert panic.until == NOW + timedelta(hours=24) and panic.period == "PT24H"
    with pytest.raises(ExclusionRefused, match="cannot be indefinite"):
        plan_request("timeout", "indefinite", RULES["XB"].__class__(code="X", name="X", currency="EUR"), NOW)


def _facts(kind: str, period: str | None, rules_code: str) -> ExclusionFacts:
    plan = plan_request(kind, period, RULES[rules_code], NOW)
    return ExclusionFacts(kind, NOW, plan.period, plan.period_ends, plan.until)


def test_early_end_is_refused_with_the_reason_where_the_rules_forbid_it():
    x = _facts("self_exclusion", "P6M", "SE")
    verdict = may_end_early(x, RULES["SE"], NOW + timedelta(days=1))
    assert not verdict.allowed and "does not allow" in verdict.reason and "2026-07-31" in verdict.reason
    assert may_end_early(_facts("self_exclusion", "P6M", "XE"), RULES["XE"], NOW).allowed
    panic = _facts("panic", None, "DE")
    assert not may_end_early(panic, RULES["DE"], NOW).allowed


def test_reactivation_after_the_period_follows_the_rules():
    gb = _facts("self_exclusion", "P6M", "GB")
    early = plan_end(gb, RULES["GB"], NOW + timedelta(days=30), "player")
    assert not early.allowed
    later = NOW + timedelta(days=200)
    after = plan_end(gb, RULES["GB"], later, "player")
    assert after.allowed and after.effective_at == later + timedelta(hours=24)   # cooling-off
    de = _facts("self_exclusion", "P3M", "DE")
    on_request = plan_end(de, RULES["DE"], NOW + timedelta(days=100), "player")
    assert on_request.allowed and on_request.effective_at == NOW + timedelta(days=100)


def test_an_indefinite_self_exclusion_cannot_be_ended_before_the_minimum():
    x = _facts("self_exclusion", "indefinite", "DE")
    assert not plan_end(x, RULES["DE"], NOW + timedelta(days=30), "player").allowed
    assert plan_end(x, RULES["DE"], NOW + timedelta(days=120), "player").allowed


def test_operator_and_register_exclusions_are_not_the_players_to_end():
    operator = ExclusionFacts("operator", NOW, "indefinite", None, None)
    assert not plan_end(operator, RULES["SE"], NOW, "player").allowed
    assert plan_end(operator, RULES["SE"], NOW, "operator").allowed
    register = ExclusionFacts("register", NOW, None, None, None)
    assert not plan_end(register, RULES["SE"], NOW, "operator").allowed
    assert plan_end(register, RULES["SE"], NOW, "register").allowed


def test_every_shipped_preset_plans_its_own_periods():
    for code, jrules in presets().items():
        x = jrules.exclusions
        for period in x.self_exclusion_periods:
            plan = plan_request("self_exclusion", period, jrules, NOW)
            assert plan.scope == x.scope, code
        for period in x.timeout_periods:
            assert plan_request("timeout", period, jrules, NOW).until is not None, code
        assert plan_request("panic", None, jrules, NOW).until is not None
