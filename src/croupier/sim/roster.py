"""Who signs up, and when: registration times at a steady daily rate with a daily rhythm,
archetypes drawn from the mix, and multi-account rings enlisted as consecutive sign-ups.

The roster walks player indices in order with its own random stream, so it can go on
for ever (live mode) and still give player N the same archetype in every run.
"""

from __future__ import annotations

import random
from collections import deque
from itertools import accumulate

from croupier.sim import people
from croupier.sim.archetypes import ARCHETYPES, EVENING
from croupier.sim.clock import DAY, HOUR
from croupier.sim.config import SimConfig
from croupier.sim.emission import EventSink
from croupier.sim.markets import JURISDICTIONS, Jurisdiction
from croupier.sim.player import Ring, SimPlayer

RING_SIZES = (2, 3, 3, 4, 5)
_MEAN_RING = sum(RING_SIZES) / len(RING_SIZES)
# Sign-ups by UTC hour: the evening curve of a mostly-European player base (UTC+1).
_SIGNUP_CDF = tuple(accumulate(EVENING[(h + 1) % 24] for h in range(24)))
_BRAND_POPULARITY = (0.6, 0.3, 0.1)


class Roster:
    def __init__(self, config: SimConfig, start_ms: int, sink: EventSink) -> None:
        self._config = config
        self._start = start_ms
        self._sink = sink
        self._rng = random.Random(f"croupier-sim/{config.seed}/roster")
        self._days_per_player = config.days / config.players
        names, weights = [], []
        for name, weight in config.mix:
            names.append(name)
            weights.append(weight / _MEAN_RING if name == "multi_account_ring" else weight)
        self._archetypes = names
        self._cum_weights = list(accumulate(weights))
        self._ring_queue: deque[Ring] = deque()
        self._rings = 0

    def registration_time(self, index: int) -> int:
        """Player `index` signs up in slot `index` of a steady rate, placed within its day
        by the daily rhythm; times rise with the index."""
        position = (index + self._rng.random()) * self._days_per_player
        day = int(position)
        fraction = (position - day) * _SIGNUP_CDF[-1]
        hour = 0
        while _SIGNUP_CDF[hour] < fraction:
            hour += 1
        below = _SIGNUP_CDF[hour - 1] if hour else 0.0
        within = (fraction - below) / (_SIGNUP_CDF[hour] - below)
        return self._start + day * DAY + hour * HOUR + int(within * HOUR)

    def enlist(self, index: int, registered_at: int) -> SimPlayer:
        rng = self._rng
        ring: Ring | None = None
        if self._ring_queue:
            ring = self._ring_queue.popleft()
            archetype = "multi_account_ring"
        else:
            archetype = rng.choices(self._archetypes, cum_weights=self._cum_weights)[0]
            if archetype == "multi_account_ring":
                ring = self._new_ring()
                self._ring_queue.extend([ring] * (ring.size - 1))
        jurisdiction = ring.jurisdiction if ring is not None else _pick_jurisdiction(rng)
        return SimPlayer(
            seed=self._config.seed, index=index, archetype=ARCHETYPES[archetype],
            jurisdiction=jurisdiction, brand=self._pick_brand(jurisdiction, ring),
            registered_at=registered_at, sink=self._sink, rollback_share=self._config.rollback_share,
            ring=ring, early=rng.random() < self._config.early_share,
        )

    def _new_ring(self) -> Ring:
        rng = self._rng
        self._rings += 1
        jurisdiction = _pick_jurisdiction(rng)
        methods = [m for m, _ in jurisdiction.methods if m in ("card", "skrill", "paypal", "trustly")]
        method = rng.choice(methods)
        shared_ip = people.ip_address(rng, jurisdiction.ip_prefixes) if rng.random() < 0.5 else None
        return Ring(
            ring_id=f"ring-{self._config.seed}-{self._rings}", size=rng.choice(RING_SIZES),
            jurisdiction=jurisdiction, device_id=people.device_id(rng),
            instrument=(method, people.instrument_id(rng, method)), ip=shared_ip,
        )

    def _pick_brand(self, jurisdiction: Jurisdiction, ring: Ring | None) -> str:
        offered = [b for b in jurisdiction.brands if b in self._config.brands] or list(self._config.brands)
        weights = _BRAND_POPULARITY[: len(offered)] + (0.1,) * max(0, len(offered) - 3)
        if ring is not None and self._rng.random() < 0.5:
            return self._rng.choice(offered)  # rings spread over brands to look unrelated
        return self._rng.choices(offered, weights)[0]


def _pick_jurisdiction(rng: random.Random) -> Jurisdiction:
    return rng.choices(JURISDICTIONS, [j.weight for j in JURISDICTIONS])[0]
