"""The dry-run panel of a journey's editor page: a window (since, until, in UTC) and a version
sent as the page's own query (`dry_since`, `dry_until`, `dry_version`), and the API's dry-run
report for it (`croupier.api.journey_routes.dry_run_now`, the same validation and the same
numbers): entries by day, each step's players, the messages, bonuses and tasks the journey
would have made, what the compliance gate would have suppressed and why, goal conversions,
and the first entrants with what they would have received. A plain GET form: the report is
rendered on the server, no script needed."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request

from croupier.api import journey_routes as api
from croupier.journeys.dry_run import MAX_DAYS
from croupier.store.journeys import StoredJourney
from croupier.web.segment_dry_run import _as_utc, _default_since
from croupier.web.staff import Staff

SAMPLE = 10
FIELDS = {"since": "dry_since", "until": "dry_until", "version": "dry_version"}
LABELS = {"since": "Since", "until": "Until", "sample": "Sample", "version": "Version"}


def _version(value: str) -> Any:
    """The version asked for: a whole number, or the text as sent (the API names what is wrong)."""
    value = value.strip()
    return int(value) if value.isdigit() else value


def dry_run_panel(request: Request, journey: StoredJourney, staff: Staff) -> dict[str, Any]:
    """The panel's context: the form's values, and the report or the problems when a window
    was asked for."""
    query = request.query_params
    values = {"since": query.get(FIELDS["since"], ""), "until": query.get(FIELDS["until"], ""),
              "version": query.get(FIELDS["version"], str(journey.latest_version))}
    panel: dict[str, Any] = {"window": values, "report": None, "problems": [], "max_days": MAX_DAYS,
                             "asked": FIELDS["since"] in query}
    if not panel["asked"]:
        values["since"] = _default_since()
        return panel
    body: dict[str, Any] = {"since": _as_utc(values["since"]), "sample": SAMPLE}
    if values["until"].strip():
        body["until"] = _as_utc(values["until"])
    if values["version"].strip():
        body["version"] = _version(values["version"])
    try:
        panel["report"] = api.dry_run_now(request.app.state.runtime, body, staff.can("aml.view"), journey.journey_id)
    except api.Refused as exc:
        panel["problems"] = [f"{LABELS.get(p.get('field') or '', p.get('field') or 'Window')} {p['message']}"
                             for p in exc.problems]
    except HTTPException as exc:
        panel["problems"] = [str(exc.detail)]
    return panel
