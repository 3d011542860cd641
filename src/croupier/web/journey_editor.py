"""The journey editor's check: JSON text as typed → every problem, each placed at its line and
column in that text (a JSON syntax error where the parser stopped; a problem of the
definition at the value its JSON path names, or inside a condition at the very character),
and the flow diagram of what could be read. Pure: no storage, no clock."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import msgspec

from croupier.journeys import Journey, JourneyError, Problem, from_json, problems, to_json
from croupier.web.journey_diagram import svg

_WS = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")


def pretty(journey: Journey) -> str:
    """A definition as the editor shows it: indented, numbers as written."""
    return msgspec.json.format(to_json(journey), indent=2).decode()


def positions(text: str) -> dict[str, int]:
    """JSON path (`$.steps[2].next`) → offset of that value in `text` (valid JSON)."""
    out: dict[str, int] = {}

    def value(i: int, path: str) -> int:
        i = _WS.match(text, i).end()  # type: ignore[union-attr]
        out[path] = i
        c = text[i]
        if c == "{":
            i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
            if text[i] == "}":
                return i + 1
            while True:
                m = _STRING.match(text, i)
                assert m is not None
                key = json.loads(m.group())
                i = _WS.match(text, m.end()).end() + 1  # type: ignore[union-attr]   # past ':'
                i = _WS.match(text, value(i, f"{path}.{key}")).end()  # type: ignore[union-attr]
                if text[i] == ",":
                    i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
                    continue
                return i + 1
        if c == "[":
            i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
            if text[i] == "]":
                return i + 1
            n = 0
            while True:
                i = _WS.match(text, value(i, f"{path}[{n}]")).end()  # type: ignore[union-attr]
                n += 1
                if text[i] == ",":
                    i += 1
                    continue
                return i + 1
        m = (_STRING if c == '"' else _SCALAR).match(text, i)
        assert m is not None
        return m.end()

    value(0, "$")
    return out


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of an offset."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _place(p: Problem, text: str, where: dict[str, int]) -> dict[str, Any]:
    path = p.path
    while path not in where and path != "$":     # a missing field: the object that misses it
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else "$"
    offset = where.get(path, 0)
    if p.line is not None and path == p.path and text[offset:offset + 1] == '"':
        # inside a condition written as text: the character itself, when the string is one
        # line without escapes before it
        inner = json.loads(_STRING.match(text, offset).group())  # type: ignore[union-attr]
        lines = inner.split("\n")
        if p.line == 1 and "\\" not in text[offset:offset + (p.column or 1)] and len(lines) == 1:
            offset += p.column or 1
    line, column = line_column(text, offset)
    out: dict[str, Any] = {"path": p.path, "message": p.message, "line": line, "column": column,
                           "value": None if p.value is msgspec.UNSET else p.value}
    if p.line is not None:
        out["condition_line"], out["condition_column"] = p.line, p.column
    if p.suggestions:
        out["suggestions"] = list(p.suggestions)
    return out


def check(text: str, badges: Mapping[str, str] | None = None) -> dict[str, Any]:
    """{"problems": [...], "svg": the diagram or None, "key", "version"} for the editor;
    `badges`: each step's counts in words, for the diagram (the journey page's first draw)."""
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        return {"problems": [{"path": "$", "message": f"not valid JSON: {exc.msg}", "line": exc.lineno,
                              "column": exc.colno, "value": None}], "svg": None}
    except RecursionError:
        return {"problems": [{"path": "$", "message": "nests too deeply", "line": 1, "column": 1, "value": None}],
                "svg": None}
    if not isinstance(data, dict):
        return {"problems": [{"path": "$", "message": "a journey is a JSON object: {\"key\": ..., \"steps\": [...]}",
                              "line": 1, "column": 1, "value": None}], "svg": None}
    where = positions(text)
    try:
        journey = from_json(data)
    except JourneyError as exc:
        return {"problems": [_place(p, text, where) for p in exc.problems], "svg": None}
    return {"problems": [_place(p, text, where) for p in problems(journey)], "svg": svg(journey, badges),
            "key": journey.key, "steps": len(journey.steps)}
