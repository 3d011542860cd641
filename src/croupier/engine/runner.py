"""The engine's imperative shell: reads the log in order and runs each event through the
core (apply -> detect -> react -> gate), then records decisions (audit + outbox) per batch
and snapshots states, search rows, dashboard totals and its cursor periodically.

A crash anywhere leaves the snapshot cursor at the last snapshot, so processing resumes
from the durable log: nothing is lost, and deterministic action ids plus the audit subject
check mean nothing is sent or recorded twice.

The configuration is placed in the log too: an approval appends `croupier.config_activated`,
and the engine switches versions when it reaches that fact. Which version folds and decides
an event therefore depends on its log position alone, live, after a restart and in replay.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from croupier.compliance import Decision
from croupier.compliance.rules import rules_in_force
from croupier.engine.shadow import ShadowLane
from croupier.engine.step import step
from croupier.events import (
    CONFIG_STREAM, CasinoBet, CasinoWin, ConfigActivated, Deposit, Event, SportsBetPlaced, SportsBetSettled,
    decode_stored, to_minor,
)
from croupier.players import EngineConfig, PlayerState, lifecycle_stage, micros, new_state
from croupier.players.facts import SKIPPED
from croupier.store import Database
from croupier.store import audit as audit_store
from croupier.store import eventlog, lease, outbox, states as state_store
from croupier.store import shadows as shadow_store
from croupier.store.schema import daily_totals, engine_cursor, minute_counts
from croupier.store.upsert import upsert

logger = logging.getLogger("croupier.engine")

DAY_US = 86_400_000_000
MINUTE_US = 60_000_000
DECISION = "gate.decision"


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
    """The engine's read access to one player's log (rollbacks, late registrations)."""

    def __init__(self, db: Database):
        self.db = db

    def history(self, player_id: str, up_to_seq: int) -> list[tuple[int, Event]]:
        with self.db.reader.connect() as conn:
            rows = eventlog.player_history(conn, player_id, up_to_seq)
        return [(seq, decode_stored(payload)) for seq, payload, _ in rows]

    def find(self, player_id: str, event_id: str, before_seq: int) -> tuple[int, Event] | None:
        with self.db.reader.connect() as conn:
            row = eventlog.find(conn, player_id, event_id, before_seq)
        return (row[0], decode_stored(row[1])) if row is not None else None


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
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.leader = False
        self.closed = False   # after close() it never takes the lease again
        self._renew_at = 0.0
        with db.engine.begin() as conn:
            self.cursor = self._load_cursor(conn)
            self._snapshot_config = self._config_at(conn, self.cursor)
        self._follow(self._snapshot_config)
        self.snapshot_cursor = self.cursor
        self._dirty: dict[str, PlayerState] = {}
        self._minutes: dict[int, int] = defaultdict(int)
        self._totals: dict[tuple[int, str], list[int]] = {}
        self._last_snapshot = time.monotonic()
        self._flushing = threading.Lock()
        # True where a loop of its own snapshots (a running server): batches then never wait
        # for a snapshot, the wallet's group commit among them
        self.background_flush = False
        self.processed_total = 0
        from croupier.protection.exclusions_hook import after_batch, tick  # exclusions, persons, timers
        self.after_batch, self.on_tick = [after_batch], [tick]
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
                items = [(seq, decode_stored(payload), received) for seq, payload, received in rows]
                merge_reports(total, self._process(items))
        if max_events is None and self.leader:
            for tick in self.on_tick:
                tick(self)
        return total

    def submit(self, items: Sequence[tuple[int, Event, int]]) -> BatchReport:
        """Process events just appended by this process without reading them back, when they
        are exactly what follows the cursor; otherwise fall back to reading the log."""
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
            return self.process_pending()

    def flush(self) -> None:
        """Commit the snapshot now: states, search rows, totals and the cursor.

        The states are encoded while the engine lock holds them still; the database write
        happens after it is released, so batches (the wallet's among them) go on while the
        snapshot is written. Should the write fail, everything since the last snapshot is
        forgotten and read again from the log, as after a crash."""
        with self._flushing:   # one snapshot at a time
            with self._lock:
                if not self.leader or (self.cursor == self.snapshot_cursor and not self._dirty):
                    return
                now_us = time.time_ns() // 1000
                lifecycle = self.config.features.lifecycle
                dirty = list(self._dirty.values())
                snap = state_store.snapshot(dirty, {s.player_id: lifecycle_stage(s, now_us, lifecycle) for s in dirty})
                minutes = [{"minute": m, "events": n} for m, n in self._minutes.items()]
                totals = [{"day": d, "currency": c, "deposits_minor": v[0], "deposit_count": v[1],
                           "stakes_minor": v[2], "wins_minor": v[3]} for (d, c), v in self._totals.items()]
                cursor, config = self.cursor, self.config
                self._dirty, self._minutes, self._totals = {}, defaultdict(int), {}
            try:
                with self.db.engine.begin() as conn:
                    state_store.write(conn, snap)
                    upsert(conn, minute_counts, minutes, keys=("minute",), increment=("events",))
                    upsert(conn, daily_totals, totals, keys=("day", "currency"),
                           increment=("deposits_minor", "deposit_count", "stakes_minor", "wins_minor"))
                    upsert(conn, engine_cursor, [{"name": self.name, "seq": cursor}], keys=("name",))
            except BaseException:
                with self._lock:
                    self._forget_unsnapshotted()
                raise
            with self._lock:
                self.snapshot_cursor = cursor
                self._snapshot_config = config
                self._last_snapshot = time.monotonic()
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
        for lane in self.shadows:
            lane.forget()

    def _process(self, items: Sequence[tuple[int, Event, int]]) -> BatchReport:
        """Process a batch; if anything fails, fall back to the last snapshot so the retry
        re-applies the batch to the states it started from (never twice)."""
        try:
            return self._process_batch(items)
        except BaseException:
            self._forget_unsnapshotted()
            raise

    def _process_batch(self, items: Sequence[tuple[int, Event, int]]) -> BatchReport:
        config, rules, states, dirty, lanes = self.config, self.rules, self.states, self._dirty, self.shadows
        missing = {e.player_id for _, e, _ in items} - states.keys()
        missing.discard(CONFIG_STREAM)
        activated = False
        if missing:
            with self.db.reader.connect() as conn:
                states.update(state_store.load(conn, missing))
        decisions: list[Decision] = []
        minutes, totals = self._minutes, self._totals
        log = _DatabaseLog(self.db)
        for seq, event, received_us in items:
            pid = event.player_id
            if pid == CONFIG_STREAM:  # a version approved: in force from this position on
                assert isinstance(event, ConfigActivated)
                self._activate(event, seq)
                config, rules, activated = self.config, self.rules, True
                for lane in lanes:
                    lane.follow_live(config)
                continue
            state = states.get(pid)
            if state is None:
                state = states[pid] = new_state(pid)
            if lanes:  # proposals in shadow see the state as it was before the event
                for lane in lanes:
                    lane.before(state, seq)
            result = step(state, event, seq, received_us, config, log, rules)
            if lanes:
                for lane in lanes:
                    lane.after(result, event, seq, received_us, log)
            if result.state is not state:
                states[pid] = result.state
            dirty[pid] = result.state
            if result.decisions:
                decisions.extend(result.decisions)
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
        report = BatchReport(events=len(items))
        if decisions:
            with self.db.engine.begin() as conn:
                self._record(conn, decisions, report)
        self.cursor = items[-1][0]
        self.processed_total += len(items)
        for hook in self.after_batch:
            hook(self, items)
        if activated:
            self.flush()  # a restart resumes with the activated version without re-reading the log
        elif not self.background_flush:
            self.flush_if_due()
        return report

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


def merge_reports(into: BatchReport, part: BatchReport) -> None:
    into.events += part.events
    into.decisions += part.decisions
    into.allowed += part.allowed
    into.replayed_decisions += part.replayed_decisions
    into.mismatched_decisions.extend(part.mismatched_decisions)
