"""Wallet errors people can act on: a request body the wallet cannot read is answered in the
words the event protocol uses for the same mistake (not pydantic's "Input should be a valid
dictionary"), the same on the fast lane and the documented route; a stake or withdrawal the
balance cannot carry says so in the money of the request ("150.00 GBP available, 500.00 GBP
needed"), for cash, bonus and both together."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from croupier.api import create_app
from croupier.store.accounts import create_key

from conftest import ledger_config  # tests/conftest.py

GBP = {"currency": "GBP"}


@pytest.fixture(params=[True, False], ids=["lane", "route"])
def wallet(request: pytest.FixtureRequest, tmp_path, make_event) -> Iterator[TestClient]:  # noqa: ANN001
    """The app (the ledger keeps the money) with a registered British player p1, over the
    wallet lane or without it."""
    app = create_app(f"sqlite:///{tmp_path / 'wallet.db'}", ledger_config(), background=False,
                     wallet_lane=request.param)
    with app.state.runtime.db.engine.begin() as conn:
        token, _ = create_key(conn, "casino", ["ingest", "read"])
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        registered = make_event.registered(jurisdiction="GB", country="GB", currency="GBP", timezone="Europe/London")
        assert client.post("/v1/events", json=[registered]).status_code == 200
        yield client


def _problem(client: TestClient, path: str, body: Any) -> dict[str, Any]:
    r = client.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    answer = r.json()
    assert answer["detail"] == answer["errors"][0] and set(answer["detail"]) >= {"field", "message", "value"}
    assert "Input should" not in r.text and "String should" not in r.text, r.text
    return answer["detail"]


def _event_reason(client: TestClient, make_event, **fields: Any) -> str:  # noqa: ANN001
    """What POST /v1/events says about a casino.bet carrying `fields`."""
    bet = make_event("casino.bet", bet_id="b", game_id="g", **{"amount": "1.00", **GBP, **fields})
    [rejected] = client.post("/v1/events", json=[bet]).json()["rejected"]
    return rejected["reason"]


@pytest.mark.parametrize(("body", "words"), [
    ([], "the body must be a JSON object with the fields this operation documents, not an array"),
    ("deposit", "the body must be a JSON object with the fields this operation documents, not a string"),
    (None, "not null"),
])
def test_a_body_that_is_no_object_is_named(wallet: TestClient, body: Any, words: str) -> None:
    problem = _problem(wallet, "/v1/wallet/p1/deposits", body)
    assert problem["field"] is None and words in problem["message"]


def test_money_and_currency_mistakes_read_as_event_errors_do(wallet: TestClient, make_event) -> None:  # noqa: ANN001
    number = _problem(wallet, "/v1/wallet/p1/bets", {"transaction_id": "b1", "amount": 500, **GBP})
    assert number["field"] == "amount" and number["value"] == 500
    assert number["message"] == _event_reason(wallet, make_event, amount=500)   # one language for one mistake
    assert "not a JSON number" in number["message"]
    negative = _problem(wallet, "/v1/wallet/p1/bets", {"transaction_id": "b1", "amount": "-5.00", **GBP})
    assert negative["message"].startswith("must not be negative")
    garbled = _problem(wallet, "/v1/wallet/p1/wins", {"transaction_id": "w1", "amount": "1,5", **GBP})
    assert 'a decimal string such as "10.50"' in garbled["message"] and "'1,5'" in garbled["message"]
    currency = _problem(wallet, "/v1/wallet/p1/deposits", {"transaction_id": "d1", "amount": "5.00",
                                                              "currency": "gbp"})
    assert currency["field"] == "currency"
    assert currency["message"].startswith("must be a three-letter ISO 4217 code")
    assert "'EUR'" in _event_reason(wallet, make_event, currency="gbp") and "'gbp'" in currency["message"]


def test_choices_lengths_and_types_say_what_to_send(wallet: TestClient) -> None:
    category = _problem(wallet, "/v1/wallet/p1/bets", {"transaction_id": "b1", "amount": "1.00", **GBP,
                                                         "game_category": "dice"})
    assert category == {"field": "game_category", "value": "dice", "message":
                        "must be one of 'slots', 'live_casino', 'table', 'crash', 'bingo', 'poker', 'other', got 'dice'"}
    empty = _problem(wallet, "/v1/wallet/p1/deposits", {"transaction_id": "", "amount": "1.00", **GBP})
    assert (empty["field"], empty["message"]) == ("transaction_id", "must not be empty")
    long = _problem(wallet, "/v1/wallet/p1/deposits", {"transaction_id": "d1", "amount": "1.00", **GBP,
                                                         "brand": "b" * 200})
    assert long["message"] == "must be at most 128 characters; this one has 200"
    typed = _problem(wallet, "/v1/wallet/p1/deposits", {"transaction_id": 7, "amount": "1.00", **GBP})
    assert (typed["field"], typed["message"]) == ("transaction_id", "must be a string, not a number")
    missing = _problem(wallet, "/v1/wallet/p1/deposits", {"amount": "1.00", **GBP})
    assert (missing["field"], missing["message"]) == ("transaction_id", "is required")


def test_a_form_body_is_told_to_send_json(wallet: TestClient) -> None:
    r = wallet.post("/v1/wallet/p1/deposits", data={"transaction_id": "d1", "amount": "1.00", **GBP})
    assert r.status_code == 422 and "Content-Type: application/json" in r.json()["detail"]["message"]


# -- not enough money ----------------------------------------------------------------------
def _refusal(client: TestClient, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    r = client.post(path, json=body)
    assert r.status_code == 403, r.text
    reasons = r.json()["reasons"]
    assert all(x["code"] == "insufficient_funds" for x in reasons)
    assert not any("balance available is" in x["message"] for x in reasons)
    return reasons


def test_a_stake_above_the_balance_says_what_is_there_and_what_is_needed(wallet: TestClient) -> None:
    assert wallet.post("/v1/wallet/p1/deposits", json={"transaction_id": "d1", "amount": "150.00", **GBP}).status_code == 200
    [short] = _refusal(wallet, "/v1/wallet/p1/bets", {"transaction_id": "b1", "amount": "500.00", **GBP})
    assert short["message"] == ("Refused: 150.00 GBP available, 500.00 GBP needed; 350.00 GBP short "
                                "(cash 150.00 GBP, bonus 0.00 GBP).")
    assert (short["account"], short["remaining"], short["requested"], short["currency"]) == (
        "cash+bonus", "150.00", "500.00", "GBP")
    bonus = wallet.post("/v1/wallet/p1/bonus-credits", json={"transaction_id": "bc1", "amount": "20.00", **GBP,
                                                            "reason": "welcome"})
    assert bonus.status_code == 200, bonus.text
    [both] = _refusal(wallet, "/v1/wallet/p1/bets", {"transaction_id": "b2", "amount": "1200.00", **GBP})
    assert both["message"] == ("Refused: 170.00 GBP available, 1,200.00 GBP needed; 1,030.00 GBP short "
                               "(cash 150.00 GBP, bonus 20.00 GBP).")
    cash, bonus_part = _refusal(wallet, "/v1/wallet/p1/bets", {"transaction_id": "b3", "amount": "500.00",
                                                                "bonus_amount": "50.00", **GBP})
    assert cash["message"] == ("Refused: 150.00 GBP available in cash, 450.00 GBP needed for the cash part of "
                               "the stake; 300.00 GBP short.")
    assert bonus_part["message"] == ("Refused: 20.00 GBP available in bonus funds, 50.00 GBP needed for the bonus "
                                     "part of the stake; 30.00 GBP short.")
    assert (cash["account"], bonus_part["account"]) == ("cash", "bonus")
    assert wallet.post("/v1/wallet/p1/bets", json={"transaction_id": "b4", "amount": "170.00", **GBP}).status_code == 200


def test_a_withdrawal_counts_what_pending_ones_hold(wallet: TestClient) -> None:
    assert wallet.post("/v1/wallet/p1/deposits", json={"transaction_id": "d1", "amount": "150.00", **GBP}).status_code == 200
    assert wallet.post("/v1/wallet/p1/withdrawals", json={"transaction_id": "x1", "amount": "100.00",
                                                          **GBP}).status_code == 200
    [short] = _refusal(wallet, "/v1/wallet/p1/withdrawals", {"transaction_id": "x2", "amount": "500.00", **GBP})
    assert short["message"] == ("Refused: 50.00 GBP available in cash, 500.00 GBP needed; 450.00 GBP short; "
                                "pending withdrawals hold 100.00 GBP of the cash balance.")
    [conversion] = _refusal(wallet, "/v1/wallet/p1/bonus-conversions", {"transaction_id": "c1", "amount": "5.00",
                                                                        **GBP})
    assert conversion["message"] == "Refused: 0.00 GBP available in bonus funds, 5.00 GBP needed; 5.00 GBP short."


def test_authorize_says_the_same(wallet: TestClient) -> None:
    assert wallet.post("/v1/wallet/p1/deposits", json={"transaction_id": "d1", "amount": "150.00", **GBP}).status_code == 200
    answer = wallet.post("/v1/authorize", json={"player_id": "p1", "kind": "bet", "amount": "500.00", **GBP}).json()
    assert answer["decision"] == "deny"
    assert [r["message"] for r in answer["reasons"]] == [
        "Refused: 150.00 GBP available, 500.00 GBP needed; 350.00 GBP short (cash 150.00 GBP, bonus 0.00 GBP)."]
