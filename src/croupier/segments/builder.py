"""What the back office's click-through builder reads: the vocabulary in groups, each
identifier with the operators its kind allows and its name in words, and a definition's
tree with every number as its exact decimal string (a browser's JSON reader would make
numbers floats; the builder shows and sends back the digits as written)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from croupier.segments.definition import OPS, Node, to_builtins
from croupier.segments.summary import label
from croupier.segments.vocabulary import KINDS, Identifier, Vocabulary, default_vocabulary, grouped, ops_for

# How the builder names each operator (the text language spells not_in "not in", and so on).
OP_WORDS = {"=": "is (=)", "!=": "is not (!=)", "<": "below (<)", "<=": "at most (<=)", ">": "more than (>)",
            ">=": "at least (>=)", "between": "between", "in": "one of (in)", "not_in": "none of (not in)",
            "is_set": "is set (known)", "is_not_set": "is not set (not known)"}


def vocabulary_view(vocabulary: Vocabulary | None = None) -> dict[str, Any]:
    """The vocabulary as the builder shows it: groups of identifiers, the operators in order
    with their words, and the kinds."""
    vocab = default_vocabulary() if vocabulary is None else vocabulary
    return {
        "operators": [{"op": op, "words": OP_WORDS[op]} for op in OPS],
        "kinds": list(KINDS),
        "groups": [{"title": title, "identifiers": [_identifier(i) for i in idents]}
                   for title, idents in grouped(vocab)],
    }


def _identifier(ident: Identifier) -> dict[str, Any]:
    words, _ = label(ident)
    out: dict[str, Any] = {"name": ident.name, "kind": ident.kind, "text": ident.text, "words": words,
                           "window": ident.window, "values": list(ident.values), "ops": list(ops_for(ident.kind))}
    if ident.minimum is not None:
        out["minimum"] = format(ident.minimum, "f")
    if ident.maximum is not None:
        out["maximum"] = format(ident.maximum, "f")
    return out


def exact_tree(node: Node) -> dict[str, Any]:
    """The JSON form with every number as its decimal string ("45", "12.50"); booleans and
    strings as they are. A valid definition's values have its identifier's kind, so the
    builder knows which strings are numbers."""
    return _exact(to_builtins(node))


def _exact(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _exact(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_exact(v) for v in obj]
    if isinstance(obj, bool) or not isinstance(obj, (int, Decimal)):
        return obj
    return format(obj, "f") if isinstance(obj, Decimal) else str(obj)
