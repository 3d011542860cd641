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

from .conftest import STAFF, EventFactory, login, seed_events, seed_times

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
    expect(sek.locator('[data-col="deposits"]')).to_have_text("SEK 250.00")
    expect(sek.locator('[data-col="stakes"]')).to_have_text("SEK 60.00")
    expect(sek.locator('[data-col="ggr"]')).to_have_text("SEK 10.00")
    expect(page.locator('#today-body tr[data-currency="EUR"] [data-col="deposits"]')).to_have_text("€20.00")
    # the charts are drawn by Chart.js from the JSON: a line over 60 minutes, 14 days of bars
    # per currency, each with a hidden data table for screen readers
    expect(page.locator("#chart-events")).to_have_attribute("data-chart-points", "60")
    [per_minute] = chart_data(page, "#chart-events")
    assert per_minute["label"] == "Events per minute" and len(per_minute["data"]) == 60
    events_in_chart = sum(per_minute["data"])
    assert events_in_chart >= len(seed_events())  # all seeded (received) in the last hour
    sek_chart = page.locator('#chart-daily [data-currency="SEK"] .chart')
    expect(sek_chart).to_have_attribute("data-chart-points", "14")
    deposits, ggr = chart_data(page, '#chart-daily [data-currency="SEK"] .chart')
    assert (deposits["label"], ggr["label"]) == ("Deposits", "GGR")
    assert len(deposits["data"]) == len(ggr["data"]) == 14
    assert (deposits["data"][-1], ggr["data"][-1]) == (250, 10)   # today's figures, as in the table
    assert sum(deposits["data"]) == 350                           # and 100.00 SEK three days ago
    expect(sek_chart.locator("table.chart-data tbody tr")).to_have_count(14)
    expect(sek_chart.locator("table.chart-data tbody tr").last.locator("td")).to_have_text(["250 SEK", "10 SEK"])
    expect(sek_chart.locator("canvas")).to_have_attribute("aria-label", re.compile(r"deposits 350\.00 SEK, GGR 10\.00 SEK"))
    events_before = int(page.locator('[data-field="events_total"]').inner_text().replace(",", ""))

    page.evaluate("window.__stillTheSamePage = true")
    now, t0 = seed_times()
    gb = EventFactory(now=now, player_id="live-gb-1", brand="aurora")
    live.ingest([gb("payment.deposit", t0 + timedelta(seconds=80), transaction_id="live-1", amount="75.00",
                    currency="GBP", method="card", status="approved"),
                 gb("casino.bet", t0 + timedelta(seconds=81), bet_id="live-b1", game_id="g", game_category="slots",
                    provider="p", amount="5.00", currency="GBP")])
    expect(page.locator('#today-body tr[data-currency="GBP"] [data-col="deposits"]')).to_have_text(
        "£75.00", timeout=8_000)
    expect(page.locator('[data-field="events_total"]')).to_have_text(f"{events_before + 2:,}")
    # the new currency's chart appears live, and the line counts the two new events
    gbp_chart = page.locator('#chart-daily [data-currency="GBP"] .chart')
    expect(gbp_chart).to_have_attribute("data-chart-points", "14")
    gbp_deposits, gbp_ggr = chart_data(page, '#chart-daily [data-currency="GBP"] .chart')
    assert (gbp_deposits["data"][-1], gbp_ggr["data"][-1]) == (75, 5)
    page.wait_for_function("([sel, n]) => { const c = document.querySelector(sel + ' canvas'); "
                           "return c && Chart.getChart(c).data.datasets[0].data.reduce((a, b) => a + b, 0) === n; }",
                           arg=["#chart-events", events_in_chart + 2])
    assert page.evaluate("window.__stillTheSamePage") is True


def chart_data(page, selector: str) -> list[dict]:  # noqa: ANN001
    """The datasets Chart.js draws in the chart container at `selector` (label and values)."""
    return page.eval_on_selector(selector + " canvas", "c => Chart.getChart(c).data.datasets"
                                 ".map(d => ({label: d.label, data: d.data}))")


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
        "deposit_count_7d": "2", "deposit_sum_7d": "SEK 350.00", "deposit_sum_1d": "SEK 250.00",
        "deposit_declined_count_7d": "1", "withdrawal_sum_7d": "SEK 60.00", "net_deposit_7d": "SEK 290.00",
        "bet_count_7d": "3", "stake_sum_7d": "SEK 60.00", "win_sum_7d": "SEK 50.00", "ggr_7d": "SEK 10.00",
        "ggr_lifetime": "SEK 10.00", "bet_count_slots_7d": "2", "stake_live_casino_7d": "SEK 10.00",
        "ggr_slots_7d": "SEK 0.00", "favourite_category_7d": "slots", "session_count_7d": "1",
        "login_count_7d": "1", "rtp_7d": "83.3%", "currency": "SEK", "days_since_last_deposit": "0 d",
    }
    for name, value in expected.items():
        expect(feature(name)).to_have_text(value)
    expect(feature("deposit_sum_7d")).to_have_attribute("title", "sum of approved deposits")
    expect(page.locator("td[data-feature]")).to_have_count(len(CATALOGUE))
    expect(page.locator('[data-key-feature="ggr_30d"]')).to_have_text("SEK 10.00")
    expect(page.locator('[data-balance="balance"]')).to_have_text("SEK 170.00")
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
    # one human format, on the reader's clock (the operator's default here: UTC), ISO in the markup
    occurred = withdrawal.locator("td").nth(2).locator("time")
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d:\d\d UTC", occurred.inner_text())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", occurred.get_attribute("datetime"))
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
    expect(page.locator('td[data-feature="deposit_sum_7d"]')).to_have_text("€20.00")
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
    expect(page.locator("nav.sidebar a")).to_have_text(["Players", "Tasks", "Help"])
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
    expect(page.locator("nav.sidebar a")).to_have_text(["Dashboard", "Players", "RG queue", "Tasks", "Reports", "RG models",
                                                        "Segments", "Journeys", "Campaigns", "Audit log", "Configuration", "Help"])


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


def test_dashboard_says_a_backfill_is_running_until_it_is_done(open_page, live) -> None:  # noqa: ANN001
    """The demo's feeder publishes its progress on runtime.backfill (cli/serve.py: backfill);
    the dashboard shows it from its JSON, live, and drops the notice when the backfill ends."""
    from datetime import datetime, timezone

    progress = live.app.state.runtime.backfill
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=4)
    page = open_page("carl")
    try:
        page.goto("/")
        notice = page.locator("#backfill-notice")
        expect(notice).to_be_hidden()
        page.evaluate("window.__stillTheSamePage = true")
        progress.start(start, start + timedelta(days=4))
        progress.advance(start + timedelta(days=1, hours=12), 123_456)
        expect(notice).to_be_visible(timeout=8_000)
        expect(notice).to_contain_text("day 2 of 4, 123,456 events so far (38%)")
        expect(page.locator("#backfill-progress")).to_have_js_property("value", 0.375)
        progress.advance(start + timedelta(days=3, hours=18), 480_000)
        expect(notice).to_contain_text("day 4 of 4, 480,000 events so far (94%)", timeout=8_000)
        page.reload()   # rendered by the server too, not only by the script
        expect(notice).to_contain_text("day 4 of 4, 480,000 events")
        page.evaluate("window.__stillTheSamePage = true")
    finally:
        progress.finish()
    expect(notice).to_be_hidden(timeout=8_000)
    assert page.evaluate("window.__stillTheSamePage") is True


def test_chart_wrapper_draws_intervals_updates_in_place_and_has_an_empty_state(open_page) -> None:  # noqa: ANN001
    """static/charts.js, the layer every page's charts go through: a time series with an
    interval (band), updated in place on new data, its hidden data table, and no data."""
    page = open_page("carl")
    page.goto("/")
    expect(page.locator("#chart-events")).to_have_attribute("data-chart-points", "60")
    drawn = page.evaluate("""() => {
        const box = document.createElement("div");
        box.className = "chart";
        box.id = "chart-test";
        document.getElementById("main").appendChild(box);
        const spec = (mid, low, high) => ({type: "line", format: "number", unit: "bets", axisLabel: "Day",
            labels: ["Mon", "Tue", "Wed"], summary: "Bets per day with a 90% interval", caption: "Bets",
            series: [{label: "Expected", kind: "band", lower: low, upper: high, tone: "info"},
                     {label: "Bets", values: mid, tone: "brand"}]});
        const first = CroupierCharts.render(box, spec([2, 4, 6], [1, 3, 5], [3, 5, 7]));
        const canvas = box.querySelector("canvas");
        const second = CroupierCharts.render(box, spec([20, 40, 60], [10, 30, 50], [30, 50, 70]));
        return {same: first === second && canvas === box.querySelector("canvas"),
                datasets: second.data.datasets.map(d => ({label: d.label, data: d.data, fill: d.fill}))};
    }""")
    assert drawn["same"] is True
    assert drawn["datasets"] == [
        {"label": "Expected (lower)", "data": [10, 30, 50], "fill": False},
        {"label": "Expected", "data": [30, 50, 70], "fill": "-1"},   # the band: filled down to the lower line
        {"label": "Bets", "data": [20, 40, 60], "fill": False},
    ]
    box = page.locator("#chart-test")
    expect(box.locator("canvas")).to_have_attribute("aria-label", "Bets per day with a 90% interval")
    expect(box.locator("table.chart-data thead th")).to_have_text(["Day", "Expected", "Bets"])
    expect(box.locator("table.chart-data tbody tr").first.locator("td")).to_have_text(["10 – 30 bets", "20 bets"])
    page.evaluate("""() => CroupierCharts.render(document.getElementById("chart-test"),
                                                  {type: "bar", labels: [], series: [], empty: "Nothing yet."})""")
    expect(box.locator("canvas")).to_have_count(0)
    expect(box).to_have_text("Nothing yet.")
    expect(box).to_have_attribute("data-chart-points", "0")
