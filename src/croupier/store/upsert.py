"""Dialect-aware INSERT ... ON CONFLICT, the one SQL feature SQLite and PostgreSQL spell alike
but SQLAlchemy exposes per dialect."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Connection, Table, case, literal
from sqlalchemy.dialects import postgresql, sqlite

# The largest magnitude a saturating total holds: a 64-bit column's range (SQLite INTEGER,
# PostgreSQL bigint). A total that reaches it stays there and is reported as saturated.
TOTAL_MAX = 2**63 - 1


def clamp(value: int) -> int:
    """`value` within the range a saturating total holds."""
    return max(-TOTAL_MAX, min(TOTAL_MAX, value))


def saturated(value: int) -> bool:
    return value >= TOTAL_MAX or value <= -TOTAL_MAX


def saturating_sum(total: ColumnElement, inc: ColumnElement) -> ColumnElement:
    """`total + inc` held within +-TOTAL_MAX, and sticky once there: SQLite would turn an
    overflowing sum into an inexact REAL and PostgreSQL would fail the transaction. Nested
    CASEs so `TOTAL_MAX - inc` is only evaluated where it cannot overflow itself."""
    top, bottom = literal(TOTAL_MAX, BigInteger), literal(-TOTAL_MAX, BigInteger)
    return case(
        (total >= top, total), (total <= bottom, total),
        (inc > 0, case((total > top - inc, top), else_=total + inc)),
        (inc < 0, case((total < bottom - inc, bottom), else_=total + inc)),
        else_=total)


def _insert(conn: Connection, table: Table):  # noqa: ANN202
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def insert_ignore(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(_insert(conn, table).on_conflict_do_nothing(), rows)


def upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str],
           increment: Sequence[str] = ()) -> None:
    """Insert rows; on a key conflict overwrite the other columns, or add to `increment` ones
    (totals that saturate at +-TOTAL_MAX instead of overflowing)."""
    if not rows:
        return
    if increment:
        rows = [{k: clamp(v) if k in increment else v for k, v in row.items()} for row in rows]
    stmt = _insert(conn, table)
    updates = {}
    for name in rows[0]:
        if name in keys:
            continue
        updates[name] = (saturating_sum(table.c[name], stmt.excluded[name]) if name in increment
                         else stmt.excluded[name])
    conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=updates), rows)
