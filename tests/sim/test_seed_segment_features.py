"""The seed segment operators ask every vendor for, "slots players who have not played in 14
days but whose last 5 sessions averaged more than 45 minutes", computed twice over one
simulated run: from the engine's features (the events folded by the engine's own step, in
delivery order, late events and rollbacks included), and from the simulator's raw JSON events
by plain Python that uses nothing of croupier.players. Both must agree for every player.

The raw side implements the catalogue's written definitions (docs/features.md):
- days_since_last_bet_slots: UTC calendar days from the day of the latest slots bet (by
  occurred_at; a bet a rollback names does not count) to the as-of day; none without one.
- session_minutes_avg_last5: the sessions whose session.started and session.ended both
  arrived; a duration is the whole seconds between their occurred_at (never negative); the
  5 that ended last (by the end's occurred_at, equal ends: the longer is later); their mean
  in minutes rounded half-even to 2 decimals; none without an ended session.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest

from croupier.engine import step
from croupier.events import parse_event
from croupier.players import EngineConfig, compute_features, micros, new_state
from croupier.sim import SimConfig, Simulator

START = datetime(2025, 9, 1, tzinfo=timezone.utc)
# The default mix has about one such player in 600 over 30 days: long sessions belong to high
# rollers and live-casino players, and going idle on slots takes a lifetime that ends or a
# player whose slots were a side game. This mix and length give a handful of members, next
# to hundreds of slots players on either side of each condition. Late deliveries and
# rollbacks are raised above the defaults so both paths of the fold are exercised.
RUN = SimConfig(seed=2, players=300, days=60, start=START, late_share=0.02, rollback_share=0.01,
                mix=(("high_roller", 0.4), ("live_casino", 0.4), ("churner", 0.2)))
IDLE_DAYS, LONG_MINUTES = 14, 45


class PlayerLog:
    """One player's log in delivery order, as the engine's step reads it (engine.step.PlayerLog)."""

    def __init__(self) -> None:
        self.items: list[tuple[int, Any]] = []

    def history(self, player_id: str, up_to_seq: int) -> list[tuple[int, Any]]:
        return [(s, e) for s, e in self.items if s <= up_to_seq]

    def find(self, player_id: str, event_id: str, before_seq: int) -> Any:
        return next(((s, e) for s, e in self.items if s < before_seq and e.event_id == event_id), None)


@pytest.fixture(scope="module")
def run() -> tuple[list[dict[str, Any]], datetime]:
    sim = Simulator(RUN)
    return list(sim.events()), sim.end


def engine_features(events: list[dict[str, Any]], as_of: datetime) -> dict[str, dict[str, Any]]:
    config = EngineConfig()
    far = datetime(2100, 1, 1, tzinfo=timezone.utc)
    states: dict[str, Any] = {}
    logs: dict[str, PlayerLog] = defaultdict(PlayerLog)
    for seq, raw in enumerate(events, 1):
        event = parse_event(raw, now=far)
        log = logs[event.player_id]
        log.items.append((seq, event))
        state = states.get(event.player_id) or new_state(event.player_id)
        states[event.player_id] = step(state, event, seq, micros(event.occurred_at), config, log).state
    return {pid: compute_features(state, micros(as_of), config.features) for pid, state in states.items()}


# --- the independent computation: raw event dicts only ---------------------------------------
def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def raw_values(events: list[dict[str, Any]], as_of: datetime) -> dict[str, tuple[int | None, float | None]]:
    """player -> (days since the last slots bet, mean minutes of the last 5 ended sessions)."""
    undone = {(e["player_id"], e["ref_event_id"]) for e in events if e["type"] == "rollback"}
    last_slots_day: dict[str, Any] = {}
    starts: dict[tuple[str, str], datetime] = {}
    ends: dict[tuple[str, str], datetime] = {}
    players = set()
    for e in events:
        pid = e["player_id"]
        players.add(pid)
        if e["type"] == "casino.bet" and e["game_category"] == "slots" and (pid, e["event_id"]) not in undone:
            day = _moment(e["occurred_at"]).date()
            if pid not in last_slots_day or day > last_slots_day[pid]:
                last_slots_day[pid] = day
        elif e["type"] == "session.started":
            starts.setdefault((pid, e["session_id"]), _moment(e["occurred_at"]))
        elif e["type"] == "session.ended":
            ends.setdefault((pid, e["session_id"]), _moment(e["occurred_at"]))
    sessions: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for key, end in ends.items():
        start = starts.get(key)
        if start is not None:
            delta = end - start
            seconds = max(0, delta.days * 86_400 + delta.seconds)   # whole seconds, floored
            sessions[key[0]].append((end, seconds))
    out: dict[str, tuple[int | None, float | None]] = {}
    for pid in players:
        day = last_slots_day.get(pid)
        idle = None if day is None else (as_of.date() - day).days
        last5 = [seconds for _, seconds in sorted(sessions[pid])[-5:]]
        minutes = None
        if last5:
            mean = Decimal(sum(last5)) / Decimal(60 * len(last5))
            minutes = float(mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))
        out[pid] = (idle, minutes)
    return out


def _member(idle: int | None, minutes: float | None) -> bool:
    return idle is not None and idle >= IDLE_DAYS and minutes is not None and minutes > LONG_MINUTES


def test_features_equal_the_raw_computation_for_every_player(run):
    events, end = run
    raw = raw_values(events, end)
    engine = engine_features(events, end)
    assert set(engine) == set(raw)
    mismatched = {pid: ((f["days_since_last_bet_slots"], f["session_minutes_avg_last5"]), raw[pid])
                  for pid, f in engine.items()
                  if (f["days_since_last_bet_slots"], f["session_minutes_avg_last5"]) != raw[pid]}
    assert not mismatched, f"{len(mismatched)} players differ (engine, raw): {dict(list(mismatched.items())[:5])}"

    # The seed segment, both ways: the same players, and some of them.
    by_engine = {pid for pid, f in engine.items()
                 if _member(f["days_since_last_bet_slots"], f["session_minutes_avg_last5"])}
    by_raw = {pid for pid, (idle, minutes) in raw.items() if _member(idle, minutes)}
    assert by_engine == by_raw
    assert len(by_raw) >= 3
    # ... and as a CRM manager writes it, in the segment language (docs/segments.md)
    from croupier.segments import parse_valid, predicate

    seed = predicate(parse_valid(f"days_since_last_bet_slots >= {IDLE_DAYS} and session_minutes_avg_last5 > {LONG_MINUTES}"))
    assert {pid for pid, f in engine.items() if seed(f)} == by_raw
    # Not a vacuous run: many slots players on both sides of each condition, and rollbacks of slots bets.
    slots = [v for v in raw.values() if v[0] is not None]
    assert sum(v[0] >= IDLE_DAYS for v in slots) >= 20 and sum(v[0] < IDLE_DAYS for v in slots) >= 50
    timed = [v for v in raw.values() if v[1] is not None]
    assert sum(v[1] > LONG_MINUTES for v in timed) >= 10 and sum(v[1] <= LONG_MINUTES for v in timed) >= 100
    bets = {e["event_id"]: e for e in events if e["type"] == "casino.bet" and e["game_category"] == "slots"}
    assert sum(e["type"] == "rollback" and e["ref_event_id"] in bets for e in events) >= 10
