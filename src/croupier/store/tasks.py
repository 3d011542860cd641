"""Stored staff tasks (`staff_tasks`): the SQL of the task queue. The rules are
`croupier.tasks.rules`; the service that checks them and audits every change is
`croupier.tasks.service`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from croupier.store.schema import staff_tasks

NO_DUE = 2**62          # where a task without a due time sorts: after every real one


@dataclass(frozen=True, slots=True)
class StoredTask:
    task_id: int
    origin_id: str
    queue: str
    player_id: str
    title: str
    detail: str
    priority: int
    due_at_us: int | None
    status: str
    source_kind: str
    source_id: str
    created_by: str
    created_at_us: int
    taken_by: str | None
    taken_at_us: int | None
    completed_by: str | None
    completed_at_us: int | None
    outcome: str | None
    note: str | None
    updated_at_us: int


def _stored(row: Any) -> StoredTask:  # noqa: ANN401
    m = row._mapping
    return StoredTask(**{k: m[k] for k in StoredTask.__slots__})  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class TaskFilter:
    """Which tasks a listing shows. `statuses` empty: every status; `assignee` "none": nobody
    has taken it; `hidden_queues`: queues the reader may not see (AML for most staff)."""

    queue: str | None = None
    statuses: tuple[str, ...] = ()
    player_id: str | None = None
    assignee: str | None = None
    hidden_queues: tuple[str, ...] = ()


def insert_once(conn: Connection, values: dict[str, Any]) -> tuple[StoredTask, bool]:
    """Insert a task unless one with its `origin_id` exists; (the task, whether this made it).
    ON CONFLICT DO NOTHING, so two writers racing on one origin make one task."""
    make = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    made = conn.execute(make(staff_tasks).values(values).on_conflict_do_nothing(index_elements=["origin_id"])
                        .returning(staff_tasks.c.task_id)).scalar()
    found = by_origin(conn, values["origin_id"])
    assert found is not None
    return found, made is not None


def by_origin(conn: Connection, origin_id: str) -> StoredTask | None:
    row = conn.execute(select(staff_tasks).where(staff_tasks.c.origin_id == origin_id)).first()
    return None if row is None else _stored(row)


def get(conn: Connection, task_id: int, *, for_update: bool = False) -> StoredTask | None:
    stmt = select(staff_tasks).where(staff_tasks.c.task_id == task_id)
    row = conn.execute(stmt.with_for_update() if for_update else stmt).first()
    return None if row is None else _stored(row)


def change(conn: Connection, current: StoredTask, **values: Any) -> StoredTask:  # noqa: ANN401
    """Write `values` to a task still as `current` was read (same status and updated time);
    RuntimeError if another change came first."""
    t = staff_tasks
    done = conn.execute(update(t).where(t.c.task_id == current.task_id, t.c.status == current.status,
                                        t.c.updated_at_us == current.updated_at_us).values(values))
    if done.rowcount != 1:
        raise RuntimeError(f"task {current.task_id} changed meanwhile: read it again")
    found = get(conn, current.task_id)
    assert found is not None
    return found


def _due_key() -> Any:  # noqa: ANN401
    return func.coalesce(staff_tasks.c.due_at_us, literal(NO_DUE))


def listing(conn: Connection, filters: TaskFilter, *, limit: int = 100,
            after: tuple[int, int] | None = None) -> list[StoredTask]:
    """Tasks in due order (the oldest due first, those without a due time last, then by id),
    `limit` of them after the cursor `after` = (due key, task id) of the previous page's last."""
    t = staff_tasks
    stmt = select(t).order_by(_due_key(), t.c.task_id).limit(limit)
    if filters.queue:
        stmt = stmt.where(t.c.queue == filters.queue)
    if filters.statuses:
        stmt = stmt.where(t.c.status.in_(filters.statuses))
    if filters.player_id:
        stmt = stmt.where(t.c.player_id == filters.player_id)
    if filters.assignee == "none":
        stmt = stmt.where(t.c.taken_by.is_(None))
    elif filters.assignee:
        stmt = stmt.where(t.c.taken_by == filters.assignee)
    if filters.hidden_queues:
        stmt = stmt.where(t.c.queue.not_in(filters.hidden_queues))
    if after is not None:
        due, task_id = after
        stmt = stmt.where(or_(_due_key() > due, and_(_due_key() == due, t.c.task_id > task_id)))
    return [_stored(r) for r in conn.execute(stmt)]


def cursor_of(task: StoredTask) -> str:
    """The cursor after `task` in due order: "<due key>.<task id>"."""
    return f"{task.due_at_us if task.due_at_us is not None else NO_DUE}.{task.task_id}"


def parse_cursor(cursor: str) -> tuple[int, int] | None:
    due, _, task_id = cursor.partition(".")
    if not (due.isdigit() and task_id.isdigit()) or len(due) > 19 or len(task_id) > 19:
        return None
    return int(due), int(task_id)
