"""Segments in the back office: the list, and a segment's page with its definition as a
click-through builder and as text (kept in step both ways), a live preview as either
changes (member count, a sample of players, the summary in words, the players a promotional
segment leaves out by reason, or every problem with its line and column), its versions, its
members as CSV, and a dry run over a past window (`web.segment_dry_run`).

Reading needs `decisions.view`: a segment shows which players the compliance gate would hold
back and why, which is what gate decisions show (every role with it also has `players.view`,
which the sample's links to player-360 pages need). Creating, editing and archiving need
`segments.edit`. Every change is the
API's own operation (`croupier.api.segment_routes`), audited the same way."""

from __future__ import annotations

import json
from decimal import Decimal
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from croupier.api import segment_routes as api
from croupier.api.auth import Actor
from croupier.segments import SegmentError, exact_tree, from_json, load_json, parse, summarise, to_text, vocabulary_view
from croupier.segments.batch import all_members
from croupier.store import segments as segment_store
from croupier.store.segments import StoredSegment
from croupier.web.render import render
from croupier.web.segment_dry_run import dry_run_panel
from croupier.web.security import tokens_match
from croupier.web.staff import Staff, check_csrf, require

router = APIRouter(include_in_schema=False)
PAGE = "/segments"
READ = "decisions.view"
EDIT = "segments.edit"
PREVIEW_SAMPLE = 20
PURPOSE_WORDS = {
    "promotional": "promotional: leaves out the players the compliance gate would hold back",
    "service": "service: operational messages, nobody left out",
    "safer_play": "safer play: safer-play messages, nobody left out",
}


def _who(staff: Staff) -> Actor:
    return Actor(staff.username, staff.role, "session")


def _summary(definition: str) -> str:
    return summarise(load_json(definition))


@router.get(PAGE)
def segments_page(request: Request, archived: bool = False, staff: Staff = Depends(require(READ))) -> Response:
    with request.app.state.runtime.db.reader.connect() as conn:
        found = segment_store.listing(conn, archived=archived)
    rows = [{"s": s, "summary": _summary(s.definition)} for s in found]
    return render(request, "segments.html", staff, page=PAGE, title="Segments", rows=rows, archived=archived,
                  can_edit=staff.can(EDIT))


def _form_page(request: Request, staff: Staff, *, segment: segment_store.StoredSegment | None,
               values: dict[str, str], status: int = 200, error: str | None = None,
               problems: list[dict[str, Any]] | None = None, **extra: Any) -> Response:
    history: list[segment_store.SegmentVersion] = []
    if segment is not None:
        with request.app.state.runtime.db.reader.connect() as conn:
            history = segment_store.versions(conn, segment.segment_id)
    editable = staff.can(EDIT) and (segment is None or not segment.archived)
    title = "New segment" if segment is None else f"Segment {segment.name}"
    return render(request, "segment.html", staff, status=status, page=PAGE, title=title, segment=segment,
                  values=values, versions=list(reversed(history)), editable=editable, error=error,
                  problems=problems or [], purposes=PURPOSE_WORDS,
                  summary=_summary(segment.definition) if segment is not None else None, **extra)


def _values(segment: StoredSegment | None) -> dict[str, str]:
    if segment is None:
        return {"name": "", "description": "", "purpose": "promotional", "text": ""}
    return {"name": segment.name, "description": segment.description, "purpose": segment.purpose,
            "text": segment.text}


def _found(request: Request, segment_id: str) -> segment_store.StoredSegment:
    with request.app.state.runtime.db.reader.connect() as conn:
        return api._found(conn, segment_id)


@router.get(PAGE + "/new")
def new_segment_page(request: Request, staff: Staff = Depends(require(EDIT))) -> Response:
    return _form_page(request, staff, segment=None, values=_values(None))


def _said(detail: object) -> str:
    if isinstance(detail, dict):
        return f"{detail.get('field') or ''} {detail.get('message', '')}".strip()
    return str(detail)


async def _save(request: Request, staff: Staff, segment: StoredSegment | None, values: dict[str, str],
                save: Callable[..., StoredSegment], *args: Any) -> Response:
    """Run a save (`api.create_now` or `api.revise_now`, the API's own code) and open the
    segment, or give the form back with what was typed and why it was refused."""
    try:
        stored = await run_in_threadpool(save, request.app.state.runtime, _who(staff), *args, dict(values))
    except api.Refused as exc:
        return _form_page(request, staff, segment=segment, values=values, status=422,
                          error="Not saved: fix the problems below.", problems=exc.problems)
    except HTTPException as exc:
        return _form_page(request, staff, segment=segment, values=values, status=exc.status_code,
                          error=f"Not saved: {_said(exc.detail)}.")
    return RedirectResponse(f"{PAGE}/{stored.segment_id}", status_code=303)


@router.post(PAGE + "/new")
async def create_form(request: Request, csrf_token: str = Form(""), name: str = Form(""),
                      description: str = Form(""), purpose: str = Form("promotional"), text: str = Form(""),
                      staff: Staff = Depends(require(EDIT))) -> Response:
    check_csrf(staff, csrf_token)
    values = {"name": name, "description": description, "purpose": purpose, "text": text}
    return await _save(request, staff, None, values, api.create_now)


@router.get(PAGE + "/{segment_id}")
def segment_page(request: Request, segment_id: str, staff: Staff = Depends(require(READ))) -> Response:
    segment = _found(request, segment_id)
    return _form_page(request, staff, segment=segment, values=_values(segment),
                      dry=dry_run_panel(request, segment, staff))


@router.post(PAGE + "/{segment_id}")
async def edit_form(request: Request, segment_id: str, csrf_token: str = Form(""), name: str = Form(""),
                    description: str = Form(""), purpose: str = Form("promotional"), text: str = Form(""),
                    staff: Staff = Depends(require(EDIT))) -> Response:
    check_csrf(staff, csrf_token)
    segment = _found(request, segment_id)
    values = {"name": name, "description": description, "purpose": purpose, "text": text}
    # the form as it was (the same canonical definition however spaced) makes no new version: revise_now
    return await _save(request, staff, segment, values, api.revise_now, segment_id)


@router.post(PAGE + "/{segment_id}/archive")
async def archive_form(request: Request, segment_id: str, csrf_token: str = Form(""),
                       staff: Staff = Depends(require(EDIT))) -> Response:
    check_csrf(staff, csrf_token)
    stored = await run_in_threadpool(api.archive_now, request.app.state.runtime, _who(staff), segment_id)
    return RedirectResponse(f"{PAGE}/{stored.segment_id}", status_code=303)


# -- JSON for the page's script ----------------------------------------------------------------
_NO_STORE = {"Cache-Control": "no-store"}


@router.get("/bo/api/segments/vocabulary")
def vocabulary_json(staff: Staff = Depends(require(READ))) -> Response:
    """What the builder offers: every identifier a segment can read (the feature catalogue and
    the protection identifiers, `croupier.segments.default_vocabulary`), in groups, with each
    one's kind, definition, allowed values and operators."""
    return JSONResponse(vocabulary_view(), headers={"Cache-Control": "private, max-age=300"})


@router.post("/bo/api/segments/preview")
async def preview_json(request: Request, staff: Staff = Depends(require(READ))) -> Response:
    """The live preview: `{"text", "purpose"}`, or `{"definition", "purpose"}` with the JSON
    form the builder made, and the session's CSRF token in X-CSRF-Token. The answer is the
    API's preview (`POST /v1/segments/preview`: count, sample, left out by reason, `text`,
    `summary`, `definition`) plus `tree`, the definition with exact numbers for the builder;
    or 422 with every problem. A definition is previewed as its canonical text, so its
    problems carry line and column and the answer's `text` (422 too) is what the page's
    text editor then shows."""
    if not tokens_match(staff.csrf_token, request.headers.get("x-csrf-token")):
        return JSONResponse({"detail": "send the session's CSRF token in the X-CSRF-Token header"},
                            status_code=403, headers=_NO_STORE)
    raw = await request.body()
    try:
        body = json.loads(raw, parse_float=Decimal) if raw.strip() else None
    except (ValueError, RecursionError):
        body = None
    if (not isinstance(body, dict) or set(body) - {"text", "definition", "purpose"}
            or ("text" in body and "definition" in body)):
        return JSONResponse({"detail": "send a JSON object with `text` or `definition`, and `purpose`"},
                            status_code=400, headers=_NO_STORE)
    text = body.get("text", "")
    if "definition" in body:
        try:
            text = to_text(from_json(body["definition"]))
        except SegmentError as exc:
            return _no_store(api._json({"problems": [api._segment_problem(p, "definition") for p in exc.problems]},
                                       422))
    body = {"text": text, "purpose": body.get("purpose", "promotional"), "sample": PREVIEW_SAMPLE}
    try:
        result = await run_in_threadpool(api.preview_now, request.app.state.runtime, body, staff.can("aml.view"))
    except api.Refused as exc:
        return _no_store(api._json({"problems": exc.problems, "text": text}, 422))
    result["tree"] = exact_tree(parse(result["text"]))   # the canonical text: the same tree
    return _no_store(api._json(result))


def _no_store(response: Response) -> Response:
    response.headers.update(_NO_STORE)
    return response


@router.get("/bo/api/segments/{segment_id}/members.csv")
def members_csv(request: Request, segment_id: str, staff: Staff = Depends(require(READ))) -> Response:
    """Every member now, as CSV (the API's `GET /v1/segments/{id}/members?format=csv`)."""
    runtime = request.app.state.runtime
    found = _found(request, segment_id)
    if found.archived:
        raise HTTPException(409, detail=f"segment {segment_id} is archived: it has no members")
    copy = api.batch_of(runtime).copy()
    ids = all_members(copy, load_json(found.definition), promotional=found.purpose == "promotional")
    filename = f"segment-{found.segment_id}-v{found.version}.csv"
    return StreamingResponse(api._csv(ids), media_type="text/csv",
                             headers={"Content-Disposition": f'attachment; filename="{filename}"', **_NO_STORE})

