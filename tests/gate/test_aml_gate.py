"""AML status in the gate and the fold: under review no promotional message, bonus or reward
goes out; restricted and blocked stop every promotion; transactional and safer-play messages
always pass. Each suppression names its reason beside every other reason that applied."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from croupier.events import AmlStatusChanged, BonusCredited, WalletAdjusted
from croupier.players import FeatureConfig, apply, micros, new_state
from croupier.players.protection_state import AML_HISTORY, LimitView
from croupier.risk.aml import AmlRefused, aml_fact

from .test_gate_rules import KINDS, NOW, NOW_US, ask, deposited_today, player

PROMOTIONS = [("message", "promotional"), *((k, "promotional") for k in KINDS if k != "message")]
# (status, action kind) -> suppressed?
SUPPRESSED_UNDER_REVIEW = {"message", "bonus", "reward"}


@pytest.mark.parametrize("status", ["review", "restricted", "blocked"])
@pytest.mark.parametrize("kind,purpose", PROMOTIONS)
def test_aml_status_suppresses_promotions_with_its_reason(status: str, kind: str, purpose: str) -> None:
    state = player()
    state.protection.aml_status = status
    d = ask(state, kind, purpose)
    expected = status != "review" or kind in SUPPRESSED_UNDER_REVIEW
    assert d.allowed is not expected
    assert (f"aml_{status}" in d.reasons) is expected


@pytest.mark.parametrize("status", ["clear", "review", "restricted", "blocked"])
@pytest.mark.parametrize("purpose", ["transactional", "safer_play"])
def test_transactional_and_safer_play_messages_always_pass(status: str, purpose: str) -> None:
    state = player()
    state.protection.aml_status = status
    d = ask(state, "message", purpose)
    assert d.allowed, d.reasons


def test_the_aml_reason_is_listed_with_every_other_reason() -> None:
    state = player()
    state.protection.aml_status = "review"
    state.protection.promotions_paused = True
    state.kyc_status = "failed"
    d = ask(state, "bonus")
    assert set(d.reasons) == {"promotions_paused", "kyc:failed", "aml_review"}
    assert d.config_version == ask(player(), "bonus").config_version


def _fact(status: str, at: datetime = NOW, **fields) -> AmlStatusChanged:  # noqa: ANN003
    return aml_fact("g1", "aurora", status, actor="olga", reason="source of funds", at_us=micros(at), **fields)


def test_the_fold_keeps_the_latest_status_and_a_bounded_history() -> None:
    state = new_state("g1")
    config = FeatureConfig()
    for i in range(AML_HISTORY + 5):
        apply(state, _fact("review" if i % 2 == 0 else "clear", datetime.fromtimestamp(NOW.timestamp() + i,
                                                                                       tz=timezone.utc)), i + 1, config)
    p = state.protection
    assert p.aml_status == "review" and p.aml_since_us == NOW_US + (AML_HISTORY + 4) * 1_000_000
    assert len(p.aml_history) == AML_HISTORY
    at_us, status, source, actor, reason = p.aml_history[-1]
    assert (status, source, actor, reason) == ("review", "staff", "olga", "source of funds")


def test_aml_facts_have_ids_from_the_request_and_need_a_reason() -> None:
    assert _fact("review", request_id="r1").event_id == _fact("blocked", request_id="r1").event_id
    assert _fact("review").event_id != _fact("blocked").event_id
    with pytest.raises(AmlRefused) as err:
        aml_fact("g1", "aurora", "review", actor="olga", reason="  ", at_us=NOW_US)
    assert err.value.field == "reason"
    with pytest.raises(AmlRefused) as err:
        aml_fact("g1", "aurora", "frozen", actor="olga", reason="x", at_us=NOW_US)
    assert err.value.field == "status"


def test_near_limit_counts_bonus_credits_and_adjustments_as_the_ledger_does() -> None:
    """Deposit limits count every inflow: the gate's early warning must see the same money."""
    state = player()
    state.protection.limits["deposit:day"] = LimitView("deposit", "day", amount_minor=100_00, currency="SEK")
    deposited_today(state, 50_00)
    assert ask(state).allowed
    config = FeatureConfig()
    apply(state, BonusCredited(event_id="wallet:b1", player_id="g1", brand="aurora", occurred_at=NOW,
                               transaction_id="b1", amount="20.00", currency="SEK"), 1, config)
    apply(state, WalletAdjusted(event_id="wallet:a1", player_id="g1", brand="aurora", occurred_at=NOW,
                                transaction_id="a1", amount="15.00", currency="SEK", account="cash",
                                direction="credit", actor="olga", reason="goodwill"), 2, config)
    apply(state, WalletAdjusted(event_id="wallet:a2", player_id="g1", brand="aurora", occurred_at=NOW,
                                transaction_id="a2", amount="30.00", currency="SEK", account="cash",
                                direction="debit", actor="olga", reason="correction"), 3, config)
    d = ask(state)
    assert not d.allowed and d.reasons == ("near_limit:deposit:day:85%",)   # 50 + 20 + 15; debits do not count
