"""/v1/tasks through the real app, on SQLite and PostgreSQL: a manual task made (idempotent on
its `origin_id`), listed with filters and a cursor, taken, completed with an outcome, released
and cancelled, each as the staff member an admin key names, audited; every bad input answered
with a 422 naming the field and the value; AML tasks left out for a staff reader without
aml.view."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from croupier.store.accounts import create_key, create_user
from croupier.store.schema import audit_log
from croupier.tasks import Source
from croupier.tasks import service


@pytest.fixture
def world(app_client):  # noqa: ANN001, ANN201
    runtime = app_client.app.state.runtime
    with runtime.db.engine.begin() as conn:
        create_user(conn, "sam", "sam-password-1", "support_agent")
        create_user(conn, "carl", "carl-password-1", "crm_manager")
        create_user(conn, "alma", "alma-password-1", "aml_analyst")
        token, _ = create_key(conn, "crm tool", ["admin"])
    as_ = lambda name: {"Authorization": f"Bearer {token}", "X-Croupier-Actor": name}  # noqa: E731
    return app_client, as_


def test_a_manual_task_lives_through_take_and_complete(world) -> None:  # noqa: ANN001
    client, as_ = world
    body = {"queue": "vip_host", "player_id": "p-1", "title": "Welcome call", "detail": "big first deposit",
            "priority": "high", "due_at": "2026-12-04T09:00:00+01:00", "reason": "asked by the VIP manager",
            "origin_id": "crm-42"}
    made = client.post("/v1/tasks", headers=as_("sam"), json=body)
    assert made.status_code == 201, made.text
    task = made.json()
    tid = task["task_id"]
    assert (task["status"], task["priority"], task["due_at"], task["source"], task["overdue"]) == (
        "open", "high", "2026-12-04T08:00:00Z", {"kind": "manual", "id": "sam"}, False)
    assert task["outcomes"] == ["contacted", "no_answer", "offer_made", "not_needed", "escalated"]
    again = client.post("/v1/tasks", headers=as_("sam"), json=body)        # a retry: the same task, 200
    assert again.status_code == 200 and again.json()["task_id"] == tid

    assert client.get(f"/v1/tasks/{tid}").json()["title"] == "Welcome call"
    taken = client.post(f"/v1/tasks/{tid}/take", headers=as_("sam"))
    assert taken.status_code == 200 and taken.json()["taken_by"] == "sam"
    conflict = client.post(f"/v1/tasks/{tid}/take", headers=as_("carl"))
    assert conflict.status_code == 409 and "already taken by sam" in conflict.json()["detail"]
    bad = client.post(f"/v1/tasks/{tid}/complete", headers=as_("sam"), json={"outcome": "resolved"})
    assert bad.status_code == 422
    assert (bad.json()["detail"]["field"], bad.json()["detail"]["value"]) == ("outcome", "resolved")
    done = client.post(f"/v1/tasks/{tid}/complete", headers=as_("sam"),
                       json={"outcome": "contacted", "note": "booked a meeting"})
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["outcome"], done.json()["note"]) == ("done", "contacted",
                                                                                  "booked a meeting")
    with client.app.state.runtime.db.engine.connect() as conn:
        records = conn.execute(select(audit_log).where(audit_log.c.subject == str(tid))
                               .order_by(audit_log.c.seq)).all()
    assert [r.kind for r in records] == ["task.created", "task.taken", "task.completed"]
    assert {r.actor for r in records} == {"api-key:" + records[0].actor.split(":")[1]}
    assert all('"on_behalf_of":"sam"' in r.body.replace(" ", "") for r in records[1:])
    assert "asked by the VIP manager" in records[0].body


def test_release_and_cancel_need_the_taker_or_a_lead(world) -> None:  # noqa: ANN001
    client, as_ = world
    tid = client.post("/v1/tasks", headers=as_("carl"), json={
        "queue": "retention", "player_id": "p-2", "title": "Win back", "reason": "churned VIP"}).json()["task_id"]
    client.post(f"/v1/tasks/{tid}/take", headers=as_("sam"))
    refused = client.post(f"/v1/tasks/{tid}/release", headers=as_("alma"))
    assert refused.status_code == 403 and "only its taker" in refused.json()["detail"]
    assert client.post(f"/v1/tasks/{tid}/release", headers=as_("sam")).json()["status"] == "open"
    missing = client.post(f"/v1/tasks/{tid}/cancel", headers=as_("carl"), json={})
    assert missing.status_code == 422 and missing.json()["detail"]["field"] == "reason"
    assert client.post(f"/v1/tasks/{tid}/cancel", headers=as_("sam"), json={"reason": "x"}).status_code == 403
    cancelled = client.post(f"/v1/tasks/{tid}/cancel", headers=as_("carl"), json={"reason": "player excluded"})
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["note"] == "player excluded"


@pytest.mark.parametrize("body, field, value", [
    ({"queue": "cashier"}, "queue", "cashier"),
    ({"priority": "asap"}, "priority", "asap"),
    ({"title": ""}, "title", ""),
    ({"due_at": "tomorrow"}, "due_at", "tomorrow"),
    ({"due_at": "2026-12-04T09:00:00"}, "due_at", "2026-12-04T09:00:00"),
    ({"reason": None}, "reason", None),
    ({"colour": "red"}, "colour", "red"),
    ({"player_id": 7}, "player_id", 7),
])
def test_a_bad_task_is_refused_naming_the_field_and_value(world, body: dict, field: str, value: object) -> None:  # noqa: ANN001
    client, as_ = world
    sent = {"queue": "support", "player_id": "p-3", "title": "Call back", "reason": "ticket 7", **body}
    sent = {k: v for k, v in sent.items() if v is not None}
    answer = client.post("/v1/tasks", headers=as_("sam"), json=sent)
    assert answer.status_code == 422, answer.text
    assert (answer.json()["detail"]["field"], answer.json()["detail"]["value"]) == (field, value)


def test_listing_filters_pages_and_hides_aml_tasks_from_staff_without_aml_view(world) -> None:  # noqa: ANN001
    client, as_ = world
    runtime = client.app.state.runtime
    with runtime.db.engine.begin() as conn:
        for i, queue in enumerate(("support", "aml_analyst", "support", "vip_host")):
            service.create_task(conn, origin_id=f"j-{i}", queue=queue, player_id="p-4", title=f"task {i}",
                                detail="", priority="normal", due_at_us=1_000_000 * (i + 1),
                                source=Source.journey("j", 1, f"s{i}"), now_us=1)
    seen, after = [], None
    while True:
        page = client.get("/v1/tasks", params={"limit": 2, **({"after": after} if after else {})}).json()
        seen += [t["title"] for t in page["tasks"]]
        after = page["next"]
        if after is None:
            break
    assert seen == ["task 0", "task 1", "task 2", "task 3"]
    assert all(t["overdue"] for t in client.get("/v1/tasks").json()["tasks"])   # due in 1970
    by_sam = client.get("/v1/tasks", headers=as_("sam")).json()["tasks"]
    assert [t["title"] for t in by_sam] == ["task 0", "task 2", "task 3"]
    aml_id = client.get("/v1/tasks", params={"queue": "aml_analyst"}).json()["tasks"][0]["task_id"]
    assert client.get(f"/v1/tasks/{aml_id}", headers=as_("sam")).status_code == 404
    assert client.get(f"/v1/tasks/{aml_id}", headers=as_("alma")).status_code == 200
    assert [t["title"] for t in client.get("/v1/tasks", params={"queue": "support"}).json()["tasks"]] == [
        "task 0", "task 2"]
    assert client.get("/v1/tasks", params={"status": "done"}).json()["tasks"] == []
    assert len(client.get("/v1/tasks", params={"player_id": "p-4", "status": "active"}).json()["tasks"]) == 4
    for params, field in (({"queue": "nope"}, "queue"), ({"status": "closed"}, "status"), ({"after": "zzz"}, "after")):
        answer = client.get("/v1/tasks", params=params)
        assert answer.status_code == 422 and answer.json()["detail"]["field"] == field
        assert answer.json()["detail"]["value"] == next(iter(params.values()))
    assert client.get("/v1/tasks/12x").status_code == 404
    assert client.post(f"/v1/tasks/{aml_id}/take", headers=as_("sam")).status_code == 404
