"""The settings form in real Chromium: an officer picks a market, types an invalid value
(the error names the field and the value, is tied to the input for screen readers), fixes
it, changes the quiet hours and a ceiling and proposes; the diff shows the two changes; an
admin (the second pair of eyes) approves, and the diff against the replaced version is
still there afterwards. No CSP violation, script error or request off this machine."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from conftest import serving

from .conftest import OFFICERS, make_config_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    app = make_config_app(f"sqlite:///{tmp_path_factory.mktemp('config-form') / 'croupier.db'}")
    with serving(app) as base_url:
        yield base_url, app


def _signed_in(browser, base_url: str, username: str, problems: list[str]):  # noqa: ANN001, ANN202
    """A page signed in through the real form; console errors (CSP violations among them,
    but not the 4xx answers a refused form gets), script errors and requests that leave this
    machine are collected in `problems`."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and not re.search(
        r"status of (401|403|404|409|422)", m.text) else None)
    page.on("request", lambda r: problems.append(f"left the machine: {r.url}") if urlsplit(r.url).hostname not in (
        "127.0.0.1", "localhost", None) else None)
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(OFFICERS[username][1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page


def test_settings_form_to_four_eyes_approval_with_the_diff_kept(browser, server) -> None:  # noqa: ANN001
    base_url, app = server
    problems: list[str] = []
    cleo = _signed_in(browser, base_url, "cleo", problems)
    cleo.goto("/config")
    form = cleo.locator("#settings-form")
    # one market at a time, chosen without a script
    cleo.get_by_label("Market", exact=True).select_option("GB")
    cleo.get_by_role("button", name="Switch market").click()
    expect(cleo.locator("#settings-market-name")).to_contain_text("GB · Great Britain: amounts in GBP")
    cooling = form.get_by_label("Limit increase cooling-off")
    expect(cooling).to_have_value("24")
    expect(cooling).to_have_accessible_description(re.compile(r"^An increase or removal of a limit takes effect"))
    quiet = form.get_by_role("group", name="Quiet hours")
    expect(quiet.get_by_label("From hour")).to_have_value("")

    # an invalid value: refused, with the field's name and the value, on the field itself
    quiet.get_by_label("From hour").fill("22")
    quiet.get_by_label("Until hour").fill("30")
    form.get_by_label("Deposit ceiling per month").fill("2,000")
    cleo.get_by_role("button", name="Send these settings for approval").click()
    expect(cleo.locator("#settings-error")).to_have_text(
        "Some settings are invalid; nothing was proposed. Fix the fields marked below.")
    ceiling = cleo.locator("#settings-form").get_by_label("Deposit ceiling per month")
    expect(ceiling).to_have_attribute("aria-invalid", "true")
    expect(ceiling).to_have_value("2,000")   # what was typed is kept
    expect(ceiling).to_have_accessible_description(re.compile(
        r"Deposit ceiling per month = 2,000: an amount as a decimal string with at most 2 decimals"))
    expect(cleo.locator("#cfg-marketing-quiet-hours-error")).to_have_text(
        "Quiet hours = [22, 30]: [start_hour, end_hour): start 0-23, end 0-24, local time")
    expect(cleo.locator("#settings-problems li")).to_have_count(2)
    # the list at the top leads to the field
    cleo.locator("#settings-problems a", has_text="Deposit ceiling per month").click()
    expect(cleo).to_have_url(re.compile(r"#cfg-limits-ceilings-deposit-month$"))
    assert app.state.runtime.config.version == app.state.runtime.start_config.version

    # fixed, by keyboard: the labels lead to the inputs
    form = cleo.locator("#settings-form")
    form.get_by_label("Deposit ceiling per month").fill("2000.00")
    until = form.get_by_role("group", name="Quiet hours").get_by_label("Until hour")
    until.focus()
    cleo.keyboard.press("ControlOrMeta+a")
    cleo.keyboard.type("8")
    form.get_by_label("Why (for the reviewer and the audit log)").fill("GB: no marketing overnight, a ceiling")
    cleo.get_by_role("button", name="Send these settings for approval").click()
    expect(cleo.locator("#version-status")).to_have_text("proposed")
    version = cleo.locator("#version-id").inner_text()
    diff = cleo.locator("#diff tbody tr")
    expect(diff).to_have_count(2)
    expect(cleo.locator('#diff tr[data-path="jurisdictions.GB.marketing.quiet_hours"]')).to_contain_text("[22, 8]")
    expect(cleo.locator('#diff tr[data-path="jurisdictions.GB.limits.ceilings.deposit:month"]')).to_contain_text(
        '"2000.00"')
    expect(cleo.locator("#approve")).to_be_disabled()   # four-eyes: not by the proposer

    ada = _signed_in(browser, base_url, "ada", problems)
    ada.goto(f"/config/versions/{version}")
    expect(ada.locator("#diff tbody tr")).to_have_count(2)
    ada.get_by_label("Comment").fill("checked")
    ada.get_by_role("button", name="Approve and put in force").click()
    expect(ada.locator("#version-status")).to_have_text("approved")
    expect(ada.locator("#approved-by")).to_contain_text("ada")
    # the diff is still there, against the version it replaced
    expect(ada.locator("#diff-heading")).to_contain_text("the version it replaced")
    expect(ada.locator("#diff tbody tr")).to_have_count(2)
    expect(ada.locator('#diff tr[data-path="jurisdictions.GB.marketing.quiet_hours"]')).to_contain_text("[22, 8]")
    assert app.state.runtime.config.jurisdictions["GB"].marketing.quiet_hours == [22, 8]
    # and the form shows the values in force now
    ada.goto("/config?market=GB")
    expect(ada.locator("#settings-form").get_by_label("Deposit ceiling per month")).to_have_value("2000.00")
    # the proposer sees the same kept diff
    cleo.reload()
    expect(cleo.locator("#diff tbody tr")).to_have_count(2)
    for page in (cleo, ada):
        page.context.close()
    assert problems == []
