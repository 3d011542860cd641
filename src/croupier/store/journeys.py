"""Stored journeys: one row per journey in `journeys` (its key, status and live version, and
the name, purpose, group and priority of its latest version, for lists), every saved
definition in `journey_versions`. The SQL only: what may change and when is decided by
`croupier.journeys.publishing`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from croupier.store.schema import journey_versions, journeys

STATUSES = ("draft", "live", "paused", "archived")


@dataclass(frozen=True, slots=True)
class StoredJourney:
    journey_id: int
    key: str
    name: str
    purpose: str
    group: str
    priority: int
    status: str                     # draft | live | paused | archived
    latest_version: int
    live_version: int | None        # the version running (live) or stopped (paused); None: never published
    created_by: str
    created_at_us: int
    updated_by: str
    updated_at_us: int


@dataclass(frozen=True, slots=True)
class JourneyVersion:
    journey_id: int
    version: int
    definition: str                 # the JSON form, its `version` field equal to `version`
    created_by: str
    created_at_us: int
    note: str


def _stored(row: Any) -> StoredJourney:
    return StoredJourney(int(row.journey_id), row.key, row.name, row.purpose, row.group, int(row.priority),
                         row.status, int(row.latest_version), None if row.live_version is None else int(row.live_version),
                         row.created_by, int(row.created_at_us), row.updated_by, int(row.updated_at_us))


def _version(row: Any) -> JourneyVersion:
    return JourneyVersion(int(row.journey_id), int(row.version), row.definition, row.created_by,
                          int(row.created_at_us), row.note)


def create(conn: Connection, *, key: str, name: str, purpose: str, group: str, priority: int, definition: str,
           actor: str, now_us: int, note: str = "") -> StoredJourney:
    """A new journey in draft with its version 1 (`definition` already says version 1)."""
    values = {"key": key, "name": name, "purpose": purpose, "group": group, "priority": priority,
              "status": "draft", "latest_version": 1, "live_version": None, "created_by": actor,
              "created_at_us": now_us, "updated_by": actor, "updated_at_us": now_us}
    journey_id = conn.execute(insert(journeys).values(values).returning(journeys.c.journey_id)).scalar_one()
    conn.execute(insert(journey_versions).values(journey_id=journey_id, version=1, definition=definition,
                                                 created_by=actor, created_at_us=now_us, note=note))
    return StoredJourney(int(journey_id), **values)  # type: ignore[arg-type]


def get(conn: Connection, journey_id: int, *, for_update: bool = False) -> StoredJourney | None:
    stmt = select(journeys).where(journeys.c.journey_id == journey_id)
    row = conn.execute(stmt.with_for_update() if for_update else stmt).first()
    return None if row is None else _stored(row)


def by_key(conn: Connection, key: str) -> StoredJourney | None:
    row = conn.execute(select(journeys).where(journeys.c.key == key)).first()
    return None if row is None else _stored(row)


def listing(conn: Connection, *, archived: bool = False, status: str | None = None) -> list[StoredJourney]:
    """Journeys by group, then priority (highest first), then key; archived ones only when asked."""
    stmt = select(journeys).order_by(journeys.c.group, journeys.c.priority.desc(), journeys.c.key)
    if status is not None:
        stmt = stmt.where(journeys.c.status == status)
    elif not archived:
        stmt = stmt.where(journeys.c.status != "archived")
    return [_stored(r) for r in conn.execute(stmt)]


def lock_groups(conn: Connection, groups: set[str]) -> None:
    """Lock every journey row of these groups, in id order (PostgreSQL; SQLite serialises
    writers anyway): two publishes in one group then run one after the other, so the second
    sees the first live when it checks for conflicts."""
    conn.execute(select(journeys.c.journey_id).where(journeys.c.group.in_(sorted(groups)))
                 .order_by(journeys.c.journey_id).with_for_update()).all()


def version(conn: Connection, journey_id: int, number: int) -> JourneyVersion | None:
    row = conn.execute(select(journey_versions).where(journey_versions.c.journey_id == journey_id,
                                                      journey_versions.c.version == number)).first()
    return None if row is None else _version(row)


def versions(conn: Connection, journey_id: int) -> list[JourneyVersion]:
    rows = conn.execute(select(journey_versions).where(journey_versions.c.journey_id == journey_id)
                        .order_by(journey_versions.c.version))
    return [_version(r) for r in rows]


def live_definitions(conn: Connection, *, besides: int | None = None) -> list[tuple[StoredJourney, str]]:
    """Every live journey with the definition it runs (all but `besides`, a journey id)."""
    stmt = (select(journeys, journey_versions.c.definition)
            .join(journey_versions, (journey_versions.c.journey_id == journeys.c.journey_id)
                  & (journey_versions.c.version == journeys.c.live_version))
            .where(journeys.c.status == "live").order_by(journeys.c.key))
    if besides is not None:
        stmt = stmt.where(journeys.c.journey_id != besides)
    return [(_stored(r), r.definition) for r in conn.execute(stmt)]


def add_version(conn: Connection, current: StoredJourney, *, definition: str, name: str, purpose: str, group: str,
                priority: int, actor: str, now_us: int, note: str = "") -> StoredJourney:
    """Version `current.latest_version + 1` of `current` (read with `for_update`); its status
    and live version stay as they are."""
    number = current.latest_version + 1
    changes = {"name": name, "purpose": purpose, "group": group, "priority": priority, "latest_version": number,
               "updated_by": actor, "updated_at_us": now_us}
    _update(conn, current, changes)
    conn.execute(insert(journey_versions).values(journey_id=current.journey_id, version=number,
                                                 definition=definition, created_by=actor, created_at_us=now_us,
                                                 note=note))
    return _changed(current, changes)


def set_status(conn: Connection, current: StoredJourney, *, status: str, live_version: int | None, actor: str,
               now_us: int) -> StoredJourney:
    """A new status (and live version) for `current` (read with `for_update`)."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    changes = {"status": status, "live_version": live_version, "updated_by": actor, "updated_at_us": now_us}
    _update(conn, current, changes)
    return _changed(current, changes)


def _update(conn: Connection, current: StoredJourney, changes: dict[str, Any]) -> None:
    done = conn.execute(update(journeys).where(journeys.c.journey_id == current.journey_id,
                                               journeys.c.latest_version == current.latest_version,
                                               journeys.c.status == current.status).values(changes))
    if done.rowcount != 1:
        raise RuntimeError(f"journey {current.journey_id} changed meanwhile: read it again")


def _changed(current: StoredJourney, changes: dict[str, Any]) -> StoredJourney:
    from dataclasses import replace

    return replace(current, **changes)
