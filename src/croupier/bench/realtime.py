"""`croupier bench segments --live N`: what real-time membership costs per event.

A simulated operator's events are decoded once, then folded through the engine's own `step`
twice, in memory and in the same order: once with no live segment, once with N live
segments (a mix of the kinds operators build: play and deposit windows, "days since"
conditions, the seed segment, session lengths, the RG level and protection state, sets and
negations, three conditions each, thresholds varied). The difference per event is the cost
of real-time membership; the sweep's cost per player is timed over the final states."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from croupier.events import SegmentActivated, parse_event
from croupier.players import EngineConfig, micros, new_state
from croupier.segments import parse_valid, to_builtins
from croupier.segments.live import EMPTY, LiveSegments, would_change

# Three conditions each; {n} varies the thresholds so no two segments are alike.
_SHAPES = (
    "bet_count_slots_7d >= {n} and deposit_sum_30d >= {m}.00 and rg.level < medium",
    "days_since_last_bet_slots >= {d} and session_minutes_avg_last5 > {n} and excluded = false",
    "deposit_count_30d >= {k} and ggr_7d > {m}.00 and limits.deposit.set = false",
    "favourite_category_30d in (\"live_casino\", \"table\") and stake_sum_7d >= {m}.00 and aml.status = clear",
    "not (days_since_last_login < {d}) and deposit_count_lifetime >= {k} and rg.markers = 0",
    "bet_count_sports_30d >= {n} and win_sum_7d < {m}.00 and lifecycle_stage != \"lapsed\"",
    "active_days_30d >= {k} and late_night_share_30d > 0.{k} and rg.score < 0.2",
    "days_since_last_deposit >= {d} and net_deposit_90d > {m}.00 and protection.limit_set_days_ago is not set",
    "session_count_7d >= {k} and rtp_30d between 0.8 and 1.{k} and kyc.status = \"verified\"",
    "bet_count_1d >= {n} or deposit_count_1d >= {k} or login_count_1d >= {k}",
)


def definitions(count: int) -> list[str]:
    out = []
    for i in range(count):
        shape = _SHAPES[i % len(_SHAPES)]
        step = i // len(_SHAPES)
        out.append(shape.format(n=3 + step * 2, m=20 + step * 15, d=2 + step, k=1 + step % 5))
    return out


def live_segments(count: int) -> LiveSegments:
    live = EMPTY
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for i, text in enumerate(definitions(count), 1):
        live = live.activated(SegmentActivated(
            event_id=f"bench{i}", player_id="croupier.segments", brand="bench", occurred_at=at, segment_id=i,
            version=1, name=f"bench {i}", definition=to_builtins(parse_valid(text))))
    return live


@dataclass
class RealtimeBench:
    players: int
    events: int
    segments: int
    plain_us: float = 0.0              # per event, no live segment (best of the runs)
    live_us: float = 0.0               # per event, with the live segments
    changes: int = 0                   # entries and exits the live run made
    by_type: dict[str, float] = field(default_factory=dict)   # extra µs per event, by event type
    sweep_us: float = 0.0              # a sweep's evaluation per player (every live segment)


class _Log:
    def __init__(self) -> None:
        self.items: dict[str, list] = {}

    def history(self, player_id: str, up_to_seq: int) -> list:
        return [(s, e) for s, e in self.items.get(player_id, []) if s <= up_to_seq]

    def find(self, player_id: str, event_id: str, before_seq: int):  # noqa: ANN201
        return next(((s, e) for s, e in self.items.get(player_id, []) if s < before_seq and e.event_id == event_id),
                    None)


def _fold(events: list, live: LiveSegments, config: EngineConfig) -> tuple[float, int, dict, dict]:
    from croupier.compliance.rules import rules_in_force
    from croupier.engine import step

    rules = rules_in_force(config)
    log = _Log()
    states: dict = {}
    changes, per_type = 0, {}
    start = time.perf_counter()
    for seq, event in enumerate(events, 1):
        pid = event.player_id
        log.items.setdefault(pid, []).append((seq, event))
        state = states.get(pid)
        if state is None:
            state = states[pid] = new_state(pid)
        t0 = time.perf_counter_ns()
        result = step(state, event, seq, 0, config, log, rules, live)
        tag = event.__struct_config__.tag
        per_type[tag] = per_type.get(tag, 0) + time.perf_counter_ns() - t0
        states[pid] = result.state
        if result.segments:
            changes += len(result.segments)
    return time.perf_counter() - start, changes, per_type, states


def bench_realtime(players: int = 1_000, days: int = 30, segments: int = 100, runs: int = 1) -> RealtimeBench:
    from croupier.sim import SimConfig, Simulator

    sim = Simulator(SimConfig(seed=11, players=players, days=days,
                              start=datetime(2026, 1, 1, tzinfo=timezone.utc)))
    events = [parse_event(raw) for raw in sim.events()]
    config = EngineConfig()
    live = live_segments(segments)
    out = RealtimeBench(players, len(events), segments)
    plain, with_live = [], []
    counts: dict[str, int] = {}
    for e in events:
        counts[e.__struct_config__.tag] = counts.get(e.__struct_config__.tag, 0) + 1
    best_plain_types: dict[str, int] = {}
    best_live_types: dict[str, int] = {}
    states: dict = {}
    for _ in range(runs):          # alternate, so both see the same machine (best of `runs`)
        seconds, _, types, _ = _fold(events, EMPTY, config)
        plain.append(seconds)
        best_plain_types = types if not best_plain_types else {k: min(v, best_plain_types[k]) for k, v in types.items()}
        seconds, out.changes, types, states = _fold(events, live, config)
        with_live.append(seconds)
        best_live_types = types if not best_live_types else {k: min(v, best_live_types[k]) for k, v in types.items()}
    out.plain_us = min(plain) / len(events) * 1e6
    out.live_us = min(with_live) / len(events) * 1e6
    out.by_type = {k: (best_live_types[k] - best_plain_types[k]) / counts[k] / 1000
                   for k in sorted(counts, key=lambda k: -counts[k])}
    end_us = micros(sim.end + timedelta(hours=1))
    start = time.perf_counter()
    for state in states.values():
        would_change(state, live, end_us, config.features)
    out.sweep_us = (time.perf_counter() - start) / max(1, len(states)) * 1e6
    return out
