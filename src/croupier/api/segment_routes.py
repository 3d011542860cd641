"""Segments over the API: create, list, read (with the definition in words, text and JSON, and
every version), edit (a new version), archive, preview an unsaved definition, list or
export a segment's members from the batch copy (`segments.batch`), and dry run a segment or
an unsaved definition over a past window of the log (`segments.dry_run`).

Reads need the `read` scope. Creating, editing and archiving are staff actions with the
`segments.edit` permission (a back-office session with its CSRF token, or an `admin` key with
`X-Croupier-Actor` naming the staff member), each recorded in the audit log. A definition is
sent as `text` (the segment language) or `definition` (the JSON form); every problem comes
back in one 422, each with its line and column (text) or JSON path (JSON)."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import msgspec
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from croupier.api.answers import iso as _iso, now_us as _now_us, exact_json as _json
from croupier.api.auth import Actor, actor, require_scope, sees_aml
from croupier.api.errors import invalid
from croupier.compliance.reasons import explain
from croupier.players import EngineConfig, PlayerState, micros
from croupier.players.state import DAY_US
from croupier.privacy.tipping_off import neutral_reasons
from croupier.segments import All, AnyOf, Node, Not, SegmentError, load_json, parse_valid, summarise, to_json, to_text
from croupier.segments.batch import DEFAULT_MAX_AGE_SECONDS, Answer, Batch, all_members, count, members
from croupier.segments.dry_run import DEFAULT_SAMPLE as DRY_RUN_SAMPLE
from croupier.segments.dry_run import MAX_DAYS as MAX_DRY_RUN_DAYS
from croupier.segments.dry_run import as_dict as dry_run_view
from croupier.segments.dry_run import dry_run
from croupier.settings import seconds_from_env
from croupier.segments.realtime import go_live, live_versions, realtime_members, switch_off
from croupier.store import audit as audit_store
from croupier.store import segments as segment_store
from croupier.store.segments import PURPOSES, StoredSegment
from croupier.store.states import all_states

router = APIRouter(prefix="/v1/segments", tags=["segments"])

MAX_TEXT = 10_000           # characters of a definition's text
MAX_DEPTH = 24              # groups inside groups
MAX_CONDITIONS = 200
MAX_NAME = 200
MAX_DESCRIPTION = 2_000
MAX_SAMPLE = 1_000
COPY_SECONDS_VARIABLE = "CROUPIER_SEGMENT_COPY_SECONDS"
_WRITE_KEYS = {"name", "description", "purpose", "text", "definition"}
_PREVIEW_KEYS = {"text", "definition", "purpose", "sample", "refresh"}
_DEFINITION_SCHEMA = {
    "text": {"type": "string", "maxLength": MAX_TEXT, "description": "the definition in the segment language "
             "(docs/segments.md), e.g. `bet_count_slots_30d >= 5 and rg.level < medium`"},
    "definition": {"type": "object", "description": "the definition's JSON form (docs/segments.md); send "
                   "either `text` or `definition`"},
    "purpose": {"type": "string", "enum": list(PURPOSES), "description": "promotional (the default) leaves out "
                "the players the compliance gate would hold back; service and safer_play do not"},
}
_WRITE_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "additionalProperties": False,
    "properties": {"name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME},
                   "description": {"type": "string", "maxLength": MAX_DESCRIPTION}, **_DEFINITION_SCHEMA}}}}}}
_PREVIEW_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "additionalProperties": False,
    "properties": {**_DEFINITION_SCHEMA,
                   "sample": {"type": "integer", "minimum": 0, "maximum": MAX_SAMPLE, "default": 20},
                   "refresh": {"type": "boolean", "description": "rebuild the batch copy first"}}}}}}}
_DRY_RUN_KEYS = {"since", "until", "text", "definition", "purpose", "sample"}
_DRY_RUN_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "additionalProperties": False, "required": ["since"],
    "properties": {
        "since": {"type": "string", "format": "date-time", "description": "the window's start (RFC 3339 with an "
                  "offset, e.g. 2026-11-01T00:00:00Z); who matches then is \"already in\", not an entry"},
        "until": {"type": "string", "format": "date-time", "description": "the window's end (default now; at most "
                  f"{MAX_DRY_RUN_DAYS} days after `since`, not in the future)"},
        **_DEFINITION_SCHEMA,
        "sample": {"type": "integer", "minimum": 0, "maximum": MAX_SAMPLE, "default": DRY_RUN_SAMPLE,
                   "description": "entries to list, the earliest first"}}}}}}}
_batches_lock = threading.Lock()


def copy_seconds() -> float:
    """How old the batch copy may be before a read rebuilds it ($CROUPIER_SEGMENT_COPY_SECONDS)."""
    return seconds_from_env(COPY_SECONDS_VARIABLE, DEFAULT_MAX_AGE_SECONDS)


def batch_of(runtime: Any, clock_us: Callable[[], int] | None = None) -> Batch:
    """The runtime's batch copy, made on first use. `clock_us` (microseconds since the epoch)
    sets the moment copies are taken as of, for a replayed or simulated history read as of its
    own end; the wall clock otherwise. Only the call that makes the batch can set it."""
    batch = getattr(runtime, "segment_batch", None)
    if batch is None:
        with _batches_lock:
            batch = getattr(runtime, "segment_batch", None)
            if batch is None:
                def load() -> tuple[Iterable[PlayerState], EngineConfig]:
                    def states() -> Iterator[PlayerState]:
                        with runtime.fresh() as conn:   # every event processed here is in the snapshot
                            yield from all_states(conn)
                    return states(), runtime.config
                clock = {} if clock_us is None else {"clock_us": clock_us}
                batch = runtime.segment_batch = Batch(load, copy_seconds(), **clock)
    return batch


class _Invalid(Exception):
    """What is wrong with a request's body: each problem's field, message and, for a
    definition, its position and suggestions."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        self.problems = problems


Refused = _Invalid


def _problem(field: str | None, message: str, value: Any = None) -> _Invalid:
    return _Invalid([{"field": field, "message": message, "value": value}])


async def _body(request: Request, allowed: set[str]) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw, parse_float=Decimal) if raw.strip() else None
    except (ValueError, RecursionError) as exc:
        raise HTTPException(400, detail=f"the body is not valid JSON ({exc}); send a JSON object") from None
    if not isinstance(body, dict):
        raise HTTPException(400, detail="the body must be a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise _problem(unknown[0], f"is not a field this operation takes; it takes {', '.join(sorted(allowed))}")
    return body


def _depth_and_size(node: Node) -> tuple[int, int]:
    """How deep groups nest and how many conditions there are, without recursion."""
    deepest, conditions, stack = 0, 0, [(node, 1)]
    while stack:
        n, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(n, Not):
            stack.append((n.not_, depth + 1))
        elif isinstance(n, (All, AnyOf)):
            stack.extend((p, depth + 1) for p in (n.all if isinstance(n, All) else n.any))
        else:
            conditions += 1
    return deepest, conditions


def definition_of(body: dict[str, Any]) -> Node:
    """The validated definition a body sends as `text` or `definition`."""
    text, tree = body.get("text"), body.get("definition")
    if isinstance(tree, str) and text is None:        # the text form sent in `definition`
        text, tree, field = tree, None, "definition"
    else:
        field = "text"
    if (text is None) == (tree is None):
        raise _problem(None, "send the definition as `text` (the segment language) or as `definition` (its JSON "
                             "form), one of the two")
    try:
        if text is not None:
            if not isinstance(text, str):
                raise _problem(field, "must be a string in the segment language", text)
            if len(text) > MAX_TEXT:
                raise _problem(field, f"is {len(text):,} characters long; a definition may have at most {MAX_TEXT:,}")
            node = parse_valid(text)
        else:
            if not isinstance(tree, dict):
                raise _problem("definition", "must be a JSON object such as {\"all\": [...]}", tree)
            node = load_json(tree)
    except SegmentError as exc:
        raise _Invalid([_segment_problem(p, field if text is not None else "definition") for p in exc.problems]) \
            from None
    except RecursionError:
        raise _problem(field if text is not None else "definition",
                       f"nests too deeply: groups may nest at most {MAX_DEPTH} levels") from None
    depth, conditions = _depth_and_size(node)
    if depth > MAX_DEPTH:
        raise _problem(field if text is not None else "definition",
                       f"nests {depth} levels deep; groups may nest at most {MAX_DEPTH} levels")
    if conditions > MAX_CONDITIONS:
        raise _problem(field if text is not None else "definition",
                       f"has {conditions} conditions; a definition may have at most {MAX_CONDITIONS}")
    return node


def _segment_problem(p: Any, field: str) -> dict[str, Any]:
    where = f"{field}{p.path[1:]}" if p.path else field
    out: dict[str, Any] = {"field": where, "message": f"{p.where()}: {p.message}", "value": p.identifier}
    for key in ("line", "column", "path", "identifier"):
        if getattr(p, key) is not None:
            out[key] = getattr(p, key)
    if p.suggestions:
        out["suggestions"] = list(p.suggestions)
    return out


def _purpose(body: dict[str, Any], default: str | None = "promotional") -> str:
    purpose = body.get("purpose", default)
    if purpose not in PURPOSES:
        raise _problem("purpose", f"must be one of {', '.join(PURPOSES)}", purpose)
    return purpose  # type: ignore[return-value]


def _string(body: dict[str, Any], key: str, limit: int, required: bool) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise _problem(key, "is required")
        return None
    if not isinstance(value, str):
        raise _problem(key, "must be a string", value)
    value = value.strip()
    if required and not value:
        raise _problem(key, "must not be empty")
    if len(value) > limit:
        raise _problem(key, f"must be at most {limit} characters; this one has {len(value):,}")
    return value


def view(s: StoredSegment, *, versions: list[segment_store.SegmentVersion] | None = None,
         live: int | None = None) -> dict[str, Any]:
    """`live`: the version live for real-time membership (None: not live)."""
    node = load_json(s.definition)
    out: dict[str, Any] = {
        "segment_id": s.segment_id, "version": s.version, "name": s.name, "description": s.description,
        "purpose": s.purpose, "archived": s.archived, "live_version": live, "text": s.text, "summary": summarise(node),
        "definition": msgspec.Raw(s.definition.encode()),
        "created_by": s.created_by, "created_at": _iso(s.created_at_us),
        "updated_by": s.updated_by, "updated_at": _iso(s.updated_at_us),
    }
    if versions is not None:
        out["versions"] = [{"version": v.version, "name": v.name, "description": v.description, "purpose": v.purpose,
                            "text": v.text, "definition": msgspec.Raw(v.definition.encode()), "archived": v.archived,
                            "edited_by": v.edited_by, "edited_at": _iso(v.edited_at_us)} for v in versions]
    return out


def _left_out(answer: Answer, aml: bool) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for code, n in answer.left_out.items():
        shown = code if aml else neutral_reasons([code])[0]
        counts[shown] = counts.get(shown, 0) + n
    return {"total": answer.left_out_total,
            "by_reason": [{"code": c, "text": explain(c).text, "players": n}
                          for c, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]}


def answer_view(node: Node, purpose: str, answer: Answer, aml: bool) -> dict[str, Any]:
    return {"count": answer.count, "sample": answer.sample, "purpose": purpose,
            "left_out": _left_out(answer, aml) if purpose == "promotional" else {"total": 0, "by_reason": []},
            "as_of": _iso(answer.at_us), "text": to_text(node), "summary": summarise(node),
            "definition": msgspec.Raw(to_json(node))}


def _audit(conn: Any, who: Actor, kind: str, s: StoredSegment, now_us: int) -> None:
    audit_store.append(conn, [audit_store.Entry(now_us, actor=who.principal, kind=kind, subject=str(s.segment_id),
                                                body={"segment_id": s.segment_id, "version": s.version,
                                                      "name": s.name, "purpose": s.purpose, "text": s.text,
                                                      "archived": s.archived, **who.attribution()})])


def _segment_id(segment_id: str) -> int:
    if not segment_id.isdigit() or len(segment_id) > 18:
        raise HTTPException(404, detail=f"no segment {segment_id!r}: segment ids are whole numbers")
    return int(segment_id)


def _found(conn: Any, segment_id: str, *, for_update: bool = False) -> StoredSegment:
    found = segment_store.get(conn, _segment_id(segment_id), for_update=for_update)
    if found is None:
        raise HTTPException(404, detail=f"no segment {segment_id}")
    return found


def _refused(exc: _Invalid) -> Response:
    return invalid(exc.problems)


def create_now(runtime: Any, who: Actor, body: dict[str, Any]) -> StoredSegment:
    """Create a segment from a write body (name, description, purpose, text or definition),
    audited as `segment.created`: the API's operation, also the back office's. Raises
    `Refused` (the problems, each with its position) or HTTPException (409: the name is taken)."""
    name = _string(body, "name", MAX_NAME, True)
    description = _string(body, "description", MAX_DESCRIPTION, False) or ""
    purpose = _purpose(body)
    node = definition_of(body)
    now_us = _now_us()
    with runtime.db.engine.begin() as conn:
        if segment_store.active_named(conn, name) is not None:   # type: ignore[arg-type]
            raise HTTPException(409, detail=f"a segment named {name!r} exists: choose another name or edit it")
        stored = segment_store.create(conn, name=name, description=description, purpose=purpose,  # type: ignore[arg-type]
                                      definition=to_json(node).decode(), text=to_text(node), actor=who.username,
                                      now_us=now_us)
        _audit(conn, who, "segment.created", stored, now_us)
    return stored


@router.post("", summary="Create a segment (name, purpose, definition as text or JSON)", status_code=201,
             openapi_extra=_WRITE_BODY)
async def create_segment(request: Request) -> Response:
    who = await actor(request, "segments.edit")
    try:
        body = await _body(request, _WRITE_KEYS)
        stored = create_now(request.app.state.runtime, who, body)
    except _Invalid as exc:
        return _refused(exc)
    return _json(view(stored, versions=[segment_store.SegmentVersion(
        1, stored.name, stored.description, stored.purpose, stored.definition, stored.text, False,
        stored.updated_by, stored.updated_at_us)]), 201)


@router.get("", summary="List segments (active ones; `archived=true` includes the archived)")
def list_segments(request: Request, archived: bool = False,
                  purpose: str | None = Query(None, description="only segments of this purpose"),
                  _key=Depends(require_scope("read"))) -> Response:  # noqa: ANN001
    if purpose is not None and purpose not in PURPOSES:
        return invalid([{"field": "purpose", "message": f"must be one of {', '.join(PURPOSES)}", "value": purpose}])
    with request.app.state.runtime.db.reader.connect() as conn:
        found = segment_store.listing(conn, archived=archived, purpose=purpose)
        live = live_versions(conn)
    return _json({"segments": [view(s, live=live.get(s.segment_id)) for s in found]})


def preview_now(runtime: Any, body: dict[str, Any], aml: bool) -> dict[str, Any]:
    """Count and sample an unsaved definition (a preview body) over the batch copy; `aml`:
    whether the reader sees AML reasons among the left-out. Raises `Refused`."""
    purpose = _purpose(body)
    node = definition_of(body)
    sample = body.get("sample", 20)
    if not isinstance(sample, int) or isinstance(sample, bool) or not 0 <= sample <= MAX_SAMPLE:
        raise _problem("sample", f"must be a whole number from 0 to {MAX_SAMPLE}", sample)
    refresh = body.get("refresh", False)
    if not isinstance(refresh, bool):
        raise _problem("refresh", "must be true or false", refresh)
    answer = count(batch_of(runtime).copy(refresh=refresh), node, promotional=purpose == "promotional", sample=sample)
    return answer_view(node, purpose, answer, aml)


@router.post("/preview", summary="Count and sample the players an unsaved definition matches, with the "
             "players a promotional segment leaves out, by reason", openapi_extra=_PREVIEW_BODY)
async def preview_segment(request: Request, key=Depends(require_scope("read"))) -> Response:  # noqa: ANN001
    try:
        body = await _body(request, _PREVIEW_KEYS)
        result = await run_in_threadpool(preview_now, request.app.state.runtime, body, sees_aml(request, key))
    except _Invalid as exc:
        return _refused(exc)
    return _json(result)


def _moment(body: dict[str, Any], key: str, default: int | None) -> int:
    value = body.get(key)
    if value is None:
        if default is None:
            raise _problem(key, "is required: the window's start, as an RFC 3339 time such as 2026-11-01T00:00:00Z")
        return default
    if not isinstance(value, str):
        raise _problem(key, "must be an RFC 3339 time such as 2026-11-01T00:00:00Z", value)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _problem(key, "is not an RFC 3339 time such as 2026-11-01T00:00:00Z", value) from None
    if moment.tzinfo is None:
        raise _problem(key, "needs an offset (Z for UTC), such as 2026-11-01T00:00:00Z", value)
    return micros(moment.astimezone(timezone.utc))


def dry_run_now(runtime: Any, body: dict[str, Any], aml: bool, stored: StoredSegment | None = None) -> dict[str, Any]:
    """What a definition (a stored segment's, or the body's `text`/`definition`) would have
    done over the body's window of the log, nothing sent or written; `aml`: whether the
    reader sees AML reasons among the held back. Raises `Refused`."""
    now_us = _now_us()
    since_us = _moment(body, "since", None)
    until_us = _moment(body, "until", now_us)
    if since_us >= until_us:
        raise _problem("since", f"must be before until ({_iso(until_us)})", body.get("since"))
    if until_us > now_us:
        raise _problem("until", f"is in the future (now is {_iso(now_us)}): a dry run replays what happened",
                       body.get("until"))
    if until_us - since_us > MAX_DRY_RUN_DAYS * DAY_US:
        raise _problem("since", f"starts {(until_us - since_us) / DAY_US:.1f} days before until; a dry run covers "
                                f"at most {MAX_DRY_RUN_DAYS} days", body.get("since"))
    sample = body.get("sample", DRY_RUN_SAMPLE)
    if not isinstance(sample, int) or isinstance(sample, bool) or not 0 <= sample <= MAX_SAMPLE:
        raise _problem("sample", f"must be a whole number from 0 to {MAX_SAMPLE}", sample)
    if stored is None or "text" in body or "definition" in body:
        node = definition_of(body)
    else:
        node = load_json(stored.definition)
    purpose = _purpose(body, stored.purpose if stored is not None else "promotional")
    report = dry_run(runtime.db, node, since_us=since_us, until_us=until_us, config=runtime.config,
                     purpose=purpose, segment_id=stored.segment_id if stored is not None else None, sample=sample)
    out = dry_run_view(report, shown=None if aml else (lambda code: neutral_reasons([code])[0]))
    out.update({"segment_id": stored.segment_id if stored is not None else None,
                "version": stored.version if stored is not None and "text" not in body
                and "definition" not in body else None,
                "text": to_text(node), "summary": summarise(node), "definition": msgspec.Raw(to_json(node))})
    return out


@router.post("/dry-run", summary="Dry run an unsaved definition over a past window of the log: who would have "
             "entered and left, when, and whom the gate would have held back (nothing is sent or written)",
             openapi_extra=_DRY_RUN_BODY)
async def dry_run_unsaved(request: Request, key=Depends(require_scope("read"))) -> Response:  # noqa: ANN001
    try:
        body = await _body(request, _DRY_RUN_KEYS)
        result = await run_in_threadpool(dry_run_now, request.app.state.runtime, body, sees_aml(request, key))
    except _Invalid as exc:
        return _refused(exc)
    return _json(result)


@router.post("/{segment_id}/dry-run", summary="Dry run a segment (or an unsaved edit of it, as `text` or "
             "`definition`) over a past window of the log, as if it had been live from the window's start",
             openapi_extra=_DRY_RUN_BODY)
async def dry_run_segment(segment_id: str, request: Request,
                          key=Depends(require_scope("read"))) -> Response:  # noqa: ANN001
    runtime = request.app.state.runtime
    with runtime.db.reader.connect() as conn:
        found = _found(conn, segment_id)
    try:
        body = await _body(request, _DRY_RUN_KEYS)
        result = await run_in_threadpool(dry_run_now, runtime, body, sees_aml(request, key), found)
    except _Invalid as exc:
        return _refused(exc)
    return _json(result)


@router.get("/{segment_id}", summary="A segment: the definition in words, text and JSON, and every version")
def get_segment(segment_id: str, request: Request, _key=Depends(require_scope("read"))) -> Response:  # noqa: ANN001
    with request.app.state.runtime.db.reader.connect() as conn:
        found = _found(conn, segment_id)
        history = segment_store.versions(conn, found.segment_id)
        live = live_versions(conn).get(found.segment_id)
    return _json(view(found, versions=history, live=live))


def revise_now(runtime: Any, who: Actor, segment_id: str, body: dict[str, Any]) -> StoredSegment:
    """A new version of a segment with any of a write body's fields, audited as
    `segment.updated`; an edit that changes nothing (the same name, description, purpose and
    canonical definition, however the text was spaced) makes no version and is not audited.
    Raises `Refused`, or HTTPException (404, 409: archived, name taken)."""
    changes: dict[str, Any] = {}
    if "name" in body:
        changes["name"] = _string(body, "name", MAX_NAME, True)
    if "description" in body:
        changes["description"] = _string(body, "description", MAX_DESCRIPTION, False) or ""
    if "purpose" in body:
        changes["purpose"] = _purpose(body)
    if "text" in body or "definition" in body:
        node = definition_of(body)
        changes["definition"], changes["text"] = to_json(node).decode(), to_text(node)
    if not changes:
        raise _problem(None, "send at least one of name, description, purpose, text or definition")
    now_us = _now_us()
    with runtime.db.engine.begin() as conn:
        current = _found(conn, segment_id, for_update=True)
        if current.archived:
            raise HTTPException(409, detail=f"segment {segment_id} is archived; create a new one")
        changes = {k: v for k, v in changes.items() if getattr(current, k) != v}
        if not changes:
            return current
        if "name" in changes:
            other = segment_store.active_named(conn, changes["name"])
            if other is not None and other.segment_id != current.segment_id:
                raise HTTPException(409, detail=f"a segment named {changes['name']!r} exists: choose another name")
        stored = segment_store.revise(conn, current, actor=who.username, now_us=now_us, **changes)
        _audit(conn, who, "segment.updated", stored, now_us)
        facts = go_live(conn, stored, actor=who.username, now_us=now_us, reason="edited while live") \
            if stored.segment_id in live_versions(conn) else []
    _to_engine(runtime, facts)
    return stored


def archive_now(runtime: Any, who: Actor, segment_id: str) -> StoredSegment:
    """Archive a segment (audited as `segment.archived`); an archived one is answered as it is."""
    now_us = _now_us()
    with runtime.db.engine.begin() as conn:
        current = _found(conn, segment_id, for_update=True)
        if current.archived:
            return current
        stored = segment_store.revise(conn, current, actor=who.username, now_us=now_us, archived=True)
        _audit(conn, who, "segment.archived", stored, now_us)
        facts = switch_off(conn, stored.segment_id, actor=who.username, now_us=now_us, reason="archived")
    _to_engine(runtime, facts)
    return stored


def _to_engine(runtime: Any, facts: list[Any]) -> None:
    """Hand activation facts just committed to the engine, so membership follows at once."""
    if facts:
        runtime.engine.submit(facts)


def go_live_now(runtime: Any, who: Actor, segment_id: str) -> tuple[StoredSegment, int]:
    """Put a segment's current version live for real-time membership, audited as
    `segment.live`; returns the segment and its live version. Raises HTTPException (404,
    409: archived)."""
    now_us = _now_us()
    with runtime.db.engine.begin() as conn:
        current = _found(conn, segment_id, for_update=True)
        if current.archived:
            raise HTTPException(409, detail=f"segment {segment_id} is archived: it cannot go live")
        facts = go_live(conn, current, actor=who.username, now_us=now_us)
        if facts:
            _audit(conn, who, "segment.live", current, now_us)
    _to_engine(runtime, facts)
    return current, current.version


def switch_off_now(runtime: Any, who: Actor, segment_id: str) -> StoredSegment:
    """Switch a segment's real-time membership off, audited as `segment.off`."""
    now_us = _now_us()
    with runtime.db.engine.begin() as conn:
        current = _found(conn, segment_id, for_update=True)
        facts = switch_off(conn, current.segment_id, actor=who.username, now_us=now_us)
        if facts:
            _audit(conn, who, "segment.off", current, now_us)
    _to_engine(runtime, facts)
    return current


@router.put("/{segment_id}", summary="Edit a segment: a new version under the same id", openapi_extra=_WRITE_BODY)
async def update_segment(segment_id: str, request: Request) -> Response:
    who = await actor(request, "segments.edit")
    runtime = request.app.state.runtime
    try:
        body = await _body(request, _WRITE_KEYS)
        stored = revise_now(runtime, who, segment_id, body)
    except _Invalid as exc:
        return _refused(exc)
    with runtime.db.reader.connect() as conn:
        history = segment_store.versions(conn, stored.segment_id)
        live = live_versions(conn).get(stored.segment_id)
    return _json(view(stored, versions=history, live=live))


@router.post("/{segment_id}/live", summary="Put a segment live: real-time membership, entries and exits written "
             "to the log as croupier.segment_entered / segment_left (journeys trigger on them)")
async def segment_live(segment_id: str, request: Request) -> Response:
    who = await actor(request, "segments.edit")
    stored, version = go_live_now(request.app.state.runtime, who, segment_id)
    return _json(view(stored, live=version))


@router.delete("/{segment_id}/live", summary="Switch a segment's real-time membership off (no exits are written: "
               "the segment ended, not the players' match)")
async def segment_off(segment_id: str, request: Request) -> Response:
    who = await actor(request, "segments.edit")
    return _json(view(switch_off_now(request.app.state.runtime, who, segment_id)))


@router.delete("/{segment_id}", summary="Archive a segment (kept with its versions; no longer listed or used)")
async def archive_segment(segment_id: str, request: Request) -> Response:
    who = await actor(request, "segments.edit")
    return _json(view(archive_now(request.app.state.runtime, who, segment_id)))


def _csv(ids: Iterator[str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["player_id"])
    n = 0
    for pid in ids:
        writer.writerow([pid])
        n += 1
        if n % 5_000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@router.get("/{segment_id}/members", summary="A segment's members now: a page after a cursor, or every one as CSV "
            "(`format=csv` or `Accept: text/csv`)")
def get_members(segment_id: str, request: Request,
                limit: int = Query(100, ge=1, le=10_000, description="members per page"),
                after: str | None = Query(None, max_length=128,
                                          description="the cursor: `next` of the previous page"),
                format: str | None = Query(None, pattern="^(json|csv)$", description="csv: every member, streamed"),
                refresh: bool = Query(False, description="rebuild the batch copy first"),
                source: str = Query("batch", pattern="^(batch|live)$", description=(
                    "batch: the definition over the batch copy (a promotional segment leaves out who the gate "
                    "would hold back); live: the real-time members of a live segment, as the engine folded them "
                    "(the definition's match, with when each entered)")),
                _key=Depends(require_scope("read"))) -> Response:  # noqa: ANN001
    runtime = request.app.state.runtime
    with runtime.db.reader.connect() as conn:
        found = _found(conn, segment_id)
        live = live_versions(conn).get(found.segment_id)
    if found.archived:
        raise HTTPException(409, detail=f"segment {segment_id} is archived: it has no members")
    wants_csv = format == "csv" or (format is None and "text/csv" in request.headers.get("accept", ""))
    if source == "live":
        return _live_members(runtime, found, live, after, limit, wants_csv)
    node = load_json(found.definition)
    promotional = found.purpose == "promotional"
    copy = batch_of(runtime).copy(refresh=refresh)
    if wants_csv:
        filename = f"segment-{found.segment_id}-v{found.version}.csv"
        return StreamingResponse(_csv(all_members(copy, node, promotional=promotional)), media_type="text/csv",
                                 headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    page = members(copy, node, promotional=promotional, after=after, limit=limit + 1)
    more = len(page) > limit
    page = page[:limit]
    return _json({"segment_id": found.segment_id, "version": found.version, "members": page,
                  "next": page[-1] if more else None, "as_of": _iso(copy.at_us)})


def _live_members(runtime: Any, found: StoredSegment, live: int | None, after: str | None, limit: int,
                  wants_csv: bool) -> Response:
    if live is None:
        raise HTTPException(409, detail=f"segment {found.segment_id} is not live: put it live "
                                        f"(POST /v1/segments/{found.segment_id}/live) for real-time members")
    as_of = _now_us()
    with runtime.fresh() as conn:
        found_members = realtime_members(conn, found.segment_id)
    if wants_csv:
        filename = f"segment-{found.segment_id}-v{live}-live.csv"
        return StreamingResponse(_csv(pid for pid, _ in found_members), media_type="text/csv",
                                 headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    rest = [m for m in found_members if after is None or m[0] > after]
    page = rest[:limit]
    return _json({"segment_id": found.segment_id, "version": live, "source": "live",
                  "members": [pid for pid, _ in page],
                  "entered": {pid: _iso(at) for pid, at in page},
                  "next": page[-1][0] if len(rest) > limit else None, "as_of": _iso(as_of)})
