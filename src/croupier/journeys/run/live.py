"""The journeys the log has made live, compiled once per activation (like
`segments.live.LiveSegments`): every condition parsed and compiled to a predicate, the
identifiers each reads, the step graph, and indexes from an event type to the journeys it can
start, advance or convert.

Replay-exact: which journeys are live, and which version, follows the log alone (the
`croupier.journey_activated` fact carries the definition; `croupier.journey_deactivated`
pauses or archives a key). Every version ever activated is kept, because a player finishes
a journey on the version they entered with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from croupier.journeys.definition import (
    Bonus, Branch, Condition, EventTrigger, Journey, SegmentEntered, SegmentLeft, Send, StageChanged, Step, Tag, Task,
    WaitForEvent, from_json, successors,
)
from croupier.journeys.durations import seconds
from croupier.journeys.event_types import EVENT_PREFIX, event_fields
from croupier.journeys.validate import condition_tree, validate
from croupier.segments import Node, Predicate, default_vocabulary, predicate, reads, to_text

US = 1_000_000
SEGMENT_ENTERED = "croupier.segment_entered"
SEGMENT_LEFT = "croupier.segment_left"
STAGE_CHANGED = "croupier.stage_changed"


@lru_cache(maxsize=256)
def _vocabulary(event: str | None) -> Mapping[str, Any]:
    base = default_vocabulary()
    return base if event is None else {**base, **event_fields(event)}


@dataclass(frozen=True, slots=True)
class Check:
    """One condition, compiled: its text (for explanations), the player identifiers it reads
    (what `values_of` is asked for) and the event fields it reads (`event.<field>`)."""

    text: str
    predicate: Predicate = field(repr=False, compare=False)
    names: frozenset[str]                       # player identifiers
    event_fields: tuple[str, ...]               # field names of the event, without the prefix

    @classmethod
    def of(cls, condition: Condition, event: str | None = None) -> Check:
        vocab = _vocabulary(event)
        node: Node = condition_tree(condition, vocab)
        names = reads(node)
        return cls(condition if isinstance(condition, str) else to_text(node), predicate(node, vocab),
                   frozenset(n for n in names if not n.startswith(EVENT_PREFIX)),
                   tuple(sorted(n[len(EVENT_PREFIX):] for n in names if n.startswith(EVENT_PREFIX))))


def _check(condition: Condition | None, event: str | None = None) -> Check | None:
    return None if condition is None else Check.of(condition, event)


@dataclass(frozen=True, slots=True)
class CompiledGoal:
    name: str
    event: str
    window_us: int
    check: Check | None
    ends_journey: bool


@dataclass(frozen=True, slots=True)
class CompiledJourney:
    """One version of a journey, ready to run."""

    journey: Journey
    steps: Mapping[str, Step]                   # by id
    following: Mapping[str, str | None]         # a linear step's next step (its `next`, else the next listed)
    first: str
    trigger_type: str | None                    # the event type that can start it (None: schedule, date)
    trigger: Check | None
    checks: Mapping[str, Check]                 # step id -> its `when` (actions), `condition` (branch, wait)
    exits: tuple[Check, ...]
    goals: tuple[CompiledGoal, ...]
    window_us: int                              # the longest goal window (0: no goals)
    durations_us: Mapping[str, int]             # step id -> wait, timeout, expires_after or due_in

    @property
    def key(self) -> str:
        return self.journey.key

    @property
    def version(self) -> int:
        return self.journey.version

    @property
    def promotional(self) -> bool:
        return self.journey.purpose == "promotional"

    @property
    def safer_play(self) -> bool:
        return self.journey.purpose == "safer_play"

    @classmethod
    def of(cls, journey: Journey) -> CompiledJourney:
        steps: dict[str, Step] = {}
        following: dict[str, str | None] = {}
        for i, step in enumerate(journey.steps):
            nxt = journey.steps[i + 1].id if i + 1 < len(journey.steps) else None
            steps.setdefault(step.id, step)
            if step.id not in following:
                found = successors(step, nxt)
                following[step.id] = found[0] if found else None
        t = journey.trigger
        if isinstance(t, EventTrigger):
            trigger_type, trigger = t.event, _check(t.condition, t.event)
        else:
            trigger_type = {SegmentEntered: SEGMENT_ENTERED, SegmentLeft: SEGMENT_LEFT,
                            StageChanged: STAGE_CHANGED}.get(type(t))  # type: ignore[arg-type]
            trigger = _check(t.condition)
        checks: dict[str, Check] = {}
        durations: dict[str, int] = {}
        for step in steps.values():
            found: Check | None = None
            if isinstance(step, (Send, Bonus, Tag, Task)):
                found = _check(step.when)
            elif isinstance(step, Branch):
                found = _check(step.condition)
            elif isinstance(step, WaitForEvent):
                found = _check(step.condition, step.event)
                durations[step.id] = seconds(step.timeout) * US
            if found is not None:
                checks[step.id] = found
            length = getattr(step, "duration", None) or getattr(step, "expires_after", None) \
                or getattr(step, "due_in", None)
            if length is not None and not isinstance(step, WaitForEvent):
                durations[step.id] = seconds(length) * US
        goals = tuple(CompiledGoal(g.name, g.event, seconds(g.window) * US, _check(g.condition, g.event),
                                   g.ends_journey) for g in journey.goals)
        return cls(journey, steps, following, journey.steps[0].id, trigger_type, trigger, checks,
                   tuple(Check.of(c) for c in journey.exit_when), goals,
                   max((g.window_us for g in goals), default=0), durations)

    def starts_on(self, type_: str, fields: Mapping[str, Any]) -> bool:
        """Whether an event of `type_` with `fields` is this journey's trigger (its condition aside)."""
        if type_ != self.trigger_type:
            return False
        t = self.journey.trigger
        if isinstance(t, (SegmentEntered, SegmentLeft)):
            return fields.get("segment_id") == t.segment_id
        if isinstance(t, StageChanged):
            return ((t.from_stage is None or fields.get("from") == t.from_stage)
                    and (t.to_stage is None or fields.get("to") == t.to_stage))
        return True


def compile_journey(definition: Journey | Mapping[str, Any] | bytes | str) -> CompiledJourney:
    """A definition (a Journey or its JSON form), validated in full and compiled.
    JourneyError lists every problem: a definition that no longer validates (an identifier
    renamed since it was published, say) is refused here, before it is ever live."""
    journey = definition if isinstance(definition, Journey) else from_json(definition)
    validate(journey)
    return CompiledJourney.of(journey)


class LiveJourneys:
    """The journeys live at one log position (immutable: an activation makes a new one, so a
    shadow or a replay holding the old one is not disturbed). `live` maps each live key to
    the version that new entries take; `versions` holds every version ever activated."""

    __slots__ = ("live", "versions", "_by_type", "_goal_types", "_ordered")

    def __init__(self, versions: Mapping[tuple[str, int], CompiledJourney] | None = None,
                 live: Mapping[str, int] | None = None) -> None:
        self.versions: dict[tuple[str, int], CompiledJourney] = dict(versions or {})
        self.live: dict[str, int] = dict(live or {})
        current = [self.versions[(k, v)] for k, v in self.live.items()]
        # Who goes first when one event starts several: safer play, then priority, then key.
        self._ordered = tuple(sorted(current, key=lambda c: (not c.safer_play, -c.journey.priority, c.key)))
        by_type: dict[str, list[CompiledJourney]] = {}
        for c in self._ordered:
            if c.trigger_type is not None:
                by_type.setdefault(c.trigger_type, []).append(c)
        self._by_type = {k: tuple(v) for k, v in by_type.items()}
        self._goal_types = frozenset(g.event for c in self.versions.values() for g in c.goals)

    def __len__(self) -> int:
        return len(self.live)

    def __bool__(self) -> bool:
        return bool(self.versions)

    def activated(self, definition: Journey | Mapping[str, Any] | bytes | str) -> LiveJourneys:
        """With this version live for its key (it replaces the key's live version for new
        entries; players in an earlier version finish on it)."""
        compiled = compile_journey(definition)
        return LiveJourneys({**self.versions, (compiled.key, compiled.version): compiled},
                            {**self.live, compiled.key: compiled.version})

    def deactivated(self, key: str) -> LiveJourneys:
        """With `key` paused (or archived): nobody enters, and a player in it leaves at their
        next step (see docs/journeys.md, How a journey runs)."""
        return LiveJourneys(self.versions, {k: v for k, v in self.live.items() if k != key})

    def version(self, key: str, version: int) -> CompiledJourney | None:
        return self.versions.get((key, version))

    def current(self, key: str) -> CompiledJourney | None:
        """The live version of `key` (None: not live)."""
        v = self.live.get(key)
        return None if v is None else self.versions[(key, v)]

    def all(self) -> tuple[CompiledJourney, ...]:
        """The live versions, in the order they are offered an event (safer play first, then
        higher priority, then key)."""
        return self._ordered

    def started_by(self, type_: str) -> tuple[CompiledJourney, ...]:
        return self._by_type.get(type_, ())

    def has_goal_on(self, type_: str) -> bool:
        return type_ in self._goal_types


EMPTY = LiveJourneys()
