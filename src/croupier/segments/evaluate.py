"""Does a player match a definition? A pure predicate over a plain mapping of identifier ->
value (catalogue features as `players.compute_features` gives them, plus
`segments.protection_values`), so real-time membership, batch checks and previews share it.

The tree is compiled once into nested closures; each condition knows its identifier's kind
(money strings such as "12.50" are compared as Decimal, ratios given as floats against the
float of the written decimal, levels by their order). Missing values (absent or None):
every comparison, `between`, `in` and `not in` is false, `is not set` is true, so
`not (x >= 5)` matches a player without x.

Cost, measured with timeit (best of 5 runs of 100,000 calls, CPython 3.11, one core of a
shared development machine) for `deposit_sum_30d >= 100.00 and bet_count_slots_30d >= 5
and rg.level < medium` compiled once: about 0.5 µs per evaluation when every condition
holds (the money string becomes a Decimal), 0.3 µs when the first fails, 0.13 µs when the
values are missing; `matches()` adds about 0.1 µs to find the compiled predicate. Measured
by hand, not by a test (tests do not time)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from croupier.segments.definition import All, Condition, Node, Not, Scalar
from croupier.segments.vocabulary import NUMERIC, Identifier, Vocabulary, default_vocabulary

Predicate = Callable[[Mapping[str, Any]], bool]

_ORDER = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
          ">=": operator.ge}


def predicate(node: Node, vocabulary: Vocabulary | None = None) -> Predicate:
    """The predicate for `node` (compile once, call per player)."""
    vocab = default_vocabulary() if vocabulary is None else vocabulary
    return _compile(node, vocab)


# Compiled predicates for the default vocabulary, by the definition object's identity (the
# entry keeps the object alive, so its id cannot be reused while cached): hashing a whole
# tree per call would cost as much as evaluating it.
_CACHE: dict[int, tuple[Node, Predicate]] = {}
_CACHE_SIZE = 4096


def matches(node: Node, values: Mapping[str, Any], vocabulary: Vocabulary | None = None) -> bool:
    """Whether `values` match `node` (compiled predicates for the default vocabulary are cached)."""
    if vocabulary is not None:
        return _compile(node, vocabulary)(values)
    entry = _CACHE.get(id(node))
    if entry is None or entry[0] is not node:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        entry = _CACHE[id(node)] = (node, _compile(node, default_vocabulary()))
    return entry[1](values)


def reads(node: Node) -> frozenset[str]:
    """The identifiers `node` reads: what a change must touch to change membership."""
    if isinstance(node, Condition):
        return frozenset((node.feature,))
    if isinstance(node, Not):
        return reads(node.not_)
    parts = node.all if isinstance(node, All) else node.any
    return frozenset().union(*(reads(p) for p in parts))


def _compile(node: Node, vocab: Vocabulary) -> Predicate:
    if isinstance(node, Condition):
        return _condition(node, vocab.get(node.feature))
    if isinstance(node, Not):
        inner = _compile(node.not_, vocab)
        return lambda v: not inner(v)
    if isinstance(node, All):
        return _all(tuple(_compile(p, vocab) for p in node.all))
    return _any(tuple(_compile(p, vocab) for p in node.any))


def _all(parts: tuple[Predicate, ...]) -> Predicate:
    if len(parts) == 2:
        a, b = parts
        return lambda v: a(v) and b(v)
    if len(parts) == 3:
        a, b, c = parts
        return lambda v: a(v) and b(v) and c(v)

    def every(v: Mapping[str, Any]) -> bool:
        for p in parts:
            if not p(v):
                return False
        return True
    return every


def _any(parts: tuple[Predicate, ...]) -> Predicate:
    if len(parts) == 2:
        a, b = parts
        return lambda v: a(v) or b(v)

    def some(v: Mapping[str, Any]) -> bool:
        for p in parts:
            if p(v):
                return True
        return False
    return some


def _condition(c: Condition, ident: Identifier | None) -> Predicate:
    name, op = c.feature, c.op
    if op == "is_set":
        return lambda v: v.get(name) is not None
    if op == "is_not_set":
        return lambda v: v.get(name) is None
    items: tuple[Scalar, ...] = c.value if isinstance(c.value, tuple) else (c.value,)  # type: ignore[assignment]
    if ident is not None and ident.kind == "level":
        return _level(name, op, items, {w: i for i, w in enumerate(ident.values)})
    numeric = (ident.kind in NUMERIC) if ident is not None else all(
        isinstance(x, (int, Decimal)) and not isinstance(x, bool) for x in items)
    if numeric:
        return _numeric(name, op, items)
    return _plain(name, op, items)


def _number(x: Any) -> Any:
    """A value as a number to compare with exact literals: decimal strings become Decimal."""
    if type(x) is str:
        try:
            return Decimal(x)
        except InvalidOperation:
            return None
    return x


def _numeric(name: str, op: str, items: tuple[Scalar, ...]) -> Predicate:
    exact = tuple(items)
    floats = tuple(float(x) for x in items)         # what a float value is compared with
    if op in _ORDER:
        cmp, lit, flit = _ORDER[op], exact[0], floats[0]

        def compare(v: Mapping[str, Any]) -> bool:
            x = v.get(name)
            if x is None:
                return False
            if type(x) is float:
                return cmp(x, flit)
            if type(x) is str:
                x = _number(x)
                if x is None:
                    return False
            return cmp(x, lit)
        return compare
    if op == "between":
        low, high = exact
        flow, fhigh = floats

        def between(v: Mapping[str, Any]) -> bool:
            x = v.get(name)
            if x is None:
                return False
            if type(x) is float:
                return flow <= x <= fhigh
            x = _number(x)
            return x is not None and low <= x <= high
        return between
    members, fmembers, inside = frozenset(exact), frozenset(floats), op == "in"

    def member(v: Mapping[str, Any]) -> bool:
        x = v.get(name)
        if x is None:
            return False
        x = _number(x)
        if x is None:
            return False
        return ((x in fmembers) if type(x) is float else (x in members)) is inside
    return member


def _level(name: str, op: str, items: tuple[Scalar, ...], rank: dict[str, int]) -> Predicate:
    if op in ("in", "not_in"):
        members, inside = frozenset(items), op == "in"
        return lambda v: (x := v.get(name)) is not None and (x in members) is inside
    ranks = [rank.get(x) for x in items]  # type: ignore[arg-type]
    if any(r is None for r in ranks):
        return lambda v: False
    if op == "between":
        low, high = ranks

        def between(v: Mapping[str, Any]) -> bool:
            r = rank.get(v.get(name))  # type: ignore[arg-type]
            return r is not None and low <= r <= high  # type: ignore[operator]
        return between
    cmp, lit = _ORDER[op], ranks[0]

    def compare(v: Mapping[str, Any]) -> bool:
        r = rank.get(v.get(name))  # type: ignore[arg-type]
        return r is not None and cmp(r, lit)
    return compare


def _plain(name: str, op: str, items: tuple[Scalar, ...]) -> Predicate:
    if op in ("in", "not_in"):
        members, inside = frozenset(items), op == "in"
        return lambda v: (x := v.get(name)) is not None and (x in members) is inside
    lit = items[0]
    if op == "=":
        if isinstance(lit, bool):
            return lambda v: v.get(name) is lit
        return lambda v: (x := v.get(name)) is not None and x == lit
    if op == "!=":
        if isinstance(lit, bool):
            return lambda v: (x := v.get(name)) is not None and x is not lit
        return lambda v: (x := v.get(name)) is not None and x != lit
    cmp = _ORDER.get(op)
    low, high = (items if op == "between" else (lit, lit))

    def ordered(v: Mapping[str, Any]) -> bool:         # strings without a kind: in text order
        x = v.get(name)
        if x is None:
            return False
        try:
            return bool(low <= x <= high) if cmp is None else bool(cmp(x, lit))
        except TypeError:
            return False
    return ordered
