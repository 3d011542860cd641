"""The staff task queue's service: create a task (idempotent on its origin), take, release,
complete and cancel one, each checked by `croupier.tasks.rules` and audited in the same
transaction as the change (`task.created`, `task.taken`, `task.released`, `task.completed`,
`task.cancelled`; subject the task id, the player's id on the record), so the audit log is
also each task's history.

The journey engine calls `create_task` for a journey's task step with an origin derived from
the step's cause (`rules.origin_id`): a replay or a retry finds the task it made and audits
nothing again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from croupier.store import audit as audit_store
from croupier.store import tasks as task_store
from croupier.store.tasks import StoredTask
from croupier.tasks.rules import (
    MAX_NOTE, PRIORITIES, Source, TaskRefused, check_new, may_see, plan, priority_rank,
)

CREATED, TAKEN, RELEASED, COMPLETED, CANCELLED = (
    "task.created", "task.taken", "task.released", "task.completed", "task.cancelled")
AUDIT_KINDS = (CREATED, TAKEN, RELEASED, COMPLETED, CANCELLED)


def _audit(conn: Connection, kind: str, task: StoredTask, *, actor: str, now_us: int,
           extra: dict[str, Any] | None = None) -> None:
    body = {"task_id": task.task_id, "origin_id": task.origin_id, "queue": task.queue, "title": task.title,
            "status": task.status, "priority": PRIORITIES[task.priority],
            "source": {"kind": task.source_kind, "id": task.source_id}, **(extra or {})}
    audit_store.append(conn, [audit_store.Entry(now_us, actor=actor, kind=kind, body=body,
                                                player_id=task.player_id, subject=str(task.task_id))])


def create_task(conn: Connection, *, origin_id: str, queue: str, player_id: str, title: str, detail: str,
                priority: str, due_at_us: int | None, source: Source, now_us: int, actor: str | None = None,
                attribution: dict[str, str] | None = None) -> tuple[StoredTask, bool]:
    """A task in `queue` about `player_id`, or the one `origin_id` already names: (task, whether
    this call made it). Only a made task is audited (`task.created`, by `actor`: the engine for
    a journey's step unless named, the staff member or their API key for a manual one).
    TaskRefused (422) names a field out of bounds."""
    title = title.strip()
    check_new(origin=origin_id, queue=queue, player_id=player_id, title=title, detail=detail, priority=priority,
              source=source)
    found = task_store.by_origin(conn, origin_id)
    if found is not None:
        return found, False
    who = actor or ("engine" if source.kind == "journey" else source.id)
    task, made = task_store.insert_once(conn, {
        "origin_id": origin_id, "queue": queue, "player_id": player_id, "title": title, "detail": detail,
        "priority": priority_rank(priority), "due_at_us": due_at_us, "status": "open",
        "source_kind": source.kind, "source_id": source.id, "created_by": who, "created_at_us": now_us,
        "updated_at_us": now_us})
    if made:
        _audit(conn, CREATED, task, actor=who, now_us=now_us,
               extra={"player_id": player_id, "due_at_us": due_at_us, **(attribution or {})})
    return task, made


def _current(conn: Connection, task_id: int, role: str) -> StoredTask:
    task = task_store.get(conn, task_id, for_update=True)
    if task is None or not may_see(task.queue, role):
        raise TaskRefused(f"no task {task_id}", status=404)
    return task


def _change(conn: Connection, current: StoredTask, **values: Any) -> StoredTask:  # noqa: ANN401
    """Write a move; a colleague's move that came first (a race to take) is a 409, not a crash."""
    try:
        return task_store.change(conn, current, **values)
    except RuntimeError:
        raise TaskRefused("the task changed meanwhile: reload it and try again") from None


def _principal(actor: str, principal: str | None) -> tuple[str, dict[str, str]]:
    """The audit's actor (an API key when one acted for the staff member) and the attribution."""
    if principal is None or principal == actor:
        return actor, {}
    return principal, {"on_behalf_of": actor}


def take(conn: Connection, task_id: int, *, actor: str, role: str, now_us: int,
         principal: str | None = None) -> StoredTask:
    """`actor` takes an open task: it is theirs to work until they complete or release it."""
    current = _current(conn, task_id, role)
    status = plan("take", status=current.status, queue=current.queue, taken_by=current.taken_by, actor=actor,
                  role=role)
    task = _change(conn, current, status=status, taken_by=actor, taken_at_us=now_us, updated_at_us=now_us)
    who, attribution = _principal(actor, principal)
    _audit(conn, TAKEN, task, actor=who, now_us=now_us, extra={"taken_by": actor, **attribution})
    return task


def release(conn: Connection, task_id: int, *, actor: str, role: str, now_us: int,
            principal: str | None = None) -> StoredTask:
    """Put a taken task back in its queue (its taker, or a lead with tasks.supervise)."""
    current = _current(conn, task_id, role)
    status = plan("release", status=current.status, queue=current.queue, taken_by=current.taken_by, actor=actor,
                  role=role)
    task = _change(conn, current, status=status, taken_by=None, taken_at_us=None, updated_at_us=now_us)
    who, attribution = _principal(actor, principal)
    _audit(conn, RELEASED, task, actor=who, now_us=now_us,
           extra={"released_by": actor, "was_taken_by": current.taken_by, **attribution})
    return task


def _note(note: str, field: str) -> str:
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise TaskRefused(f"may have at most {MAX_NOTE:,} characters; this one has {len(note):,}", status=422,
                          field=field, value=None)
    return note


def complete(conn: Connection, task_id: int, *, outcome: str, note: str, actor: str, role: str, now_us: int,
             principal: str | None = None) -> StoredTask:
    """Close a taken task with one of its queue's outcomes and a note (its taker, or a lead)."""
    note = _note(note, "note")
    current = _current(conn, task_id, role)
    status = plan("complete", status=current.status, queue=current.queue, taken_by=current.taken_by, actor=actor,
                  role=role, outcome=outcome)
    task = _change(conn, current, status=status, completed_by=actor, completed_at_us=now_us,
                             outcome=outcome, note=note, updated_at_us=now_us)
    who, attribution = _principal(actor, principal)
    _audit(conn, COMPLETED, task, actor=who, now_us=now_us,
           extra={"completed_by": actor, "outcome": outcome, "note": note, **attribution})
    return task


def cancel(conn: Connection, task_id: int, *, reason: str, actor: str, role: str, now_us: int,
           principal: str | None = None) -> StoredTask:
    """Close a task that no longer needs doing, with the reason (a lead, or its taker)."""
    reason = _note(reason, "reason")
    if not reason:
        raise TaskRefused("say why the task is cancelled", status=422, field="reason", value=reason)
    current = _current(conn, task_id, role)
    status = plan("cancel", status=current.status, queue=current.queue, taken_by=current.taken_by, actor=actor,
                  role=role)
    task = _change(conn, current, status=status, completed_by=actor, completed_at_us=now_us,
                             note=reason, updated_at_us=now_us)
    who, attribution = _principal(actor, principal)
    _audit(conn, CANCELLED, task, actor=who, now_us=now_us, extra={"cancelled_by": actor, "reason": reason,
                                                                  **attribution})
    return task
