"""The RG officer's day in real Chromium: the queue, the player's protection panel with its
markers and open case, and a review that lifts the hard stop."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from conftest import EventFactory

pytestmark = pytest.mark.browser


def _severe_player(player_id: str) -> list[dict]:
    make = EventFactory(now=datetime.now(timezone.utc).replace(microsecond=0), player_id=player_id, brand="nordlys")
    events = [make.registered(timedelta(hours=-3), email=f"{player_id}@example.se", last_name="Lind")]
    events += [make("payment.deposit", timedelta(hours=-2, minutes=i * 5), transaction_id=f"{player_id}-d{i}",
                    amount="100.00", currency="SEK", status="declined") for i in range(5)]
    events.append(make("support.message", timedelta(hours=-1), ticket_id="t1", channel="chat", language="en",
                       text="Please help me, I lost control and I'm desperate."))
    return events


def test_the_queue_the_panel_and_a_review(open_page, live) -> None:  # noqa: ANN001
    live.ingest(_severe_player("rg-erik-1"))
    page = open_page("ada")
    page.goto("/rg")
    row = page.locator('#rg-table tr[data-player="rg-erik-1"]')
    expect(row).to_contain_text("severe")
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
