"""File replay: JSON lines or CSV (optionally gzipped) streamed in chunks through validation,
the durable log and the engine.

Memory stays flat whatever the file size: only one chunk is held at a time and only the first
few rejections are kept (all of them go to `on_reject`). Each chunk is committed before the
next is read, so a crash loses nothing already stored, and running the same file again stores
nothing twice: its events come back as duplicates (event_id dedupe).
"""

from __future__ import annotations

import csv
import gzip
import os
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import msgspec

from croupier.events import EventError
from croupier.ingest.batch import config_in_force, store_parsed
from croupier.ingest.mapping import Mapping, MappingError, RowPlan, apply_constants
from croupier.ingest.parsing import check_json, parse_raws
from croupier.players import EngineConfig
from croupier.store import Database

DEFAULT_CHUNK = 5_000
FORMATS = ("jsonl", "csv", "tsv")
_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".jsonlines": "jsonl",
               ".csv": "csv", ".tsv": "tsv"}
_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"


class FileError(Exception):
    """The file cannot be read (missing, unreadable, corrupt compression, unusable mapping).
    `report` holds what was read and stored before the problem, if anything was."""

    def __init__(self, message: str, report: FileReport | None = None):
        super().__init__(message)
        self.report = report


@dataclass(slots=True)
class LineRejection:
    """A record that was not stored: its line number in the file and why."""

    line: int
    event_id: str | None
    field: str | None
    reason: str
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "event_id": self.event_id, "field": self.field,
                "reason": self.reason, "value": self.value}


@dataclass(slots=True)
class FileReport:
    path: str
    format: str
    compressed: bool = False
    records: int = 0            # non-blank lines (JSONL) or data rows (CSV) read
    accepted: int = 0           # newly stored
    duplicates: int = 0         # already in the log, or repeated earlier in the file
    rejected: int = 0
    processed: int = 0          # events the engine ran after storing them
    bytes_read: int = 0         # of the file on disk (compressed bytes for .gz)
    bytes_total: int = 0
    seconds: float = 0.0
    first_rejections: list[LineRejection] = field(default_factory=list)
    first_duplicates: list[dict[str, Any]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def events_per_second(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "format": self.format, "compressed": self.compressed,
                "records": self.records, "accepted": self.accepted, "duplicates": self.duplicates,
                "rejected": self.rejected, "processed": self.processed,
                "bytes_read": self.bytes_read, "seconds": round(self.seconds, 3),
                "events_per_second": round(self.events_per_second, 1),
                "first_rejections": [r.as_dict() for r in self.first_rejections],
                "first_duplicates": self.first_duplicates, "ignored_columns": self.ignored_columns}


def detect_format(path: Path, explicit: str | None = None) -> str:
    """jsonl / csv / tsv, from `explicit` or the extension (a trailing .gz is looked through)."""
    if explicit:
        name = explicit.lower().lstrip(".")
        name = {"ndjson": "jsonl", "json": "jsonl", "jsonlines": "jsonl"}.get(name, name)
        if name not in FORMATS:
            raise FileError(f"unknown format {explicit!r}: use one of {', '.join(FORMATS)}")
        return name
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    found = _EXTENSIONS.get(suffixes[-1]) if suffixes else None
    if found is None:
        raise FileError(f"cannot tell the format of {path.name} from its extension; "
                        f"pass --format ({', '.join(FORMATS)})")
    return found


def replay_file(
    db: Database,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    mapping: Mapping | None = None,
    chunk: int = DEFAULT_CHUNK,
    engine: Any = None,
    on_progress: Callable[[FileReport], None] | None = None,
    on_reject: Callable[[LineRejection], None] | None = None,
    keep: int = 20,
    config: EngineConfig | None = None,
) -> FileReport:
    """Store every valid event of the file and run it through `engine` (a
    `croupier.engine.Engine`, which the caller closes; None stores only). An engine without
    the database's lease processes nothing: the engine holding it picks the events up.
    `config` is the start configuration; an approved version in the database wins over it
    (money events of a brand whose money of record is the ledger are rejected).

    Bad records are rejected with their line number and never stop the file; FileError is
    raised only when the file itself cannot be read."""
    path = Path(path)
    mapping = mapping or Mapping()
    fmt = detect_format(path, format)
    if fmt == "jsonl" and mapping.columns:
        raise FileError("column mappings (--map, --map-column) apply to CSV files; "
                        "JSON lines already name their fields")
    if chunk < 1:
        raise FileError(f"the chunk size must be at least 1, not {chunk}")
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise FileError(f"cannot read {path}: {exc.strerror or exc}") from None
    report = FileReport(str(path), fmt, bytes_total=_size(raw))
    started = time.perf_counter()
    try:
        with raw:
            report.compressed = raw.peek(2)[:2] == _GZIP_MAGIC
            stream: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if report.compressed else raw
            if fmt == "jsonl":
                records = _json_lines(stream, mapping.constants)
            else:
                records = _csv_rows(stream, mapping, "\t" if fmt == "tsv" else ",", report)
            _run(db, records, report, chunk, engine, on_reject, keep,
                 lambda: _progress(report, raw, started, on_progress), config)
            if engine is not None:
                engine.flush()  # player states, search rows and totals visible to other processes now
    except MappingError as exc:
        raise FileError(str(exc), report) from None
    except (OSError, EOFError, zlib.error) as exc:
        report.seconds = time.perf_counter() - started
        raise FileError(f"reading {path} failed after {report.records} records: {exc}; "
                        "everything before that point is stored, re-run to resume", report) from None
    report.bytes_read = report.bytes_total
    report.seconds = time.perf_counter() - started
    return report


def _size(raw: IO[bytes]) -> int:
    try:
        return os.fstat(raw.fileno()).st_size
    except OSError:
        return 0


def _progress(report: FileReport, raw: IO[bytes], started: float,
              on_progress: Callable[[FileReport], None] | None) -> None:
    try:
        report.bytes_read = raw.tell()
    except (OSError, ValueError):
        pass
    report.seconds = time.perf_counter() - started
    if on_progress is not None:
        on_progress(report)


Record = tuple[int, "bytes | LineRejection"]


def _json_lines(stream: IO[bytes], constants: dict[str, str]) -> Iterator[Record]:
    """(line number, one JSON value or why the line is not one), skipping blank lines."""
    for number, line in enumerate(stream, 1):
        if number == 1 and line.startswith(_BOM):
            line = line[3:]
        if not line.strip():
            continue
        try:
            value = check_json(line)
            if constants and value.startswith(b"{"):
                value = apply_constants(value, constants)
        except EventError as exc:
            yield number, LineRejection(number, None, exc.field, exc.reason, exc.value)
            continue
        yield number, value


def _csv_rows(stream: IO[bytes], mapping: Mapping, delimiter: str, report: FileReport) -> Iterator[Record]:
    """(line where the row starts, event JSON or why the row cannot be mapped)."""
    bad_utf8: set[int] = set()

    def text() -> Iterator[str]:
        for number, line in enumerate(stream, 1):
            if number == 1 and line.startswith(_BOM):
                line = line[3:]
            try:
                yield line.decode("utf-8")
            except UnicodeDecodeError:
                bad_utf8.add(number)
                yield line.decode("utf-8", "replace")

    reader = csv.reader(text(), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise MappingError(f"the CSV header cannot be read: {exc}") from None
    if header is None:
        return
    plan = RowPlan(header, mapping)
    report.ignored_columns = plan.ignored
    previous = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield previous + 1, LineRejection(previous + 1, None, None, f"not a readable CSV row: {exc}")
            previous = reader.line_num
            continue
        start, previous = previous + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if bad_utf8 and any(n in bad_utf8 for n in range(start, previous + 1)):
            yield start, LineRejection(start, plan.event_id_of(row), None,
                                       "not valid UTF-8: save the file as UTF-8")
            continue
        try:
            yield start, msgspec.json.encode(plan.build(row))
        except EventError as exc:
            yield start, LineRejection(start, plan.event_id_of(row), exc.field, exc.reason, exc.value)


def _run(db: Database, records: Iterator[Record], report: FileReport, chunk: int, engine: Any,
         on_reject: Callable[[LineRejection], None] | None, keep: int,
         progress: Callable[[], None], config: EngineConfig | None = None) -> None:
    lines: list[int] = []
    raws: list[bytes] = []
    early: list[LineRejection] = []
    pending = 0
    for number, item in records:
        report.records += 1
        pending += 1
        if isinstance(item, LineRejection):
            early.append(item)
        else:
            lines.append(number)
            raws.append(item)
        if pending >= chunk:
            _store_chunk(db, lines, raws, early, report, engine, on_reject, keep, config)
            lines, raws, early, pending = [], [], [], 0
            progress()
    if pending:
        _store_chunk(db, lines, raws, early, report, engine, on_reject, keep, config)
    progress()


def _store_chunk(db: Database, lines: list[int], raws: list[bytes], early: list[LineRejection],
                 report: FileReport, engine: Any, on_reject: Callable[[LineRejection], None] | None,
                 keep: int, start_config: EngineConfig | None = None) -> None:
    parsed = parse_raws(raws)
    refused = parsed.rejected
    if parsed.events:
        result = store_parsed(db, parsed, config=config_in_force(db, start_config))
        refused = result.rejected   # the parser's, and money events a ledger brand takes no events for
        report.accepted += result.accepted
        report.duplicates += len(result.duplicates)
        for dup in result.duplicates:
            if len(report.first_duplicates) >= keep:
                break
            of = dup["duplicate_of"]
            if of.startswith("index "):
                of = f"line {lines[int(of[6:])]}"
            report.first_duplicates.append({"line": lines[dup["index"]], "event_id": dup["event_id"],
                                            "duplicate_of": of})
        if engine is not None:
            report.processed += engine.submit(result.stored).events
    rejections = early + [LineRejection(lines[r.index], r.event_id, r.field, r.reason, r.value) for r in refused]
    rejections.sort(key=lambda r: r.line)
    report.rejected += len(rejections)
    for rejection in rejections:
        if len(report.first_rejections) < keep:
            report.first_rejections.append(rejection)
        if on_reject is not None:
            on_reject(rejection)
