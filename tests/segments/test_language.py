"""The text language: what parses to what, precedence, every operator, and where syntax
errors are reported."""

from __future__ import annotations

from decimal import Decimal

import pytest

from croupier.players import CATALOGUE
from croupier.segments import GRAMMAR, All, AnyOf, Condition, Not, SegmentError, parse, to_text
from croupier.segments.protection import PROTECTION


def c(feature: str, op: str, value: object = None) -> Condition:
    return Condition(feature, op, value)  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "expected"), [
    ("x = 5", c("x", "=", 5)),
    ("x != 5", c("x", "!=", 5)),
    ("x < -2", c("x", "<", -2)),
    ("x <= 2.50", c("x", "<=", Decimal("2.50"))),
    ("x > 0.1", c("x", ">", Decimal("0.1"))),
    ("x >= 14", c("x", ">=", 14)),
    ('x = "slots"', c("x", "=", "slots")),
    ("x = true", c("x", "=", True)),
    ("x != false", c("x", "!=", False)),
    ("x between 10 and 20", c("x", "between", (10, 20))),
    ('category in ("slots", "table")', c("category", "in", ("slots", "table"))),
    ('category not in ("slots")', c("category", "not_in", ("slots",))),
    ("x is set", c("x", "is_set")),
    ("x is not set", c("x", "is_not_set")),
    ("rg.level >= medium", c("rg.level", ">=", "medium")),           # a bare word is a string
    ('s = "say \\"hi\\" \\\\ ok"', c("s", "=", 'say "hi" \\ ok')),
])
def test_every_operator(text: str, expected: Condition) -> None:
    assert parse(text) == expected


def test_decimals_stay_exact_and_integers_stay_integers() -> None:
    node = parse("deposit_sum_30d >= 100.10")
    assert isinstance(node, Condition) and type(node.value) is Decimal and str(node.value) == "100.10"
    assert type(parse("x = 7").value) is int  # type: ignore[union-attr]


def test_not_binds_tighter_than_and_which_binds_tighter_than_or() -> None:
    a, b, cc = c("a", "=", 1), c("b", "=", 2), c("c", "=", 3)
    assert parse("a = 1 or b = 2 and c = 3") == AnyOf((a, All((b, cc))))
    assert parse("a = 1 and b = 2 or c = 3") == AnyOf((All((a, b)), cc))
    assert parse("not a = 1 and b = 2") == All((Not(a), b))
    assert parse("not (a = 1 and b = 2)") == Not(All((a, b)))
    assert parse("(a = 1 or b = 2) and c = 3") == All((AnyOf((a, b)), cc))
    assert parse("not not a = 1") == Not(Not(a))


def test_a_chain_is_one_group_and_parentheses_keep_their_own() -> None:
    a, b, cc = c("a", "=", 1), c("b", "=", 2), c("c", "=", 3)
    assert parse("a = 1 and b = 2 and c = 3") == All((a, b, cc))
    assert parse("a = 1 and (b = 2 and c = 3)") == All((a, All((b, cc))))
    assert parse("((a = 1))") == a


def test_between_takes_its_own_and() -> None:
    assert parse("x between 1 and 2 and y = 3") == All((c("x", "between", (1, 2)), c("y", "=", 3)))


def test_keywords_inside_identifiers_are_identifiers() -> None:
    assert parse("android = 1 and order_count is set and notes.in = 2 and isolated != true") == All((
        c("android", "=", 1), c("order_count", "is_set"), c("notes.in", "=", 2), c("isolated", "!=", True)))


def test_whitespace_and_newlines_do_not_matter() -> None:
    assert parse("a=1\n  and\tb   in(1,2)") == All((c("a", "=", 1), c("b", "in", (1, 2))))


def test_every_catalogue_feature_and_protection_identifier_parses_as_an_identifier() -> None:
    names = [f.name for f in CATALOGUE] + list(PROTECTION)
    for name in names:
        assert parse(f"{name} is set") == c(name, "is_set"), name


def test_canonical_text() -> None:
    node = parse('not (x in ("a","b") and y is not set) or z between 1.5 and 2 and w = true')
    assert to_text(node) == 'not (x in ("a", "b") and y is not set) or z between 1.5 and 2 and w = true'
    assert to_text(parse("a = 1 or (b = 2 or c = 3)")) == "a = 1 or (b = 2 or c = 3)"
    assert to_text(parse("rg.level < medium")) == 'rg.level < "medium"'


@pytest.mark.parametrize(("text", "line", "column", "words"), [
    ("", 1, 1, "empty"),
    ("deposit_sum_30d >= ", 1, 20, "ends too early; expected a number or a quoted string"),
    ("a >== 5", 1, 5, "unexpected '='"),
    ("a = 5 and", 1, 10, "expected \"(\" or \"not\" or a feature name"),
    ("a = 5 b = 6", 1, 7, "unexpected 'b'; expected \"and\" or \"or\""),
    ("a = 1 and\n  b = $", 2, 7, "unexpected character '$'"),
    ("a in ()", 1, 7, "unexpected ')'"),
    ("(a = 1", 1, 7, "expected \")\""),
    ("a between 1 or 2", 1, 13, "expected \"and\""),
    ("a is maybe", 1, 6, "unexpected 'maybe'"),
])
def test_syntax_errors_say_where_and_what_was_expected(text: str, line: int, column: int, words: str) -> None:
    with pytest.raises(SegmentError) as caught:
        parse(text)
    [problem] = caught.value.problems
    assert (problem.line, problem.column) == (line, column)
    assert words in problem.message
    assert str(problem).startswith(f"line {line}, column {column}: ")


def test_the_grammar_is_printed_in_the_docs() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "segments.md").read_text()
    assert GRAMMAR.strip() in doc


def test_hostile_nesting_is_refused_with_a_position_not_a_crash() -> None:
    from croupier.segments import SegmentError, parse
    from croupier.segments.definition import MAX_DEPTH

    parse("not " * (MAX_DEPTH - 2) + "deposit_sum_30d > 1")            # deep but allowed
    for n in (MAX_DEPTH + 5, 20_000):
        with pytest.raises(SegmentError, match=f"at most {MAX_DEPTH} levels") as caught:
            parse("not " * n + "deposit_sum_30d > 1")
        assert caught.value.problems[0].line == 1 and caught.value.problems[0].column > 1
    assert to_text(parse("(" * 5_000 + "a > 1" + ")" * 5_000)) == "a > 1"   # parentheses alone add no level
