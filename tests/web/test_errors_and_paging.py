"""Error pages and search paging through FastAPI's TestClient (no browser): browser routes
answer 404 and 500 with a page and a way back, the API and the back office's JSON keep JSON,
a 500 never shows a traceback; player search says how many matched and pages through them,
in the back office and in GET /v1/players."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from croupier.store.accounts import create_key
from croupier.web import is_browser_route

from .conftest import EventFactory, seed_times

SECRET = "kaboom-secret-detail-7f3a"


@pytest.fixture(scope="module")
def failing(app) -> Any:  # noqa: ANN001, F811
    """Test-only routes that fail, added to this module's app (the product has none)."""
    def fail() -> None:
        raise RuntimeError(SECRET)

    app.add_api_route("/test-only/fail", fail, include_in_schema=False)
    app.add_api_route("/v1/test-only/fail", fail, include_in_schema=False)
    app.add_api_route("/bo/api/test-only/fail", fail, include_in_schema=False)
    return app


@pytest.fixture
def lenient(failing) -> TestClient:  # noqa: ANN001
    """A client that receives the 500 answer instead of re-raising the server's exception."""
    return TestClient(failing, raise_server_exceptions=False)


@pytest.mark.parametrize("path, page", [
    ("/", True), ("/players/x", True), ("/no-such-page", True), ("/docsy", True), ("/v1x", True),
    ("/v1", False), ("/v1/players", False), ("/bo/api/dashboard", False), ("/static/croupier.css", False),
    ("/docs", False), ("/docs/oauth2-redirect", False), ("/redoc", False), ("/openapi.json", False),
])
def test_which_routes_are_pages(path: str, page: bool) -> None:
    assert is_browser_route(path) is page


def test_an_unknown_page_is_a_friendly_404_signed_out(client: TestClient) -> None:  # noqa: F811
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Content-Security-Policy" in response.headers
    assert "<h1 id=\"error-heading\">Page not found</h1>" in response.text
    assert 'href="/login"' in response.text            # the way back: sign in
    assert 'class="sidebar"' not in response.text       # no navigation for a visitor


def test_an_unknown_page_is_a_friendly_404_signed_in(as_staff) -> None:  # noqa: ANN001
    client = as_staff("carl")
    response = client.get("/players-typo/abc")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert 'class="sidebar"' in response.text and 'data-testid="user">carl<' in response.text
    assert 'href="/">Back to the start page</a>' in response.text


@pytest.mark.parametrize("path", ["/v1/no-such-route", "/bo/api/no-such-route"])
def test_api_routes_keep_json_404(client: TestClient, path: str) -> None:  # noqa: F811
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": "Not Found"}


def test_a_wrong_method_on_a_page_is_a_page(client: TestClient) -> None:  # noqa: F811
    response = client.delete("/login")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")
    assert "Not possible here" in response.text
    assert "allow" in {k.lower() for k in response.headers}   # the framework's Allow header is kept


def test_a_bad_query_value_on_a_page_is_a_page(app, as_staff, client: TestClient) -> None:  # noqa: ANN001, F811
    as_staff("carl")
    response = client.get("/players", params={"page": "0"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "This address cannot be opened" in response.text and "(page)" in response.text
    with app.state.runtime.db.engine.begin() as conn:
        token = create_key(conn, "bad-query-test", ["read"])[0]
    api = client.get("/v1/players", params={"limit": "0"}, headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 422 and api.json()["detail"]["field"] == "limit"   # the API's one 422 shape


def test_a_500_on_a_page_is_friendly_and_leaks_nothing(lenient: TestClient, as_staff) -> None:  # noqa: ANN001
    response = lenient.get("/test-only/fail")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "Something went wrong" in response.text and "Error 500" in response.text
    for leak in (SECRET, "Traceback", "RuntimeError", "File \""):
        assert leak not in response.text
    assert 'href="/login"' in response.text
    # signed in: the page keeps the layout and its navigation
    as_staff("ada")
    lenient.cookies.update({"croupier_session": as_staff("ada").cookies["croupier_session"]})
    signed_in = lenient.get("/test-only/fail")
    assert signed_in.status_code == 500
    assert 'class="sidebar"' in signed_in.text and SECRET not in signed_in.text


@pytest.mark.parametrize("path", ["/v1/test-only/fail", "/bo/api/test-only/fail"])
def test_a_500_on_an_api_route_is_json_without_detail(lenient: TestClient, path: str) -> None:
    response = lenient.get(path)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert SECRET not in response.text and "Traceback" not in response.text
    assert "internal server error" in response.json()["detail"]


def test_a_failing_dependency_behind_a_real_page(app, as_staff, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001, F811
    """The dashboard's figures failing (the database, say) gives the 500 page, not a trace."""
    from croupier.web import pages

    def broken(conn: Any) -> Any:
        raise OSError(SECRET)

    monkeypatch.setattr(pages, "dashboard", broken)
    client = TestClient(app, raise_server_exceptions=False)
    client.cookies.set("croupier_session", as_staff("ada").cookies["croupier_session"])
    response = client.get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.text and SECRET not in response.text


# -- search: a total and pages ----------------------------------------------------------------
@pytest.fixture(scope="module")
def many(app) -> int:  # noqa: ANN001, F811
    """123 players whose last name starts with "Pager" (and ids page-…), one event each."""
    now, t0 = seed_times()
    events = []
    for i in range(123):
        f = EventFactory(now=now, player_id=f"page-{i:03d}", brand="aurora")
        events.append(f.registered(timedelta(seconds=-i), email=f"pager{i}@example.se", last_name=f"Pager{i:03d}"))
    result = app.state.runtime.ingest(json.dumps(events).encode())
    assert not result.rejected
    return 123


def _ids(html: str) -> list[str]:
    return re.findall(r'<tr data-player="([^"]+)"', html)


def test_search_says_how_many_matched_and_pages_through_them(as_staff, many: int) -> None:  # noqa: ANN001
    client = as_staff("carl")
    first = client.get("/players", params={"q": "pager"})
    assert re.search(r'data-total="123">123 players matching “pager”', first.text)
    assert "Showing 1–50 of 123 (page 1 of 3)" in first.text
    assert 'id="page-prev"' not in first.text and 'href="/players?q=pager&amp;page=2"' in first.text
    seen = _ids(first.text)
    second = client.get("/players", params={"q": "pager", "page": 2})
    assert "Showing 51–100 of 123 (page 2 of 3)" in second.text
    assert 'href="/players?q=pager&amp;page=1"' in second.text and 'href="/players?q=pager&amp;page=3"' in second.text
    third = client.get("/players", params={"q": "pager", "page": 3})
    assert "Showing 101–123 of 123 (page 3 of 3)" in third.text and 'id="page-next"' not in third.text
    seen += _ids(second.text) + _ids(third.text)
    assert len(seen) == 123 and set(seen) == {f"page-{i:03d}" for i in range(123)}   # none twice, none left out
    # past the end: the last page
    assert _ids(client.get("/players", params={"q": "pager", "page": 99}).text) == _ids(third.text)
    one = client.get("/players", params={"q": "page-007"})
    assert "1 player matching" in one.text and "Showing 1–1 of 1<" in one.text and 'id="pager"' in one.text
    none = client.get("/players", params={"q": "zzz-nobody"})
    assert 'data-total="0">0 players matching' in none.text and 'id="pager"' not in none.text
    everyone = client.get("/players")
    assert re.search(r'data-total="(\d+)">All \1 players, most recently active first', everyone.text)


def test_api_search_pages_with_a_total(app, client: TestClient, many: int) -> None:  # noqa: ANN001, F811
    with app.state.runtime.db.engine.begin() as conn:
        token = create_key(conn, "paging-test", ["read"])[0]
    headers = {"Authorization": f"Bearer {token}"}
    seen = []
    offset = 0
    while True:
        body = client.get("/v1/players", params={"q": "Pager", "limit": 40, "offset": offset}, headers=headers).json()
        assert body["total"] == 123 and body["offset"] == offset and body["limit"] == 40
        seen += [p["player_id"] for p in body["players"]]
        offset += 40
        if offset >= body["total"]:
            break
    assert len(seen) == 123 and len(set(seen)) == 123
    assert client.get("/v1/players", params={"offset": -1}, headers=headers).status_code == 422
    spec = client.get("/openapi.json").json()
    params = {p["name"] for p in spec["paths"]["/v1/players"]["get"]["parameters"]}
    assert {"q", "limit", "offset"} <= params
    assert "total" in spec["paths"]["/v1/players"]["get"]["description"]
