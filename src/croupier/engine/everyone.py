"""What the engine's shells share outside the fold: every player's state for those that scan
them all (the segment sweep, the journey scheduler, reloading journey timers and held
messages after a start), and a heap of facts to write when due, each once.

`every_state` yields the engine's own state where it holds one (newer than the stored
snapshot), else the stored one, in player-id order, loaded a chunk at a time so memory stays
bounded by the chunk."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from croupier.events import Event
from croupier.ingest.facts import append_facts
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


def write_facts(engine: Any, facts: Sequence[Event], chunk: int = CHUNK) -> int:
    """Append facts the engine writes itself (deterministic ids: those stored already are
    skipped), a chunk per transaction, and let it fold them; returns how many were stored."""
    written = 0
    for start in range(0, len(facts), chunk):
        with engine.db.engine.begin() as conn:
            stored = append_facts(conn, facts[start:start + chunk])
        written += len(stored)
        if stored:
            engine.submit(stored)
    return written


@dataclass(slots=True)
class DueHeap:
    """Facts to write when due (journey timers, held messages' asks), by due time: each item
    is `(due_us, fact_id, ...)`, kept once by its fact id until it is taken; `loaded` says the
    heap was filled from the states since the engine started."""

    heap: list[tuple[Any, ...]] = field(default_factory=list)
    known: set[str] = field(default_factory=set)
    loaded: bool = False

    def add(self, due_us: int, fact_id: str, *rest: Any) -> None:
        if fact_id not in self.known:
            self.known.add(fact_id)
            heapq.heappush(self.heap, (due_us, fact_id, *rest))

    def due(self, now_us: int) -> list[tuple[Any, ...]]:
        """Take the items due by `now_us`, earliest first."""
        out = []
        while self.heap and self.heap[0][0] <= now_us:
            item = heapq.heappop(self.heap)
            self.known.discard(item[1])
            out.append(item)
        return out

    def refill(self, engine: Any, fill: Callable[[DueHeap, PlayerState], None]) -> None:
        """Found again from every player's state (after a start or a rewind)."""
        self.heap.clear()
        self.known.clear()
        for state in every_state(engine):
            fill(self, state)
        self.loaded = True

    def write_due(self, engine: Any, now_us: int, fill: Callable[[DueHeap, PlayerState], None],
                  fact_of: Callable[..., Event]) -> int:
        """Write the facts of the items due by `now_us` (`fact_of(*item)`), filled from the
        states first if not yet; returns how many were stored."""
        if not self.loaded:
            self.refill(engine, fill)
        due = self.due(now_us)
        return write_facts(engine, [fact_of(*item) for item in due]) if due else 0
