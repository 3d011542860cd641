"""The engine's imperative shell: reads the log in order and runs each event through the
core (apply -> detect -> react -> gate), then records decisions (audit + outbox) per batch
and snapshots states, search rows, dashboard totals and its cursor periodically.

A crash anywhere leaves the snapshot cursor at the last snapshot, so processing resumes
from the durable log: nothing is lost, and deterministic action ids plus the audit subject
check mean nothing is sent or recorded twice.

An event that fails to process however often it is retried (it does not decode or fold, or
the database cannot hold what it adds) is found by bisection and quarantined: kept in the
log, recorded with its error in `engine_quarantine`, and skipped, so one bad event cannot
stall every player. A failure that a retry can cure (the database refuses or is away) is
retried instead, and reported as a stall (`Engine.stall`, GET /v1/health) until it passes.

The configuration is placed in the log too: an approval appends `croupier.config_activated`,
and the engine switches versions when it reaches that fact. Which version folds and decides
an event therefore depends on its log position alone, live, after a restart and in replay.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import socket
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import Connection, select
from sqlalchemy.exc import DataError, DBAPIError, SQLAlchemyError, StatementError

from croupier.compliance import Decision
from croupier.compliance.rules import rules_in_force
from croupier.engine.changes import change_fact
from croupier.engine.shadow import ShadowLane
from croupier.engine.step import step
from croupier.events import (
    CONFIG_STREAM, JOURNEY_STREAM, LOG_STREAMS, SEGMENT_STREAM, CasinoBet, CasinoWin, ConfigActivated, Deposit, Event,
    JourneyActivated, JourneyFired,
    SegmentActivated, SegmentEntered, SegmentLeft, SportsBetPlaced, SportsBetSettled, decode_stored, to_minor,
)
from croupier.players import EngineConfig, PlayerState, lifecycle_stage, micros, moment, new_state
from croupier.players.facts import SKIPPED
from croupier.journeys.run import EMPTY as NO_JOURNEYS, LiveJourneys, Outcome
from croupier.segments.live import EMPTY as NO_SEGMENTS, Change, LiveSegments
from croupier.store import Database
from croupier.store import audit as audit_store
from croupier.store import eventlog, lease, outbox, quarantine as quarantine_store, states as state_store
from croupier.store import shadows as shadow_store
from croupier.store.schema import daily_totals, engine_cursor, minute_counts
from croupier.store.upsert import upsert

logger = logging.getLogger("croupier.engine")

DAY_US = 86_400_000_000
MINUTE_US = 60_000_000
DECISION = "gate.decision"


try:  # the PostgreSQL driver's own errors, raised where SQLAlchemy does not wrap them
    import psycopg
    _DRIVER_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, psycopg.Error)
    _DRIVER_DATA_ERRORS: tuple[type[BaseException], ...] = (sqlite3.DataError, psycopg.DataError)
except ImportError:  # pragma: no cover - psycopg ships with croupier
    _DRIVER_ERRORS, _DRIVER_DATA_ERRORS = (sqlite3.Error,), (sqlite3.DataError,)


def retry_cannot_help(exc: BaseException) -> bool:
    """Whether `exc` comes from the events themselves: a payload that does not decode, a fold
    that raises, a value the database cannot hold (DataError). Retrying fails the same way,
    so the event is quarantined. A database that refuses, times out or is away (any other
    database error), the machine (OSError, MemoryError) or an interruption is retried."""
    if not isinstance(exc, Exception) or isinstance(exc, (OSError, MemoryError)):
        return False
    if isinstance(exc, (DataError, *_DRIVER_DATA_ERRORS)):
        return True
    if isinstance(exc, DBAPIError) or isinstance(exc, _DRIVER_ERRORS):
        return False
    if isinstance(exc, StatementError):   # a value the driver could not bind (e.g. too large an integer)
        return not isinstance(exc.orig, (*_DRIVER_ERRORS, OSError))
    return not isinstance(exc, SQLAlchemyError)


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:1000]


class _EventsFailed(Exception):
    """Events up to `last_seq` failed in a way a retry cannot cure: the outermost caller (which
    holds no engine lock) finds the culprit and quarantines it. `culprit` is the event being
    decoded or folded when it failed, when known (a failed snapshot names none)."""

    def __init__(self, last_seq: int, cause: BaseException, culprit: int | None = None):
        super().__init__(describe(cause))
        self.last_seq, self.cause, self.culprit = last_seq, cause, culprit


@dataclass(slots=True)
class Stall:
    """Why the engine is not advancing: set by a failure a retry may cure, cleared by the
    next snapshot written (or, for a processing failure, the next batch processed)."""

    stage: str             # "process" or "snapshot"
    cause: str
    at_seq: int            # the saved cursor it cannot get past
    since_us: int
    failures: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "cause": self.cause, "at_seq": self.at_seq,
                "since": self.since_us // 1_000_000, "failures": self.failures}


@dataclass(slots=True)
class BatchReport:
    events: int = 0
    decisions: int = 0
    allowed: int = 0
    replayed_decisions: int = 0
    mismatched_decisions: list[str] = field(default_factory=list)


def _deposit_totals(e: Deposit) -> list[int] | None:
    return [to_minor(e.amount, e.currency), 1, 0, 0] if e.status == "approved" else None


def _stake_totals(e: CasinoBet | SportsBetPlaced) -> list[int]:
    return [0, 0, to_minor(e.amount, e.currency), 0]


def _win_totals(e: CasinoWin) -> list[int]:
    return [0, 0, 0, to_minor(e.amount, e.currency)]


def _payout_totals(e: SportsBetSettled) -> list[int] | None:
    return [0, 0, 0, to_minor(e.payout, e.currency)] if e.currency and e.payout != "0" else None


# [deposits, deposit count, stakes, wins] an event adds to the dashboard's daily totals.
_TOTALS = {Deposit: _deposit_totals, CasinoBet: _stake_totals, SportsBetPlaced: _stake_totals,
           CasinoWin: _win_totals, SportsBetSettled: _payout_totals}


class _DatabaseLog:
    """The engine's read access to one player's log (rollbacks, late registrations), without
    the quarantined events: a refold leaves them out as the live run did."""

    def __init__(self, db: Database, quarantined: set[int] | frozenset[int] = frozenset()):
        self.db, self.quarantined = db, quarantined

    def history(self, player_id: str, up_to_seq: int) -> list[tuple[int, Event]]:
        with self.db.reader.connect() as conn:
            rows = eventlog.player_history(conn, player_id, up_to_seq)
        return [(seq, decode_stored(payload)) for seq, payload, _ in rows if seq not in self.quarantined]

    def find(self, player_id: str, event_id: str, before_seq: int) -> tuple[int, Event] | None:
        with self.db.reader.connect() as conn:
            row = eventlog.find(conn, player_id, event_id, before_seq)
        if row is None or row[0] in self.quarantined:
            return None
        return row[0], decode_stored(row[1])


class Engine:
    """Owns the in-memory player states of one database and the cursor into its log.

    Per batch it commits what the outside world may see at once: gate decisions (audit)
    and the outbox. Player states, search rows, dashboard totals and the cursor are
    committed together as a snapshot at most every `snapshot_seconds` (and on `flush`).
    After a crash the engine resumes from the last snapshot: the log is durable, `apply`
    is deterministic, and decisions already audited are recognised by their action id,
    so reprocessing neither loses nor doubles anything.

    `config` is the start configuration: the one in force before the log's first
    `croupier.config_activated`. From there on the log says which version is in force
    (`self.config`, with its rules table `self.rules`).
    """

    def __init__(self, db: Database, config: EngineConfig | None = None, *, name: str = "main",
                 batch_size: int = 5_000, snapshot_seconds: float = 1.0):
        self.db, self.name, self.batch_size = db, name, batch_size
        self.start_config = config or EngineConfig()
        self._versions: dict[str, EngineConfig] = {}
        self.snapshot_seconds = snapshot_seconds
        self.states: dict[str, PlayerState] = {}
        self._lock = threading.RLock()
        self._depth = threading.local()   # entry calls this thread is inside (hooks re-enter submit)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.leader = False
        self.closed = False   # after close() it never takes the lease again
        self._renew_at = 0.0
        with db.engine.begin() as conn:
            self.cursor = self._load_cursor(conn)
            self._snapshot_config = self._config_at(conn, self.cursor)
            self._snapshot_live = self.live = live_at(conn, self.cursor)
            self._snapshot_journeys = self.journeys = journeys_at(conn, self.cursor)
        self._follow(self._snapshot_config)
        self.snapshot_cursor = self.cursor
        self._dirty: dict[str, PlayerState] = {}
        self._minutes: dict[int, int] = defaultdict(int)
        self._totals: dict[tuple[int, str], list[int]] = {}
        self._last_snapshot = time.monotonic()
        self._flushing = threading.RLock()
        self._isolating = False
        self.stall: Stall | None = None
        self.failures_total = 0          # failures of processing or snapshots, quarantines included
        with db.reader.connect() as conn:
            self.quarantined: set[int] = quarantine_store.positions(conn)
        # True where a loop of its own snapshots (a running server): batches then never wait
        # for a snapshot, the wallet's group commit among them
        self.background_flush = False
        self.processed_total = 0
        from croupier.protection.exclusions_hook import after_batch, tick  # exclusions, persons, timers
        from croupier.segments.realtime import tick as segment_sweep  # what time alone changes
        from croupier.journeys.engine_shell import tick as journey_timers
        from croupier.engine.contact_shell import tick as contact_waits   # held messages asked again
        from croupier.journeys import scheduler   # schedules, dates, stages time alone moves
        self.after_batch = [after_batch, scheduler.after_batch]
        self.on_tick = [tick, segment_sweep, journey_timers, contact_waits, scheduler.tick]
        self.shadows: list[ShadowLane] = []
        self.load_shadows()

    # -- public -------------------------------------------------------------------------
    def has_lease(self) -> bool:
        """Whether this engine may process the log now (taking or renewing the lease).

        On gaining the lease it reloads its cursor and forgets cached states, because
        another engine may have moved on since."""
        if self.closed:
            return False
        now = time.monotonic()
        if self.leader and now < self._renew_at:
            return True
        with self.db.engine.begin() as conn:
            held = lease.acquire(conn, self.name, self.owner)
            if held and not self.leader:
                self.cursor = self.snapshot_cursor = self._load_cursor(conn)
                self._snapshot_config = self._config_at(conn, self.cursor)
                self._snapshot_live = live_at(conn, self.cursor)
                self._snapshot_journeys = journeys_at(conn, self.cursor)
                self.quarantined = quarantine_store.positions(conn)
                self._forget_unsnapshotted()
        self.leader = held
        self._renew_at = now + lease.LEASE_SECONDS / 3
        return held

    def lease_holder(self) -> str | None:
        with self.db.reader.connect() as conn:
            return lease.holder(conn, self.name)

    def close(self) -> None:
        """Snapshot and give the lease up, so another engine can take over at once. A late
        batch (a request still running in a worker thread) is then stored but not processed
        here: the next lease holder processes it from the log."""
        with self._lock:
            self.closed = True
            if self.leader:
                self.flush()
                with self.db.engine.begin() as conn:
                    lease.release(conn, self.name, self.owner)
                self.leader = False

    def process_pending(self, max_events: int | None = None) -> BatchReport:
        """Process everything in the log after the cursor (or up to `max_events`).
        Without the lease (another engine owns this database) it processes nothing."""
        total = BatchReport()
        with self._entered() as outermost:
            while max_events is None or total.events < max_events:
                try:
                    merge_reports(total, self._process_pending(None if max_events is None
                                                               else max_events - total.events))
                    break
                except _EventsFailed as failed:
                    if not outermost:
                        raise
                    merge_reports(total, self._isolate(failed))
        if max_events is None and self.leader:
            for tick in self.on_tick:
                tick(self)
        return total

    def _process_pending(self, max_events: int | None) -> BatchReport:
        total = BatchReport()
        with self._lock:
            if not self.has_lease():
                return total
            while max_events is None or total.events < max_events:
                if not self.has_lease():  # renewed between batches of a long backlog
                    break
                limit = self.batch_size if max_events is None else min(self.batch_size, max_events - total.events)
                with self.db.reader.connect() as conn:
                    rows = eventlog.read_after(conn, self.cursor, limit)
                if not rows:
                    break
                merge_reports(total, self._process(self._decoded(rows)))
        return total

    def submit(self, items: Sequence[tuple[int, Event, int]]) -> BatchReport:
        """Process events just appended by this process without reading them back, when they
        are exactly what follows the cursor; otherwise fall back to reading the log."""
        with self._entered() as outermost:
            try:
                return self._submit(items)
            except _EventsFailed as failed:
                if not outermost:
                    raise
                report = self._isolate(failed)
        merge_reports(report, self.process_pending())
        return report

    def _submit(self, items: Sequence[tuple[int, Event, int]]) -> BatchReport:
        with self._lock:
            if not self.has_lease():
                return BatchReport()
            if items and items[0][0] > self.cursor:
                last = items[-1][0]
                contiguous = last - self.cursor == len(items)   # sorted, distinct seqs: nothing between
                if not contiguous:
                    with self.db.reader.connect() as conn:
                        contiguous = eventlog.count_between(conn, self.cursor, last) == len(items)
                if contiguous:
                    report = BatchReport()
                    for start in range(0, len(items), self.batch_size):
                        merge_reports(report, self._process(items[start:start + self.batch_size]))
                    return report
            return self._process_pending(None)

    def processed_through(self, seq: int) -> bool:
        """Whether this engine has processed the log up to `seq` and is advancing (no stall):
        what `processed` in an ingest answer promises."""
        return self.leader and self.stall is None and self.cursor >= seq

    @contextmanager
    def _entered(self) -> Iterator[bool]:
        """Yields whether this is the thread's outermost entry (a protection hook re-enters
        `submit` from inside a batch): only that one may take the snapshot lock to isolate."""
        depth = getattr(self._depth, "n", 0)
        self._depth.n = depth + 1
        try:
            yield depth == 0
        finally:
            self._depth.n = depth

    def flush(self) -> None:
        """Commit the snapshot now: states, search rows, totals and the cursor.

        The states are encoded while the engine lock holds them still; the database write
        happens after it is released, so batches (the wallet's among them) go on while the
        snapshot is written. Should the write fail, everything since the last snapshot is
        forgotten and read again from the log, as after a crash."""
        with self._flushing:   # one snapshot at a time
            if self._isolating:   # the isolation in progress writes its own snapshots
                return
            try:
                with self._lock:
                    target = self.cursor
                    if not self.leader or (self.cursor == self.snapshot_cursor and not self._dirty):
                        return
                    snap = self._prepare_snapshot()
                self._write_snapshot(snap)
            except BaseException as exc:
                with self._lock:
                    self._forget_unsnapshotted()
                    if not retry_cannot_help(exc):
                        self._stalled("snapshot", exc)
                        raise
                    self._isolate_locked(_EventsFailed(target, exc))
                return
            with self._lock:
                self._snapshot_saved(snap)

    def _prepare_snapshot(self) -> tuple[Any, ...]:
        """What the next snapshot writes, taken (and reset) under the engine lock."""
        now_us = time.time_ns() // 1000
        lifecycle = self.config.features.lifecycle
        dirty = list(self._dirty.values())
        snap = state_store.snapshot(dirty, {s.player_id: lifecycle_stage(s, now_us, lifecycle) for s in dirty})
        minutes = [{"minute": m, "events": n} for m, n in self._minutes.items()]
        totals = [{"day": d, "currency": c, "deposits_minor": v[0], "deposit_count": v[1],
                   "stakes_minor": v[2], "wins_minor": v[3]} for (d, c), v in self._totals.items()]
        self._dirty, self._minutes, self._totals = {}, defaultdict(int), {}
        return snap, minutes, totals, self.cursor, self.config, self.live, self.journeys

    def _write_snapshot(self, prepared: tuple[Any, ...]) -> None:
        snap, minutes, totals, cursor = prepared[:4]
        with self.db.engine.begin() as conn:
            state_store.write(conn, snap)
            upsert(conn, minute_counts, minutes, keys=("minute",), increment=("events",))
            upsert(conn, daily_totals, totals, keys=("day", "currency"),
                   increment=("deposits_minor", "deposit_count", "stakes_minor", "wins_minor"))
            upsert(conn, engine_cursor, [{"name": self.name, "seq": cursor}], keys=("name",))

    def _snapshot_saved(self, prepared: tuple[Any, ...]) -> None:
        cursor, config, live, journeys = prepared[3:7]
        self.snapshot_cursor = cursor
        self._snapshot_config = config
        self._snapshot_live, self._snapshot_journeys = live, journeys
        self._last_snapshot = time.monotonic()
        self.stall = None
        if self.cursor < cursor:   # a batch failed (and rewound) while this was written: resume from it
            self._forget_unsnapshotted()
        self._record_shadows()

    def flush_if_due(self) -> None:
        if time.monotonic() - self._last_snapshot >= self.snapshot_seconds:
            self.flush()

    def load_shadows(self) -> None:
        """Evaluate the versions running in shadow now (started or stopped here or by another
        process): lanes already running carry on, new ones start, stopped ones end."""
        from croupier.compliance.config_store import get_version  # it imports the store schema

        current = {lane.shadow_id: lane for lane in self.shadows}
        lanes = []
        with self.db.reader.connect() as conn:
            for row in shadow_store.running(conn):
                lane = current.get(row.shadow_id)
                if lane is None:
                    version = get_version(conn, row.version_id)
                    if version is None:
                        continue
                    lane = ShadowLane(row.shadow_id, row.version_id, version.config(), self.config,
                                      from_seq=row.from_seq, to_seq=row.to_seq, events=row.events)
                lanes.append(lane)
        with self._lock:
            self.shadows = lanes

    def _record_shadows(self) -> None:
        """Write what the shadows found since the last snapshot, in a transaction of their own
        (a shadow must never fail or hold back the live pipeline); a lane whose shadow was
        stopped meanwhile ends."""
        lanes = self.shadows
        if not lanes:
            return
        now_us = time.time_ns() // 1000
        try:
            with self.db.engine.begin() as conn:
                ended = set()
                for lane in lanes:
                    found, risks, progress = lane.drain()
                    if not shadow_store.record(conn, lane.shadow_id, lane.version_id, decisions=found, risks=risks,
                                               progress={**progress, "updated_at_us": now_us}):
                        ended.add(lane.shadow_id)
        except Exception:  # the shadow's findings since the last snapshot are lost, the live run is not
            logger.exception("recording shadow results failed")
            return
        if ended:
            self.shadows = [lane for lane in lanes if lane.shadow_id not in ended]

    def state_of(self, player_id: str) -> PlayerState | None:
        with self._lock:
            state = self.states.get(player_id)
        if state is None:
            with self.db.reader.connect() as conn:
                state = state_store.load(conn, [player_id]).get(player_id)
        return state

    def reset(self) -> None:
        """Forget all derived state (for replay): states, search rows, totals and the cursor."""
        if not self.has_lease():
            raise RuntimeError(f"another engine ({self.lease_holder()}) owns this database: stop it first")
        with self._flushing, self._lock, self.db.engine.begin() as conn:   # no snapshot in flight
            state_store.clear(conn)
            conn.execute(daily_totals.delete())
            conn.execute(minute_counts.delete())
            upsert(conn, engine_cursor, [{"name": self.name, "seq": 0}], keys=("name",))
            self.snapshot_cursor = 0
            self._snapshot_config = self.start_config
            self._snapshot_live, self._snapshot_journeys = NO_SEGMENTS, NO_JOURNEYS
            self._forget_unsnapshotted()

    # -- internals ----------------------------------------------------------------------
    def _load_cursor(self, conn: Connection) -> int:
        seq = conn.execute(select(engine_cursor.c.seq).where(engine_cursor.c.name == self.name)).scalar()
        return seq or 0

    def _follow(self, config: EngineConfig) -> None:
        """Decide and fold with `config` from here on; its rules table is built once here."""
        self.config, self.rules = config, rules_in_force(config)

    def _config_at(self, conn: Connection, seq: int) -> EngineConfig:
        """The configuration in force just after log position `seq`: the version of the last
        activation at or before it, else the start configuration."""
        rows = eventlog.player_history(conn, CONFIG_STREAM, seq, limit=1, newest_first=True)
        if not rows:
            return self.start_config
        fact = decode_stored(rows[0][1])
        assert isinstance(fact, ConfigActivated)
        return self._version(conn, fact.version, rows[0][0])

    def _version(self, conn: Connection, version_id: str, seq: int) -> EngineConfig:
        """An approved version's configuration by id (cached; the stored document must still
        hash to its id)."""
        from croupier.compliance.config_store import get_version  # it imports the store schema

        config = self._versions.get(version_id)
        if config is None:
            version = get_version(conn, version_id)
            if version is None:
                raise RuntimeError(f"the log activates configuration version {version_id} at position {seq}, "
                                   "but config_versions does not hold it: restore that table with the log")
            config = self._versions[version_id] = version.config()
        return config

    def _activate(self, fact: ConfigActivated, seq: int) -> None:
        with self.db.reader.connect() as conn:
            self._follow(self._version(conn, fact.version, seq))

    def _forget_unsnapshotted(self) -> None:
        """Drop everything newer than the last snapshot; the log replays it exactly."""
        self.states.clear()
        self._dirty.clear()
        self._minutes.clear()
        self._totals.clear()
        self.cursor = self.snapshot_cursor
        self._follow(self._snapshot_config)
        self.live, self.journeys = self._snapshot_live, self._snapshot_journeys
        for lane in self.shadows:
            lane.forget()

    def _decoded(self, rows: Sequence[tuple[int, str, int]]) -> list[tuple[int, Event | None, int]]:
        """Log rows as events; a quarantined one stays a placeholder (None) that only moves the
        cursor, and one that does not decode fails its batch like a fold would."""
        out: list[tuple[int, Event | None, int]] = []
        quarantined = self.quarantined
        for seq, payload, received in rows:
            try:
                out.append((seq, None if seq in quarantined else decode_stored(payload), received))
            except Exception as exc:
                raise _EventsFailed(rows[-1][0], exc, seq) from exc
        return out

    def _process(self, items: Sequence[tuple[int, Event | None, int]]) -> BatchReport:
        """Process a batch; if anything fails, fall back to the last snapshot so the retry
        re-applies the batch to the states it started from (never twice). A failure a retry
        cannot cure goes up as `_EventsFailed`, for the outermost caller to isolate."""
        try:
            report = self._process_batch(items)
        except BaseException as exc:
            self._forget_unsnapshotted()
            if isinstance(exc, _EventsFailed):
                raise _EventsFailed(max(exc.last_seq, items[-1][0]), exc.cause, exc.culprit) from exc
            if retry_cannot_help(exc):
                raise _EventsFailed(items[-1][0], exc) from exc
            self._stalled("process", exc)
            raise
        if self.stall is not None and self.stall.stage == "process":
            self.stall = None
        return report

    def _stalled(self, stage: str, exc: BaseException) -> None:
        """Record (and log) that the engine cannot get past its saved cursor, and why."""
        self.failures_total += 1
        cause = describe(exc)
        if self.stall is None:
            self.stall = Stall(stage, cause, self.snapshot_cursor, time.time_ns() // 1000)
        else:
            self.stall.stage, self.stall.cause, self.stall.failures = stage, cause, self.stall.failures + 1
        logger.error("engine cannot advance past log position %d (%s failed): %s; retrying",
                     self.snapshot_cursor, stage, cause)

    def _isolate(self, failed: _EventsFailed) -> BatchReport:
        """Take the snapshot lock, then the engine lock (the order `flush` takes them), and
        isolate the failed events from the last snapshot."""
        with self._flushing, self._lock:
            self._forget_unsnapshotted()   # a snapshot written meanwhile may have moved the saved cursor
            return self._isolate_locked(failed)

    def _isolate_locked(self, failed: _EventsFailed) -> BatchReport:
        """Process the log from the saved cursor to the failure's last position in parts,
        snapshotting each part that succeeds, until the part that fails is one event: that one
        is quarantined. A part ends just before the event that failed when that is known (a
        decode or a fold), else the failing part is halved (a snapshot, a hook). The states
        are those of a run without it; everything else is processed once."""
        last_seq, hint = failed.last_seq, failed.culprit
        logger.error("engine failed on log positions %d..%d (%s): finding the event that fails",
                     self.snapshot_cursor + 1, last_seq, describe(failed.cause))
        report = BatchReport()
        self._isolating = True
        try:
            while self.cursor < last_seq:
                with self.db.reader.connect() as conn:
                    rows = [r for r in eventlog.read_after(conn, self.cursor, min(self.batch_size, last_seq - self.cursor))
                            if r[0] <= last_seq]
                if not rows:
                    break
                size = _before(rows, hint) or len(rows)
                while True:
                    part = rows[:size]
                    try:
                        done = self._process_batch(self._decoded(part))
                        self._write_snapshot(self._prepare_snapshot())
                    except BaseException as exc:
                        self._forget_unsnapshotted()
                        failure, culprit = (exc.cause, exc.culprit) if isinstance(exc, _EventsFailed) else (exc, None)
                        if not retry_cannot_help(failure):
                            self._stalled("process", failure)
                            raise
                        if len(part) > 1:
                            size = _before(part, culprit) or len(part) // 2
                            continue
                        self._quarantine(part[0], failure)
                        hint = None
                        break
                    merge_reports(report, done)
                    self._snapshot_saved((None, None, None, self.cursor, self.config, self.live, self.journeys))
                    break
        finally:
            self._isolating = False
        return report

    def _quarantine(self, row: tuple[int, str, int], exc: BaseException) -> None:
        """Set the event at `row` aside: recorded with its error, the saved cursor moved past it."""
        seq = row[0]
        if _is_config_fact(row[1]):   # skipping an activation would fold with the wrong version
            self._stalled("process", exc)
            raise exc
        with self.db.engine.begin() as conn:
            record = quarantine_store.add(conn, seq, describe(exc), time.time_ns() // 1000)
            upsert(conn, engine_cursor, [{"name": self.name, "seq": seq}], keys=("name",))
        self.quarantined.add(seq)
        self.failures_total += 1
        self.cursor = self.snapshot_cursor = seq
        logger.error("quarantined the event at log position %d (event_id %r, player %r, %s): %s; "
                     "the engine goes on without it (GET /v1/quarantine)",
                     seq, record["event_id"], record["player_id"], record["type"], record["error"])

    def _process_batch(self, items: Sequence[tuple[int, Event | None, int]]) -> BatchReport:
        config, rules, states, dirty, lanes = self.config, self.rules, self.states, self._dirty, self.shadows
        missing = {e.player_id for _, e, _ in items if e is not None} - states.keys() - LOG_STREAMS
        activated = False
        changes: list[tuple[str, str, Change]] = []   # (player, brand, change) for the membership facts
        changed: list[Event] = []   # the stage and RG level changes journeys react to (engine.changes)
        journeyed: list[tuple[str, str, Outcome]] = []  # (player, brand, outcome) for tasks, timers, records
        noted: list[tuple[str, str, list[Any]]] = []    # (player, brand, notes): messages held or dropped
        if missing:
            with self.db.reader.connect() as conn:
                states.update(state_store.load(conn, missing))
        decisions: list[Decision] = []
        minutes, totals = self._minutes, self._totals
        log = _DatabaseLog(self.db, self.quarantined)
        seq = items[0][0]
        try:
            for seq, event, received_us in items:
                if event is None:   # quarantined: the cursor passes it, nothing folds it
                    continue
                pid = event.player_id
                if pid == CONFIG_STREAM:  # a version approved: in force from this position on
                    assert isinstance(event, ConfigActivated)
                    self._activate(event, seq)
                    config, rules, activated = self.config, self.rules, True
                    for lane in lanes:
                        lane.follow_live(config)
                    continue
                if pid == SEGMENT_STREAM:  # a segment went live or was switched off from here on
                    self.live = follow_segments(self.live, event)
                    activated = True
                    continue
                if pid == JOURNEY_STREAM:  # a journey published, paused or archived from here on
                    self.journeys = follow_journeys(self.journeys, event)
                    activated = True
                    continue
                state = states.get(pid)
                if state is None:
                    state = states[pid] = new_state(pid)
                if lanes:  # proposals in shadow see the state as it was before the event
                    for lane in lanes:
                        lane.before(state, seq)
                result = step(state, event, seq, received_us, config, log, rules, self.live, self.journeys)
                if lanes:
                    for lane in lanes:
                        lane.after(result, event, seq, received_us, log)
                if result.state is not state:
                    states[pid] = result.state
                dirty[pid] = result.state
                if result.decisions:
                    decisions.extend(result.decisions)
                if result.segments:
                    changes.extend((pid, event.brand, c) for c in result.segments)
                if result.journeys:
                    journeyed.append((pid, event.brand, result.journeys))
                if result.contacts:
                    noted.append((pid, event.brand, result.contacts))
                if result.changed:
                    changed.extend(change_fact(pid, event.brand, c) for c in result.changed)
                minutes[received_us // MINUTE_US] += 1
                undone = result.undone
                if result.facts and SKIPPED in result.facts:
                    continue  # rolled back before it arrived: it adds nothing
                source = undone if undone is not None else event
                totaller = _TOTALS.get(type(source))
                values = totaller(source) if totaller is not None else None
                if values is not None:
                    at_us = result.at_us if undone is None else micros(undone.occurred_at)
                    key = (at_us // DAY_US, source.currency)
                    acc = totals.get(key)
                    if acc is None:
                        acc = totals[key] = [0, 0, 0, 0]
                    sign = -1 if undone is not None else 1
                    for i, v in enumerate(values):
                        acc[i] += sign * v
        except Exception as exc:   # the event at `seq` failed to fold: name it, so isolation need not search
            if retry_cannot_help(exc) and not isinstance(exc, _EventsFailed):
                raise _EventsFailed(items[-1][0], exc, seq) from exc
            raise
        report = BatchReport(events=len(items))
        if decisions:
            with self.db.engine.begin() as conn:
                self._record(conn, decisions, report)
        self.cursor = items[-1][0]
        self.processed_total += len(items)
        if changes or changed:
            self._write_memberships(changes, changed)
        if journeyed:
            from croupier.journeys.engine_shell import carry_out   # it imports the store and the task queue
            carry_out(self, journeyed)
        if noted:
            from croupier.engine.contact_shell import carry_out as note_contacts   # it imports ingest
            note_contacts(self, noted)
        kept = [item for item in items if item[1] is not None]
        for hook in self.after_batch:
            hook(self, kept)
        if activated:
            self.flush()  # a restart resumes with the activated version without re-reading the log
        elif not self.background_flush:
            self.flush_if_due()
        return report

    def _write_memberships(self, changes: list[tuple[str, str, Change]], changed: Sequence[Event] = ()) -> None:
        """Write the batch's segment entries and exits, and its stage and RG level changes,
        to the log and fold them (journeys trigger on them). Their ids derive from what
        changed, the player and the cause, so a batch retried or replayed writes nothing twice."""
        from croupier.ingest.facts import append_facts   # ingest imports the engine

        facts = [membership_fact(pid, brand, c) for pid, brand, c in changes] + list(changed)
        with self.db.engine.begin() as conn:
            stored = append_facts(conn, facts)
        if stored:
            self.submit(stored)

    def _record(self, conn: Connection, decisions: list[Decision], report: BatchReport) -> None:
        """Audit every decision and queue the allowed ones, skipping decisions already
        recorded (a replay, or a batch retried after a crash) but checking they agree."""
        if not decisions:
            return
        ids = [d.proposal.action_id for d in decisions]
        seen = audit_store.subjects_present(conn, DECISION, ids)
        fresh = [d for d in decisions if d.proposal.action_id not in seen]
        report.replayed_decisions = len(decisions) - len(fresh)
        if seen:
            report.mismatched_decisions = _compare_with_audit(conn, [d for d in decisions if d.proposal.action_id in seen])
        entries = [audit_store.Entry(at_us=d.decided_at_us, actor="engine", kind=DECISION,
                                     body=d.as_dict(), player_id=d.proposal.player_id,
                                     subject=d.proposal.action_id, config_version=d.config_version)
                   for d in fresh]
        hashes = audit_store.append(conn, entries)
        allowed = [(d, h) for d, h in zip(fresh, hashes, strict=True) if d.allowed]
        outbox.enqueue(conn, [d for d, _ in allowed], [h for _, h in allowed])
        report.decisions, report.allowed = len(fresh), len(allowed)


def _compare_with_audit(conn: Connection, decisions: Iterable[Decision]) -> list[str]:
    import json

    from croupier.store.schema import audit_log

    by_id = {d.proposal.action_id: d for d in decisions}
    rows = conn.execute(select(audit_log.c.subject, audit_log.c.body).where(
        audit_log.c.kind == DECISION, audit_log.c.subject.in_(list(by_id)))).all()
    mismatched = []
    for subject, body in rows:
        recorded = json.loads(body)
        d = by_id[subject]
        if recorded["allowed"] != d.allowed or recorded["reasons"] != list(d.reasons):
            mismatched.append(subject)
    return mismatched


def follow_journeys(live: LiveJourneys, fact: Event) -> LiveJourneys:
    """The live journeys after a publication, a pause or an archiving (a schedule's firing
    marker on the stream changes none)."""
    if isinstance(fact, JourneyFired):
        return live
    if isinstance(fact, JourneyActivated):
        return live.activated(fact.definition)
    return live.deactivated(getattr(fact, "key"))


def _followed(conn: Connection, stream: str, seq: int, start: Any, follow: Any) -> Any:
    """What a stream of activations says just after log position `seq`: every fact up to it,
    folded by `follow` in log order from `start`."""
    live = start
    for _, payload, _ in eventlog.player_history(conn, stream, seq):
        live = follow(live, decode_stored(payload))
    return live


def journeys_at(conn: Connection, seq: int) -> LiveJourneys:
    """The journeys live just after log position `seq` (every version ever activated is
    kept: players finish on the version they entered)."""
    return _followed(conn, JOURNEY_STREAM, seq, NO_JOURNEYS, follow_journeys)


def follow_segments(live: LiveSegments, fact: Event) -> LiveSegments:
    """The live segments after an activation or deactivation fact."""
    if isinstance(fact, SegmentActivated):
        return live.activated(fact)
    return live.deactivated(getattr(fact, "segment_id"))


def live_at(conn: Connection, seq: int) -> LiveSegments:
    """The segments live just after log position `seq`."""
    return _followed(conn, SEGMENT_STREAM, seq, NO_SEGMENTS, follow_segments)


def membership_fact(player_id: str, brand: str, change: Change) -> Event:
    kind, cls = ("entered", SegmentEntered) if change.entered else ("left", SegmentLeft)
    digest = hashlib.sha256(f"{change.segment_id}|{change.version}|{kind}|{player_id}|{change.cause_event_id}"
                            .encode()).hexdigest()[:32]
    return cls(event_id=f"seg:{change.segment_id}:{kind}:{digest}", player_id=player_id, brand=brand or "croupier",
               occurred_at=moment(change.at_us), actor="engine", segment_id=change.segment_id,
               version=change.version, cause_event_id=change.cause_event_id)


def _before(rows: Sequence[tuple[int, str, int]], seq: int | None) -> int:
    """How many of `rows` come before the one at `seq` (at least 1: a part is never empty;
    0 when `seq` is not among them)."""
    if seq is None:
        return 0
    index = next((i for i, row in enumerate(rows) if row[0] == seq), None)
    return 0 if index is None else max(index, 1)


def _is_config_fact(payload: str) -> bool:
    try:
        return msgspec.json.decode(payload).get("player_id") == CONFIG_STREAM
    except (msgspec.DecodeError, AttributeError):
        return False


def merge_reports(into: BatchReport, part: BatchReport) -> None:
    into.events += part.events
    into.decisions += part.decisions
    into.allowed += part.allowed
    into.replayed_decisions += part.replayed_decisions
    into.mismatched_decisions.extend(part.mismatched_decisions)
