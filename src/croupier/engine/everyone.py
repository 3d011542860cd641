"""Every player's state, for the engine's shells that scan them all (the segment sweep, the
journey scheduler, reloading journey timers and held messages after a start): the engine's
own state where it holds one (newer than the stored snapshot), else the stored one, in
player-id order, loaded a chunk at a time so memory stays bounded by the chunk."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from croupier.players import PlayerState
from croupier.store import states as state_store
from croupier.store.schema import player_state

CHUNK = 2_000


def every_state(engine: Any, chunk: int = CHUNK) -> Iterator[PlayerState]:
    with engine.db.reader.connect() as conn:
        ids = {r[0] for r in conn.execute(select(player_state.c.player_id))}
    with engine._lock:
        ids.update(engine.states)
    ordered = sorted(ids)
    for start in range(0, len(ordered), chunk):
        part = ordered[start:start + chunk]
        with engine._lock:
            held = {pid: engine.states[pid] for pid in part if pid in engine.states}
        rest = [pid for pid in part if pid not in held]
        if rest:
            with engine.db.reader.connect() as conn:
                held.update(state_store.load(conn, rest))
        for pid in part:
            if pid in held:
                yield held[pid]
