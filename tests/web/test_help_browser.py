"""The documentation in real Chromium: any staff member opens Help from the navigation,
reads a document in the back-office layout, follows a link to another document's section,
and the configuration page links the documentation instead of naming files. Raw requests
that try to climb out of the docs directory get nothing. No CSP violation or script error
(the open_page fixture checks), and nothing loads from elsewhere."""

from __future__ import annotations

import http.client
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from .conftest import session_for

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_help_pages_render_and_link_to_each_other(open_page) -> None:  # noqa: ANN001
    page = open_page("sam")   # a support agent: the fewest permissions
    page.goto("/players")
    page.locator("nav.sidebar").get_by_role("link", name="Help").click()
    expect(page).to_have_url(re.compile(r"/help$"))
    expect(page.locator("#help-pages li")).to_have_count(len(list(DOCS.glob("*.md"))))   # every document, listed
    page.locator("#help-pages").get_by_role("link", name="Architecture").click()
    expect(page.locator("#doc h1")).to_have_text("Architecture")
    expect(page.locator('nav.sidebar a[aria-current="page"]')).to_have_text("Help")
    # a link written for the repository (protocol.md#amounts) opens the section here
    page.locator("#doc").get_by_role("link", name="protocol.md").first.click()
    expect(page).to_have_url(re.compile(r"/help/protocol#amounts$"))
    expect(page.locator("#doc h1")).to_have_text("Event protocol v1")
    expect(page.locator("#amounts")).to_be_in_viewport()
    # code blocks, tables; a Mermaid diagram is shown as its code
    page.goto("/help/integration")
    expect(page.locator("#doc pre code.language-mermaid").first).to_contain_text("sequenceDiagram")
    page.locator("#help-nav").get_by_role("link", name="The ledger and limits").click()
    expect(page.locator("#doc h1")).to_have_text("The ledger and limits")
    expect(page.locator("#doc table").first).to_be_visible()


def test_the_configuration_page_links_the_documentation(open_page) -> None:  # noqa: ANN001
    page = open_page("ada")
    page.goto("/config")
    assert "docs/" not in page.locator("main").inner_text()
    page.get_by_role("link", name="the jurisdictions and their sources").click()
    expect(page.locator("#doc h1")).to_have_text("Jurisdiction presets and their sources")
    page.goto("/config")
    page.get_by_role("link", name="how configuration works").click()
    expect(page).to_have_url(re.compile(r"/help/configuration#the-back-office$"))
    expect(page.locator("#the-back-office")).to_be_in_viewport()


@pytest.mark.parametrize("path", ["/help/../../pyproject.toml", "/help/../docs/../pyproject.toml",
                                  "/help/..%2f..%2fpyproject.toml", "/help/%2e%2e/%2e%2e/pyproject.toml",
                                  "/help//etc/passwd", "/help/..\\..\\pyproject.toml"])
def test_raw_traversal_requests_get_nothing(live, path: str) -> None:  # noqa: ANN001
    """Sent byte for byte (a browser or httpx would tidy the dots away first)."""
    token, _ = session_for(live.app, "ada")
    host = urlsplit(live.base_url)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
    conn.putrequest("GET", path, skip_accept_encoding=True)
    conn.putheader("Cookie", f"croupier_session={token}")
    conn.endheaders()
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    conn.close()
    assert response.status in (404, 422), (path, response.status)
    assert "[build-system]" not in body and "root:" not in body
