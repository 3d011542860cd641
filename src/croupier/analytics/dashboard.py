"""The live dashboard's figures, read from the totals the engine keeps per batch."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, func, select

from croupier.events import format_amount
from croupier.store.schema import daily_totals, events, minute_counts, players
from croupier.store.upsert import saturated

DAY_US = 86_400_000_000
MINUTE_US = 60_000_000


def dashboard(conn: Connection, now_us: int | None = None, minutes: int = 60, days: int = 14) -> dict[str, Any]:
    now_us = now_us or time.time_ns() // 1000
    this_minute, today = now_us // MINUTE_US, now_us // DAY_US
    per_minute = dict(conn.execute(select(minute_counts.c.minute, minute_counts.c.events)
                                   .where(minute_counts.c.minute > this_minute - minutes)).all())
    series = [{"minute": (this_minute - minutes + 1 + i) * 60, "events": per_minute.get(this_minute - minutes + 1 + i, 0)}
              for i in range(minutes)]
    last_full = per_minute.get(this_minute - 1, 0)
    current = per_minute.get(this_minute, 0)
    seconds_into = (now_us % MINUTE_US) / 1_000_000
    rate = max(last_full / 60, current / seconds_into if seconds_into >= 5 else 0)
    day_rows = conn.execute(select(daily_totals).where(daily_totals.c.day > today - days)).all()
    by_currency: dict[str, dict[str, Any]] = {}
    daily: dict[str, list[dict[str, Any]]] = {}
    for r in day_rows:
        # a total at the 64-bit bound stopped there (store/upsert.py): shown, and named as such
        capped = [name for name, value in (("deposits", r.deposits_minor), ("deposit_count", r.deposit_count),
                                           ("stakes", r.stakes_minor), ("wins", r.wins_minor)) if saturated(value)]
        daily.setdefault(r.currency, []).append({
            "day": r.day * 86_400, "deposits": _signed(r.deposits_minor, r.currency),
            "ggr": _signed(r.stakes_minor - r.wins_minor, r.currency), "saturated": capped})
        if r.day == today:
            by_currency[r.currency] = {
                "deposits": _signed(r.deposits_minor, r.currency), "deposit_count": r.deposit_count,
                "stakes": _signed(r.stakes_minor, r.currency),
                "wins": _signed(r.wins_minor, r.currency),
                "ggr": _signed(r.stakes_minor - r.wins_minor, r.currency), "saturated": capped}
    for rows in daily.values():
        rows.sort(key=lambda row: row["day"])
    active_since = now_us - DAY_US
    return {
        "as_of": now_us // 1_000_000,
        "events_per_second": round(rate, 1),
        "events_last_minute": last_full,
        "events_total": conn.execute(select(func.count()).select_from(events)).scalar_one(),
        "players_total": conn.execute(select(func.count()).select_from(players)).scalar_one(),
        "active_players_24h": conn.execute(select(func.count()).select_from(players)
                                           .where(players.c.last_event_at_us >= active_since)).scalar_one(),
        "today": by_currency,
        "events_per_minute": series,
        "daily": daily,
    }


def _signed(minor: int, currency: str) -> str:
    return format_amount(minor, currency) if minor >= 0 else "-" + format_amount(-minor, currency)
