"""The approval workflow in real Chromium: officer A proposes, A cannot approve (refused
with the reason), officer B runs the shadow, sees what would change and approves; the
version in force changes without a restart, and a decision recorded afterwards carries it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from conftest import preset_registers, serving

from .conftest import OFFICERS, decisions, ingest, make_config_app, se_player

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    # every preset register answers but GAMSTOP, which nobody configured (the page warns about it)
    app = make_config_app(f"sqlite:///{tmp_path_factory.mktemp('config-web') / 'croupier.db'}",
                          registers=[r for r in preset_registers() if r != "GAMSTOP"])
    with serving(app) as base_url:
        yield base_url, app


def _signed_in(browser, base_url: str, username: str):  # noqa: ANN001, ANN202
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and not re.search(
        r"status of (401|403|404|409|422)", m.text) else None)
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(OFFICERS[username][1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page, errors


def test_four_eyes_approval_in_the_browser(browser, server) -> None:  # noqa: ANN001
    base_url, app = server
    ingest(app, [se_player("se-b-young", 19), se_player("se-b-older", 30),
                 {**se_player("gb-b-held", 30), "jurisdiction": "GB", "country": "GB", "currency": "GBP"}])
    live = app.state.runtime.config.version

    cleo, cleo_errors = _signed_in(browser, base_url, "cleo")
    cleo.get_by_role("link", name="Configuration").click()
    expect(cleo.locator("#active-version")).to_have_text(live)
    warning = cleo.locator("#register-warning")   # the one market whose register is missing
    expect(warning).to_contain_text("Marketing is held in 1 market:")
    expect(warning.locator('[data-market="GB"]')).to_contain_text("GAMSTOP is neither configured nor imported")
    expect(warning.locator('[data-market="GB"] [data-held]')).to_have_text("1 player held")
    cleo.locator('details[data-jurisdiction="DE"] summary').click()
    row = cleo.locator('#rules-DE tr[data-field="exclusions.panic_button_hours"]')
    expect(row.locator(".value")).to_have_text("24")
    expect(row).to_contain_text("G3")
    expect(cleo.locator('#rules-MT tr.uncertain').first).to_be_attached()

    # an invalid proposal: errors inline, with path and value; nothing stored
    cleo.locator("#mode-patch").check()
    cleo.locator("#config-document").fill(json.dumps({"jurisdictions": {"SE": {"min_age": "twenty"}}}))
    cleo.get_by_role("button", name="Propose").click()
    expect(cleo.locator('#problems li[data-path="jurisdictions.SE.min_age"]')).to_contain_text('"twenty"')
    expect(cleo.locator("#versions tr.empty")).to_have_count(1)

    cleo.locator("#mode-patch").check()
    cleo.locator("#config-document").fill(json.dumps({"jurisdictions": {"SE": {"min_age": 20}}}))
    cleo.locator("#config-comment").fill("SE: 20 and over only")
    cleo.get_by_role("button", name="Propose").click()
    expect(cleo.locator("#version-status")).to_have_text("proposed")
    version = cleo.locator("#version-id").inner_text()
    expect(cleo.locator('#diff tr[data-path="jurisdictions.SE.min_age"]')).to_contain_text("18")
    # the proposer's buttons are disabled, and a forced submission is refused with the reason
    expect(cleo.locator("#own-note")).to_be_visible()
    expect(cleo.locator("#approve")).to_be_disabled()
    csrf = cleo.locator('#approve-form input[name="csrf_token"]').input_value()
    refused = cleo.request.post(f"/config/versions/{version}/approve", form={"csrf_token": csrf, "comment": ""})
    assert refused.status == 403 and "four-eyes" in refused.text()
    assert app.state.runtime.config.version == live

    otto, otto_errors = _signed_in(browser, base_url, "otto")
    otto.goto("/config")
    otto.locator(f'#versions tr[data-version="{version}"] a').click()
    expect(otto.locator("#shadow-none")).to_be_visible()
    otto.get_by_role("button", name="Run in shadow").click()
    expect(otto.locator("#flash")).to_contain_text("Shadow run finished")
    # the welcome held for Spelpaus' check changes only its reasons; decided again, it flips
    flip = otto.locator('#shadow-flips tr[data-player="se-b-young"][data-change="now_suppressed"]')
    expect(flip).to_have_count(1)
    expect(flip).to_contain_text("under_age:19<20")
    expect(otto.locator('#shadow-flips tr[data-player="se-b-older"]')).to_have_count(0)
    otto.locator("#review-comment").fill("shadow checked: one welcome suppressed")
    otto.get_by_role("button", name="Approve and put in force").click()
    expect(otto.locator("#version-status")).to_have_text("approved")
    expect(otto.locator("#in-force")).to_have_text(version)
    otto.goto("/config")
    expect(otto.locator("#active-version")).to_have_text(version)
    expect(otto.locator("#active-approved")).to_contain_text("otto")

    # the engine decides with the new version at once, and records it
    ingest(app, [se_player("se-b-after", 19)])
    [decision] = decisions(app, "se-b-after")
    assert decision["config_version"] == version and decision["reasons"] == ["under_age:19<20"]
    otto.goto("/audit?kind=config.approved")
    expect(otto.locator('#audit-table tr[data-kind="config.approved"]').first).to_contain_text(version)
    for page in (cleo, otto):
        page.context.close()
    assert cleo_errors == [] and otto_errors == []
