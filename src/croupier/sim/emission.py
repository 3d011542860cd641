"""Where generated events wait to be delivered, in delivery order.

Players generate whole sittings at once (a session is decided when it starts), so events
are produced ahead of the simulation clock and kept in a heap keyed by delivery time.
A few are delivered late, as real producers with retries and queues do.
"""

from __future__ import annotations

import random
from heapq import heappush
from typing import Any

from croupier.sim.clock import HOUR, MINUTE, SECOND, Stamper

MAX_LATENESS = 2 * HOUR


class EventSink:
    """Assigns event ids and delivery times; `queue` holds (delivery_ms, seq, event)."""

    __slots__ = ("queue", "stamp", "last_delivery", "emitted", "_prefix", "_late_share", "_rng")

    def __init__(self, seed: int, late_share: float) -> None:
        self.queue: list[tuple[int, int, dict[str, Any]]] = []
        self.stamp = Stamper()
        self.last_delivery = 0
        self.emitted = 0
        self._prefix = f"sim{seed}-"
        self._late_share = late_share
        self._rng = random.Random(f"croupier-sim/{seed}/delivery")

    def emit(self, player_id: str, brand: str, t: int, type_: str, fields: dict[str, Any],
             deliver_at: int | None = None) -> str:
        """Queue one event occurring at `t`; returns its event_id."""
        self.emitted = n = self.emitted + 1
        event_id = f"{self._prefix}{n}"
        event = {"event_id": event_id, "type": type_, "player_id": player_id, "brand": brand,
                 "occurred_at": self.stamp(t)}
        event.update(fields)
        if deliver_at is None:
            deliver_at = t
            if self._rng.random() < self._late_share:
                deliver_at += min(MAX_LATENESS, 2 * SECOND + int(self._rng.expovariate(1 / (20 * MINUTE))))
        self.last_delivery = deliver_at
        heappush(self.queue, (deliver_at, n, event))
        return event_id
