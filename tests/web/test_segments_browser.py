"""The Segments page in Chromium: a CRM manager opens it from the navigation, types a
definition and watches the live preview follow (member count, summary in words, the players
a promotional segment leaves out by reason, a sample linking to player-360 pages), sees a
typo's position and "did you mean", saves, and finds the segment in the list."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_type_preview_fix_save_and_list(open_page) -> None:  # noqa: ANN001
    page = open_page("carl")
    page.goto("/")
    page.get_by_role("link", name="Segments").click()
    expect(page.locator("#segments-empty")).to_be_visible()
    page.get_by_role("link", name="New segment").click()

    page.get_by_label("Name").fill("Recent depositors")
    text = page.locator("#segment-text")
    text.fill("deposit_sum_30d >= 1")
    # promotional (the default): both depositors are left out, and the preview says why
    expect(page.locator("#preview-count")).to_have_text("0")
    expect(page.locator("#preview-summary")).to_have_text(
        "players whose sum of approved deposits in the last 30 days is at least 1")
    expect(page.locator("#preview-left-out")).to_have_text("2 players the gate would hold back")
    expect(page.locator("#preview-reasons li")).to_have_count(2)
    expect(page.locator("#preview-reasons")).to_contain_text("player_not_registered")

    page.get_by_label("Purpose").select_option("service")
    expect(page.locator("#preview-count")).to_have_text("2")
    expect(page.locator("#preview-sample a")).to_have_count(2)
    expect(page.locator('#preview-sample a[href="/players/se-anna-1"]')).to_be_visible()

    text.press("End")
    text.type(" and deposit_sum_30 >= 1")          # a typo, as typed: the preview follows each key
    problems = page.locator("#segment-text-problems li")
    expect(problems).to_have_count(1)
    expect(problems).to_contain_text("line 1, column 26")
    expect(problems).to_contain_text("did you mean 'deposit_sum_30d'")
    expect(text).to_have_attribute("aria-invalid", "true")

    text.fill("deposit_sum_30d >= 200")
    expect(page.locator("#segment-text-problems li")).to_have_count(0)
    expect(page.locator("#preview-count")).to_have_text("1")
    expect(page.locator("#preview-sample a")).to_have_text(["se-anna-1"])
    # when the copy was taken, in the reader's locale and time zone, not as raw ISO
    expect(page.locator("#preview-status")).to_have_text(re.compile(r"^As of \w{3} \d{1,2}, \d{4}, .+ UTC\.$"))

    page.get_by_role("button", name="Create segment").click()
    expect(page.locator("h1")).to_have_text("Recent depositors")
    expect(page.locator("#saved-summary")).to_have_text(
        "players whose sum of approved deposits in the last 30 days is at least 200")
    expect(page.locator("#versions-table tbody tr")).to_have_count(1)
    expect(page.locator("#preview-count")).to_have_text("1")   # the saved definition's preview on opening
    expect(page.locator("#members-csv")).to_be_visible()

    page.get_by_role("link", name="All segments").click()
    row = page.locator("#segments-table tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_role("link", name="Recent depositors")).to_be_visible()
    expect(row).to_contain_text("service")
    expect(row).to_contain_text("at least 200")
