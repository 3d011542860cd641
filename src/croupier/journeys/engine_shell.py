"""What journeys need of the engine's shell, outside the pure fold: the staff tasks a step
asks for (created through the task queue, idempotent by their origin), the timers a wait
asks for (a `croupier.journey_timer` fact written when due, by the engine's idle tick), and
the record of every journey decision in the audit log (why a player entered, was held out,
skipped a step, left), so "why did player X not receive Y" answers for journeys too.

Timers are kept in memory by due time; on start they are found again from the player
states (a run's `until_us`), so a restart loses none. A timer fact's id derives from the
entry, step and due time: written twice (a retry, two ticks), it is stored once; folded for
a step the player has left, it changes nothing."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from typing import Any

from croupier.events import JourneyTimer
from croupier.engine.everyone import DueHeap
from croupier.journeys.run import Outcome, TaskAction, TimerAction, timer_id
from croupier.players import moment
from croupier.store import audit as audit_store

log = logging.getLogger("croupier.journeys")
RECORD = "journey.record"


def timers_of(engine: Any) -> DueHeap:
    """The journey timers not yet written: (due, timer id, player, brand, key, entry, step)."""
    timers = getattr(engine, "journey_timers", None)
    if timers is None:
        timers = engine.journey_timers = DueHeap()
    return timers


def _record_subject(player_id: str, r: Any) -> str:
    digest = hashlib.sha256(f"{player_id}|{r.journey_key}|{r.kind}|{r.reason}|{r.cause_id}|{r.entry_id}|{r.step_id}"
                            .encode()).hexdigest()[:32]
    return "jr_" + digest


def carry_out(engine: Any, journeyed: Sequence[tuple[str, str, Outcome]]) -> None:
    """After a batch: create the tasks, keep the timers, audit the records (once each)."""
    now_us = time.time_ns() // 1000
    timers = timers_of(engine)
    tasks: list[tuple[str, TaskAction]] = []
    entries: dict[str, audit_store.Entry] = {}
    for pid, brand, outcome in journeyed:
        for action in outcome.actions:
            if isinstance(action, TimerAction):
                timers.add(action.due_us, action.timer_id, pid, brand, action.journey_key, action.entry_id,
                           action.step_id)
            elif isinstance(action, TaskAction):
                tasks.append((pid, action))
        for r in outcome.records:
            subject = _record_subject(pid, r)
            entries[subject] = audit_store.Entry(
                at_us=r.at_us, actor="engine", kind=RECORD, player_id=pid, subject=subject,
                body={"journey": r.journey_key, "version": r.version, "kind": r.kind, "reason": r.reason,
                      "words": r.words(), "entry_id": r.entry_id, "step": r.step_id, "cause_event_id": r.cause_id,
                      **({"detail": r.detail} if r.detail else {})})
    with engine.db.engine.begin() as conn:
        audit_store.append_once(conn, RECORD, entries)
        if tasks:
            from croupier.tasks.service import create_task

            for pid, a in tasks:
                create_task(conn, origin_id=a.origin_id, queue=a.queue, player_id=pid, title=a.title,
                            detail=f"journey {a.journey_key} v{a.version}, step {a.step_id}", priority="normal",
                            due_at_us=a.due_at_us, source=a.source, now_us=now_us)


def load_timers(engine: Any) -> None:
    """The timers of every player's waits, from the states (after a start or a rewind)."""
    timers_of(engine).refill(engine, _add_runs)


def _add_runs(timers: DueHeap, state: Any) -> None:
    for key, run in state.journeys.runs.items():
        if run.until_us and run.step:
            timers.add(run.until_us, timer_id(run.entry_id, run.step, run.seq, run.until_us), state.player_id,
                       state.brand or "croupier", key, run.entry_id, run.step)


def _timer_fact(due_us: int, timer: str, pid: str, brand: str, key: str, entry: str, step: str) -> JourneyTimer:
    return JourneyTimer(event_id=timer, player_id=pid, brand=brand, occurred_at=moment(due_us), actor="engine",
                        journey_key=key, entry_id=entry, step_id=step)


def write_due(engine: Any, now_us: int) -> int:
    """Write the timer facts due by `now_us` and let the engine fold them; returns how many."""
    return timers_of(engine).write_due(engine, now_us, _add_runs, _timer_fact)


def tick(engine: Any) -> None:
    """The engine's idle tick: write the journey timers now due (nothing to do, and no
    states read, while no journey was ever live)."""
    if engine.journeys or timers_of(engine).heap:
        write_due(engine, time.time_ns() // 1000)
