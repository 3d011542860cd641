"""Journeys over the API: create (a JSON definition, or a ready-made journey by its key), list,
read (with every version and the problems of the latest), edit (a new version when the
definition changed), publish a version, pause, archive, the ready-made journeys, and a dry
run of a stored version or an unsaved definition over a past window of the log
(`croupier.journeys.dry_run`: nothing sent or written).

Reads and dry runs need the `read` scope. Creating and editing are staff actions with `journeys.edit`;
publishing, pausing and archiving with `journeys.publish` (a back-office session with its
CSRF token, or an `admin` key with `X-Croupier-Actor` naming the staff member), each
recorded in the audit log by `croupier.journeys.publishing`. A definition that is not a
journey's shape is refused with 422; one with other problems is saved as a draft and refused
when it is published: every problem comes back at once, each with its JSON path (`field`),
message, the value found there and, inside a condition written as text, its line and column."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import msgspec
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from croupier.analytics.journey_results import NotMeasurable, journey_results
from croupier.api.answers import iso as _iso, now_us as _now_us, exact_json as _json
from croupier.api.auth import Actor, actor, require_scope, sees_aml
from croupier.api.errors import invalid
from croupier.journeys import TEMPLATE_KEYS, Journey, JourneyError, Problem, from_json, problems, template, templates
from croupier.journeys import publishing
from croupier.journeys.dry_run import DEFAULT_SAMPLE as DRY_RUN_SAMPLE
from croupier.journeys.dry_run import MAX_DAYS as MAX_DRY_RUN_DAYS
from croupier.journeys.dry_run import MAX_SAMPLE as MAX_DRY_RUN_SAMPLE
from croupier.journeys.dry_run import as_dict as dry_run_view
from croupier.journeys.dry_run import dry_run
from croupier.journeys.run import compile_journey
from croupier.players import micros
from croupier.players.state import DAY_US
from croupier.privacy.tipping_off import neutral_reasons
from croupier.store import journeys as journey_store
from croupier.store.journeys import STATUSES, StoredJourney

router = APIRouter(prefix="/v1/journeys", tags=["journeys"])
_WRITE_KEYS = {"definition", "template", "note"}
_WRITE_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": "`{\"definition\": {...}, \"note\": \"...\"}`, or `{\"template\": \"welcome\"}` "
                                     "to start from a ready-made journey (create only); a bare definition is "
                                     "read as `{\"definition\": ...}`",
    "properties": {"definition": {"type": "object", "description": "the journey's JSON form (docs/journeys.md); "
                                                                   "its `version` is set by Croupier"},
                   "template": {"type": "string", "enum": list(TEMPLATE_KEYS)},
                   "note": {"type": "string", "maxLength": publishing.MAX_NOTE,
                            "description": "what this version changes"}}}}}}}
_WINDOW = {
    "since": {"type": "string", "format": "date-time", "description": "the window's start (RFC 3339 with an offset, "
              "e.g. 2026-11-01T00:00:00Z): the journey is live from here on, players' states as the log made them"},
    "until": {"type": "string", "format": "date-time", "description": "the window's end (default now; at most "
              f"{MAX_DRY_RUN_DAYS} days after `since`, not in the future)"},
    "sample": {"type": "integer", "minimum": 0, "maximum": MAX_DRY_RUN_SAMPLE, "default": DRY_RUN_SAMPLE,
               "description": "players to list with what they would have received, the earliest entrants first"}}
_DRY_RUN_KEYS = {"since", "until", "sample", "version"}
_DRY_RUN_UNSAVED_KEYS = {"since", "until", "sample", "definition"}
_DRY_RUN_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "additionalProperties": False, "required": ["since"],
    "properties": {**_WINDOW, "version": {"type": "integer", "minimum": 1,
                                          "description": "the version to dry run (default: the latest)"}}}}}}}
_DRY_RUN_UNSAVED_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "additionalProperties": False, "required": ["since", "definition"],
    "properties": {**_WINDOW, "definition": {"type": "object", "description": "the journey's JSON form "
                                                                            "(docs/journeys.md), unsaved"}}}}}}}
_PUBLISH_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "additionalProperties": False, "required": ["version"],
    "properties": {"version": {"type": "integer", "minimum": 1, "description": "the version to put live"}}}}}}}


class Refused(Exception):
    """What is wrong with a request: each problem's field, message and value (and position)."""

    def __init__(self, found: list[dict[str, Any]]) -> None:
        self.problems = found


def problem_view(p: Problem, prefix: str = "definition") -> dict[str, Any]:
    """A journey problem as the API answers it: `field` is its path in the request body."""
    out: dict[str, Any] = {"field": f"{prefix}{p.path[1:]}" if p.path.startswith("$") else p.path,
                           "path": p.path, "message": p.message,
                           "value": None if p.value is msgspec.UNSET else p.value}
    if p.line is not None:
        out["line"], out["column"] = p.line, p.column
    if p.suggestions:
        out["suggestions"] = list(p.suggestions)
    return out


def _refused_problems(exc: JourneyError) -> Refused:
    return Refused([problem_view(p) for p in exc.problems])


def _body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw, parse_float=Decimal) if raw.strip() else None
    except (ValueError, RecursionError) as exc:
        raise HTTPException(400, detail=f"the body is not valid JSON ({exc}); send a JSON object") from None
    if not isinstance(body, dict):
        raise HTTPException(400, detail="the body must be a JSON object")
    return body


def journey_of(body: dict[str, Any], *, creating: bool) -> tuple[Journey, str]:
    """The definition (and the version note) a write body sends. Raises Refused."""
    if "definition" not in body and "template" not in body:
        body = {"definition": body}             # a bare definition
    unknown = sorted(set(body) - _WRITE_KEYS)
    if unknown:
        raise Refused([{"field": unknown[0], "message": f"is not a field this operation takes; it takes "
                                                        f"{', '.join(sorted(_WRITE_KEYS))}", "value": None}])
    note = body.get("note", "")
    if not isinstance(note, str):
        raise Refused([{"field": "note", "message": "must be a string", "value": note}])
    if ("definition" in body) == ("template" in body):
        raise Refused([{"field": None, "message": "send `definition` (the journey's JSON form) or `template` (the key "
                                                  "of a ready-made journey), one of the two", "value": None}])
    if "template" in body:
        key = body["template"]
        if not creating:
            raise Refused([{"field": "template", "message": "a new version is sent as `definition`", "value": key}])
        if key not in TEMPLATE_KEYS:
            raise Refused([{"field": "template", "message": f"no ready-made journey {key!r}: use one of "
                                                            f"{', '.join(TEMPLATE_KEYS)}", "value": key}])
        return template(key), note or f"from the ready-made journey {key}"
    definition = body["definition"]
    if not isinstance(definition, dict):
        raise Refused([{"field": "definition", "message": "must be a JSON object: the journey's JSON form",
                        "value": definition}])
    try:
        return from_json(definition), note
    except JourneyError as exc:
        raise _refused_problems(exc) from None


def version_view(v: journey_store.JourneyVersion) -> dict[str, Any]:
    return {"version": v.version, "definition": msgspec.Raw(v.definition.encode()), "created_by": v.created_by,
            "created_at": _iso(v.created_at_us), "note": v.note}


def view(j: StoredJourney, *, versions: list[journey_store.JourneyVersion] | None = None,
         latest: journey_store.JourneyVersion | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "journey_id": j.journey_id, "key": j.key, "name": j.name, "purpose": j.purpose, "group": j.group,
        "priority": j.priority, "status": j.status, "latest_version": j.latest_version,
        "live_version": j.live_version, "created_by": j.created_by, "created_at": _iso(j.created_at_us),
        "updated_by": j.updated_by, "updated_at": _iso(j.updated_at_us),
    }
    if latest is not None:
        out["problems"] = [problem_view(p) for p in problems(publishing.definition_of(latest))]
    if versions is not None:
        out["versions"] = [version_view(v) for v in versions]
    return out


def _journey_id(journey_id: str) -> int:
    if not journey_id.isdigit() or len(journey_id) > 18:
        raise HTTPException(404, detail=f"no journey {journey_id!r}: journey ids are whole numbers")
    return int(journey_id)


def full_view(conn: Any, journey_id: int) -> dict[str, Any]:
    found = journey_store.get(conn, journey_id)
    if found is None:
        raise HTTPException(404, detail=f"no journey {journey_id}")
    history = journey_store.versions(conn, journey_id)
    return view(found, versions=history, latest=history[-1])


def _run(runtime: Any, change: Any) -> Any:
    """Run a change in a transaction, its refusals as the API answers them."""
    try:
        with runtime.db.engine.begin() as conn:
            return change(conn)
    except JourneyError as exc:
        raise _refused_problems(exc) from None
    except publishing.JourneyNotFound as exc:
        raise HTTPException(404, detail=str(exc)) from None
    except publishing.JourneyConflict as exc:
        raise HTTPException(409, detail={"message": str(exc), "problems": [problem_view(p) for p in exc.problems]}) \
            from None
    except publishing.JourneyStateError as exc:
        raise HTTPException(409, detail=str(exc)) from None


def create_now(runtime: Any, who: Actor, body: dict[str, Any]) -> StoredJourney:
    """Create a journey from a write body (the API's operation, also the back office's).
    Raises Refused or HTTPException (409: the key is taken)."""
    journey, note = journey_of(body, creating=True)
    return _run(runtime, lambda conn: publishing.create(conn, journey, who.principal, _now_us(),
                                                        on_behalf_of=who.on_behalf_of, note=note))


def revise_now(runtime: Any, who: Actor, journey_id: int, body: dict[str, Any]) -> tuple[StoredJourney, bool]:
    """A new version from a write body, unless the definition is the latest one. Raises
    Refused or HTTPException (404, 409: archived)."""
    journey, note = journey_of(body, creating=False)
    return _run(runtime, lambda conn: publishing.revise(conn, journey_id, journey, who.principal, _now_us(),
                                                        on_behalf_of=who.on_behalf_of, note=note))


def publish_now(runtime: Any, who: Actor, journey_id: int, version: Any) -> StoredJourney:
    """Put a version live. Raises Refused (every problem of the definition) or HTTPException
    (404; 409: archived, or a conflict with a live journey, its problems in `detail`)."""
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise Refused([{"field": "version", "message": "must be a version number (1, 2, ...)", "value": version}])
    return _followed(runtime, _run(runtime, lambda conn: publishing.publish(
        conn, journey_id, version, who.principal, _now_us(), on_behalf_of=who.on_behalf_of)))


def pause_now(runtime: Any, who: Actor, journey_id: int) -> StoredJourney:
    return _followed(runtime, _run(runtime, lambda conn: publishing.pause(conn, journey_id, who.principal, _now_us(),
                                                                          on_behalf_of=who.on_behalf_of)))


def archive_now(runtime: Any, who: Actor, journey_id: int) -> StoredJourney:
    return _followed(runtime, _run(runtime, lambda conn: publishing.archive(
        conn, journey_id, who.principal, _now_us(), on_behalf_of=who.on_behalf_of)))


def _followed(runtime: Any, stored: StoredJourney) -> StoredJourney:
    """The engine reads the publication (or pause) from the log at once, so the next event
    already meets the journey as it now is."""
    runtime.engine.process_pending()
    return stored


def _answer(runtime: Any, journey_id: int, status: int = 200, **extra: Any) -> Response:
    with runtime.db.reader.connect() as conn:
        return _json({**full_view(conn, journey_id), **extra}, status)


@router.get("/templates", summary="The ready-made journeys an operator switches on (or copies and adjusts)")
def list_templates(_key=Depends(require_scope("read"))) -> Response:  # noqa: ANN001
    return _json({"templates": [{"key": key, "name": j.name, "purpose": j.purpose, "group": j.group,
                                 "priority": j.priority, "description": j.description, "definition": j}
                                for key, j in templates().items()]})


@router.post("", summary="Create a journey (a draft, version 1) from a definition or a ready-made journey",
             status_code=201, openapi_extra=_WRITE_BODY)
async def create_journey(request: Request) -> Response:
    who = await actor(request, "journeys.edit")
    runtime = request.app.state.runtime
    try:
        made = await run_in_threadpool(create_now, runtime, who, _body(await request.body()))
    except Refused as exc:
        return invalid(exc.problems)
    return _answer(runtime, made.journey_id, 201)


@router.get("", summary="List journeys (not the archived ones unless `archived=true`; or those of one `status`)")
def list_journeys(request: Request, archived: bool = False,
                  status: str | None = Query(None, description="only journeys in this status"),
                  _key=Depends(require_scope("read"))) -> Response:  # noqa: ANN001
    if status is not None and status not in STATUSES:
        return invalid([{"field": "status", "message": f"must be one of {', '.join(STATUSES)}", "value": status}])
    with request.app.state.runtime.db.reader.connect() as conn:
        found = journey_store.listing(conn, archived=archived, status=status)
    return _json({"journeys": [view(j) for j in found]})


@router.get("/{journey_id}", summary="A journey: its status, live version, every version and the problems of "
            "the latest")
def get_journey(journey_id: str, request: Request, _key=Depends(require_scope("read"))) -> Response:  # noqa: ANN001
    return _answer(request.app.state.runtime, _journey_id(journey_id))


@router.get("/{journey_id}/results", summary="A journey's results: per variant and for the control, players, "
            "conversions, conversion rate, deposits and GGR in the goal's window, and each variant's uplift against "
            "the control with 95 % intervals (CUPED, sample-ratio check, confidence sequences) and a verdict "
            "(docs/measurement.md)")
def get_results(journey_id: str, request: Request,
                goal: str | None = Query(None, description="the goal to count as conversion (default: the "
                                                           "journey's first goal)", max_length=64),
                currency: str | None = Query(None, pattern="^[A-Z]{3}$",
                                             description="the currency money is reported in (default: that of "
                                                         "most of the measured players); others are converted at "
                                                         "the configuration's rates"),
                _key=Depends(require_scope("read"))) -> Response:  # noqa: ANN001
    runtime = request.app.state.runtime
    try:
        with runtime.db.reader.connect() as conn:
            found = journey_results(conn, _journey_id(journey_id), runtime.config, _now_us(), goal=goal,
                                    currency=currency)
    except NotMeasurable as exc:
        return invalid([{"field": "goal", "message": str(exc), "value": goal}])
    if found is None:
        raise HTTPException(404, detail=f"no journey {journey_id}")
    return _json(found)


@router.put("/{journey_id}", summary="Edit a journey: a new version (none when the definition is unchanged)",
            openapi_extra=_WRITE_BODY)
async def update_journey(journey_id: str, request: Request) -> Response:
    who = await actor(request, "journeys.edit")
    runtime = request.app.state.runtime
    number = _journey_id(journey_id)
    try:
        _, changed = await run_in_threadpool(revise_now, runtime, who, number, _body(await request.body()))
    except Refused as exc:
        return invalid(exc.problems)
    return _answer(runtime, number, changed=changed)


@router.post("/{journey_id}/publish", summary="Publish a version: validated, checked against the live journeys, "
             "then live", openapi_extra=_PUBLISH_BODY)
async def publish_journey(journey_id: str, request: Request) -> Response:
    who = await actor(request, "journeys.publish")
    runtime = request.app.state.runtime
    number = _journey_id(journey_id)
    body = _body(await request.body())
    unknown = sorted(set(body) - {"version"})
    if unknown:
        return invalid([{"field": unknown[0], "message": "is not a field this operation takes; it takes version",
                         "value": None}])
    try:
        await run_in_threadpool(publish_now, runtime, who, number, body.get("version"))
    except Refused as exc:
        return invalid(exc.problems)
    return _answer(runtime, number)


async def _stop(journey_id: str, request: Request, change: Any) -> Response:
    who = await actor(request, "journeys.publish")
    runtime = request.app.state.runtime
    number = _journey_id(journey_id)
    await run_in_threadpool(change, runtime, who, number)
    return _answer(runtime, number)


@router.post("/{journey_id}/pause", summary="Pause a live journey (its live version is kept)")
async def pause_journey(journey_id: str, request: Request) -> Response:
    return await _stop(journey_id, request, pause_now)


@router.post("/{journey_id}/archive", summary="Archive a journey (a live one stops; kept with its versions)")
async def archive_journey(journey_id: str, request: Request) -> Response:
    return await _stop(journey_id, request, archive_now)



# -- dry run -------------------------------------------------------------------------------------

def _moment(body: dict[str, Any], key: str, default: int | None) -> int:
    value = body.get(key)
    if value is None:
        if default is None:
            raise Refused([{"field": key, "message": "is required: the window's start, as an RFC 3339 time such as "
                                                     "2026-11-01T00:00:00Z", "value": None}])
        return default
    if not isinstance(value, str):
        raise Refused([{"field": key, "message": "must be an RFC 3339 time such as 2026-11-01T00:00:00Z",
                        "value": value}])
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Refused([{"field": key, "message": "is not an RFC 3339 time such as 2026-11-01T00:00:00Z",
                        "value": value}]) from None
    if moment.tzinfo is None:
        raise Refused([{"field": key, "message": "needs an offset (Z for UTC), such as 2026-11-01T00:00:00Z",
                        "value": value}])
    return micros(moment.astimezone(timezone.utc))


def dry_run_window(body: dict[str, Any], now_us: int) -> tuple[int, int, int]:
    """The window ([since, until) in microseconds) and the sample a dry-run body asks for.
    Raises Refused naming the field and the value: a window in the future, longer than
    MAX_DRY_RUN_DAYS, or ending before it starts."""
    since_us = _moment(body, "since", None)
    until_us = _moment(body, "until", now_us)
    if since_us >= until_us:
        raise Refused([{"field": "since", "message": f"must be before until ({_iso(until_us)})",
                        "value": body.get("since")}])
    if until_us > now_us:
        raise Refused([{"field": "until", "message": f"is in the future (now is {_iso(now_us)}): a dry run replays "
                                                     "what happened", "value": body.get("until")}])
    if until_us - since_us > MAX_DRY_RUN_DAYS * DAY_US:
        raise Refused([{"field": "since", "message": f"starts {(until_us - since_us) / DAY_US:.1f} days before until; "
                                                     f"a dry run covers at most {MAX_DRY_RUN_DAYS} days",
                        "value": body.get("since")}])
    sample = body.get("sample", DRY_RUN_SAMPLE)
    if not isinstance(sample, int) or isinstance(sample, bool) or not 0 <= sample <= MAX_DRY_RUN_SAMPLE:
        raise Refused([{"field": "sample", "message": f"must be a whole number from 0 to {MAX_DRY_RUN_SAMPLE}",
                        "value": sample}])
    return since_us, until_us, sample


def stored_version(runtime: Any, journey_id: int, version: Any) -> tuple[StoredJourney, Journey]:
    """A stored journey and one version's definition (None: the latest), stamped with its
    number. Raises HTTPException (404) or Refused (no such version)."""
    with runtime.db.reader.connect() as conn:
        found = journey_store.get(conn, journey_id)
        if found is None:
            raise HTTPException(404, detail=f"no journey {journey_id}")
        number = found.latest_version if version is None else version
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise Refused([{"field": "version", "message": "must be a version number (1, 2, ...)", "value": version}])
        chosen = journey_store.version(conn, journey_id, number)
    if chosen is None:
        raise Refused([{"field": "version", "message": f"is not a version of journey {journey_id}: its versions "
                                                       f"are 1 to {found.latest_version}", "value": version}])
    return found, msgspec.structs.replace(publishing.definition_of(chosen), version=number)


def dry_run_now(runtime: Any, body: dict[str, Any], aml: bool, journey_id: int | None = None) -> dict[str, Any]:
    """What a journey (a stored version, or the body's unsaved `definition`) would have done
    over the body's window of the log had it been live from the window's start; nothing is
    sent or written. `aml`: whether the reader sees AML reasons among the suppressions.
    Raises Refused (the window, the sample, the version, every problem of the definition)."""
    allowed = _DRY_RUN_KEYS if journey_id is not None else _DRY_RUN_UNSAVED_KEYS
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise Refused([{"field": unknown[0], "message": f"is not a field this operation takes; it takes "
                                                        f"{', '.join(sorted(allowed))}", "value": body[unknown[0]]}])
    since_us, until_us, sample = dry_run_window(body, _now_us())
    if journey_id is not None:
        _, journey = stored_version(runtime, journey_id, body.get("version"))
        try:
            compiled = compile_journey(journey)
        except JourneyError as exc:
            raise Refused([{"field": "version", "message": f"cannot run until its problems are fixed: {p.path}: "
                                                           f"{p.message}", "value": journey.version, "path": p.path}
                           for p in exc.problems]) from None
    else:
        if "definition" not in body:
            raise Refused([{"field": "definition", "message": "is required: the journey's JSON form "
                                                              "(docs/journeys.md)", "value": None}])
        journey, _ = journey_of({"definition": body["definition"]}, creating=False)
        try:
            compiled = compile_journey(journey)
        except JourneyError as exc:
            raise _refused_problems(exc) from None
    report = dry_run(runtime.db, compiled, since_us=since_us, until_us=until_us, config=runtime.config,
                     sample=sample)
    out = dry_run_view(report, shown=None if aml else (lambda code: neutral_reasons([code])[0]))
    out["journey_id"] = journey_id
    return out


@router.post("/dry-run", summary="Dry run an unsaved journey definition over a past window of the log: who would "
             "have entered, when, what they would have received and what the gate would have suppressed (nothing "
             "is sent or written)", openapi_extra=_DRY_RUN_UNSAVED_BODY)
async def dry_run_unsaved(request: Request, key=Depends(require_scope("read"))) -> Response:  # noqa: ANN001
    try:
        result = await run_in_threadpool(dry_run_now, request.app.state.runtime, _body(await request.body()),
                                         sees_aml(request, key))
    except Refused as exc:
        return invalid(exc.problems)
    return _json(result)


@router.post("/{journey_id}/dry-run", summary="Dry run a stored journey (its latest version, or `version`) over a "
             "past window of the log, as if it had been live from the window's start", openapi_extra=_DRY_RUN_BODY)
async def dry_run_journey(journey_id: str, request: Request,
                          key=Depends(require_scope("read"))) -> Response:  # noqa: ANN001
    number = _journey_id(journey_id)
    try:
        result = await run_in_threadpool(dry_run_now, request.app.state.runtime, _body(await request.body()),
                                         sees_aml(request, key), number)
    except Refused as exc:
        return invalid(exc.problems)
    return _json(result)
