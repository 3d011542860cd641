"""The RG officer's day in real Chromium: the queue, the player's protection panel with its
markers and open case, and a review that lifts the hard stop."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from conftest import EventFactory

pytestmark = pytest.mark.browser


def _severe_player(player_id: str) -> list[dict]:
    make = EventFactory(now=datetime.now(timezone.utc).replace(microsecond=0), player_id=player_id, brand="nordlys")
    return make.at_severe_risk(email=f"{player_id}@example.se", last_name="Lind")


def test_the_queue_the_panel_and_a_review(open_page, live) -> None:  # noqa: ANN001
    live.ingest(_severe_player("rg-erik-1"))
    page = open_page("ada")
    page.goto("/rg")
    row = page.locator('#rg-table tr[data-player="rg-erik-1"]')
    expect(row).to_contain_text("severe")
    expect(row.locator("td.num")).to_have_text("0.85")              # the score beside the level
    row.get_by_role("link", name="rg-erik-1").click()

    panel = page.locator("#protection")
    expect(panel.locator("#risk-level")).to_have_text("risk: severe")
    expect(panel).to_contain_text("deposits blocked")
    expect(panel.locator("#open-cases")).to_have_text("1 open case")
    expect(panel.locator('#markers li[data-marker="distress"]')).to_contain_text("support message")
    expect(panel.locator('#interventions tr[data-intervention="hard_stop"]')).to_be_visible()

    page.locator("#review_outcome").select_option("limits_agreed")
    page.locator("#review_note").fill("called the player; weekly limit agreed")
    page.locator("#lift_hard_stop").check()
    page.get_by_role("button", name="Record review").click()
    expect(page.locator("#open-cases")).to_have_count(0)
    expect(page.locator("#protection")).not_to_contain_text("deposits blocked")
    expect(page.locator('#interventions tr[data-intervention="human"]')).to_contain_text("reviewed")

    page.goto("/audit?kind=protection.rg_reviewed")
    expect(page.locator("#audit-table tbody tr").first).to_contain_text("ada")


def test_the_queue_is_refused_to_roles_without_rg_view(open_page) -> None:  # noqa: ANN001
    page = open_page("carl")
    response = page.goto("/rg")
    assert response.status == 403
    expect(page.locator("#missing-permission")).to_have_text("rg.view")


def test_a_lead_assigns_a_case_and_the_officer_finds_it_and_hands_it_back(open_page, live) -> None:  # noqa: ANN001
    live.ingest(_severe_player("rg-ines-2"))
    live.ingest(_severe_player("rg-olof-3"))
    officer = open_page("rita")
    officer.goto("/rg?assigned=none")
    row = officer.locator('#rg-table tr[data-player="rg-olof-3"]')
    expect(row.locator(".assignee")).to_contain_text("unassigned")
    row.get_by_role("button", name="Take").click()
    expect(officer).to_have_url(live.url("/rg?assigned=none"))
    expect(officer.locator('#rg-table tr[data-player="rg-olof-3"]')).to_have_count(0)    # no longer unassigned

    lead = open_page("ada")
    lead.goto("/players/rg-ines-2#protection")
    case = lead.locator("#rg-case")
    expect(case.locator("#case-assignee")).to_have_text("Unassigned")
    lead.locator("#case_assignee").select_option("rita")
    lead.locator("#case_reason").fill("speaks Spanish")
    lead.get_by_role("button", name="Save assignment").click()
    expect(lead.locator("#case-assignee")).to_contain_text("Assigned to rita by ada")
    expect(lead.locator('#case-history li[data-action="assign"]')).to_contain_text("ada: assigned it to rita")
    expect(lead.locator('#case-history li[data-action="assign"]')).to_contain_text("speaks Spanish")
    assert "carl" not in lead.locator("#case_assignee option").all_text_contents()   # no rg.review: not offered

    officer.goto("/rg")
    officer.locator("#assigned").select_option("me")
    officer.get_by_role("button", name="Show").click()
    mine = officer.locator("#rg-table tbody tr[data-player]")
    expect(mine).to_have_count(2)
    expect(officer.locator('#rg-table tr[data-player="rg-ines-2"] .assignee')).to_have_text("rita")
    officer.locator('#rg-table tr[data-player="rg-ines-2"]').get_by_role("link", name="rg-ines-2").click()
    expect(officer.locator("#case-assign-form")).to_have_count(0)                     # an officer is no lead
    officer.get_by_role("button", name="Release case").click()
    expect(officer.locator("#case-assignee")).to_have_text("Unassigned")
    expect(officer.locator('#case-history li[data-action="unassign"]')).to_contain_text("rita: unassigned rita")

    lead.goto("/audit?kind=protection.rg_case_assigned")
    expect(lead.locator("#audit-table tbody tr")).to_have_count(3)
