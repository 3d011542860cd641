"""A definition checked against a vocabulary: every identifier known, every value of the
right type for its identifier's kind, ranges the right way round. All problems are
reported at once, each where it is: line and column for the text form, the JSON path for
the JSON form, with "did you mean" suggestions for unknown identifiers and values."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from croupier.segments.definition import COMPARISONS, OPS, Condition, Node, Scalar, conditions, from_json
from croupier.segments.errors import Problem, SegmentError
from croupier.segments.language import literal, parse_located
from croupier.segments.vocabulary import NUMERIC, OPS_BY_KIND, WHOLE, Identifier, Vocabulary, default_vocabulary

# Where a problem is: (condition index, its JSON path, part) -> Problem fields; part is None
# for the identifier, "value" for a comparison's value, an index for a list's item.
Part = int | str | None
Locate = Callable[[int, str, Part], dict[str, Any]]

_KIND_WORDS = {
    "integer": "a whole number", "seconds": "a whole number of seconds", "days": "a whole number of days",
    "number": "a number", "ratio": "a number", "money": "an amount such as 100 or 25.50 (no quotes)",
    "string": "a quoted string", "level": "one of its levels", "boolean": "true or false",
}
_OP_WORDS = {"not_in": "not in", "is_set": "is set", "is_not_set": "is not set"}


def validate(node: Node, vocabulary: Vocabulary | None = None) -> None:
    """Raise SegmentError (problems located by JSON path) unless every condition is valid."""
    _check(node, vocabulary, lambda i, path, part: {"path": _path(path, part)})


def parse_valid(text: str, vocabulary: Vocabulary | None = None) -> Node:
    """Parse the text form and validate it; problems carry line and column."""
    node, locations = parse_located(text)

    def locate(index: int, path: str, part: Part) -> dict[str, Any]:
        ident, values = locations[index]
        item = 0 if part == "value" else part
        line, column = ident if not isinstance(item, int) or item >= len(values) else values[item]
        return {"line": line, "column": column}

    _check(node, vocabulary, locate)
    return node


def load_json(data: bytes | str | Any, vocabulary: Vocabulary | None = None) -> Node:
    """Read the JSON form (bytes, str or decoded) and validate it; problems carry JSON paths."""
    node = from_json(data)
    validate(node, vocabulary)
    return node


def _path(path: str, part: Part) -> str:
    return f"{path}.feature" if part is None else f"{path}.value" if part == "value" else f"{path}.value[{part}]"


def _check(node: Node, vocabulary: Vocabulary | None, locate: Locate) -> None:
    vocab = default_vocabulary() if vocabulary is None else vocabulary
    problems: list[Problem] = []
    for index, (cond, path) in enumerate(conditions(node)):
        problems.extend(_condition(cond, vocab, lambda part, i=index, p=path: locate(i, p, part)))
    if problems:
        raise SegmentError(problems)


def _condition(c: Condition, vocab: Vocabulary, at: Callable[[Part], dict[str, Any]]) -> list[Problem]:
    if c.op not in OPS:                         # a tree built in code rather than read
        return [Problem(f"unknown operator {c.op!r}: use one of {', '.join(OPS)}", identifier=c.feature, **at(None))]
    ident = vocab.get(c.feature)
    if ident is None:
        close = tuple(difflib.get_close_matches(c.feature, list(vocab), n=3, cutoff=0.6))
        hint = f"; did you mean {_either(close)}?" if close else "; see the feature catalogue (GET /v1/features)"
        return [Problem(f"unknown feature {c.feature!r}{hint}", identifier=c.feature, suggestions=close, **at(None))]
    allowed = OPS_BY_KIND.get(ident.kind)
    if allowed is not None and c.op not in allowed:
        ops = ", ".join(_OP_WORDS.get(o, o) for o in allowed)
        why = "; compare a days_since_... feature instead" if ident.kind == "timestamp" else ""
        return [Problem(f"{c.feature} is {_noun(ident.kind)}: {_OP_WORDS.get(c.op, c.op)} does not apply to it; "
                        f"use {ops}{why}", identifier=c.feature, **at(None))]
    if c.op in COMPARISONS:
        problem = _value(c.value, ident, at("value"))  # type: ignore[arg-type]
        return [problem] if problem else []
    if not isinstance(c.value, tuple):
        return []
    found = [p for i, v in enumerate(c.value) if (p := _value(v, ident, at(i)))]
    if found or c.op != "between":
        return found
    low, high = c.value
    if _rank(low, ident) > _rank(high, ident):
        return [Problem(f"the range {literal(low)} .. {literal(high)} is reversed: write the lower value first "
                        f"({c.feature} between {literal(high)} and {literal(low)})", identifier=c.feature, **at(0))]
    return []


def _value(v: Scalar, ident: Identifier, where: dict[str, Any]) -> Problem | None:
    kind, name = ident.kind, ident.name

    def wrong(why: str, suggestions: tuple[str, ...] = ()) -> Problem:
        return Problem(why, identifier=name, suggestions=suggestions, **where)

    if kind in NUMERIC:
        if isinstance(v, bool) or not isinstance(v, (int, Decimal)):
            return wrong(f"{name} is {_noun(kind)}: {literal(v)} is not a number; use {_KIND_WORDS[kind]}")
        if kind in WHOLE and isinstance(v, Decimal) and v != v.to_integral_value():
            return wrong(f"{name} counts whole units: {literal(v)} is not a whole number")
        if ident.minimum is not None and v < ident.minimum:
            return wrong(f"{literal(v)} is below the smallest value {name} takes ({ident.minimum})")
        if ident.maximum is not None and v > ident.maximum:
            return wrong(f"{literal(v)} is above the largest value {name} takes ({ident.maximum})")
        return None
    if kind == "boolean":
        return None if isinstance(v, bool) else wrong(f"{name} is true or false, not {literal(v)}")
    if not isinstance(v, str):
        return wrong(f"{name} is {_noun(kind)}: {literal(v)} is not one of its values; "
                     f"use {_KIND_WORDS.get(kind, 'a quoted string')}")
    if ident.values and v not in ident.values:
        close = tuple(difflib.get_close_matches(v, ident.values, n=3, cutoff=0.5))
        hint = f"; did you mean {_either(close)}?" if close else ""
        return wrong(f"unknown value {v!r} for {name}: use one of {', '.join(ident.values)}{hint}", close)
    return None


def _rank(v: Scalar, ident: Identifier) -> Any:
    if ident.kind == "level":
        return ident.values.index(v) if v in ident.values else 0  # type: ignore[arg-type]
    return v


def _noun(kind: str) -> str:
    word = {"money": "an amount of money", "days": "a number of days", "seconds": "a number of seconds"}.get(kind)
    return word or ("an " if kind[0] in "aeiou" else "a ") + kind


def _either(names: tuple[str, ...] | list[str]) -> str:
    quoted = [repr(n) for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]

