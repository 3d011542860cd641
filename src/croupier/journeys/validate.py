"""A whole journey checked before it is published: identity, trigger, every step, the step
graph, goals, exit conditions, re-entry and holdout. Every problem is reported at once, each
with its JSON path (`$.steps[3].next`), the value found there and what to do; a problem inside
a condition written as text also carries its line and column in that text."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from msgspec import UNSET

from croupier.journeys.definition import (
    CHANNELS, DATES, QUEUES, WEEKDAYS, Bonus, Branch, Condition, DateTrigger, EventTrigger, Exit, Journey, Once,
    Schedule,
    SegmentEntered, SegmentLeft, Send, Split, StageChanged, Step, Tag, Task, Wait, WaitForEvent, from_json, graph, waits,
)
from croupier.journeys.durations import DAY, HOUR, MINUTE, Duration, DurationError, seconds, words
from croupier.journeys.errors import JourneyError, Problem
from croupier.journeys.timing import wall_clock
from croupier.journeys.event_types import EVENT_PREFIX, PROTECTIVE, event_fields, event_types
from croupier.players import STAGES
from croupier.segments import PROTECTION, Identifier, SegmentError, default_vocabulary, load_json, parse_valid
from croupier.segments.definition import Node
from croupier.segments.errors import Problem as SegmentProblem

KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")            # journey key, group, tag, goal and variant names
STEP_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
TEMPLATE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,127}$")
TIME_OF_DAY = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")

MAX_PRIORITY = 1000
MAX_HOLDOUT = 50
MAX_STEPS = 200
MAX_VARIANTS = 10
MAX_DAYS_BEFORE = 30
MAX_THROTTLE = 1_000_000      # players a minute
# (least, most) seconds, per kind of duration.
BOUNDS: Mapping[str, tuple[int, int]] = {
    "wait": (MINUTE, 365 * DAY),
    "timeout": (MINUTE, 90 * DAY),
    "expires_after": (MINUTE, 30 * DAY),
    "due_in": (MINUTE, 90 * DAY),
    "window": (HOUR, 365 * DAY),
    "cooldown": (HOUR, 3650 * DAY),
}

Vocabulary = Mapping[str, Identifier]


def load(data: bytes | str | Any, vocabulary: Vocabulary | None = None) -> Journey:
    """Read a journey (JSON text or decoded JSON) and validate it; JourneyError lists every problem."""
    journey = from_json(data)
    validate(journey, vocabulary)
    return journey


def validate(journey: Journey, vocabulary: Vocabulary | None = None) -> None:
    """Raise JourneyError unless the journey is valid."""
    found = problems(journey, vocabulary)
    if found:
        raise JourneyError(found)


def problems(journey: Journey, vocabulary: Vocabulary | None = None) -> list[Problem]:
    """Every problem with the journey, in the order of its JSON (empty: it is valid)."""
    check = _Check(journey, default_vocabulary() if vocabulary is None else vocabulary)
    check.identity()
    check.trigger()
    check.steps()
    check.flow()
    check.goals()
    check.exits()
    check.reentry()
    return check.found


def conflicts(journeys: Sequence[Journey]) -> list[Problem]:
    """Problems between journeys switched on together (paths index the list): a key used twice,
    and promotional journeys of one group with equal priorities, which would leave the winner to
    the tie rule (the key that sorts first) rather than to a decision."""
    found: list[Problem] = []
    keys: dict[str, int] = {}
    ranks: dict[tuple[str, int], int] = {}
    for i, j in enumerate(journeys):
        if j.key in keys:
            found.append(Problem(f"$[{i}].key", f"the key {j.key!r} is switched on twice (also $[{keys[j.key]}]): "
                                                f"one version of a journey runs at a time", value=j.key))
            continue
        keys[j.key] = i
        if j.purpose != "promotional":
            continue
        other = ranks.setdefault((j.group, j.priority), i)
        if other != i:
            found.append(Problem(f"$[{i}].priority", f"{j.key!r} and {journeys[other].key!r} are both promotional "
                                                     f"in group {j.group!r} with priority {j.priority}: give them "
                                                     f"different priorities so that the one that should win does",
                                 value=j.priority))
    return found


def condition_tree(condition: Condition, vocabulary: Vocabulary | None = None) -> Node:
    """The segment tree of a condition (text or JSON), validated; SegmentError when wrong."""
    if isinstance(condition, str):
        return parse_valid(condition, vocabulary)
    return load_json(condition, vocabulary)


class _Check:
    def __init__(self, journey: Journey, vocabulary: Vocabulary) -> None:
        self.j = journey
        self.vocab = vocabulary
        self.found: list[Problem] = []
        self.graph_broken = False               # an unknown or repeated step id: the flow is checked once fixed

    def add(self, path: str, message: str, value: Any = UNSET, suggestions: Iterable[str] = ()) -> None:
        self.found.append(Problem(path, message, value=value, suggestions=tuple(suggestions)))

    # --- pieces ---------------------------------------------------------------------------

    def name(self, path: str, value: str, what: str, pattern: re.Pattern[str] = KEY) -> bool:
        if pattern.fullmatch(value):
            return True
        shape = "lower-case letters, digits and _" if pattern is KEY else "lower-case letters, digits, _ and -"
        if pattern is TEMPLATE:
            shape = "lower-case letters, digits, _, - and ."
        self.add(path, f"{what} {value!r} is not a valid name: use {shape}, starting with a letter"
                       f"{'' if pattern is KEY else ' or digit'} (for example \"welcome_email\")", value)
        return False

    def duration(self, path: str, value: Duration | None, kind: str) -> int | None:
        if value is None:
            return None
        try:
            total = seconds(value)
        except DurationError as exc:
            self.add(path, str(exc), value)
            return None
        least, most = BOUNDS[kind]
        if not least <= total <= most:
            self.add(path, f"{words(total)} is out of bounds for {kind.replace('_', ' ')}: "
                           f"use {words(least)} to {words(most)}", value)
            return None
        return total

    def event_type(self, path: str, value: str) -> bool:
        known = event_types()
        if value in known:
            return True
        close = difflib.get_close_matches(value, known, n=3, cutoff=0.6)
        hint = f"; did you mean {_either(close)}?" if close else "; see docs/journeys.md for the event types"
        self.add(path, f"unknown event type {value!r}{hint}", value, close)
        return False

    def condition(self, path: str, condition: Condition | None, event: str | None = None,
                  reads_event: str = "no") -> None:
        """Check a condition; `event` is the event type whose fields it may read, `reads_event`
        "unknown" when the condition belongs to an event whose type is not known."""
        if condition is None:
            return
        vocab: Vocabulary = self.vocab
        if event is not None:
            vocab = {**self.vocab, **event_fields(event)}
        try:
            condition_tree(condition, vocab)
        except SegmentError as exc:
            for p in exc.problems:
                if (p.identifier or "").startswith(EVENT_PREFIX) and p.identifier not in vocab:
                    if reads_event == "unknown":
                        continue                # the unknown event type is reported already
                    if event is None:
                        p = SegmentProblem(f"{p.identifier} reads an event: event fields may be read in the "
                                           f"conditions of an event trigger, a wait_for_event step and a goal only",
                                           line=p.line, column=p.column, path=p.path, identifier=p.identifier)
                    else:
                        fields = ", ".join(sorted(event_fields(event))) or "none"
                        p = SegmentProblem(f"{event} has no field {p.identifier.removeprefix(EVENT_PREFIX)!r}: "
                                           f"its fields are {fields}", line=p.line, column=p.column, path=p.path,
                                           identifier=p.identifier)
                if isinstance(condition, str):
                    self.found.append(Problem(path, p.message, value=condition, line=p.line, column=p.column,
                                              suggestions=p.suggestions))
                else:
                    where = path + (p.path or "$")[1:]
                    value = _at(condition, p.path or "$")
                    self.found.append(Problem(where, p.message, value=value, suggestions=p.suggestions))

    def timezone(self, path: str, value: str) -> None:
        zones = _zones()
        if value in zones:
            return
        close = difflib.get_close_matches(value, sorted(zones), n=3, cutoff=0.6)
        hint = f"; did you mean {_either(close)}?" if close else ""
        self.add(path, f"unknown time zone {value!r}: use an IANA name such as \"Europe/Malta\" or \"UTC\"{hint}",
                 value, close)

    def time_of_day(self, path: str, value: str) -> None:
        if not TIME_OF_DAY.fullmatch(value):
            self.add(path, f"{value!r} is not a time of day: write HH:MM on the 24-hour clock, e.g. \"09:30\"", value)

    def segment_id(self, path: str, value: int) -> None:
        if value < 1:
            self.add(path, f"segment id {value} is not a segment's id: ids are whole numbers from 1", value)

    # --- identity ---------------------------------------------------------------------------

    def identity(self) -> None:
        j = self.j
        self.name("$.key", j.key, "the key")
        if not j.name.strip() or len(j.name) > 200:
            self.add("$.name", "the name must be 1 to 200 characters and not blank", j.name)
        if len(j.description) > 2000:
            self.add("$.description", "the description is longer than 2,000 characters", len(j.description))
        if j.version < 1:
            self.add("$.version", f"version {j.version} is not valid: versions count from 1", j.version)
        self.name("$.group", j.group, "the group")
        if not 0 <= j.priority <= MAX_PRIORITY:
            self.add("$.priority", f"priority {j.priority} is out of bounds: use 0 to {MAX_PRIORITY} "
                                   f"(higher pre-empts lower)", j.priority)
        if not 0 <= j.holdout_percent <= MAX_HOLDOUT:
            self.add("$.holdout_percent", f"holdout {j.holdout_percent} % is out of bounds: use 0 to {MAX_HOLDOUT} %",
                     j.holdout_percent)
        if j.holdout_percent and j.purpose == "safer_play":
            self.add("$.holdout_percent", "a safer-play journey has no holdout: protective contact is never withheld "
                                          "to measure it; set 0", j.holdout_percent)

    # --- trigger ----------------------------------------------------------------------------

    def trigger(self) -> None:
        t, at = self.j.trigger, "$.trigger"
        event = None
        if isinstance(t, EventTrigger):
            if self.event_type(f"{at}.event", t.event):
                event = t.event
                if t.event in PROTECTIVE and self.j.purpose == "promotional":
                    self.add(f"{at}.event", f"{t.event} records a protective action or a rise in risk: a promotional "
                                            f"journey must not react to it (a safer_play journey may)", t.event)
        elif isinstance(t, (SegmentEntered, SegmentLeft)):
            self.segment_id(f"{at}.segment_id", t.segment_id)
        elif isinstance(t, StageChanged):
            for field, value in (("from", t.from_stage), ("to", t.to_stage)):
                if value is not None and value not in STAGES:
                    close = difflib.get_close_matches(value, STAGES, n=2, cutoff=0.6)
                    self.add(f"{at}.{field}", f"unknown lifecycle stage {value!r}: use one of {', '.join(STAGES)}",
                             value, close)
            if t.from_stage is None and t.to_stage is None:
                self.add(at, "a stage change needs \"from\", \"to\" or both: which change starts the journey?")
            elif t.from_stage == t.to_stage:
                self.add(f"{at}.to", f"\"from\" and \"to\" are both {t.to_stage!r}: a stage never changes to itself",
                         t.to_stage)
        elif isinstance(t, Schedule):
            self.schedule(t, at)
        elif isinstance(t, Once):
            self.once(t, at)
        elif isinstance(t, DateTrigger):
            if t.date not in DATES:
                self.add(f"{at}.date", f"unknown date {t.date!r}: use one of {', '.join(DATES)}", t.date)
            self.time_of_day(f"{at}.at", t.at)
            if not 0 <= t.days_before <= MAX_DAYS_BEFORE:
                self.add(f"{at}.days_before", f"days_before {t.days_before} is out of bounds: use 0 to "
                                              f"{MAX_DAYS_BEFORE}", t.days_before)
            self.timezone(f"{at}.fallback_timezone", t.fallback_timezone)
        unknown = isinstance(t, EventTrigger) and event is None
        self.condition(f"{at}.condition", t.condition, event, "unknown" if unknown else "no")

    def days(self, at: str, days: Sequence[Any], every: str, needed_by: str, noun: str, example: str,
             wrong: Callable[[Any], str | None]) -> None:
        """A schedule's weekdays or month days: needed (and each valid, none twice) exactly
        when it runs every `needed_by`."""
        field = at.rsplit(".", 1)[-1]
        if every != needed_by:
            if days:
                self.add(at, f"\"{field}\" applies to every {needed_by} only, not every {every}", list(days))
            return
        if not days:
            self.add(at, f"every {needed_by} needs \"{field}\", e.g. {example}")
        for i, day in enumerate(days):
            problem = wrong(day)
            if problem:
                self.add(f"{at}[{i}]", problem, day)
        if len(set(days)) != len(days):
            self.add(at, f"a {noun} is listed twice", list(days))

    def schedule(self, t: Schedule, at: str) -> None:
        self.time_of_day(f"{at}.at", t.at)
        self.timezone(f"{at}.timezone", t.timezone)
        self.days(f"{at}.weekdays", t.weekdays, t.every, "week", "weekday", "[\"mon\", \"thu\"]",
                  lambda day: None if day in WEEKDAYS else f"unknown weekday {day!r}: use {', '.join(WEEKDAYS)}")
        self.days(f"{at}.month_days", t.month_days, t.every, "month", "day", "[1, 15]",
                  lambda day: None if 1 <= day <= 28 else f"day {day} is not in every month: use 1 to 28")
        self.audience(t, at, "a schedule")

    def once(self, t: Once, at: str) -> None:
        self.audience(t, at, "a one-off send")
        self.timezone(f"{at}.timezone", t.timezone)
        if t.at is not None:
            try:
                wall_clock(t.at)
            except ValueError as exc:
                self.add(f"{at}.at", str(exc), t.at)
        elif t.local:
            self.add(f"{at}.local", "\"local\" sends at a wall-clock time in each player's zone: give that time "
                                    "in \"at\", e.g. \"2026-12-24T10:00\"", t.local)
        if t.throttle_per_minute is not None and not 1 <= t.throttle_per_minute <= MAX_THROTTLE:
            self.add(f"{at}.throttle_per_minute", f"throttle {t.throttle_per_minute} is out of bounds: use 1 to "
                                                  f"{MAX_THROTTLE:,} players a minute, or leave it out",
                     t.throttle_per_minute)

    def audience(self, t: Schedule | Once, at: str, what: str) -> None:
        if t.segment_id is not None:
            self.segment_id(f"{at}.segment_id", t.segment_id)
        elif t.condition is None:
            self.add(at, f"{what} needs an audience: a \"segment_id\", a \"condition\" or both "
                         "(otherwise every player would enter)")

    # --- steps ------------------------------------------------------------------------------

    def steps(self) -> None:
        steps = self.j.steps
        if not steps:
            self.add("$.steps", "a journey needs at least one step")
            return
        if len(steps) > MAX_STEPS:
            self.add("$.steps", f"{len(steps)} steps: a journey has at most {MAX_STEPS}", len(steps))
        seen: dict[str, int] = {}
        for i, step in enumerate(steps):
            if self.name(f"$.steps[{i}].id", step.id, "the step id", STEP_ID) and step.id in seen:
                self.graph_broken = True
                self.add(f"$.steps[{i}].id", f"step id {step.id!r} is used twice (first by $.steps[{seen[step.id]}]): "
                                             f"ids are unique in a journey", step.id)
            seen.setdefault(step.id, i)
        ids = set(seen)
        for i, step in enumerate(steps):
            at = f"$.steps[{i}]"
            self.step(step, at)
            for field, target in _targets(step):
                if target is not None and target not in ids:
                    self.graph_broken = True
                    close = difflib.get_close_matches(target, sorted(ids), n=3, cutoff=0.5)
                    hint = f"; did you mean {_either(close)}?" if close else ""
                    self.add(f"{at}.{field}", f"no step has the id {target!r}{hint}", target, close)
            if i == len(steps) - 1 and getattr(step, "next", "") is None:
                self.graph_broken = True
                self.add(at, f"the last step {step.id!r} has no \"next\": the journey would fall off its end; "
                             f"add an exit step or name the next step", step.id)

    def step(self, step: Step, at: str) -> None:
        promotional = self.j.purpose == "promotional"
        if isinstance(step, (Send, Bonus, Tag, Task)):
            self.condition(f"{at}.when", step.when)
        if isinstance(step, Wait):
            self.duration(f"{at}.duration", step.duration, "wait")
        elif isinstance(step, WaitForEvent):
            event = step.event if self.event_type(f"{at}.event", step.event) else None
            self.duration(f"{at}.timeout", step.timeout, "timeout")
            self.condition(f"{at}.condition", step.condition, event, "no" if event else "unknown")
        elif isinstance(step, Branch):
            self.condition(f"{at}.condition", step.condition)
        elif isinstance(step, Split):
            self.split(step, at)
        elif isinstance(step, Send):
            if step.channel not in CHANNELS:
                close = difflib.get_close_matches(step.channel, CHANNELS, n=2, cutoff=0.5)
                self.add(f"{at}.channel", f"unknown channel {step.channel!r}: use one of {', '.join(CHANNELS)}",
                         step.channel, close)
            self.name(f"{at}.template", step.template, "the template key", TEMPLATE)
            self.duration(f"{at}.expires_after", step.expires_after, "expires_after")
            if step.purpose == "promotional" and not promotional:
                self.add(f"{at}.purpose", f"a promotional message in a {self.j.purpose} journey: a "
                                          f"{self.j.purpose.replace('_', '-')} journey sends no promotions (they would "
                                          f"pass the arbiter and the gate as {self.j.purpose.replace('_', '-')} "
                                          f"contact); move it to a promotional journey", step.purpose)
            elif step.purpose == "safer_play" and self.j.purpose != "safer_play":
                self.add(f"{at}.purpose", f"a safer-play message in a {self.j.purpose} journey: safer-play contact "
                                          f"bypasses the contact caps, so only a safer_play journey sends it",
                         step.purpose)
            for k, name in enumerate(step.personalise):
                if name in PROTECTION:
                    self.add(f"{at}.personalise[{k}]", f"{name} is protection or risk state: it is never passed to a "
                                                       f"message template; personalise with catalogue features",
                             name)
                elif name not in self.vocab:
                    close = difflib.get_close_matches(name, list(self.vocab), n=3, cutoff=0.6)
                    hint = f"; did you mean {_either(close)}?" if close else ""
                    self.add(f"{at}.personalise[{k}]", f"unknown feature {name!r}{hint}", name, close)
        elif isinstance(step, Bonus):
            self.name(f"{at}.template", step.template, "the bonus template key", TEMPLATE)
            if not promotional:
                self.add(at, f"a bonus in a {self.j.purpose} journey: a bonus is a promotion; move it to a "
                             f"promotional journey", step.template)
        elif isinstance(step, Tag):
            self.name(f"{at}.tag", step.tag, "the tag")
        elif isinstance(step, Task):
            if step.queue not in QUEUES:
                close = difflib.get_close_matches(step.queue, QUEUES, n=2, cutoff=0.5)
                self.add(f"{at}.queue", f"unknown task queue {step.queue!r}: use one of {', '.join(QUEUES)}",
                         step.queue, close)
            if not step.title.strip() or len(step.title) > 200:
                self.add(f"{at}.title", "a task's title must be 1 to 200 characters and not blank", step.title)
            self.duration(f"{at}.due_in", step.due_in, "due_in")
        elif isinstance(step, Exit) and step.outcome is not None:
            self.name(f"{at}.outcome", step.outcome, "the outcome")

    def split(self, step: Split, at: str) -> None:
        if not 2 <= len(step.variants) <= MAX_VARIANTS:
            self.add(f"{at}.variants", f"a split needs 2 to {MAX_VARIANTS} variants, got {len(step.variants)}",
                     len(step.variants))
        names: set[str] = set()
        for k, v in enumerate(step.variants):
            if self.name(f"{at}.variants[{k}].name", v.name, "the variant name") and v.name in names:
                self.add(f"{at}.variants[{k}].name", f"variant {v.name!r} is named twice", v.name)
            names.add(v.name)
            if not 1 <= v.weight <= 100:
                self.add(f"{at}.variants[{k}].weight", f"weight {v.weight} is out of bounds: each variant takes "
                                                       f"1 to 100 percent", v.weight)
        total = sum(v.weight for v in step.variants)
        if step.variants and total != 100:
            self.add(f"{at}.variants", f"the weights sum to {total}, not 100: they are percents of the players "
                                       f"reaching the split", [v.weight for v in step.variants])

    # --- the graph --------------------------------------------------------------------------

    def flow(self) -> None:
        steps = self.j.steps
        if not steps or self.graph_broken:
            return
        edges = graph(self.j)
        index = {}
        for i, s in enumerate(steps):
            index.setdefault(s.id, i)
        reached = _reach(steps[0].id, edges)
        for step_id, i in index.items():
            if step_id not in reached:
                self.add(f"$.steps[{i}]", f"step {step_id!r} is unreachable: no step leads to it from the first "
                                          f"step {steps[0].id!r}", step_id)
        by_id = {s.id: s for s in reversed(steps)}
        for component in _cycles(edges):
            if component <= reached and not any(waits(by_id[s]) for s in component):
                loop = sorted(component, key=index.__getitem__)
                self.add(f"$.steps[{index[loop[0]]}]", f"the steps {', '.join(repr(s) for s in loop)} form a loop "
                                                       f"without a wait: a player would go round it forever in one "
                                                       f"pass; add a wait or a wait_for_event step", loop)
        exits = {s.id for s in steps if isinstance(s, Exit)}
        reverse: dict[str, list[str]] = {k: [] for k in edges}
        for k, targets in edges.items():
            for t in targets:
                reverse[t].append(k)
        ending: set[str] = set()
        for e in exits:
            ending |= _reach(e, {k: tuple(v) for k, v in reverse.items()})
        if not exits:
            self.add("$.steps", "the journey has no exit step: add one ({\"kind\": \"exit\", \"id\": \"done\"})")
            return
        stuck = sorted(reached - ending, key=index.__getitem__)
        if stuck:
            self.add(f"$.steps[{index[stuck[0]]}]", f"no exit can be reached from {_steps_words(stuck)}: every path "
                                                    f"from there loops forever; lead one of them to an exit", stuck)

    # --- goals, exits, re-entry -------------------------------------------------------------

    def goals(self) -> None:
        names: set[str] = set()
        for i, g in enumerate(self.j.goals):
            at = f"$.goals[{i}]"
            if self.name(f"{at}.name", g.name, "the goal name") and g.name in names:
                self.add(f"{at}.name", f"goal {g.name!r} is named twice", g.name)
            names.add(g.name)
            event = g.event if self.event_type(f"{at}.event", g.event) else None
            self.duration(f"{at}.window", g.window, "window")
            self.condition(f"{at}.condition", g.condition, event, "no" if event else "unknown")

    def exits(self) -> None:
        for i, c in enumerate(self.j.exit_when):
            self.condition(f"$.exit_when[{i}]", c)

    def reentry(self) -> None:
        r, at = self.j.reentry, "$.reentry"
        if r.policy == "after":
            if r.cooldown is None:
                self.add(f"{at}.cooldown", "re-entry \"after\" needs a \"cooldown\", e.g. \"P30D\"")
            else:
                self.duration(f"{at}.cooldown", r.cooldown, "cooldown")
        elif r.cooldown is not None:
            self.add(f"{at}.cooldown", f"a cooldown applies to the policy \"after\" only, not {r.policy!r}",
                     r.cooldown)


def _targets(step: Step) -> list[tuple[str, str | None]]:
    if isinstance(step, WaitForEvent):
        return [("on_event", step.on_event), ("on_timeout", step.on_timeout)]
    if isinstance(step, Branch):
        return [("then", step.then), ("else", step.otherwise)]
    if isinstance(step, Split):
        return [(f"variants[{k}].next", v.next) for k, v in enumerate(step.variants)]
    if isinstance(step, Exit):
        return []
    return [("next", step.next)]


def _reach(start: str, edges: Mapping[str, tuple[str, ...]]) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for t in edges.get(todo.pop(), ()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen


def _cycles(edges: Mapping[str, tuple[str, ...]]) -> list[set[str]]:
    """The strongly connected components that contain a cycle (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = edges.get(node, ())
            if i < len(targets):
                work.append((node, i + 1))
                t = targets[i]
                if t not in index:
                    work.append((t, 0))
                elif t in on_stack:
                    low[node] = min(low[node], index[t])
                continue
            if low[node] == index[node]:
                component = set()
                while True:
                    n = stack.pop()
                    on_stack.discard(n)
                    component.add(n)
                    if n == node:
                        break
                if len(component) > 1 or node in edges.get(node, ()):
                    out.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return out


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _at(obj: Any, path: str) -> Any:
    node = obj
    for part in path.removeprefix("$").replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("[") and isinstance(node, list) and int(part[1:-1]) < len(node):
            node = node[int(part[1:-1])]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return UNSET
    return node


def _either(names: list[str]) -> str:
    quoted = [repr(n) for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]



def _steps_words(ids: list[str]) -> str:
    return f"step {ids[0]!r}" if len(ids) == 1 else f"the steps {', '.join(repr(i) for i in ids)}"
