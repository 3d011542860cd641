"""What the back office's builder reads from croupier.segments: the whole vocabulary in groups
(every identifier once, with the operators validation accepts for its kind), and a tree with
exact numbers."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from croupier.segments import (
    OPS, PROTECTION, Identifier, SegmentError, default_vocabulary, exact_tree, grouped, ops_for, parse, parse_valid,
    to_text, vocabulary_of, vocabulary_view,
)


def test_every_identifier_once_in_its_group_with_the_operators_its_kind_takes() -> None:
    view = vocabulary_view()
    json.dumps(view)                                   # plain JSON, as the page receives it
    names = [i["name"] for g in view["groups"] for i in g["identifiers"]]
    assert sorted(names) == sorted(default_vocabulary()) and len(names) == len(set(names))
    titles = [g["title"] for g in view["groups"]]
    assert titles == ["Player facts", "Today", "Last 7 days", "Last 30 days", "Last 90 days", "Lifetime",
                      "Protection and risk"]
    by_title = {g["title"]: {i["name"]: i for i in g["identifiers"]} for g in view["groups"]}
    assert set(by_title["Protection and risk"]) == set(PROTECTION)
    assert "deposit_sum_30d" in by_title["Last 30 days"] and "days_since_last_bet_slots" in by_title["Player facts"]
    assert all(i["window"] == "7d" for i in by_title["Last 7 days"].values())
    level = by_title["Protection and risk"]["rg.level"]
    assert level["values"] == ["none", "low", "medium", "high", "severe"] and level["ops"] == list(OPS)
    assert by_title["Protection and risk"]["excluded"]["ops"] == ["=", "!=", "is_set", "is_not_set"]
    assert by_title["Player facts"]["registered_at"]["ops"] == ["is_set", "is_not_set"]
    assert by_title["Protection and risk"]["rg.score"]["maximum"] == "1"
    minutes = by_title["Player facts"]["session_minutes_avg_last5"]
    assert minutes["words"] == "average minutes of the last 5 sessions" and "2 decimals" in minutes["text"]
    assert [o["op"] for o in view["operators"]] == list(OPS)


@pytest.mark.parametrize("kind", ["integer", "money", "days", "level", "string", "boolean", "timestamp"])
def test_the_builder_offers_exactly_the_operators_validation_accepts(kind: str) -> None:
    vocab = vocabulary_of({"x": kind})
    value = {"integer": "1", "money": "1.50", "days": "1", "level": '"a"', "string": '"a"', "boolean": "true",
             "timestamp": '"t"'}[kind]
    for op in OPS:
        text = {"between": f"x between {value} and {value}", "in": f"x in ({value})", "not_in": f"x not in ({value})",
                "is_set": "x is set", "is_not_set": "x is not set"}.get(op, f"x {op} {value}")
        try:
            parse_valid(text, vocab)
            accepted = True
        except SegmentError as exc:
            accepted = "does not apply" not in exc.problems[0].message
        assert accepted == (op in ops_for(kind)), (kind, op)


def test_groups_leave_out_empty_ones() -> None:
    vocab = vocabulary_of({"b_7d": Identifier("b_7d", "money", window="7d"), "a": "integer",
                           "excluded": PROTECTION["excluded"]})
    assert [(title, [i.name for i in idents]) for title, idents in grouped(vocab)] == [
        ("Player facts", ["a"]), ("Last 7 days", ["b_7d"]), ("Protection and risk", ["excluded"])]


def test_the_exact_tree_keeps_every_digit_and_the_text_reads_it_back() -> None:
    node = parse('deposit_sum_30d between 0.10 and 12345678901234567.89 and not (excluded = true or '
                 'kyc.status in ("pending", "verified")) and bet_count_30d >= 5')
    tree = exact_tree(node)
    assert tree["all"][0]["value"] == ["0.10", "12345678901234567.89"]
    assert tree["all"][1] == {"not": {"any": [{"feature": "excluded", "op": "=", "value": True},
                                              {"feature": "kyc.status", "op": "in", "value": ["pending", "verified"]}]}}
    assert tree["all"][2]["value"] == "5"
    # the digits written back as JSON numbers (what the builder sends) give the same definition
    from croupier.segments import from_json

    def numbers(obj):  # noqa: ANN001, ANN202
        if isinstance(obj, dict):
            return {k: numbers(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [numbers(v) for v in obj]
        return Decimal(obj) if isinstance(obj, str) and obj[0].isdigit() else obj

    assert to_text(from_json(numbers(tree))) == to_text(node)
