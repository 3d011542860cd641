"""Reasons in plain words in real Chromium: the why page, the player page's decisions,
markers and interventions, and the RG queue show each sentence with its code beside it."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from conftest import EventFactory

pytestmark = pytest.mark.browser

STALE = re.compile(r"^stale_data:(\d+)min>60min$")


def test_why_and_the_player_page_say_the_reasons(open_page) -> None:  # noqa: ANN001
    page = open_page("ada")
    page.goto("/audit/why?player_id=se-anna-1&action=welcome")
    table = page.locator("#why-table")
    # se-anna-1 registered three days before the seed arrived: the welcome waited on stale data
    stale = table.locator('.reason-said[data-code^="stale_data:"]').first
    expect(stale).to_contain_text("The player's data was 72 hours old; promotions wait for data under 1 hour old")
    expect(stale.locator("code.reason")).to_have_text(STALE)
    minutes = int(STALE.match(stale.locator("code.reason").inner_text()).group(1))
    assert 72 * 60 <= minutes < 73 * 60
    register = table.locator('.reason-said[data-code="register_not_configured:SPELPAUS"]').first
    expect(register).to_contain_text("not configured for this market, so promotions are held until it is")
    expect(register.locator("code.reason")).to_have_text("register_not_configured:SPELPAUS")
    expect(page.locator("#why-summary")).to_contain_text("hours old; promotions wait for data under 1 hour old (stale_data:")

    page.goto("/players/se-anna-1")
    decisions = page.locator("#decisions")
    held = decisions.locator('.reason-said[data-code="register_not_configured:SPELPAUS"]').first
    expect(held).to_contain_text("The SPELPAUS register is not configured for this market")
    expect(held.locator("code.reason")).to_have_text("register_not_configured:SPELPAUS")
    expect(decisions.locator('.reason-said[data-code^="stale_data:"]').first).to_contain_text("72 hours old")


def test_markers_interventions_and_the_queue_say_what_they_are(open_page, live) -> None:  # noqa: ANN001
    make = EventFactory(now=datetime.now(timezone.utc).replace(microsecond=0), player_id="rsn-eva-1", brand="nordlys")
    live.ingest(make.at_severe_risk(email="rsn-eva-1@example.se"))
    page = open_page("rita")
    page.goto("/players/rsn-eva-1#tab-protection")   # markers, interventions and risk history
    distress = page.locator('#markers li[data-marker="distress"] .reason-said')
    expect(distress).to_contain_text("Distress: support messages with words of distress")
    expect(distress.locator("code.reason")).to_have_text("distress")
    hard_stop = page.locator('#interventions tr[data-intervention="hard_stop"] .reason-said')
    expect(hard_stop).to_contain_text("Hard stop: no deposits until an RG officer's review lifts the stop")
    expect(hard_stop.locator("code.reason")).to_have_text("hard_stop")
    expect(page.locator('#risk-history .reason-said[data-code="distress"]').first).to_be_visible()

    page.goto("/rg?min_level=high")
    case = page.locator('#rg-table tr[data-player="rsn-eva-1"]')
    expect(case.locator('.reason-said[data-code="distress"]')).to_contain_text("Distress")


def test_the_audit_page_says_a_decision_s_reasons(open_page) -> None:  # noqa: ANN001
    page = open_page("aud")
    page.goto("/audit?player_id=se-anna-1&kind=gate.decision")
    first = page.locator("#audit-table tbody tr").first
    said = first.locator('.reason-said[data-code="register_not_configured:SPELPAUS"]')
    expect(said).to_contain_text("not configured for this market, so promotions are held until it is")
    expect(first.locator("details.raw pre")).to_contain_text('"register_not_configured:SPELPAUS"')   # the record, as kept
