"""Real-time membership through the engine: segments put live (facts in the log), players
entering and leaving as events fold, the scheduled sweep for what time alone changes, and the
issue's check: after every day of simulated time, real-time membership equals batch
membership over the whole population. Entries and exits are facts in the log; a replay and a
restarted engine reproduce them exactly, writing nothing twice."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
from sqlalchemy import func, select

from croupier.api import Runtime
from croupier.players import micros
from croupier.segments import parse_valid, to_json, to_text
from croupier.segments.batch import build_from_states, members
from croupier.segments.realtime import clock_of, go_live, live_versions, sweep, switch_off
from croupier.sim import SimConfig, Simulator
from croupier.sim.registers import configure_simulated_registers
from croupier.store import segments as segment_store
from croupier.store.schema import events as events_table
from croupier.store.states import encode

START = datetime(2025, 9, 1, tzinfo=timezone.utc)
DAYS = 14
# The seed segment (at thresholds a short run reaches), a time-only condition, windows that
# slide, the RG level and protection state, and a negation that holds for players with no value.
TEXTS = [
    "days_since_last_bet_slots >= 3 and session_minutes_avg_last5 > 10",
    "days_since_last_login >= 2",
    "deposit_sum_7d >= 50.00 and bet_count_slots_1d < 20",
    "bet_count_slots_1d >= 5 or rg.level >= low",
    "excluded = true or limits.deposit.set = true or protection.limit_set_days_ago <= 3",
    "not (favourite_category_30d = \"slots\")",
]


def _create(runtime: Runtime, texts: list[str], at_us: int) -> list[int]:
    ids, stored = [], []
    with runtime.db.engine.begin() as conn:
        for i, text in enumerate(texts):
            node = parse_valid(text)
            segment = segment_store.create(conn, name=f"segment {i}", description="", purpose="promotional",
                                           definition=to_json(node).decode(), text=to_text(node), actor="tests",
                                           now_us=at_us)
            ids.append(segment.segment_id)
            stored += go_live(conn, segment, actor="tests", now_us=at_us)
    runtime.engine.submit(stored)
    return ids


def _membership_facts(runtime: Runtime) -> int:
    with runtime.db.reader.connect() as conn:
        return conn.execute(select(func.count()).select_from(events_table).where(
            events_table.c.type.in_(["croupier.segment_entered", "croupier.segment_left"]))).scalar_one()


@pytest.fixture(scope="module")
def lived(tmp_path_factory) -> Any:  # noqa: ANN001
    """A simulated operator streaming DAYS days into a runtime with six live segments; at the
    end of every day the sweep runs as of that moment, and real-time and batch membership
    are compared then."""
    path = tmp_path_factory.mktemp("realtime") / "croupier.db"
    sim = Simulator(SimConfig(seed=2, players=90, days=DAYS, start=START))
    runtime = Runtime(f"sqlite:///{path}")
    configure_simulated_registers(runtime, actor="tests")
    ids = _create(runtime, TEXTS, micros(START))
    days = []
    for day in range(1, DAYS + 1):
        end = START + timedelta(days=day)
        events = list(sim.events_until(end))
        for i in range(0, len(events), 5_000):
            runtime.ingest(msgspec.json.encode(events[i:i + 5_000]))
        at_us = micros(end) - 1
        swept = sweep(runtime.engine, at_us)
        states = list(runtime.engine.states.values())
        copy = build_from_states(states, at_us, runtime.config)
        try:
            batch = [sorted(members(copy, parse_valid(t), promotional=False, limit=10_000)) for t in TEXTS]
        finally:
            copy.close()
        real = [sorted(s.player_id for s in states if sid in s.segments) for sid in ids]
        days.append({"day": day, "swept": swept, "batch": batch, "real": real, "players": len(states)})
    yield runtime, ids, days
    runtime.close()


def test_real_time_membership_equals_batch_after_every_simulated_day(lived) -> None:  # noqa: ANN001
    runtime, ids, days = lived
    for day in days:
        for text, batch, real in zip(TEXTS, day["batch"], day["real"]):
            assert real == batch, f"day {day['day']}, {text}: real time {len(real)} vs batch {len(batch)}"
    sizes = [[len(r) for r in d["real"]] for d in days]
    for i, text in enumerate(TEXTS):       # each segment has members on some day, and not everyone
        assert any(0 < row[i] < days[-1]["players"] for row in sizes), (text, [row[i] for row in sizes])
    assert sum(d["swept"] for d in days) > 0    # time alone moved players: the sweep's facts did it


def test_entries_and_exits_are_facts_in_the_log_with_their_cause(lived) -> None:  # noqa: ANN001
    runtime, ids, days = lived
    with runtime.db.reader.connect() as conn:
        rows = conn.execute(select(events_table.c.player_id, events_table.c.type, events_table.c.payload).where(
            events_table.c.type.in_(["croupier.segment_entered", "croupier.segment_left"]))
            .order_by(events_table.c.seq)).all()
        causes = {r[0] for r in conn.execute(select(events_table.c.event_id))}
    assert rows
    inside: dict[tuple[str, int], bool] = {}
    for pid, kind, payload in rows:
        fact = json.loads(payload)
        key = (pid, fact["segment_id"])
        entered = kind == "croupier.segment_entered"
        assert inside.get(key, False) != entered, f"{kind} twice in a row for {key}"   # in, out, in...
        inside[key] = entered
        assert fact["cause_event_id"] in causes and fact["segment_id"] in ids and fact["version"] == 1
    states = runtime.engine.states
    assert {k for k, v in inside.items() if v} == {(pid, sid) for pid, s in states.items() for sid in s.segments}


def test_a_replay_and_a_restarted_engine_reproduce_membership_and_write_nothing_twice(lived) -> None:  # noqa: ANN001
    from croupier.engine import Engine

    runtime, ids, _ = lived
    engine = runtime.engine
    engine.flush()
    before = {pid: encode(s) for pid, s in engine.states.items()}
    facts_before = _membership_facts(runtime)
    engine.reset()
    engine.process_pending(max_events=10**9)    # a bounded run: no idle tick, so no sweep at today's date
    engine.flush()
    assert {pid: encode(s) for pid, s in engine.states.items()} == before
    assert _membership_facts(runtime) == facts_before
    engine.close()
    restarted = Engine(runtime.db, runtime.config)
    try:
        assert sorted(restarted.live.segments) == ids
        assert restarted.has_lease()
        state = restarted.state_of(next(iter(before)))
        assert encode(state) == before[state.player_id]
    finally:
        restarted.close()
    runtime.engine = Engine(runtime.db, runtime.config)   # the module's runtime carries on with a fresh engine


def test_a_time_only_condition_moves_players_by_the_sweep_alone(tmp_path) -> None:  # noqa: ANN001
    """Idle players enter "days_since_last_bet >= 2" with no event of theirs: the sweep writes a
    timer fact, the fold moves them, and a sweep that changes nothing writes nothing."""
    from conftest import EventFactory

    runtime = Runtime(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        now = datetime.now(timezone.utc).replace(microsecond=0)
        ev = EventFactory(player_id="idle1")
        runtime.ingest(json.dumps([ev.registered(timedelta(days=-5)),
                                   ev("casino.bet", timedelta(days=-1), bet_id="b1", amount="1.00", currency="SEK",
                                      game_category="slots", game_id="g", provider="p", session_id="s")]).encode())
        [sid] = _create(runtime, ["days_since_last_bet >= 2"], micros(now))
        assert sweep(runtime.engine, micros(now)) == 0                     # idle one day: no change, no fact
        assert runtime.engine.states["idle1"].segments == {}
        later = micros(now + timedelta(days=1, hours=1))
        assert sweep(runtime.engine, later) == 1
        assert runtime.engine.states["idle1"].segments == {sid: later}
        assert sweep(runtime.engine, later + 1) == 0
        clock = clock_of(runtime.engine)
        assert not clock.due(runtime.engine.live, later + 60_000_000)     # swept a minute ago
        assert clock.due(runtime.engine.live, later + 1 + clock.interval_us)   # the interval passed
        with runtime.db.engine.begin() as conn:
            stored = switch_off(conn, sid, actor="tests", now_us=later + 2)
            assert live_versions(conn) == {}
        runtime.engine.submit(stored)
        runtime.ingest(json.dumps([ev("player.login", timedelta(0))]).encode())
        assert runtime.engine.states["idle1"].segments == {}             # switched off: dropped, no exit written
        assert _membership_facts(runtime) == 1
    finally:
        runtime.close()
