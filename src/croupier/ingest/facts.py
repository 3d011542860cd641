"""Appending Croupier's own facts (limit set, exclusion started, ...) to the event log inside
the caller's transaction, so a protection record and the fact the engine folds commit
together or not at all."""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy import Connection

from croupier.events import Event, encode_fact
from croupier.players import micros
from croupier.store import eventlog


def append_facts(conn: Connection, facts: Sequence[Event], received_us: int | None = None) -> list[tuple[int, Event, int]]:
    """Append `facts` (ids must be unique and deterministic: a retry must not double them);
    returns (seq, fact, received_us) for those stored, ready for `Engine.submit` after commit."""
    received_us = received_us or time.time_ns() // 1000
    rows = [(f.event_id, f.player_id, f.brand, f.__struct_config__.tag, micros(f.occurred_at),
             received_us, encode_fact(f).decode()) for f in facts]
    stored = eventlog.append(conn, rows)
    return sorted(((stored[f.event_id], f, received_us) for f in facts if f.event_id in stored),
                  key=lambda item: item[0])
