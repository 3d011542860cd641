"""`croupier bench segments`: batch membership over a million synthetic players. The players'
values go straight into the columnar copy (generated in DuckDB, deterministic per player
number); the figures are a 3-condition promotional segment's count, left-out counts and a
100-player sample, and the seed segment's ("slots players idle 14 days whose last 5
sessions averaged more than 45 minutes"), each timed end to end (compile, count, sample).
The ceiling beside them is the same counts written by hand in SQL with the values inline:
what DuckDB needs without Croupier's compiler, parameters and NULL handling. A check runs
the pure evaluator over a slice of the rows and says whether it agrees."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import duckdb

from croupier.segments import Identifier, matches, parse_valid
from croupier.segments.batch import LEFT_OUT, PLAYER, TABLE, Copy, count
from croupier.segments.sql import BIGINT, BOOLEAN, DECIMAL, DECIMAL_TYPE, DOUBLE, VARCHAR, quote, where
from croupier.segments.vocabulary import default_vocabulary

THREE = "deposit_sum_30d >= 100.00 and bet_count_slots_30d >= 5 and rg.level < medium"
SEED = "bet_count_slots_lifetime >= 1 and days_since_last_bet_slots >= 14 and session_minutes_avg_last5 > 45"
THREE_BY_HAND = ("deposit_sum_30d >= 100 AND bet_count_slots_30d >= 5 AND \"rg.level\" IN ('none', 'low') "
                 "AND left_out IS NULL")
SEED_BY_HAND = ("bet_count_slots_lifetime >= 1 AND days_since_last_bet_slots >= 14 AND session_minutes_avg_last5 > 45 "
                "AND left_out IS NULL")
# The features a colleague adds to the catalogue, as the bench knows them until they are there.
_SEED_FEATURES = {
    "days_since_last_bet_slots": Identifier("days_since_last_bet_slots", "days",
                                            "calendar days since the day of the latest slots bet"),
    "session_minutes_avg_last5": Identifier("session_minutes_avg_last5", "number",
                                            "average minutes of the last five sessions"),
}


def _h(salt: int, modulo: int) -> str:
    """A deterministic pseudo-random integer in [0, modulo) per player number `i`."""
    return f"CAST(hash(i * 1000003 + {salt}) % {modulo} AS BIGINT)"


# name -> (column type, SQL over the player number i)
COLUMNS: dict[str, tuple[str, str]] = {
    "bet_count_slots_30d": (BIGINT, f"CASE WHEN {_h(1, 10)} < 4 THEN 0 ELSE {_h(2, 40)} END"),
    "bet_count_slots_lifetime": (BIGINT, f"CASE WHEN {_h(1, 10)} < 3 THEN 0 ELSE 1 + {_h(3, 400)} END"),
    "bet_count_30d": (BIGINT, f"{_h(4, 80)}"),
    "deposit_sum_30d": (DECIMAL, f"CAST({_h(5, 100000)} AS {DECIMAL_TYPE}) / 100"),
    "deposit_count_30d": (BIGINT, f"{_h(6, 12)}"),
    "days_since_last_bet": (BIGINT, f"CASE WHEN {_h(7, 20)} = 0 THEN NULL ELSE {_h(8, 60)} END"),
    "days_since_last_bet_slots": (BIGINT, f"CASE WHEN {_h(1, 10)} < 3 THEN NULL ELSE {_h(9, 90)} END"),
    "session_minutes_avg_last5": (DOUBLE, f"CASE WHEN {_h(10, 15)} = 0 THEN NULL "
                                          f"ELSE {_h(11, 12000)} / 100.0 END"),
    "session_last5_mean_seconds": (BIGINT, f"{_h(11, 12000)} * 6 / 10"),
    "lifecycle_stage": (VARCHAR, f"['prospect', 'new_depositor', 'active', 'at_risk', 'lapsed', "
                                 f"'reactivated'][1 + {_h(12, 6)}]"),
    "rg.level": (VARCHAR, f"CASE WHEN {_h(13, 100)} < 80 THEN 'none' WHEN {_h(13, 100)} < 92 THEN 'low' "
                          f"WHEN {_h(13, 100)} < 97 THEN 'medium' WHEN {_h(13, 100)} < 99 THEN 'high' "
                          f"ELSE 'severe' END"),
    "rg.score": (DECIMAL, f"CAST({_h(14, 10000)} AS {DECIMAL_TYPE}) / 10000"),
    "excluded": (BOOLEAN, f"{_h(15, 100)} < 2"),
    "aml.status": (VARCHAR, f"CASE WHEN {_h(16, 100)} < 99 THEN 'clear' ELSE 'review' END"),
    "limits.deposit.set": (BOOLEAN, f"{_h(17, 100)} < 15"),
    "limits.deposit.closeness": (DECIMAL, f"CASE WHEN {_h(17, 100)} < 15 THEN "
                                          f"CAST({_h(18, 12000)} AS {DECIMAL_TYPE}) / 10000 END"),
}
LEFT_OUT_SQL = (f"CASE WHEN {_h(15, 100)} < 2 THEN 'excluded:self_exclusion:brand' "
                f"WHEN {_h(13, 100)} >= 97 THEN 'rg_risk:high' "
                f"WHEN {_h(16, 100)} >= 99 THEN 'aml_review' "
                f"WHEN {_h(19, 100)} < 6 THEN 'no_consent' END")


@dataclass
class Timing:
    name: str
    text: str
    count: int
    left_out: int
    sample: int
    median_ms: float
    best_ms: float
    by_hand_ms: float                     # the ceiling: the same count in hand-written SQL


@dataclass
class SegmentsBench:
    players: int
    build_seconds: float
    timings: list[Timing] = field(default_factory=list)
    checked_rows: int = 0
    agree: bool = True
    threads: int = 0
    states: int = 0                       # simulated players whose real copy was built
    states_build_seconds: float = 0.0
    states_agree: bool = True             # batch == evaluator over their real values, for each segment
    states_members: dict[str, int] = field(default_factory=dict)


def bench_copy_from_states(out: SegmentsBench, players: int, days: int) -> None:
    """Build the real copy from simulated players' states (the Python pass), and check batch
    membership against the pure evaluator over their real values."""
    from croupier.bench.gate import _states
    from croupier.segments.batch import build_from_states, members, player_values, promotion_hold

    states, config, _ = _states(players, days)
    at_us = time.time_ns() // 1000
    start = time.perf_counter()
    copy = build_from_states(states, at_us, config)
    out.states, out.states_build_seconds = len(states), time.perf_counter() - start
    vocab = default_vocabulary()
    texts = {"3 conditions": THREE, "protection": "excluded = false and rg.level < medium and aml.status = clear",
             "no bet in 3 days": "days_since_last_bet >= 3 or days_since_last_bet is not set",
             "not (deposits)": "not (deposit_sum_30d >= 50.00 and deposit_count_30d between 2 and 6)"}
    if "days_since_last_bet_slots" in vocab and "session_minutes_avg_last5" in vocab:
        texts["seed segment"] = SEED
    values = {s.player_id: player_values(s, at_us, config) for s in states}
    held = {s.player_id: promotion_hold(s, config, at_us) for s in states}
    for name, text in texts.items():
        node = parse_valid(text, vocab)
        want = sorted(pid for pid, v in values.items() if held[pid] is None and matches(node, v))
        got = members(copy, node, promotional=True, limit=len(states) + 1)
        out.states_members[name] = len(got)
        out.states_agree = out.states_agree and got == want
    copy.close()


def synthetic_copy(players: int) -> Copy:
    """A copy of `players` synthetic players' values, made in DuckDB."""
    connection = duckdb.connect(":memory:")
    selects = [f"'p' || lpad(CAST(i AS VARCHAR), 8, '0') AS {quote(PLAYER)}", f"{LEFT_OUT_SQL} AS {quote(LEFT_OUT)}"]
    selects += [f"CAST({sql} AS {DECIMAL_TYPE if kind == DECIMAL else kind}) AS {quote(name)}"
                for name, (kind, sql) in COLUMNS.items()]
    connection.execute(f"CREATE TABLE {TABLE} AS SELECT {', '.join(selects)} FROM range({int(players)}) t(i)")
    return Copy(connection, {name: kind for name, (kind, _) in COLUMNS.items()}, time.time_ns() // 1000,
                time.monotonic(), players)


def vocabulary() -> dict[str, Identifier]:
    """The default vocabulary, with the seed segment's features where the catalogue lacks them."""
    vocab = dict(default_vocabulary())
    for name, ident in _SEED_FEATURES.items():
        vocab.setdefault(name, ident)
    return vocab


def _timed(fn: Any, runs: int) -> tuple[Any, list[float]]:
    result, times = None, []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return result, times


def bench_segments(players: int = 1_000_000, runs: int = 5, check_rows: int = 20_000, states: int = 0,
                   days: int = 30) -> SegmentsBench:
    start = time.perf_counter()
    copy = synthetic_copy(players)
    built = time.perf_counter() - start
    vocab = vocabulary()
    out = SegmentsBench(players, built, threads=int(copy.query("SELECT current_setting('threads')", [])[0][0]))
    for name, text, by_hand in (("3 conditions", THREE, THREE_BY_HAND), ("seed segment", SEED, SEED_BY_HAND)):
        def run() -> Any:
            node = parse_valid(text, vocab)           # compile included: what a request pays
            return count(copy, node, promotional=True, sample=100, vocabulary=vocab)
        answer, times = _timed(run, runs)
        _, hand = _timed(lambda: (copy.query(f"SELECT count(*) FROM {TABLE} WHERE {by_hand}", []),   # noqa: B023
                                  copy.query(f"SELECT {quote(PLAYER)} FROM {TABLE} WHERE {by_hand} "   # noqa: B023
                                             f"ORDER BY {quote(PLAYER)} LIMIT 100", [])), runs)
        out.timings.append(Timing(name, text, answer.count, answer.left_out_total, len(answer.sample),
                                  statistics.median(times), min(times), statistics.median(hand)))
    # the pure evaluator over a slice of the same rows must pick the same players
    names = list(copy.columns)
    rows = copy.query(f"SELECT {quote(PLAYER)}, {quote(LEFT_OUT)}, {', '.join(quote(n) for n in names)} FROM {TABLE} "
                      f"ORDER BY {quote(PLAYER)} LIMIT {int(check_rows)}", [])
    for text in (THREE, SEED):
        node = parse_valid(text, vocab)
        want = [r[0] for r in rows if r[1] is None and matches(node, dict(zip(names, r[2:])), vocab)]
        cond, params = where(node, copy.columns, vocab)
        got = copy.query(f"SELECT {quote(PLAYER)} FROM (SELECT * FROM {TABLE} ORDER BY {quote(PLAYER)} "
                         f"LIMIT {int(check_rows)}) WHERE {cond} AND {quote(LEFT_OUT)} IS NULL "
                         f"ORDER BY {quote(PLAYER)}", params)
        out.agree = out.agree and want == [r[0] for r in got]
    out.checked_rows = len(rows)
    copy.close()
    if states:
        bench_copy_from_states(out, states, days)
    return out
