"""A compliance officer puts a player under AML review from the protection panel in real
Chromium; the status, its history and the audit entry show; roles without aml.view never
see it (no tipping off through the back office)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from conftest import EventFactory

pytestmark = pytest.mark.browser


def _player(player_id: str) -> list[dict]:
    make = EventFactory(now=datetime.now(timezone.utc).replace(microsecond=0), player_id=player_id, brand="nordlys")
    return [make.registered(timedelta(hours=-1), email=f"{player_id}@example.se", last_name="Holm")]


def test_setting_an_aml_status_from_the_panel(open_page, live) -> None:  # noqa: ANN001
    live.ingest(_player("aml-ida-1"))
    page = open_page("ada")
    page.goto("/players/aml-ida-1#tab-aml")
    panel, aml = page.locator("#protection"), page.locator("#aml")   # the AML section has a tab of its own
    expect(panel.locator("#aml-status")).to_have_text("AML: clear")
    expect(aml.locator("#aml-history")).to_contain_text("No AML status change.")

    page.locator("#aml_status").select_option("review")
    page.locator("#aml_reason").fill("source of funds requested after a 20,000 SEK deposit")
    page.locator("#aml_case").fill("AML-42")
    page.get_by_role("button", name="Set AML status").click()
    expect(page).to_have_url(f"{live.base_url}/players/aml-ida-1#aml")
    expect(panel.locator("#aml-status")).to_have_text("AML: review")
    expect(page.locator("[data-summary=aml]")).to_have_text("review")
    expect(aml.locator("#aml-summary")).to_be_visible()        # the redirect's #aml opened the AML tab
    expect(aml.locator("#aml-summary")).to_contain_text("Promotional messages, bonuses and rewards are suppressed")
    row = aml.locator('#aml-history tr[data-aml="review"]')
    expect(row).to_contain_text("ada")
    expect(row).to_contain_text("source of funds requested")

    page.goto("/audit?kind=aml.status_changed")
    expect(page.locator("#audit-table tbody tr").first).to_contain_text("ada")


def test_roles_without_aml_view_do_not_see_it(open_page, live) -> None:  # noqa: ANN001
    live.ingest(_player("aml-jon-2"))
    page = open_page("carl")                       # a CRM manager
    page.goto("/players/aml-jon-2#protection")
    expect(page.locator("#protection")).to_be_visible()
    expect(page.get_by_role("tab", name="AML")).to_have_count(0)
    expect(page.locator("[data-summary=aml]")).to_have_count(0)
    expect(page.locator("#aml-status")).to_have_count(0)
    expect(page.locator("#aml-form")).to_have_count(0)
