"""Dialect-aware INSERT ... ON CONFLICT, the one SQL feature SQLite and PostgreSQL spell alike
but SQLAlchemy exposes per dialect."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def _insert(conn: Connection, table: Table):  # noqa: ANN202
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def insert_ignore(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(_insert(conn, table).on_conflict_do_nothing(), rows)


def upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str],
           increment: Sequence[str] = ()) -> None:
    """Insert rows; on a key conflict overwrite the other columns, or add to `increment` ones."""
    if not rows:
        return
    stmt = _insert(conn, table)
    updates = {}
    for name in rows[0]:
        if name in keys:
            continue
        updates[name] = table.c[name] + stmt.excluded[name] if name in increment else stmt.excluded[name]
    conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=updates), rows)
