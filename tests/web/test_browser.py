"""The back office in real Chromium: signing in and out, the live dashboard moving while
events stream in, search, player-360 figures checked against hand-computed values, roles,
masking, CSRF, staff actions landing in the audit log, and no request leaving localhost."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from croupier.players import CATALOGUE

from .conftest import STAFF, EventFactory, login, seed_times

pytestmark = pytest.mark.browser


def test_wrong_password_is_refused_without_saying_which(page) -> None:  # noqa: ANN001
    login(page, "ada", "not-my-password")
    expect(page.locator("#login-error")).to_have_text("wrong username or password")
    assert "/login" in page.url
    login(page, "nobody-here", "not-my-password")
    expect(page.locator("#login-error")).to_have_text("wrong username or password")


def test_dashboard_shows_real_figures_and_moves_without_reload(page, live) -> None:  # noqa: ANN001
    login(page, "ada")
    assert page.url == live.url("/")
    expect(page.locator('[data-testid="user"]')).to_have_text("ada")
    # the seeded Swedish players wait for Spelpaus, which nobody configured: a warning says so
    warning = page.locator("#register-warning")
    expect(warning).to_contain_text("Marketing is held in 8 markets")
    expect(warning.locator('[data-market="SE"]')).to_contain_text("SPELPAUS")
    expect(warning.locator('[data-market="SE"] [data-held]')).to_have_text("2 players held")
    expect(warning.locator('[data-market="GB"] [data-held]')).to_have_text("0 players held")
    sek = page.locator('#today-body tr[data-currency="SEK"]')
    expect(sek.locator('[data-col="deposits"]')).to_have_text("250.00 SEK")
    expect(sek.locator('[data-col="stakes"]')).to_have_text("60.00 SEK")
    expect(sek.locator('[data-col="ggr"]')).to_have_text("10.00 SEK")
    expect(page.locator('#today-body tr[data-currency="EUR"] [data-col="deposits"]')).to_have_text("20.00 EUR")
    # the charts are drawn from the JSON: a line over 60 minutes, 14 days of bars per currency
    expect(page.locator("#chart-events svg path.series-line")).to_have_count(1)
    expect(page.locator('#chart-daily [data-currency="SEK"] svg rect.bar-deposits')).to_have_count(14)
    events_before = int(page.locator('[data-field="events_total"]').inner_text().replace(",", ""))

    page.evaluate("window.__stillTheSamePage = true")
    now, t0 = seed_times()
    gb = EventFactory(now=now, player_id="live-gb-1", brand="aurora")
    live.ingest([gb("payment.deposit", t0 + timedelta(seconds=80), transaction_id="live-1", amount="75.00",
                    currency="GBP", method="card", status="approved"),
                 gb("casino.bet", t0 + timedelta(seconds=81), bet_id="live-b1", game_id="g", game_category="slots",
                    provider="p", amount="5.00", currency="GBP")])
    expect(page.locator('#today-body tr[data-currency="GBP"] [data-col="deposits"]')).to_have_text(
        "75.00 GBP", timeout=8_000)
    expect(page.locator('[data-field="events_total"]')).to_have_text(f"{events_before + 2:,}")
    expect(page.locator('#chart-daily [data-currency="GBP"] svg')).to_have_count(1)
    assert page.evaluate("window.__stillTheSamePage") is True


def test_search_by_email_prefix_and_by_id(open_page) -> None:  # noqa: ANN001
    page = open_page("carl")
    page.goto("/players")
    page.get_by_label("Search by player id, email or last name (prefix)").fill("anna.b")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("#players tbody tr[data-player]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-player", "se-anna-1")
    expect(rows.first.locator(".email")).to_have_text("anna.berg@example.se")

    page.get_by_label("Search by player id, email or last name (prefix)").fill("busy-3")
    page.keyboard.press("Enter")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link", name="busy-3").click()
    expect(page.locator("#player-id")).to_have_text("busy-3")

    page.goto("/players?q=lind")  # last-name prefix, case-insensitive
    expect(page.locator("#players tbody tr[data-player]")).to_have_count(1)
    page.goto("/players")  # empty query: most recently active first
    assert page.locator("#players tbody tr[data-player]").count() >= 3


def test_player_360_shows_hand_computed_features_and_timeline(open_page) -> None:  # noqa: ANN001
    page = open_page("ada")
    page.goto("/players/se-anna-1")
    expect(page.locator("#registered-badge")).to_have_text("registered")
    expect(page.locator("#unregistered-notice")).to_have_count(0)
    feature = lambda name: page.locator(f'td[data-feature="{name}"]')  # noqa: E731
    # deposits 100 (3 days ago) + 250 (today) approved, 40 declined; bets 20 + 30 slots, 10 live;
    # one win of 50; one withdrawal of 60; one session.
    expected = {
        "deposit_count_7d": "2", "deposit_sum_7d": "350.00 SEK", "deposit_sum_1d": "250.00 SEK",
        "deposit_declined_count_7d": "1", "withdrawal_sum_7d": "60.00 SEK", "net_deposit_7d": "290.00 SEK",
        "bet_count_7d": "3", "stake_sum_7d": "60.00 SEK", "win_sum_7d": "50.00 SEK", "ggr_7d": "10.00 SEK",
        "ggr_lifetime": "10.00 SEK", "bet_count_slots_7d": "2", "stake_live_casino_7d": "10.00 SEK",
        "ggr_slots_7d": "0.00 SEK", "favourite_category_7d": "slots", "session_count_7d": "1",
        "login_count_7d": "1", "rtp_7d": "0.8333", "currency": "SEK", "days_since_last_deposit": "0 d",
    }
    for name, value in expected.items():
        expect(feature(name)).to_have_text(value)
    expect(feature("deposit_sum_7d")).to_have_attribute("title", "sum of approved deposits")
    expect(page.locator("td[data-feature]")).to_have_count(len(CATALOGUE))
    expect(page.locator('[data-key-feature="ggr_30d"]')).to_have_text("10.00 SEK")
    expect(page.locator('[data-balance="balance"]')).to_have_text("170.00 SEK")
    expect(page.locator('[data-consent="sms"]')).to_have_text("withheld")
    expect(page.locator('[data-consent="email"]')).to_have_text("granted")
    expect(page.locator('[data-profile="email"]')).to_have_text("anna.berg@example.se")

    page.get_by_role("tab", name="Activity").click()   # the timeline and the features
    rows = page.locator("#timeline-body tr")
    expect(rows).to_have_count(13)   # the 12 events, and the registration's register check (newest in the log)
    expect(rows.first).to_have_attribute("data-type", "croupier.register_screened")
    withdrawal = rows.nth(1)
    expect(withdrawal).to_have_attribute("data-type", "payment.withdrawal")
    expect(rows.last).to_have_attribute("data-type", "player.registered")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", withdrawal.locator("td").nth(2).inner_text())
    raw = withdrawal.locator("details.raw")
    expect(raw.locator("pre")).not_to_be_visible()
    raw.locator("summary").click()
    expect(raw.locator("pre")).to_be_visible()
    expect(raw.locator("pre")).to_contain_text('"transaction_id": "tx-4"')
    # the feature filter narrows the list
    page.locator("#feature-filter").fill("ggr_slots")
    expect(page.locator("tr[data-name]:visible")).to_have_count(5)
    page.get_by_role("tab", name="Messages").click()
    expect(page.locator("#decisions")).to_be_visible()


def test_unregistered_player_is_shown_as_such(open_page) -> None:  # noqa: ANN001
    page = open_page("ada")
    page.goto("/players/ghost-7")
    expect(page.locator("#unregistered-notice")).to_be_visible()
    expect(page.locator("#unregistered-notice")).to_contain_text("arrived before any player.registered")
    expect(page.locator("#registered-badge")).to_have_text("unregistered")
    expect(page.locator('td[data-feature="deposit_sum_7d"]')).to_have_text("20.00 EUR")
    expect(page.locator("#timeline-body tr")).to_have_count(2)


def test_load_older_events_in_place(open_page) -> None:  # noqa: ANN001
    page = open_page("ada")
    page.goto("/players/busy-3#timeline")
    rows = page.locator("#timeline-body tr")
    expect(rows).to_have_count(50)
    page.evaluate("window.__stillTheSamePage = true")
    page.locator("#load-older").click()
    expect(rows).to_have_count(62)  # 60 logins + the registration + its register check
    expect(rows.last).to_have_attribute("data-type", "player.registered")
    expect(page.locator("#load-older")).to_be_hidden()
    assert page.evaluate("window.__stillTheSamePage") is True


def test_support_agent_sees_only_players_and_is_refused_elsewhere(open_page) -> None:  # noqa: ANN001
    page = open_page("sam")
    page.goto("/players")
    expect(page.locator("nav.sidebar a")).to_have_text(["Players"])
    for path, permission in (("/audit", "audit.view"), ("/users", "users.manage"), ("/", "dashboard.view")):
        response = page.goto(path)
        assert response.status == 403, path
        expect(page.locator("#missing-permission")).to_have_text(permission)
    page.goto("/players/se-anna-1")
    expect(page.locator("#timeline-body tr")).to_have_count(13)
    expect(page.locator("#decisions")).to_have_count(0)


def test_auditor_sees_masked_contact_details(open_page) -> None:  # noqa: ANN001
    page = open_page("aud")
    page.goto("/players?q=anna")
    expect(page.locator('tr[data-player="se-anna-1"] .email')).to_have_text("a***@example.se")
    page.goto("/players/se-anna-1")
    expect(page.locator("#pii-masked")).to_be_visible()
    expect(page.locator('[data-profile="email"]')).to_have_text("a***@example.se")
    expect(page.locator('[data-profile="phone"]')).to_have_text("***67")
    assert "anna.berg@example.se" not in page.content()
    expect(page.locator("nav.sidebar a")).to_have_text(["Dashboard", "Players", "RG queue", "Audit log", "Configuration"])


def test_post_without_csrf_token_is_refused(open_page, live) -> None:  # noqa: ANN001
    page = open_page("ada")
    page.goto("/users")
    # The browser's own cookies, a request without the form's token.
    response = page.context.request.post(live.url("/users"), form={
        "username": "mallory", "role": "admin", "password": "mallory-password-1"})
    assert response.status == 403
    assert "security token" in response.text()
    response = page.context.request.post(live.url("/users"), form={
        "username": "mallory", "role": "admin", "password": "mallory-password-1", "csrf_token": "forged"})
    assert response.status == 403
    page.reload()
    expect(page.locator('#users tr[data-username="mallory"]')).to_have_count(0)


def test_logout_ends_the_session(page, live) -> None:  # noqa: ANN001
    login(page, "carl")
    expect(page.locator('[data-testid="role"]')).to_have_text("crm_manager")
    page.locator("#logout").click()
    page.wait_for_url(re.compile(r"/login$"))
    page.goto("/players?q=anna")
    assert page.url == live.url("/login?next=%2Fplayers%3Fq%3Danna")
    # signing in again returns to where the user was going
    page.get_by_label("Username").fill("carl")
    page.get_by_label("Password").fill(STAFF["carl"][1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.url("/players?q=anna"))


def test_create_user_then_the_audit_log_shows_it(open_page) -> None:  # noqa: ANN001
    page = open_page("ada")
    username = f"zoe-{uuid.uuid4().hex[:6]}"
    page.goto("/users")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Role", exact=True).select_option("aml_analyst")
    page.get_by_label("Password").fill("zoe-password-123")
    page.get_by_role("button", name="Create user").click()
    expect(page.locator("#flash")).to_have_text(f"User {username} created.")
    expect(page.locator(f'#users tr[data-username="{username}"]')).to_contain_text("aml_analyst")

    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Kind").select_option("staff.user_created")
    page.get_by_role("button", name="Filter").click()
    row = page.locator("#audit-table tbody tr", has_text=username)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("ada")
    expect(row.locator("code").first).to_have_text("staff.user_created")
    expect(page.locator("#chain-status")).to_have_attribute("data-state", "ok")
    expect(page.locator("#chain-text")).to_contain_text("records checked")


def test_api_key_is_shown_once_and_can_be_revoked(open_page) -> None:  # noqa: ANN001
    page = open_page("ada")
    page.goto("/keys")
    page.get_by_label("Name").fill("pam-feed")
    page.get_by_label("read").check()
    page.get_by_label("Require HMAC signature").check()
    page.get_by_role("button", name="Create key").click()
    token = page.locator("#new-token").inner_text()
    assert token.startswith("crp_")
    expect(page.locator("#new-signing-secret")).not_to_be_empty()
    key_id = token.split("_")[1]
    page.goto("/keys")
    assert token not in page.content()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Revoke key {key_id}").click()
    expect(page.locator("#flash")).to_contain_text(f"Key {key_id} revoked")
    expect(page.locator(f'tr[data-key="{key_id}"]')).to_contain_text("revoked")


def test_no_page_loads_anything_from_outside_localhost(open_page, requests_seen) -> None:  # noqa: ANN001
    page = open_page("ada")
    for path in ("/players", "/players/se-anna-1", "/players/ghost-7", "/users", "/keys",
                 "/players/does-not-exist", "/audit"):
        page.goto(path)
    expect(page.locator("#chain-status")).to_have_attribute("data-state", "ok")
    page.goto("/")
    for _ in range(2):  # the first poll and the one 2 s later
        with page.expect_response(lambda r: "/bo/api/dashboard" in r.url and r.status == 200):
            pass
    urls = requests_seen.urls
    assert any(u.endswith("/static/croupier.css") for u in urls)
    assert any(u.endswith("/static/charts.js") for u in urls)
    assert any("/bo/api/dashboard" in u for u in urls)
    assert any("/bo/api/audit/verify" in u for u in urls)
    assert requests_seen.foreign() == []
