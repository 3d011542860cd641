"""Drafts and the shadow on the live stream in real Chromium: officer A drafts a change, an
invalid edit is refused with the path and value, the fixed draft is submitted and run in
shadow while events arrive over the API, the differences show on the version's page, and
officer B approves it (which ends the shadow: the version is the live one)."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from conftest import EventFactory

from .conftest import se_player
from .test_config_browser import _signed_in, server  # noqa: F401 - the module's fixture

pytestmark = pytest.mark.browser


def _ingest_key(app) -> str:  # noqa: ANN001
    from croupier.store.accounts import create_key

    with app.state.runtime.db.engine.begin() as conn:
        token, _ = create_key(conn, "browser-shadow", ["ingest"])
    return token


def _until_shown(page: Page, locator: Locator, timeout: float = 15.0) -> None:
    """Reload the page until `locator` is there: the engine evaluates events as they arrive."""
    deadline = time.monotonic() + timeout
    while locator.count() == 0:
        assert time.monotonic() < deadline, f"{locator} never appeared"
        time.sleep(0.3)
        page.reload()


def test_a_draft_is_fixed_submitted_shadowed_on_the_live_stream_and_approved(browser, server) -> None:  # noqa: ANN001, F811
    base_url, app = server
    cleo, cleo_errors = _signed_in(browser, base_url, "cleo")
    cleo.goto("/config")
    cleo.locator("#mode-patch").check()
    cleo.locator("#config-document").fill(json.dumps({"jurisdictions": {"SE": {"min_age": 20}}}))
    cleo.locator("#config-comment").fill("SE: 20 and over; RG levels sooner")
    cleo.get_by_role("button", name="Save as draft").click()
    expect(cleo.locator("#version-status")).to_have_text("draft")
    expect(cleo.locator("#flash")).to_contain_text("Saved as a draft")
    first_id = cleo.locator("#version-id").inner_text()

    # an invalid edit: the problem names the path and the value; the draft is unchanged
    cleo.locator("#draft-mode-patch").check()
    cleo.locator("#draft-document").fill(json.dumps(
        {"jurisdictions": {"SE": {"limits": {"ceilings": {"deposit:month": "1,000"}}}}}))
    cleo.get_by_role("button", name="Save draft").click()
    problem = cleo.locator('#problems li[data-path="jurisdictions.SE.limits.ceilings.deposit:month"]')
    expect(problem).to_contain_text('"1,000"')
    expect(problem).to_contain_text("decimal string")
    expect(cleo.locator("#version-id")).to_have_text(first_id)
    expect(cleo.locator("#draft-document")).to_have_value(json.dumps(
        {"jurisdictions": {"SE": {"limits": {"ceilings": {"deposit:month": "1,000"}}}}}))

    # fixed: the draft's id follows its new content
    cleo.locator("#draft-mode-patch").check()
    cleo.locator("#draft-document").fill(json.dumps({"jurisdictions": {"SE": {"rg": {"score_levels": [5, 6, 3000, 7000]}}}}))
    cleo.get_by_role("button", name="Save draft").click()
    expect(cleo.locator("#flash")).to_have_text("Draft saved.")
    version = cleo.locator("#version-id").inner_text()
    assert version != first_id
    expect(cleo.locator('#diff tr[data-path="jurisdictions.SE.rg.score_levels"]')).to_be_attached()
    expect(cleo.locator('#diff tr[data-path="jurisdictions.SE.min_age"]')).to_contain_text("20")

    cleo.get_by_role("button", name="Submit for approval").click()
    expect(cleo.locator("#version-status")).to_have_text("proposed")
    expect(cleo.locator("#live-shadow-none")).to_be_visible()
    cleo.get_by_role("button", name="Shadow the live stream").click()
    expect(cleo.locator("#live-shadow-status")).to_have_text("running")

    # the real stream, over the API: a 19-year-old's welcome, and three declined deposits
    older = EventFactory(player_id="se-d-older")
    events = [se_player("se-d-young", 19), se_player("se-d-older", 30)]
    events += [older("payment.deposit", timedelta(minutes=-20 + i), transaction_id=f"d-older-{i}", amount="100.00",
                     currency="SEK", method="card", status="declined") for i in range(3)]
    r = httpx.post(f"{base_url}/v1/events", json=events, headers={"Authorization": f"Bearer {_ingest_key(app)}"})
    assert r.status_code == 200 and r.json()["accepted"] == len(events), r.text

    flip = cleo.locator('#live-shadow-decisions tr[data-player="se-d-young"][data-change="now_suppressed"]')
    _until_shown(cleo, flip)
    expect(flip).to_contain_text("under_age:19<20")
    _until_shown(cleo, cleo.locator('#live-shadow-players tr[data-player="se-d-older"]'))
    flagged = cleo.locator('#live-shadow-players tr[data-player="se-d-older"]')
    expect(flagged).to_have_attribute("data-change", "newly_flagged")
    expect(flagged).to_have_attribute("data-level", "medium")
    expect(cleo.locator('#live-shadow-counts [data-count="newly_flagged"] [data-level="medium"]')).to_have_text("medium: 1")
    expect(cleo.locator('#live-shadow-decisions tr[data-player="se-d-older"][data-name="rg_safer_play"]')
           ).to_have_attribute("data-change", "only_shadow")
    expect(cleo.locator("#approve")).to_be_disabled()          # the proposer cannot approve

    otto, otto_errors = _signed_in(browser, base_url, "otto")
    otto.goto("/config")
    otto.locator(f'#versions tr[data-version="{version}"] a').click()
    expect(otto.locator('#live-shadow-decisions tr[data-player="se-d-young"][data-change="now_suppressed"]')
           ).to_contain_text("under_age:19<20")
    expect(otto.locator('#live-shadow-players tr[data-player="se-d-older"]')).to_contain_text("medium")
    otto.locator("#review-comment").fill("shadow on the live stream checked")
    otto.get_by_role("button", name="Approve and put in force").click()
    expect(otto.locator("#version-status")).to_have_text("approved")
    expect(otto.locator("#in-force")).to_have_text(version)
    expect(otto.locator("#live-shadow-status")).to_have_text("stopped")
    expect(otto.locator("#live-shadow-summary")).to_contain_text("approved")
    for page in (cleo, otto):
        page.context.close()
    assert cleo_errors == [] and otto_errors == []
