"""The discrete-event loop: a heap of "who wakes next", a heap of "what is delivered next",
and the rule that makes them agree.

Every event a wake produces happens at or after that wake, so an event whose delivery time
is not later than the earliest pending wake can never be overtaken: it is safe to hand out.
That is what lets the run be sliced at any point (`events_until`) with identical output.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from heapq import heappop, heappush
import re
from typing import Any

from croupier.sim.behaviour import receive, wake
from croupier.sim.clock import DAY, NEVER, from_ms, to_ms
from croupier.sim.config import SimConfig
from croupier.sim.emission import EventSink
from croupier.sim.labels import label
from croupier.sim.player import SimPlayer
from croupier.sim.roster import Roster

_SIGN_UP = -1  # wake-heap marker for "the next registration is due"
_CONTACT = -2  # wake-heap markers at or below this: contact number _CONTACT - who is due
_PLAYER_ID = re.compile(r"p(\d{7})")


class Simulator:
    """A seeded synthetic operator; one instance is one run, consumed front to back."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        start = config.start
        if start is None:
            start = (datetime.now(timezone.utc) - timedelta(days=config.days)).replace(second=0, microsecond=0)
        self.start: datetime = start.astimezone(timezone.utc)
        self.end: datetime = self.start + timedelta(days=config.days)
        self._start_ms = to_ms(self.start)
        self._end_ms = self._start_ms + config.days * DAY
        self._sink = EventSink(config.seed, config.late_share)
        self._roster = Roster(config, self._start_ms, self._sink)
        self._players: list[SimPlayer] = []
        self._wakes: list[tuple[int, int, int]] = []
        self._due: list[int] = []  # per player, the order number of its one live wake (0: none)
        self._contacts: list[tuple[str, int]] = []  # (player_id, at) of each message, by number
        self._responses: list[dict[str, Any]] = []
        self._order = 0
        self._clock = self._start_ms
        self._schedule(self._roster.registration_time(0), _SIGN_UP)

    @property
    def clock(self) -> datetime:
        """How far the simulation has been delivered."""
        return from_ms(self._clock)

    @property
    def players_registered(self) -> int:
        return len(self._players)

    def events_until(self, until: datetime) -> Iterator[dict[str, Any]]:
        """Events delivered by `until`, in delivery order, continuing from the last call."""
        return self._deliver(to_ms(until))

    def events(self) -> Iterator[dict[str, Any]]:
        """Every event that occurs in [start, start + days), late deliveries included."""
        yield from self._deliver(self._end_ms - 1)
        yield from self._flush_late(self._end_ms)

    def labels(self) -> list[dict[str, Any]]:
        """Ground truth for every player registered so far, as of the clock."""
        return [label(p, self._clock) for p in self._players]

    # --- messages and the response to them -------------------------------------------------------
    def contact(self, player_id: str, at: datetime) -> None:
        """A promotional message reaches `player_id` at `at` (not before the clock). Players of
        the configured response's archetype may respond (`SimConfig.response`); a message to
        a player not registered by then reaches nobody."""
        match = _PLAYER_ID.fullmatch(player_id)
        if match is None:
            raise ValueError(f"not a simulated player id: {player_id!r} (expected p and 7 digits)")
        at_ms = to_ms(at)
        if at_ms < self._clock:
            raise ValueError(f"a message cannot be sent in the past: {at.isoformat()} is before the clock "
                             f"{self.clock.isoformat()}")
        self._contacts.append((player_id, at_ms))
        self._schedule(at_ms, _CONTACT - (len(self._contacts) - 1))

    def responses(self) -> list[dict[str, Any]]:
        """Ground truth per message delivered so far: who got it, when, whether they
        responded (and by when they come back)."""
        return list(self._responses)

    def converted(self, player_id: str, start: datetime, end: datetime) -> bool:
        """Ground truth: whether the player had an approved deposit in [start, end). Read it
        once the run has been delivered past `end`."""
        match = _PLAYER_ID.fullmatch(player_id)
        index = int(match.group(1)) if match else -1
        if not 0 <= index < len(self._players):
            return False
        lo, hi = to_ms(start), to_ms(end)
        return any(lo <= t < hi for t, _ in self._players[index].deposits)

    def _receive(self, number: int, at: int) -> None:
        player_id, _ = self._contacts[number]
        index = int(player_id[1:])
        record: dict[str, Any] = {"player_id": player_id, "contacted_at": from_ms(at), "delivered": False,
                                  "responded": False, "respond_by": None}
        self._responses.append(record)
        if index >= len(self._players):
            return
        record["delivered"] = True
        player = self._players[index]
        response = self.config.response
        if response is None or not receive(player, at, response, self.config.seed):
            return
        record["responded"] = True
        record["respond_by"] = from_ms(player.respond_by) if player.respond_by is not None else None
        again = player.next_wake()
        if again is not None:
            self._schedule(again, index)  # supersedes the player's later wake

    # --- the loop -------------------------------------------------------------------------------
    def _schedule(self, at: int, who: int) -> None:
        self._order += 1
        heappush(self._wakes, (at, self._order, who))
        if who >= 0:
            self._due[who] = self._order

    def _deliver(self, limit: int) -> Iterator[dict[str, Any]]:
        queue = self._sink.queue
        wakes = self._wakes
        while True:
            next_wake = wakes[0][0] if wakes else NEVER
            safe = next_wake if next_wake < limit else limit
            while queue and queue[0][0] <= safe:
                yield heappop(queue)[2]
            if next_wake > limit:
                break
            self._wake_next()
        self._clock = max(self._clock, limit)

    def _wake_next(self) -> None:
        at, order, who = heappop(self._wakes)
        if who == _SIGN_UP:
            who = len(self._players)
            self._players.append(self._roster.enlist(who, at))
            self._due.append(0)
            self._schedule(self._roster.registration_time(who + 1), _SIGN_UP)
        elif who <= _CONTACT:
            self._receive(_CONTACT - who, at)
            return
        elif self._due[who] != order:
            return  # superseded: a message brought this player's wake forward
        again = wake(self._players[who], at)
        if again is not None:
            self._schedule(again, who)
        else:
            self._due[who] = 0

    def _flush_late(self, end: int) -> Iterator[dict[str, Any]]:
        """Hand out events that occurred before `end` but were due after it (late ones)."""
        queue = self._sink.queue
        keep, due = [], []
        while queue:
            item = heappop(queue)
            (due if _occurred_ms(item[2]) < end else keep).append(item)
        for item in keep:
            heappush(queue, item)
        for item in due:
            yield item[2]


def _occurred_ms(event: dict[str, Any]) -> int:
    return to_ms(datetime.fromisoformat(event["occurred_at"]))
