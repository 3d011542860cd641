"""Validating many raw JSON event objects at once, whatever their source (file lines, stream
messages): each one is checked on its own first, so one bad line or message can never take
its neighbours down with it, then the good ones go through `parse_batch` in chunks."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any

import msgspec

from croupier.events import MAX_BATCH, EventError, ParsedBatch, Rejection, parse_batch

_raw_value = msgspec.json.Decoder(msgspec.Raw)
_raw_list = msgspec.json.Decoder(list[msgspec.Raw])
_KIND = {b"[": "an array", b'"': "a string", b"t": "a boolean", b"f": "a boolean", b"n": "null"}


def check_json(data: bytes) -> bytes:
    """`data` as exactly one JSON value, or EventError saying why not (bad UTF-8, bad JSON)."""
    _check_utf8(data)
    try:
        return bytes(_raw_value.decode(data))
    except msgspec.DecodeError as exc:
        raise EventError(None, f"not valid JSON: {exc}") from None


def split_message(data: bytes) -> list[bytes]:
    """The events in one stream message: one JSON object or a JSON array of objects.
    Raises EventError when the message as a whole cannot be read."""
    if not data.lstrip().startswith(b"["):
        return [check_json(data)]
    _check_utf8(data)
    try:
        return [bytes(r) for r in _raw_list.decode(data)]
    except msgspec.DecodeError as exc:
        raise EventError(None, f"not valid JSON: {exc}") from None


def parse_raws(raws: list[bytes], now: datetime | None = None) -> ParsedBatch:
    """Validate JSON values (each already known to be one well-formed value). `indexes` and
    rejections refer to positions in `raws`; a value that is not an object is rejected too."""
    now = now or datetime.now(timezone.utc)
    out = ParsedBatch()
    objects: list[bytes] = []
    where: list[int] = []
    for i, raw in enumerate(raws):
        if raw.startswith(b"{"):
            objects.append(raw)
            where.append(i)
        else:
            out.rejected.append(Rejection(i, None, None, "an event must be a JSON object, not "
                                          + _KIND.get(raw[:1], "a number")))
    for start in range(0, len(objects), MAX_BATCH):
        part = parse_batch(b"[" + b",".join(objects[start:start + MAX_BATCH]) + b"]", now)
        out.events.extend(part.events)
        out.raws.extend(part.raws)
        out.indexes.extend(where[i + start] for i in part.indexes)
        out.rejected.extend(dataclasses.replace(r, index=where[r.index + start]) for r in part.rejected)
    out.rejected.sort(key=lambda r: r.index)
    return out


def _check_utf8(data: bytes) -> None:
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise EventError(None, f"not valid UTF-8 (byte {exc.start}); send UTF-8 text") from None


def original_of(raw: bytes) -> Any:
    """The rejected input as JSON if it is JSON, else as text (for dead letters and reports)."""
    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return raw.decode("utf-8", "replace")

