"""docs/segments.md: every example is a valid definition, and the errors it shows are the
errors Croupier gives."""

from __future__ import annotations

import json
import re
from pathlib import Path

from croupier.segments import (
    GRAMMAR, PROTECTION, SegmentError, default_vocabulary, from_json, parse, parse_valid, summarise,
)

DOC = (Path(__file__).resolve().parents[2] / "docs" / "segments.md").read_text()
def _blocks(tag: str) -> list[str]:
    return re.findall(rf"```{tag}\n(.*?)```", DOC, re.S)


def test_every_example_is_valid_and_has_a_summary() -> None:
    vocab = default_vocabulary()
    examples = _blocks("segment")
    assert len(examples) >= 7
    for text in examples:
        node = parse_valid(text, vocab)
        assert summarise(node, vocab).startswith("players whose") or summarise(node, vocab).startswith("players who")


def test_the_seed_segment_in_words() -> None:
    vocab = default_vocabulary()
    seed = next(text for text in _blocks("segment") if "session_minutes_avg_last5" in text)
    assert summarise(parse_valid(seed, vocab), vocab) == (
        "players whose latest slots bet was at least 14 days ago, "
        "and whose average minutes of the last 5 sessions is more than 45")


def test_the_json_example_is_the_first_example() -> None:
    first, = _blocks("json")[:1]
    assert from_json(json.loads(first)) == parse(_blocks("segment")[0])


def test_the_errors_shown_are_the_errors_given() -> None:
    written, shown = _blocks("text")[:2]
    try:
        parse_valid(written)
    except SegmentError as exc:
        assert [str(p) for p in exc.problems] == shown.strip().splitlines()
    else:
        raise AssertionError("the example has errors")


def test_the_grammar_and_every_protection_identifier_are_documented() -> None:
    assert GRAMMAR.strip() in DOC
    for name in PROTECTION:
        assert f"| `{name}` |" in DOC
