"""Who may change a player's protection over the API, on SQLite and PostgreSQL: a player's own
request relayed by the operator's platform (`ingest`) never ends or loosens what staff or a
regulator imposed; staff decisions need the `protection` scope; and the audit log names the
key that acted, never a name the request supplied."""

from __future__ import annotations

import json

from sqlalchemy import select

from croupier.store.accounts import create_key
from croupier.store.schema import audit_log

from . import same_person


def _key(runtime, *scopes: str) -> dict[str, str]:  # noqa: ANN001
    with runtime.db.engine.begin() as conn:
        token, _ = create_key(conn, "+".join(scopes), list(scopes))
    return {"Authorization": f"Bearer {token}"}


def _audit(runtime, kind: str) -> list:  # noqa: ANN001
    with runtime.db.reader.connect() as conn:
        return conn.execute(select(audit_log).where(audit_log.c.kind == kind).order_by(audit_log.c.seq)).all()


def test_an_ingest_key_cannot_end_an_exclusion_staff_imposed(runtime, client):
    same_person(runtime, jurisdiction="SE")
    staff, ingest = _key(runtime, "protection"), _key(runtime, "ingest")
    imposed = client.post("/v1/players/a1/exclusions", json={"kind": "operator", "period": "P30D",
                                                             "reason": "affordability review"}, headers=staff)
    assert imposed.status_code == 201, imposed.text
    end = f"/v1/players/a1/exclusions/{imposed.json()['exclusion']['exclusion_id']}/end"

    as_operator = client.post(end, json={"requested_by": "operator", "actor": "admin"}, headers=ingest)
    assert as_operator.status_code == 403
    assert "lacks the 'protection' scope" in as_operator.json()["detail"]["message"]
    as_player = client.post(end, json={"requested_by": "player"}, headers=ingest)
    assert as_player.status_code == 409
    check = client.post("/v1/players/a1/access-check", json={"action": "deposit"}).json()
    assert check["allowed"] is False and check["reasons"] == ["excluded:operator:national"]

    ended = client.post(end, json={"requested_by": "operator", "reason": "review done"}, headers=staff)
    assert ended.status_code == 200, ended.text
    assert client.post("/v1/players/a1/access-check", json={"action": "deposit"}).json()["allowed"] is True


def test_an_ingest_key_cannot_impose_an_exclusion_or_a_limit_as_staff(runtime, client):
    same_person(runtime, jurisdiction="SE")
    ingest = _key(runtime, "ingest")
    for body in ({"kind": "operator", "period": "P30D"},
                 {"kind": "timeout", "period": "P7D", "requested_by": "operator"}):
        refused = client.post("/v1/players/a1/exclusions", json=body, headers=ingest)
        assert refused.status_code == 403 and "'protection' scope" in refused.json()["detail"]["message"], body
    for source in ("operator", "regulator"):
        refused = client.post("/v1/players/a1/limits", headers=ingest, json={
            "kind": "deposit", "period": "day", "amount": "100.00", "currency": "SEK", "source": source})
        assert refused.status_code == 403 and "'protection' scope" in refused.json()["detail"]["message"]
    own = client.post("/v1/players/a1/exclusions", json={"kind": "timeout", "period": "P1D"}, headers=ingest)
    assert own.status_code == 201 and own.json()["exclusion"]["source"] == "player"


def test_a_staff_imposed_timeout_ends_only_by_the_operators_decision(runtime, client):
    same_person(runtime, jurisdiction="XE")          # a market that lets a player end a timeout early
    ingest, staff = _key(runtime, "ingest"), _key(runtime, "protection")
    own = client.post("/v1/players/a1/exclusions", json={"kind": "timeout", "period": "P7D"}, headers=ingest)
    imposed = client.post("/v1/players/b1/exclusions", json={"kind": "timeout", "period": "P7D",
                                                             "requested_by": "operator"}, headers=staff)
    assert imposed.status_code == 201 and imposed.json()["exclusion"]["source"] == "operator"
    ended = client.post(f"/v1/players/a1/exclusions/{own.json()['exclusion']['exclusion_id']}/end",
                        json={"requested_by": "player"}, headers=ingest)
    assert ended.status_code == 200, ended.text               # the player's own: early end as the rules allow
    end = f"/v1/players/b1/exclusions/{imposed.json()['exclusion']['exclusion_id']}/end"
    refused = client.post(end, json={"requested_by": "player"}, headers=ingest)
    assert refused.status_code == 409
    assert "imposed by staff" in refused.json()["detail"]["error"]
    assert client.post(end, json={"requested_by": "operator", "reason": "agreed"}, headers=staff).status_code == 200


def test_the_audit_names_the_key_and_keeps_a_supplied_name_apart(runtime, client):
    same_person(runtime, jurisdiction="SE")
    ingest = _key(runtime, "ingest")
    key_id = ingest["Authorization"].split("_")[1]
    started = client.post("/v1/players/a1/exclusions", headers=ingest,
                          json={"kind": "self_exclusion", "period": "P1M", "actor": "ada"})
    assert started.status_code == 201, started.text
    assert started.json()["exclusion"]["actor"] == f"api-key:{key_id}"
    [record] = _audit(runtime, "protection.exclusion_started")
    assert record.actor == f"api-key:{key_id}"
    assert json.loads(record.body)["claimed_actor"] == "ada"

    limit = client.post("/v1/players/a1/limits", headers=ingest, json={
        "kind": "deposit", "period": "day", "amount": "100.00", "currency": "SEK", "actor": "ada"})
    assert limit.status_code == 200, limit.text
    [record] = _audit(runtime, "protection.limit_changed")
    assert record.actor == f"api-key:{key_id}" and json.loads(record.body)["claimed_actor"] == "ada"


def test_an_ingest_key_cannot_loosen_an_operator_limit_by_sending_the_change_as_an_event(db_url: str) -> None:
    """`limit.changed` with source operator or regulator is a staff decision too: a key without
    the protection scope gets it rejected in the batch report, the rest of the batch is stored,
    and the operator's limit stays; a key with the scope may report it."""
    from fastapi.testclient import TestClient

    from croupier.api import create_app
    from croupier.store.accounts import create_key
    from conftest import EventFactory

    app = create_app(db_url, background=False, web=False)
    with app.state.runtime.db.engine.begin() as conn:
        ingest, _ = create_key(conn, "pam", ["ingest", "read"])
        staff, _ = create_key(conn, "staff-tool", ["ingest", "protection"])
    make = EventFactory(player_id="lim-1")
    with TestClient(app) as client:
        as_pam = {"Authorization": f"Bearer {ingest}"}
        as_staff = {"Authorization": f"Bearer {staff}"}
        assert client.post("/v1/events", json=[make.registered()], headers=as_pam).json()["accepted"] == 1
        imposed = client.post("/v1/players/lim-1/limits", headers=as_staff, json={
            "kind": "deposit", "period": "day", "amount": "100.00", "currency": "SEK", "source": "operator"})
        assert imposed.status_code == 200, imposed.text
        raise_it = make("limit.changed", kind="deposit", period="day", amount="100000.00", currency="SEK",
                        source="operator")
        own = make("limit.changed", kind="deposit", period="week", amount="500.00", currency="SEK", source="player")
        answer = client.post("/v1/events", json=[raise_it, own], headers=as_pam).json()
        assert answer["accepted"] == 1
        assert [(r["index"], r["field"], r["value"]) for r in answer["rejected"]] == [(0, "source", "operator")]
        assert "protection scope" in answer["rejected"][0]["reason"]
        in_force = {(v["kind"], v["period"]): v for v in client.get("/v1/players/lim-1/limits", headers=as_pam)
                    .json()["in_force"]}
        assert in_force[("deposit", "day")]["amount"] == "100.00"
        reported = make("limit.changed", kind="deposit", period="day", amount="80.00", currency="SEK",
                        source="operator")
        answer = client.post("/v1/events", json=[reported], headers=as_staff).json()
        assert answer["accepted"] == 1 and answer["rejected"] == []
    app.state.runtime.close()
