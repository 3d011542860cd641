"""What can move a player through journeys, as the interpreter reads it: an event or fact of
theirs (`Occurrence`: its type, id and fields), a journey timer coming due (`Timer`), or a
schedule or date trigger firing for them (`Fired`). The engine makes one from each entry of
the player's log, so live processing and a replay hand the interpreter the same things."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Union

import msgspec

TIMER = "croupier.journey_timer"    # the fact type the engine writes for a timer (proposed)
FIRED = "croupier.journey_fired"    # the fact type for a schedule or date trigger firing (proposed)


class Occurrence(msgspec.Struct, frozen=True):
    """An event or fact of the player's: `type` ("payment.deposit", "croupier.segment_entered",
    "croupier.stage_changed"...), its `event_id` (what an entry it causes derives its id
    from) and its fields by their JSON names (`status`, `amount` as a decimal string...)."""

    type: str
    event_id: str
    fields: Mapping[str, Any] = msgspec.field(default_factory=dict)


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


_NAMES: dict[type, dict[str, str]] = {}


def _names(cls: type) -> dict[str, str]:
    """A struct class's JSON field names -> attribute names (`from` -> `from_`)."""
    found = _NAMES.get(cls)
    if found is None:
        found = _NAMES[cls] = {f.encode_name: f.name for f in msgspec.structs.fields(cls)}
    return found


class _EventFields:
    """An event's fields by their JSON names, read from the struct only when a condition
    asks (most events reach no journey condition, so nothing is copied for them). A
    read-only mapping (registered as one)."""

    __slots__ = ("_event", "_names")

    def __init__(self, event: msgspec.Struct) -> None:
        self._event = event
        self._names = _NAMES.get(type(event)) or _names(type(event))

    def __getitem__(self, name: str) -> Any:
        attr = self._names.get(name)
        if attr is None:
            raise KeyError(name)
        return getattr(self._event, attr)

    def get(self, name: str, default: Any = None) -> Any:
        attr = self._names.get(name)
        return default if attr is None else getattr(self._event, attr)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def keys(self) -> Any:
        return self._names.keys()

    def items(self) -> Any:
        return ((k, self[k]) for k in self._names)

    def values(self) -> Any:
        return (self[k] for k in self._names)


Mapping.register(_EventFields)


def occurrence_of(event: msgspec.Struct) -> Occurrence:
    """An `Occurrence` from a protocol event or a Croupier fact (a tagged msgspec struct):
    its tag, its `event_id` and its fields by JSON name (money as decimal strings)."""
    return Occurrence(str(event.__struct_config__.tag), str(getattr(event, "event_id", "")),  # type: ignore[attr-defined]
                      _EventFields(event))
