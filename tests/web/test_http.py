"""The back office's rules through FastAPI's TestClient (fast, no browser): redirects to
login, safe `next`, 403 pages naming the permission, CSRF on every form, the login
throttle, cookies, headers, escaping and the audit trail of staff actions."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from croupier.store.schema import audit_log
from croupier.web.security import LoginThrottle

from .conftest import CSRF, STAFF, sign_in

def page_csrf(client: TestClient, path: str) -> str:
    return CSRF.search(client.get(path).text).group(1)


def audit_records(app, kind: str, subject: str) -> list:  # noqa: ANN001
    with app.state.runtime.db.engine.connect() as conn:
        return conn.execute(select(audit_log).where(audit_log.c.kind == kind,
                                                    audit_log.c.subject == subject)).all()


# -- signing in ---------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/players?q=anna", "/players/se-anna-1", "/audit", "/users", "/keys",
                                  "/settings", "/reports/rg-effectiveness"])
def test_pages_redirect_to_login_with_next(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")

    assert parse_qs(urlsplit(response.headers["location"]).query)["next"] == [path]
    assert client.get(response.headers["location"]).status_code == 200


def test_json_endpoints_answer_401_without_a_session(client: TestClient) -> None:
    for path in ("/bo/api/dashboard", "/bo/api/audit/verify", "/bo/api/events?player_id=se-anna-1",
                 "/bo/api/reports/rg-effectiveness"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert "sign in" in response.json()["detail"]


def test_login_lands_on_next_and_sets_a_strict_session_cookie(client: TestClient) -> None:
    response = sign_in(client, "ada", next_path="/players?q=anna")
    assert response.status_code == 303
    assert response.headers["location"] == "/players?q=anna"
    cookie = response.headers["set-cookie"].lower()
    assert "croupier_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain http here; see the https test
    assert client.get("/players?q=anna").status_code == 200


def test_session_cookie_is_secure_over_https(app) -> None:  # noqa: ANN001
    response = sign_in(TestClient(app, base_url="https://testserver"), "aud")
    assert response.status_code == 303
    assert "secure" in response.headers["set-cookie"].lower()


@pytest.mark.parametrize("evil", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                  "javascript:alert(1)", "/logout", "http:/x"])
def test_next_only_follows_same_site_paths(client: TestClient, evil: str) -> None:
    response = sign_in(client, "ada", next_path=evil)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_support_agent_lands_on_players(client: TestClient) -> None:
    assert sign_in(client, "sam").headers["location"] == "/players"
    other = TestClient(client.app)
    assert sign_in(other, "sam", next_path="/").headers["location"] == "/players"


def test_wrong_password_and_unknown_user_get_the_same_answer(client: TestClient) -> None:
    wrong = sign_in(client, "ada", "not-the-password")
    unknown = sign_in(client, "nobody", "not-the-password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "wrong username or password" in response.text
        assert "croupier_session" not in response.headers.get("set-cookie", "")


def test_login_form_needs_its_double_submit_token(client: TestClient) -> None:
    client.get("/login")  # sets the cookie, but the form field is missing
    response = client.post("/login", data={"username": "ada", "password": STAFF["ada"][1]},
                           follow_redirects=False)
    assert response.status_code == 403
    assert "croupier_session" not in response.headers.get("set-cookie", "")
    client.cookies.clear()
    token = CSRF.search(TestClient(client.app).get("/login").text).group(1)  # another browser's token
    response = client.post("/login", data={"username": "ada", "password": STAFF["ada"][1],
                                           "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 403


def test_login_is_rate_limited_per_username(client: TestClient) -> None:
    for _ in range(5):
        assert sign_in(client, "carl", "wrong-password!").status_code == 401
    blocked = sign_in(client, "carl")  # even the right password waits
    assert blocked.status_code == 429
    wait = int(re.search(r"too many attempts, wait (\d+) seconds", blocked.text).group(1))
    assert 0 < wait <= 300
    assert sign_in(client, "ada").status_code == 303  # other usernames are unaffected


def test_logout_needs_csrf_and_ends_the_session(client: TestClient) -> None:
    sign_in(client, "ada")
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200
    token = page_csrf(client, "/")
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).status_code == 303


# -- permissions --------------------------------------------------------------------------
@pytest.mark.parametrize(("user", "path", "permission"), [
    ("sam", "/", "dashboard.view"), ("sam", "/audit", "audit.view"), ("sam", "/users", "users.manage"),
    ("sam", "/keys", "keys.manage"), ("carl", "/audit", "audit.view"), ("aud", "/users", "users.manage"),
])
def test_forbidden_pages_name_the_missing_permission(as_staff, client: TestClient, user: str, path: str,
                                                    permission: str) -> None:
    as_staff(user)
    response = client.get(path)
    assert response.status_code == 403
    assert f'<code id="missing-permission">{permission}</code>' in response.text


def test_navigation_shows_only_permitted_pages(as_staff, client: TestClient) -> None:
    def nav(username: str) -> list[str]:
        as_staff(username)
        sidebar = re.search(r'<nav class="sidebar".*?</nav>', client.get("/players").text, re.S).group(0)
        return re.findall(r'<a href="[^"]+"[^>]*>([^<]+)</a>', sidebar)

    # Help (the documentation) is for every signed-in staff member
    assert nav("ada") == ["Dashboard", "Players", "RG queue", "Tasks", "Reports", "RG models", "Segments", "Journeys", "Campaigns", "Audit log",
                          "Configuration", "Users", "API keys", "Help"]
    assert nav("sam") == ["Players", "Tasks", "Help"]
    assert nav("aud") == ["Dashboard", "Players", "RG queue", "Tasks", "Reports", "RG models", "Segments", "Journeys", "Campaigns", "Audit log",
                          "Configuration", "Help"]
    assert nav("carl") == ["Dashboard", "Players", "Tasks", "Segments", "Journeys", "Campaigns", "Configuration", "Help"]


def test_json_forbidden_for_roles_without_the_permission(as_staff, client: TestClient) -> None:
    as_staff("sam")
    response = client.get("/bo/api/dashboard")
    assert response.status_code == 403
    assert response.json()["missing_permission"] == "dashboard.view"


def test_auditor_sees_masked_contact_details_everywhere(as_staff, client: TestClient) -> None:
    as_staff("aud")
    for path in ("/players?q=anna", "/players/se-anna-1"):
        html = client.get(path).text
        assert "a***@example.se" in html, path
        assert "anna.berg@example.se" not in html and "+46701234567" not in html, path
    raw = client.get("/bo/api/events?player_id=se-anna-1&before_seq=2").json()["events"]
    assert raw and all("anna.berg@example.se" not in e["raw"] for e in raw)


def test_support_agent_sees_timeline_but_no_decisions(as_staff, client: TestClient) -> None:
    as_staff("sam")
    html = client.get("/players/se-anna-1").text
    assert 'id="timeline-body"' in html
    assert 'id="decisions"' not in html
    assert "anna.berg@example.se" in html  # support agents have players.pii


def test_unknown_player_is_a_404_page(as_staff, client: TestClient) -> None:
    as_staff("ada")
    response = client.get("/players/no-such-player")
    assert response.status_code == 404
    assert "no-such-player" in response.text


# -- CSRF on forms --------------------------------------------------------------------------
def test_create_user_without_or_with_a_wrong_token_is_refused(as_staff, app, client: TestClient) -> None:  # noqa: ANN001
    as_staff("ada")
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post("/users", data={"username": "mallory", "role": "admin",
                                               "password": "mallory-password", **data})
        assert response.status_code == 403
        assert "security token" in response.text
    assert "mallory" not in client.get("/users").text
    assert audit_records(app, "staff.user_created", "mallory") == []


def test_key_forms_need_the_token(as_staff, client: TestClient) -> None:
    as_staff("ada")
    assert client.post("/keys", data={"name": "x", "scopes": ["read"]}).status_code == 403
    assert client.post("/keys/abc/revoke", data={}).status_code == 403


# -- users and keys ----------------------------------------------------------------------------
def test_create_user_shows_validation_errors(as_staff, client: TestClient) -> None:
    as_staff("ada")
    token = page_csrf(client, "/users")
    short = client.post("/users", data={"username": "newbie", "role": "auditor", "password": "short",
                                        "csrf_token": token})
    assert short.status_code == 400
    assert "a password needs at least 10 characters" in short.text
    assert 'value="newbie"' in short.text  # the form keeps what was typed, except the password
    taken = client.post("/users", data={"username": "sam", "role": "auditor", "password": "long-enough-pw",
                                        "csrf_token": token})
    assert taken.status_code == 400 and "already exists" in taken.text
    role = client.post("/users", data={"username": "x1", "role": "wizard", "password": "long-enough-pw",
                                       "csrf_token": token})
    assert role.status_code == 400 and "role must be one of" in role.text


def test_create_user_is_audited_and_can_sign_in(as_staff, app, client: TestClient) -> None:  # noqa: ANN001
    as_staff("ada")
    token = page_csrf(client, "/users")
    response = client.post("/users", data={"username": "olga", "role": "aml_analyst",
                                           "password": "olga-password-1", "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303
    assert "User olga created." in client.get(response.headers["location"]).text
    [record] = audit_records(app, "staff.user_created", "olga")
    assert record.actor == "ada" and record.subject == "olga"
    assert json.loads(record.body) == {"username": "olga", "role": "aml_analyst"}
    client.cookies.clear()
    assert sign_in(client, "olga", "olga-password-1").status_code == 303


def test_api_key_is_shown_once_works_and_revocation_is_audited(as_staff, app, client: TestClient) -> None:  # noqa: ANN001
    as_staff("ada")
    token = page_csrf(client, "/keys")
    created = client.post("/keys", data={"name": "pam-feed", "scopes": ["ingest", "read"],
                                         "signing": "1", "csrf_token": token})
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    api_token = re.search(r'id="new-token">([^<]+)<', created.text).group(1)
    assert re.search(r'id="new-signing-secret">([^<]+)<', created.text)
    key_id = api_token.split("_")[1]
    listing = client.get("/keys").text
    assert key_id in listing and api_token not in listing  # never shown again
    [record] = audit_records(app, "staff.key_created", key_id)
    assert record.subject == key_id and json.loads(record.body)["require_signature"] is True
    # the key authenticates (signature required, so an unsigned call is refused as such)
    api = client.get("/v1/health")
    assert api.status_code == 200
    unsigned = client.get("/v1/players", headers={"Authorization": f"Bearer {api_token}"})
    assert unsigned.status_code == 401 and "signature" in unsigned.json()["detail"]

    revoked = client.post(f"/keys/{key_id}/revoke", data={"csrf_token": token}, follow_redirects=False)
    assert revoked.status_code == 303
    assert f"Key {key_id} revoked" in client.get(revoked.headers["location"]).text
    [record] = audit_records(app, "staff.key_revoked", key_id)
    assert record.actor == "ada" and record.subject == key_id
    again = client.post(f"/keys/{key_id}/revoke", data={"csrf_token": token})
    assert again.status_code == 404 and "already revoked" in again.text


def test_key_needs_a_scope(as_staff, client: TestClient) -> None:
    as_staff("ada")
    token = page_csrf(client, "/keys")
    response = client.post("/keys", data={"name": "nothing", "csrf_token": token})
    assert response.status_code == 400 and "scopes must be among" in response.text


# -- pages, headers, escaping ---------------------------------------------------------------------
def test_pages_carry_a_strict_csp_and_no_inline_script(as_staff, client: TestClient) -> None:
    as_staff("ada")
    for path in ("/", "/players", "/players/se-anna-1", "/audit", "/users", "/keys", "/settings", "/login",
                 "/reports/rg-effectiveness"):
        response = client.get(path)
        assert response.status_code == 200, path
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe" not in csp
        assert response.headers["x-frame-options"] == "DENY"
        for tag in re.findall(r"<script[^>]*>", response.text):
            assert re.search(r'src="/static/(vendor/[\w-]+/)?[\w.]+\.js"', tag), (path, tag)
        assert "<style" not in response.text and " style=" not in response.text
        assert "http://" not in response.text and "https://" not in response.text, path


def test_everything_a_producer_sends_is_escaped(as_staff, app, client: TestClient) -> None:  # noqa: ANN001
    from .conftest import seed_times

    now, t0 = seed_times()
    evil = "<script>alert(1)</script>"
    body = [{"event_id": "x-1", "type": "player.registered", "player_id": "x<b>1", "brand": evil,
             "occurred_at": t0.isoformat(), "jurisdiction": "SE", "country": "SE", "currency": "SEK",
             "email": "evil@example.se", "last_name": evil, "consents": {"email": True}}]
    assert not app.state.runtime.ingest(json.dumps(body).encode()).rejected
    as_staff("ada")
    for path in ("/players", "/players/x%3Cb%3E1"):
        html = client.get(path).text
        assert evil not in html and "<b>1" not in html, path
        assert "&lt;script&gt;" in html, path


def test_dashboard_json_has_the_seeded_figures(as_staff, client: TestClient) -> None:
    as_staff("carl")
    data = client.get("/bo/api/dashboard").json()
    assert data["today"]["SEK"]["deposits"] == "250.00"
    assert data["today"]["EUR"]["deposits"] == "20.00"
    assert data["players_total"] >= 3
    assert data["backfill"] is None   # only the demo backfills (test_browser: the notice)
    assert client.get("/bo/api/dashboard").headers["cache-control"] == "no-store"


def test_audit_page_filters_and_verifies(as_staff, client: TestClient) -> None:
    as_staff("aud")
    html = client.get("/audit?player_id=ghost-7").text
    seqs = re.findall(r'<tr data-seq="(\d+)"', html)
    assert seqs and all("ghost-7" in row for row in re.findall(r'<tr data-seq=.*?</tr>', html, re.S))
    verify = client.get("/bo/api/audit/verify").json()
    assert verify["ok"] is True and verify["checked"] >= len(seqs)


def test_throttle_forgets_failures_after_its_window() -> None:
    now = [1000.0]
    throttle = LoginThrottle(limit=2, window=60, clock=lambda: now[0])
    throttle.failed("Ann", "10.0.0.1")
    throttle.failed("ann ", "10.0.0.1")  # usernames compare case- and space-insensitively
    assert throttle.retry_after("ANN", "10.0.0.1") == 60
    assert throttle.retry_after("ann", "10.0.0.2") == 0  # per address too
    now[0] += 45
    assert throttle.retry_after("ann", "10.0.0.1") == 15
    now[0] += 15
    assert throttle.retry_after("ann", "10.0.0.1") == 0
    throttle.failed("ann", "10.0.0.1")
    throttle.succeeded("ann", "10.0.0.1")
    throttle.failed("ann", "10.0.0.1")
    assert throttle.retry_after("ann", "10.0.0.1") == 0
