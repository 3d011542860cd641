"""The task queue page through FastAPI's TestClient: forms refused without the CSRF token or
without tasks.work, a refusal's reason on the page, AML tasks out of sight of staff without
aml.view (the queue, the player's Tasks tab and the forms alike), and the page's filters."""

from __future__ import annotations

import re
import time

from fastapi.testclient import TestClient

from croupier.tasks import Source, service

from .conftest import session_for


def signed(app, username: str) -> tuple[TestClient, str]:  # noqa: ANN001
    client = TestClient(app)
    token, csrf = session_for(app, username)
    client.cookies.set("croupier_session", token)
    return client, csrf


def made(app, origin: str, queue: str, player: str = "se-anna-1", title: str = "a task") -> int:  # noqa: ANN001
    now = time.time_ns() // 1000
    with app.state.runtime.db.engine.begin() as conn:
        task, _ = service.create_task(conn, origin_id=origin, queue=queue, player_id=player, title=title, detail="",
                                      priority="normal", due_at_us=now + 3_600_000_000,
                                      source=Source.journey("j", 1, "s"), now_us=now)
    return task.task_id


def test_forms_need_the_csrf_token_and_tasks_work(app) -> None:  # noqa: ANN001
    tid = made(app, "page-1", "support", title="Call back")
    sam, csrf = signed(app, "sam")
    refused = sam.post(f"/tasks/{tid}/take", data={"csrf_token": "wrong"}, follow_redirects=False)
    assert refused.status_code == 403 and "security token" in refused.text
    aud, aud_csrf = signed(app, "aud")                          # an auditor reads, never works tasks
    page = aud.get("/tasks").text
    assert f'id="task-{tid}"' in page and f'action="/tasks/{tid}/take"' not in page and 'id="new-task"' not in page
    forbidden = aud.post(f"/tasks/{tid}/take", data={"csrf_token": aud_csrf}, follow_redirects=False)
    assert forbidden.status_code == 403 and "tasks.work" in forbidden.text
    took = sam.post(f"/tasks/{tid}/take", data={"csrf_token": csrf, "next": "/tasks?mine=true"},
                    follow_redirects=False)
    assert took.status_code == 303 and took.headers["location"] == "/tasks?mine=true"
    again = sam.post(f"/tasks/{tid}/take", data={"csrf_token": csrf})
    assert again.status_code == 409 and "you have already taken this task" in again.text
    wrong = sam.post(f"/tasks/{tid}/complete", data={"csrf_token": csrf, "outcome": "offer_made"})
    assert wrong.status_code == 422 and "unknown outcome &#39;offer_made&#39; for a support task" in wrong.text
    outside = sam.post(f"/tasks/{tid}/complete", data={"csrf_token": csrf, "outcome": "resolved",
                                                       "next": "https://evil.example/"}, follow_redirects=False)
    assert outside.status_code == 303 and outside.headers["location"] == "/tasks"   # same-site paths only


def test_aml_tasks_are_out_of_sight_without_aml_view(app) -> None:  # noqa: ANN001
    aml = made(app, "page-aml", "aml_analyst", player="busy-3", title="Source of funds check")
    other = made(app, "page-vip", "vip_host", player="busy-3", title="Say hello")
    carl, csrf = signed(app, "carl")                              # a CRM manager: no aml.view
    for path in ("/tasks?status=all", "/tasks?queue=aml_analyst", "/players/busy-3"):
        html = carl.get(path).text
        assert "Source of funds check" not in html and "AML analyst" not in html, path
    assert "Say hello" in carl.get("/players/busy-3").text
    refused = carl.post(f"/tasks/{aml}/take", data={"csrf_token": csrf})
    assert refused.status_code == 404 and f"no task {aml}" in refused.text
    ada, _ = signed(app, "ada")
    assert "Source of funds check" in ada.get("/players/busy-3").text
    assert "Source of funds check" in ada.get("/tasks?queue=aml_analyst").text
    assert other


def test_filters_and_a_manual_task(app) -> None:  # noqa: ANN001
    rita, csrf = signed(app, "rita")
    created = rita.post("/tasks/new", data={"csrf_token": csrf, "queue": "rg_officer", "player_id": "ghost-7",
                                            "title": "Check in after the limit", "priority": "high",
                                            "due_in_hours": "4", "reason": "late-night play"},
                        follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"].startswith("/tasks?queue=rg_officer#task-")
    tid = int(created.headers["location"].rsplit("-", 1)[1])
    listed = rita.get("/tasks?queue=rg_officer").text
    assert re.search(rf'<tr id="task-{tid}" data-task-id="{tid}" data-status="open">', listed)
    assert "Check in after the limit" not in rita.get("/tasks?queue=support").text
    assert "Check in after the limit" not in rita.get("/tasks?mine=true").text
    rita.post(f"/tasks/{tid}/take", data={"csrf_token": csrf})
    assert "Check in after the limit" in rita.get("/tasks?mine=true").text
    blank = rita.post("/tasks/new", data={"csrf_token": csrf, "queue": "rg_officer", "player_id": "ghost-7",
                                          "title": " ", "reason": "x"})
    assert blank.status_code == 422 and "title" in blank.text
