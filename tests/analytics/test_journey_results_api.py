"""`GET /v1/journeys/{id}/results` on SQLite and PostgreSQL: arms from the journey records,
conversions from the goals the engine recorded, money from the raw events inside each
player's window (a rolled-back deposit counts nowhere, a deposit before entry or after the
window is not the journey's), in the currency asked for; refusals for an unknown journey or
goal, and a journey with no goal said to be not measurable."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from conftest import EventFactory
from croupier.journeys import in_holdout
from croupier.store.accounts import create_key, create_user

NOW = datetime.now(timezone.utc).replace(microsecond=0)
ENTRY = NOW - timedelta(days=3)
JOURNEY = {
    "key": "deposit_nudge", "name": "Deposit nudge", "version": 1, "purpose": "promotional",
    "trigger": {"kind": "event", "event": "frontend.cashier_opened"},
    "steps": [{"kind": "send", "id": "nudge", "channel": "email", "template": "deposit_nudge"},
              {"kind": "exit", "id": "done"}],
    "goals": [{"name": "deposit", "event": "payment.deposit", "condition": "event.status = \"approved\"",
               "window": "P1D"}],
    "holdout_percent": 30,
}


@pytest.fixture
def staff(app_client):  # noqa: ANN001, ANN201
    with app_client.app.state.runtime.db.engine.begin() as conn:
        create_user(conn, "cleo", "cleo-password-1", "crm_manager")
        token, _ = create_key(conn, "crm tool", ["admin"])
    return app_client, {"Authorization": f"Bearer {token}", "X-Croupier-Actor": "cleo"}


def _publish(client: Any, headers: dict[str, str], definition: dict[str, Any]) -> int:
    made = client.post("/v1/journeys", headers=headers, json={"definition": definition})
    assert made.status_code == 201, made.text
    jid = made.json()["journey_id"]
    assert client.post(f"/v1/journeys/{jid}/publish", headers=headers, json={"version": 1}).status_code == 200
    return jid


def _deposit(ev: EventFactory, at: datetime, tx: str, amount: str, **fields: Any) -> dict[str, Any]:
    return ev("payment.deposit", at - NOW, transaction_id=tx, amount=amount, currency="EUR", status="approved",
              method="card", **fields)


def test_results_count_what_the_raw_events_say(staff) -> None:  # noqa: ANN001
    client, headers = staff
    jid = _publish(client, headers, JOURNEY)
    events, expected = [], {"journey": [0, 0, 0, 0], "control": [0, 0, 0, 0]}   # players, converted, deposits, ggr
    for i in range(40):
        pid = f"nudge-{i}"
        ev = EventFactory(now=NOW, player_id=pid)
        arm = "control" if in_holdout(JOURNEY["key"], pid, 30) else "journey"
        events += [ev.registered(ENTRY - NOW - timedelta(days=2), jurisdiction="MT", country="MT", currency="EUR",
                                 timezone="Europe/Malta", language="en"),
                   _deposit(ev, ENTRY - timedelta(hours=5), f"{pid}-pre", "7.00"),          # pre-period only
                   ev("frontend.cashier_opened", ENTRY - NOW, page="cashier")]
        expected[arm][0] += 1
        if i % 2:
            events.append(_deposit(ev, ENTRY + timedelta(hours=2), f"{pid}-in", f"{10 + i}.50"))
            expected[arm][1] += 1
            expected[arm][2] += (10 + i) * 100 + 50
        if i % 5 == 0:   # a bet and a win inside the window; a bet after it
            events += [ev("casino.bet", ENTRY - NOW + timedelta(hours=1), bet_id=f"{pid}-b", amount="4.00",
                          currency="EUR", game_id="g1"),
                       ev("casino.win", ENTRY - NOW + timedelta(hours=1, minutes=1), bet_id=f"{pid}-b",
                          amount="1.50", currency="EUR", game_id="g1"),
                       ev("casino.bet", ENTRY - NOW + timedelta(days=1, hours=1), bet_id=f"{pid}-late",
                          amount="9.00", currency="EUR", game_id="g1")]
            expected[arm][3] += 400 - 150
        if i % 7 == 3:   # undone: counts nowhere (the conversion stands: the goal was reached)
            undone = _deposit(ev, ENTRY + timedelta(hours=3), f"{pid}-undone", "100.00")
            events += [undone, ev("rollback", ENTRY - NOW + timedelta(hours=4), ref_event_id=undone["event_id"])]
            if not i % 2:
                expected[arm][1] += 1
    answer = client.post("/v1/events", content=json.dumps(events))
    assert answer.status_code == 200 and not answer.json()["rejected"], answer.text

    results = client.get(f"/v1/journeys/{jid}/results", headers=headers)
    assert results.status_code == 200, results.text
    body = results.json()
    assert body["measurable"] and body["players"] == 40 and body["goal"] == "deposit"
    assert body["currency"] == "EUR" and body["window_seconds"] == 86_400 and body["windows_open"] == 0
    got = {a["arm"]: [a["players"], a["conversions"], a["deposits_minor"], a["ggr_minor"]] for a in body["arms"]}
    assert got == expected
    assert {a["arm"]: a["deposits"] for a in body["arms"]} == {
        arm: f"{v[2] // 100}.{v[2] % 100:02d}" for arm, v in expected.items()}
    (comparison,) = body["comparisons"]
    assert comparison["verdict"] == "too few players" and comparison["significant"] is False
    assert comparison["words"].startswith("not yet significant")
    assert body["sample_ratio"]["observed"] == {"journey": expected["journey"][0], "control": expected["control"][0]}

    # money in another currency without a rate: every player is left out, and said to be
    nothing = client.get(f"/v1/journeys/{jid}/results", headers=headers, params={"currency": "GBP"}).json()
    assert nothing["excluded"]["no_rate"] == 40 and nothing["measured_players"] == 0

    assert client.get(f"/v1/journeys/{jid}/results", headers=headers, params={"goal": "vip"}).status_code == 422
    assert client.get("/v1/journeys/999/results", headers=headers).status_code == 404
    goalless = _publish(client, headers, {**JOURNEY, "key": "no_goal", "goals": [], "group": "other"})
    plain = client.get(f"/v1/journeys/{goalless}/results", headers=headers).json()
    assert plain["measurable"] is False and "no goal" in plain["words"]


def test_a_sample_ratio_mismatch_withholds_the_uplift_and_says_why() -> None:
    from croupier.analytics.journey_results import report_view
    from croupier.analytics.uplift import Observation, measure

    rows = [Observation("journey", i % 3 == 0) for i in range(500)] + \
        [Observation("control", i % 4 == 0) for i in range(300)]        # configured 80/20, got 62/38
    view = report_view(measure(rows, {"journey": 80, "control": 20}, "control"), "EUR", "control")
    assert view["sample_ratio"]["mismatch"] is True and "did not split as configured" in view["sample_ratio"]["words"]
    (comparison,) = view["comparisons"]
    assert comparison["verdict"] == "sample ratio mismatch" and comparison["metrics"] is None
    assert comparison["significant"] is False and comparison["words"].startswith("not readable")
    fair = report_view(measure(rows[:400] + rows[500:600], {"journey": 80, "control": 20}, "control"), "EUR",
                       "control")
    assert fair["sample_ratio"]["mismatch"] is False and fair["comparisons"][0]["metrics"]["conversion"]
