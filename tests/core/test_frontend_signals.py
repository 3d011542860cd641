"""Front-end signals (protocol v1 `frontend.*`): accepted over the API with precise errors,
stored in the log, moving no money and no feature of play, and named by journeys as the
protocol's own types (docs/protocol.md#front-end-signals)."""

from __future__ import annotations

import json
from datetime import timedelta

from croupier.events import FRONTEND_TYPES, TYPE_NAMES


def _signals(ev) -> list[dict]:  # noqa: ANN001
    return [
        ev("frontend.cashier_opened", timedelta(minutes=-30), page="cashier", session_id="s1"),
        ev("frontend.deposit_started", timedelta(minutes=-29), transaction_id="dep-1", amount="50.00",
           currency="SEK", method="card"),
        ev("frontend.game_launched", timedelta(minutes=-20), game_id="starburst", game_category="slots",
           provider="netent"),
        ev("frontend.idle", timedelta(minutes=-10), idle_seconds=300),
        ev("frontend.exit_intent", timedelta(minutes=-5), page="lobby"),
    ]


def test_signals_are_stored_and_change_no_feature_of_play(app_client, make_event) -> None:  # noqa: ANN001
    ev = make_event
    registration = ev.registered(timedelta(hours=-1))
    assert app_client.post("/v1/events", content=json.dumps([registration])).status_code == 200
    before = app_client.get("/v1/players/p1").json()["features"]
    answer = app_client.post("/v1/events", content=json.dumps(_signals(ev))).json()
    assert answer["accepted"] == 5 and not answer.get("rejected"), answer
    after = app_client.get("/v1/players/p1").json()["features"]
    changed = {k for k in before if before[k] != after.get(k)}
    assert not {k for k in changed if k.startswith(("deposit", "stake", "bet_count", "ggr", "session", "active"))}, changed
    types = {item["type"] for item in app_client.get("/v1/players/p1/events").json()["events"]}
    assert {"frontend.deposit_started", "frontend.idle"} <= types


def test_bad_signals_are_rejected_naming_the_field(app_client, make_event) -> None:  # noqa: ANN001
    ev = make_event
    bad = [ev("frontend.idle", timedelta(minutes=-1), idle_seconds=-5),
           ev("frontend.deposit_started", timedelta(minutes=-1)),                     # no transaction_id
           ev("frontend.game_launched", timedelta(minutes=-1), game_id="g", game_category="lottery"),
           ev("frontend.deposit_started", timedelta(minutes=-1), transaction_id="d", amount="5.001", currency="SEK"),
           ev("frontend.deposit_started", timedelta(minutes=-1), transaction_id="d", amount="5.00")]
    answer = app_client.post("/v1/events", content=json.dumps(bad)).json()
    rejected = {r["index"]: r for r in answer["rejected"]}
    assert set(rejected) == {0, 1, 2, 3, 4}, answer
    assert "idle_seconds" in json.dumps(rejected[0]) and "transaction_id" in json.dumps(rejected[1])
    assert "game_category" in json.dumps(rejected[2]) and "amount" in json.dumps(rejected[3])
    assert (rejected[4]["field"], rejected[4]["reason"]) == ("currency", "is required with an amount")


def test_journeys_name_the_signals_as_protocol_types() -> None:
    from croupier.journeys import PLANNED, event_fields

    names = {t.__struct_config__.tag for t in FRONTEND_TYPES}
    assert names <= set(TYPE_NAMES) and not names & set(PLANNED)
    assert "event.idle_seconds" in event_fields("frontend.idle")
    assert "event.transaction_id" not in event_fields("frontend.deposit_started")    # an id, not a condition
    assert "event.amount" in event_fields("frontend.deposit_started")
