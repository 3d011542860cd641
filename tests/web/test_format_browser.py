"""Figures and times for the reader, in real Chromium: a staff member sets their own time
zone and locale on "My settings" (validated, CSRF-checked, audited), and every page then
writes money, counts and times their way, live updates included; times carry the exact
moment on hover; the player's own clock stands beside theirs; the audit log shows when a
record happened and when it was recorded; an over-limit usage is highlighted in words; an
"all checks passed" reason is green."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from .conftest import EventFactory, login

pytestmark = pytest.mark.browser

SVEN = ("sven", "sven-password-01")
PLAYER = "fmt-ny-1"
NBSP = "\u00a0"


def _over_limit_player(live) -> None:  # noqa: ANN001
    """A Maltese-market player living in New York with a 200 GBP daily deposit limit who
    deposited 100 + 150 GBP today (their day): 50 GBP over. Malta's rules name no national
    register, so the welcome message passes with `all_checks_passed`."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    local_midnight = now.astimezone(ZoneInfo("America/New_York")).replace(hour=0, minute=0, second=0)
    t0 = max(now - timedelta(minutes=5), local_midnight.astimezone(timezone.utc) + timedelta(seconds=1))
    make = EventFactory(now=now, player_id=PLAYER, brand="aurora")
    live.ingest([
        make.registered(timedelta(days=-2), jurisdiction="MT", country="MT", currency="GBP",
                        timezone="America/New_York", email="nora@example.com", first_name="Nora",
                        last_name="Quill"),
        make("limit.changed", t0, kind="deposit", period="day", amount="200.00", currency="GBP", source="player"),
        make("payment.deposit", t0 + timedelta(seconds=30), transaction_id="fmt-d1", amount="100.00",
             currency="GBP", method="card", status="approved"),
        make("payment.deposit", t0 + timedelta(seconds=60), transaction_id="fmt-d2", amount="150.00",
             currency="GBP", method="card", status="approved"),
    ])


@pytest.fixture(scope="module")
def sven(live):  # noqa: ANN001, ANN201
    """An administrator of this module only (his settings change nobody else's pages)."""
    from croupier.store.accounts import create_user

    with live.app.state.runtime.db.engine.begin() as conn:
        create_user(conn, SVEN[0], SVEN[1], "admin")
    _over_limit_player(live)
    return SVEN


def _signed_in(page, user, live) -> None:  # noqa: ANN001
    """Signed in with the operator's defaults (UTC, en): each test starts from them."""
    from croupier.store.accounts import find_user, set_display

    with live.app.state.runtime.db.engine.begin() as conn:
        set_display(conn, find_user(conn, user[0]).user_id, None, None)
    login(page, *user)
    expect(page.locator('[data-testid="user"]')).to_have_text(user[0])


def test_defaults_are_the_operators_and_an_over_limit_usage_is_highlighted(page, live, sven) -> None:  # noqa: ANN001
    _signed_in(page, sven, live)
    page.goto(f"/players/{PLAYER}")
    row = page.locator('#limits-table tr[data-limit="deposit:day"]')
    expect(row).to_have_class(re.compile(r"\bbreach\b"))
    expect(row).to_have_attribute("data-breach", "over")
    expect(row.locator("td").nth(1)).to_have_text("£200.00")
    expect(row.locator(".breach-text")).to_have_text("over limit by £50.00")   # words, not colour alone
    expect(row.locator("td").nth(2)).to_contain_text("£250.00")
    # the limit's day is the player's: it resets at their midnight, shown on both clocks
    resets = row.locator("[data-resets]")
    expect(resets.locator("time.relative")).to_have_text(re.compile(r"^in \d+ (hr|min)"))
    expect(resets.locator("time.relative")).to_have_attribute("title", re.compile(r" UTC$"))
    expect(resets.locator("time.player-time")).to_have_text(re.compile(r"^00:00 E[SD]T$"))   # their midnight
    expect(resets).to_contain_text("player's 00:00")
    # the green badge is green: all_checks_passed reads in the ok colours, a refusal in red
    passed = page.locator("#decisions code.reason-ok").first
    expect(passed).to_have_text("all_checks_passed")
    expect(passed).to_have_css("color", "rgb(30, 122, 70)")
    expect(passed).to_have_css("background-color", "rgb(229, 244, 234)")


def test_settings_are_validated_and_refused_without_the_csrf_token(page, live, sven) -> None:  # noqa: ANN001
    _signed_in(page, sven, live)
    page.get_by_role("link", name="My settings").click()
    expect(page).to_have_url(re.compile(r"/settings$"))
    expect(page.locator("#current-zone")).to_contain_text("UTC")
    page.get_by_label("Time zone").fill("Mars/Olympus_Mons")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#form-error")).to_contain_text("'Mars/Olympus_Mons' is not an IANA time zone")
    page.get_by_label("Time zone").fill("Europe/Stockholm")
    page.get_by_label("Figures and dates written as").fill("klingon")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#form-error")).to_contain_text("'klingon' is not a locale")
    expect(page.locator("#current-zone")).to_contain_text("UTC")   # nothing was saved
    refused = page.request.post("/settings", form={"time_zone": "Asia/Tokyo", "locale": "ja"})
    assert refused.status == 403
    page.goto("/settings")
    expect(page.locator("#current-zone")).to_contain_text("UTC")


def test_a_swedish_reader_in_stockholm_sees_every_page_their_way(page, live, sven) -> None:  # noqa: ANN001
    _signed_in(page, sven, live)
    page.goto("/settings")
    page.get_by_label("Time zone").fill("Europe/Stockholm")
    page.get_by_label("Figures and dates written as").fill("sv")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#flash")).to_contain_text("Settings saved")
    expect(page.locator("#current-zone")).to_have_text("Europe/Stockholm")
    expect(page.locator("#sample-money")).to_have_text(f"-462{NBSP}850,50{NBSP}kr")

    # the dashboard, first rendered and then refreshed by its script from the JSON
    page.goto("/")
    sek = page.locator('#today-body tr[data-currency="SEK"] [data-col="deposits"]')
    expect(sek).to_have_text(f"250,00{NBSP}kr")
    as_of = page.locator('[data-field="as_of"] time')
    expect(as_of).to_have_text(re.compile(r"\d{1,2} [a-zé]+\.? \d{4}, \d\d:\d\d:\d\d CES?T"))
    first = as_of.get_attribute("datetime")
    expect(as_of).not_to_have_attribute("datetime", first, timeout=8_000)   # a poll replaced it
    expect(as_of).to_have_text(re.compile(r"CES?T$"))
    expect(as_of).to_have_attribute("title", re.compile(r"\(Europe/Stockholm\) = .* UTC$"))
    expect(sek).to_have_text(f"250,00{NBSP}kr")
    expect(sek.locator("span.money")).to_have_count(1)
    # the charts draw their figures in the reader's locale too (the interface stays English)
    expect(page.locator("html")).to_have_attribute("data-locale", "sv")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.evaluate("new Intl.NumberFormat(document.documentElement.dataset.locale).format(1234.5)") == \
        f"1{chr(0xa0)}234,5"

    # the player page: Swedish money, times on the Stockholm clock, the player's New York clock beside
    page.goto(f"/players/{PLAYER}")
    row = page.locator('#limits-table tr[data-limit="deposit:day"]')
    expect(row.locator("td").nth(1)).to_have_text(f"200,00{NBSP}GBP")
    expect(row.locator(".breach-text")).to_have_text(f"over limit by 50,00{NBSP}GBP")
    expect(page.locator("#player-zone")).to_have_text("America/New_York")
    expect(page.locator("#player-now")).to_contain_text(re.compile(r"E[SD]T"))
    expect(page.locator("#late-night")).to_contain_text("00:00–06:00 player's time")
    expect(page.locator("#late-night")).to_contain_text(re.compile(r"on your clock"))
    last = page.locator("#last-event time.relative")
    expect(last).to_have_text(re.compile(r"sedan|sen$"))   # "för 1 min sedan"
    expect(last).to_have_attribute("title", re.compile(r"^\d{1,2} [a-zé]+\.? \d{4}, \d\d:\d\d:\d\d CES?T \(Europe/Stockholm\) = "))
    expect(page.locator("#last-event time.player-time")).to_contain_text(re.compile(r"E[SD]T$"))
    occurred = page.locator("#timeline-body tr").first.locator("td").nth(2).locator("time")
    expect(occurred).to_have_text(re.compile(r"CES?T$"))
    expect(occurred).to_have_attribute("title", re.compile(r"UTC$"))
    expect(page.locator('td[data-feature="deposit_sum_7d"]')).to_have_text(f"250,00{NBSP}GBP")

    # the audit log: the settings change, audited, with when it happened and when it was recorded
    page.goto("/audit?kind=staff.settings_changed")
    expect(page.locator("#audit-table thead")).to_contain_text("Happened")
    expect(page.locator("#audit-table thead")).to_contain_text("Recorded")
    record = page.locator("#audit-table tbody tr").first
    expect(record).to_contain_text("sven")
    expect(record.locator(".body")).to_contain_text('"locale":"sv"')
    expect(record.locator('[data-col="happened"] time')).to_have_text(re.compile(r"CES?T$"))
    expect(record.locator('[data-col="recorded"] time')).to_have_attribute("title", re.compile(r"UTC$"))
    expect(page.locator("#chain-text")).to_have_text(re.compile(r"^OK · [\d\s\u00a0]+ records checked$"))
    # a limit reported five minutes ago was recorded on arrival: both moments, the lag visible
    page.goto(f"/audit?player_id={PLAYER}&kind=protection.limit_changed")
    limit_changed = page.locator("#audit-table tbody tr").first
    happened = limit_changed.locator('[data-col="happened"] time').get_attribute("datetime")
    recorded = limit_changed.locator('[data-col="recorded"] time').first.get_attribute("datetime")
    assert happened < recorded
    expect(limit_changed.locator('[data-col="recorded"] [data-lag]')).to_be_visible()
