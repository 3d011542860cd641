"""The Journeys pages through FastAPI's TestClient: the list, a ready-made journey opened in
the editor and created, an edit (a new version; the same text again makes none), publish,
pause, a publish refused with every problem, the editor's check (problems at their line and
column, the flow diagram's boxes and arrows), and refusals without the permission or the CSRF
token; each change audited."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from croupier.journeys import template
from croupier.store.schema import audit_log
from croupier.web.journey_editor import pretty

from .conftest import session_for


def signed(app, username: str) -> tuple[TestClient, str]:  # noqa: ANN001
    client = TestClient(app)
    token, csrf = session_for(app, username)
    client.cookies.set("croupier_session", token)
    return client, csrf


def audit_kinds(app, subject: str) -> list[str]:  # noqa: ANN001
    with app.state.runtime.db.engine.connect() as conn:
        return [r.kind for r in conn.execute(select(audit_log).where(audit_log.c.subject == subject)
                                             .order_by(audit_log.c.seq))]


def textarea(page: str) -> str:
    found = re.search(r'<textarea id="journey-definition"[^>]*>(.*?)</textarea>', page, re.S)
    assert found is not None
    return html.unescape(found.group(1))


def test_from_a_ready_made_journey_to_live_and_paused(app) -> None:  # noqa: ANN001
    carl, csrf = signed(app, "carl")
    listing = carl.get("/journeys").text
    assert 'id="journeys-empty"' in listing and 'name="template_key"' in listing
    opened = carl.get("/journeys/new?template_key=second_deposit")
    assert opened.status_code == 200
    text = textarea(opened.text)
    assert text == pretty(template("second_deposit"))
    assert 'data-step="channel-test"' in opened.text and 'data-kind="split"' in opened.text
    assert 'data-from="channel-test" data-to="nudge-email" data-label="email 50%"' in opened.text

    made = carl.post("/journeys/new", data={"csrf_token": csrf, "definition": text, "note": "as shipped"},
                     follow_redirects=False)
    assert made.status_code == 303, made.text
    path = made.headers["location"]
    jid = path.rsplit("/", 1)[1]
    page = carl.get(path).text
    assert textarea(page) == text and 'id="journey-status">draft' in page
    row = re.search(rf'<tr data-journey-id="{jid}" data-status="draft">.*?</tr>', carl.get("/journeys").text, re.S)
    assert row is not None and "second_deposit" in row.group(0) and "onboarding" in row.group(0)

    edited = text.replace('"priority": 40', '"priority": 45')
    assert carl.post(path, data={"csrf_token": csrf, "definition": edited, "note": ""},
                     follow_redirects=False).status_code == 303
    assert carl.post(path, data={"csrf_token": csrf, "definition": edited.replace("\n", " "), "note": ""},
                     follow_redirects=False).status_code == 303          # the same again: no version 3
    page = carl.get(path).text
    assert re.findall(r'<tr data-version="(\d+)">', page) == ["2", "1"]

    live = carl.post(f"{path}/publish", data={"csrf_token": csrf, "version": "2"}, follow_redirects=False)
    assert live.status_code == 303
    page = carl.get(path).text
    assert 'id="journey-status">live' in page and 'id="pause-journey"' in page
    assert carl.post(f"{path}/pause", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert 'id="journey-status">paused' in carl.get(path).text
    assert audit_kinds(app, jid) == ["journey.created", "journey.updated", "journey.published", "journey.paused"]


def test_publishing_a_wrong_version_shows_every_problem(app) -> None:  # noqa: ANN001
    carl, csrf = signed(app, "carl")
    text = pretty(template("welcome")).replace('"key": "welcome"', '"key": "welcome_wrong"') \
        .replace('"channel": "email"', '"channel": "fax"', 1)
    made = carl.post("/journeys/new", data={"csrf_token": csrf, "definition": text, "note": ""},
                     follow_redirects=False)
    assert made.status_code == 303
    path = made.headers["location"]
    page = carl.get(path).text
    assert "1 problem: fix it before publishing." in page
    refused = carl.post(f"{path}/publish", data={"csrf_token": csrf, "version": "1"})
    assert refused.status_code == 422
    assert "Version 1 was not published" in refused.text and "unknown channel &#39;fax&#39;" in refused.text
    assert audit_kinds(app, path.rsplit("/", 1)[1]) == ["journey.created"]
    bad_json = carl.post("/journeys/new", data={"csrf_token": csrf, "definition": '{"key": ', "note": ""})
    assert bad_json.status_code == 422 and "not valid JSON" in bad_json.text


def test_the_editor_check_places_each_problem_and_draws_the_flow(app) -> None:  # noqa: ANN001
    carl, csrf = signed(app, "carl")
    text = pretty(template("welcome")).replace('"channel": "email"', '"channel": "fax"', 1)
    answer = carl.post("/bo/api/journeys/check", json={"text": text}, headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 200
    body = answer.json()
    [problem] = body["problems"]
    line = text.split("\n")[problem["line"] - 1]
    assert problem["path"] == "$.steps[0].channel" and line[problem["column"] - 1:].startswith('"fax"')
    assert body["svg"].count('class="node step') + body["svg"].count('class="node exit') == 8
    assert 'data-from="deposited" data-to="done" data-label="then"' in body["svg"]
    assert 'data-from="deposited" data-to="offer" data-label="else"' in body["svg"]
    assert 'data-from="trigger" data-to="welcome"' in body["svg"]

    broken = carl.post("/bo/api/journeys/check", json={"text": text[:40]}, headers={"X-CSRF-Token": csrf}).json()
    assert broken["svg"] is None and broken["problems"][0]["message"].startswith("not valid JSON")
    assert carl.post("/bo/api/journeys/check", json={"text": text}).status_code == 403     # no CSRF token


def test_permissions(app) -> None:  # noqa: ANN001
    aud, csrf = signed(app, "aud")            # an auditor reads journeys, changes none
    assert aud.get("/journeys").status_code == 200
    assert "New journey" not in aud.get("/journeys").text
    refused = aud.post("/journeys/new", data={"csrf_token": csrf, "definition": "{}", "note": ""})
    assert refused.status_code == 403 and "journeys.edit" in refused.text
    carl, carl_csrf = signed(app, "carl")
    made = carl.post("/journeys/new", data={"csrf_token": carl_csrf, "note": "",
                                            "definition": pretty(template("vip_escalation"))}, follow_redirects=False)
    path = made.headers["location"]
    page = aud.get(path).text
    assert "readonly" in page and 'id="publish-latest"' not in page
    assert aud.post(f"{path}/publish", data={"csrf_token": csrf, "version": "1"}).status_code == 403
    no_csrf = carl.post(f"{path}/publish", data={"csrf_token": "wrong", "version": "1"})
    assert no_csrf.status_code == 403
