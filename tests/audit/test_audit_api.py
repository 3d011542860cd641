"""Audit search, the regulator's export and "why did player X receive / not receive Y"."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from croupier.compliance import AuditRecord, canonical_body, verify_chain
from croupier.store.accounts import create_key


def _history(make_event) -> list[dict]:  # noqa: ANN001
    """p1 consents to email (welcome allowed); p2 does not (welcome suppressed)."""
    p2 = make_event.__class__(now=make_event.now, player_id="p2")
    return [make_event.registered(timedelta(seconds=-30)),
            make_event("payment.deposit", timedelta(seconds=-20), transaction_id="t1", amount="50.00",
                       currency="SEK", status="approved"),
            p2.registered(timedelta(seconds=-10), consents={"email": False})]


def _admin(app_client) -> dict[str, str]:  # noqa: ANN001
    with app_client.app.state.runtime.db.engine.begin() as conn:
        token, _ = create_key(conn, "regulator export", ["admin"])
    return {"Authorization": f"Bearer {token}"}


def test_why_answers_received_suppressed_and_never_proposed(app_client, make_event) -> None:  # noqa: ANN001
    assert app_client.post("/v1/events", content=json.dumps(_history(make_event))).status_code == 200
    got = app_client.get("/v1/players/p1/why", params={"action": "welcome"}).json()
    assert got["received"] is True
    assert "allowed (sent to the outbox)" in got["summary"] and "all_checks_passed" in got["summary"]
    assert got["decisions"][0]["config_version"].startswith("cfg-")
    denied = app_client.get("/v1/players/p2/why", params={"action": "welcome"}).json()
    assert denied["received"] is False
    assert "suppressed" in denied["summary"] and "no_consent:email" in denied["summary"]
    never = app_client.get("/v1/players/p1/why", params={"action": "vip_upgrade"}).json()
    assert never["decisions"] == [] and never["received"] is False
    assert "was ever proposed" in never["summary"] and "first_deposit_thanks" in never["summary"]


def test_search_needs_the_admin_scope_and_filters(app_client, make_event) -> None:  # noqa: ANN001
    app_client.post("/v1/events", content=json.dumps(_history(make_event)))
    refused = app_client.get("/v1/audit")
    assert refused.status_code == 403 and "'admin' scope" in refused.json()["detail"]
    admin = _admin(app_client)
    records = app_client.get("/v1/audit", params={"player_id": "p2"}, headers=admin).json()["records"]
    assert records and {r["player_id"] for r in records} == {"p2"}
    assert all(r["kind"] == "gate.decision" for r in records)
    page = app_client.get("/v1/audit", params={"limit": 1}, headers=admin).json()
    assert len(page["records"]) == 1 and page["next_before_seq"] == page["records"][0]["seq"]
    bad = app_client.get("/v1/audit", params={"since": "yesterday"}, headers=admin)
    assert bad.status_code == 422 and "since must be an RFC 3339 time" in bad.json()["detail"]["message"]


def test_exports_carry_the_chain_and_are_themselves_audited(app_client, make_event) -> None:  # noqa: ANN001
    app_client.post("/v1/events", content=json.dumps(_history(make_event)))
    admin = _admin(app_client)
    exported = app_client.get("/v1/audit/export", params={"format": "json"}, headers=admin)
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    rows = json.loads(exported.text)
    # the export holds the whole chain with exact times: a regulator re-verifies every hash
    chain = [(AuditRecord(r["seq"], r["at_us"], r["actor"], r["kind"], r["player_id"], r["subject"],
                          r["config_version"], canonical_body(r["body"])), r["prev_hash"], r["hash"]) for r in rows]
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert rows[-1]["kind"] == "audit.exported" and rows[-1]["actor"].startswith("api-key:")
    assert verify_chain(chain) == []
    tampered = list(chain)
    record, prev, digest = tampered[0]
    flipped = (record.body.replace('"allowed":false', '"allowed":true') if '"allowed":false' in record.body
               else record.body.replace('"allowed":true', '"allowed":false'))   # a verdict reversed
    tampered[0] = (AuditRecord(record.seq, record.at_us, record.actor, record.kind, record.player_id,
                               record.subject, record.config_version, flipped), prev, digest)
    assert verify_chain(tampered) != []
    table = list(csv.DictReader(io.StringIO(app_client.get("/v1/audit/export", params={"format": "csv"},
                                                               headers=admin).text)))
    assert {"seq", "at", "hash", "prev_hash", "body"} <= set(table[0])
    assert [int(r["seq"]) for r in table] == list(range(1, len(table) + 1))
    only_p1 = json.loads(app_client.get("/v1/audit/export", params={"format": "json", "player_id": "p1"},
                                        headers=admin).text)
    assert only_p1 and {r["player_id"] for r in only_p1} == {"p1"}


def test_the_audit_names_the_key_and_shows_a_supplied_name_apart(app_client, make_event) -> None:  # noqa: ANN001
    """An ingest key posting an exclusion "as ada": the record's actor is the key; "ada" is
    kept only as the labelled `claimed_actor`, and the audit page shows it as such."""
    from croupier.store.accounts import create_user, open_session

    assert app_client.post("/v1/events", content=json.dumps([make_event.registered()])).status_code == 200
    key = "api-key:" + app_client.headers["Authorization"].split("_")[1]
    posted = app_client.post("/v1/players/p1/exclusions", json={"kind": "timeout", "period": "P1D", "actor": "ada"})
    assert posted.status_code == 201, posted.text
    [record] = app_client.get("/v1/audit", params={"kind": "protection.exclusion_started"},
                              headers=_admin(app_client)).json()["records"]
    assert record["actor"] == key and record["body"]["claimed_actor"] == "ada" and record["body"]["actor"] == key
    with app_client.app.state.runtime.db.engine.begin() as conn:
        token, _ = open_session(conn, create_user(conn, "aud", "aud-password-01", "auditor"))
    page = app_client.get("/audit", params={"kind": "protection.exclusion_started"},
                          headers={"Authorization": ""}, cookies={"croupier_session": token}).text
    row = page[page.index('data-kind="protection.exclusion_started"'):]
    row = row[:row.index("</tr>")]
    assert f'<td class="actor">{key}<br>' in row and "named in the request: ada" in row
