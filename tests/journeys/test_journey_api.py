"""Journeys at rest through the real app, on SQLite and PostgreSQL: create from a definition or
a ready-made journey, read with its versions, edit (a new version only when the definition
changed), publish (validated fully, each problem located; checked against the live journeys of
its group), pause, archive, the permissions each needs and the audit of each change."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from sqlalchemy import select

from croupier.journeys import TEMPLATE_KEYS, template, to_builtins
from croupier.store.accounts import create_key, create_user
from croupier.store.schema import audit_log


@pytest.fixture
def world(app_client):  # noqa: ANN001, ANN201
    """cleo (CRM manager) and aud (auditor) behind an admin key; a read key."""
    runtime = app_client.app.state.runtime
    with runtime.db.engine.begin() as conn:
        create_user(conn, "cleo", "cleo-password-1", "crm_manager")
        create_user(conn, "aud", "aud-password-12", "auditor")
        token, _ = create_key(conn, "crm tool", ["admin"])
        reader, _ = create_key(conn, "reports", ["read"])
    staff = {"Authorization": f"Bearer {token}", "X-Croupier-Actor": "cleo"}
    return app_client, staff, {"Authorization": f"Bearer {reader}"}, token


def audit(client, subject: str) -> list[tuple[str, dict[str, Any]]]:  # noqa: ANN001
    with client.app.state.runtime.db.engine.connect() as conn:
        rows = conn.execute(select(audit_log).where(audit_log.c.subject == subject).order_by(audit_log.c.seq))
        return [(r.kind, json.loads(r.body) if isinstance(r.body, str) else r.body) for r in rows]


def short(key: str = "welcome_short", **changes: Any) -> dict[str, Any]:
    return {"key": key, "name": "Welcome (short)", "version": 1, "purpose": "promotional", "group": "onboarding",
            "priority": 10, "trigger": {"kind": "event", "event": "player.registered"},
            "steps": [{"kind": "send", "id": "hello", "channel": "email", "template": "welcome"},
                      {"kind": "exit", "id": "done"}], **changes}


def test_create_edit_publish_pause_archive_each_audited(world) -> None:  # noqa: ANN001
    client, staff, reader, _ = world
    made = client.post("/v1/journeys", headers=staff, json={"definition": short(version=7), "note": "first cut"})
    assert made.status_code == 201, made.text
    body = made.json()
    jid = body["journey_id"]
    assert (body["key"], body["status"], body["latest_version"], body["live_version"]) == \
        ("welcome_short", "draft", 1, None)
    assert body["versions"][0]["definition"]["version"] == 1          # Croupier numbers the versions
    assert body["versions"][0]["note"] == "first cut" and body["problems"] == []

    # the same definition again, however sent, is no new version
    same = client.put(f"/v1/journeys/{jid}", headers=staff, json=short(version=3))
    assert same.status_code == 200 and same.json()["changed"] is False and same.json()["latest_version"] == 1
    edited = client.put(f"/v1/journeys/{jid}", headers=staff,
                        json={"definition": short(name="Welcome, short"), "note": "renamed"})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["changed"], edited.json()["latest_version"], edited.json()["name"]) == \
        (True, 2, "Welcome, short")
    assert [v["version"] for v in edited.json()["versions"]] == [1, 2]

    published = client.post(f"/v1/journeys/{jid}/publish", headers=staff, json={"version": 2})
    assert published.status_code == 200, published.text
    assert (published.json()["status"], published.json()["live_version"]) == ("live", 2)
    listed = client.get("/v1/journeys", headers=reader).json()["journeys"]
    assert [(j["key"], j["status"], j["live_version"]) for j in listed] == [("welcome_short", "live", 2)]

    paused = client.post(f"/v1/journeys/{jid}/pause", headers=staff)
    assert (paused.json()["status"], paused.json()["live_version"]) == ("paused", 2)
    again = client.post(f"/v1/journeys/{jid}/publish", headers=staff, json={"version": 1})
    assert (again.json()["status"], again.json()["live_version"]) == ("live", 1)
    archived = client.post(f"/v1/journeys/{jid}/archive", headers=staff)
    assert archived.json()["status"] == "archived"
    assert client.get("/v1/journeys", headers=reader).json()["journeys"] == []
    assert [j["key"] for j in client.get("/v1/journeys?archived=true", headers=reader).json()["journeys"]] == \
        ["welcome_short"]
    refused = client.put(f"/v1/journeys/{jid}", headers=staff, json=short(name="after"))
    assert refused.status_code == 409 and "archived" in refused.text

    trail = audit(client, str(jid))
    assert [k for k, _ in trail] == ["journey.created", "journey.updated", "journey.published", "journey.paused",
                                     "journey.published", "journey.archived"]
    assert trail[2][1]["version"] == 2 and trail[2][1]["on_behalf_of"] == "cleo"
    assert trail[4][1]["version"] == 1 and trail[1][1]["note"] == "renamed"


def test_publishing_refuses_an_invalid_definition_with_every_problem_located(world) -> None:  # noqa: ANN001
    client, staff, _, _ = world
    bad = short(holdout_percent=60)
    bad["steps"][0] = {"kind": "send", "id": "hello", "channel": "whatsapp", "template": "welcome",
                       "when": "rg.level < meduim"}
    made = client.post("/v1/journeys", headers=staff, json={"definition": bad})
    assert made.status_code == 201, made.text              # a draft may be wrong: it is shown with its problems
    jid = made.json()["journey_id"]
    assert {p["path"] for p in made.json()["problems"]} == \
        {"$.holdout_percent", "$.steps[0].channel", "$.steps[0].when"}

    refused = client.post(f"/v1/journeys/{jid}/publish", headers=staff, json={"version": 1})
    assert refused.status_code == 422, refused.text
    errors = {e["field"]: e for e in refused.json()["errors"]}
    assert set(errors) == {"definition.holdout_percent", "definition.steps[0].channel", "definition.steps[0].when"}
    assert errors["definition.steps[0].channel"]["value"] == "whatsapp"
    assert "use one of email, sms, push, inbox, popup" in errors["definition.steps[0].channel"]["message"]
    when = errors["definition.steps[0].when"]
    assert (when["line"], when["column"], when["suggestions"]) == (1, 12, ["medium"])
    assert client.get(f"/v1/journeys/{jid}", headers=staff).json()["status"] == "draft"
    assert [k for k, _ in audit(client, str(jid))] == ["journey.created"]     # nothing published, nothing audited


def test_a_definition_without_a_journeys_shape_is_refused_at_its_path(world) -> None:  # noqa: ANN001
    client, staff, _, _ = world
    wrong = short()
    wrong["steps"][1]["kind"] = "leave"
    answer = client.post("/v1/journeys", headers=staff, json={"definition": wrong})
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"]["field"] == "definition.steps[1].kind"
    assert answer.json()["detail"]["value"] == "leave"
    key = client.post("/v1/journeys", headers=staff, json={"definition": short(key="Bad Key")})
    assert key.status_code == 422 and key.json()["detail"]["field"] == "definition.key"
    both = client.post("/v1/journeys", headers=staff, json={"definition": short(), "template": "welcome"})
    assert both.status_code == 422 and "one of the two" in both.text
    unknown = client.post("/v1/journeys", headers=staff, json={"template": "welcom"})
    assert unknown.status_code == 422 and unknown.json()["detail"]["value"] == "welcom"
    jid = client.post("/v1/journeys", headers=staff, json=short()).json()["journey_id"]
    taken = client.post("/v1/journeys", headers=staff, json=short(name="another"))
    assert taken.status_code == 409 and "welcome_short" in taken.text
    rekey = client.put(f"/v1/journeys/{jid}", headers=staff, json=short(key="other_key"))
    assert rekey.status_code == 422 and rekey.json()["detail"]["field"] == "definition.key"
    missing = client.post(f"/v1/journeys/{jid}/publish", headers=staff, json={"version": 9})
    assert missing.status_code == 404 and "no version 9" in missing.text
    no_version = client.post(f"/v1/journeys/{jid}/publish", headers=staff, json={"version": "2"})
    assert no_version.status_code == 422 and no_version.json()["detail"]["field"] == "version"
    draft_pause = client.post(f"/v1/journeys/{jid}/pause", headers=staff)
    assert draft_pause.status_code == 409 and "only a live journey" in draft_pause.text


def test_equal_priorities_in_a_group_are_refused_different_ones_go_live_together(world) -> None:  # noqa: ANN001
    client, staff, _, _ = world
    first = client.post("/v1/journeys", headers=staff, json=short(key="first_one")).json()["journey_id"]
    second = client.post("/v1/journeys", headers=staff, json=short(key="second_one")).json()["journey_id"]
    other_group = client.post("/v1/journeys", headers=staff,
                              json=short(key="third_one", group="retention")).json()["journey_id"]
    assert client.post(f"/v1/journeys/{first}/publish", headers=staff, json={"version": 1}).status_code == 200
    clash = client.post(f"/v1/journeys/{second}/publish", headers=staff, json={"version": 1})
    assert clash.status_code == 409, clash.text
    [problem] = clash.json()["detail"]["problems"]
    assert problem["path"] == "$.priority" and problem["value"] == 10
    assert "'second_one' and 'first_one' are both promotional in group 'onboarding' with priority 10" in \
        problem["message"]
    # another group does not compete; a different priority decides who wins
    assert client.post(f"/v1/journeys/{other_group}/publish", headers=staff, json={"version": 1}).status_code == 200
    client.put(f"/v1/journeys/{second}", headers=staff, json=short(key="second_one", priority=20))
    assert client.post(f"/v1/journeys/{second}/publish", headers=staff, json={"version": 2}).status_code == 200
    # a paused journey is not live: it blocks nobody
    client.post(f"/v1/journeys/{second}/pause", headers=staff)
    client.put(f"/v1/journeys/{first}", headers=staff, json=short(key="first_one", priority=20))
    assert client.post(f"/v1/journeys/{first}/publish", headers=staff, json={"version": 2}).status_code == 200


def test_permissions_and_scopes(world) -> None:  # noqa: ANN001
    client, staff, reader, token = world
    auditor = {"Authorization": f"Bearer {token}", "X-Croupier-Actor": "aud"}
    refused = client.post("/v1/journeys", headers=auditor, json={"template": "welcome"})
    assert refused.status_code == 403 and "journeys.edit" in refused.text
    jid = client.post("/v1/journeys", headers=staff, json={"template": "welcome"}).json()["journey_id"]
    no_publish = client.post(f"/v1/journeys/{jid}/publish", headers=auditor, json={"version": 1})
    assert no_publish.status_code == 403 and "journeys.publish" in no_publish.text
    read_key = client.post(f"/v1/journeys/{jid}/pause", headers={**reader, "X-Croupier-Actor": "cleo"})
    assert read_key.status_code == 403
    assert client.get(f"/v1/journeys/{jid}", headers=reader).status_code == 200


@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_every_ready_made_journey_is_created_valid_and_publishes(world, key: str) -> None:  # noqa: ANN001
    client, staff, reader, _ = world
    listed = client.get("/v1/journeys/templates", headers=reader).json()["templates"]
    assert [t["key"] for t in listed] == list(TEMPLATE_KEYS)
    made = client.post("/v1/journeys", headers=staff, json={"template": key})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["problems"] == [] and body["versions"][0]["note"] == f"from the ready-made journey {key}"
    assert body["versions"][0]["definition"] == to_builtins(template(key)) | {"version": 1}
    published = client.post(f"/v1/journeys/{body['journey_id']}/publish", headers=staff, json={"version": 1})
    assert published.status_code == 200 and published.json()["status"] == "live", published.text


def test_the_ready_made_journeys_go_live_side_by_side(world) -> None:  # noqa: ANN001
    client, staff, reader, _ = world
    for key in TEMPLATE_KEYS:
        jid = client.post("/v1/journeys", headers=staff, json={"template": key}).json()["journey_id"]
        answer = client.post(f"/v1/journeys/{jid}/publish", headers=staff, json={"version": 1})
        assert answer.status_code == 200, answer.text
    live = client.get("/v1/journeys?status=live", headers=reader).json()["journeys"]
    assert sorted(j["key"] for j in live) == sorted(TEMPLATE_KEYS)
    bad = client.get("/v1/journeys?status=running", headers=reader)
    assert bad.status_code == 422 and bad.json()["detail"]["value"] == "running"


def test_decimals_in_conditions_are_kept_exact(world) -> None:  # noqa: ANN001
    client, staff, _, _ = world
    text = copy.deepcopy(short())
    text["trigger"]["condition"] = {"feature": "deposit_sum_30d", "op": ">=", "value": 10.10}
    raw = json.dumps({"definition": text}).replace("10.1", "10.10")
    made = client.post("/v1/journeys", headers={**staff, "Content-Type": "application/json"}, content=raw)
    assert made.status_code == 201, made.text
    assert '"value":10.10' in made.text
