"""Turning flat records (CSV rows, `--set` constants) into protocol events: which column holds
which field, and which text becomes a boolean or an integer because the protocol wants one.
Amounts, times and everything else stay strings, exactly as written."""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
from msgspec import inspect as mi

from croupier.events import AnyEvent, EventError

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


def _kinds_of(t: mi.Type, prefix: str, out: dict[str, str]) -> None:
    while isinstance(t, mi.Metadata):
        t = t.type
    if isinstance(t, mi.UnionType):
        options = [x for x in t.types if not isinstance(x, mi.NoneType)]
        if len(options) == 1:
            _kinds_of(options[0], prefix, out)
            return
    if isinstance(t, mi.BoolType):
        out[prefix] = "bool"
    elif isinstance(t, mi.IntType):
        out[prefix] = "int"
    elif isinstance(t, mi.StructType):
        out[prefix] = "object"
        for f in t.fields:
            _kinds_of(f.type, f"{prefix}.{f.encode_name}", out)
    else:
        out[prefix] = "str"


def _field_kinds() -> dict[str, dict[str, str]]:
    """event type -> {field path (dotted for nested) -> "bool" | "int" | "object" | "str"}."""
    kinds: dict[str, dict[str, str]] = {}
    for cls in typing.get_args(AnyEvent):
        info = mi.type_info(cls)
        fields: dict[str, str] = {"type": "str"}
        for f in info.fields:
            _kinds_of(f.type, f.encode_name, fields)
        kinds[info.tag] = fields
    return kinds


KINDS = _field_kinds()
# Every field name any event type has (nested ones dotted): columns so named map to themselves.
PROTOCOL_FIELDS = frozenset(name for fields in KINDS.values() for name, kind in fields.items()
                            if kind != "object")


class MappingError(ValueError):
    """The mapping cannot be applied to this file (a mapped column is missing, ...)."""


@dataclass(slots=True)
class Mapping:
    """field -> column for CSV files, and field -> constant text for every record."""

    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Mapping:
        """A mapping file: {"field": "column", ...}, or {"columns": {...}, "set": {...}}."""
        try:
            doc = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise MappingError(f"cannot read the mapping file {path}: {exc}") from None
        if not isinstance(doc, dict):
            raise MappingError(f"{path}: a mapping file holds a JSON object of field -> column")
        if "columns" in doc or "set" in doc:
            columns, constants = doc.get("columns") or {}, doc.get("set") or {}
        else:
            columns, constants = doc, {}
        for name, part in (("columns", columns), ("set", constants)):
            if not isinstance(part, dict) or not all(isinstance(v, str | int | bool) for v in part.values()):
                raise MappingError(f"{path}: {name!r} must map field names to strings")
        return cls({k: str(v) for k, v in columns.items()},
                   {k: _text(v) for k, v in constants.items()})

    def merged(self, other: Mapping) -> Mapping:
        """`other` wins (command-line options over the mapping file)."""
        return Mapping({**self.columns, **other.columns}, {**self.constants, **other.constants})


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def parse_assignments(items: list[str] | None, option: str) -> dict[str, str]:
    """["field=value", ...] -> {field: value}; a clear error names the bad item."""
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise MappingError(f"{option} expects FIELD=VALUE, got {item!r}")
        out[name.strip()] = value
    return out


def convert(kinds: dict[str, str], path: str, text: str) -> Any:
    """The JSON value for `text` in field `path`, given the field kinds of the event's type."""
    kind = kinds.get(path)
    value = text.strip()
    if kind == "bool":
        low = value.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise EventError(path, "must be a boolean: true/false, 1/0 or yes/no", text)
    if kind == "int":
        try:
            return int(value)
        except ValueError:
            raise EventError(path, "must be a whole number such as 30", text) from None
    if kind == "object":
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise EventError(path, "must be a JSON object here, or map its parts as "
                                   f"'{path}.<name>' columns", text)
        return parsed
    return value


def put(obj: dict[str, Any], path: str, value: Any) -> None:
    """obj["a"]["b"] = value for path "a.b", creating the nested objects."""
    *parents, leaf = path.split(".")
    node = obj
    for i, part in enumerate(parents):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise EventError(".".join(parents[:i + 1]), "is set both as a value and as an object "
                             f"(by {path!r}); map only one of them")
        node = child
    node[leaf] = value


class RowPlan:
    """How to build an event from a CSV row with a given header."""

    def __init__(self, header: list[str], mapping: Mapping):
        names = [h.strip() for h in header]
        self.width = len(names)
        exact: dict[str, list[int]] = {}
        folded: dict[str, list[int]] = {}
        for i, name in enumerate(names):
            exact.setdefault(name, []).append(i)
            folded.setdefault(name.lower(), []).append(i)

        def find(column: str) -> int | None:
            hits = exact.get(column) or folded.get(column.lower()) or []
            if len(hits) > 1:
                raise MappingError(f"the header has the column {column!r} {len(hits)} times; "
                                   "rename one so the mapping is unambiguous")
            return hits[0] if hits else None

        self.sources: list[tuple[str, int]] = []
        used: set[int] = set()
        for fld, column in mapping.columns.items():
            index = find(column.strip())
            if index is None:
                raise MappingError(f"column {column!r} (mapped to field {fld!r}) is not in the header; "
                                   f"the columns are: {', '.join(names)}")
            self.sources.append((fld, index))
            used.add(index)
        taken = set(mapping.columns) | set(mapping.constants)
        self.ignored: list[str] = []
        for i, name in enumerate(names):
            key = name if name in PROTOCOL_FIELDS else name.lower()
            if key in PROTOCOL_FIELDS and key not in taken:
                if len(exact.get(name, [])) > 1:
                    raise MappingError(f"the header has the column {name!r} more than once")
                self.sources.append((key, i))
                taken.add(key)
            elif i not in used:
                self.ignored.append(name)
        self.constants = mapping.constants
        self.type_index = next((i for f, i in self.sources if f == "type"), None)
        self._id_index = next((i for f, i in self.sources if f == "event_id"), None)

    def event_id_of(self, row: list[str]) -> str | None:
        """The row's event_id cell, to name the event in a rejection."""
        if "event_id" in self.constants:
            return self.constants["event_id"]
        if self._id_index is not None and self._id_index < len(row):
            return row[self._id_index].strip() or None
        return None

    def build(self, row: list[str]) -> dict[str, Any]:
        """The event object for `row`; EventError names the field that cannot be converted."""
        if len(row) != self.width:
            raise EventError(None, f"has {len(row)} cells but the header has {self.width} columns")
        type_name = self.constants.get("type")
        if type_name is None and self.type_index is not None:
            type_name = row[self.type_index]
        kinds = KINDS.get((type_name or "").strip(), {})
        obj: dict[str, Any] = {}
        for fld, index in self.sources:
            cell = row[index]
            if cell.strip():
                put(obj, fld, convert(kinds, fld, cell))
        for fld, text in self.constants.items():
            put(obj, fld, convert(kinds, fld, text))
        return obj


def apply_constants(raw: bytes, constants: dict[str, str]) -> bytes:
    """`raw` (a JSON object) with the constants set, converted for its event type."""
    obj = msgspec.json.decode(raw)
    type_name = constants.get("type", obj.get("type"))
    kinds = KINDS.get(type_name.strip() if isinstance(type_name, str) else "", {})
    for fld, text in constants.items():
        put(obj, fld, convert(kinds, fld, text))
    return msgspec.json.encode(obj)
