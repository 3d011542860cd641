"""The gate benchmark: decide() per proposed action, in process, over real player states
built by running the simulator through the engine; the timing floor beside it."""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import msgspec

ACTIONS = (("message", "promotional", "email"), ("message", "transactional", "email"),
           ("message", "safer_play", "email"), ("bonus", "promotional", None),
           ("mission_enrolment", "promotional", None), ("tournament_enrolment", "promotional", None),
           ("reward", "promotional", None))


@dataclass
class ActionTiming:
    action: str
    decisions: int
    allowed: int
    p50_us: float
    p99_us: float
    max_us: float


@dataclass
class GateBench:
    players: int = 0
    events: int = 0
    floor_p99_us: float = 0.0
    timings: list[ActionTiming] = field(default_factory=list)


def _states(players: int, days: int):  # noqa: ANN202
    from croupier.api import Runtime
    from croupier.sim import SimConfig, Simulator
    from croupier.sim.registers import configure_simulated_registers

    now = datetime.now(timezone.utc)
    sim = Simulator(SimConfig(seed=11, players=players, days=days,
                              start=(now - timedelta(days=days)).replace(second=0, microsecond=0)))
    with tempfile.TemporaryDirectory() as tmp:
        runtime = Runtime(f"sqlite:///{Path(tmp) / 'gate.db'}")
        configure_simulated_registers(runtime, actor="bench")   # else every promotion is held
        batch, events = [], 0
        for event in sim.events_until(now):
            batch.append(event)
            if len(batch) == 2_000:
                runtime.ingest(msgspec.json.encode(batch))
                events += len(batch)
                batch = []
        if batch:
            runtime.ingest(msgspec.json.encode(batch))
            events += len(batch)
        states = list(runtime.engine.states.values())
        config = runtime.config
        runtime.close()
    return states, config, events


def _percentile(sorted_values: list[int], share: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * share))] / 1000


def bench_gate(players: int = 2_000, days: int = 10, rounds: int = 5) -> GateBench:
    from croupier.compliance import Proposal, decide

    states, config, events = _states(players, days)
    result = GateBench(players=len(states), events=events)
    clock = time.perf_counter_ns
    now_us = time.time_ns() // 1000
    floor = []
    for _ in range(rounds * len(states)):
        t = clock()
        floor.append(clock() - t)
    result.floor_p99_us = _percentile(sorted(floor), 0.99)
    for kind, purpose, channel in ACTIONS:
        timings, allowed = [], 0
        proposals = [Proposal(kind=kind, name=f"bench_{kind}", player_id=s.player_id, cause_event_id="bench",
                              purpose=purpose, channel=channel) for s in states]
        for _ in range(rounds):
            for state, proposal in zip(states, proposals, strict=True):
                t = clock()
                decision = decide(proposal, state, config, now_us, now_us)
                timings.append(clock() - t)
                allowed += decision.allowed
        timings.sort()
        result.timings.append(ActionTiming(f"{kind}:{purpose}", len(timings), allowed // rounds,
                                           statistics.median(timings) / 1000, _percentile(timings, 0.99),
                                           timings[-1] / 1000))
    return result
