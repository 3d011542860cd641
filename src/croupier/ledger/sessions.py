"""Wallet play sessions: what session-time limits count. The casino opens and ends them
through the wallet API (a bet naming an unknown session opens it); each start and end is
also appended to the log as session.started / session.ended."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from croupier.events import Event
from croupier.ledger import sql
from croupier.ledger.events import session_event
from croupier.players import micros
from croupier.store.schema import ledger_sessions
from croupier.store.upsert import insert_ignore


def start(conn: Connection, player_id: str, brand: str, session_id: str, now: datetime) -> Event | None:
    """Open a session (idempotent); returns the event to append when it is new."""
    opened = sql.INSERT_SESSION.first(conn, {"player_id": player_id, "session_id": session_id,
                                             "started_at_us": micros(now), "ended_at_us": None})
    return session_event(player_id, brand, session_id, now, started=True) if opened is not None else None


def end(conn: Connection, player_id: str, brand: str, session_id: str, now: datetime) -> Event | None:
    """End a session (idempotent; an unknown one is recorded as zero length)."""
    row = _row(conn, player_id, session_id)
    if row is not None and row.ended_at_us is not None:
        return None
    if row is None:
        insert_ignore(conn, ledger_sessions, [{"player_id": player_id, "session_id": session_id,
                                               "started_at_us": micros(now), "ended_at_us": micros(now)}])
    else:
        conn.execute(ledger_sessions.update().where(ledger_sessions.c.player_id == player_id,
                                                    ledger_sessions.c.session_id == session_id)
                     .values(ended_at_us=max(micros(now), row.started_at_us)))
    return session_event(player_id, brand, session_id, now, started=False)


def _row(conn: Connection, player_id: str, session_id: str):  # noqa: ANN202
    return conn.execute(select(ledger_sessions).where(ledger_sessions.c.player_id == player_id,
                                                      ledger_sessions.c.session_id == session_id)).first()


def open_sessions(conn: Connection, player_id: str) -> list[dict]:
    rows = conn.execute(select(ledger_sessions).where(ledger_sessions.c.player_id == player_id,
                                                      ledger_sessions.c.ended_at_us.is_(None))).all()
    return [{"session_id": r.session_id, "started_at_us": r.started_at_us} for r in rows]
