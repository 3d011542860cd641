"""Concurrent ingest: several clients post overlapping batches (shared event ids) at the same
moment. Every event is stored exactly once, the acknowledgements add up, and the engine's
states are exactly what a replay of the log gives. Runs on PostgreSQL and SQLite."""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from croupier.store.states import encode

from . import Script, body, snapshot, stored_ids

THREADS, BATCHES_PER_THREAD, BATCH = 4, 3, 45


def _facts_per_player(db) -> Counter:  # noqa: ANN001
    """Croupier's own facts in the log, per player: the engine folds them too."""
    from sqlalchemy import select

    from croupier.store.schema import events

    with db.engine.connect() as conn:
        return Counter(conn.execute(select(events.c.player_id).where(events.c.type.like("croupier.%"))).scalars())


def event_pool() -> list[dict]:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    pool = []
    for p in range(6):
        s = Script(f"cp{p}", currency="EUR")
        t0 = now - timedelta(hours=2)
        pool.append(s.registered(t0))
        for i in range(9):
            at = t0 + timedelta(minutes=5 * i + 1)
            pool += [s.deposit(at, f"{10 + i}.00"), s.bet(at + timedelta(seconds=30), f"{i + 1}.50", f"b{i}")]
        pool.append(s.rollback(now - timedelta(minutes=1), pool[-1]))
    return pool


def test_overlapping_batches_posted_at_once_are_stored_once(app_client):
    pool = event_pool()
    rng = random.Random(3)
    plans = [[rng.sample(pool, BATCH) for _ in range(BATCHES_PER_THREAD)] for _ in range(THREADS)]
    start = threading.Barrier(THREADS)

    def client(batches: list[list[dict]]) -> list[dict]:
        start.wait()
        out = []
        for batch in batches:
            response = app_client.post("/v1/events", content=body(batch))
            assert response.status_code == 200, response.text
            out.append(response.json())
        return out

    with ThreadPoolExecutor(THREADS) as workers:
        results = [r for rs in workers.map(client, plans) for r in rs]

    sent = [e["event_id"] for plan in plans for batch in plan for e in batch]
    unique = set(sent)
    runtime = app_client.app.state.runtime
    stored = stored_ids(runtime.db)
    assert sorted(stored) == sorted(unique)                        # each exactly once
    assert sum(r["accepted"] for r in results) == len(unique)
    assert sum(r["duplicates"] for r in results) == len(sent) - len(unique)
    assert all(r["rejected"] == [] for r in results)

    engine = runtime.engine
    engine.flush()
    per_player = Counter(e["player_id"] for e in pool if e["event_id"] in unique)
    per_player.update(_facts_per_player(runtime.db))    # e.g. each registration's register check
    assert {pid: s.event_count for pid, s in engine.states.items()} == dict(per_player)
    live = {pid: encode(s) for pid, s in engine.states.items()}
    persisted = snapshot(runtime.db)
    assert persisted["states"] == live
    engine.reset()
    report = engine.process_pending()
    engine.flush()
    assert snapshot(runtime.db)["states"] == live                 # live == replay of the log
    assert report.decisions == 0 and report.mismatched_decisions == []
    subjects = [s for s, _ in persisted["audit"]]
    assert len(subjects) == len(set(subjects))
