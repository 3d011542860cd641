"""The JSON form of a segment: a tree of groups (`all`, `any`, `not`) whose leaves are
conditions on one identifier. It is what the API stores and exchanges; the text language
(`segments.language`) is another spelling of the same tree.

    {"all": [{"feature": "bet_count_slots_30d", "op": ">=", "value": 5},
             {"not": {"feature": "excluded", "op": "=", "value": true}}]}

Numbers are kept exact: integers stay `int`, decimals become `Decimal` (a JSON number with
a fraction is read as a Decimal, never a float), so money compares correctly."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Union

import msgspec
from msgspec import Struct, field

from croupier.segments.errors import Problem, SegmentError

Scalar = Union[bool, int, Decimal, str]
Value = Union[Scalar, tuple[Scalar, ...], None]

COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
PRESENCE = ("is_set", "is_not_set")
LISTS = ("in", "not_in")
OPS = (*COMPARISONS, "between", *LISTS, *PRESENCE)


class Condition(Struct, frozen=True, omit_defaults=True):
    """`feature op value`: a scalar for comparisons, [low, high] for `between`, a list for
    `in` / `not_in`, nothing for `is_set` / `is_not_set`."""

    feature: str
    op: str
    value: Value = None


class All(Struct, frozen=True):
    """Every part matches."""

    all: tuple["Node", ...]


class AnyOf(Struct, frozen=True):
    """At least one part matches."""

    any: tuple["Node", ...]


class Not(Struct, frozen=True):
    """The part does not match."""

    not_: "Node" = field(name="not")


Node = Union[Condition, All, AnyOf, Not]

_ENCODER = msgspec.json.Encoder(decimal_format="number")
_DECODER = msgspec.json.Decoder(float_hook=Decimal)


def to_json(node: Node) -> bytes:
    """The JSON form, decimals written as exact JSON numbers."""
    return _ENCODER.encode(node)


def to_builtins(node: Node) -> dict[str, Any]:
    """The JSON form as plain dicts and lists (Decimal values kept as Decimal)."""
    return _DECODER.decode(_ENCODER.encode(node))


def from_json(data: bytes | str | Any) -> Node:
    """The tree from JSON text (bytes or str) or from already decoded JSON (dicts, lists);
    checks the shape only (see `segments.validate` for identifiers and values). A group of
    one part is that part: the text form has no way to write it, and it means the same."""
    if isinstance(data, (bytes, str)):
        try:
            data = _DECODER.decode(data)
        except msgspec.DecodeError as exc:
            raise SegmentError([Problem(f"not valid JSON: {exc}", path="$")]) from None
        except RecursionError:     # the decoder's own bound on nesting
            raise SegmentError([Problem(f"groups nested far deeper than {MAX_DEPTH} levels", path="$")]) from None
    deepest = json_depth(data)
    if deepest > MAX_DEPTH:
        raise SegmentError([Problem(f"groups nested {deepest} deep; at most {MAX_DEPTH} levels", path="$")])
    problems: list[Problem] = []
    node = _node(data, "$", problems)
    if problems or node is None:
        raise SegmentError(problems)
    return node


# How deep groups may nest: far beyond any real definition, and well inside what the
# recursive readers (validation, evaluation, text) can walk.
MAX_DEPTH = 64


def json_depth(data: Any) -> int:
    """How deeply objects and lists nest in decoded JSON, counted without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        obj, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(obj, dict):
            stack.extend((v, depth + 1) for v in obj.values())
        elif isinstance(obj, list):
            stack.extend((v, depth + 1) for v in obj)
    return deepest


def _node(obj: Any, path: str, problems: list[Problem]) -> Node | None:
    if not isinstance(obj, dict):
        problems.append(Problem(f"expected an object such as {{\"all\": [...]}} or {{\"feature\": ..., \"op\": ...}}, "
                                f"got {_json_type(obj)}", path=path))
        return None
    if "feature" in obj:
        return _condition(obj, path, problems)
    keys = [k for k in ("all", "any", "not") if k in obj]
    if len(keys) != 1 or len(obj) != 1:
        extra = sorted(set(obj) - {"all", "any", "not"})
        if len(keys) > 1:
            why = f"has {', '.join(repr(k) for k in keys)}: use one group per object"
        elif extra:
            why = f"unexpected key {extra[0]!r}: use \"all\", \"any\", \"not\" or a condition with \"feature\""
        else:
            why = "is empty: use \"all\", \"any\", \"not\" or a condition with \"feature\""
        problems.append(Problem(f"the object {why}", path=path))
        return None
    key = keys[0]
    if key == "not":
        part = _node(obj["not"], f"{path}.not", problems)
        return None if part is None else Not(part)
    items = obj[key]
    if not isinstance(items, list) or not items:
        problems.append(Problem(f"\"{key}\" needs a non-empty list of conditions or groups, got {_json_type(items)}",
                                path=f"{path}.{key}"))
        return None
    parts = [_node(item, f"{path}.{key}[{i}]", problems) for i, item in enumerate(items)]
    if any(p is None for p in parts):
        return None
    if len(parts) == 1:
        return parts[0]
    return All(tuple(parts)) if key == "all" else AnyOf(tuple(parts))  # type: ignore[arg-type]


def _condition(obj: dict[str, Any], path: str, problems: list[Problem]) -> Condition | None:
    before = len(problems)
    extra = sorted(set(obj) - {"feature", "op", "value"})
    for key in extra:
        problems.append(Problem(f"unexpected key {key!r} in a condition: use \"feature\", \"op\" and \"value\"",
                                path=f"{path}.{key}"))
    feature, op = obj.get("feature"), obj.get("op")
    if not isinstance(feature, str) or not feature:
        problems.append(Problem(f"\"feature\" must be an identifier such as \"deposit_sum_30d\", got {_json_type(feature)}",
                                path=f"{path}.feature"))
    if op not in OPS:
        problems.append(Problem(f"unknown operator {op!r}: use one of {', '.join(OPS)}", path=f"{path}.op",
                                identifier=feature if isinstance(feature, str) else None))
        return None
    value: Value = None
    if op in PRESENCE:
        if "value" in obj:
            problems.append(Problem(f"\"{op}\" takes no value: remove \"value\"", path=f"{path}.value"))
    elif "value" not in obj:
        problems.append(Problem(f"\"{op}\" needs a \"value\"", path=path))
    elif op in COMPARISONS:
        value = _scalar(obj["value"], f"{path}.value", problems)
    else:
        raw = obj["value"]
        if not isinstance(raw, list):
            shape = "[low, high]" if op == "between" else "a list of values"
            problems.append(Problem(f"\"{op}\" needs {shape}, got {_json_type(raw)}", path=f"{path}.value"))
        elif op == "between" and len(raw) != 2:
            problems.append(Problem(f"\"between\" needs exactly two values [low, high], got {len(raw)}",
                                    path=f"{path}.value"))
        elif not raw:
            problems.append(Problem(f"\"{op}\" needs at least one value", path=f"{path}.value"))
        else:
            value = tuple(_scalar(v, f"{path}.value[{i}]", problems) for i, v in enumerate(raw))  # type: ignore[misc]
    if len(problems) > before:
        return None
    return Condition(feature, op, value)  # type: ignore[arg-type]


def _scalar(raw: Any, path: str, problems: list[Problem]) -> Scalar:
    if isinstance(raw, float):      # decoded elsewhere without float_hook: keep the digits written
        return Decimal(repr(raw))
    if isinstance(raw, (bool, int, Decimal, str)):
        return raw
    problems.append(Problem(f"expected a number, a string or true/false, got {_json_type(raw)}", path=path))
    return ""


def _json_type(obj: Any) -> str:
    if obj is None:
        return "null"
    if isinstance(obj, bool):
        return "a boolean"
    if isinstance(obj, (int, float, Decimal)):
        return f"the number {obj}"
    if isinstance(obj, str):
        return f"the string {obj!r}"
    if isinstance(obj, list):
        return "a list"
    if isinstance(obj, dict):
        return "an object"
    return type(obj).__name__


def conditions(node: Node) -> list[tuple[Condition, str]]:
    """Every condition with its JSON path, in reading order (left to right)."""
    out: list[tuple[Condition, str]] = []

    def walk(n: Node, path: str) -> None:
        if isinstance(n, Condition):
            out.append((n, path))
        elif isinstance(n, Not):
            walk(n.not_, f"{path}.not")
        else:
            key = "all" if isinstance(n, All) else "any"
            for i, part in enumerate(n.all if isinstance(n, All) else n.any):
                walk(part, f"{path}.{key}[{i}]")

    walk(node, "$")
    return out
