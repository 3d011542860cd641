"""The engine lease: at most one engine per database processes the log at a time."""

from __future__ import annotations

import time

from sqlalchemy import Connection, or_, select

from croupier.store.schema import engine_cursor
from croupier.store.upsert import insert_ignore

LEASE_SECONDS = 15


def acquire(conn: Connection, name: str, owner: str) -> bool:
    """Take or renew the lease named `name` for `owner`; False while another owner holds it."""
    now = time.time_ns() // 1000
    insert_ignore(conn, engine_cursor, [{"name": name, "seq": 0, "owner": None, "lease_until_us": 0}])
    result = conn.execute(
        engine_cursor.update()
        .where(engine_cursor.c.name == name,
               or_(engine_cursor.c.owner.is_(None), engine_cursor.c.owner == owner,
                   engine_cursor.c.lease_until_us.is_(None), engine_cursor.c.lease_until_us < now))
        .values(owner=owner, lease_until_us=now + LEASE_SECONDS * 1_000_000))
    return result.rowcount == 1


def release(conn: Connection, name: str, owner: str) -> None:
    conn.execute(engine_cursor.update()
                 .where(engine_cursor.c.name == name, engine_cursor.c.owner == owner)
                 .values(owner=None, lease_until_us=0))


def holder(conn: Connection, name: str) -> str | None:
    row = conn.execute(select(engine_cursor.c.owner, engine_cursor.c.lease_until_us)
                       .where(engine_cursor.c.name == name)).first()
    if row is None or row.owner is None or (row.lease_until_us or 0) < time.time_ns() // 1000:
        return None
    return row.owner
