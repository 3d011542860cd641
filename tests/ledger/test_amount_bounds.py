"""One maximum per currency for the wallet and the event protocol (issue 7, points 8 and 11),
and wallet counters that refuse a transfer rather than overflow their 64-bit columns."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from croupier.events import max_amount, max_minor, parse_batch
from croupier.ledger.legs import COUNTER_MAX
from croupier.store.schema import ledger_wallets

from .conftest import Wallet

HUGE_CLF = "999999999999.9999"
TOO_LARGE_CLF = "amount '999999999999.9999' is too large: the largest CLF amount is 9999999999.9999"


@pytest.fixture
def api(ledger_client: TestClient, make_event) -> TestClient:  # noqa: ANN001
    response = ledger_client.post("/v1/events", json=[make_event.registered(currency="CLF", jurisdiction="MT", country="MT",
                                                                          timezone="Europe/Malta")])
    assert response.status_code == 200, response.text
    return ledger_client


def test_the_maximum_is_per_currency_in_minor_units():
    assert [max_amount(c) for c in ("EUR", "JPY", "KWD", "CLF")] == [
        "999999999999.99", "999999999999", "99999999999.999", "9999999999.9999"]
    assert max_minor("CLF") == max_minor("EUR") == 10**14 - 1 and max_minor("JPY") == 10**12 - 1


def test_a_wallet_deposit_above_the_maximum_says_it_is_too_large(api: TestClient):
    r = api.post("/v1/wallet/p1/deposits", json={"transaction_id": "big", "amount": HUGE_CLF, "currency": "CLF"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"]["field"] == "amount" and r.json()["detail"]["message"] == TOO_LARGE_CLF
    r = api.post("/v1/wallet/p1/deposits", json={"transaction_id": "max", "amount": "9999999999.9999",
                                                 "currency": "CLF"})
    assert r.status_code == 200, r.text
    assert r.json()["balance"]["cash"] == "9999999999.9999"


def test_the_wallet_and_the_protocol_refuse_the_same_amount_with_the_same_words(api: TestClient, make_event):
    event = make_event("payment.deposit", transaction_id="t1", amount=HUGE_CLF, currency="CLF", status="approved")
    [rejection] = parse_batch(__import__("json").dumps([event]).encode()).rejected
    assert (rejection.field, rejection.reason, rejection.value) == ("amount", TOO_LARGE_CLF, HUGE_CLF)
    r = api.post("/v1/authorize", json={"player_id": "p1", "kind": "deposit", "amount": HUGE_CLF, "currency": "CLF"})
    assert r.status_code == 422 and r.json()["detail"]["message"] == TOO_LARGE_CLF


def test_a_posting_above_the_maximum_is_refused_by_the_ledger_too(wallet: Wallet):
    from croupier.ledger import LedgerError

    with pytest.raises(LedgerError, match=r"too large: the largest SEK amount is 999999999999\.99"):
        wallet.post("deposit", 10**14)
    with pytest.raises(LedgerError, match="must be positive"):
        wallet.post("deposit", 0)


def test_a_transfer_that_would_overflow_a_wallet_counter_is_refused(wallet: Wallet):
    """The counters hold 64 bits. A wallet that has taken in 92,233 maximum deposits (set here
    directly; posting them one by one would take minutes) refuses the next deposit whole."""
    assert wallet.post("deposit", 100).status == "posted"
    with wallet.db.engine.begin() as conn:
        conn.execute(ledger_wallets.update().values(cash_credits_posted=COUNTER_MAX - 50))
    result = wallet.post("deposit", 100)
    assert result.status == "refused"
    [reason] = result.body["reasons"]
    assert reason["code"] == "counter_overflow" and "cash credits" in reason["message"]
    assert wallet.post("deposit", 50).status == "posted"   # up to the bound is fine
