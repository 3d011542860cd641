"""The JSON form: its shape, exact numbers, errors by JSON path, and the round trips
text -> JSON -> text and JSON -> text -> JSON."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from croupier.players import CATALOGUE
from croupier.segments import All, AnyOf, Condition, Not, SegmentError, from_json, parse, to_builtins, to_json, to_text
from croupier.segments.protection import PROTECTION


def test_the_json_form_of_each_node() -> None:
    node = parse('a >= 5 and (b between 1.5 and 2 or not c in ("x", "y")) and d is not set')
    assert json.loads(to_json(node)) == {"all": [
        {"feature": "a", "op": ">=", "value": 5},
        {"any": [{"feature": "b", "op": "between", "value": [1.5, 2]},
                 {"not": {"feature": "c", "op": "in", "value": ["x", "y"]}}]},
        {"feature": "d", "op": "is_not_set"}]}


def test_decimals_are_exact_json_numbers_and_read_back_as_decimal() -> None:
    node = parse("deposit_sum_30d >= 100.10")
    assert to_json(node) == b'{"feature":"deposit_sum_30d","op":">=","value":100.10}'
    back = from_json(to_json(node))
    assert isinstance(back, Condition) and back.value == Decimal("100.10") and type(back.value) is Decimal
    assert to_builtins(node) == {"feature": "deposit_sum_30d", "op": ">=", "value": Decimal("100.10")}
    # already-decoded JSON with a float keeps the digits as written, never binary noise
    decoded = from_json({"feature": "x", "op": ">", "value": 0.1})
    assert isinstance(decoded, Condition) and decoded.value == Decimal("0.1")


def test_a_group_of_one_is_its_part() -> None:
    assert from_json({"all": [{"any": [{"feature": "a", "op": "is_set"}]}]}) == Condition("a", "is_set")


def _problems(data: object) -> list[tuple[str | None, str]]:
    with pytest.raises(SegmentError) as caught:
        from_json(data)
    return [(p.path, p.message) for p in caught.value.problems]


def test_shape_errors_name_the_json_path() -> None:
    assert _problems(b"{not json")[0][0] == "$"
    assert _problems([]) == [("$", "expected an object such as {\"all\": [...]} or {\"feature\": ..., \"op\": ...}, "
                                   "got a list")]
    problems = _problems({"all": [
        {"feature": "a", "op": "~", "value": 1},
        {"feature": "b", "op": "between", "value": [1]},
        {"feature": "c", "op": "in", "value": []},
        {"feature": "d", "op": "is_set", "value": 1},
        {"feature": "e", "op": ">="},
        {"feature": "f", "op": "=", "value": {"x": 1}},
        {"any": []},
        {"all": [], "any": []},
        {"feature": "g", "op": "=", "value": 1, "note": "x"},
        {"nope": 1},
    ]})
    paths = [p for p, _ in problems]
    assert paths == ["$.all[0].op", "$.all[1].value", "$.all[2].value", "$.all[3].value", "$.all[4]",
                     "$.all[5].value", "$.all[6].any", "$.all[7]", "$.all[8].note", "$.all[9]"]
    messages = dict(problems)
    assert "unknown operator '~'" in messages["$.all[0].op"]
    assert "exactly two values [low, high], got 1" in messages["$.all[1].value"]
    assert "at least one value" in messages["$.all[2].value"]
    assert "takes no value" in messages["$.all[3].value"]
    assert "needs a \"value\"" in messages["$.all[4]"]
    assert "got an object" in messages["$.all[5].value"]
    assert "use one group per object" in messages["$.all[7]"]
    assert "unexpected key 'nope'" in messages["$.all[9]"]


# ---- round trips -------------------------------------------------------------------------

_NAMES = [f.name for f in CATALOGUE][::7] + list(PROTECTION) + ["x", "a.b.c", "android", "isle"]
_identifiers = st.sampled_from(_NAMES)
_integers = st.integers(min_value=-10**12, max_value=10**12)
_decimals = st.builds(lambda n, places: Decimal(n).scaleb(-places), _integers, st.integers(1, 6))
_strings = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_scalars = st.one_of(_integers, _decimals, _strings, st.booleans())


def _condition() -> st.SearchStrategy[Condition]:
    comparison = st.builds(Condition, _identifiers, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), _scalars)
    between = st.builds(lambda f, a, b: Condition(f, "between", (a, b)), _identifiers, _scalars, _scalars)
    listed = st.builds(lambda f, op, xs: Condition(f, op, tuple(xs)), _identifiers, st.sampled_from(["in", "not_in"]),
                       st.lists(_scalars, min_size=1, max_size=4))
    presence = st.builds(Condition, _identifiers, st.sampled_from(["is_set", "is_not_set"]))
    return st.one_of(comparison, between, listed, presence)


_nodes = st.recursive(
    _condition(),
    lambda inner: st.one_of(
        st.builds(lambda xs: All(tuple(xs)), st.lists(inner, min_size=2, max_size=4)),
        st.builds(lambda xs: AnyOf(tuple(xs)), st.lists(inner, min_size=2, max_size=4)),
        st.builds(Not, inner)),
    max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(_nodes)
def test_json_to_text_to_json_is_exact(node: object) -> None:
    text = to_text(node)  # type: ignore[arg-type]
    again = parse(text)
    assert to_json(again) == to_json(node)  # type: ignore[arg-type]
    assert again == node


@settings(max_examples=200, deadline=None)
@given(_nodes)
def test_text_to_json_to_text_is_exact(node: object) -> None:
    text = to_text(node)  # type: ignore[arg-type]      # a canonical text
    via_json = from_json(to_json(parse(text)))
    assert to_text(via_json) == text
    assert to_text(from_json(to_builtins(parse(text)))) == text      # the decoded form an API hands over


def test_hostile_nesting_in_json_is_refused_not_a_crash() -> None:
    from croupier.segments import SegmentError, load_json

    condition = '{"feature": "deposit_sum_30d", "op": ">", "value": 1}'
    for n in (80, 5_000):
        with pytest.raises(SegmentError, match="64 levels") as caught:
            load_json('{"not": ' * n + condition + "}" * n)
        assert caught.value.problems[0].path == "$"
