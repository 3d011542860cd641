"""Files: events as JSON Lines (what `croupier ingest` and the benchmark read) and the
labels file beside them."""

from __future__ import annotations

import os
from collections.abc import Iterable
from itertools import islice
from typing import Any

import msgspec

_CHUNK = 10_000


def write_jsonl(events: Iterable[dict[str, Any]], path: str | os.PathLike[str]) -> int:
    """Write one event per line; returns how many were written."""
    encoder = msgspec.json.Encoder()
    written = 0
    iterator = iter(events)
    with open(path, "wb") as out:
        while chunk := list(islice(iterator, _CHUNK)):
            out.write(encoder.encode_lines(chunk))
            written += len(chunk)
    return written


def write_labels(labels: Iterable[dict[str, Any]], path: str | os.PathLike[str]) -> None:
    write_jsonl(labels, path)
