"""Reports in the back office. The RG effectiveness report (the same numbers as
GET /v1/reports/rg-effectiveness) as a page with figures, charts and a download: RG officers
and their leads judge which interventions and message variants work without an API key.

The charts are declared by data (static/charts.js): the page names its JSON, which carries
one chart spec per chart, built here so the page script holds no report logic."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import fields
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from croupier.analytics.rg_report import EffectivenessRow
from croupier.api.reports import effectiveness_report
from croupier.web.render import render
from croupier.web.staff import Staff, require

router = APIRouter(include_in_schema=False)
PAGE = "/reports/rg-effectiveness"
PERMISSION = "rg.view"
PERIODS = (1, 3, 7, 14, 30, 90)   # the follow-up choices offered; any 1..365 is accepted
DEFAULT_DAYS = 7
MAX_DAYS = 365
KIND_NAMES = {
    "soft": "Safer-play message",
    "firm": "Limit offer, promotions paused",
    "human": "Call from an RG officer",
    "hard_stop": "Deposits paused for review",
}
COLUMNS = [f.name for f in fields(EffectivenessRow)]
_NO_STORE = {"Cache-Control": "no-store"}


def follow_days_of(raw: str | None) -> tuple[int, str | None]:
    """The follow-up window asked for, or the default with the reason it was not taken."""
    if raw is None or raw.strip() == "":
        return DEFAULT_DAYS, None
    try:
        days = int(raw)
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_DAYS:
        return DEFAULT_DAYS, f"The follow-up must be a whole number of days from 1 to {MAX_DAYS}; showing {DEFAULT_DAYS}."
    return days, None


def row_label(row: dict[str, Any]) -> str:
    name = KIND_NAMES.get(row["kind"], row["kind"])
    return f"{name} · variant {row['variant']}" if row["variant"] else name


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def totals(report: dict[str, Any]) -> dict[str, Any]:
    """The headline figures over every kind and variant."""
    rows = report["rows"]
    total = {name: sum(r[name] or 0 for r in rows) for name in (
        "interventions", "followed_up", "de_escalated", "acted", "messages_allowed", "messages_suppressed")}
    total["de_escalated_share"] = _share(total["de_escalated"], total["followed_up"])
    total["acted_share"] = _share(total["acted"], total["followed_up"])
    total["kinds"] = len({r["kind"] for r in rows})
    return total


def charts(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One chart spec (static/charts.js) per chart on the page."""
    rows, days = report["rows"], report["follow_days"]
    labels = [row_label(r) for r in rows]
    column = lambda name: [r[name] for r in rows]  # noqa: E731
    empty = "No interventions yet: nothing to compare."
    n = len(rows)
    return {
        "interventions": {
            "type": "bar", "horizontal": True, "format": "number", "labels": labels, "empty": empty,
            "axisLabel": "Intervention", "caption": "Interventions, and how many are old enough to judge",
            "summary": f"Bar chart of interventions for {n} kinds and variants: "
                       f"{sum(column('interventions'))} in all, {sum(column('followed_up'))} judged after {days} days.",
            "series": [{"label": "Interventions", "values": column("interventions"), "tone": "brand"},
                       {"label": f"Judged after {days} days", "values": column("followed_up"), "tone": "muted"}]},
        "outcomes": {
            "type": "bar", "horizontal": True, "format": "percent", "labels": labels, "empty": empty,
            "axisLabel": "Intervention", "caption": f"Outcomes {days} days after the intervention",
            "summary": f"Bar chart of outcomes {days} days after each kind and variant of intervention: the "
                       "share whose risk level went down and the share who took a protective step themselves.",
            "series": [{"label": "Risk level lower", "values": column("de_escalated_share"), "tone": "deposits"},
                       {"label": "Took a protective step", "values": column("acted_share"), "tone": "info"}]},
        "timing": {
            "type": "bar", "horizontal": True, "format": "hours", "labels": labels, "empty": empty,
            "axisLabel": "Intervention", "caption": "Median hours from alert to intervention and to the player's step",
            "summary": "Bar chart of median hours from the first alert to the intervention, and from the "
                       "intervention to the player's own protective step, per kind and variant.",
            "series": [{"label": "Alert to intervention (median h)",
                        "values": column("median_hours_alert_to_intervention"), "tone": "warn"},
                       {"label": "Intervention to player's step (median h)",
                        "values": column("median_hours_to_player_action"), "tone": "info"}]},
        "messages": {
            "type": "bar", "horizontal": True, "stacked": True, "format": "number", "labels": labels,
            "empty": empty, "axisLabel": "Intervention", "caption": "Safer-play messages the gate let through or held",
            "summary": f"Stacked bar chart of safer-play messages: {sum(r['messages_allowed'] or 0 for r in rows)} "
                       f"sent, {sum(r['messages_suppressed'] or 0 for r in rows)} held by the gate.",
            "series": [{"label": "Sent", "values": [r["messages_allowed"] or 0 for r in rows], "tone": "deposits"},
                       {"label": "Held by the gate", "values": [r["messages_suppressed"] or 0 for r in rows],
                        "tone": "warn"}]},
    }


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def hours(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f} h"


@router.get(PAGE)
def rg_effectiveness_page(request: Request, follow_days: str | None = None,
                          staff: Staff = Depends(require(PERMISSION))) -> Response:
    days, problem = follow_days_of(follow_days)
    report = effectiveness_report(request.app.state.runtime, days)
    periods = sorted(set(PERIODS) | {days})
    return render(request, "report_rg.html", staff, page=PAGE, title="RG effectiveness report",
                  report=report, totals=totals(report), rows=report["rows"], days=days, periods=periods,
                  problem=problem, row_label=row_label, percent=percent, hours=hours, kind_names=KIND_NAMES)


@router.get("/bo/api/reports/rg-effectiveness")
def rg_effectiveness_json(request: Request, follow_days: str | None = None,
                          _staff: Staff = Depends(require(PERMISSION))) -> Response:
    """The report with its totals and the page's chart specs."""
    days, _ = follow_days_of(follow_days)
    report = effectiveness_report(request.app.state.runtime, days)
    return JSONResponse(dict(report, totals=totals(report), charts=charts(report)), headers=_NO_STORE)


@router.get(PAGE + ".{fmt}")
def rg_effectiveness_download(request: Request, fmt: str, follow_days: str | None = None,
                              staff: Staff = Depends(require(PERMISSION))) -> Response:
    """The report as a file: JSON exactly as the API answers it, or CSV with one row per kind
    and variant (the API's field names as columns; empty where a share cannot be judged yet)."""
    if fmt not in ("csv", "json"):
        return render(request, "error.html", staff, status=404, title="Not found", heading="No such download",
                      message=f"the report downloads as .csv or .json, not .{fmt}")
    days, _ = follow_days_of(follow_days)
    report = effectiveness_report(request.app.state.runtime, days)
    name = f"rg-effectiveness-{days}d.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', **_NO_STORE}
    if fmt == "json":
        return Response(json.dumps(report, indent=2), media_type="application/json", headers=headers)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["follow_days", *COLUMNS], lineterminator="\r\n")
    writer.writeheader()
    for row in report["rows"]:
        writer.writerow({"follow_days": days, **{k: "" if row[k] is None else row[k] for k in COLUMNS}})
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
