"""Every posting kind reaches the event log: bonus credits, conversions and staff adjustments
as Croupier's own facts, with ids from the transaction id (a retry cannot double them); the
engine folds them into features; and the engine's view of a deposit limit counts the same
inflows as the ledger (the SEK scenario)."""

from __future__ import annotations

import time

import msgspec
from fastapi.testclient import TestClient
from sqlalchemy import select

from croupier.compliance.gate import limit_usage
from croupier.events import decode_stored
from croupier.players import compute_features
from croupier.players.protection_state import ProtectionState
from croupier.store.schema import events

from .conftest import Wallet
from .test_wallet_api import api  # noqa: F401 - the registered Swedish player fixture


def _logged(wallet: Wallet) -> dict[str, dict]:
    with wallet.db.engine.connect() as conn:
        rows = conn.execute(select(events.c.event_id, events.c.payload)).all()
    return {eid: msgspec.to_builtins(decode_stored(payload)) for eid, payload in rows}


def test_bonus_credits_conversions_and_adjustments_are_logged_once(wallet: Wallet) -> None:
    wallet.post("deposit", 10_000, tx="dep-1")
    wallet.post("bonus_credit", 2_500, tx="promo-1", reason="welcome offer")
    wallet.post("bonus_credit", 2_500, tx="promo-1", reason="welcome offer")        # a retry
    wallet.post("bonus_conversion", 1_000, tx="conv-1")
    wallet.post("adjustment", 700, tx="adj-1", account="cash", direction="credit", reason="goodwill", actor="olga")
    wallet.post("adjustment", 200, tx="adj-2", account="bonus", direction="debit", reason="abuse", actor="olga")
    logged = _logged(wallet)
    credit, conversion = logged["wallet:promo-1"], logged["wallet:conv-1"]
    assert {k: credit[k] for k in ("type", "transaction_id", "amount", "currency", "reason")} == \
        {"type": "croupier.bonus_credited", "transaction_id": "promo-1", "amount": "25.00", "currency": "SEK",
         "reason": "welcome offer"}
    assert (conversion["type"], conversion["amount"]) == ("croupier.bonus_converted", "10.00")
    assert {k: logged["wallet:adj-1"][k] for k in ("type", "amount", "account", "direction", "actor", "reason")} == \
        {"type": "croupier.wallet_adjusted", "amount": "7.00", "account": "cash", "direction": "credit",
         "actor": "olga", "reason": "goodwill"}
    assert (logged["wallet:adj-2"]["account"], logged["wallet:adj-2"]["direction"]) == ("bonus", "debit")
    assert sum(1 for e in logged.values() if e["type"] == "croupier.bonus_credited") == 1
    assert {e["player_id"] for e in logged.values()} == {"p1"} and {e["brand"] for e in logged.values()} == {"aurora"}


def test_a_refused_bonus_credit_logs_nothing(wallet: Wallet) -> None:
    wallet.context.protection = ProtectionState(aml_status="review")
    result = wallet.post("bonus_credit", 2_500, tx="promo-2")
    assert result.refused and [r.code for r in result.refusals] == ["aml_review"]
    assert "wallet:promo-2" not in _logged(wallet)
    assert wallet.post("deposit", 2_500, tx="dep-2").status == "posted"     # review does not stop deposits


def test_the_sek_scenario_the_engine_counts_what_the_ledger_counts(api: TestClient) -> None:  # noqa: F811
    """5,000 SEK a day; 3,000 deposited; 500 bonus credited; a 2,000 deposit is refused with
    1,500 remaining, and the engine (features, gate, protection panel) sees 3,500 used too."""
    assert api.post("/v1/players/p1/limits", json={"kind": "deposit", "period": "day", "amount": "5000.00",
                                                   "currency": "SEK"}).status_code == 200
    assert api.post("/v1/wallet/p1/deposits", json={"transaction_id": "d1", "amount": "3000.00",
                                                    "currency": "SEK"}).status_code == 200
    runtime = api.app.state.runtime
    runtime.engine.process_pending()
    before = compute_features(runtime.engine.state_of("p1"), time.time_ns() // 1000, runtime.config.features)
    bonus = api.post("/v1/wallet/p1/bonus-credits", json={"transaction_id": "promo-1", "amount": "500.00",
                                                          "currency": "SEK", "reason": "welcome promotion"})
    assert bonus.status_code == 200 and bonus.json()["event_id"] == "wallet:promo-1"
    refused = api.post("/v1/wallet/p1/deposits", json={"transaction_id": "d2", "amount": "2000.00", "currency": "SEK"})
    assert refused.status_code == 403 and refused.json()["reasons"][0]["counted"] == "3500.00"

    timeline = api.get("/v1/players/p1/events").json()["events"]
    [credited] = [e["event"] for e in timeline if e["type"] == "croupier.bonus_credited"]
    assert (credited["event_id"], credited["amount"], credited["reason"]) == \
        ("wallet:promo-1", "500.00", "welcome promotion")
    runtime.engine.process_pending()
    state = runtime.engine.state_of("p1")
    now_us = time.time_ns() // 1000
    after = compute_features(state, now_us, runtime.config.features)
    assert (before["bonus_credit_sum_1d"], after["bonus_credit_sum_1d"]) == ("0.00", "500.00")
    assert after["bonus_credit_count_lifetime"] == 1 and after["last_bonus_credit_at"] is not None
    assert (before["inflow_sum_1d"], after["inflow_sum_1d"]) == ("3000.00", "3500.00")
    assert after["bonus_to_deposit_ratio_30d"] == round(500 / 3000, 4)
    assert limit_usage(state, "deposit", "day", now_us) == 350_000
    [row] = api.get("/v1/players/p1").json()["protection"]["limits"]
    assert row["current"]["used"] == "3500.00"
    usage = api.get("/v1/wallet/p1").json()["usage"][0]
    assert usage["counted"] == "3500.00" == row["current"]["used"]
