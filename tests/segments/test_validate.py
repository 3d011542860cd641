"""Validation against the vocabulary: unknown identifiers with suggestions, values of the
wrong type for the identifier's kind, unknown levels, reversed ranges; every problem at
once, located by line and column (text) or JSON path (JSON)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from croupier.players import CATALOGUE
from croupier.segments import (
    KINDS, Identifier, Problem, SegmentError, default_vocabulary, load_json, parse, parse_valid, validate, vocabulary_of,
)
from croupier.segments.protection import RISK_LEVELS


def _problems(text: str, vocabulary: object = None) -> list[Problem]:
    with pytest.raises(SegmentError) as caught:
        parse_valid(text, vocabulary)  # type: ignore[arg-type]
    return caught.value.problems


def test_the_default_vocabulary_is_the_catalogue_and_the_protection_identifiers() -> None:
    vocab = default_vocabulary()
    for f in CATALOGUE:
        assert vocab[f.name].kind in KINDS, f"{f.name}: catalogue type {f.type!r} has no segment kind"
        assert vocab[f.name].text == f.definition and vocab[f.name].window == f.window
    assert vocab["rg.level"].values == RISK_LEVELS
    assert vocab["excluded"].kind == "boolean" and vocab["limits.deposit.closeness"].kind == "ratio"


def test_the_level_order_is_the_risk_modules() -> None:
    from croupier.protection import RISK_LEVELS as ENGINE_LEVELS

    assert RISK_LEVELS == ENGINE_LEVELS


def test_a_valid_definition_passes() -> None:
    text = ('bet_count_slots_30d >= 5 and days_since_last_bet >= 14 and rg.level < medium and '
            'deposit_sum_30d between 10 and 250.50 and favourite_category_30d in ("slots", "table") and '
            'excluded = false and aml.status <= review and first_deposit_at is set and rg.score < 0.35')
    assert parse_valid(text) == parse(text)


def test_an_unknown_feature_is_named_with_suggestions_and_its_position() -> None:
    [problem] = _problems("deposit_count_30d >= 1 and\n    depost_sum_30d >= 100")
    assert (problem.line, problem.column) == (2, 5)
    assert problem.identifier == "depost_sum_30d"
    assert problem.suggestions[0] == "deposit_sum_30d"
    assert "unknown feature 'depost_sum_30d'; did you mean 'deposit_sum_30d'" in problem.message
    [far] = _problems("zzz = 1")
    assert far.suggestions == () and "GET /v1/features" in far.message


def test_every_problem_is_reported_at_once_in_reading_order() -> None:
    problems = _problems('rg.level >= meduim and bet_count_30d between 10 and 2 and '
                         'favourite_category_30d in ("slots", "slot") and excluded = 1')
    assert [(p.line, p.column) for p in problems] == [(1, 13), (1, 46), (1, 95), (1, 118)]
    unknown_level, reversed_range, unknown_value, not_boolean = (p.message for p in problems)
    assert "unknown value 'meduim' for rg.level" in unknown_level and "did you mean 'medium'" in unknown_level
    assert problems[0].suggestions == ("medium",)
    assert "10 .. 2 is reversed" in reversed_range and "between 2 and 10" in reversed_range
    assert "unknown value 'slot'" in unknown_value and "'slots'" in unknown_value
    assert "excluded is true or false, not 1" in not_boolean


@pytest.mark.parametrize(("text", "column", "words"), [
    ('deposit_sum_30d >= "100"', 20, "is an amount of money: \"100\" is not a number"),
    ("bet_count_30d = true", 17, "is an integer: true is not a number"),
    ("days_since_last_bet >= 1.5", 24, "1.5 is not a whole number"),
    ("rg.score > 2", 12, "above the largest value rg.score takes (1)"),
    ("bet_count_30d > -1", 17, "below the smallest value"),
    ("registered_at > 5", 1, "does not apply to it; use is set, is not set; compare a days_since_"),
    ('lifecycle_stage > "active"', 1, "is a string: > does not apply"),
    ("excluded between true and false", 1, "is a boolean: between does not apply"),
    ("lifecycle_stage = 5", 19, "5 is not one of its values"),
    ('rg.level between "high" and "low"', 18, "reversed"),
])
def test_wrong_values_say_why(text: str, column: int, words: str) -> None:
    [problem] = _problems(text)
    assert (problem.line, problem.column) == (1, column)
    assert words in problem.message


def test_json_problems_carry_json_paths() -> None:
    with pytest.raises(SegmentError) as caught:
        load_json(b'{"all": [{"feature": "depost_sum_30d", "op": ">=", "value": 5},'
                  b'{"not": {"feature": "rg.level", "op": "in", "value": ["low", "hihg"]}},'
                  b'{"feature": "rg.level", "op": ">=", "value": 3}]}')
    assert [p.path for p in caught.value.problems] == ["$.all[0].feature", "$.all[1].not.value[1]", "$.all[2].value"]
    assert str(caught.value).startswith("$.all[0].feature: unknown feature 'depost_sum_30d'")


def test_money_is_decimal_and_accepts_whole_and_fractional_amounts() -> None:
    node = load_json(b'{"feature": "deposit_sum_30d", "op": ">=", "value": 100.10}')
    assert node.value == Decimal("100.10") and type(node.value) is Decimal  # type: ignore[union-attr]
    validate(parse("deposit_sum_30d >= 100"))


def test_a_vocabulary_can_be_a_plain_mapping_of_kinds() -> None:
    vocab = vocabulary_of({"score": "number", "tier": Identifier("tier", "level", values=("bronze", "gold"))})
    parse_valid("score > 1.5 and tier >= bronze", vocab)
    [problem] = _problems("score > 1.5 and tier >= silver", vocab)
    assert "use one of bronze, gold" in problem.message
    with pytest.raises(ValueError, match="unknown kind 'colour'"):
        vocabulary_of({"x": "colour"})


def test_a_tree_built_in_code_is_checked_too() -> None:
    from croupier.segments import All, Condition

    with pytest.raises(SegmentError) as caught:
        validate(All((Condition("bet_count_30d", "~", 1), Condition("rg.level", ">=", "meduim"))))
    assert [(p.path, p.message.split(":")[0]) for p in caught.value.problems] == [
        ("$.all[0].feature", "unknown operator '~'"), ("$.all[1].value", "unknown value 'meduim' for rg.level")]
