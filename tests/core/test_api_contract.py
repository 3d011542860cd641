"""The API keeps the contract its own OpenAPI document states.

Property-based: schemathesis generates requests from GET /openapi.json, valid and invalid
ones: the boundary values of every parameter (its coverage phase) and a fixed number of fuzzed
ones per operation (EXAMPLES, a fixed seed: the run is bounded and repeatable), on SQLite and
PostgreSQL. Any 5xx fails, and so does a status, content type or body the
document does not declare for that operation. Beside it, plain tests of what the document
promises about errors: one 422 shape, and 401 for every operation but the public ones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.checks import (
    content_type_conformance, not_a_server_error, response_schema_conformance, status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from croupier.api import create_app
from croupier.api.errors import PUBLIC
from croupier.store.accounts import create_key, create_user
from conftest import EventFactory

EXAMPLES = 10   # fuzzed per operation and generation mode, beside the coverage phase's boundary cases
SEED = 20261121
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _seeded_app(db_url: str) -> tuple[Any, str]:
    """The whole app over a database with two players (one registered), an admin key and an
    admin staff user for `X-Croupier-Actor`."""
    app = create_app(db_url, background=False)
    with app.state.runtime.db.engine.begin() as conn:
        token, _ = create_key(conn, "contract", ["ingest", "read", "admin"])
        create_user(conn, "ada", "ada-password-01", "admin")
    ev = EventFactory(player_id="p1")
    events = [ev.registered(timedelta(hours=-2), jurisdiction="MT", country="MT", currency="EUR",
                            timezone="Europe/Malta"),
              ev("payment.deposit", timedelta(hours=-1), transaction_id="tx-1", amount="20.00", currency="EUR",
                 status="approved"),
              ev("player.login", timedelta(minutes=-5), player_id="p2", success=True)]
    result = app.state.runtime.ingest(__import__("json").dumps(events).encode())
    assert not result.rejected, result.rejected
    return app, token


@pytest.fixture
def api_schema(db_url: str) -> Iterator[Any]:
    app, token = _seeded_app(db_url)
    config = SchemathesisConfig.from_dict({
        "seed": SEED,
        "headers": {"Authorization": f"Bearer {token}", "X-Croupier-Actor": "ada"},
        "generation": {"max-examples": EXAMPLES},
        "phases": {"stateful": {"enabled": False}},   # examples, coverage (boundaries), fuzzing
    })
    yield schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    app.state.runtime.close()


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.contract
@pytest.mark.timeout(900)
@schema.parametrize()
def test_every_operation_keeps_its_openapi_contract(case: Any) -> None:
    case.call_and_validate(checks=CHECKS)


# -- what the document promises about errors --------------------------------------------------
@pytest.fixture
def bare(db_url: str) -> Iterator[tuple[TestClient, str]]:
    app, token = _seeded_app(db_url)
    with TestClient(app) as client:
        yield client, token


def test_every_422_has_one_shape_whichever_layer_answers_it(bare):
    client, token = bare
    auth = {"Authorization": f"Bearer {token}"}
    answers = {
        "request validation": client.post("/v1/wallet/p1/deposits", headers=auth,
                                          json={"transaction_id": "t", "amount": 10, "currency": "EUR"}),
        "a route's own check": client.get("/v1/audit", headers=auth, params={"since": "yesterday"}),
        "a route's refusal": client.post("/v1/wallet/p1/deposits", headers=auth,
                                         json={"transaction_id": "t", "amount": "1.001", "currency": "EUR"}),
        "the input guard": client.get("/v1/players", headers=auth, params={"q": "a\x00"}),
        "the wallet lane": client.post("/v1/wallet/p1/bets", headers=auth,
                                       json={"transaction_id": "t2", "amount": "1.00", "currency": "XYZ"}),
    }
    spec = client.get("/openapi.json").json()
    problem_fields = set(spec["components"]["schemas"]["Problem"]["properties"])
    assert problem_fields == {"field", "message", "value"}
    for layer, response in answers.items():
        assert response.status_code == 422, (layer, response.text)
        body = response.json()
        assert set(body) == {"detail", "errors"}, (layer, body)
        assert body["errors"][0] == body["detail"] and problem_fields <= set(body["detail"]), (layer, body)
        assert isinstance(body["detail"]["message"], str) and body["detail"]["message"], (layer, body)
    assert answers["request validation"].json()["detail"]["field"] == "amount"
    assert answers["a route's own check"].json()["detail"]["field"] == "since"
    assert answers["the input guard"].json()["detail"]["field"] == "q"


def test_every_operation_declares_its_errors_and_answers_401_without_a_key(bare):
    client, _ = bare
    spec = client.get("/openapi.json").json()
    checked = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "422" in responses, (method, path)
            assert responses["422"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/InvalidInput"}, (method, path)
            for status, response in responses.items():
                if int(status) >= 400:
                    assert response["content"]["application/json"]["schema"]["$ref"].startswith(
                        "#/components/schemas/"), (method, path, status)
            if method != "get":
                assert "413" in responses, (method, path)
            if path in PUBLIC:
                continue
            assert {"401", "403"} <= set(responses), (method, path)
            url = path.replace("{", "").replace("}", "")   # any id will do: the key is checked first
            answer = client.request(method.upper(), url)
            assert str(answer.status_code) in responses, (method, path, answer.text)
            if method == "get":   # nothing to validate before the key
                assert answer.status_code == 401, (method, path, answer.text)
            else:   # staff actions read their body before they identify the staff member
                assert answer.status_code in (401, 403, 422), (method, path, answer.text)
            checked += 1
    assert checked > 50


def test_the_audit_export_declares_and_sends_csv(bare):
    client, token = bare
    spec = client.get("/openapi.json").json()
    content = spec["paths"]["/v1/audit/export"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"text/csv", "application/json"}
    answer = client.get("/v1/audit/export", params={"format": "csv"}, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.text.splitlines()[0].startswith("seq,at,")
