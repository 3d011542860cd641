"""Where generated events wait to be delivered, in delivery order.

Players generate whole sittings at once (a session is decided when it starts), so events
are produced ahead of the simulation clock and kept in a heap keyed by delivery time.
A few are delivered late, as real producers with retries and queues do.
"""

from __future__ import annotations

import random
from heapq import heappush
from math import log
from typing import Any

from croupier.sim.clock import HOUR, MINUTE, SECOND, Stamper

MAX_LATENESS = 2 * HOUR


class EventSink:
    """Numbers events and queues them as (delivery_ms, number, event).

    The casino round loop builds its events inline (it is the hot path) with `number()`,
    `prefix`, `stamp` and `push`; everything else calls `emit`.
    """

    __slots__ = ("queue", "stamp", "prefix", "last_delivery", "emitted", "_late_share", "_random")

    def __init__(self, seed: int, late_share: float) -> None:
        self.queue: list[tuple[int, int, dict[str, Any]]] = []
        self.stamp = Stamper()
        self.prefix = f"sim{seed}-"
        self.last_delivery = 0
        self.emitted = 0
        self._late_share = late_share
        self._random = random.Random(f"croupier-sim/{seed}/delivery").random

    def emit(self, player_id: str, brand: str, t: int, type_: str, fields: dict[str, Any],
             deliver_at: int | None = None) -> str:
        """Queue one event occurring at `t`; returns its event_id."""
        self.emitted = n = self.emitted + 1
        event_id = self.prefix + str(n)
        event = {"event_id": event_id, "type": type_, "player_id": player_id, "brand": brand,
                 "occurred_at": self.stamp(t)}
        event.update(fields)
        self.push(t, n, event, deliver_at)
        return event_id

    def push(self, t: int, n: int, event: dict[str, Any], deliver_at: int | None = None) -> None:
        """Queue an event built by the caller (numbered with `emitted`)."""
        if deliver_at is None:
            deliver_at = t
            if self._late_share and self._random() < self._late_share:
                deliver_at += min(MAX_LATENESS, 2 * SECOND + int(-20 * MINUTE * log(1.0 - self._random())))
        self.last_delivery = deliver_at
        heappush(self.queue, (deliver_at, n, event))
