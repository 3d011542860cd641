"""Input that used to answer 500 (or store what no route can read back) gets a clear 4xx, or a
per-event rejection that keeps the rest of the batch: deep JSON, an over-long time zone, log
positions out of range, NUL characters on every route, bodies of any size, and ids that URLs
cannot carry. Runs on SQLite and PostgreSQL (app_client) where anything is stored."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from croupier.store.accounts import create_key
from croupier.store.schema import MAX_SEQ, events as events_table

from . import stored_ids


def _runtime(client):  # noqa: ANN001, ANN202
    return client.app.state.runtime


def _admin(client) -> dict[str, str]:  # noqa: ANN001
    with _runtime(client).db.engine.begin() as conn:
        token, _ = create_key(conn, "admin", ["ingest", "read", "admin"])
    return {"Authorization": f"Bearer {token}"}


def _register(client, make_event, player_id: str = "mt-1") -> None:  # noqa: ANN001
    """A Maltese player (no mandatory limit: deposits post)."""
    event = make_event.registered(timedelta(hours=-1), player_id=player_id, jurisdiction="MT", country="MT",
                                  currency="EUR", timezone="Europe/Malta")
    result = client.post("/v1/events", json=[event]).json()
    assert result["accepted"] == 1, result


def _problem(response, status: int = 422) -> dict:  # noqa: ANN001
    """The one 422 shape: detail = the first problem, errors = all of them."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"detail", "errors"} and body["errors"][0] == body["detail"], body
    assert {"field", "message", "value"} <= set(body["detail"]), body
    return body["detail"]


def _event_count(client) -> int:  # noqa: ANN001
    with _runtime(client).db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(events_table)).scalar_one()


# -- POST /v1/events ------------------------------------------------------------------------
def test_json_nested_a_thousand_deep_is_rejected_not_a_500(app_client):
    response = app_client.post("/v1/events", content=b"[" * 1000 + b"]" * 1000)
    assert response.status_code == 200, response.text
    [rejection] = response.json()["rejected"]
    assert rejection["index"] == 0 and "32 levels deep" in rejection["reason"]
    objects = b"[" + b'{"x":' * 1000 + b"1" + b"}" * 1000 + b"]"
    response = app_client.post("/v1/events", content=objects)
    assert response.status_code == 200 and "levels deep" in response.json()["rejected"][0]["reason"]


def test_an_event_with_a_5000_deep_unknown_field_is_rejected_and_the_others_are_stored(app_client, make_event):
    good = [make_event("player.login", timedelta(minutes=-i), success=True) for i in range(1, 3)]
    deep = make_event("player.login", timedelta(minutes=-5), success=True)
    text = json.dumps(deep)[:-1] + ', "x_trace": ' + '{"a":' * 5000 + "1" + "}" * 5000 + "}"
    body = ("[" + json.dumps(good[0]) + "," + text + "," + json.dumps(good[1]) + "]").encode()
    response = app_client.post("/v1/events", content=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["accepted"] == 2
    [rejection] = result["rejected"]
    assert rejection["index"] == 1 and "levels deep" in rejection["reason"]
    assert sorted(stored_ids(_runtime(app_client).db)) == sorted(e["event_id"] for e in good)


def test_nesting_up_to_the_limit_is_kept_verbatim(app_client, make_event):
    event = make_event("player.login", success=True)
    event["x_tree"] = json.loads('{"a":' * 30 + "1" + "}" * 30)   # the event is level 1: 31 in all
    result = app_client.post("/v1/events", json=[event]).json()
    assert result["accepted"] == 1 and result["rejected"] == []
    too_deep = make_event("player.login", success=True)
    too_deep["x_tree"] = json.loads('{"a":' * 32 + "1" + "}" * 32)
    result = app_client.post("/v1/events", json=[too_deep]).json()
    assert result["accepted"] == 0 and "32 levels deep" in result["rejected"][0]["reason"]


def test_a_256_character_timezone_rejects_that_event_only(app_client, make_event):
    bad = make_event.registered(player_id="tz-long", timezone="A" * 256)
    good = make_event.registered(player_id="tz-fine")
    response = app_client.post("/v1/events", json=[bad, good])
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["accepted"] == 1
    [rejection] = result["rejected"]
    assert (rejection["index"], rejection["field"], rejection["value"]) == (0, "timezone", "A" * 256)
    assert stored_ids(_runtime(app_client).db) == [good["event_id"]]


@pytest.mark.parametrize("player_id", ["a/b", "..", ".", "a\\b", "tab\there", "nl\n", "del\x7f", "c1\x85"])
def test_player_ids_that_urls_cannot_carry_are_rejected_with_the_reason(app_client, make_event, player_id):
    bad = make_event("player.login", player_id=player_id, success=True)
    good = make_event("player.login", success=True)
    result = app_client.post("/v1/events", json=[bad, good]).json()
    assert result["accepted"] == 1
    [rejection] = result["rejected"]
    assert (rejection["field"], rejection["value"]) == ("player_id", player_id)
    assert "URLs" in rejection["reason"]


def test_every_accepted_player_id_is_reachable_through_the_api(app_client, make_event):
    ids = ["p 1", "p+q:r@s", "ü-ß", "a.b", "...", "a?b#c", "x" * 128]
    events = [make_event("player.login", player_id=pid, success=True) for pid in ids]
    assert app_client.post("/v1/events", json=events).json()["accepted"] == len(ids)
    for pid in ids:
        segment = "".join(c if c.isalnum() or c in "-._~" else "".join(f"%{b:02X}" for b in c.encode())
                          for c in pid)
        response = app_client.get(f"/v1/players/{segment}")
        assert response.status_code == 200 and response.json()["player_id"] == pid, (pid, response.text)


# -- GET /v1/players/{id}/events, GET /v1/audit -----------------------------------------------
@pytest.mark.parametrize("before_seq", [str(10**30), str(MAX_SEQ + 1), "-5", "0"])
def test_a_log_position_out_of_range_is_a_422_naming_it(app_client, before_seq):
    problem = _problem(app_client.get("/v1/players/p1/events", params={"before_seq": before_seq}))
    assert problem["field"] == "before_seq" and problem["value"] == before_seq
    problem = _problem(app_client.get("/v1/audit", params={"before_seq": before_seq}, headers=_admin(app_client)))
    assert problem["field"] == "before_seq"


def test_the_largest_log_position_is_fine(app_client):
    assert app_client.get("/v1/players/p1/events", params={"before_seq": MAX_SEQ}).json() == {"events": []}


# -- NUL on every route -----------------------------------------------------------------------
def test_nul_in_a_wallet_transaction_id_or_method_is_refused_and_nothing_is_posted(ledger_client, make_event):
    _register(ledger_client, make_event)
    for field, body in [("transaction_id", {"transaction_id": "tx\x001", "amount": "5.00", "currency": "EUR"}),
                        ("method", {"transaction_id": "tx-2", "amount": "5.00", "currency": "EUR",
                                    "method": "card\x00"})]:
        problem = _problem(ledger_client.post("/v1/wallet/mt-1/deposits", json=body))
        assert problem["field"] == field and "\x00" in problem["value"] and "NUL" in problem["message"]
    wallet = ledger_client.get("/v1/wallet/mt-1").json()
    assert all(w["cash"] in ("0", "0.00") for w in wallet.get("wallets", [])), wallet
    assert ledger_client.get("/v1/wallet/mt-1/transactions/tx-2").status_code == 404
    ok = ledger_client.post("/v1/wallet/mt-1/deposits", json={"transaction_id": "tx-3", "amount": "5.00",
                                                           "currency": "EUR", "method": "card"})
    assert ok.status_code == 200, ok.text


def test_an_escaped_backslash_before_u0000_is_not_a_nul(ledger_client, make_event):
    _register(ledger_client, make_event)
    body = b'{"transaction_id": "tx-1", "amount": "5.00", "currency": "EUR", "method": "c\\\\u0000"}'
    response = ledger_client.post("/v1/wallet/mt-1/deposits", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    with _runtime(ledger_client).db.engine.connect() as conn:
        stored = conn.execute(select(events_table.c.payload).where(events_table.c.type == "payment.deposit")).scalar_one()
    assert json.loads(stored)["method"] == "c\\u0000"


@pytest.mark.parametrize("url, field", [("/v1/players?q=an%00na", "q"), ("/v1/rg/queue?assigned=rita%00", "assigned"),
                                        ("/v1/audit?kind=x%00", "kind"), ("/v1/players/p%001", "path"),
                                        ("/v1/wallet/p%001", "path"), ("/v1/health?x=%00", "x")])
def test_nul_in_a_query_or_path_is_a_422_on_any_route(app_client, url, field):
    problem = _problem(app_client.get(url, headers=_admin(app_client)))
    assert problem["field"] == field and ("NUL" in problem["message"] or "control" in problem["message"])


def test_nul_in_a_json_body_or_form_is_refused_wherever_it_is(app_client):
    admin = _admin(app_client)
    problem = _problem(app_client.post("/v1/players/p1/exclusions", json={"kind": "panic", "reason": "x\x00"}))
    assert problem["field"] == "reason"
    problem = _problem(app_client.post("/v1/config/versions", headers={**admin, "X-Croupier-Actor": "nobody"},
                                       json={"document": {"jurisdictions": {"S\x00E": {}}}}))
    assert problem["field"] == "document.jurisdictions.S\x00E"
    problem = _problem(app_client.post("/login", data={"username": "ada\x00", "password": "x"}))
    assert problem["field"] == "username"
    problem = _problem(app_client.post("/login", files={"username": (None, "ada\x00")}))
    assert "NUL" in problem["message"]


@pytest.mark.parametrize("raw, field, text", [
    (b'{"seed": 1e400}', "seed", "1e400"),
    (b'{"seed": NaN}', "seed", "NaN"),
    (b'{"comment": "Infinity and NaN in a string are words", "seed": -Infinity}', "seed", "-Infinity"),
])
def test_a_non_finite_json_number_is_a_422_naming_it_not_a_500(app_client, raw, field, text):
    """Python's decoder takes NaN, Infinity and 1e400 (as inf); an answer echoing one could
    not be written (500), and a stored one could never be read back as JSON."""
    headers = {**_admin(app_client), "X-Croupier-Actor": "nobody", "Content-Type": "application/json"}
    problem = _problem(app_client.post("/v1/models/rg/train", content=raw, headers=headers))
    assert problem["field"] == field and problem["value"] == text and "finite number" in problem["message"]
    nested = b'{"draft": true, "patch": {"jurisdictions": {"SE": {"rg": [1, 2e999]}}}}'
    problem = _problem(app_client.post("/v1/config/versions", content=nested, headers=headers))
    assert problem["field"] == "patch.jurisdictions.SE.rg[1]" and problem["value"] == "2e999"
    # large but finite numbers, and the words in strings, are the routes' own business
    answer = app_client.post("/v1/models/rg/train", content=b'{"seed": 1e300, "comment": "NaN"}', headers=headers)
    assert answer.status_code != 500 and "finite number" not in answer.text


@pytest.mark.parametrize("value", ["yes", "false", 1, 0])
def test_a_protective_switch_takes_only_true_or_false(app_client, value):
    """Lifting a hard stop and removing a limit are read from JSON booleans only: a lax
    reading took "yes" (and 1) for true and lifted a player's hard stop."""
    headers = {**_admin(app_client), "X-Croupier-Actor": "nobody"}
    problem = _problem(app_client.post("/v1/players/p1/rg-review", headers=headers,
                                       json={"outcome": "no_concern", "lift_hard_stop": value}))
    assert problem["field"] == "lift_hard_stop" and problem["value"] == value
    assert problem["message"].startswith("must be true or false")
    problem = _problem(app_client.post("/v1/players/p1/limits", headers=headers,
                                       json={"kind": "deposit", "period": "day", "remove": value}))
    assert problem["field"] == "remove" and problem["message"].startswith("must be true or false")


# -- body size --------------------------------------------------------------------------------
def test_a_body_over_its_route_class_limit_is_a_413_before_it_is_read(app_client):
    big = b'{"transaction_id": "t", "amount": "1.00", "currency": "EUR", "x": "' + b"y" * (70 * 2**20) + b'"}'
    response = app_client.post("/v1/wallet/p1/deposits", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413 and "64 KiB" in response.json()["detail"]
    chunks = iter([b"[" + b" " * 2**20] * 70 + [b"]"])   # chunked: no Content-Length to go by
    response = app_client.post("/v1/players/p1/limits", content=chunks, headers={"content-type": "application/json"})
    assert response.status_code == 413
    response = app_client.post("/v1/events", content=b"[" + b" " * (65 * 2**20) + b"]")
    assert response.status_code == 413 and "64 MiB" in response.json()["detail"]
    response = app_client.post("/v1/config/versions", content=b"{" + b" " * (2 * 2**20) + b"}",
                               headers={"content-type": "application/json"})
    assert response.status_code == 413 and "1 MiB" in response.json()["detail"]
    # a batch of events well over 64 KiB is still fine
    events = [{"event_id": f"e{i}", "type": "player.login", "player_id": "p1", "brand": "b",
               "occurred_at": "2026-01-01T00:00:00+00:00", "x_pad": "z" * 1000} for i in range(200)]
    assert app_client.post("/v1/events", json=events).json()["accepted"] == 200


def test_a_live_server_refuses_a_huge_wallet_body_without_reading_it(sqlite_url):
    """Over a real socket: 70 MiB announced and none of it sent, and the 413 comes back at once;
    the body sent after it finds the connection closed or ignored, never read."""
    import uvicorn

    from croupier.api import create_app

    app = create_app(sqlite_url, background=False)
    with app.state.runtime.db.engine.begin() as conn:
        token, _ = create_key(conn, "t", ["ingest"])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
            time.sleep(0.02)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(f"POST /v1/wallet/p1/deposits HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                         f"Content-Type: application/json\r\nContent-Length: {70 * 2**20}\r\n\r\n".encode())
            answer = conn.recv(4096).decode()        # before any of the body: decided from the header
            try:
                conn.sendall(b"{" + b" " * 2**20)
            except (BrokenPipeError, ConnectionResetError):
                pass                                   # the server closed without reading it
        assert answer.startswith("HTTP/1.1 413"), answer
        assert "64 KiB" in answer
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.runtime.close()


# -- wallet ids that reappear in URLs ---------------------------------------------------------
def test_wallet_ids_that_urls_cannot_carry_are_refused(app_client, make_event):
    _register(app_client, make_event)
    before = _event_count(app_client)
    problem = _problem(app_client.post("/v1/wallet/mt-1/withdrawals", json={
        "transaction_id": "w/1", "amount": "1.00", "currency": "EUR"}))
    assert problem["field"] == "transaction_id" and problem["value"] == "w/1"
    problem = _problem(app_client.post("/v1/wallet/mt-1/sessions", json={"session_id": ".."}))
    assert problem["field"] == "session_id"
    problem = _problem(app_client.post("/v1/authorize", json={"player_id": "a/b", "kind": "deposit",
                                                                "amount": "1.00", "currency": "EUR"}))
    assert problem["field"] == "player_id"
    for url in ("/v1/wallet/%2E%2E/deposits", "/v1/wallet/a%5Cb/deposits"):
        problem = _problem(app_client.post(url, json={"transaction_id": "t9", "amount": "1.00", "currency": "EUR"}))
        assert problem["field"] == "path"
    assert _event_count(app_client) == before
