"""The JSON form of a journey: who enters (a trigger), what happens to them (steps, a graph by
step ids), what counts as success (goals), when they leave early (exit conditions), whether
they may come back (re-entry) and who is held out to measure it (holdout). Versioned: the
engine records the `key` and `version` that decided every step.

Decoding checks the shape (types, required fields, no unknown fields); `journeys.validate`
checks everything else and reports every problem with its JSON path. Conditions are the
segment language (`croupier.segments`), written as text (`"rg.level < medium"`) or as the
segment JSON tree; numbers with a fraction are read as exact decimals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal, Union

import msgspec
from msgspec import Struct, field

from croupier.journeys.durations import Duration
from croupier.journeys.errors import JourneyError, Problem

# A condition in the segment language: its text, or its JSON tree (see docs/segments.md).
Condition = Union[str, dict[str, Any]]

PURPOSES = ("promotional", "service", "safer_play")
CHANNELS = ("email", "sms", "push", "inbox", "popup")
QUEUES = ("vip_host", "rg_officer", "aml_analyst", "support", "retention")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DATES = ("birthday", "registration_anniversary")

Purpose = Literal["promotional", "service", "safer_play"]


class _Shape(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Every part of a definition: immutable, strict about unknown fields, defaults left out."""


# --- triggers ----------------------------------------------------------------------------

class _Trigger(_Shape, tag_field="kind", kw_only=True):
    condition: Condition | None = None          # also true for the player to enter (current values)


class EventTrigger(_Trigger, tag="event", kw_only=True):
    """An event of this type arrives for the player; `condition` may read the event's own
    fields as `event.<field>` (`event.amount >= 50`) beside the player's values."""

    event: str                                  # a protocol type or a Croupier fact, e.g. "payment.deposit"


class SegmentEntered(_Trigger, tag="segment_entered", kw_only=True):
    """The player entered the segment (real time, or the scheduled sweep for time-only changes)."""

    segment_id: int


class SegmentLeft(_Trigger, tag="segment_left", kw_only=True):
    """The player left the segment."""

    segment_id: int


class StageChanged(_Trigger, tag="stage_changed", kw_only=True):
    """The player's lifecycle stage changed; `from_stage` and/or `to_stage` narrow which change."""

    from_stage: str | None = field(default=None, name="from")
    to_stage: str | None = field(default=None, name="to")


class Schedule(_Trigger, tag="schedule", kw_only=True):
    """At a time of day in the operator's time zone, every day, on some weekdays or on some
    days of the month: the players of `segment_id` and/or matching `condition` enter."""

    every: Literal["day", "week", "month"]
    at: str                                     # "HH:MM", 24-hour clock, in `timezone`
    timezone: str                               # IANA name, e.g. "Europe/Malta"
    weekdays: tuple[str, ...] = ()              # every week: "mon" ... "sun"
    month_days: tuple[int, ...] = ()            # every month: 1 ... 28
    segment_id: int | None = None


class DateTrigger(_Trigger, tag="date", kw_only=True):
    """A date of the player's own (birthday, registration anniversary), at a time of day in the
    player's local time zone (`fallback_timezone` when their profile has none)."""

    date: str                                   # "birthday" | "registration_anniversary"
    at: str                                     # "HH:MM", the player's local time
    days_before: int = 0                        # 0: on the day; 3: three days before
    fallback_timezone: str = "UTC"


class Once(_Trigger, tag="once", kw_only=True):
    """A one-off send (what a campaign is): the players of `segment_id` (and/or matching
    `condition`) enter once. When: at publication if `at` is absent; else at `at`
    ("YYYY-MM-DDTHH:MM", wall-clock) in `timezone`, or with `local` at that wall-clock time in
    each player's own time zone (`timezone` when their profile has none). A throttle spreads
    the entries: at most `throttle_per_minute` players a minute, in a fixed order."""

    at: str | None = None
    timezone: str = "UTC"
    local: bool = False
    segment_id: int | None = None
    throttle_per_minute: int | None = None


Trigger = Union[EventTrigger, SegmentEntered, SegmentLeft, StageChanged, Schedule, DateTrigger, Once]


# --- steps -------------------------------------------------------------------------------

class _Step(_Shape, tag_field="kind", kw_only=True):
    id: str                                     # unique in the journey: "welcome-email", "wait-1d"


class _Linear(_Step, kw_only=True):
    next: str | None = None                     # the step after; absent: the next one in the list


class _Action(_Linear, kw_only=True):
    when: Condition | None = None               # checked right before the step: false skips it (goes to next)


class Wait(_Linear, tag="wait", kw_only=True):
    """Wait this long (a timer fact in the log, so a restart loses nothing)."""

    duration: Duration


class WaitForEvent(_Step, tag="wait_for_event", kw_only=True):
    """Wait until an event of this type (matching `condition`) arrives, at most `timeout`."""

    event: str
    timeout: Duration
    on_event: str
    on_timeout: str
    condition: Condition | None = None


class Branch(_Step, tag="branch", kw_only=True):
    """Go to `then` if the condition holds for the player now, else to `else`."""

    condition: Condition
    then: str
    otherwise: str = field(name="else")


class Variant(_Shape, kw_only=True):
    """One arm of a split: its name (reported in results), its share in percent, its next step."""

    name: str
    weight: int
    next: str


class Split(_Step, tag="split", kw_only=True):
    """A/B/n test: each player goes to one variant, the same one every time (`split.assign`)."""

    variants: tuple[Variant, ...]


class Send(_Action, tag="send", kw_only=True):
    """Send a message (delivered by the channels work, through the arbiter and the gate)."""

    channel: str                                # email | sms | push | inbox | popup
    template: str                               # template key
    expires_after: Duration | None = None       # a time-limited offer: never delivered nor honoured after
    purpose: Purpose | None = None              # the message's purpose; absent: the journey's
    personalise: tuple[str, ...] = ()           # player values the template receives, e.g. favourite_category_90d


class Bonus(_Action, tag="bonus", kw_only=True):
    """Propose a bonus from a template: a gate-checked proposal recorded in the audit log."""

    template: str


class Tag(_Action, tag="tag", kw_only=True):
    """Set or clear a tag on the player."""

    tag: str
    action: Literal["set", "clear"] = "set"


class Task(_Action, tag="task", kw_only=True):
    """Create a task for staff in a queue (a VIP host, an RG officer...)."""

    queue: str                                  # vip_host | rg_officer | aml_analyst | support | retention
    title: str
    due_in: Duration | None = None


class Exit(_Step, tag="exit", kw_only=True):
    """Leave the journey; `outcome` is recorded (for example "converted", "no_response")."""

    outcome: str | None = None


Step = Union[Wait, WaitForEvent, Branch, Split, Send, Bonus, Tag, Task, Exit]
STEP_KINDS = ("wait", "wait_for_event", "branch", "split", "send", "bonus", "tag", "task", "exit")
TRIGGER_KINDS = ("event", "segment_entered", "segment_left", "stage_changed", "schedule", "date", "once")


# --- the journey -------------------------------------------------------------------------

class Goal(_Shape, kw_only=True):
    """A conversion: an event (matching `condition`) within `window` of entering the journey."""

    name: str
    event: str
    window: Duration
    condition: Condition | None = None
    ends_journey: bool = True                   # reaching it also ends the player's journey


class Reentry(_Shape, kw_only=True):
    """Whether a player may enter again after leaving: never, after `cooldown` since their
    previous entry, or always. Never twice at the same time."""

    policy: Literal["never", "after", "always"] = "never"
    cooldown: Duration | None = None


class Journey(_Shape, kw_only=True):
    """A lifecycle journey: identity, trigger, steps (the first in the list is the start),
    goals, exit conditions, re-entry, holdout."""

    key: str                                    # stable identifier across versions: "welcome"
    name: str
    version: int
    purpose: Purpose
    trigger: Trigger
    steps: tuple[Step, ...]
    group: str = "default"                      # conflicts: one promotional journey per group
    priority: int = 0                           # higher pre-empts lower in the same group
    description: str = ""
    goals: tuple[Goal, ...] = ()
    exit_when: tuple[Condition, ...] = ()       # any holds before a step: the player leaves
    reentry: Reentry = Reentry()
    holdout_percent: int = 0                    # 0..50: kept out entirely, still measured


_ENCODER = msgspec.json.Encoder(decimal_format="number")
_DECODER = msgspec.json.Decoder(Journey, float_hook=Decimal)
_GENERIC = msgspec.json.Decoder(float_hook=Decimal)


def to_json(journey: Journey) -> bytes:
    """The JSON form, decimals inside conditions written as exact JSON numbers."""
    return _ENCODER.encode(journey)


def to_builtins(journey: Journey) -> dict[str, Any]:
    """The JSON form as plain dicts and lists."""
    return _GENERIC.decode(_ENCODER.encode(journey))  # type: ignore[no-any-return]


def from_json(data: bytes | str | Any) -> Journey:
    """The journey from JSON text or already decoded JSON; checks the shape only (see
    `journeys.validate` for the rest). Raises JourneyError with the path of the problem."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        if isinstance(raw, bytes):
            return _DECODER.decode(raw)
        return _DECODER.decode(_ENCODER.encode(raw))
    except msgspec.ValidationError as exc:
        raise JourneyError([shape_problem(str(exc), raw)]) from None
    except msgspec.DecodeError as exc:
        raise JourneyError([Problem("$", f"not valid JSON: {exc}")]) from None


def shape_problem(text: str, raw: Any) -> Problem:
    """msgspec's 'Expected `int`, got `str` - at `$.version`' as a located problem."""
    message, _, where = text.rpartition(" - at `")
    path = where.rstrip("`") if message else "$"
    message = message or text
    name = message.split("`")[1] if message.count("`") >= 2 else ""
    if message.startswith("Object contains unknown field"):
        path, message = f"{path}.{name}", f"unknown field {name!r}: see docs/journeys.md for the fields of this part"
    elif message.startswith("Object missing required field"):
        message = f"missing required field {name!r}"
    elif message.startswith("Invalid value") and path.endswith(".kind"):
        kinds = TRIGGER_KINDS if path.endswith("trigger.kind") else STEP_KINDS
        message = f"unknown kind {message.split('Invalid value ', 1)[1]}: use one of {', '.join(kinds)}"
    elif message.startswith("Invalid enum value"):
        message = f"unknown value {message.split('Invalid enum value ', 1)[1]}" + _choices(path)
    else:
        message = _plain(message)
    value = _at(raw, path)
    return Problem(path, message) if value is _MISSING else Problem(path, message, value=value)


def _choices(path: str) -> str:
    last = path.rsplit(".", 1)[-1]
    words = {"purpose": PURPOSES, "every": ("day", "week", "month"), "action": ("set", "clear"),
             "policy": ("never", "after", "always")}.get(last)
    return f": use one of {', '.join(words)}" if words else ""


def _plain(message: str) -> str:
    return message.replace("`", "")


_MISSING = object()


def _at(raw: Any, path: str) -> Any:
    """The value at a msgspec path such as `$.steps[2].kind` in already decoded JSON."""
    if isinstance(raw, bytes):
        try:
            raw = _GENERIC.decode(raw)
        except msgspec.DecodeError:
            return _MISSING
    node = raw
    for part in path.removeprefix("$").replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("["):
            index = int(part[1:-1])
            if not isinstance(node, list) or index >= len(node):
                return _MISSING
            node = node[index]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return _MISSING
    return node


def successors(step: Step, following: str | None) -> tuple[str, ...]:
    """The ids a step can go to; `following` is the id of the next step in the list (what a
    linear step without `next` goes to)."""
    if isinstance(step, _Linear):
        nxt = step.next if step.next is not None else following
        return () if nxt is None else (nxt,)
    if isinstance(step, WaitForEvent):
        return (step.on_event, step.on_timeout)
    if isinstance(step, Branch):
        return (step.then, step.otherwise)
    if isinstance(step, Split):
        return tuple(v.next for v in step.variants)
    return ()


def graph(journey: Journey) -> dict[str, tuple[str, ...]]:
    """Step id -> the step ids it can go to (first step in the list is the start). Where ids
    repeat, the first step with the id wins (validation reports the repeat)."""
    out: dict[str, tuple[str, ...]] = {}
    for i, step in enumerate(journey.steps):
        following = journey.steps[i + 1].id if i + 1 < len(journey.steps) else None
        out.setdefault(step.id, successors(step, following))
    return out


def waits(step: Step) -> bool:
    """A step where the player's pass stops until a timer or an event."""
    return isinstance(step, (Wait, WaitForEvent))
