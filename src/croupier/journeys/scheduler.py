"""The journey triggers no event of the player's makes: schedules, dates and the lifecycle
stage time alone moves. Run on the engine's idle tick (and after each batch, for new
registrations and profile changes); what it decides goes into the log as facts, so the
engine's fold, a restart and a replay see the same things.

Schedules. A live journey with a `schedule` trigger fires at each instant `timing.next_run`
gives, in the operator's time zone. At the instant the scheduler writes one
`croupier.journey_fired` fact for each player of the trigger's audience, then a marker fact
of the same type on the journey stream that says the instant is done. The audience is the
real-time members of `segment_id` (`PlayerState.segments`: the segment must be live) and/or
the players matching `condition` as of the instant; the fold checks both again, and the
interpreter the rest (already in, re-entry, safer play, the group). A player's fact id
derives from the journey, the version, the instant and the player, so two ticks, a retry or
a restart write it once. One fact per player keeps replay exact (each is folded at its own
log position, with the player's state there) and the cost bounded by the audience: a scan of
the states in chunks, like the segment sweep. Missed instants (the server was down) fire
once, for the latest instant missed, when the engine starts again, never once per instant;
a firing more than `LATE_US` late enters its players at the moment it is written.

Dates. A live journey with a `date` trigger fires for each player at their next birthday or
registration anniversary (`timing.next_date`: `at` in the player's time zone from their
profile, `days_before`, 29 February on 28 February). The scheduler keeps the firings due
within `HORIZON_US` in memory by due time, found again from the states at start, every day
and when the date journeys change, and for a player when a registration or profile change
of theirs is folded; each is written when due as a `croupier.journey_fired` fact with an id
from the journey, the version, the instant and the player. A firing missed by the server
being down is written on start when at most `DATE_LOOKBACK_US` late (a birthday greeting
days late is skipped).

One-off sends. A live journey with a `once` trigger (what a campaign is) fires once per
version. Without `local`, at its instant (the publication's moment when it names none): the
audience then (as for a schedule) gets one `croupier.journey_fired` fact each. With `local`,
each player at the wall-clock time in their own zone: the players' instants are found from
the states when the first zone nears, and each is written when due, the audience checked for
that player then; a player whose moment had already passed when the journey went live gets
nothing. A throttle spreads the facts: in the order of the player ids, at most
`throttle_per_minute` a minute from the instant (per instant, for local sends). Entries not
yet written are held in memory by due time; a restart plans them again from the states,
skipping the players whose fact is already in the log (one id per journey, version and player),
so nothing is sent twice or lost, and the throttle counts only what is left. When every
player's fact is written (for local sends, once the last zone has passed), a marker on the
journey stream records the send as done; a paused or archived journey's pending entries are
dropped (a cancelled campaign sends no more).

Stage sweep. The lifecycle stage moves with time alone (`players.lifecycle`): while a live
journey triggers or has a goal on `croupier.stage_changed`, the scheduler writes a
`croupier.segment_sweep` timer fact for each player whose stage time has moved, at start and
every `segments.realtime.sweep_seconds()`; folding it notices the change
(`engine.changes`), which becomes a `croupier.stage_changed` fact."""

from __future__ import annotations

import hashlib
import heapq
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croupier.events import (
    JOURNEY_STREAM, Event, JourneyActivated, JourneyFired, PlayerRegistered, PlayerUpdated, decode_stored,
)
from croupier.engine.everyone import every_state, write_facts
from croupier.journeys.definition import DateTrigger, Once, Schedule
from croupier.journeys.run import CompiledJourney, LiveJourneys
from croupier.journeys.timing import next_date, next_run, once_at, throttled
from croupier.players import PlayerState, micros, moment
from croupier.players.features import feature_values
from croupier.players.state import DAY_US
from croupier.segments.protection import protection_values
from croupier.store import eventlog, states as state_store

log = logging.getLogger("croupier.journeys")

LATE_US = 5 * 60 * 1_000_000          # a schedule firing later than this enters players when written
HORIZON_US = 2 * DAY_US               # date firings held in memory ahead of time
DATE_LOOKBACK_US = DAY_US             # a date firing missed by more than this is skipped
CHUNK = 2_000
STAGE_CHANGED = "croupier.stage_changed"


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]


def fired_id(key: str, version: int, instant_us: int, player_id: str) -> str:
    """The id of a firing for one player (or, with JOURNEY_STREAM, of a schedule's marker)."""
    return "jf_" + _digest("fired", key, version, instant_us, player_id)


@dataclass(slots=True)
class Scheduler:
    """What the scheduler keeps between ticks: the live journeys it planned for, each
    schedule's next instant, the date firings due soon, and when it last swept stages."""

    live: LiveJourneys | None = None
    next_us: dict[tuple[str, int], int] = field(default_factory=dict)
    dates: list[tuple[int, str, str, str, str, int]] = field(default_factory=list)   # due, id, player, brand, key, version
    known: set[str] = field(default_factory=set)
    written: dict[str, int] = field(default_factory=dict)   # date firings written: id -> due
    activated_us: dict[tuple[str, int], int] = field(default_factory=dict)
    once_done: set[tuple[str, int]] = field(default_factory=set)       # one-off sends finished (marker written)
    once_planned: dict[tuple[str, int], int] = field(default_factory=dict)   # planned: -> players pending
    sends: list[tuple[int, str, str, str, str, int]] = field(default_factory=list)   # due, id, player, brand, key, version
    dates_scanned_us: int = 0
    stages_swept_us: int = 0

    def add_date(self, due_us: int, fid: str, player_id: str, brand: str, key: str, version: int) -> None:
        if fid not in self.known and fid not in self.written:
            self.known.add(fid)
            heapq.heappush(self.dates, (due_us, fid, player_id, brand, key, version))


def scheduler_of(engine: Any) -> Scheduler:
    found = getattr(engine, "journey_scheduler", None)
    if found is None:
        found = engine.journey_scheduler = Scheduler()
    return found


def _with(live: LiveJourneys, kind: type) -> list[CompiledJourney]:
    return [c for c in live.all() if isinstance(c.journey.trigger, kind)]


# --- the players ---------------------------------------------------------------------------

def _matches(c: CompiledJourney, state: PlayerState, at_us: int, engine: Any) -> bool:
    return in_audience(c, state, at_us, engine.config.features)


def in_audience(c: CompiledJourney, state: PlayerState, at_us: int, features: Any) -> bool:
    """Whether the player is in a schedule's or one-off send's audience as of `at_us` (the
    fold checks again): a member of its segment and/or matching its condition."""
    trigger = c.journey.trigger
    assert isinstance(trigger, (Schedule, Once))
    if trigger.segment_id is not None and trigger.segment_id not in state.segments:
        return False
    if c.trigger is None:
        return True
    values = feature_values(state, at_us, features, c.trigger.names)
    values.update(protection_values(state, at_us, c.trigger.names))
    return c.trigger.predicate(values)


def firings(c: CompiledJourney, state: PlayerState, since_us: int, until_us: int) -> list[JourneyFired]:
    """The firings of a schedule, date or one-off trigger for one player in [since, until),
    as the live scheduler would write them had the journey gone live at `since` (a dry run:
    no throttle; the audience is checked when each is folded)."""
    t = c.journey.trigger
    found: list[tuple[int, str, str]] = []          # (instant, id, trigger kind)
    if isinstance(t, Schedule):
        at = micros(next_run(t, moment(since_us - 1)))
        while at < until_us:
            found.append((at, fired_id(c.key, c.version, at, state.player_id), "schedule"))
            at = micros(next_run(t, moment(at)))
    elif isinstance(t, DateTrigger):
        due = date_firing(t, state, since_us)
        while due is not None and due < until_us:
            found.append((due, fired_id(c.key, c.version, due, state.player_id), "date"))
            due = date_firing(t, state, due + 1)
    elif isinstance(t, Once):
        due = micros(once_at(t, moment(since_us), player_timezone=_player_zone(state) if t.local else None))
        if since_us <= due < until_us:
            found.append((due, once_id(c.key, c.version, state.player_id), "once"))
    return [JourneyFired(event_id=fid, player_id=state.player_id, brand=state.brand or "croupier",
                         occurred_at=moment(at), actor="engine", journey_key=c.key, version=c.version,
                         trigger=kind, fires_at=moment(at)) for at, fid, kind in found]  # type: ignore[arg-type]


# --- planning --------------------------------------------------------------------------------

def _stream(engine: Any) -> tuple[dict[tuple[str, int], int], dict[tuple[str, int], int], set[tuple[str, int]]]:
    """From the journey stream: when each version was last activated, and the latest
    schedule instant marked done for it."""
    activated: dict[tuple[str, int], int] = {}
    done: dict[tuple[str, int], int] = {}
    once: set[tuple[str, int]] = set()
    with engine.db.reader.connect() as conn:
        rows = eventlog.player_history(conn, JOURNEY_STREAM)
    for _, payload, _ in rows:
        fact = decode_stored(payload)
        if isinstance(fact, JourneyActivated):
            kind = (fact.definition.get("trigger") or {}).get("kind")
            if kind != "once" or (fact.key, fact.version) not in activated:   # a one-off's: its launch
                activated[(fact.key, fact.version)] = micros(fact.occurred_at)
        elif isinstance(fact, JourneyFired) and fact.trigger == "once":
            once.add((fact.journey_key, fact.version))
        elif isinstance(fact, JourneyFired):
            at = micros(fact.fires_at)
            done[(fact.journey_key, fact.version)] = max(at, done.get((fact.journey_key, fact.version), 0))
    return activated, done, once


def plan(engine: Any, now_us: int) -> Scheduler:
    """Each live schedule's next instant after the later of its activation and its latest
    instant done, and the date firings due within the horizon (after a start, or when the
    live journeys changed)."""
    s = scheduler_of(engine)
    live = engine.journeys
    s.live = live
    s.activated_us, done, s.once_done = _stream(engine)
    s.once_planned.clear()
    s.sends.clear()
    planned: dict[tuple[str, int], int] = {}
    for c in _with(live, Schedule):
        ident = (c.key, c.version)
        keep = s.next_us.get(ident)
        if keep is not None:
            planned[ident] = keep
            continue
        base = max(s.activated_us.get(ident, now_us), done.get(ident, 0))
        assert isinstance(c.journey.trigger, Schedule)
        planned[ident] = micros(next_run(c.journey.trigger, moment(base)))
    s.next_us = planned
    s.dates.clear()
    s.known.clear()
    if _with(live, DateTrigger):
        scan_dates(engine, now_us)
    return s


# --- schedules -------------------------------------------------------------------------------

def fire_schedules(engine: Any, now_us: int) -> int:
    """Fire every live schedule whose instant has come (the latest one missed, once);
    returns how many player facts were written."""
    s = scheduler_of(engine)
    written = 0
    for ident in sorted(s.next_us):
        due = s.next_us[ident]
        if due > now_us:
            continue
        c = engine.journeys.version(*ident)
        trigger = c.journey.trigger
        instant, following = due, micros(next_run(trigger, moment(due)))
        while following <= now_us:            # missed instants collapse into the latest
            instant, following = following, micros(next_run(trigger, moment(following)))
        written += fire(engine, c, instant, now_us)
        s.next_us[ident] = following
    return written


def fire(engine: Any, c: CompiledJourney, instant_us: int, now_us: int) -> int:
    """One schedule instant: a fact for each player of the audience, then the marker."""
    at_us = instant_us if now_us - instant_us <= LATE_US else now_us
    when = moment(at_us)
    facts: list[Event] = []
    audience = written = 0
    for state in every_state(engine):
        if _matches(c, state, at_us, engine):
            facts.append(JourneyFired(event_id=fired_id(c.key, c.version, instant_us, state.player_id),
                                      player_id=state.player_id, brand=state.brand or "croupier", occurred_at=when,
                                      actor="engine", journey_key=c.key, version=c.version, trigger="schedule",
                                      fires_at=moment(instant_us)))
            if len(facts) == CHUNK:   # written as found: memory stays bounded by the chunk
                audience, written = audience + len(facts), written + write_facts(engine, facts)
                facts = []
    audience, written = audience + len(facts), written + (write_facts(engine, facts) if facts else 0)
    marker = JourneyFired(event_id=fired_id(c.key, c.version, instant_us, JOURNEY_STREAM), player_id=JOURNEY_STREAM,
                          brand="croupier", occurred_at=when, actor="engine", journey_key=c.key, version=c.version,
                          trigger="schedule", fires_at=moment(instant_us), players=audience)
    write_facts(engine, [marker])
    log.info("journey %s v%d: schedule fired at %s for %d players (%d new)", c.key, c.version,
             moment(instant_us).isoformat(), audience, written)
    return written


# --- one-off sends -----------------------------------------------------------------------------

_LAST_ZONE, _FIRST_ZONE = "Etc/GMT+12", "Etc/GMT-14"   # the last and the first zone to reach a wall-clock time


def once_id(key: str, version: int, player_id: str) -> str:
    """The id of a one-off send's fact for a player: one per journey version and player."""
    return fired_id(key, version, 0, player_id)


def _player_zone(state: PlayerState) -> str | None:
    zone = state.profile.get("timezone")
    if isinstance(zone, str) and zone:
        try:
            ZoneInfo(zone)
            return zone
        except (ZoneInfoNotFoundError, ValueError):
            return None
    return None


def plan_once(engine: Any, c: CompiledJourney, now_us: int) -> None:
    """Plan a one-off send whose first moment is near: each player's due time, skipping those
    whose fact is in the log already (a restart) and, for local sends, those whose moment had
    passed when the journey went live. Players are throttled in the order of their ids."""
    s = scheduler_of(engine)
    ident = (c.key, c.version)
    trigger = c.journey.trigger
    assert isinstance(trigger, Once)
    launched = moment(s.activated_us.get(ident, now_us))
    planned: list[tuple[int, str, str, str]] = []    # due, player, brand, id
    for state in every_state(engine):
        if trigger.local:
            due = micros(once_at(trigger, launched, player_timezone=_player_zone(state)))
            if due < micros(launched):
                continue
        else:
            due = micros(once_at(trigger, launched))
            if not _matches(c, state, now_us, engine):
                continue     # not in the audience now (checked again when written)
        planned.append((due, state.player_id, state.brand or "croupier", once_id(c.key, c.version, state.player_id)))
    with engine.db.reader.connect() as conn:
        sent = set()
        for start in range(0, len(planned), CHUNK):
            sent |= eventlog.existing_ids(conn, [p[3] for p in planned[start:start + CHUNK]])
    left = sorted(p for p in planned if p[3] not in sent)
    place, previous = 0, None
    for due, pid, brand, fid in left:
        start = max(due, now_us)     # a moment passed (a restart, a replan): what is left starts now
        place = place + 1 if start == previous else 0
        previous = start
        heapq.heappush(s.sends, (throttled(start, place, trigger.throttle_per_minute), fid, pid, brand, c.key,
                                 c.version))
    s.once_planned[ident] = len(left)


def _first_moment(c: CompiledJourney, launched_us: int) -> int:
    trigger = c.journey.trigger
    assert isinstance(trigger, Once)
    zone = _FIRST_ZONE if trigger.local else None
    return micros(once_at(trigger, moment(launched_us), player_timezone=zone))


def _last_moment(c: CompiledJourney, launched_us: int) -> int:
    trigger = c.journey.trigger
    assert isinstance(trigger, Once)
    zone = _LAST_ZONE if trigger.local else None
    return micros(once_at(trigger, moment(launched_us), player_timezone=zone))


def fire_once(engine: Any, now_us: int) -> int:
    """Plan the one-off sends whose first moment has come (local sends: within the horizon),
    write the entries now due, and mark the sends that are complete; returns the facts stored."""
    s = scheduler_of(engine)
    for c in _with(engine.journeys, Once):
        ident = (c.key, c.version)
        if ident in s.once_done or ident in s.once_planned or engine.journeys.live.get(c.key) != c.version:
            continue
        ahead = HORIZON_US if getattr(c.journey.trigger, "local", False) else 0
        if _first_moment(c, s.activated_us.get(ident, now_us)) <= now_us + ahead:
            plan_once(engine, c, now_us)
    written = _write_sends(engine, now_us)
    for ident in sorted(s.once_planned):
        c = engine.journeys.version(*ident)
        if engine.journeys.live.get(ident[0]) != ident[1]:
            del s.once_planned[ident]        # paused or archived: what is pending is dropped (planned again on resume)
            s.sends = [e for e in s.sends if (e[4], e[5]) != ident]
            heapq.heapify(s.sends)
        elif not s.once_planned[ident] and now_us >= _last_moment(c, s.activated_us.get(ident, now_us)):
            _mark_once(engine, c, now_us)
    return written


def _write_sends(engine: Any, now_us: int) -> int:
    """Write the one-off entries due by `now_us`, each player checked against the audience then."""
    s = scheduler_of(engine)
    due: list[tuple[int, str, str, str, str, int]] = []
    while s.sends and s.sends[0][0] <= now_us:
        entry = heapq.heappop(s.sends)
        ident = (entry[4], entry[5])
        if ident in s.once_planned:
            s.once_planned[ident] -= 1
        if engine.journeys.live.get(entry[4]) == entry[5]:
            due.append(entry)
    if not due:
        return 0
    ids = [e[2] for e in due]
    with engine._lock:
        held = {pid: engine.states[pid] for pid in ids if pid in engine.states}
    rest = [pid for pid in ids if pid not in held]
    if rest:
        with engine.db.reader.connect() as conn:
            held.update(state_store.load(conn, rest))
    facts: list[Event] = []
    for at_us, fid, pid, brand, key, version in due:
        state = held.get(pid)
        c = engine.journeys.version(key, version)
        when = at_us if now_us - at_us <= LATE_US else now_us
        if state is not None and c is not None and _matches(c, state, when, engine):
            facts.append(JourneyFired(event_id=fid, player_id=pid, brand=brand, occurred_at=moment(when),
                                      actor="engine", journey_key=key, version=version, trigger="once",
                                      fires_at=moment(at_us)))
    return write_facts(engine, facts) if facts else 0


def _mark_once(engine: Any, c: CompiledJourney, now_us: int) -> None:
    s = scheduler_of(engine)
    ident = (c.key, c.version)
    launched = s.activated_us.get(ident, now_us)
    marker = JourneyFired(event_id=once_id(c.key, c.version, JOURNEY_STREAM), player_id=JOURNEY_STREAM,
                          brand="croupier", occurred_at=moment(now_us), actor="engine", journey_key=c.key,
                          version=c.version, trigger="once", fires_at=moment(_first_moment(c, launched)))
    write_facts(engine, [marker])
    del s.once_planned[ident]
    s.once_done.add(ident)
    log.info("journey %s v%d: one-off send done", c.key, c.version)


# --- dates -----------------------------------------------------------------------------------

def _birth_date(state: PlayerState) -> date | None:
    raw = state.profile.get("birth_date")
    try:
        return date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _zone(state: PlayerState, trigger: DateTrigger) -> str:
    zone = state.profile.get("timezone")
    if isinstance(zone, str) and zone:
        try:
            ZoneInfo(zone)
            return zone
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return trigger.fallback_timezone


def date_firing(trigger: DateTrigger, state: PlayerState, after_us: int) -> int | None:
    """The player's first firing of `trigger` at or after `after_us` (None: no such date)."""
    registered = state.registered_us
    found = next_date(trigger, moment(after_us - 1), birth_date=_birth_date(state),
                      registered_at=None if registered is None else moment(registered),
                      player_timezone=_zone(state, trigger))
    return None if found is None else micros(found)


def _plan_player(s: Scheduler, dated: Sequence[CompiledJourney], state: PlayerState, now_us: int) -> None:
    for c in dated:
        trigger = c.journey.trigger
        assert isinstance(trigger, DateTrigger)
        after = max(s.activated_us.get((c.key, c.version), now_us), now_us - DATE_LOOKBACK_US)
        due = date_firing(trigger, state, after)
        if due is not None and due <= now_us + HORIZON_US:
            s.add_date(due, fired_id(c.key, c.version, due, state.player_id), state.player_id,
                       state.brand or "croupier", c.key, c.version)


def scan_dates(engine: Any, now_us: int) -> None:
    """Every player's date firings due within the horizon (missed ones within the lookback)."""
    s = scheduler_of(engine)
    dated = _with(engine.journeys, DateTrigger)
    for state in every_state(engine):
        _plan_player(s, dated, state, now_us)
    s.dates_scanned_us = now_us
    s.written = {k: v for k, v in s.written.items() if v >= now_us - 2 * DATE_LOOKBACK_US}


def fire_dates(engine: Any, now_us: int) -> int:
    """Write the date firings due by `now_us`; returns how many were stored."""
    s = scheduler_of(engine)
    facts: list[Event] = []
    while s.dates and s.dates[0][0] <= now_us:
        due, fid, pid, brand, key, version = heapq.heappop(s.dates)
        s.known.discard(fid)
        s.written[fid] = due
        if engine.journeys.live.get(key) != version:
            continue   # paused, or a newer version replaced it (planned again from the states)
        facts.append(JourneyFired(event_id=fid, player_id=pid, brand=brand, occurred_at=moment(due), actor="engine",
                                  journey_key=key, version=version, trigger="date", fires_at=moment(due)))
    return write_facts(engine, facts) if facts else 0


def after_batch(engine: Any, items: Sequence[tuple[int, Event, int]]) -> None:
    """A registration or a profile change may move a player's dates: plan theirs again."""
    s = scheduler_of(engine)
    if s.live is None or not s.live or s.live is not engine.journeys:
        return
    dated = _with(s.live, DateTrigger)
    if not dated:
        return
    moved = {e.player_id for _, e, _ in items if isinstance(e, (PlayerRegistered, PlayerUpdated))}
    if not moved:
        return
    now_us = time.time_ns() // 1000
    for pid in sorted(moved):
        state = engine.states.get(pid)
        if state is not None:
            _plan_player(s, dated, state, now_us)


# --- the stage sweep -------------------------------------------------------------------------

def sweep_stages(engine: Any, now_us: int) -> int:
    """A `croupier.segment_sweep` timer fact for each player whose lifecycle stage time has
    moved since their last fold; returns how many were written."""
    from croupier.engine.changes import stage_now
    from croupier.segments.realtime import sweep_fact

    lifecycle = engine.config.features.lifecycle
    due = [sweep_fact(state, now_us) for state in every_state(engine)
           if state.stage and stage_now(state, now_us, lifecycle) != state.stage]
    scheduler_of(engine).stages_swept_us = now_us
    return write_facts(engine, due) if due else 0


def _stage_journeys(live: LiveJourneys) -> bool:
    return bool(live.started_by(STAGE_CHANGED) or live.has_goal_on(STAGE_CHANGED))


# --- the tick --------------------------------------------------------------------------------

def run_due(engine: Any, now_us: int) -> int:
    """Everything due by `now_us`: schedules, dates, the stage sweep; returns the facts written."""
    s = scheduler_of(engine)
    live = engine.journeys
    if s.live is not live:
        plan(engine, now_us)
    written = fire_schedules(engine, now_us) if s.next_us else 0
    if s.once_planned or _with(live, Once):
        written += fire_once(engine, now_us)
    if _with(live, DateTrigger):
        if now_us - s.dates_scanned_us >= DAY_US:
            scan_dates(engine, now_us)
        written += fire_dates(engine, now_us)
    if _stage_journeys(live):
        from croupier.segments.realtime import sweep_seconds

        if now_us - s.stages_swept_us >= int(sweep_seconds() * 1_000_000):
            written += sweep_stages(engine, now_us)
    return written


def tick(engine: Any) -> None:
    """The engine's idle tick (nothing to do while no journey was ever live)."""
    if engine.journeys or scheduler_of(engine).live is not None:
        run_due(engine, time.time_ns() // 1000)
