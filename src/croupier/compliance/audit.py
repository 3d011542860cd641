"""The audit log's hash chain: each record's hash covers its content and the previous hash,
so changing, removing or reordering any record breaks every hash after it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditRecord:
    seq: int
    at_us: int
    actor: str
    kind: str
    player_id: str | None
    subject: str | None
    config_version: str | None
    body: str          # canonical JSON

    def canonical(self) -> bytes:
        return json.dumps([self.seq, self.at_us, self.actor, self.kind, self.player_id,
                           self.subject, self.config_version, self.body],
                          separators=(",", ":"), ensure_ascii=False).encode()


def canonical_body(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def chain_hash(prev_hash: str, record: AuditRecord) -> str:
    return hashlib.sha256(prev_hash.encode() + record.canonical()).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainBreak:
    seq: int
    reason: str


def verify_chain(rows: list[tuple[AuditRecord, str, str]], prev_hash: str = GENESIS,
                 expected_seq: int = 1) -> list[ChainBreak]:
    """Check (record, prev_hash, hash) rows in order; return every break found."""
    breaks: list[ChainBreak] = []
    for record, stored_prev, stored_hash in rows:
        if record.seq != expected_seq:
            breaks.append(ChainBreak(record.seq, f"sequence gap: expected {expected_seq}"))
        if stored_prev != prev_hash:
            breaks.append(ChainBreak(record.seq, "prev_hash does not match the previous record"))
        if chain_hash(stored_prev, record) != stored_hash:
            breaks.append(ChainBreak(record.seq, "content does not match its hash (record altered)"))
        prev_hash, expected_seq = stored_hash, record.seq + 1
    return breaks
