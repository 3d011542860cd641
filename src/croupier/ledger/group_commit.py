"""Group commit: many postings, one durable commit.

Every posting appends to the event log, and the log is written by one transaction at a
time (SQLite's single writer; on PostgreSQL an advisory lock held to commit, so that log
order is commit order), so one transaction per request caps the wallet at about one request
per fsync. Here a single writer thread per process takes every request waiting, runs each
in its own SAVEPOINT (a refusal or an error rolls back that request only), commits once,
then answers them all. Nobody is answered before the commit that holds their posting is
durable, and the postings run one after another inside it, so limit checks see every
earlier posting: the same guarantees as one transaction per request, at a fraction of the
fsyncs. On PostgreSQL the batch takes the log's append lock first, before any wallet row,
so batches of several API processes queue in one lock order and cannot deadlock."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy import Connection

from croupier.store import Database
from croupier.store.eventlog import lock_for_append

T = TypeVar("T")
MAX_BATCH = 256
IDLE_SECONDS = 2.0


class GroupCommit:
    def __init__(self, db: Database, after_commit: Callable[[list[Any]], None] | None = None):
        """`after_commit(results)` runs on the writer thread after each batch is answered: the
        place to hand the batch's events to the engine without a second SQLite writer (its
        reads take the write lock too) competing for the database lock."""
        self.db, self.after_commit = db, after_commit
        self._queue: queue.SimpleQueue[tuple[Callable[[Connection], Any], Future]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._writer: threading.Thread | None = None
        self.batches = 0
        self.requests = 0

    def run(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in the next group transaction; returns once it is durably committed
        (or raises what `work` raised, with its savepoint rolled back)."""
        return self.submit(work).result()

    def submit(self, work: Callable[[Connection], T]) -> Future:
        """The same without blocking: a future (asyncio callers wrap it)."""
        future: Future = Future()
        self._queue.put((work, future))
        self._ensure_writer()
        return future

    def _ensure_writer(self) -> None:
        with self._lock:
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(target=self._loop, name="croupier-ledger-commit", daemon=True)
                self._writer.start()

    def _loop(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:   # exit when idle; a new request starts a new writer
                    if self._queue.empty():
                        self._writer = None
                        return
                continue
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._commit(batch)

    def _commit(self, batch: list[tuple[Callable[[Connection], Any], Future]]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            with self.db.engine.begin() as conn:
                lock_for_append(conn)
                raw = conn.connection.driver_connection   # savepoints without the expression layer
                for work, _ in batch:
                    raw.execute("SAVEPOINT posting")
                    try:
                        result = work(conn)
                    except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                        raw.execute("ROLLBACK TO posting")
                        raw.execute("RELEASE posting")
                        outcomes.append((False, exc))
                    else:
                        raw.execute("RELEASE posting")
                        outcomes.append((True, result))
        except BaseException as exc:  # noqa: BLE001 - the commit failed: nobody's posting stands
            for _, future in batch:
                future.set_exception(exc)
            return
        self.batches += 1
        self.requests += len(batch)
        for (ok, value), (_, future) in zip(outcomes, batch, strict=True):
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        if self.after_commit is not None:
            try:
                self.after_commit([value for ok, value in outcomes if ok])
            except Exception:  # noqa: BLE001 - committed and answered; the hook logs its own failures
                pass
