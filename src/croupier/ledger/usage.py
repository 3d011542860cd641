"""Limit usage per local day (written with each posting) and wallet session time."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection

from croupier.ledger import sql
from croupier.players import micros
from croupier.protection.limits_check import Usage
from croupier.protection.limits_periods import Window

COLUMNS = sql.USAGE_COLUMNS


def read_all(conn: Connection, player_id: str, windows: Mapping[str, Window]) -> dict[str, dict[str, Usage]]:
    """Usage in each window per currency it was posted in (a limit counts them all, converted)."""
    if not windows:
        return {}
    first = min(w.first_day for w in windows.values())
    out: dict[str, dict[str, Usage]] = {}
    for row in sql.SELECT_USAGE_ALL.all(conn, {"p": player_id, "first": first}):
        per_period = out.setdefault(row[0], {})
        for period, w in windows.items():
            if w.first_day <= row[1] <= w.today:
                u = per_period.setdefault(period, Usage())
                for i, name in enumerate(COLUMNS):
                    setattr(u, name, getattr(u, name) + row[i + 2])
    return out


def add(conn: Connection, player_id: str, currency: str, day: int, delta: Usage) -> None:
    values = {c: getattr(delta, c) for c in COLUMNS}
    if not any(values.values()):
        return
    sql.UPSERT_USAGE.execute(conn, {"player_id": player_id, "currency": currency, "day": day, **values}).close()


def session_seconds(conn: Connection, player_id: str, start_us: int, now_us: int) -> int:
    """Seconds of wallet sessions inside [start, now]; an open session counts up to now."""
    rows = sql.SELECT_SESSIONS.all(conn, {"p": player_id, "now": now_us, "start": start_us})
    total = 0
    for started, ended in rows:
        end = now_us if ended is None else min(ended, now_us)
        total += max(0, end - max(started, start_us))
    return total // 1_000_000


def with_sessions(conn: Connection, player_id: str, usage: dict[str, Usage], windows: Mapping[str, Window],
                  periods: set[str], now_us: int) -> None:
    """Fill in session seconds for the periods that have a session-time limit."""
    for period in periods:
        w = windows[period]
        u = usage.get(period) or Usage()
        u.session_seconds = session_seconds(conn, player_id, micros(w.start), now_us)
        usage[period] = u
