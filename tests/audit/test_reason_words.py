"""Reasons in words where they leave Croupier: the "why" answer sets each code's sentence
beside it (and its OpenAPI document says so), the audit export carries an `explanation`
column, and staff who may not see AML status read the neutral hold in words that do not
tip them off."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from croupier.compliance.reasons import explain
from croupier.store.accounts import create_key


def _admin(app_client) -> dict[str, str]:  # noqa: ANN001
    with app_client.app.state.runtime.db.engine.begin() as conn:
        token, _ = create_key(conn, "regulator export", ["admin"])
    return {"Authorization": f"Bearer {token}"}


def _history(make_event) -> list[dict]:  # noqa: ANN001
    """p1 registers with email consent (welcome allowed); p2 without (suppressed); p3's
    registration arrives 77 hours after it happened (its welcome waits: stale data)."""
    p2 = make_event.__class__(now=make_event.now, player_id="p2")
    p3 = make_event.__class__(now=make_event.now, player_id="p3")
    return [make_event.registered(timedelta(seconds=-30)), p2.registered(timedelta(seconds=-10), consents={"email": False}),
                    p3.registered(timedelta(hours=-77))]


def test_why_says_each_reason_in_words_beside_its_code(app_client, make_event) -> None:  # noqa: ANN001
    assert app_client.post("/v1/events", content=json.dumps(_history(make_event))).status_code == 200
    denied = app_client.get("/v1/players/p2/why", params={"action": "welcome"}).json()
    decision = denied["decisions"][0]   # the latest: the register has answered by now
    assert decision["reasons"] == ["no_consent:email"]                       # the code stays
    assert decision["explanations"] == [{"code": "no_consent:email",
                                         "text": "the player has not given marketing consent for email"}]
    assert "the player has not given marketing consent for email (no_consent:email)" in denied["summary"]
    assert "notes" not in decision and "note_explanations" not in decision   # none recorded, none invented
    assert decision["channel"] == "email" and decision["cause_event_id"]     # the recorded fields come along
    allowed = app_client.get("/v1/players/p1/why", params={"action": "welcome"}).json()["decisions"][0]
    assert allowed["explanations"] == [{"code": "all_checks_passed", "text": "every check passed"}]
    stale = app_client.get("/v1/players/p3/why", params={"action": "welcome"}).json()
    [code] = [r for r in stale["decisions"][0]["reasons"] if r.startswith("stale_data:")]
    minutes = int(code.split(":")[1].split("min")[0])
    assert 77 * 60 <= minutes < 78 * 60 and code.endswith(">60min")
    [words] = [e["text"] for e in stale["decisions"][0]["explanations"] if e["code"] == code]
    assert words == "the player's data was 77 hours old; promotions wait for data under 1 hour old"
    assert f"{words} ({code})" in stale["summary"]


def test_the_openapi_document_describes_the_explanations(app_client) -> None:  # noqa: ANN001
    spec = app_client.get("/openapi.json").json()
    ok = spec["paths"]["/v1/players/{player_id}/why"]["get"]["responses"]["200"]["content"]["application/json"]
    assert ok["schema"] == {"$ref": "#/components/schemas/WhyAnswer"}
    decision = spec["components"]["schemas"]["WhyDecision"]
    assert {"reasons", "explanations", "allowed", "seq", "at"} <= set(decision["required"])
    assert decision["properties"]["explanations"]["items"] == {"$ref": "#/components/schemas/ReasonText"}
    assert set(spec["components"]["schemas"]["ReasonText"]["properties"]) == {"code", "text"}


def test_the_audit_export_has_an_explanation_column(app_client, make_event) -> None:  # noqa: ANN001
    assert app_client.post("/v1/events", content=json.dumps(_history(make_event))).status_code == 200
    admin = _admin(app_client)
    text = app_client.get("/v1/audit/export", params={"format": "csv"}, headers=admin).text
    header = next(csv.reader(io.StringIO(text)))
    assert header[-1] == "explanation" and header[:11] == ["seq", "at", "at_us", "actor", "kind", "player_id",
                                                           "subject", "config_version", "body", "prev_hash", "hash"]
    rows = list(csv.DictReader(io.StringIO(text)))
    [p2] = [r for r in rows if r["kind"] == "gate.decision" and r["player_id"] == "p2"
            and json.loads(r["body"])["reasons"] == ["no_consent:email"]]
    assert p2["explanation"] == "the player has not given marketing consent for email (no_consent:email)"
    assert all(r["explanation"] == "" for r in rows if r["kind"] != "gate.decision")
    exported = json.loads(app_client.get("/v1/audit/export", params={"format": "json", "player_id": "p2"},
                                         headers=admin).text)
    assert any(r.get("explanation") == p2["explanation"] for r in exported)
    searched = app_client.get("/v1/audit", params={"player_id": "p1", "kind": "gate.decision"}, headers=admin).json()
    assert all(r["explanation"].startswith("every check passed") or "(" in r["explanation"]
               for r in searched["records"])


def test_a_note_is_said_in_words_too() -> None:
    from croupier.api.audit_routes import explanation_of

    body = {"reasons": ["all_checks_passed"], "notes": ["register_opted_out:SPELPAUS"]}
    assert explanation_of(body) == ("every check passed (all_checks_passed); note: the market is opted out of the "
                                    "SPELPAUS register by an approved configuration, so promotions pass without "
                                    "asking it (register_opted_out:SPELPAUS)")
    refused = {"reasons": [{"code": "insufficient_funds", "message": "…"}, {"no code": 1}, 7]}
    assert explanation_of(refused) == f"{explain('insufficient_funds').text} (insufficient_funds)"
    assert explanation_of({"reason": "free text"}) == "" and explanation_of(["not", "a", "body"]) == ""
