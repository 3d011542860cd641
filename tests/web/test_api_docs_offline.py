"""/docs and /redoc work with no internet: every request that is not to this machine is
aborted, and the pages still render the API reference from the package's vendored copies.

The `open_page` fixture also fails the test on any request that left localhost, any CSP
violation and any script error, so a page that quietly tried a CDN, a font service or
Swagger's online validator fails here even though the abort hid it from the page."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

VENDOR = Path(__file__).resolve().parents[2] / "src" / "croupier" / "web" / "static" / "vendor"


def offline(page) -> list[str]:  # noqa: ANN001
    """Abort every request not to 127.0.0.1/localhost (as a closed network would); returns
    the list of aborted URLs, which the test expects to stay empty."""
    aborted: list[str] = []

    def route(r) -> None:  # noqa: ANN001
        host = urlsplit(r.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            aborted.append(r.request.url)
            r.abort()

    page.context.route("**/*", route)
    return aborted


def test_swagger_ui_renders_the_operations_offline(open_page, requests_seen) -> None:  # noqa: ANN001
    page = open_page()
    aborted = offline(page)
    page.goto("/docs")
    ingest = page.locator(".opblock-post").filter(has_text="/v1/events").first
    ingest.wait_for()
    assert "/v1/events" in ingest.inner_text()
    assert page.locator(".opblock").count() > 30      # the whole API, not one stray operation
    # The favicon and every asset came from the package's /static.
    assert page.locator("link[rel='shortcut icon']").get_attribute("href") == "/static/favicon.svg"
    assert any(u.endswith("/static/vendor/swagger-ui/swagger-ui-bundle.js") for u in requests_seen.urls)
    # Expanding an operation works (it renders from the local spec, no fetch elsewhere).
    ingest.locator(".opblock-summary").click()
    page.locator(".opblock-body").first.wait_for()
    # Swagger UI's online validator badge would call validator.swagger.io: it is off.
    assert page.locator(".swagger-ui img[src*='validator']").count() == 0
    assert aborted == []


def test_redoc_renders_the_reference_offline(open_page, requests_seen) -> None:  # noqa: ANN001
    page = open_page()
    aborted = offline(page)
    page.goto("/redoc")
    page.locator("h1").filter(has_text="Croupier").first.wait_for()
    # The operations are listed in the side menu and described in the body.
    page.locator("[role='menuitem'], .menu-content label").filter(has_text="events").first.wait_for()
    body = page.locator(".api-content").inner_text()
    assert "/v1/events" in body
    assert not any("fonts.googleapis" in u or "fonts.gstatic" in u for u in requests_seen.urls)
    assert any(u.endswith("/static/vendor/redoc/redoc.standalone.js") for u in requests_seen.urls)
    assert aborted == []


def test_docs_pages_allow_nothing_but_this_server(live) -> None:  # noqa: ANN001
    """The pages' CSP forbids any other origin for scripts, styles, fonts, images and fetches
    (what would catch a future upgrade that brings a CDN link back), and the vendored copies
    keep their licences beside them."""
    import httpx

    for path in ("/docs", "/redoc"):
        answer = httpx.get(live.url(path))
        assert answer.status_code == 200
        csp = answer.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "connect-src 'self'" in csp and "font-src 'self'" in csp
        assert "http" not in csp and "unsafe-eval" not in csp
        assert "cdn.jsdelivr.net" not in answer.text and "fastapi.tiangolo.com" not in answer.text
        assert "fonts.googleapis.com" not in answer.text
    assert "validatorUrl\": null" in httpx.get(live.url("/docs")).text
    for name in ("swagger-ui", "redoc"):
        assert (VENDOR / name / "LICENSE").is_file()
        assert (VENDOR / name / "README.md").is_file()
    # ReDoc's side-menu logo would come from its vendor's CDN: scripts/vendor_api_docs.py patches it out.
    assert b"cdn.redoc.ly" not in (VENDOR / "redoc" / "redoc.standalone.js").read_bytes()
    # Not part of the API's own description.
    paths = httpx.get(live.url("/openapi.json")).json()["paths"]
    assert "/docs" not in paths and "/redoc" not in paths
