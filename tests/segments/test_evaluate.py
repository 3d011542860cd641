"""The evaluator: each operator's meaning, missing values, money given as decimal strings,
ratios given as floats, levels by their order, and what a definition reads."""

from __future__ import annotations

from decimal import Decimal

import pytest

from croupier.segments import matches, parse, parse_valid, predicate, reads, vocabulary_of


def ok(text: str, values: dict[str, object]) -> bool:
    return matches(parse_valid(text), values)


def test_comparisons_on_whole_numbers() -> None:
    values = {"bet_count_30d": 5}
    assert [ok(f"bet_count_30d {op} 5", values) for op in ("=", "!=", "<", "<=", ">", ">=")] == \
        [True, False, False, True, False, True]


def test_money_given_as_decimal_strings_compares_as_decimal() -> None:
    values = {"deposit_sum_30d": "100.10", "net_deposit_30d": "-5.00"}
    assert ok("deposit_sum_30d > 100.09", values) and ok("deposit_sum_30d = 100.1", values)
    assert not ok("deposit_sum_30d > 100.10", values)
    assert ok("deposit_sum_30d >= 100.10", values)
    assert ok("deposit_sum_30d > 99", values)           # not "100.10" > "99" as text
    assert ok("net_deposit_30d < 0", values) and ok("net_deposit_30d between -10 and -5", values)
    assert ok("deposit_sum_30d in (100.10, 5)", values) and not ok("deposit_sum_30d not in (100.1)", values)
    assert ok("deposit_sum_30d > 1", {"deposit_sum_30d": Decimal("2.00")})


def test_ratios_given_as_floats_compare_with_the_written_decimal() -> None:
    values = {"late_night_share_30d": 0.1}              # 0.1 as a float is 0.1000000000000000055...
    assert ok("late_night_share_30d <= 0.1", values) and ok("late_night_share_30d >= 0.1", values)
    assert ok("late_night_share_30d = 0.1", values) and ok("late_night_share_30d between 0 and 0.1", values)
    assert ok("late_night_share_30d in (0.1, 0.2)", values)


def test_between_is_inclusive() -> None:
    assert [ok("bet_count_30d between 10 and 20", {"bet_count_30d": n}) for n in (9, 10, 20, 21)] == \
        [False, True, True, False]


def test_sets_and_strings() -> None:
    values = {"favourite_category_30d": "slots"}
    assert ok('favourite_category_30d in ("slots", "table")', values)
    assert not ok('favourite_category_30d not in ("slots", "table")', values)
    assert ok('favourite_category_30d not in ("poker")', values)
    assert ok('favourite_category_30d = "slots"', values) and ok('favourite_category_30d != "table"', values)


def test_levels_compare_by_their_order_not_as_text() -> None:
    for level, below_medium in (("none", True), ("low", True), ("medium", False), ("high", False), ("severe", False)):
        assert ok("rg.level < medium", {"rg.level": level}) is below_medium
        assert ok("rg.level >= medium", {"rg.level": level}) is not below_medium
    assert ok("rg.level between low and high", {"rg.level": "medium"})
    assert ok("aml.status > clear", {"aml.status": "review"}) and not ok("aml.status > clear", {"aml.status": "clear"})
    assert not ok("rg.level >= low", {"rg.level": "unheard-of"})
    assert ok('rg.level in ("high", "severe")', {"rg.level": "severe"})


def test_booleans() -> None:
    assert ok("excluded = true", {"excluded": True}) and not ok("excluded = true", {"excluded": False})
    assert ok("excluded != true", {"excluded": False}) and ok("excluded = false", {"excluded": False})


def test_missing_values_fail_every_comparison_and_are_not_set() -> None:
    for missing in ({}, {"bet_count_30d": None}):
        for text in ("bet_count_30d = 1", "bet_count_30d != 1", "bet_count_30d < 1", "bet_count_30d >= 0",
                     "bet_count_30d between 0 and 9", "bet_count_30d in (1)", "bet_count_30d not in (1)",
                     "bet_count_30d is set"):
            assert not ok(text, missing), text
        assert ok("bet_count_30d is not set", missing)
        assert ok("not bet_count_30d >= 5", missing)
    assert not ok("rg.level < high", {}) and not ok("excluded = false", {})
    assert ok("deposit_sum_30d is set", {"deposit_sum_30d": "0.00"})


def test_groups() -> None:
    node = parse_valid("bet_count_30d > 1 and (excluded = true or rg.level >= high) and not deposit_count_30d = 0")
    assert matches(node, {"bet_count_30d": 2, "excluded": False, "rg.level": "high", "deposit_count_30d": 3})
    assert not matches(node, {"bet_count_30d": 2, "excluded": False, "rg.level": "low", "deposit_count_30d": 3})
    assert not matches(node, {"bet_count_30d": 2, "excluded": True, "deposit_count_30d": 0})
    wide = parse_valid(" or ".join(f"bet_count_{c}_30d >= 1" for c in ("slots", "table", "crash", "bingo")))
    assert matches(wide, {"bet_count_bingo_30d": 1}) and not matches(wide, {"bet_count_slots_30d": 0})
    many = parse_valid(" and ".join(f"bet_count_{c}_30d >= 1" for c in ("slots", "table", "crash", "bingo")))
    assert matches(many, dict.fromkeys(("bet_count_slots_30d", "bet_count_table_30d", "bet_count_crash_30d",
                                        "bet_count_bingo_30d"), 1))
    assert not matches(many, {"bet_count_slots_30d": 1})


def test_a_definition_outside_the_vocabulary_still_evaluates_by_its_literals() -> None:
    vocab = vocabulary_of({})
    assert matches(parse("x >= 2.5"), {"x": "3.00"}, vocab)
    assert matches(parse('x = "a"'), {"x": "a"}, vocab) and not matches(parse("x > 1"), {"x": "junk"}, vocab)
    assert matches(parse('x < "b"'), {"x": "a"}, vocab) and not matches(parse('x < "b"'), {"x": 1}, vocab)


def test_reads_lists_every_identifier_once() -> None:
    node = parse("a > 1 and (b.c is set or not a < 0) and d in (1, 2)")
    assert reads(node) == frozenset({"a", "b.c", "d"})


def test_a_predicate_compiled_once_answers_as_matches_for_every_player() -> None:
    """The compiled predicate (what batch and real-time membership call per player) and
    `matches` agree on players who match, miss one condition each, or lack values. (Its cost
    is measured by `croupier bench segments`, not asserted here: tests do not time.)"""
    node = parse_valid("deposit_sum_30d >= 100.00 and bet_count_slots_30d >= 5 and rg.level < medium")
    check = predicate(node)
    player = {"deposit_sum_30d": "150.00", "bet_count_slots_30d": 7, "rg.level": "low"}
    players = [player, {**player, "deposit_sum_30d": "99.99"}, {**player, "bet_count_slots_30d": 4},
               {**player, "rg.level": "medium"}, {}, {"bet_count_slots_30d": 9}]
    assert [check(p) for p in players] == [matches(node, p) for p in players] == [True] + [False] * 5


@pytest.mark.parametrize("text", ["x >= 1", "x is set"])
def test_matches_caches_per_definition_object(text: str) -> None:
    node = parse(text)
    assert matches(node, {"x": 1}) is True and matches(node, {"x": 1}) is True
