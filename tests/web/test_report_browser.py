"""The RG effectiveness report page in Chromium: an empty state before any intervention, then
the scripted RG scenario (two players given a soft intervention 25 days ago: one sets a limit
and calms down, the other keeps chasing) with figures, charts and downloads equal to what
GET /v1/reports/rg-effectiveness answers, a period selection and the permission model."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from rg import at, scripted_config
from rg.test_report import scenario

pytestmark = pytest.mark.browser
PAGE = "/reports/rg-effectiveness"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """This module's back office runs Sweden at the scripted score levels the scenario steps
    through (tests/rg)."""
    from web.conftest import Live, make_app, serving

    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('report') / 'croupier.db'}", scripted_config())
    with serving(app) as base_url:
        yield Live(base_url, app)


def scenario_events() -> list[dict]:
    """tests/rg's scenario moved so that its day 0 was 25 days ago (every intervention is
    older than 7 days, none older than 30)."""
    calm, chaser = scenario()
    shift = datetime.now(timezone.utc) - timedelta(days=25) - at(0)
    events = [dict(e, occurred_at=(datetime.fromisoformat(e["occurred_at"]) + shift).isoformat())
              for e in calm.raw + chaser.raw]
    return sorted(events, key=lambda e: e["occurred_at"])


def api_report(page, live, follow_days: int) -> dict:  # noqa: ANN001
    from croupier.store.accounts import create_key

    token = live.extra.get("read_token")
    if token is None:
        with live.app.state.runtime.db.engine.begin() as conn:
            token, _ = create_key(conn, "report-test", ["read"])
        live.extra["read_token"] = token
    response = page.request.get(live.url(f"/v1/reports/rg-effectiveness?follow_days={follow_days}"),
                                headers={"Authorization": f"Bearer {token}"})
    assert response.ok, response.text()
    return response.json()


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.1%}"


def chart(page, selector: str) -> list[dict]:  # noqa: ANN001
    return page.eval_on_selector(selector + " canvas", "c => Chart.getChart(c).data.datasets"
                                 ".map(d => ({label: d.label, data: d.data}))")


def test_rg_report_empty_then_figures_and_charts_equal_the_api(open_page, live) -> None:  # noqa: ANN001
    page = open_page("rita")
    page.goto("/")
    page.get_by_role("link", name="Reports").click()
    assert page.url == live.url(PAGE)
    expect(page.locator("nav.sidebar a.active")).to_have_text("Reports")
    assert api_report(page, live, 7)["rows"] == []
    expect(page.locator("#report-empty")).to_contain_text("No interventions yet")
    expect(page.locator("#report-table")).to_have_count(0)

    live.ingest(scenario_events())
    page.reload()
    report = api_report(page, live, 7)
    rows = report["rows"]
    soft = [r for r in rows if r["kind"] == "soft"]
    assert sum(r["interventions"] for r in soft) == 3 and sum(r["acted"] for r in soft) == 1
    expect(page.locator("#report-empty")).to_have_count(0)

    # the table: one row per kind and variant, each figure as the API gives it
    table_rows = page.locator("#report-table tbody tr")
    expect(table_rows).to_have_count(len(rows))
    for r in rows:
        row = page.locator(f'#report-table tr[data-kind="{r["kind"]}"][data-variant="{r["variant"]}"]')
        for name in ("interventions", "players", "followed_up", "messages_allowed", "messages_suppressed"):
            expect(row.locator(f'[data-col="{name}"]')).to_have_text(f"{r[name]:,}")
        expect(row.locator('[data-col="de_escalated_share"]')).to_have_text(
            f"{percent(r['de_escalated_share'])} ({r['de_escalated']})")
        expect(row.locator('[data-col="acted_share"]')).to_have_text(f"{percent(r['acted_share'])} ({r['acted']})")
        median = r["median_hours_alert_to_intervention"]
        expect(row.locator('[data-col="median_hours_alert_to_intervention"]')).to_have_text(f"{median:,.2f} h")

    # the headline figures are the rows' totals
    total = lambda name: sum(r[name] or 0 for r in rows)  # noqa: E731
    figure = lambda name: page.locator(f'#report-figures [data-figure="{name}"]')  # noqa: E731
    expect(figure("interventions")).to_have_text(f"{total('interventions'):,}")
    expect(figure("followed_up")).to_have_text(f"{total('followed_up'):,}")
    expect(figure("de_escalated_share")).to_have_text(percent(round(total("de_escalated") / total("followed_up"), 3)))
    expect(figure("acted_share")).to_have_text(percent(round(total("acted") / total("followed_up"), 3)))
    expect(figure("messages_allowed")).to_have_text(f"{total('messages_allowed'):,}")

    # the charts draw the same numbers, with a hidden data table each
    for key in ("interventions", "outcomes", "timing", "messages"):
        expect(page.locator(f"#chart-{key}")).to_have_attribute("data-chart-points", str(len(rows)))
        expect(page.locator(f"#chart-{key} table.chart-data tbody tr")).to_have_count(len(rows))
    interventions, judged = chart(page, "#chart-interventions")
    assert interventions["data"] == [r["interventions"] for r in rows]
    assert judged["data"] == [r["followed_up"] for r in rows]
    lower, acted = chart(page, "#chart-outcomes")
    assert lower["data"] == [r["de_escalated_share"] for r in rows]
    assert acted["data"] == [r["acted_share"] for r in rows]
    to_intervention, _ = chart(page, "#chart-timing")
    assert to_intervention["data"] == [r["median_hours_alert_to_intervention"] for r in rows]
    expect(page.locator("#chart-outcomes canvas")).to_have_attribute("aria-label", re.compile("share whose risk level went down"))

    # downloads: JSON exactly as the API, CSV one line per row with the API's field names
    body = json.loads(page.request.get(page.locator("#download-json").get_attribute("href")).text())
    assert body["rows"] == rows and body["follow_days"] == 7
    text = page.request.get(page.locator("#download-csv").get_attribute("href")).text()
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert [(p["kind"], p["variant"], int(p["interventions"]), int(p["acted"])) for p in parsed] == [
        (r["kind"], r["variant"], r["interventions"], r["acted"]) for r in rows]

    # a longer follow-up: nothing is 30 days old yet, so nothing is judged
    page.get_by_label("Judge outcomes after").select_option("30")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**{PAGE}?follow_days=30")
    month = api_report(page, live, 30)
    assert sum(r["followed_up"] for r in month["rows"]) == 0
    expect(figure("followed_up")).to_have_text("0")
    expect(figure("de_escalated_share")).to_have_text("—")
    expect(page.locator("#download-csv")).to_have_attribute("href", f"{PAGE}.csv?follow_days=30")
    [lower30, _] = chart(page, "#chart-outcomes")
    assert lower30["data"] == [None] * len(rows)

    page.goto(PAGE + "?follow_days=abc")
    expect(page.locator("#report-problem")).to_contain_text("from 1 to 365")
    expect(page.get_by_label("Judge outcomes after")).to_have_value("7")


def test_rg_report_needs_rg_view(open_page, live) -> None:  # noqa: ANN001
    page = open_page("carl")   # a CRM manager: no RG permissions
    page.goto("/")
    expect(page.locator("nav.sidebar a", has_text="Reports")).to_have_count(0)
    response = page.goto(PAGE)
    assert response is not None and response.status == 403
    assert page.request.get(live.url("/bo/api/reports/rg-effectiveness")).status == 403
    assert page.request.get(live.url(PAGE + ".csv")).status == 403
    auditor = open_page("aud")
    assert auditor.goto(PAGE).status == 200
