"""What can move a player through journeys, as the interpreter reads it: an event or fact of
theirs (`Occurrence`: its type, id and fields), a journey timer coming due (`Timer`), or a
schedule or date trigger firing for them (`Fired`). The engine makes one from each entry of
the player's log, so live processing and a replay hand the interpreter the same things."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Union

import msgspec

TIMER = "croupier.journey_timer"    # the fact type the engine writes for a timer (proposed)
FIRED = "croupier.journey_fired"    # the fact type for a schedule or date trigger firing (proposed)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """An event or fact of the player's: `type` ("payment.deposit", "croupier.segment_entered",
    "croupier.stage_changed"...), its `event_id` (what an entry it causes derives its id
    from) and its fields by their JSON names (`status`, `amount` as a decimal string...)."""

    type: str
    event_id: str
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Timer:
    """A timer the interpreter asked for (`TimerAction`) has come due: a wait ends or a
    wait for an event times out. `event_id` is the timer fact's own id."""

    journey_key: str
    entry_id: str
    step_id: str
    due_us: int
    event_id: str = ""


@dataclass(frozen=True, slots=True)
class Fired:
    """A journey's schedule or date trigger fired for this player (the scheduler writes one
    fact per player it fires for, like the segment sweep); `event_id` is the fact's id."""

    journey_key: str
    event_id: str


Happening = Union[Occurrence, Timer, Fired]


def occurrence_of(event: msgspec.Struct) -> Occurrence:
    """An `Occurrence` from a protocol event or a Croupier fact (a tagged msgspec struct)."""
    fields = msgspec.to_builtins(event)
    type_ = fields.pop("type", None) or event.__struct_config__.tag  # type: ignore[attr-defined]
    return Occurrence(str(type_), str(fields.get("event_id", "")), fields)
