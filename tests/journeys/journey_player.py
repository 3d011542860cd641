"""A player driven through journeys the way the engine will: each event folded into a real
`PlayerState` (players.apply), then handed to the interpreter with the player's values read
from that state at that moment (features and protection values, as real-time segments read
them); timers the interpreter asks for come due in time order before any later event."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from croupier.events import parse_event
from croupier.journeys import Journey, from_json, in_holdout, template, to_builtins
from croupier.journeys.run import (
    EMPTY, Fired, JourneyState, LiveJourneys, Occurrence, Outcome, Record, SendAction, Timer, TimerAction, advance,
    occurrence_of,
)
from croupier.players import EngineConfig, apply, micros, new_state
from croupier.players.features import feature_values
from croupier.segments import protection_values

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)      # a Monday, 09:00 UTC
CONFIG = EngineConfig()
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def live_of(*journeys: Journey | str) -> LiveJourneys:
    live = EMPTY
    for j in journeys:
        live = live.activated(template(j) if isinstance(j, str) else j)
    return live


def journey(**fields: Any) -> Journey:
    """A small valid promotional journey with these fields changed."""
    base: dict[str, Any] = {"key": "demo", "name": "Demo", "version": 1, "purpose": "promotional",
                            "trigger": {"kind": "event", "event": "player.login"},
                            "steps": [{"kind": "send", "id": "hello", "channel": "email", "template": "hello"},
                                      {"kind": "exit", "id": "done"}]}
    base.update(fields)
    return from_json(base)


def variant_of(name: str, **changes: Any) -> Journey:
    """A ready-made journey with some fields changed."""
    return from_json({**to_builtins(template(name)), **changes})


def treated_id(key: str, percent: int, prefix: str = "p") -> str:
    """A player id outside the journey's holdout."""
    return next(f"{prefix}{i}" for i in range(1000) if not in_holdout(key, f"{prefix}{i}", percent))


def held_out_id(key: str, percent: int, prefix: str = "p") -> str:
    return next(f"{prefix}{i}" for i in range(1000) if in_holdout(key, f"{prefix}{i}", percent))


class Player:
    def __init__(self, live: LiveJourneys, player_id: str = "p1") -> None:
        self.live, self.player_id = live, player_id
        self.state = new_state(player_id)
        self.journeys = JourneyState()
        self.timers: list[TimerAction] = []
        self.outcomes: list[Outcome] = []
        self.segments: set[int] = set()
        self._n = 0
        self.now = START

    # -- feeding --------------------------------------------------------------------------------
    def values_at(self, at_us: int):  # noqa: ANN201
        def values_of(names: frozenset[str]) -> dict[str, Any]:
            return {**feature_values(self.state, at_us, CONFIG.features, names), **protection_values(self.state, at_us)}
        return values_of

    def _advance(self, happening: Any, at_us: int) -> Outcome:
        out = advance(self.live, self.journeys, happening, self.values_at(at_us), at_us, self.player_id,
                      segments=self.segments)
        self.timers += out.of(TimerAction)
        self.outcomes.append(out)
        return out

    def until(self, moment: datetime) -> list[Outcome]:
        """Every timer due by `moment`, in due order (a timer may ask for another)."""
        outs = []
        while True:
            due = sorted((t for t in self.timers if t.due_us <= micros(moment)), key=lambda t: (t.due_us, t.timer_id))
            if not due:
                break
            t = due[0]
            self.timers.remove(t)
            outs.append(self._advance(Timer(t.journey_key, t.entry_id, t.step_id, t.due_us, t.timer_id), t.due_us))
        self.now = max(self.now, moment)
        return outs

    def event(self, type_: str, at: datetime | timedelta, **fields: Any) -> Outcome:
        moment = at if isinstance(at, datetime) else START + at
        self.until(moment)
        self._n += 1
        raw = {"event_id": f"{self.player_id}-e{self._n}", "type": type_, "player_id": self.player_id,
               "brand": "aurora", "occurred_at": moment.isoformat(), **fields}
        event = parse_event(raw)
        at_us = micros(event.occurred_at)
        apply(self.state, event, self._n, CONFIG.features, at_us)
        return self._advance(occurrence_of(event), at_us)

    def fact(self, type_: str, at: datetime | timedelta, **fields: Any) -> Outcome:
        """A fact of the engine's own (segment entered, RG level changed...), as the interpreter reads it."""
        moment = at if isinstance(at, datetime) else START + at
        self.until(moment)
        self._n += 1
        return self._advance(Occurrence(type_, f"{self.player_id}-f{self._n}", fields), micros(moment))

    def fire(self, key: str, at: datetime | timedelta) -> Outcome:
        moment = at if isinstance(at, datetime) else START + at
        self.until(moment)
        self._n += 1
        return self._advance(Fired(key, f"{self.player_id}-fired{self._n}"), micros(moment))

    def register(self, at: datetime | timedelta = timedelta(0), **fields: Any) -> Outcome:
        base = {"jurisdiction": "MT", "country": "MT", "currency": "EUR", "language": "en",
                "timezone": "Europe/Malta", "birth_date": "1990-05-17", "email": "ann@example.com",
                "consents": {"email": True, "sms": False, "push": True}}
        return self.event("player.registered", at, **{**base, **fields})

    def deposit(self, at: datetime | timedelta, amount: str = "50.00", status: str = "approved") -> Outcome:
        return self.event("payment.deposit", at, transaction_id=f"{self.player_id}-tx{self._n + 1}",
                          amount=amount, currency="EUR", status=status)

    # -- reading --------------------------------------------------------------------------------
    @property
    def records(self) -> list[Record]:
        return [r for o in self.outcomes for r in o.records]

    @property
    def sends(self) -> list[SendAction]:
        return [a for o in self.outcomes for a in o.of(SendAction)]

    def templates_sent(self) -> list[str]:
        return [s.template for s in self.sends]

    def kinds(self, kind: str, key: str | None = None) -> list[Record]:
        return [r for r in self.records if r.kind == kind and (key is None or r.journey_key == key)]

    def actions(self, kind: type) -> list[Any]:
        return [a for o in self.outcomes for a in o.of(kind)]


def reasons(records: Iterable[Record]) -> list[str]:
    return [r.reason for r in records]
