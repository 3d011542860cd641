"""The wallet API over HTTP, on SQLite and PostgreSQL: postings with limits, idempotency,
errors that name the field, scopes, authorize, limits with pending changes, and the engine
seeing wallet activity."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from croupier.compliance.rules import rules_for
from croupier.store.accounts import create_key


@pytest.fixture
def api(ledger_client: TestClient, make_event) -> TestClient:  # noqa: ANN001
    """The app (the ledger keeps the money) with a registered Swedish player p1
    (Europe/Stockholm) and an admin key."""
    response = ledger_client.post("/v1/events", json=[make_event.registered()])
    assert response.status_code == 200, response.text
    with ledger_client.app.state.runtime.db.engine.begin() as conn:
        token, _ = create_key(conn, "admin", ["ingest", "read", "admin"])
    ledger_client.admin = {"Authorization": f"Bearer {token}"}
    return ledger_client


def _deposit(api: TestClient, tx: str, amount: str, player: str = "p1") -> tuple[int, dict]:
    r = api.post(f"/v1/wallet/{player}/deposits", json={"transaction_id": tx, "amount": amount, "currency": "SEK"})
    return r.status_code, r.json()


def test_the_sek_scenario_over_http(api: TestClient) -> None:
    r = api.post("/v1/players/p1/limits", json={"kind": "deposit", "period": "day", "amount": "5000.00",
                                                "currency": "SEK"})
    assert r.status_code == 200 and r.json()["change"] == "new" and r.json()["pending"] is False
    assert _deposit(api, "d1", "3000.00")[0] == 200
    r = api.post("/v1/wallet/p1/bonus-credits", json={"transaction_id": "promo-1", "amount": "500.00",
                                                      "currency": "SEK", "reason": "welcome promotion"})
    assert r.status_code == 200 and r.json()["balance"]["bonus"] == "500.00"
    status, body = _deposit(api, "d2", "2000.00")
    assert status == 403 and body["status"] == "refused"
    reason = body["reasons"][0]
    assert (reason["limit"], reason["period"], reason["counted"], reason["remaining"]) == \
        ("deposit:day", "day", "3500.00", "1500.00")
    assert reason["counted_by_source"] == {"deposit": "3000.00", "bonus_credit": "500.00"}
    assert reason["timezone"] == "Europe/Stockholm"           # from the player.registered event
    assert "1,500.00 SEK remains" in reason["message"]
    wallet = api.get("/v1/wallet/p1").json()
    assert wallet["wallets"] == [{"currency": "SEK", "cash": "3000.00", "bonus": "500.00", "cash_pending": "0.00",
                                  "withdrawable": "3000.00"}]
    [usage] = wallet["usage"]
    assert (usage["counted"], usage["remaining"], usage["limit_amount"]) == ("3500.00", "1500.00", "5000.00")


def test_retries_replay_and_a_different_body_is_409(api: TestClient) -> None:
    _set_limit(api)
    first = api.post("/v1/wallet/p1/deposits", json={"transaction_id": "t1", "amount": "10.00", "currency": "SEK"})
    again = api.post("/v1/wallet/p1/deposits", json={"transaction_id": "t1", "amount": "10.00", "currency": "SEK"})
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = api.post("/v1/wallet/p1/deposits", json={"transaction_id": "t1", "amount": "11.00", "currency": "SEK"})
    assert other.status_code == 409
    assert other.json()["detail"]["field"] == "transaction_id" and "'t1'" in other.json()["detail"]["message"]
    assert api.get("/v1/wallet/p1").json()["wallets"][0]["cash"] == "10.00"


def test_errors_name_the_field_and_value(api: TestClient) -> None:
    r = api.post("/v1/wallet/p1/deposits", json={"transaction_id": "t", "amount": "1.001", "currency": "SEK"})
    assert r.status_code == 422
    assert r.json()["detail"]["field"] == "amount" and r.json()["detail"]["value"] == "1.001"
    r = api.post("/v1/wallet/p1/deposits", json={"transaction_id": "t", "amount": 10, "currency": "SEK"})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "amount" and r.json()["detail"]["value"] == 10
    r = api.post("/v1/wallet/p1/bets", json={"transaction_id": "t", "amount": "1.00", "currency": "XYZ"})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "amount" and "XYZ" in r.json()["detail"]["message"]
    r = api.post("/v1/wallet/p1/deposits", json={"transaction_id": "t", "amount": "0", "currency": "SEK"})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "amount"
    r = api.post("/v1/players/p1/limits", json={"kind": "deposit", "period": "fortnight", "amount": "1.00"})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "period"
    assert r.json()["detail"]["value"] == "fortnight" and r.json()["errors"][0] == r.json()["detail"]
    r = api.post("/v1/wallet/p1/withdrawals/nope/settle")
    assert r.status_code == 404 and r.json()["detail"]["field"] == "transaction_id"


def test_scopes(api: TestClient) -> None:
    with api.app.state.runtime.db.engine.begin() as conn:
        reader, _ = create_key(conn, "reader", ["read"])
    r = api.post("/v1/wallet/p1/deposits", json={"transaction_id": "t", "amount": "1.00", "currency": "SEK"},
                 headers={"Authorization": f"Bearer {reader}"})
    assert r.status_code == 403 and "ingest" in r.json()["detail"]
    adjustment = {"transaction_id": "adj-1", "amount": "5.00", "currency": "SEK", "direction": "credit",
                  "reason": "goodwill after an outage"}
    assert api.post("/v1/wallet/p1/adjustments", json=adjustment).status_code == 403          # ingest+read key
    _set_limit(api)
    r = api.post("/v1/wallet/p1/adjustments", json={**adjustment, "actor": "alice"}, headers=api.admin)
    assert r.status_code == 200 and r.json()["actor"].startswith("api-key:") and r.json()["claimed_actor"] == "alice"
    r = api.post("/v1/players/p1/limits", json={"kind": "wager", "period": "day", "amount": "1.00",
                                                "currency": "SEK", "source": "operator"})
    assert r.status_code == 403 and r.json()["detail"]["field"] == "source"


def _set_limit(api: TestClient, amount: str = "100000.00") -> None:
    r = api.post("/v1/players/p1/limits", json={"kind": "deposit", "period": "month", "amount": amount,
                                                "currency": "SEK"})
    assert r.status_code == 200, r.text


def test_authorize_allows_or_denies_with_reasons_and_posts_nothing(api: TestClient) -> None:
    ask = {"player_id": "p1", "kind": "deposit", "amount": "10.00", "currency": "SEK"}
    denied = api.post("/v1/authorize", json=ask).json()
    if rules_for("SE").limits.mandatory:             # Sweden: a deposit limit must be set first
        assert denied["decision"] == "deny" and denied["reasons"][0]["code"] == "mandatory_limit_missing"
    _set_limit(api, "100.00")
    assert api.post("/v1/authorize", json=ask).json() == {
        "decision": "allow", "player_id": "p1", "kind": "deposit", "currency": "SEK", "amount": "10.00",
        "reasons": []}
    denied = api.post("/v1/authorize", json={**ask, "amount": "100.01"}).json()
    assert denied["decision"] == "deny" and denied["reasons"][0]["code"] == "deposit_limit"
    assert denied["reasons"][0]["remaining"] == "100.00"
    bet = api.post("/v1/authorize", json={**ask, "kind": "bet"}).json()
    assert bet["decision"] == "deny" and bet["reasons"][0]["code"] == "insufficient_funds"
    wallet = api.get("/v1/wallet/p1").json()                          # nothing was posted
    assert wallet["wallets"][0]["cash"] == "0.00" and wallet["usage"][0]["counted"] == "0.00"


def test_limits_api_shows_pending_increase_and_history(api: TestClient) -> None:
    _set_limit(api, "100.00")
    r = api.post("/v1/players/p1/limits", json={"kind": "deposit", "period": "month", "amount": "300.00",
                                                "currency": "SEK", "reason": "pay rise"})
    assert r.status_code == 200 and r.json()["change"] == "increase" and r.json()["pending"] is True
    limits = api.get("/v1/players/p1/limits").json()
    assert [x["amount"] for x in limits["in_force"]] == ["100.00"]
    assert [x["amount"] for x in limits["pending"]] == ["300.00"]
    assert [h["change"] for h in limits["history"]] == ["new", "increase"]
    assert api.get("/v1/wallet/p1").json()["pending_changes"][0]["amount"] == "300.00"
    # the engine folded the facts: the player's protection state shows the limit and the pending change
    api.app.state.runtime.engine.process_pending()      # the engine is fed right after commit; catch up
    state = api.app.state.runtime.engine.state_of("p1")
    view = state.protection.limits["deposit:month"]
    assert view.amount_minor == 10_000 and view.pending is not None and view.pending.amount_minor == 30_000


def test_bets_wins_withdrawals_and_sessions_reach_the_engine(api: TestClient) -> None:
    _set_limit(api)
    assert _deposit(api, "d1", "100.00")[0] == 200
    r = api.post("/v1/wallet/p1/bets", json={"transaction_id": "b1", "amount": "30.00", "currency": "SEK",
                                             "bet_id": "r1", "session_id": "s1", "game_category": "slots"})
    assert r.status_code == 200 and r.json()["cash_amount"] == "30.00"
    assert api.post("/v1/wallet/p1/wins", json={"transaction_id": "w1", "amount": "50.00", "currency": "SEK",
                                                "bet_id": "r1"}).status_code == 200
    w = api.post("/v1/wallet/p1/withdrawals", json={"transaction_id": "wd1", "amount": "20.00", "currency": "SEK"})
    assert w.status_code == 200 and w.json()["status"] == "pending"
    s = api.post("/v1/wallet/p1/withdrawals/wd1/settle")
    assert s.status_code == 200 and s.json()["status"] == "settled" and s.json()["balance"]["cash"] == "100.00"
    assert api.post("/v1/wallet/p1/withdrawals/wd1/void").status_code == 409
    assert api.post("/v1/wallet/p1/sessions/s1/end").json()["status"] == "ended"
    assert api.get("/v1/wallet/p1/transactions/wd1").json()["status"] == "settled"
    types = [e["type"] for e in api.get("/v1/players/p1/events").json()["events"]]
    for t in ("payment.deposit", "casino.bet", "casino.win", "payment.withdrawal", "session.started",
              "session.ended", "croupier.limit_set"):
        assert t in types
    api.app.state.runtime.engine.process_pending()      # the engine is fed right after commit; catch up
    state = api.app.state.runtime.engine.state_of("p1")
    assert state.event_count == len(types)       # the engine processed every event the wallet appended


def test_parallel_requests_cannot_race_past_a_limit(api: TestClient) -> None:
    _set_limit(api, "100.00")
    barrier = threading.Barrier(8)

    def one(i: int) -> int:
        if i < 8:
            barrier.wait()
        return _deposit(api, f"par-{i}", "15.00")[0]

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(one, range(24)))
    assert statuses.count(200) == 6 and statuses.count(403) == 18
    assert api.get("/v1/wallet/p1").json()["wallets"][0]["cash"] == "90.00"
