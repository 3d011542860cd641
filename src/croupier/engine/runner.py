"""The engine's imperative shell: reads the log in order, runs each event through the core,
and commits states, audit records, outbox entries, totals and its cursor in one transaction.

A crash anywhere before that commit leaves the cursor where it was, so the batch is
processed again from the durable log: nothing is lost, and deterministic action ids plus
the audit subject check mean nothing is sent or recorded twice.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from croupier.compliance import Decision
from croupier.engine.step import step
from croupier.events import (
    CasinoBet, CasinoWin, Deposit, Event, SportsBetPlaced, SportsBetSettled,
    decode_stored, to_minor,
)
from croupier.players import EngineConfig, PlayerState, lifecycle_stage, micros, new_state
from croupier.store import Database
from croupier.store import audit as audit_store
from croupier.store import eventlog, outbox, states as state_store
from croupier.store.schema import daily_totals, engine_cursor, minute_counts
from croupier.store.upsert import upsert

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


def _totals(event: Event) -> tuple[int, str, list[int]] | None:
    """(day, currency, [deposits, deposit_count, stakes, wins]) this event adds to the dashboard."""
    day = micros(event.occurred_at) // DAY_US
    if isinstance(event, Deposit) and event.status == "approved":
        return day, event.currency, [to_minor(event.amount, event.currency), 1, 0, 0]
    if isinstance(event, (CasinoBet, SportsBetPlaced)):
        return day, event.currency, [0, 0, to_minor(event.amount, event.currency), 0]
    if isinstance(event, CasinoWin):
        return day, event.currency, [0, 0, 0, to_minor(event.amount, event.currency)]
    if isinstance(event, SportsBetSettled) and event.currency and event.payout != "0":
        return day, event.currency, [0, 0, 0, to_minor(event.payout, event.currency)]
    return None


class _DatabaseLog:
    """The engine's read access to one player's log (rollbacks, late registrations)."""

    def __init__(self, db: Database):
        self.db = db

    def history(self, player_id: str, up_to_seq: int) -> list[tuple[int, Event]]:
        with self.db.engine.connect() as conn:
            rows = eventlog.player_history(conn, player_id, up_to_seq)
        return [(seq, decode_stored(payload)) for seq, payload, _ in rows]

    def find(self, player_id: str, event_id: str, before_seq: int) -> Event | None:
        with self.db.engine.connect() as conn:
            payload = eventlog.find(conn, player_id, event_id, before_seq)
        return decode_stored(payload) if payload is not None else None


class Engine:
    """Owns the in-memory player states of one database and the cursor into its log."""

    def __init__(self, db: Database, config: EngineConfig | None = None, *, name: str = "main",
                 batch_size: int = 5_000):
        self.db, self.config, self.name, self.batch_size = db, config or EngineConfig(), name, batch_size
        self.states: dict[str, PlayerState] = {}
        self._lock = threading.Lock()
        with db.engine.begin() as conn:
            self.cursor = self._load_cursor(conn)
        self.processed_total = 0

    # -- public -------------------------------------------------------------------------
    def process_pending(self, max_events: int | None = None) -> BatchReport:
        """Process everything in the log after the cursor (or up to `max_events`)."""
        total = BatchReport()
        with self._lock:
            while max_events is None or total.events < max_events:
                limit = self.batch_size if max_events is None else min(self.batch_size, max_events - total.events)
                with self.db.engine.connect() as conn:
                    rows = eventlog.read_after(conn, self.cursor, limit)
                if not rows:
                    break
                items = [(seq, decode_stored(payload), received) for seq, payload, received in rows]
                merge_reports(total, self._process(items))
        return total

    def submit(self, items: Sequence[tuple[int, Event, int]]) -> BatchReport:
        """Process events just appended by this process without reading them back, when they
        are exactly what follows the cursor; otherwise fall back to reading the log."""
        with self._lock:
            if items and items[0][0] > self.cursor:
                last = items[-1][0]
                with self.db.engine.connect() as conn:
                    contiguous = eventlog.count_between(conn, self.cursor, last) == len(items)
                if contiguous:
                    report = BatchReport()
                    for start in range(0, len(items), self.batch_size):
                        merge_reports(report, self._process(items[start:start + self.batch_size]))
                    return report
        return self.process_pending()

    def state_of(self, player_id: str) -> PlayerState | None:
        state = self.states.get(player_id)
        if state is None:
            with self.db.engine.connect() as conn:
                state = state_store.load(conn, [player_id]).get(player_id)
        return state

    def reset(self) -> None:
        """Forget all derived state (for replay): states, search rows, totals and the cursor."""
        with self._lock, self.db.engine.begin() as conn:
            state_store.clear(conn)
            conn.execute(daily_totals.delete())
            conn.execute(minute_counts.delete())
            upsert(conn, engine_cursor, [{"name": self.name, "seq": 0}], keys=("name",))
            self.states.clear()
            self.cursor = 0

    # -- internals ----------------------------------------------------------------------
    def _load_cursor(self, conn: Connection) -> int:
        seq = conn.execute(select(engine_cursor.c.seq).where(engine_cursor.c.name == self.name)).scalar()
        return seq or 0

    def _process(self, items: Sequence[tuple[int, Event, int]]) -> BatchReport:
        config, states = self.config, self.states
        missing = {e.player_id for _, e, _ in items} - states.keys()
        if missing:
            with self.db.engine.connect() as conn:
                states.update(state_store.load(conn, missing))
        dirty: dict[str, PlayerState] = {}
        decisions: list[Decision] = []
        minutes: dict[int, int] = defaultdict(int)
        totals: dict[tuple[int, str], list[int]] = {}
        log = _DatabaseLog(self.db)
        for seq, event, received_us in items:
            pid = event.player_id
            state = states.get(pid)
            if state is None:
                state = states[pid] = new_state(pid)
            result = step(state, event, seq, received_us, config, log)
            if result.state is not state:
                states[pid] = result.state
            dirty[pid] = result.state
            decisions.extend(result.decisions)
            minutes[received_us // MINUTE_US] += 1
            contribution = _totals(result.undone if result.undone is not None else event)
            if contribution is not None:
                day, currency, values = contribution
                sign = -1 if result.undone is not None else 1
                acc = totals.setdefault((day, currency), [0, 0, 0, 0])
                for i, v in enumerate(values):
                    acc[i] += sign * v
        report = BatchReport(events=len(items))
        now_us = time.time_ns() // 1000
        with self.db.engine.begin() as conn:
            self._record(conn, decisions, report)
            stages = {pid: lifecycle_stage(s, now_us, config.features.lifecycle) for pid, s in dirty.items()}
            state_store.save(conn, list(dirty.values()), stages)
            upsert(conn, minute_counts, [{"minute": m, "events": n} for m, n in minutes.items()],
                   keys=("minute",), increment=("events",))
            upsert(conn, daily_totals,
                   [{"day": d, "currency": c, "deposits_minor": v[0], "deposit_count": v[1],
                     "stakes_minor": v[2], "wins_minor": v[3]} for (d, c), v in totals.items()],
                   keys=("day", "currency"),
                   increment=("deposits_minor", "deposit_count", "stakes_minor", "wins_minor"))
            last = items[-1][0]
            upsert(conn, engine_cursor, [{"name": self.name, "seq": last}], keys=("name",))
        self.cursor = last
        self.processed_total += len(items)
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
