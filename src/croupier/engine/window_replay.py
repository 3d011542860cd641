"""A past window of the real log, replayed in memory through the engine's own `step`, with
chosen segments live from the window's start: the replay a dry run stands on.

Like the shadow mode (`compliance.shadow`), every player is refolded from the whole of their
history and nothing is written (no states, facts, audit or outbox). What it adds is time:
- the window is a span of *occurred* time, [since, until): the players are those with an
  event that occurred before `until` (a player idle through the whole window can still
  enter "idle 14 days" in it), and each one's events that occurred before `until` are
  folded in log order;
- up to the first event at or after `since`, the player folds with no segment live; then
  the segments go live, and the player is evaluated at `since` (who matches then was
  "already in"), as the live engine's sweep does when a segment goes live;
- what time alone changes is evaluated as the live sweep does: every player at each
  multiple of `sweep_every` (UTC midnight for a day) inside the window, placed before the
  first event at or after it, and once more at `until`. A player is evaluated only once
  their first event is folded (the live engine has no state for them before).

Chosen journeys can be live from the window's start too (a journey's dry run,
`journeys.dry_run`): every event from then on goes through `step` with them live, and the
timer facts their waits ask for are made here, as the live engine's tick would write them
(`croupier.journey_timer`, at the due time, with the id the live engine would give it), and
folded in time order: a timer due at or before an event's time is folded before it, and
the timers due before `until` after the last event. The firings of their schedule, date and
one-off triggers are made the same way, as the live scheduler would write them had the
journeys gone live at `since` (`journeys.scheduler.firings`; no throttle), each folded only
for a player in the trigger's audience then. The live engine's own timer and firing facts of
those journeys in the log are passed over (the replay makes its own).

Every membership change goes to an observer with the state right after it (mutated by the
next step: read it then), together with the step's result for an event (its gate
decisions, for a journey dry run to build on) or None for an evaluation by time. With
journeys live, every step from the window's start (events and timers) goes to `stepped`
with its result. The work
is bounded like the shadow's: at most `MAX_PLAYERS` players and `MAX_EVENTS` events, taken
in player id order; the scope says when the window was cut."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from croupier.compliance.rules import rules_in_force
from croupier.compliance.shadow import MAX_EVENTS, MAX_PLAYERS, History
from croupier.engine.step import StepResult, step
from croupier.events import LOG_STREAMS, JourneyFired, JourneyTimer, decode_stored
from croupier.journeys.definition import DateTrigger, Once, Schedule
from croupier.journeys.run import EMPTY as NO_JOURNEYS, LiveJourneys, TimerAction
from croupier.journeys.scheduler import firings, in_audience
from croupier.players import EngineConfig, PlayerState, micros, moment, new_state
from croupier.players.state import DAY_US
from croupier.segments.live import EMPTY, SWEEP, Change, LiveSegments, update
from croupier.store import Database
from croupier.store.schema import events

CHUNK = 200          # players whose histories are read in one query

# (player id, the state right after the change, the changes, when, the step's result or None)
Observer = Callable[[str, PlayerState, list[Change], int, StepResult | None], None]
# (player id, the step's result) for every step with the journeys live, events and timers alike
Stepped = Callable[[str, StepResult], None]
# Kinds of evaluation by time, for an observer that tells them apart: at the window's start
# (who is "already in") and the scheduled ones.
START, SCHEDULED = "dry-run:start", "dry-run:sweep"


@dataclass(frozen=True, slots=True)
class Scope:
    """What the replay covered: the players with history before `until`, those folded, the
    events folded, and why it stopped short (None: it did not)."""

    players: int
    evaluated: int
    events: int
    cut: str | None


def sweep_points(since_us: int, until_us: int, every_us: int) -> list[int]:
    """The scheduled evaluations inside (since, until), then `until` itself."""
    first = (since_us // every_us + 1) * every_us
    return [*range(first, until_us, every_us), until_us]


def _chosen(rows: Sequence[tuple[str, int]]) -> tuple[list[str], int, str | None]:
    players, total = [], 0
    for pid, n in rows:
        if len(players) >= MAX_PLAYERS:
            return players, total, f"at most {MAX_PLAYERS:,} players are replayed"
        if total + n > MAX_EVENTS:
            return players, total, f"at most {MAX_EVENTS:,} events are replayed"
        players.append(pid)
        total += n
    return players, total, None


def _histories(db: Database, players: list[str], until_us: int) -> Iterator[tuple[str, list[tuple[int, Any, int]]]]:
    for start in range(0, len(players), CHUNK):
        chunk = players[start:start + CHUNK]
        found: dict[str, list[tuple[int, Any, int]]] = {pid: [] for pid in chunk}
        with db.reader.connect() as conn:
            for pid, seq, payload, received in conn.execute(
                    select(events.c.player_id, events.c.seq, events.c.payload, events.c.received_at_us)
                    .where(events.c.player_id.in_(chunk), events.c.occurred_at_us < until_us)
                    .order_by(events.c.player_id, events.c.seq)):
                found[pid].append((seq, decode_stored(payload), received))
        yield from found.items()


def _timer_fact(state: PlayerState, action: TimerAction) -> JourneyTimer:
    """The timer fact the live engine's tick would write for `action` (`journeys.engine_shell`)."""
    return JourneyTimer(event_id=action.timer_id, player_id=state.player_id, brand=state.brand or "croupier",
                        occurred_at=moment(action.due_us), actor="engine", journey_key=action.journey_key,
                        entry_id=action.entry_id, step_id=action.step_id)


def replay_player(player_id: str, items: list[tuple[int, Any, int]], live: LiveSegments, config: EngineConfig,
                  since_us: int, until_us: int, every_us: int, observe: Observer,
                  journeys: LiveJourneys = NO_JOURNEYS, stepped: Stepped | None = None) -> PlayerState:
    """Fold one player's history (events before `until`, in log order) with `live` (and
    `journeys`) in force from the window's start, evaluating by time as the live sweep would
    and folding the journeys' timers when due; returns the state at `until`."""
    state = new_state(player_id)
    rules = rules_in_force(config)
    log = History(items)
    features = config.features
    points = sweep_points(since_us, until_us, every_us)
    upcoming = 0                     # the next of `points` not yet evaluated
    started = folded = planned = False
    # (due, id, what): the waits not yet ended, and the schedule, date and one-off firings to come
    timers: list[tuple[int, str, TimerAction | JourneyFired]] = []
    last_seq = 0

    def by_time(at_us: int, cause: str) -> None:
        changes = update(state, live, SWEEP, False, at_us, f"{cause}:{at_us}", features)
        if changes:
            observe(player_id, state, changes, at_us, None)

    def stepped_by(result: StepResult) -> None:
        if result.journeys is not None:
            for action in result.journeys.of(TimerAction):
                if action.due_us < until_us:
                    heapq.heappush(timers, (action.due_us, action.timer_id, action))
        if stepped is not None:
            stepped(player_id, result)

    def plan_firings(from_us: int) -> None:
        """The firings the live scheduler would write for this player (from `from_us`, when
        they first exist in the window), the journeys having gone live at `since`."""
        nonlocal planned
        planned = True
        for c in journeys.all():
            if isinstance(c.journey.trigger, (Schedule, DateTrigger, Once)):
                for fired in firings(c, state, since_us, until_us):
                    if micros(fired.fires_at) >= from_us:
                        heapq.heappush(timers, (micros(fired.fires_at), fired.event_id, fired))

    def timers_due(at_us: int) -> None:
        """Fold the timers and firings due by `at_us`, earliest first (a timer's step may ask
        for another); a firing only for a player in its audience then, as the scheduler does."""
        nonlocal state
        while timers and timers[0][0] <= at_us:
            due_us, _, action = heapq.heappop(timers)
            if isinstance(action, JourneyFired):
                c = journeys.current(action.journey_key)
                if c is None or (isinstance(c.journey.trigger, (Schedule, Once))
                                 and not in_audience(c, state, due_us, features)):
                    continue
                fact: Any = action
            else:
                fact = _timer_fact(state, action)
            result = step(state, fact, last_seq, due_us, config, log, rules, live, journeys)
            state = result.state
            if result.segments:
                observe(player_id, state, result.segments, result.at_us, result)
            stepped_by(result)

    for seq, event, received_us in items:
        at_us = micros(event.occurred_at)
        if journeys and isinstance(event, (JourneyTimer, JourneyFired)) and event.journey_key in journeys.live:
            continue                 # the live engine's own timer or firing: the replay makes its own
        if not started and at_us >= since_us:
            started = True
            if folded:
                by_time(since_us, START)
                if journeys:
                    plan_firings(since_us)
        if started:
            while upcoming < len(points) - 1 and points[upcoming] <= at_us:
                timers_due(points[upcoming] - 1)      # in time order: the waits that ended before it
                if folded:
                    by_time(points[upcoming], SCHEDULED)
                upcoming += 1
            timers_due(at_us)
        result = step(state, event, seq, received_us, config, log, rules, live if started else EMPTY,
                      journeys if started else NO_JOURNEYS)
        state = result.state
        folded = True
        last_seq = seq
        if result.segments:
            observe(player_id, state, result.segments, result.at_us, result)
        if started and journeys:
            stepped_by(result)
            if not planned:       # first seen in the window (a registration): planned from now on
                plan_firings(at_us)
    if folded:
        if not started:
            by_time(since_us, START)
            if journeys:
                plan_firings(since_us)
        for at_us in points[upcoming:]:
            timers_due(at_us - 1)
            by_time(at_us, SCHEDULED)
    return state


def replay_window(db: Database, live: LiveSegments, config: EngineConfig, *, since_us: int, until_us: int,
                  every_us: int = DAY_US, observe: Observer,
                  at_end: Callable[[PlayerState], None] | None = None,
                  journeys: LiveJourneys = NO_JOURNEYS, stepped: Stepped | None = None) -> Scope:
    """Replay [since, until) of the log with `live` (and `journeys`) in force from `since`
    (see the module's docstring); `at_end` receives each player's state at `until`,
    `stepped` every step's result once the journeys are live."""
    if until_us <= since_us:
        raise ValueError("the window must end after it starts")
    if every_us <= 0:
        raise ValueError("the time between evaluations must be positive")
    with db.reader.connect() as conn:
        rows = conn.execute(select(events.c.player_id, func.count())
                            .where(events.c.occurred_at_us < until_us, events.c.player_id.not_in(sorted(LOG_STREAMS)))
                            .group_by(events.c.player_id).order_by(events.c.player_id)).all()
    players, total, cut = _chosen([(pid, n) for pid, n in rows])
    for pid, items in _histories(db, players, until_us):
        state = replay_player(pid, items, live, config, since_us, until_us, every_us, observe, journeys, stepped)
        if at_end is not None:
            at_end(state)
    return Scope(players=len(rows), evaluated=len(players), events=total, cut=cut)
