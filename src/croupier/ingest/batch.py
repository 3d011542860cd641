"""Storing a batch: dedupe on event_id (within the batch and against the log), append
durably, report accepted / duplicate / rejected per event. Acknowledged = committed."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from croupier.events import Event, ParsedBatch, Rejection, parse_batch
from croupier.ingest.money_of_record import refuse_ledger_money, refuse_staff_decisions
from croupier.players import EngineConfig, micros
from croupier.store import Database
from croupier.store import eventlog


@dataclass(slots=True)
class IngestResult:
    accepted: int = 0
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    stored: list[tuple[int, Event, int]] = field(default_factory=list)  # (seq, event, received_us)
    processed: bool = True   # False: stored durably, the engine will process it on its retry

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "processed": self.processed, "duplicates": len(self.duplicates),
                "duplicate_events": self.duplicates,
                "rejected": [r.as_dict() for r in self.rejected]}


def store_parsed(db: Database, parsed: ParsedBatch, received_us: int | None = None, *,
                 config: EngineConfig | None = None, relayed_by: str | None = None) -> IngestResult:
    """Append the valid events of `parsed`; the transaction commits before this returns.
    `config` is the configuration in force (None: `config_in_force(db)`): money events of a
    brand whose money of record is the ledger are rejected, each with its reason. `relayed_by`:
    the scopes of an API key without the protection scope, whose staff decisions are rejected."""
    received_us = received_us or time.time_ns() // 1000
    parsed = refuse_ledger_money(parsed, config if config is not None else config_in_force(db))
    if relayed_by is not None:
        parsed = refuse_staff_decisions(parsed, relayed_by)
    result = IngestResult(rejected=list(parsed.rejected))
    first_index: dict[str, int] = {}
    rows, kept = [], []
    for event, raw, index in zip(parsed.events, parsed.raws, parsed.indexes, strict=True):
        if event.event_id in first_index:
            result.duplicates.append({"index": index, "event_id": event.event_id,
                                      "duplicate_of": "index " + str(first_index[event.event_id])})
            continue
        first_index[event.event_id] = index
        rows.append((event.event_id, event.player_id, event.brand, event.__struct_config__.tag,
                     micros(event.occurred_at), received_us, raw.decode()))
        kept.append((event, index))
    with db.engine.begin() as conn:
        stored = eventlog.append(conn, rows)
    for event, index in kept:
        seq = stored.get(event.event_id)
        if seq is None:
            result.duplicates.append({"index": index, "event_id": event.event_id,
                                      "duplicate_of": "an event already stored"})
        else:
            result.stored.append((seq, event, received_us))
    result.stored.sort(key=lambda item: item[0])
    result.accepted = len(result.stored)
    result.duplicates.sort(key=lambda d: d["index"])
    return result


def ingest_body(db: Database, body: bytes, received_us: int | None = None, *,
                config: EngineConfig | None = None, relayed_by: str | None = None) -> IngestResult:
    """Parse a JSON array request body and store its valid events (raises BatchError for an
    unreadable body)."""
    return store_parsed(db, parse_batch(body), received_us, config=config, relayed_by=relayed_by)


_approved: dict[str, EngineConfig] = {}


def config_in_force(db: Database, start: EngineConfig | None = None) -> EngineConfig:
    """The approved configuration version stored in the database, else `start` (a command's
    --config file), else the defaults: what a file import or a stream consumer applies
    without a server's runtime, so an approval anywhere reaches them by their next batch."""
    from croupier.compliance.config_store import active_version, active_version_id  # it imports the store

    with db.reader.connect() as conn:
        version_id = active_version_id(conn)
        if version_id is None:
            return start or EngineConfig()
        config = _approved.get(version_id)
        if config is None:
            version = active_version(conn)
            if version is None:   # superseded between the two reads: the next batch sees the new one
                return start or EngineConfig()
            _approved.clear()
            config = _approved[version.version_id] = version.config()
    return config
