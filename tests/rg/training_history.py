"""A simulated operator's history with gambling-harm labels, for the RG training tests.

The simulator does not emit gambling_harm exclusions (yet): the labels are appended here,
from the simulator's own ground truth: each problem gambler whose escalation started asks to
be self-excluded for gambling harm `after_days` later (when that still lies in the run).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import cache

from croupier.bench.detectors import simulated_events
from croupier.events import Event, ExclusionRequested

START = datetime(2026, 1, 5, tzinfo=timezone.utc)
MIX = (("casual_slots", 0.30), ("live_casino", 0.10), ("sports_bettor", 0.20), ("high_roller", 0.05),
       ("bonus_hunter", 0.05), ("problem_gambler", 0.22), ("churner", 0.08))


def harm_requests(labels: list[dict], end: datetime, after_days: float = 10.0) -> list[ExclusionRequested]:
    out = []
    for row in labels:
        started = row["labels"]["escalation_started_at"]
        if not row["labels"]["problem_gambling"] or started is None:
            continue
        at = datetime.fromisoformat(started) + timedelta(days=after_days)
        if at < end:
            out.append(ExclusionRequested(event_id=f"harm-{row['player_id']}", player_id=row["player_id"],
                                          brand=row["brand"], occurred_at=at, kind="self_exclusion",
                                          duration="P6M", reason="gambling_harm"))
    return out


@cache
def history(players: int = 400, days: int = 75, seed: int = 3) -> tuple[Event, ...]:
    """The simulated log in time order, with the harm requests in it."""
    from croupier.sim import SimConfig, Simulator
    import msgspec
    from croupier.events import parse_batch

    sim = Simulator(SimConfig(seed=seed, players=players, days=days, start=START, mix=MIX))
    raw = list(sim.events())
    now = START + timedelta(days=days + 1)
    events: list[Event] = []
    for i in range(0, len(raw), 5_000):
        events.extend(parse_batch(msgspec.json.encode(raw[i:i + 5_000]), now=now).events)
    events.extend(harm_requests(list(sim.labels()), START + timedelta(days=days)))
    events.sort(key=lambda e: e.occurred_at)
    return tuple(events)
