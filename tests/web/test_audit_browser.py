"""The audit page answers "why" and exports for a regulator, in real Chromium."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_why_and_export_from_the_audit_page(open_page) -> None:  # noqa: ANN001
    page = open_page("ada")
    page.goto("/audit")
    page.locator("#why_player").fill("se-anna-1")
    page.locator("#why_action").fill("welcome")
    page.get_by_role("button", name="Ask the audit log").click()
    summary = page.locator("#why-summary")
    # seeded three days before it was sent: the gate held the promotion back as stale
    expect(summary).to_contain_text("'welcome' for player se-anna-1 was last suppressed")
    expect(summary).to_contain_text("stale_data")
    # held for Spelpaus' check at registration, then decided again when the check answered:
    # nobody configured Spelpaus, so still held
    expect(page.locator("#why-table tbody tr")).to_have_count(2)
    expect(page.locator("#why-table")).to_contain_text("register_check_pending")
    expect(page.locator("#why-table tbody tr").first).to_contain_text("register_not_configured")

    page.goto("/audit?player_id=se-anna-1")
    with page.expect_download() as download_info:
        page.locator("#export-csv").click()
    rows = list(csv.DictReader(io.StringIO(open(download_info.value.path(), encoding="utf-8").read())))
    assert rows and {r["player_id"] for r in rows} == {"se-anna-1"}
    assert all(len(r["hash"]) == 64 for r in rows)
    # the export is itself on the record, with who made it
    page.goto("/audit?kind=audit.exported")
    expect(page.locator("#audit-table tbody tr").first).to_contain_text("ada")


def test_the_why_link_from_the_player_page_and_who_may_ask(open_page) -> None:  # noqa: ANN001
    page = open_page("aud")
    page.goto("/players/se-anna-1")
    page.get_by_role("tab", name="Messages").click()   # gate decisions sit beside the messages
    page.locator("#decisions a", has_text="welcome").first.click()
    expect(page.locator("#why-summary")).to_contain_text("se-anna-1")
    support = open_page("sam")
    response = support.goto("/audit/why?player_id=se-anna-1&action=welcome")
    assert response.status == 403
    expect(support.locator("#missing-permission")).to_have_text("decisions.view")
