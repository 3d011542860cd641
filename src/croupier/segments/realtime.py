"""Real-time membership at the edges: switching a segment live or off (facts in the log,
written in the caller's transaction), the scheduled sweep for what time alone changes, and
reading real-time members. The rules are `segments.live`; the engine folds them.

The sweep runs on the engine's idle tick: at start, after a segment goes live or changes,
after each UTC midnight (every day-window and calendar-day feature moves then), and every
`CROUPIER_SEGMENT_SWEEP_SECONDS` (default an hour: "days since" features counted in whole
24-hour periods move at any time of day). It evaluates every player's live segments as of
now, a chunk at a time, and writes a `croupier.segment_sweep` timer fact for each player
whose membership would change; folding the fact makes the change (and writes the entry or
exit), so replay makes it too. A player it misses (a state that moved meanwhile) is
evaluated by the next sweep; a fact it writes needlessly changes nothing."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from croupier.events import SEGMENT_STREAM, Event, SegmentActivated, SegmentDeactivated, SegmentSweep, decode_stored
from croupier.engine.everyone import every_state, write_facts
from croupier.ingest.facts import append_facts
from croupier.players import PlayerState, moment
from croupier.players.state import DAY_US
from croupier.segments.live import LiveSegments, would_change
from croupier.settings import seconds_from_env
from croupier.store import eventlog, states as state_store
from croupier.store.segments import StoredSegment

log = logging.getLogger("croupier.segments")
SWEEP_SECONDS_VARIABLE = "CROUPIER_SEGMENT_SWEEP_SECONDS"
DEFAULT_SWEEP_SECONDS = 3600.0
CHUNK = 2_000
Stored = list[tuple[int, Event, int]]


def sweep_seconds() -> float:
    """How often the sweep runs besides midnight and activations ($CROUPIER_SEGMENT_SWEEP_SECONDS)."""
    return seconds_from_env(SWEEP_SECONDS_VARIABLE, DEFAULT_SWEEP_SECONDS, above=True)


# --- going live and off ------------------------------------------------------------------

def live_versions(conn: Connection) -> dict[int, int]:
    """Segment id -> the version live now, from the log's activations (the truth the engine
    follows)."""
    live: dict[int, int] = {}
    for _, payload, _ in eventlog.player_history(conn, SEGMENT_STREAM):
        fact = decode_stored(payload)
        if isinstance(fact, SegmentActivated):
            live[fact.segment_id] = fact.version
        elif isinstance(fact, SegmentDeactivated):
            live.pop(fact.segment_id, None)
    return live


def go_live(conn: Connection, segment: StoredSegment, *, actor: str, now_us: int, reason: str | None = None) -> Stored:
    """Put `segment`'s current version live (nothing when that version is live already):
    appends `croupier.segment_activated` in the caller's transaction; hand the result to
    `Engine.submit` after the commit."""
    if segment.archived:
        raise ValueError(f"segment {segment.segment_id} is archived: an archived segment cannot go live")
    if live_versions(conn).get(segment.segment_id) == segment.version:
        return []
    import msgspec

    fact = SegmentActivated(
        event_id=f"segment:{segment.segment_id}:{segment.version}:on:{now_us}", player_id=SEGMENT_STREAM,
        brand="croupier", occurred_at=moment(now_us), actor=actor, reason=reason, segment_id=segment.segment_id,
        version=segment.version, name=segment.name, purpose=segment.purpose,
        definition=msgspec.json.decode(segment.definition))
    return append_facts(conn, [fact])


def switch_off(conn: Connection, segment_id: int, *, actor: str, now_us: int, reason: str | None = None) -> Stored:
    """Switch a live segment off (nothing when it is not live): `croupier.segment_deactivated`."""
    if segment_id not in live_versions(conn):
        return []
    fact = SegmentDeactivated(event_id=f"segment:{segment_id}:off:{now_us}", player_id=SEGMENT_STREAM,
                              brand="croupier", occurred_at=moment(now_us), actor=actor, reason=reason,
                              segment_id=segment_id)
    return append_facts(conn, [fact])


# --- the sweep ---------------------------------------------------------------------------

@dataclass(slots=True)
class SweepClock:
    """When the engine's sweep ran last, and for which live segments."""

    at_us: int = 0
    live: LiveSegments | None = None
    interval_us: int = int(DEFAULT_SWEEP_SECONDS * 1_000_000)

    def due(self, live: LiveSegments, now_us: int) -> bool:
        if not live:
            return False
        return (self.live is not live or now_us // DAY_US != self.at_us // DAY_US
                or now_us - self.at_us >= self.interval_us)


def due_players(engine: Any, live: LiveSegments, now_us: int) -> list[PlayerState]:
    """The players whose live-segment membership an evaluation at `now_us` would change
    (the engine's own states where it holds them, else the stored snapshot's)."""
    features = engine.config.features
    return [s for s in every_state(engine) if would_change(s, live, now_us, features)]


def sweep_fact(state: PlayerState, now_us: int) -> SegmentSweep:
    digest = hashlib.sha256(f"{state.player_id}|{now_us}".encode()).hexdigest()[:32]
    return SegmentSweep(event_id=f"sweep:{now_us}:{digest}", player_id=state.player_id,
                        brand=state.brand or "croupier", occurred_at=moment(now_us), actor="engine")


def sweep(engine: Any, now_us: int | None = None) -> int:
    """Write a sweep timer fact for every player whose membership would change now, and let
    the engine fold them; returns how many were written."""
    now_us = now_us if now_us is not None else time.time_ns() // 1000
    live = engine.live
    due = due_players(engine, live, now_us)
    written = write_facts(engine, [sweep_fact(s, now_us) for s in due])
    clock = clock_of(engine)
    clock.at_us, clock.live = now_us, live
    if written:
        log.info("segment sweep: %d players to move in or out of %d live segments", written, len(live))
    return written


def clock_of(engine: Any) -> SweepClock:
    clock = getattr(engine, "segment_sweep", None)
    if clock is None:
        clock = engine.segment_sweep = SweepClock(interval_us=int(sweep_seconds() * 1_000_000))
    return clock


def tick(engine: Any) -> None:
    """The engine's idle tick: sweep when due."""
    now_us = time.time_ns() // 1000
    if clock_of(engine).due(engine.live, now_us):
        sweep(engine, now_us)


# --- reading real-time members -----------------------------------------------------------

def realtime_members(conn: Connection, segment_id: int) -> list[tuple[str, int]]:
    """(player id, entered at us) of the segment's real-time members as of the stored
    snapshot (call after the engine's flush for "now"), in player id order."""
    out = []
    for state in state_store.all_states(conn):
        entered = state.segments.get(segment_id)
        if entered is not None:
            out.append((state.player_id, entered))
    return sorted(out)
