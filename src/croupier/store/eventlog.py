"""The event log: append (deduplicated on event_id), read in log order, read one player's history."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, func, select

from croupier.store.schema import events

# Rows per statement: SQLite allows 32,766 bound variables; 8 columns per row.
_CHUNK = 2_000


COLUMNS = ("event_id", "player_id", "brand", "type", "occurred_at_us", "received_at_us", "payload")


def append(conn: Connection, rows: Sequence[tuple]) -> dict[str, int]:
    """Append rows (tuples in COLUMNS order). Returns event_id -> seq for the rows stored;
    the missing ones were duplicates of events already in the log."""
    if not rows:
        return {}
    if conn.dialect.name == "sqlite":
        return _append_sqlite(conn, rows)
    return _append_postgres(conn, rows)


# Up to this many rows go in as one multi-row INSERT; more through COPY and a staging table.
_SMALL_APPEND = 64
_APPEND_LOCK = 7201


def lock_for_append(conn: Connection) -> None:
    """PostgreSQL: take the log's append lock now (held to the end of the transaction).
    A transaction that will append after taking row locks takes it first, so every appender
    takes its locks in one order: the append lock, then rows. (SQLite: nothing to do, its
    writer already holds the database.)"""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_APPEND_LOCK})")


def _append_postgres(conn: Connection, rows: Sequence[tuple]) -> dict[str, int]:
    """COPY the batch into a session-local staging table, then move it into the log in batch
    order in one statement. An advisory lock serialises appends so that log order (seq) is
    also commit order: the engine's cursor can never skip a row that commits late.

    Small appends (a wallet posting's one or two events, a staff action's facts) skip the
    staging table: creating, filling and truncating it cost milliseconds per call, several
    times the insert itself. Rows of one INSERT ... VALUES take their seq in list order."""
    cursor = conn.connection.dbapi_connection.cursor()
    cursor.execute(f"SELECT pg_advisory_xact_lock({_APPEND_LOCK})")
    if len(rows) <= _SMALL_APPEND:
        values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(rows))
        cursor.execute(f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES {values} "
                       "ON CONFLICT (event_id) DO NOTHING RETURNING event_id, seq",
                       [value for row in rows for value in row])
        stored = dict(cursor.fetchall())
        cursor.close()
        return stored
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS incoming_events (ord integer, event_id varchar(128), "
        "player_id varchar(128), brand varchar(128), type varchar(48), occurred_at_us bigint, "
        "received_at_us bigint, payload text) ON COMMIT DELETE ROWS")
    columns = ", ".join(COLUMNS)
    with cursor.copy(f"COPY incoming_events (ord, {columns}) FROM STDIN") as copy:
        for ord_, row in enumerate(rows):
            copy.write_row((ord_, *row))
    cursor.execute(f"INSERT INTO events ({columns}) SELECT {columns} FROM incoming_events ORDER BY ord "
                   "ON CONFLICT (event_id) DO NOTHING RETURNING event_id, seq")
    stored = dict(cursor.fetchall())
    cursor.execute("TRUNCATE incoming_events")
    cursor.close()
    return stored


def _append_sqlite(conn: Connection, rows: Sequence[tuple]) -> dict[str, int]:
    """SQLite holds the write lock for the whole transaction (BEGIN IMMEDIATE), so every row
    above the previous maximum seq is one of ours: no RETURNING round trip per row."""
    cursor = conn.connection.dbapi_connection.cursor()
    before = cursor.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
    cursor.executemany(
        f"INSERT OR IGNORE INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", rows)
    if cursor.rowcount == len(rows):  # no duplicates: the rowids are the next ones, in order
        stored = {row[0]: before + i for i, row in enumerate(rows, start=1)}
    else:
        stored = dict(cursor.execute("SELECT event_id, seq FROM events WHERE seq > ?", (before,)).fetchall())
    cursor.close()
    return stored


def existing_ids(conn: Connection, event_ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(event_ids), _CHUNK):
        chunk = event_ids[start:start + _CHUNK]
        found.update(conn.execute(select(events.c.event_id).where(events.c.event_id.in_(chunk))).scalars())
    return found


def read_after(conn: Connection, after_seq: int, limit: int) -> list[tuple[int, str, int]]:
    """(seq, payload, received_at_us) of the next `limit` events after `after_seq`."""
    stmt = (select(events.c.seq, events.c.payload, events.c.received_at_us)
            .where(events.c.seq > after_seq).order_by(events.c.seq).limit(limit))
    return [tuple(r) for r in conn.execute(stmt)]


def count_between(conn: Connection, after_seq: int, last_seq: int) -> int:
    stmt = select(func.count()).select_from(events).where(events.c.seq > after_seq, events.c.seq <= last_seq)
    return conn.execute(stmt).scalar_one()


def max_seq(conn: Connection) -> int:
    return conn.execute(select(func.coalesce(func.max(events.c.seq), 0))).scalar_one()


def player_history(conn: Connection, player_id: str, up_to_seq: int | None = None,
                   limit: int | None = None, newest_first: bool = False) -> list[tuple[int, str, int]]:
    """(seq, payload, received_at_us) of one player's events in log order."""
    stmt = select(events.c.seq, events.c.payload, events.c.received_at_us).where(events.c.player_id == player_id)
    if up_to_seq is not None:
        stmt = stmt.where(events.c.seq <= up_to_seq)
    stmt = stmt.order_by(events.c.seq.desc() if newest_first else events.c.seq)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [tuple(r) for r in conn.execute(stmt)]


def find(conn: Connection, player_id: str, event_id: str, before_seq: int) -> tuple[int, str] | None:
    """(seq, payload) of one player's event stored before `before_seq`, if any."""
    stmt = select(events.c.seq, events.c.payload).where(
        events.c.event_id == event_id, events.c.player_id == player_id, events.c.seq < before_seq)
    row = conn.execute(stmt).first()
    return (row[0], row[1]) if row is not None else None
