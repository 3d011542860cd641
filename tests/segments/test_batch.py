"""Batch membership in DuckDB means what the pure evaluator means: random definitions over
random value rows (missing values, money as decimal strings, ratios as floats, levels,
booleans, text) give the same members both ways; plus the exact-decimal rewriting, the
parameters (never the values in the SQL), and the copy built from player states."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from croupier.segments import (
    All, AnyOf, Condition, Identifier, Not, SegmentError, matches, parse_valid, validate, vocabulary_of,
)
from croupier.segments.batch import build, count, members, all_members
from croupier.segments.sql import where

LEVELS = ("none", "low", "medium", "high", "severe")
WORDS = ("slots", "table", "sports", "o\"dd'one")
VOCAB = vocabulary_of({
    "money": "money", "count": "integer", "days": "days", "share": "ratio", "exact_share": "ratio",
    "level": Identifier("level", "level", values=LEVELS), "word": Identifier("word", "string", values=WORDS),
    "flag": "boolean", "since": "timestamp", "odd.name\"x": "integer",
})

money_values = st.decimals(min_value=Decimal("-100000"), max_value=Decimal("100000"), places=2).map(str)
ints = st.integers(min_value=-5, max_value=60)
floats = st.floats(min_value=-2, max_value=2, allow_nan=False, allow_infinity=False) | st.sampled_from([0.1, 0.3, 1.0])
exact_ratios = st.decimals(min_value=Decimal("0"), max_value=Decimal("2"), places=4)
VALUES: dict[str, Any] = {
    "money": money_values, "count": st.integers(min_value=0, max_value=60), "days": st.integers(min_value=0, max_value=60),
    "share": floats, "exact_share": exact_ratios, "level": st.sampled_from(LEVELS), "word": st.sampled_from(WORDS),
    "flag": st.booleans(), "since": st.just("2026-01-01T00:00:00Z"), "odd.name\"x": ints,
}
# literals: the kind's values and their near neighbours, including more places than stored
decimals = st.decimals(min_value=Decimal("-100001"), max_value=Decimal("100001"), places=3) | \
    st.sampled_from([Decimal("0.1"), Decimal("0.30"), Decimal("1E+40"), Decimal("-1E+40"), Decimal("0.000000000001")])
LITERALS: dict[str, Any] = {
    "money": decimals | st.integers(-100001, 100001), "count": st.integers(0, 61), "days": st.integers(0, 61),
    "share": decimals | st.integers(-3, 3), "exact_share": decimals | st.integers(0, 3),
    "level": st.sampled_from(LEVELS), "word": st.sampled_from(WORDS), "flag": st.booleans(),
    "odd.name\"x": st.integers(-6, 61) | st.decimals(min_value=-6, max_value=61, places=0),
}
OPS = ("=", "!=", "<", "<=", ">", ">=", "between", "in", "not_in", "is_set", "is_not_set")


@st.composite
def conditions(draw: st.DrawFn) -> Condition:
    name = draw(st.sampled_from(sorted(VALUES)))
    op = draw(st.sampled_from(OPS))
    if op in ("is_set", "is_not_set") or name == "since":
        return Condition(name, draw(st.sampled_from(("is_set", "is_not_set"))))
    lit = LITERALS[name]
    if op == "between":
        a, b = draw(lit), draw(lit)
        if name == "level":
            a, b = sorted((a, b), key=LEVELS.index)
        elif name not in ("word", "flag"):
            a, b = sorted((a, b))
        return Condition(name, op, (a, b))
    if op in ("in", "not_in"):
        return Condition(name, op, tuple(draw(st.lists(lit, min_size=1, max_size=4))))
    return Condition(name, op, draw(lit))


definitions = st.recursive(
    conditions(),
    lambda inner: st.lists(inner, min_size=2, max_size=4).map(lambda p: All(tuple(p)))
    | st.lists(inner, min_size=2, max_size=4).map(lambda p: AnyOf(tuple(p)))
    | inner.map(Not),
    max_leaves=8)


@st.composite
def rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for _ in range(draw(st.integers(min_value=1, max_value=25))):
        row = {}
        for name, values in VALUES.items():
            if draw(st.integers(0, 3)):            # a quarter of the values are missing
                row[name] = draw(values)
        out.append(row)
    return out


def valid(node: Any) -> bool:
    try:
        validate(node, VOCAB)
    except SegmentError:
        return False
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(definitions.filter(valid), rows())
def test_duckdb_membership_equals_the_pure_evaluator(node: Any, players: list[dict[str, Any]]) -> None:
    copy = build(((f"p{i:03d}", v, None) for i, v in enumerate(players)), 0, VOCAB)
    try:
        got = members(copy, node, promotional=False, limit=1000, vocabulary=VOCAB)
    finally:
        copy.close()
    want = [f"p{i:03d}" for i, v in enumerate(players) if matches(node, v, VOCAB)]
    assert got == want


def _members(text: str, players: list[dict[str, Any]]) -> list[str]:
    copy = build(((f"p{i}", v, None) for i, v in enumerate(players)), 0, VOCAB)
    try:
        return members(copy, parse_valid(text, VOCAB), promotional=False, vocabulary=VOCAB)
    finally:
        copy.close()


def test_not_of_a_missing_value_matches_as_the_evaluator_says() -> None:
    players = [{"count": 7}, {}]
    assert _members("not count >= 5", players) == ["p1"]
    assert _members("count is not set or count < 5", players) == ["p1"]
    assert _members("not (count >= 5 or word = slots)", players) == ["p1"]


def test_money_compares_exactly_with_literals_finer_than_cents() -> None:
    players = [{"money": "100.00"}, {"money": "100.01"}, {"money": "100.10"}]
    assert _members("money >= 100.005", players) == ["p1", "p2"]
    assert _members("money > 100.005", players) == ["p1", "p2"]
    assert _members("money <= 100.005", players) == ["p0"]
    assert _members("money = 100.1", players) == ["p2"]
    assert _members("money != 100.005", players) == ["p0", "p1", "p2"]
    assert _members("money between 100.001 and 100.0100001", players) == ["p1"]
    assert _members("money < 100000000000000000000000000000000000000000", players) == ["p0", "p1", "p2"]


def test_values_are_parameters_never_sql_text() -> None:
    node = parse_valid('word = "o\\"dd\'one" and count >= 3', VOCAB)
    sql, params = where(node, {"word": "VARCHAR", "count": "BIGINT"}, VOCAB)
    assert "odd" not in sql and "'" not in sql and "o\"dd'one" in params
    assert _members('word in ("o\\"dd\'one")', [{"word": "o\"dd'one"}, {"word": "slots"}]) == ["p0"]
    node = All((Condition("odd.name\"x", ">=", 3), Condition("count", "is_set")))
    copy = build([("a", {"odd.name\"x": 3, "count": 1}, None), ("b", {"odd.name\"x": 2}, None)], 0, VOCAB)
    assert members(copy, node, promotional=False, vocabulary=VOCAB) == ["a"]


def test_promotional_answers_leave_out_held_players_and_count_them_by_reason() -> None:
    players = [("a", {"count": 9}, None), ("b", {"count": 9}, "excluded:self_exclusion:brand"),
               ("c", {"count": 9}, "rg_risk:high"), ("d", {"count": 9}, "rg_risk:high"), ("e", {"count": 1}, "aml_review")]
    copy = build(players, 0, VOCAB)
    node = parse_valid("count >= 5", VOCAB)
    answer = count(copy, node, promotional=True, sample=10, vocabulary=VOCAB)
    assert (answer.count, answer.sample) == (1, ["a"])
    assert answer.left_out == {"rg_risk:high": 2, "excluded:self_exclusion:brand": 1}
    service = count(copy, node, promotional=False, sample=2, vocabulary=VOCAB)
    assert (service.count, service.sample, service.left_out) == (4, ["a", "b"], {})
    assert list(all_members(copy, node, promotional=False, chunk=2, vocabulary=VOCAB)) == ["a", "b", "c", "d"]
    assert members(copy, node, promotional=False, after="b", limit=1, vocabulary=VOCAB) == ["c"]


def test_an_empty_copy_answers_zero() -> None:
    copy = build([], 0, VOCAB)
    assert count(copy, parse_valid("count >= 1", VOCAB), promotional=True, sample=5, vocabulary=VOCAB).count == 0


def test_a_stale_copy_answers_while_a_fresh_one_is_built() -> None:
    from croupier.players import EngineConfig
    from croupier.segments.batch import Batch

    loads: list[int] = []

    def load():  # noqa: ANN202
        loads.append(1)
        return [], EngineConfig()

    clock = iter(range(1, 100))
    batch = Batch(load, max_age_seconds=0.0, clock_us=lambda: next(clock))
    first = batch.copy()
    assert (first.at_us, len(loads)) == (1, 1)
    stale = batch.copy()                     # too old: answered from, and rebuilt behind the answer
    assert stale is first
    batch.wait(5)
    assert len(loads) == 2 and batch.copy(refresh=True).at_us == 3 and len(loads) == 3
    batch.close()
    fresh = Batch(load, max_age_seconds=60.0)
    assert fresh.copy() is fresh.copy() and len(loads) == 4
    fresh.close()


def test_the_copy_of_simulated_players_states_gives_the_evaluators_members(tmp_path) -> None:  # noqa: ANN001
    """Real values (money as decimal strings, ratios as floats, protection levels, limits):
    the copy built from the states of simulated players picks, for each definition, exactly
    the players the evaluator picks, and the left-out reasons are the gate's."""
    from datetime import datetime, timedelta, timezone

    import msgspec

    from croupier.api import Runtime
    from croupier.segments.batch import build_from_states, player_values, promotion_hold
    from croupier.sim import SimConfig, Simulator
    from croupier.sim.registers import configure_simulated_registers

    now = datetime.now(timezone.utc)
    sim = Simulator(SimConfig(seed=5, players=150, days=20, start=(now - timedelta(days=20)).replace(microsecond=0)))
    runtime = Runtime(f"sqlite:///{tmp_path / 'sim.db'}")
    try:
        configure_simulated_registers(runtime, actor="tests")
        events = list(sim.events_until(now))
        for start in range(0, len(events), 5_000):
            runtime.ingest(msgspec.json.encode(events[start:start + 5_000]))
        states, config = list(runtime.engine.states.values()), runtime.config
    finally:
        runtime.close()
    at_us = int(now.timestamp() * 1_000_000)
    copy = build_from_states(states, at_us, config)
    values = {s.player_id: player_values(s, at_us, config) for s in states}
    held = {s.player_id: promotion_hold(s, config, at_us) for s in states}
    texts = ["deposit_sum_30d >= 50.00 and bet_count_30d >= 10", "not (deposit_avg_30d > 20.5)",
             "rtp_30d between 0.9 and 1.1 or late_night_share_30d > 0.1", "rg.level >= low or rg.score > 0.05",
             "favourite_category_30d in (\"slots\", \"live_casino\") and days_since_last_bet is set",
             "limits.deposit.set = true or excluded = true", "lifecycle_stage != \"active\" and not rg.markers >= 1"]
    sizes = []
    try:
        for text in texts:
            node = parse_valid(text)
            for promotional in (False, True):
                want = sorted(p for p, v in values.items() if matches(node, v) and (not promotional or held[p] is None))
                assert members(copy, node, promotional=promotional, limit=1000) == want, text
                sizes.append(len(want))
        assert sum(0 < n < len(states) for n in sizes) >= 8      # the definitions split the population
        assert 0 < sum(r is not None for r in held.values()) < len(states)
        answer = count(copy, parse_valid("bet_count_lifetime >= 0"), promotional=True)
        expected: dict[str, int] = {}
        for p, reason in held.items():
            if reason is not None and values[p].get("bet_count_lifetime") is not None:
                expected[reason] = expected.get(reason, 0) + 1
        assert answer.left_out == expected and answer.count == sum(1 for r in held.values() if r is None)
    finally:
        copy.close()
