"""Events the engine set aside: kept in the log, recorded here with the error, and skipped
by the engine and by a replay."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from croupier.store.schema import engine_quarantine, events
from croupier.store.upsert import insert_ignore


def add(conn: Connection, seq: int, error: str, at_us: int) -> dict[str, Any]:
    """Quarantine the event at log position `seq` (idempotent); returns its record."""
    row = conn.execute(select(events.c.event_id, events.c.player_id, events.c.type)
                       .where(events.c.seq == seq)).first()
    record = {"seq": seq, "event_id": row.event_id if row else None, "player_id": row.player_id if row else None,
              "type": row.type if row else None, "error": error[:2000], "quarantined_at_us": at_us}
    insert_ignore(conn, engine_quarantine, [record])
    return record


def positions(conn: Connection) -> set[int]:
    return set(conn.execute(select(engine_quarantine.c.seq)).scalars())


def count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(engine_quarantine)).scalar_one()


def listing(conn: Connection, limit: int = 100, after_seq: int = 0) -> list[dict[str, Any]]:
    """Quarantined events in log order, from after `after_seq`, as the API shows them."""
    stmt = (select(engine_quarantine).where(engine_quarantine.c.seq > after_seq)
            .order_by(engine_quarantine.c.seq).limit(limit))
    return [_shown(r) for r in conn.execute(stmt)]


def _shown(row: Any) -> dict[str, Any]:
    out = {k: v for k, v in row._mapping.items() if k != "quarantined_at_us"}
    out["quarantined_at"] = row.quarantined_at_us // 1_000_000   # Unix seconds, as elsewhere in the API
    return out


def latest(conn: Connection) -> dict[str, Any] | None:
    row = conn.execute(select(engine_quarantine).order_by(engine_quarantine.c.seq.desc()).limit(1)).first()
    return _shown(row) if row is not None else None
