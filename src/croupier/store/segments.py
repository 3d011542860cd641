"""Stored segments: the latest version of each in `segments`, every version in
`segment_versions`. An edit is a new version under the same id; archiving is a version too
(the definition is kept, the segment leaves the active list)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from croupier.store.schema import segment_versions, segments

PURPOSES = ("promotional", "service", "safer_play")


@dataclass(frozen=True, slots=True)
class StoredSegment:
    segment_id: int
    version: int
    name: str
    description: str
    purpose: str
    definition: str                 # the JSON form
    text: str                       # the canonical text
    created_by: str
    created_at_us: int
    updated_by: str
    updated_at_us: int
    archived: bool


@dataclass(frozen=True, slots=True)
class SegmentVersion:
    version: int
    name: str
    description: str
    purpose: str
    definition: str
    text: str
    archived: bool
    edited_by: str
    edited_at_us: int


def _stored(row: Any) -> StoredSegment:
    return StoredSegment(int(row.segment_id), row.version, row.name, row.description, row.purpose, row.definition,
                         row.text, row.created_by, row.created_at_us, row.updated_by, row.updated_at_us,
                         bool(row.archived))


def _version_row(s: StoredSegment) -> dict[str, Any]:
    return {"segment_id": s.segment_id, "version": s.version, "name": s.name, "description": s.description,
            "purpose": s.purpose, "definition": s.definition, "text": s.text, "archived": s.archived,
            "edited_by": s.updated_by, "edited_at_us": s.updated_at_us}


def create(conn: Connection, *, name: str, description: str, purpose: str, definition: str, text: str,
           actor: str, now_us: int) -> StoredSegment:
    values = {"version": 1, "name": name, "description": description, "purpose": purpose, "definition": definition,
              "text": text, "created_by": actor, "created_at_us": now_us, "updated_by": actor,
              "updated_at_us": now_us, "archived": False}
    segment_id = conn.execute(insert(segments).values(values).returning(segments.c.segment_id)).scalar_one()
    stored = StoredSegment(int(segment_id), **values)
    conn.execute(insert(segment_versions).values(_version_row(stored)))
    return stored


def get(conn: Connection, segment_id: int, *, for_update: bool = False) -> StoredSegment | None:
    stmt = select(segments).where(segments.c.segment_id == segment_id)
    row = conn.execute(stmt.with_for_update() if for_update else stmt).first()
    return None if row is None else _stored(row)


def active_named(conn: Connection, name: str) -> StoredSegment | None:
    """The active (not archived) segment of that name, names compared without case."""
    row = conn.execute(select(segments).where(func.lower(segments.c.name) == name.lower(),
                                              segments.c.archived.is_(False)).limit(1)).first()
    return None if row is None else _stored(row)


def listing(conn: Connection, *, archived: bool = False, purpose: str | None = None) -> list[StoredSegment]:
    stmt = select(segments).order_by(segments.c.segment_id)
    if not archived:
        stmt = stmt.where(segments.c.archived.is_(False))
    if purpose is not None:
        stmt = stmt.where(segments.c.purpose == purpose)
    return [_stored(r) for r in conn.execute(stmt)]


def versions(conn: Connection, segment_id: int) -> list[SegmentVersion]:
    rows = conn.execute(select(segment_versions).where(segment_versions.c.segment_id == segment_id)
                        .order_by(segment_versions.c.version))
    return [SegmentVersion(r.version, r.name, r.description, r.purpose, r.definition, r.text, bool(r.archived),
                           r.edited_by, r.edited_at_us) for r in rows]


def revise(conn: Connection, current: StoredSegment, *, actor: str, now_us: int, **changes: Any) -> StoredSegment:
    """A new version of `current` (read with `for_update`) with `changes` (name, description,
    purpose, definition, text, archived)."""
    allowed = {"name", "description", "purpose", "definition", "text", "archived"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)}")
    values = {**{k: getattr(current, k) for k in allowed}, **changes,
              "version": current.version + 1, "updated_by": actor, "updated_at_us": now_us}
    done = conn.execute(update(segments).where(segments.c.segment_id == current.segment_id,
                                               segments.c.version == current.version).values(values))
    if done.rowcount != 1:
        raise RuntimeError(f"segment {current.segment_id} changed meanwhile: read it again")
    stored = StoredSegment(current.segment_id, values["version"], values["name"], values["description"],
                           values["purpose"], values["definition"], values["text"], current.created_by,
                           current.created_at_us, actor, now_us, bool(values["archived"]))
    conn.execute(insert(segment_versions).values(_version_row(stored)))
    return stored
