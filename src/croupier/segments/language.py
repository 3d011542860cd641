"""The text form of a segment, parsed with lark (an LALR grammar, kept here as `GRAMMAR`
and printed in docs/segments.md), and the canonical text of a definition.

    bet_count_slots_30d >= 5 and days_since_last_bet_slots >= 14 and rg.level < "medium"

Precedence: `not` binds tighter than `and`, which binds tighter than `or`; parentheses
group. A chain `a and b and c` is one group of three; a parenthesised group stays a group
of its own, so text -> JSON -> text gives back the canonical text exactly."""

from __future__ import annotations

import json
from decimal import Decimal

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from croupier.segments.definition import MAX_DEPTH, All, AnyOf, Condition, Node, Not, Scalar
from croupier.segments.errors import Problem, SegmentError

GRAMMAR = r"""
start: or_expr

?or_expr: and_expr (_OR and_expr)*
?and_expr: not_expr (_AND not_expr)*
?not_expr: _NOT not_expr                          -> negation
         | atom
?atom: condition
     | "(" or_expr ")"

condition: IDENT COMPARISON value                 -> compare
         | IDENT _BETWEEN value _AND value        -> between
         | IDENT _IN list                         -> in
         | IDENT _NOT _IN list                    -> not_in
         | IDENT _IS _SET                         -> is_set
         | IDENT _IS _NOT _SET                    -> is_not_set

list: "(" value ("," value)* ")"

value: NUMBER                                     -> number
     | STRING                                     -> string
     | _TRUE                                      -> true
     | _FALSE                                     -> false
     | IDENT                                      -> word

COMPARISON: "=" | "!=" | "<=" | ">=" | "<" | ">"
IDENT: /[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/
NUMBER: /-?[0-9]+(\.[0-9]+)?/
STRING: /"(?:[^"\\\x00-\x1f]|\\["\\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/

_AND: "and"
_OR: "or"
_NOT: "not"
_BETWEEN: "between"
_IN: "in"
_IS: "is"
_SET: "set"
_TRUE: "true"
_FALSE: "false"

%import common.WS
%ignore WS
"""

_PARSER = Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)

# What the parser's terminal names mean, for "expected ..." in error messages.
_WORDS = {
    "IDENT": "a feature name", "NUMBER": "a number", "STRING": "a quoted string", "COMPARISON":
    "a comparison (=, !=, <, <=, >, >=)", "LPAR": "\"(\"", "RPAR": "\")\"", "COMMA": "\",\"",
    "_AND": "\"and\"", "_OR": "\"or\"", "_NOT": "\"not\"", "_BETWEEN": "\"between\"", "_IN": "\"in\"",
    "_IS": "\"is\"", "_SET": "\"set\"", "_TRUE": "true", "_FALSE": "false", "$END": "the end of the text",
}

Location = tuple[int, int]
# Per condition, in reading order: where its identifier is, and where each of its values is.
Locations = list[tuple[Location, list[Location]]]


def parse(text: str) -> Node:
    """The tree a text spells (syntax only; `segments.validate.parse_valid` also checks it
    against a vocabulary, with line and column in every problem)."""
    return parse_located(text)[0]


def parse_located(text: str) -> tuple[Node, Locations]:
    """The tree, and where each condition's identifier and values are in the text."""
    try:
        tree = _PARSER.parse(text)
    except UnexpectedInput as exc:
        raise SegmentError([_syntax_problem(exc, text)]) from None
    deepest, where = _depth(tree)
    if deepest > MAX_DEPTH:
        raise SegmentError([Problem(f"groups and \"not\" nested {deepest} deep; at most {MAX_DEPTH} levels",
                                    line=where[0], column=where[1])])
    locations: Locations = []
    return _build(tree.children[0], locations), locations


def _depth(tree: Tree) -> tuple[int, Location]:
    """How deeply groups and negations nest in a parse tree, and where the deepest begins
    (counted without recursion: a hostile text may nest thousands deep)."""
    deepest, where, stack = 0, (1, 1), [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest, where = depth, (getattr(node.meta, "line", 1) or 1, getattr(node.meta, "column", 1) or 1)
        stack.extend((c, depth + 1) for c in node.children if isinstance(c, Tree))
    return deepest, where


def _syntax_problem(exc: UnexpectedInput, text: str) -> Problem:
    line, column = max(exc.line, 1), max(exc.column, 1)
    if isinstance(exc, UnexpectedCharacters):
        return Problem(f"unexpected character {text[exc.pos_in_stream]!r}", line=line, column=column)
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        if not text.strip():
            return Problem("the definition is empty: write a condition such as deposit_count_30d >= 1",
                           line=1, column=1)
        expected = _expected(exc)
        lines = text.splitlines() or [""]
        return Problem(f"the text ends too early; expected {expected}", line=len(lines),
                       column=len(lines[-1]) + 1)
    assert isinstance(exc, UnexpectedToken)
    return Problem(f"unexpected {exc.token.value!r}; expected {_expected(exc)}", line=line, column=column)


def _expected(exc: UnexpectedInput) -> str:
    names = sorted(getattr(exc, "accepts", None) or getattr(exc, "expected", None) or ())
    words = {_WORDS.get(n, n.lower()) for n in names}
    if "NUMBER" in names:                         # a value is expected: a bare word is a value there
        words = (words - {_WORDS["IDENT"]}) | {"a word such as medium"}
    words = sorted(words)
    return " or ".join(words) if words else "something else"


def _build(tree: Tree | Token, locations: Locations) -> Node:
    assert isinstance(tree, Tree)
    kind = tree.data
    if kind == "or_expr":
        return AnyOf(tuple(_build(c, locations) for c in tree.children))
    if kind == "and_expr":
        return All(tuple(_build(c, locations) for c in tree.children))
    if kind == "negation":
        return Not(_build(tree.children[0], locations))
    ident = tree.children[0]
    assert isinstance(ident, Token)
    where = (ident.line or 1, ident.column or 1)
    if kind == "compare":
        op, value = tree.children[1], tree.children[2]
        locations.append((where, [_at(value)]))
        return Condition(str(ident), str(op), _value(value))
    if kind == "between":
        low, high = tree.children[1], tree.children[2]
        locations.append((where, [_at(low), _at(high)]))
        return Condition(str(ident), "between", (_value(low), _value(high)))
    if kind in ("in", "not_in"):
        items = tree.children[1].children  # type: ignore[union-attr]
        locations.append((where, [_at(v) for v in items]))
        return Condition(str(ident), kind, tuple(_value(v) for v in items))
    locations.append((where, []))
    return Condition(str(ident), str(kind))


def _at(value: Tree | Token) -> Location:
    meta = value.meta  # type: ignore[union-attr]
    return (meta.line, meta.column)


def _value(value: Tree | Token) -> Scalar:
    assert isinstance(value, Tree)
    kind = value.data
    if kind == "true":
        return True
    if kind == "false":
        return False
    token = str(value.children[0])
    if kind == "number":
        return Decimal(token) if "." in token else int(token)
    if kind == "string":
        return json.loads(token)
    return token                                  # a bare word: the string it spells


def to_text(node: Node) -> str:
    """The canonical text: one space around operators, strings quoted, parentheses only
    where the tree needs them; parsing it gives back the same tree."""
    if isinstance(node, Condition):
        return _condition_text(node)
    if isinstance(node, Not):
        return "not " + _part(node.not_, (All, AnyOf))
    if isinstance(node, All):
        return " and ".join(_part(p, (All, AnyOf)) for p in node.all)
    return " or ".join(_part(p, (AnyOf,)) for p in node.any)


def _part(node: Node, bracketed: tuple[type, ...]) -> str:
    text = to_text(node)
    return f"({text})" if isinstance(node, bracketed) else text


def _condition_text(c: Condition) -> str:
    op, v = c.op, c.value
    if op == "is_set":
        return f"{c.feature} is set"
    if op == "is_not_set":
        return f"{c.feature} is not set"
    if op == "between":
        assert isinstance(v, tuple)
        return f"{c.feature} between {literal(v[0])} and {literal(v[1])}"
    if op in ("in", "not_in"):
        assert isinstance(v, tuple)
        word = "in" if op == "in" else "not in"
        return f"{c.feature} {word} ({', '.join(literal(x) for x in v)})"
    assert not isinstance(v, tuple) and v is not None
    return f"{c.feature} {op} {literal(v)}"


def literal(value: Scalar) -> str:
    """A value as the text language writes it."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)
