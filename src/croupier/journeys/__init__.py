"""Lifecycle journeys: the versioned definition (trigger, steps, goals, exits, re-entry,
holdout), its validation with located problems, the deterministic split and holdout
assignment, when schedules and dates fire, and the ready-made journeys an operator switches on. Pure: storage, the engine's
fold, timers and the arbiter build on this surface."""

from croupier.journeys.definition import (
    CHANNELS, DATES, PURPOSES, QUEUES, STEP_KINDS, TRIGGER_KINDS, WEEKDAYS, Bonus, Branch, Condition, DateTrigger,
    EventTrigger, Exit, Goal, Journey, Once, Reentry, Schedule, SegmentEntered, SegmentLeft, Send, Split, StageChanged, Step,
    Tag, Task, Trigger, Variant, Wait, WaitForEvent, from_json, graph, successors, to_builtins, to_json, waits,
)
from croupier.journeys.durations import Duration, DurationError, seconds
from croupier.journeys.errors import JourneyError, Problem
from croupier.journeys.event_types import PLANNED, PROTECTIVE, event_fields, event_types, is_planned
from croupier.journeys.split import assign, bucket, in_holdout
from croupier.journeys.templates import TEMPLATE_KEYS, template, templates
from croupier.journeys.timing import next_date, next_run, once_at, throttled, wall_clock
from croupier.journeys.validate import BOUNDS, condition_tree, conflicts, load, problems, validate

__all__ = [
    "BOUNDS", "CHANNELS", "DATES", "PLANNED", "PROTECTIVE", "PURPOSES", "QUEUES", "STEP_KINDS", "TEMPLATE_KEYS",
    "TRIGGER_KINDS", "WEEKDAYS", "Bonus", "Branch", "Condition", "DateTrigger", "Duration", "DurationError",
    "EventTrigger", "Exit", "Goal", "Journey", "JourneyError", "Once", "Problem", "Reentry", "Schedule",
    "SegmentEntered", "SegmentLeft", "Send", "Split", "StageChanged", "Step", "Tag", "Task", "Trigger", "Variant",
    "Wait", "WaitForEvent", "assign", "bucket", "condition_tree", "conflicts", "event_fields", "event_types",
    "from_json", "graph", "in_holdout", "is_planned", "load", "next_date", "next_run", "once_at", "problems",
    "seconds", "successors", "template", "templates", "throttled", "to_builtins", "to_json", "validate",
    "wall_clock", "waits",
]
