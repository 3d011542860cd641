"""The RG detector benchmark: the simulator's players through the engine's core (apply ->
detect -> react -> gate, exactly as live), scored against the simulator's ground truth.

A player counts as a problem gambler once their escalation has started
(`escalation_started_at` is set); problem gamblers whose escalation still lies ahead are
left out of both sides, since nothing distinguishes them yet. "Flagged at L" means the risk
level reached L or above at some point in the run. The product code never reads the labels:
only this module does, after the run.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import msgspec

from croupier.events import Event, SupportMessage, parse_batch
from croupier.players import EngineConfig, PlayerState, micros, new_state

DAY_US = 86_400_000_000
LEVELS = ("low", "medium", "high", "severe")
MATURE_DAYS = 7           # recall is also quoted over escalations at least this old at the end
PRIMARY_LEVEL = "medium"   # the level the headline precision / recall is quoted at (soft intervention)


class MemoryLog:
    """The engine's PlayerLog over events held in memory (rollbacks and late registrations)."""

    def __init__(self) -> None:
        self.by_player: dict[str, list[tuple[int, Event]]] = defaultdict(list)

    def add(self, seq: int, event: Event) -> None:
        self.by_player[event.player_id].append((seq, event))

    def history(self, player_id: str, up_to_seq: int) -> Iterable[tuple[int, Event]]:
        return [(s, e) for s, e in self.by_player[player_id] if s <= up_to_seq]

    def find(self, player_id: str, event_id: str, before_seq: int) -> tuple[int, Event] | None:
        for s, e in self.by_player[player_id]:
            if e.event_id == event_id and s < before_seq:
                return s, e
        return None


@dataclass
class LevelScore:
    level: str
    flagged: int
    true_positives: int
    precision: float
    recall: float
    recall_mature: float = 0.0     # among problem gamblers escalating >= MATURE_DAYS before the end


@dataclass
class DetectorBench:
    players: int = 0
    days: int = 0
    seed: int = 0
    events: int = 0
    core_seconds: float = 0.0
    problem_gamblers: int = 0          # escalation started within the run
    problem_pending: int = 0           # labelled, escalation not started yet (left out)
    problem_mature: int = 0            # escalation started >= MATURE_DAYS before the end
    others: int = 0
    levels: list[LevelScore] = field(default_factory=list)
    median_days_to_intervention: float | None = None
    intervened_after_escalation: int = 0
    intervened_before_escalation: int = 0
    days_to_intervention: list[float] = field(default_factory=list)
    marker_rates: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (PG share, other share)
    interventions: Counter = field(default_factory=Counter)                    # kind -> count
    rg_messages: int = 0
    rg_messages_allowed: int = 0
    sentiment: dict[str, tuple[int, int]] = field(default_factory=dict)        # mood -> (messages, flagged distressed)
    distress_precision: float = 0.0
    distress_recall: float = 0.0


def simulated_events(players: int, days: int, seed: int, start: datetime) -> tuple[list[Event], list[dict]]:
    from croupier.sim import SimConfig, Simulator

    sim = Simulator(SimConfig(seed=seed, players=players, days=days, start=start))
    raw = list(sim.events())
    now = start + timedelta(days=days + 1)
    events: list[Event] = []
    for i in range(0, len(raw), 5_000):
        parsed = parse_batch(msgspec.json.encode(raw[i:i + 5_000]), now=now)
        events.extend(parsed.events)
    return events, list(sim.labels())


def bench_detectors(players: int, days: int, seed: int = 11, start: datetime | None = None,
                    progress: Callable[[str, int, int], None] | None = None) -> DetectorBench:
    from croupier.engine.step import step
    from croupier.models.sentiment import score

    start = start or datetime(2026, 1, 5, tzinfo=timezone.utc)
    result = DetectorBench(players=players, days=days, seed=seed)
    events, labels = simulated_events(players, days, seed, start)
    result.events = len(events)
    config = EngineConfig()
    log = MemoryLog()
    states: dict[str, PlayerState] = {}
    peak: dict[str, int] = {}                          # player -> highest level rank reached
    level_first: dict[tuple[str, int], int] = {}       # (player, rank) -> first time reached
    first_intervention: dict[str, int] = {}
    fired: dict[str, set[str]] = defaultdict(set)
    rank = {name: i for i, name in enumerate(("none", *LEVELS))}
    texts: dict[str, SupportMessage] = {}
    cpu = time.process_time()
    for seq, event in enumerate(events, 1):
        log.add(seq, event)
        if isinstance(event, SupportMessage):
            texts[event.event_id] = event
        pid = event.player_id
        state = states.get(pid)
        if state is None:
            state = states[pid] = new_state(pid)
        at_us = micros(event.occurred_at)
        r = step(state, event, seq, at_us, config, log)
        states[pid] = r.state
        for signal in r.signals:
            if signal.name == "rg_risk_changed":
                level = rank[signal.detail]
                if level > peak.get(pid, 0):
                    peak[pid] = level
                    for k in range(1, level + 1):
                        level_first.setdefault((pid, k), at_us)
            elif signal.name == "rg_intervention":
                first_intervention.setdefault(pid, at_us)
                result.interventions[signal.detail] += 1
            elif signal.name == "rg_marker":
                fired[pid].update(n for n in r.state.protection.markers)
        for d in r.decisions:
            if d.proposal.purpose == "safer_play":
                result.rg_messages += 1
                result.rg_messages_allowed += d.allowed
        if progress and seq % 20_000 == 0:
            progress("engine", seq, len(events))
    result.core_seconds = time.process_time() - cpu

    positives, others = set(), set()
    escalation: dict[str, int] = {}
    for row in labels:
        pid, lab = row["player_id"], row["labels"]
        if lab["problem_gambling"]:
            if lab["escalation_started_at"] is None:
                result.problem_pending += 1
                continue
            positives.add(pid)
            escalation[pid] = micros(datetime.fromisoformat(lab["escalation_started_at"]))
        else:
            others.add(pid)
    result.problem_gamblers, result.others = len(positives), len(others)
    end_us = micros(start + timedelta(days=days))
    mature = {p for p in positives if escalation[p] <= end_us - MATURE_DAYS * DAY_US}
    result.problem_mature = len(mature)
    for name in LEVELS:
        k = rank[name]
        flagged = {p for p in positives | others if peak.get(p, 0) >= k}
        tp = len(flagged & positives)
        result.levels.append(LevelScore(name, len(flagged), tp, tp / len(flagged) if flagged else 0.0,
                                        tp / len(positives) if positives else 0.0,
                                        len(flagged & mature) / len(mature) if mature else 0.0))
    for pid in positives:
        at = first_intervention.get(pid)
        if at is None:
            continue
        delta = (at - escalation[pid]) / DAY_US
        result.days_to_intervention.append(round(delta, 2))
        if delta >= 0:
            result.intervened_after_escalation += 1
        else:
            result.intervened_before_escalation += 1
    after = [d for d in result.days_to_intervention if d >= 0]
    result.median_days_to_intervention = statistics.median(after) if after else None
    from croupier.protection.markers import MARKERS

    for name in MARKERS:
        pg = sum(1 for p in positives if name in fired.get(p, ()))
        ot = sum(1 for p in others if name in fired.get(p, ()))
        result.marker_rates[name] = (pg / max(1, len(positives)), ot / max(1, len(others)))

    moods: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in labels:
        for item in row["support_moods"]:
            message = texts.get(item["event_id"])
            if message is None:
                continue
            flagged = score(message.text, message.language).label == "distressed"
            moods[item["mood"]][0] += 1
            moods[item["mood"]][1] += flagged
    result.sentiment = {m: (v[0], v[1]) for m, v in sorted(moods.items())}
    tp = moods["distressed"][1]
    flagged_all = sum(v[1] for v in moods.values())
    result.distress_precision = tp / flagged_all if flagged_all else 0.0
    result.distress_recall = tp / moods["distressed"][0] if moods["distressed"][0] else 0.0
    return result
