"""The journey interpreter: one pure function, `advance`, that the engine's fold calls for
each thing that happens to a player (an event or fact, a journey timer, a trigger firing)
and that moves them through the live journeys.

It mutates the player's `JourneyState` in place (as `players.apply` mutates `PlayerState`)
and returns the actions to take, in order, and a record of every decision with its reason.
Pure and replay-exact: it reads only its arguments; time is the `at_us` it is given; split
variants, holdouts and ids are hashes; timers are facts the engine writes to the log, so a
replay of the log takes every step again, the same way, and a restart loses no timer.

The player's values are read through `values_of(names)`, right when a condition is checked
(before every step: the exit conditions, then the step's own condition), never captured at
entry: within one call they are read once and reused, since the player's state does not
change while the interpreter runs.

The rules, in the order they apply to an event (docs/journeys.md, How a journey runs):
1. goals: the event converts the goals whose window is open (held-out players' too); a goal
   that ends the journey ends the player's run;
2. waits: a player waiting for this event type (matching the step's condition, before the
   timeout) goes on to `on_event`;
3. triggers: each live journey the event starts is offered it, safer play first, then by
   priority, then by key; an entry passes the trigger's condition, "not in it already",
   re-entry, safer play, the group, and the exit conditions, then the holdout."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from croupier.journeys.definition import (
    Bonus, Branch, EventTrigger, Exit, Once, Schedule, Send, Split, Tag, Task, Wait, WaitForEvent,
)
from croupier.journeys.durations import seconds
from croupier.journeys.event_types import EVENT_PREFIX
from croupier.journeys.run import ids
from croupier.journeys.run.happenings import Fired, Happening, Occurrence, Timer
from croupier.journeys.run.live import US, Check, CompiledJourney, LiveJourneys
from croupier.journeys.run.outcome import (
    NOTHING, Action, BonusAction, Outcome, Record, SendAction, TagAction, TaskAction, TimerAction,
)
from croupier.journeys.run.state import History, JourneyState, Run
from croupier.journeys.split import assign, in_holdout

ValuesOf = Callable[[frozenset[str]], Mapping[str, Any]]
_EMPTY: Mapping[str, Any] = {}


def advance(live: LiveJourneys, state: JourneyState, happening: Happening, values_of: ValuesOf, at_us: int,
            player_id: str, *, segments: Collection[int] = ()) -> Outcome:
    """Move the player through the live journeys for `happening`, at `at_us` (the event's
    time, the timer's due time, the firing's time). Mutates `state`; returns the actions in
    the order to take them and the records of every decision. `values_of(names)` returns the
    player's current values (catalogue features and protection identifiers) for `names`;
    `segments` the live segments the player is a member of now (a schedule's audience)."""
    if isinstance(happening, Occurrence) and not concerns(live, state, happening.type):
        return NOTHING
    p = _Pass(live, state, values_of, at_us, player_id, happening.event_id)
    if isinstance(happening, Occurrence):
        p.occurrence(happening)
    elif isinstance(happening, Timer):
        p.timer(happening)
    else:
        p.fired(happening, segments)
    return p.outcome()


def concerns(live: LiveJourneys, state: JourneyState, type_: str) -> bool:
    """Whether an event of `type_` can do anything to the player's journeys (start one,
    convert a goal, end a wait): the engine asks this first, and builds the `Occurrence` and
    the values only when it can."""
    return bool(live.started_by(type_) or (state.history and live.has_goal_on(type_))
                or (state.runs and any(r.event == type_ for r in state.runs.values())))


class _Pass:
    """One call of `advance`: its inputs, the values read so far, what it decided."""

    __slots__ = ("live", "state", "values_of", "at_us", "player_id", "cause_id", "actions", "records", "_values")

    def __init__(self, live: LiveJourneys, state: JourneyState, values_of: ValuesOf, at_us: int, player_id: str,
                 cause_id: str) -> None:
        self.live, self.state, self.values_of = live, state, values_of
        self.at_us, self.player_id, self.cause_id = at_us, player_id, cause_id
        self.actions: list[Action] = []
        self.records: list[Record] = []
        self._values: dict[str, Any] = {}

    def outcome(self) -> Outcome:
        if not self.actions and not self.records:
            return NOTHING
        return Outcome(tuple(self.actions), tuple(self.records))

    # -- values and conditions ------------------------------------------------------------
    def values(self, names: Collection[str]) -> Mapping[str, Any]:
        """The player's current values for `names` (read once per pass)."""
        missing = [n for n in names if n not in self._values]
        if missing:
            got = self.values_of(frozenset(missing))
            for n in missing:
                self._values[n] = got.get(n)
        return self._values

    def holds(self, check: Check, fields: Mapping[str, Any] = _EMPTY) -> bool:
        values = self.values(check.names)
        if check.event_fields:
            values = {**values, **{EVENT_PREFIX + f: fields.get(f) for f in check.event_fields}}
        return check.predicate(values)

    def record(self, kind: str, key: str, reason: str, *, version: int = 0, entry_id: str = "", step_id: str = "",
               **detail: Any) -> None:
        self.records.append(Record(kind, key, reason, self.at_us, self.cause_id, version, entry_id, step_id,
                                   detail))

    # -- what happened --------------------------------------------------------------------
    def occurrence(self, o: Occurrence) -> None:
        if self.state.history and self.live.has_goal_on(o.type):
            self.goals(o)
        for key in sorted(k for k, r in self.state.runs.items() if r.event == o.type):
            self.awaited(key, o)
        for c in self.live.started_by(o.type):
            if c.starts_on(o.type, o.fields):
                self.enter(c, o.event_id, o.fields)

    def goals(self, o: Occurrence) -> None:
        for key in sorted(self.state.history):
            h = self.state.history[key]
            if not h.last_entered_us <= self.at_us <= h.window_until_us:
                continue
            c = self.live.version(key, h.last_version)
            if c is None:
                continue
            for g in c.goals:
                if g.event != o.type or h.reached(g.name) or self.at_us > h.last_entered_us + g.window_us:
                    continue
                if g.check is not None and not self.holds(g.check, o.fields):
                    continue
                h.converted = (*h.converted, (g.name, self.at_us))
                run = self.state.runs.get(key)
                taken = dict(run.variants) if run is not None and run.entry_id == h.last_entry_id else {}
                self.record("converted", key, f"goal:{g.name}", version=h.last_version, entry_id=h.last_entry_id,
                            goal=g.name, holdout=h.holdout, after_us=self.at_us - h.last_entered_us,
                            **({"variants": taken} if taken else {}))
                if g.ends_journey and run is not None and run.entry_id == h.last_entry_id:
                    self.leave(key, run, f"goal:{g.name}", run.step)

    def awaited(self, key: str, o: Occurrence) -> None:
        run = self.state.runs[key]
        c = self.live.version(key, run.version)
        if c is None:
            self.leave(key, run, "unknown_version", run.step)
            return
        step = c.steps[run.step]
        assert isinstance(step, WaitForEvent)
        check = c.checks.get(step.id)
        if check is not None and not self.holds(check, o.fields):
            return
        if self.at_us > run.until_us:
            self.record("ignored", key, "late_event", version=run.version, entry_id=run.entry_id, step_id=step.id)
            return
        self.record("resumed", key, "event", version=run.version, entry_id=run.entry_id, step_id=step.id,
                    event=o.type)
        self.go(key, run, c, step.on_event)

    def timer(self, t: Timer) -> None:
        run = self.state.runs.get(t.journey_key)
        if run is None or run.entry_id != t.entry_id or run.step != t.step_id or run.until_us != t.due_us:
            self.record("ignored", t.journey_key, "stale_timer", entry_id=t.entry_id, step_id=t.step_id)
            return
        c = self.live.version(t.journey_key, run.version)
        if c is None:
            self.leave(t.journey_key, run, "unknown_version", run.step)
            return
        step = c.steps[run.step]
        if isinstance(step, WaitForEvent):
            reason, following = "timeout", step.on_timeout
        else:
            reason, following = "timer", c.following[step.id]
        self.record("resumed", t.journey_key, reason, version=run.version, entry_id=run.entry_id, step_id=step.id)
        self.go(t.journey_key, run, c, following)

    def fired(self, f: Fired, segments: Collection[int]) -> None:
        c = self.live.current(f.journey_key)
        if c is None:
            self.record("ignored", f.journey_key, "not_live")
            return
        t = c.journey.trigger
        if isinstance(t, (Schedule, Once)) and t.segment_id is not None and t.segment_id not in segments:
            self.record("refused", c.key, "trigger_condition", version=c.version, segment_id=t.segment_id)
            return
        self.enter(c, f.event_id, _EMPTY)

    # -- entering ---------------------------------------------------------------------------
    def enter(self, c: CompiledJourney, cause: str, fields: Mapping[str, Any]) -> None:
        key, state, at = c.key, self.state, self.at_us

        def refuse(reason: str, **detail: Any) -> None:
            code = reason.split(":", 1)[0]
            if state.refused.get(key) != code:      # recorded once until they enter or another reason holds
                state.refused[key] = code
                self.record("refused", key, reason, version=c.version, **detail)

        if c.trigger is not None and not self.holds(c.trigger, fields):
            if isinstance(c.journey.trigger, EventTrigger):
                return None     # an event that does not meet the trigger's condition is not the trigger
            return refuse("trigger_condition", condition=c.trigger.text)
        if key in state.runs:
            return refuse("already_in", entry_id=state.runs[key].entry_id)
        h = state.history.get(key)
        if h is not None and h.holdout and at <= h.window_until_us:
            return refuse("already_in_holdout", entry_id=h.last_entry_id)
        if h is not None and h.entries:
            reentry = c.journey.reentry
            if reentry.policy == "never":
                return refuse("reentry_never", entered_us=h.last_entered_us)
            if reentry.policy == "after" and reentry.cooldown is not None:
                until = h.last_entered_us + seconds(reentry.cooldown) * US
                if at < until:
                    return refuse(f"reentry_cooldown:{until}", until_us=until)
        preempted: list[str] = []
        if c.promotional:
            others = [(k, self.live.version(k, state.runs[k].version)) for k in sorted(state.runs)]
            safer = next((k for k, other in others if other is not None and other.safer_play), None)
            if safer is not None:
                return refuse(f"safer_play_active:{safer}")
            for other_key, other in others:
                if other is not None and other.promotional and other.journey.group == c.journey.group:
                    if c.journey.priority > other.journey.priority:
                        preempted.append(other_key)
                    else:
                        return refuse(f"group_busy:{other_key}", priority=other.journey.priority)
        for check in c.exits:
            if self.holds(check):
                return refuse(f"exit_when:{check.text}")
        state.refused.pop(key, None)
        entry = ids.entry_id(key, c.version, self.player_id, cause)
        held_out = bool(c.journey.holdout_percent) and in_holdout(key, self.player_id, c.journey.holdout_percent)
        h = state.history.setdefault(key, History())
        h.entries += 1
        h.last_version, h.last_entry_id, h.last_entered_us = c.version, entry, at
        h.holdout, h.window_until_us, h.converted = held_out, at + c.window_us, ()
        if held_out:
            self.record("held_out", key, "holdout", version=c.version, entry_id=entry,
                        percent=c.journey.holdout_percent, window_until_us=h.window_until_us)
            return None
        for other_key in preempted:
            self.leave(other_key, state.runs[other_key], f"preempted_by:{key}", state.runs[other_key].step)
        if c.safer_play:
            for other_key in sorted(state.runs):
                other = self.live.version(other_key, state.runs[other_key].version)
                if other is not None and other.promotional:
                    self.leave(other_key, state.runs[other_key], f"safer_play:{key}", state.runs[other_key].step)
        run = state.runs[key] = Run(c.version, entry, cause, at)
        # the variant of every split, as assigned now (the same hash the split step reads), so
        # the entry is attributed to its arm before the player reaches the split
        variants = {s.id: assign(key, s.id, self.player_id, s.variants).name
                    for s in c.journey.steps if isinstance(s, Split)}
        self.record("entered", key, "trigger", version=c.version, entry_id=entry,
                    window_until_us=h.window_until_us, **({"variants": variants} if variants else {}))
        self.go(key, run, c, c.first)
        return None

    # -- running steps --------------------------------------------------------------------------
    def go(self, key: str, run: Run, c: CompiledJourney, step_id: str | None) -> None:
        """Take steps from `step_id` until the player waits or leaves. Before every step: the
        journey must still be live, and no exit condition may hold now."""
        run.step, run.until_us, run.event = "", 0, ""
        taken = 0
        while True:
            if step_id is None:
                self.leave(key, run, "exit_step")
                return
            if key not in self.live.live:
                self.leave(key, run, "paused", step_id)
                return
            taken += 1
            if taken > len(c.steps) + 1:
                self.leave(key, run, "loop", step_id)
                return
            for check in c.exits:
                if self.holds(check):
                    self.leave(key, run, f"exit_when:{check.text}", step_id)
                    return
            step = c.steps[step_id]
            run.seq += 1
            if isinstance(step, Exit):
                self.leave(key, run, "exit_step", step_id, outcome=step.outcome)
                return
            if isinstance(step, (Wait, WaitForEvent)):
                self.wait(key, run, c, step)
                return
            if isinstance(step, Branch):
                ok = self.holds(c.checks[step_id])
                self.record("step", key, f"branch_{'then' if ok else 'else'}:{c.checks[step_id].text}",
                            version=run.version, entry_id=run.entry_id, step_id=step_id)
                step_id = step.then if ok else step.otherwise
                continue
            if isinstance(step, Split):
                variant = assign(key, step_id, self.player_id, step.variants)
                if run.variant(step_id) is None:
                    run.variants = (*run.variants, (step_id, variant.name))
                self.record("step", key, f"split:{variant.name}", version=run.version, entry_id=run.entry_id,
                            step_id=step_id, variant=variant.name)
                step_id = variant.next
                continue
            check = c.checks.get(step_id)
            if check is not None and not self.holds(check):
                self.record("skipped", key, f"when_false:{check.text}", version=run.version, entry_id=run.entry_id,
                            step_id=step_id)
            else:
                self.act(key, run, c, step)
            step_id = c.following[step_id]

    def wait(self, key: str, run: Run, c: CompiledJourney, step: Wait | WaitForEvent) -> None:
        until = self.at_us + c.durations_us[step.id]
        run.step, run.until_us = step.id, until
        run.event = step.event if isinstance(step, WaitForEvent) else ""
        self.actions.append(TimerAction(key, run.entry_id, step.id, until,
                                        ids.timer_id(run.entry_id, step.id, run.seq, until)))
        if isinstance(step, WaitForEvent):
            self.record("waiting", key, f"wait_for_event:{step.event}", version=run.version, entry_id=run.entry_id,
                        step_id=step.id, until_us=until)
        else:
            self.record("waiting", key, f"wait:{until}", version=run.version, entry_id=run.entry_id,
                        step_id=step.id, until_us=until)

    def act(self, key: str, run: Run, c: CompiledJourney, step: Send | Bonus | Tag | Task) -> None:
        j = c.journey
        cause = ids.step_cause(key, run.version, self.player_id, run.cause_id, step.id, run.seq)
        action: Action
        if isinstance(step, Send):
            expires = c.durations_us.get(step.id)
            personal = self.values(step.personalise) if step.personalise else _EMPTY
            action = SendAction(key, run.version, run.entry_id, step.id, cause, step.channel, step.template,
                                step.purpose or j.purpose, j.priority, self.at_us,
                                None if expires is None else self.at_us + expires,
                                {n: personal.get(n) for n in step.personalise}, run.variants)
        elif isinstance(step, Bonus):
            action = BonusAction(key, run.version, run.entry_id, step.id, cause, step.template, run.variants)
        elif isinstance(step, Tag):
            action = TagAction(key, run.version, run.entry_id, step.id, cause, step.tag, step.action == "set")
        else:
            due = c.durations_us.get(step.id)
            action = TaskAction(key, run.version, run.entry_id, step.id, cause, step.queue, step.title,
                                None if due is None else self.at_us + due, run.seq)
        self.actions.append(action)
        self.record("step", key, "action", version=run.version, entry_id=run.entry_id, step_id=step.id,
                    cause_id=cause)

    def leave(self, key: str, run: Run, reason: str, step_id: str = "", **detail: Any) -> None:
        del self.state.runs[key]
        h = self.state.history.get(key)
        if h is not None:
            h.last_exit_us = self.at_us
        self.record("exited", key, reason, version=run.version, entry_id=run.entry_id, step_id=step_id,
                    entered_us=run.entered_us, **{k: v for k, v in detail.items() if v is not None})
