"""Appending to and reading the hash-chained audit log.

The chain head lives in `audit_head`; appends lock it (row lock on PostgreSQL, the write lock
on SQLite), so concurrent writers can never fork the chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from croupier.compliance import GENESIS, AuditRecord, ChainBreak, canonical_body, chain_hash, verify_chain
from croupier.store.schema import audit_head, audit_log


@dataclass(frozen=True, slots=True)
class Entry:
    """What a caller wants recorded; seq and hashes are assigned on append."""

    at_us: int
    actor: str
    kind: str
    body: dict[str, Any]
    player_id: str | None = None
    subject: str | None = None
    config_version: str | None = None


def append(conn: Connection, entries: Sequence[Entry]) -> list[str]:
    """Append entries in order inside the caller's transaction; returns their hashes."""
    if not entries:
        return []
    head = conn.execute(select(audit_head.c.seq, audit_head.c.hash)
                        .where(audit_head.c.id == 1).with_for_update()).first()
    if head is None:
        seq, prev = 0, GENESIS
        conn.execute(audit_head.insert().values(id=1, seq=0, hash=GENESIS))
    else:
        seq, prev = head
    rows, hashes = [], []
    for e in entries:
        seq += 1
        record = AuditRecord(seq, e.at_us, e.actor, e.kind, e.player_id, e.subject,
                             e.config_version, canonical_body(e.body))
        digest = chain_hash(prev, record)
        rows.append({"seq": seq, "at_us": e.at_us, "actor": e.actor, "kind": e.kind,
                     "player_id": e.player_id, "subject": e.subject,
                     "config_version": e.config_version, "body": record.body,
                     "prev_hash": prev, "hash": digest})
        hashes.append(digest)
        prev = digest
    conn.execute(audit_log.insert(), rows)
    conn.execute(audit_head.update().where(audit_head.c.id == 1).values(seq=seq, hash=prev))
    return hashes


def subjects_present(conn: Connection, kind: str, subjects: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(subjects), 2_000):
        stmt = select(audit_log.c.subject).where(audit_log.c.kind == kind,
                                                 audit_log.c.subject.in_(subjects[start:start + 2_000]))
        found.update(conn.execute(stmt).scalars())
    return found


def verify(conn: Connection, batch: int = 10_000) -> tuple[int, list[ChainBreak]]:
    """Walk the whole chain; returns (records checked, breaks). Also checks the head."""
    checked, breaks, prev, expected, after = 0, [], GENESIS, 1, 0
    while True:
        rows = conn.execute(select(audit_log).where(audit_log.c.seq > after)
                            .order_by(audit_log.c.seq).limit(batch)).all()
        if not rows:
            break
        chunk = [(AuditRecord(r.seq, r.at_us, r.actor, r.kind, r.player_id, r.subject,
                              r.config_version, r.body), r.prev_hash, r.hash) for r in rows]
        breaks.extend(verify_chain(chunk, prev, expected))
        checked += len(rows)
        prev, expected, after = rows[-1].hash, rows[-1].seq + 1, rows[-1].seq
    head = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).first()
    if head is not None and (head.seq != after or head.hash != prev):
        breaks.append(ChainBreak(after, "chain head does not match the last record (records removed)"))
    return checked, breaks


def for_player(conn: Connection, player_id: str, limit: int = 100) -> list[dict[str, Any]]:
    rows = conn.execute(select(audit_log).where(audit_log.c.player_id == player_id)
                        .order_by(audit_log.c.seq.desc()).limit(limit)).all()
    return [dict(r._mapping) for r in rows]
