"""The gate, asked directly about proposed actions of every kind: exclusions, RG risk,
closeness to limits, KYC, the market's bonus and marketing rules, consent, freshness; and
safer-play messages never suppressed by RG rules. Rules are given explicitly, so these
tests do not depend on what the shipped presets say."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from croupier.compliance import Proposal, decide, record_sent
from croupier.compliance.rules import BonusRules, JurisdictionRules, MarketingRules
from croupier.players import EngineConfig, new_state
from croupier.players.protection_state import ExclusionView, LimitView
from croupier.players.state import DAY_US, DEP_N, DEP_SUM, METRICS

# 10:00 UTC = 11:00 in Stockholm (winter)
NOW = datetime(2026, 1, 15, 10, 0, tzinfo=timezone.utc)
NOW_US = int(NOW.timestamp() * 1_000_000)
CONFIG = EngineConfig()
PLAIN = JurisdictionRules(code="XX", name="plain", currency="SEK")
KINDS = ("message", "bonus", "mission_enrolment", "tournament_enrolment", "reward")


def player(**profile):  # noqa: ANN003, ANN201
    state = new_state("g1")
    state.registered = True
    state.currency = "SEK"
    state.profile = {"jurisdiction": "XX", "birth_date": "1990-01-01", "timezone": "Europe/Stockholm"} | profile
    state.consents = {"email": True, "sms": False, "push": True}
    return state


def ask(state, kind="message", purpose="promotional", rules=PLAIN, now_us=NOW_US, channel="email",  # noqa: ANN001
        name="offer"):  # noqa: ANN001, ANN201
    p = Proposal(kind=kind, name=name, player_id="g1", cause_event_id="e1",
                 purpose=purpose if kind == "message" else "promotional", channel=channel if kind == "message" else None)
    return decide(p, state, CONFIG, now_us, now_us - 60_000_000, rules)


def deposited_today(state, minor: int, count: int = 1) -> None:  # noqa: ANN001
    bucket = state.days.setdefault(NOW_US // DAY_US, [0] * (METRICS + 1))
    bucket[DEP_SUM] += minor
    bucket[DEP_N] += count
    state.life[DEP_N] += count


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_passes_for_a_healthy_player(kind: str) -> None:
    d = ask(player(), kind)
    assert d.allowed and d.reasons == ("all_checks_passed",)


@pytest.mark.parametrize("kind", KINDS)
def test_an_excluded_player_gets_no_promotion_of_any_kind(kind: str) -> None:
    state = player()
    state.protection.exclusions.append(ExclusionView("x1", "self_exclusion", "national", "aurora", NOW_US - 1, None))
    d = ask(state, kind)
    assert not d.allowed and "excluded:self_exclusion:national" in d.reasons


def test_safer_play_messages_are_never_suppressed_by_rg_rules() -> None:
    state = player()
    state.consents = {}
    state.protection.exclusions.append(ExclusionView("x1", "timeout", "operator", "aurora", NOW_US - 1, NOW_US + DAY_US))
    state.protection.promotions_paused = True
    state.protection.risk_level = "severe"
    state.protection.limits["deposit:day"] = LimitView("deposit", "day", amount_minor=10_000, currency="SEK")
    deposited_today(state, 10_000)
    rules = JurisdictionRules(code="YY", name="strict", currency="SEK",
                              marketing=MarketingRules(banned=True, quiet_hours=[0, 24], max_messages_per_day=0))
    assert ask(state, purpose="safer_play", rules=rules).allowed
    promo = ask(state, purpose="promotional", rules=rules)
    assert not promo.allowed
    assert {"promotions_paused", "rg_risk:severe", "near_limit:deposit:day:100%", "marketing_banned:YY",
            "quiet_hours:0-24", "message_cap:0/day", "no_consent:email"} <= set(promo.reasons)


def test_an_exclusion_that_has_run_out_no_longer_counts() -> None:
    state = player()
    state.protection.exclusions.append(ExclusionView("x1", "panic", "national", "aurora", NOW_US - 2 * DAY_US,
                                                     NOW_US - DAY_US))
    assert ask(state).allowed


@pytest.mark.parametrize(("level", "allowed"), [("none", True), ("low", True), ("medium", True),
                                                ("high", False), ("severe", False)])
def test_promotions_stop_at_high_risk(level: str, allowed: bool) -> None:
    state = player()
    state.protection.risk_level = level
    assert ask(state, "bonus").allowed is allowed
    assert ask(state, "message", purpose="transactional").allowed


def test_closeness_to_a_deposit_limit_stops_promotions_at_80_percent() -> None:
    state = player()
    state.protection.limits["deposit:day"] = LimitView("deposit", "day", amount_minor=100_00, currency="SEK")
    deposited_today(state, 79_00)
    assert ask(state).allowed
    deposited_today(state, 6_00)
    d = ask(state, "bonus")
    assert not d.allowed and d.reasons == ("near_limit:deposit:day:85%",)


def test_a_pending_increase_does_not_count_before_its_time() -> None:
    state = player()
    state.protection.limits["deposit:day"] = LimitView(
        "deposit", "day", amount_minor=100_00, currency="SEK",
        pending=LimitView("deposit", "day", amount_minor=1_000_00, currency="SEK", effective_us=NOW_US + DAY_US))
    deposited_today(state, 90_00)
    assert "near_limit:deposit:day:90%" in ask(state).reasons  # still the 100.00 limit
    deposited_today(state, 10_00)
    assert "near_limit:deposit:day:100%" in ask(state).reasons
    # once the increase is in force, 100.00 of 1,000.00 is far from the limit
    state.days[(NOW_US + DAY_US + 1) // DAY_US] = list(state.days.pop(NOW_US // DAY_US))
    assert ask(state, now_us=NOW_US + DAY_US + 1).allowed


def test_market_bonus_rules() -> None:
    banned = JurisdictionRules(code="B1", name="no bonuses", currency="SEK", bonuses=BonusRules(allowed=False))
    assert ask(player(), "bonus", rules=banned).reasons == ("bonus_banned:B1",)
    assert ask(player(), "message", rules=banned).allowed  # a plain message is no bonus
    first_only = JurisdictionRules(code="SE", name="first only", currency="SEK",
                                   bonuses=BonusRules(first_deposit_only=True))
    state = player()
    deposited_today(state, 100_00)
    assert ask(state, "bonus", rules=first_only).allowed
    deposited_today(state, 100_00)
    assert ask(state, "bonus", rules=first_only).reasons == ("bonus_first_deposit_only:SE",)
    young = JurisdictionRules(code="ES", name="young", currency="EUR", bonuses=BonusRules(banned_under_age=25))
    assert ask(player(birth_date="2003-06-01"), "mission_enrolment", rules=young).reasons == ("promotions_banned_under:25",)
    assert ask(player(birth_date="1990-06-01"), "mission_enrolment", rules=young).allowed
    risky = JurisdictionRules(code="R1", name="risk", currency="SEK", bonuses=BonusRules(banned_for_risk_levels=["low"]))
    state = player()
    state.protection.risk_level = "low"
    assert ask(state, "bonus", rules=risky).reasons == ("bonus_banned_for_risk:low",)


def test_quiet_hours_are_the_players_local_time() -> None:
    rules = JurisdictionRules(code="Q", name="quiet", currency="SEK", marketing=MarketingRules(quiet_hours=[21, 8]))
    late = int(datetime(2026, 1, 15, 20, 30, tzinfo=timezone.utc).timestamp() * 1_000_000)  # 21:30 Stockholm
    assert ask(player(), rules=rules, now_us=late).reasons == ("quiet_hours:21-8",)
    assert ask(player(timezone="Europe/London"), rules=rules, now_us=late).allowed  # 20:30 in London
    assert ask(player(), rules=rules, now_us=NOW_US).allowed                          # 11:00 Stockholm


def test_the_daily_message_cap_counts_what_the_gate_let_through() -> None:
    rules = JurisdictionRules(code="C", name="cap", currency="SEK", marketing=MarketingRules(max_messages_per_day=2))
    state = player()
    for _ in range(2):
        d = ask(state, rules=rules)
        assert d.allowed
        record_sent(state, d)
    assert ask(state, rules=rules).reasons == ("message_cap:2/day",)
    record_sent(state, ask(state, purpose="transactional", rules=rules))  # not counted
    assert ask(state, rules=rules, now_us=NOW_US + DAY_US).allowed     # a new local day


def test_kyc_failure_stops_bonuses_and_rewards_only() -> None:
    state = player()
    state.kyc_status = "failed"
    assert ask(state, "bonus").reasons == ("kyc:failed",)
    assert ask(state, "reward").reasons == ("kyc:failed",)
    assert ask(state, "message").allowed


def test_allowed_promotions_carry_their_obligations() -> None:
    rules = JurisdictionRules(code="D", name="disclaimer", currency="SEK",
                              marketing=MarketingRules(safer_play_disclaimer="Spela ansvarsfullt – stodlinjen.se"))
    d = ask(player(), rules=rules)
    assert d.allowed and d.obligations == ("unsubscribe_link", "disclaimer:Spela ansvarsfullt – stodlinjen.se")
    assert d.as_dict()["obligations"] == list(d.obligations)
    assert ask(player(), purpose="transactional", rules=rules).obligations == ()


def test_the_jurisdiction_minimum_age_applies() -> None:
    rules = JurisdictionRules(code="US-NJ", name="NJ", currency="USD", min_age=21)
    assert ask(player(birth_date="2006-01-01"), rules=rules).reasons == ("under_age:20<21",)


def test_replaying_the_same_decisions_counts_the_cap_the_same_way() -> None:
    rules = JurisdictionRules(code="C", name="cap", currency="SEK", marketing=MarketingRules(max_messages_per_day=1))
    outcomes = []
    for _ in range(2):  # live, then a replay from a fresh state
        state = player()
        run = []
        for _ in range(3):
            d = ask(state, rules=rules)
            record_sent(state, d)
            run.append((d.allowed, d.reasons))
        outcomes.append(run)
    assert outcomes[0] == outcomes[1] == [(True, ("all_checks_passed",)), (False, ("message_cap:1/day",)),
                                          (False, ("message_cap:1/day",))]


def test_the_gate_reads_the_approved_documents_jurisdiction_table() -> None:
    from croupier.compliance.document import ConfigDocument

    doc = ConfigDocument(jurisdictions={"XX": JurisdictionRules(code="XX", name="strict XX", currency="SEK",
                                                                bonuses=BonusRules(allowed=False))})
    bonus = Proposal(kind="bonus", name="reload", player_id="g1", cause_event_id="e1")
    assert decide(bonus, player(), doc, NOW_US, NOW_US).reasons == ("bonus_banned:XX",)
    assert decide(bonus, player(), EngineConfig(), NOW_US, NOW_US).allowed  # presets: XX is unknown


def test_near_limit_counts_in_the_limits_currency_converted() -> None:
    """A SEK player with a EUR limit: the player's money (the fold sums it in SEK) is compared
    with the limit in EUR, converted at the configuration's rates as the ledger converts;
    without a rate the gate cannot tell how close the player is, so promotions wait."""
    from croupier.compliance.document import ConfigDocument
    from croupier.compliance.rates import ExchangeRules, Rate

    state = player()
    state.protection.limits["deposit:day"] = LimitView("deposit", "day", amount_minor=100_00, currency="EUR")
    deposited_today(state, 900_00)                     # 900 SEK = 80.36 EUR at 11.20
    with_rates = ConfigDocument(exchange=ExchangeRules(base="EUR", rates={"SEK": Rate("11.20", "2026-01-14")}))
    proposal = Proposal(kind="bonus", name="offer", player_id="g1", cause_event_id="e1")
    d = decide(proposal, state, with_rates, NOW_US, NOW_US - 60_000_000, PLAIN)
    assert not d.allowed and d.reasons == ("near_limit:deposit:day:80%",)
    # no rate: not countable in EUR (the bare SEK figure, 900 against 100, is no answer either)
    assert decide(proposal, state, CONFIG, NOW_US, NOW_US - 60_000_000, PLAIN).reasons == \
        ("near_limit:deposit:day:no_rate",)
    deposited_today(state, -4_00, 0)                    # 896 SEK = 80.00 EUR exactly: still near
    assert decide(proposal, state, with_rates, NOW_US, NOW_US - 60_000_000, PLAIN).reasons == \
        ("near_limit:deposit:day:80%",)
    deposited_today(state, -1, 0)                       # 895.99 SEK = 79.9991 EUR, rounded up to 80.00
    assert decide(proposal, state, with_rates, NOW_US, NOW_US - 60_000_000, PLAIN).reasons == \
        ("near_limit:deposit:day:80%",)
    deposited_today(state, -12_00, 0)                   # 883.99 SEK = 78.93 EUR: far enough
    assert decide(proposal, state, with_rates, NOW_US, NOW_US - 60_000_000, PLAIN).allowed
