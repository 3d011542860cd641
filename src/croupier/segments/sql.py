"""A definition as a parametrised SQL condition over a columnar copy of the players' values
(one column per identifier, named as the identifier), for batch membership in DuckDB. Pure:
no database here, only text and parameters; values are never written into the SQL.

The condition means exactly what `segments.matches` means:

- a missing value is SQL NULL; every atom is wrapped in COALESCE(..., FALSE), so `not`, `and`
  and `or` work on plain true/false as the evaluator does (SQL's three-valued logic would
  make `not (x >= 5)` unknown for a player without x, where the evaluator says true);
- exact numbers (integers, money as DECIMAL) compare exactly: a literal with more decimal
  places than the column holds, or beyond its range, is rewritten to the equivalent bound
  on the column's grid (`x >= 100.005` on cents is `x >= 100.01`), never rounded;
- DOUBLE columns (the catalogue's ratios, given as floats) compare with the float of the
  written literal, as the evaluator compares a float value;
- levels compare by their order, strings and booleans by equality."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal, localcontext
from typing import Any

from croupier.segments.definition import All, Condition, Node, Not, Scalar
from croupier.segments.vocabulary import NUMERIC, Vocabulary, default_vocabulary

# Column types of the copy.
BIGINT, DOUBLE, DECIMAL, VARCHAR, BOOLEAN = "BIGINT", "DOUBLE", "DECIMAL", "VARCHAR", "BOOLEAN"
MONEY_SCALE = 10                                  # decimal places a DECIMAL column holds
DECIMAL_TYPE = f"DECIMAL(38,{MONEY_SCALE})"
# Every stored value lies strictly inside (-bound, bound): a literal beyond is clamped to it.
_BOUNDS = {BIGINT: Decimal(2) ** 64, DECIMAL: Decimal(10) ** (38 - MONEY_SCALE - 1)}
_SCALES = {BIGINT: 0, DECIMAL: MONEY_SCALE}
_CASTS = {BIGINT: "HUGEINT", DECIMAL: DECIMAL_TYPE}
_WIDE = Context(prec=120)


def quote(identifier: str) -> str:
    """An identifier as a SQL name: double-quoted, inner quotes doubled."""
    return '"' + identifier.replace('"', '""') + '"'


def where(node: Node, columns: Mapping[str, str], vocabulary: Vocabulary | None = None) -> tuple[str, list[Any]]:
    """The condition for `node` and its parameters (DuckDB's `?` placeholders, in order).
    `columns`: identifier -> column type (BIGINT, DOUBLE, DECIMAL, VARCHAR, BOOLEAN); an
    identifier without a column reads as missing for every player."""
    vocab = default_vocabulary() if vocabulary is None else vocabulary
    params: list[Any] = []
    return _node(node, columns, vocab, params), params


def _node(node: Node, columns: Mapping[str, str], vocab: Vocabulary, params: list[Any]) -> str:
    if isinstance(node, Condition):
        return f"COALESCE({_condition(node, columns, vocab, params)}, FALSE)"
    if isinstance(node, Not):
        return f"(NOT {_node(node.not_, columns, vocab, params)})"
    parts, joiner = (node.all, " AND ") if isinstance(node, All) else (node.any, " OR ")  # type: ignore[union-attr]
    return "(" + joiner.join(_node(p, columns, vocab, params) for p in parts) + ")"


def _condition(c: Condition, columns: Mapping[str, str], vocab: Vocabulary, params: list[Any]) -> str:
    kind = columns.get(c.feature)
    col = quote(c.feature)
    if c.op == "is_set":
        return "FALSE" if kind is None else f"({col} IS NOT NULL)"
    if c.op == "is_not_set":
        return "TRUE" if kind is None else f"({col} IS NULL)"
    if kind is None:
        return "FALSE"
    items: tuple[Scalar, ...] = c.value if isinstance(c.value, tuple) else (c.value,)  # type: ignore[assignment]
    ident = vocab.get(c.feature)
    if ident is not None and ident.kind == "level":
        return _level(col, c.op, items, ident.values, params)
    numeric = (ident.kind in NUMERIC) if ident is not None else all(
        isinstance(x, (int, Decimal)) and not isinstance(x, bool) for x in items)
    if numeric and kind == DOUBLE:
        return _double(col, c.op, items, params)
    if numeric and kind in _BOUNDS:
        return _exact(col, kind, c.op, items, params)
    if numeric:
        raise ValueError(f"{c.feature} is a number but its column is {kind}")
    return _plain(col, kind, c.op, items, params)


def _placeholders(values: list[Any], cast: str, params: list[Any]) -> str:
    params.extend(values)
    return ", ".join(f"CAST(? AS {cast})" for _ in values)


def _double(col: str, op: str, items: tuple[Scalar, ...], params: list[Any]) -> str:
    floats = [float(x) for x in items]            # what the evaluator compares a float value with
    if op == "between":
        return f"({col} BETWEEN {_placeholders(floats[:1], DOUBLE, params)} AND {_placeholders(floats[1:], DOUBLE, params)})"
    if op in ("in", "not_in"):
        negate = "NOT " if op == "not_in" else ""
        return f"({col} {negate}IN ({_placeholders(floats, DOUBLE, params)}))"
    return f"({col} {op} {_placeholders(floats, DOUBLE, params)})"


def _on_grid(x: Decimal, scale: int) -> bool:
    with localcontext(_WIDE):
        return x == x.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_FLOOR)


def _round(x: Decimal, scale: int, rounding: str) -> Decimal:
    with localcontext(_WIDE):
        return x.quantize(Decimal(1).scaleb(-scale), rounding=rounding)


def _exact(col: str, kind: str, op: str, items: tuple[Scalar, ...], params: list[Any]) -> str:
    bound, scale, cast = _BOUNDS[kind], _SCALES[kind], _CASTS[kind]
    # every stored value lies strictly inside (-bound, bound): clamping a literal to the bound
    # keeps every comparison's answer; rounding to the grid keeps it as the rules below say
    lits = [max(-bound, min(bound, Decimal(x))) for x in items]  # type: ignore[arg-type]

    def text(x: Decimal) -> str:
        return format(x, "f")

    if op in ("in", "not_in"):
        kept = [text(x) for x in lits if _on_grid(x, scale) and abs(x) < bound]
        if not kept:
            return "FALSE" if op == "in" else f"({col} IS NOT NULL)"
        negate = "NOT " if op == "not_in" else ""
        return f"({col} {negate}IN ({_placeholders(kept, cast, params)}))"
    if op == "between":
        low, high = _round(lits[0], scale, ROUND_CEILING), _round(lits[1], scale, ROUND_FLOOR)
        return f"({col} BETWEEN {_placeholders([text(low)], cast, params)} AND {_placeholders([text(high)], cast, params)})"
    lit = lits[0]
    if op in ("=", "!="):
        if not _on_grid(lit, scale) or abs(lit) >= bound:
            return "FALSE" if op == "=" else f"({col} IS NOT NULL)"
        return f"({col} {op} {_placeholders([text(lit)], cast, params)})"
    # x >= L and x < L hold on the grid as against ceil(L); x > L and x <= L as against floor(L)
    rounding = ROUND_CEILING if op in (">=", "<") else ROUND_FLOOR
    return f"({col} {op} {_placeholders([text(_round(lit, scale, rounding))], cast, params)})"


def _level(col: str, op: str, items: tuple[Scalar, ...], words: tuple[str, ...], params: list[Any]) -> str:
    if op in ("in", "not_in"):
        negate = "NOT " if op == "not_in" else ""
        return f"({col} {negate}IN ({_placeholders(list(items), VARCHAR, params)}))"
    rank = {w: i for i, w in enumerate(words)}
    ranks = [rank.get(x) for x in items]  # type: ignore[arg-type]
    if any(r is None for r in ranks):
        return "FALSE"
    cases = " ".join(f"WHEN CAST(? AS VARCHAR) THEN {i}" for i in range(len(words)))
    params.extend(words)
    ranked = f"(CASE {col} {cases} END)"
    if op == "between":
        return f"({ranked} BETWEEN {int(ranks[0])} AND {int(ranks[1])})"  # type: ignore[arg-type]
    return f"({ranked} {op} {int(ranks[0])})"  # type: ignore[arg-type]


def _plain(col: str, kind: str, op: str, items: tuple[Scalar, ...], params: list[Any]) -> str:
    cast = BOOLEAN if kind == BOOLEAN else VARCHAR
    wanted = bool if kind == BOOLEAN else str
    if not all(isinstance(x, wanted) for x in items):
        raise ValueError(f"{col} {op} {items!r}: validate the definition first (segments.validate)")
    if op in ("in", "not_in"):
        negate = "NOT " if op == "not_in" else ""
        return f"({col} {negate}IN ({_placeholders(list(items), cast, params)}))"
    if op == "between":
        return (f"({col} BETWEEN {_placeholders([items[0]], cast, params)} "
                f"AND {_placeholders([items[1]], cast, params)})")
    return f"({col} {op} {_placeholders([items[0]], cast, params)})"
