"""The event types a journey can name (in a trigger, a wait, a goal) and what a condition may
read of each event, as `event.<field>` identifiers beside the player's values.

Three sources: the protocol v1 types producers send (`croupier.events.TYPE_NAMES`),
Croupier's own facts about a player (`croupier.events.FACT_NAMES`, among them the engine's
`croupier.stage_changed` and `croupier.rg_level_changed`), and types added before the
protocol carries them (`PLANNED`, empty today). The front-end signals (`frontend.*`) are
protocol types."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import msgspec.inspect as mi

from croupier.events.types import (
    INBOUND_TYPES, INTERNAL_TYPES, ConfigActivated, ContactDue, Event, JourneyActivated, JourneyDeactivated,
    JourneyFired, JourneyTimer, SegmentActivated, SegmentDeactivated, SegmentSweep,
)
from croupier.players import STAGES
from croupier.segments import RISK_LEVELS, Identifier

EVENT_PREFIX = "event."
# Facts of the whole log (configuration, segment and journey activations), not of a player,
# and the timers (the sweep's effect is a segment_entered / segment_left a journey can
# trigger on; a journey's timer and a held message's are their own business).
NOT_PLAYER_TYPES = (ConfigActivated, SegmentActivated, SegmentDeactivated, SegmentSweep, JourneyActivated,
                JourneyDeactivated, JourneyTimer, JourneyFired, ContactDue)
_MONEY_FIELDS = frozenset({"amount", "bonus_amount", "payout"})
_SKIPPED = frozenset({"event_id", "player_id", "occurred_at", "balance", "bonus_balance", "exchange", "transaction_id", "bet_id",
                      "session_id", "instrument_id", "device_id", "ip", "email", "phone", "first_name", "last_name",
                      "ref_event_id", "message_id", "ticket_id", "text", "exclusion_id", "person_id", "case_id"})


def _richer() -> dict[str, dict[str, Identifier]]:
    """Fact fields a condition reads with more than their JSON type says: the RG levels are
    ordered (`event.to >= medium`)."""
    e = EVENT_PREFIX
    return {
        "croupier.rg_level_changed": {i.name: i for i in (
            Identifier(f"{e}from", "level", "the RG risk level before", values=RISK_LEVELS),
            Identifier(f"{e}to", "level", "the RG risk level after", values=RISK_LEVELS),
            Identifier(f"{e}rising", "boolean", "the level went up"))},
        "croupier.stage_changed": {i.name: i for i in (
            Identifier(f"{e}from", "string", "the stage before", values=STAGES),
            Identifier(f"{e}to", "string", "the stage after", values=STAGES))},
    }


_RICHER = _richer()

# Types a journey may name before the protocol carries them: none today (the engine's facts
# about lifecycle stages and risk levels, once planned here, are written now).
PLANNED: Mapping[str, Mapping[str, Identifier]] = MappingProxyType({})

# Events that record a protective action or a rise in risk: a promotional journey must not
# react to them (the safer-play journey does).
PROTECTIVE = frozenset({"exclusion.requested", "limit.changed", "croupier.limit_set", "croupier.exclusion_started",
                        "croupier.rg_reviewed", "croupier.rg_level_changed", "croupier.reality_check",
                        "croupier.aml_status_changed"})


def _kind(name: str, t: Any) -> tuple[str, tuple[str, ...]] | None:
    if isinstance(t, mi.Metadata):
        t = t.type
    if isinstance(t, mi.UnionType):
        inner = [x for x in t.types if not isinstance(x, mi.NoneType)]
        if len(inner) != 1:
            return None
        return _kind(name, inner[0])
    if isinstance(t, mi.LiteralType):
        return "string", tuple(str(v) for v in t.values)
    if isinstance(t, mi.BoolType):
        return "boolean", ()
    if isinstance(t, mi.IntType):
        return "integer", ()
    if isinstance(t, mi.DateTimeType):
        return "timestamp", ()
    if isinstance(t, mi.StrType):
        if name in _MONEY_FIELDS:
            return "money", ()
        if t.pattern and t.pattern.startswith("^[0-9]"):
            return "number", ()
        return "string", ()
    return None


def _fields_of(cls: type[Event]) -> dict[str, Identifier]:
    out: dict[str, Identifier] = {}
    for f in mi.type_info(cls).fields:  # type: ignore[attr-defined]
        if f.encode_name in _SKIPPED:
            continue
        kind = _kind(f.encode_name, f.type)
        if kind is not None:
            name = f"{EVENT_PREFIX}{f.encode_name}"
            out[name] = Identifier(name, kind[0], f"the event's {f.encode_name.replace('_', ' ')}", values=kind[1])
    return out


@lru_cache(maxsize=1)
def _all() -> Mapping[str, Mapping[str, Identifier]]:
    out: dict[str, Mapping[str, Identifier]] = {}
    for cls in (*INBOUND_TYPES, *INTERNAL_TYPES):
        if cls in NOT_PLAYER_TYPES:
            continue
        tag = cls.__struct_config__.tag  # type: ignore[attr-defined]
        out[tag] = MappingProxyType({**_fields_of(cls), **_RICHER.get(tag, {})})
    for name, fields in PLANNED.items():
        out.setdefault(name, fields)
    return MappingProxyType(out)


def event_types() -> tuple[str, ...]:
    """Every event type a journey may name, protocol types first, then facts, then planned."""
    return tuple(_all())


def event_fields(event_type: str) -> Mapping[str, Identifier]:
    """What a condition may read of an event of this type (`event.amount`, ...); empty when unknown."""
    return _all().get(event_type, MappingProxyType({}))


def is_planned(event_type: str) -> bool:
    """A type the engagement work adds to the protocol, not carried by it yet."""
    return event_type in PLANNED

