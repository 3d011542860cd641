"""Journeys in the back office: the list (status, group, priority, live version, and a
ready-made journey to start from), and a journey's editor: its definition as JSON checked as
you type (every problem at its line and column, `POST /bo/api/journeys/check`), the flow
diagram of what could be read, its versions, and Publish / Pause / Archive.

Reading needs `config.view` (journeys are configuration); saving needs `journeys.edit`,
publishing, pausing and archiving `journeys.publish`. Every change is the API's own operation
(`croupier.api.journey_routes`, then `croupier.journeys.publishing`), audited the same way.
A journey's page also shows what it did: each step's counts on its diagram badge and in a
table (waiting now, passed, converted, suppressed with the reasons in words), the same
numbers as `GET /v1/journeys/{id}/counts`; and it dry runs a version over a past window of
the log (`web.journey_dry_run`: what it would have done had it been live then, nothing sent
or written)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response

from croupier.api import journey_routes as api
from croupier.api.journey_count_routes import counts_now
from croupier.api.answers import exact_json
from croupier.api.auth import Actor
from croupier.journeys import TEMPLATE_KEYS, from_json, template, templates
from croupier.journeys import publishing
from croupier.journeys.counts import badge
from croupier.store import journeys as journey_store
from croupier.store.journeys import StoredJourney
from croupier.web.journey_dry_run import dry_run_panel
from croupier.web.journey_editor import check, pretty
from croupier.web.render import render
from croupier.web.security import tokens_match
from croupier.web.staff import Staff, check_csrf, require

router = APIRouter(include_in_schema=False)
PAGE = "/journeys"
READ = "config.view"
EDIT = "journeys.edit"
PUBLISH = "journeys.publish"
STATUS_WORDS = {"draft": "draft: never published", "live": "live", "paused": "paused", "archived": "archived"}
_NO_STORE = {"Cache-Control": "no-store"}
MAX_TEXT = 500_000


def _who(staff: Staff) -> Actor:
    return Actor(staff.username, staff.role, "session")


@router.get(PAGE)
def journeys_page(request: Request, archived: bool = False, staff: Staff = Depends(require(READ))) -> Response:
    with request.app.state.runtime.db.reader.connect() as conn:
        found = journey_store.listing(conn, archived=archived)
    return render(request, "journeys.html", staff, page=PAGE, title="Journeys", journeys=found, archived=archived,
                  can_edit=staff.can(EDIT), templates=templates())


def _editor(request: Request, staff: Staff, *, journey: StoredJourney | None, text: str, note: str = "",
            status: int = 200, error: str | None = None, problems_found: list[dict[str, Any]] | None = None,
            dry: dict[str, Any] | None = None) -> Response:
    history: list[journey_store.JourneyVersion] = []
    peers: list[StoredJourney] = []
    counts: dict[str, Any] | None = None
    if journey is not None:
        with request.app.state.runtime.db.reader.connect() as conn:
            history = journey_store.versions(conn, journey.journey_id)
            peers = publishing.live_in_group(conn, journey)
        if journey.live_version is not None:    # a journey never published has done nothing to count
            counts = counts_now(request.app.state.runtime, journey.journey_id)
    badges = {s["step"]: badge(s) for s in counts["steps"]} if counts else None
    checked = check(text, badges)
    editable = staff.can(EDIT) and (journey is None or journey.status != "archived")
    title = "New journey" if journey is None else f"Journey {journey.name}"
    return render(request, "journey.html", staff, status=status, page=PAGE, title=title, journey=journey,
                  text=text, note=note, versions=list(reversed(history)), editable=editable,
                  can_publish=staff.can(PUBLISH) and journey is not None and journey.status != "archived",
                  error=error, problems=problems_found if problems_found is not None else checked["problems"],
                  diagram=checked["svg"], peers=peers, statuses=STATUS_WORDS, dry=dry, counts=counts,
                  badges=json.dumps(badges) if badges else None)


@router.get(PAGE + "/new")
def new_journey_page(request: Request, template_key: str | None = None,
                     staff: Staff = Depends(require(EDIT))) -> Response:
    """The editor, empty or holding a ready-made journey (`?template_key=welcome`) to adjust."""
    if template_key is not None and template_key not in TEMPLATE_KEYS:
        raise HTTPException(404, detail=f"no ready-made journey {template_key!r}")
    text = pretty(template(template_key)) if template_key else ""
    note = f"from the ready-made journey {template_key}" if template_key else ""
    return _editor(request, staff, journey=None, text=text, note=note)


def _said(detail: object) -> str:
    if isinstance(detail, dict):
        return str(detail.get("message") or detail.get("detail") or detail)
    return str(detail)


def _body(text: str, note: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text, parse_float=Decimal)
    except (ValueError, RecursionError):
        return None
    return {"definition": data, "note": note}


@router.post(PAGE + "/new")
async def create_form(request: Request, csrf_token: str = Form(""), definition: str = Form(""),
                      note: str = Form(""), staff: Staff = Depends(require(EDIT))) -> Response:
    check_csrf(staff, csrf_token)
    body = _body(definition, note)
    if body is None:
        return _editor(request, staff, journey=None, text=definition, note=note, status=422,
                       error="Not saved: the definition is not valid JSON (see where below).")
    try:
        made = await run_in_threadpool(api.create_now, request.app.state.runtime, _who(staff), body)
    except api.Refused:
        return _editor(request, staff, journey=None, text=definition, note=note, status=422,
                       error="Not saved: fix the problems below.")
    except HTTPException as exc:
        return _editor(request, staff, journey=None, text=definition, note=note, status=exc.status_code,
                       error=f"Not saved: {_said(exc.detail)}.")
    return RedirectResponse(f"{PAGE}/{made.journey_id}", status_code=303)


def _found(request: Request, journey_id: str) -> tuple[StoredJourney, str]:
    number = api._journey_id(journey_id)
    with request.app.state.runtime.db.reader.connect() as conn:
        found = journey_store.get(conn, number)
        if found is None:
            raise HTTPException(404, detail=f"no journey {journey_id}")
        latest = journey_store.version(conn, number, found.latest_version)
    assert latest is not None
    return found, pretty(from_json(latest.definition))


@router.get(PAGE + "/{journey_id}")
def journey_page(request: Request, journey_id: str, staff: Staff = Depends(require(READ))) -> Response:
    journey, text = _found(request, journey_id)
    return _editor(request, staff, journey=journey, text=text, dry=dry_run_panel(request, journey, staff))


@router.post(PAGE + "/{journey_id}")
async def edit_form(request: Request, journey_id: str, csrf_token: str = Form(""), definition: str = Form(""),
                    note: str = Form(""), staff: Staff = Depends(require(EDIT))) -> Response:
    check_csrf(staff, csrf_token)
    journey, _ = _found(request, journey_id)
    body = _body(definition, note)
    if body is None:
        return _editor(request, staff, journey=journey, text=definition, note=note, status=422,
                       error="Not saved: the definition is not valid JSON (see where below).")
    try:
        await run_in_threadpool(api.revise_now, request.app.state.runtime, _who(staff), journey.journey_id, body)
    except api.Refused:
        return _editor(request, staff, journey=journey, text=definition, note=note, status=422,
                       error="Not saved: fix the problems below.")
    except HTTPException as exc:
        return _editor(request, staff, journey=journey, text=definition, note=note, status=exc.status_code,
                       error=f"Not saved: {_said(exc.detail)}.")
    return RedirectResponse(f"{PAGE}/{journey.journey_id}", status_code=303)


@router.post(PAGE + "/{journey_id}/publish")
async def publish_form(request: Request, journey_id: str, csrf_token: str = Form(""), version: int = Form(...),
                       staff: Staff = Depends(require(PUBLISH))) -> Response:
    check_csrf(staff, csrf_token)
    journey, text = _found(request, journey_id)
    try:
        await run_in_threadpool(api.publish_now, request.app.state.runtime, _who(staff), journey.journey_id, version)
    except api.Refused as exc:
        return _editor(request, staff, journey=journey, text=text, status=422,
                       error=f"Version {version} was not published: fix the problems below and save a new version.",
                       problems_found=None if version == journey.latest_version else _unplaced(exc.problems))
    except HTTPException as exc:
        found = exc.detail.get("problems", []) if isinstance(exc.detail, dict) else []
        return _editor(request, staff, journey=journey, text=text, status=exc.status_code,
                       error=f"Version {version} was not published: {_said(exc.detail)}",
                       problems_found=_unplaced(found) if found else None)
    return RedirectResponse(f"{PAGE}/{journey.journey_id}", status_code=303)


def _unplaced(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Problems of a version other than the one in the editor: their paths, no place in its text."""
    return [{"path": p.get("path") or p.get("field"), "message": p["message"], "line": None, "column": None}
            for p in found]


@router.post(PAGE + "/{journey_id}/pause")
async def pause_form(request: Request, journey_id: str, csrf_token: str = Form(""),
                     staff: Staff = Depends(require(PUBLISH))) -> Response:
    check_csrf(staff, csrf_token)
    journey, text = _found(request, journey_id)
    try:
        await run_in_threadpool(api.pause_now, request.app.state.runtime, _who(staff), journey.journey_id)
    except HTTPException as exc:
        return _editor(request, staff, journey=journey, text=text, status=exc.status_code,
                       error=f"Not paused: {_said(exc.detail)}")
    return RedirectResponse(f"{PAGE}/{journey.journey_id}", status_code=303)


@router.post(PAGE + "/{journey_id}/archive")
async def archive_form(request: Request, journey_id: str, csrf_token: str = Form(""),
                       staff: Staff = Depends(require(PUBLISH))) -> Response:
    check_csrf(staff, csrf_token)
    journey, _ = _found(request, journey_id)
    await run_in_threadpool(api.archive_now, request.app.state.runtime, _who(staff), journey.journey_id)
    return RedirectResponse(f"{PAGE}/{journey.journey_id}", status_code=303)


@router.post("/bo/api/journeys/check")
async def check_json(request: Request, staff: Staff = Depends(require(READ))) -> Response:
    """The editor's check as you type: `{"text": the definition as typed}` with the session's
    CSRF token in X-CSRF-Token; `{"problems": [{path, message, line, column, value, ...}],
    "svg": the diagram, or null when the text cannot be read as a journey}`."""
    if not tokens_match(staff.csrf_token, request.headers.get("x-csrf-token")):
        return JSONResponse({"detail": "send the session's CSRF token in the X-CSRF-Token header"},
                            status_code=403, headers=_NO_STORE)
    try:
        body = json.loads(await request.body())
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict) or set(body) != {"text"} or not isinstance(body["text"], str):
        return JSONResponse({"detail": "send a JSON object with `text`: the definition as typed"}, status_code=400,
                            headers=_NO_STORE)
    if len(body["text"]) > MAX_TEXT:
        return JSONResponse({"detail": f"a definition may have at most {MAX_TEXT:,} characters"}, status_code=413,
                            headers=_NO_STORE)
    result = await run_in_threadpool(check, body["text"])
    return exact_json(result, headers=_NO_STORE)
