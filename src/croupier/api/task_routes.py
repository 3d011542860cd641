"""The staff task queue over the API: list and read tasks, create one by hand, and take,
release, complete (with an outcome) or cancel one.

Reads need the `read` scope; the `aml_analyst` queue is left out for a reader who names a
staff member without `aml.view` (no tipping off). Every change is a staff action with the
`tasks.work` permission (a back-office session with its CSRF token, or an `admin` key with
`X-Croupier-Actor` naming the staff member), checked by `croupier.tasks.rules` (the taker
completes and releases, a lead with `tasks.supervise` may do it for them and cancels) and
audited (`task.created`, `task.taken`, `task.released`, `task.completed`, `task.cancelled`).
Journeys create their tasks through `croupier.tasks.service.create_task`, not over HTTP."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from croupier.api.answers import iso as _iso, now_us as _now_us
from croupier.api.auth import Actor, actor, require_scope, sees_aml
from croupier.api.errors import invalid
from croupier.store import tasks as task_store
from croupier.store.tasks import StoredTask, TaskFilter
from croupier.tasks import (
    ACTIVE, DEFAULT_PRIORITY, OUTCOMES, PRIORITIES, QUEUES, STATUSES, WORK, Source, TaskRefused,
)
from croupier.tasks import service

router = APIRouter(prefix="/v1/tasks", tags=["tasks"])
MAX_REASON = 2_000
_CREATE_KEYS = {"queue", "player_id", "title", "detail", "priority", "due_at", "reason", "origin_id"}
_COMPLETE_KEYS = {"outcome", "note"}
_CANCEL_KEYS = {"reason"}
_EMPTY_KEYS: set[str] = set()
_CREATE_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "additionalProperties": False, "required": ["queue", "player_id", "title", "reason"],
    "properties": {
        "queue": {"type": "string", "enum": list(QUEUES)},
        "player_id": {"type": "string", "minLength": 1, "maxLength": 128},
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "detail": {"type": "string", "maxLength": 4000},
        "priority": {"type": "string", "enum": list(PRIORITIES), "default": DEFAULT_PRIORITY},
        "due_at": {"type": "string", "format": "date-time", "description": "RFC 3339 with an offset"},
        "reason": {"type": "string", "minLength": 1, "maxLength": MAX_REASON,
                   "description": "why the task is needed (recorded in the audit log)"},
        "origin_id": {"type": "string", "maxLength": 100, "description": "an idempotency key: sending the "
                      "same one again answers the task it made (200) instead of a second task"}}}}}}}
_COMPLETE_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "additionalProperties": False, "required": ["outcome"],
    "properties": {"outcome": {"type": "string", "description": "one of the task's queue's outcomes: "
                               + "; ".join(f"{q}: {', '.join(o)}" for q, o in OUTCOMES.items())},
                   "note": {"type": "string", "maxLength": 2000}}}}}}}
_CANCEL_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "additionalProperties": False, "required": ["reason"],
    "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": MAX_REASON}}}}}}}


def view(t: StoredTask, now_us: int | None = None) -> dict[str, Any]:
    """A task as the API (and the back office's pages) show it."""
    now_us = _now_us() if now_us is None else now_us
    return {"task_id": t.task_id, "origin_id": t.origin_id, "queue": t.queue, "player_id": t.player_id,
            "title": t.title, "detail": t.detail, "priority": PRIORITIES[t.priority], "due_at": _iso(t.due_at_us),
            "overdue": t.status in ACTIVE and t.due_at_us is not None and t.due_at_us < now_us,
            "status": t.status, "source": {"kind": t.source_kind, "id": t.source_id},
            "created_by": t.created_by, "created_at": _iso(t.created_at_us),
            "taken_by": t.taken_by, "taken_at": _iso(t.taken_at_us),
            "completed_by": t.completed_by, "completed_at": _iso(t.completed_at_us),
            "outcome": t.outcome, "note": t.note, "outcomes": list(OUTCOMES.get(t.queue, ()))}


class Invalid(Exception):
    """A request's problem: its field, message and value (answered as a 422)."""

    def __init__(self, field: str | None, message: str, value: Any = None) -> None:  # noqa: ANN401
        super().__init__(message)
        self.problem = {"field": field, "message": message, "value": value}


async def _body(request: Request, allowed: set[str]) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        body: Any = {}
    else:
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise HTTPException(400, detail=f"the body is not valid JSON ({exc}); send a JSON object") from None
    if not isinstance(body, dict):
        raise HTTPException(400, detail="the body must be a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        taken = ", ".join(sorted(allowed)) if allowed else "no fields"
        raise Invalid(unknown[0], f"is not a field this operation takes; it takes {taken}", body[unknown[0]])
    return body


def _text(body: dict[str, Any], key: str, limit: int, *, required: bool) -> str:
    value = body.get(key)
    if value is None:
        if required:
            raise Invalid(key, "is required")
        return ""
    if not isinstance(value, str):
        raise Invalid(key, "must be a string", value)
    value = value.strip()
    if required and not value:
        raise Invalid(key, "must not be empty", value)
    if len(value) > limit:
        raise Invalid(key, f"must be at most {limit:,} characters; this one has {len(value):,}")
    return value


def _moment(value: Any, field: str) -> int | None:  # noqa: ANN401
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid(field, "must be an RFC 3339 time with an offset, such as 2026-12-04T09:00:00Z", value)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(field, "must be an RFC 3339 time with an offset, such as 2026-12-04T09:00:00Z", value) \
            from None
    if moment.tzinfo is None:
        raise Invalid(field, "needs a UTC offset (…Z or …+01:00)", value)
    delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _refused(exc: TaskRefused) -> Response:
    if exc.status == 422:
        return invalid([{"field": exc.field, "message": exc.message, "value": exc.value}])
    return JSONResponse({"detail": exc.message}, status_code=exc.status)


def _task_id(task_id: str) -> int:
    if not task_id.isdigit() or len(task_id) > 18:
        raise HTTPException(404, detail=f"no task {task_id!r}: task ids are whole numbers")
    return int(task_id)


def create_now(runtime: Any, who: Actor, body: dict[str, Any]) -> tuple[StoredTask, bool]:  # noqa: ANN401
    """A task made by hand from a create body, audited as `task.created` with the reason: the
    API's operation, also the back office's. Raises Invalid or TaskRefused."""
    queue = body.get("queue")
    if not isinstance(queue, str) or queue not in QUEUES:
        raise Invalid("queue", f"must be one of {', '.join(QUEUES)}", queue)
    player_id = _text(body, "player_id", 128, required=True)
    title = _text(body, "title", 200, required=True)
    detail = _text(body, "detail", 4_000, required=False)
    priority = body.get("priority", DEFAULT_PRIORITY)
    if priority not in PRIORITIES:
        raise Invalid("priority", f"must be one of {', '.join(PRIORITIES)}", priority)
    due_at_us = _moment(body.get("due_at"), "due_at")
    reason = _text(body, "reason", MAX_REASON, required=True)
    key = _text(body, "origin_id", 100, required=False)
    origin = f"manual:{key}" if key else f"manual:{uuid.uuid4().hex}"
    with runtime.db.engine.begin() as conn:
        return service.create_task(
            conn, origin_id=origin, queue=queue, player_id=player_id, title=title, detail=detail,
            priority=priority, due_at_us=due_at_us, source=Source.manual(who.username), now_us=_now_us(),
            actor=who.principal, attribution={"reason": reason, "created_for": who.username, **who.attribution()})


def act_now(runtime: Any, who: Actor, task_id: int, action: str, body: dict[str, Any]) -> StoredTask:  # noqa: ANN401
    """Take, release, complete or cancel a task as `who`: the API's operation, also the back
    office's. Raises Invalid or TaskRefused."""
    now_us = _now_us()
    common = {"actor": who.username, "role": who.role, "now_us": now_us, "principal": who.principal}
    with runtime.db.engine.begin() as conn:
        if action == "take":
            return service.take(conn, task_id, **common)
        if action == "release":
            return service.release(conn, task_id, **common)
        if action == "complete":
            outcome = body.get("outcome")
            if not isinstance(outcome, str) or not outcome:
                raise Invalid("outcome", "is required: one of the task's queue's outcomes", outcome)
            return service.complete(conn, task_id, outcome=outcome, note=_text(body, "note", 2_000, required=False),
                                    **common)
        if action == "cancel":
            return service.cancel(conn, task_id, reason=_text(body, "reason", MAX_REASON, required=True), **common)
    raise ValueError(f"unknown action {action!r}")


def _statuses(status: str | None) -> tuple[str, ...]:
    if not status:
        return ()
    if status == "active":
        return ACTIVE
    if status not in STATUSES:
        raise Invalid("status", f"must be one of {', '.join(STATUSES)} or active (open and taken)", status)
    return (status,)


def listing_filter(queue: str | None, status: str | None, player_id: str | None, assignee: str | None,
                   aml: bool) -> TaskFilter:
    """The filter for a listing's parameters, or Invalid naming the one that is wrong."""
    if queue is not None and queue not in QUEUES:
        raise Invalid("queue", f"must be one of {', '.join(QUEUES)}", queue)
    return TaskFilter(queue=queue, statuses=_statuses(status), player_id=player_id or None,
                      assignee=assignee or None, hidden_queues=() if aml else ("aml_analyst",))


@router.get("", summary="List tasks, the oldest due first (filter by queue, status, player, assignee; "
            "a cursor pages)")
def list_tasks(request: Request,
               queue: str | None = Query(None, description=f"one of {', '.join(QUEUES)}"),
               status: str | None = Query(None, description=f"one of {', '.join(STATUSES)}, or active "
                                                            "(open and taken)"),
               player_id: str | None = Query(None, max_length=128),
               assignee: str | None = Query(None, max_length=128,
                                            description="who took it; `none`: nobody has"),
               limit: int = Query(100, ge=1, le=1_000),
               after: str | None = Query(None, max_length=64, description="the cursor: `next` of the previous page"),
               key=Depends(require_scope("read"))) -> Response:  # noqa: ANN001
    try:
        filters = listing_filter(queue, status, player_id, assignee, sees_aml(request, key))
    except Invalid as exc:
        return invalid([exc.problem])
    cursor = None
    if after is not None:
        cursor = task_store.parse_cursor(after)
        if cursor is None:
            return invalid([{"field": "after", "message": "is not a cursor this listing gave (`next`)",
                             "value": after}])
    with request.app.state.runtime.db.reader.connect() as conn:
        found = task_store.listing(conn, filters, limit=limit + 1, after=cursor)
    more = len(found) > limit
    found = found[:limit]
    now_us = _now_us()
    return JSONResponse({"tasks": [view(t, now_us) for t in found],
                         "next": task_store.cursor_of(found[-1]) if more else None})


@router.post("", summary="Create a task by hand (a staff member, with a reason)", status_code=201,
             openapi_extra=_CREATE_BODY)
async def create_task(request: Request) -> Response:
    who = await actor(request, WORK)
    try:
        body = await _body(request, _CREATE_KEYS)
        task, made = create_now(request.app.state.runtime, who, body)
    except Invalid as exc:
        return invalid([exc.problem])
    except TaskRefused as exc:
        return _refused(exc)
    return JSONResponse(view(task), status_code=201 if made else 200)


@router.get("/{task_id}", summary="A task")
def get_task(task_id: str, request: Request, key=Depends(require_scope("read"))) -> Response:  # noqa: ANN001
    with request.app.state.runtime.db.reader.connect() as conn:
        found = task_store.get(conn, _task_id(task_id))
    if found is None or (found.queue == "aml_analyst" and not sees_aml(request, key)):
        raise HTTPException(404, detail=f"no task {task_id}")
    return JSONResponse(view(found))


async def _act(request: Request, task_id: str, action: str, allowed: set[str]) -> Response:
    who = await actor(request, WORK)
    number = _task_id(task_id)
    try:
        body = await _body(request, allowed)
        task = act_now(request.app.state.runtime, who, number, action, body)
    except Invalid as exc:
        return invalid([exc.problem])
    except TaskRefused as exc:
        return _refused(exc)
    return JSONResponse(view(task))


@router.post("/{task_id}/take", summary="Take a task: it is yours to work until you complete or release it")
async def take_task(task_id: str, request: Request) -> Response:
    return await _act(request, task_id, "take", _EMPTY_KEYS)


@router.post("/{task_id}/release", summary="Put a task you took back in its queue (a lead: anyone's)")
async def release_task(task_id: str, request: Request) -> Response:
    return await _act(request, task_id, "release", _EMPTY_KEYS)


@router.post("/{task_id}/complete", summary="Close a task you took with an outcome and a note",
             openapi_extra=_COMPLETE_BODY)
async def complete_task(task_id: str, request: Request) -> Response:
    return await _act(request, task_id, "complete", _COMPLETE_KEYS)


@router.post("/{task_id}/cancel", summary="Cancel a task that no longer needs doing, with the reason (a lead, "
             "or its taker)", openapi_extra=_CANCEL_BODY)
async def cancel_task(task_id: str, request: Request) -> Response:
    return await _act(request, task_id, "cancel", _CANCEL_KEYS)
