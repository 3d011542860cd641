"""The dry-run panel of a segment's page: a window (since, until, in UTC) sent as the page's
own query (`dry_since`, `dry_until`), and the API's dry-run report for it
(`croupier.api.segment_routes.dry_run_now`, the same validation and the same numbers):
entries and exits by day, whom the gate would have held back at entry and why, and the
first entries. A plain GET form: the report is rendered on the server, no script needed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from fastapi import Request

from croupier.api import segment_routes as api
from croupier.segments.dry_run import MAX_DAYS
from croupier.store.segments import StoredSegment
from croupier.web.staff import Staff

SAMPLE = 20
FIELDS = {"since": "dry_since", "until": "dry_until"}
LABELS = {"since": "Since", "until": "Until"}


def _as_utc(value: str) -> str:
    """A `datetime-local` value (no offset) read as UTC; a value with an offset kept as sent."""
    value = value.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value                      # the API's own check says what is wrong with it
    return value if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc).isoformat()


def _default_since() -> str:
    start = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=7)
    return start.strftime("%Y-%m-%dT%H:%M")


def dry_run_panel(request: Request, segment: StoredSegment, staff: Staff) -> dict[str, Any]:
    """The panel's context: the form's values, and the report or the problems when a window
    was asked for."""
    query = request.query_params
    values = {"since": query.get(FIELDS["since"], ""), "until": query.get(FIELDS["until"], "")}
    panel: dict[str, Any] = {"window": values, "report": None, "problems": [], "max_days": MAX_DAYS,
                             "asked": FIELDS["since"] in query}
    if not panel["asked"]:
        values["since"] = _default_since()
        return panel
    body: dict[str, Any] = {"since": _as_utc(values["since"]), "sample": SAMPLE}
    if values["until"].strip():
        body["until"] = _as_utc(values["until"])
    try:
        panel["report"] = api.dry_run_now(request.app.state.runtime, body, staff.can("aml.view"), segment)
    except api.Refused as exc:
        panel["problems"] = [f"{LABELS.get(p.get('field') or '', p.get('field') or 'Window')} {p['message']}"
                             for p in exc.problems]
    return panel
