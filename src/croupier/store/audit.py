"""Appending to and reading the hash-chained audit log.

The chain head lives in `audit_head`; appends lock it (row lock on PostgreSQL, the write lock
on SQLite), so concurrent writers can never fork the chain.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
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
    recorded_us = time.time_ns() // 1000   # when stored; at_us says when it happened
    for e in entries:
        seq += 1
        record = AuditRecord(seq, e.at_us, e.actor, e.kind, e.player_id, e.subject,
                             e.config_version, canonical_body(e.body))
        digest = chain_hash(prev, record)
        rows.append({"seq": seq, "at_us": e.at_us, "actor": e.actor, "kind": e.kind,
                     "player_id": e.player_id, "subject": e.subject,
                     "config_version": e.config_version, "body": record.body,
                     "prev_hash": prev, "hash": digest, "recorded_at_us": recorded_us})
        hashes.append(digest)
        prev = digest
    conn.execute(audit_log.insert(), rows)
    conn.execute(audit_head.update().where(audit_head.c.id == 1).values(seq=seq, hash=prev))
    return hashes


def append_once(conn: Connection, kind: str, entries: dict[str, Entry]) -> None:
    """Append the entries (by subject, all of `kind`) not recorded yet: a batch retried after a
    crash, or replayed, audits each once."""
    if entries:
        seen = subjects_present(conn, kind, list(entries))
        append(conn, [e for subject, e in entries.items() if subject not in seen])


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


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What a search or an export asks for; every field is optional."""

    player_id: str | None = None
    kind: str | None = None
    actor: str | None = None
    subject: str | None = None
    since_us: int | None = None
    until_us: int | None = None

    def where(self, stmt):  # noqa: ANN001, ANN201 - a SQLAlchemy select
        c = audit_log.c
        for column, value in ((c.player_id, self.player_id), (c.kind, self.kind),
                              (c.actor, self.actor), (c.subject, self.subject)):
            if value:
                stmt = stmt.where(column == value)
        if self.since_us is not None:
            stmt = stmt.where(c.at_us >= self.since_us)
        if self.until_us is not None:
            stmt = stmt.where(c.at_us < self.until_us)
        return stmt

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k) is not None}


def search(conn: Connection, filters: AuditFilter, limit: int = 100,
           before_seq: int | None = None) -> list[dict[str, Any]]:
    """Records matching `filters`, newest first, `limit` per page (page with `before_seq`)."""
    stmt = filters.where(select(audit_log)).order_by(audit_log.c.seq.desc()).limit(limit)
    if before_seq is not None:
        stmt = stmt.where(audit_log.c.seq < before_seq)
    return [dict(r._mapping) for r in conn.execute(stmt)]


def export(conn: Connection, filters: AuditFilter, batch: int = 5_000) -> Iterator[dict[str, Any]]:
    """Every matching record in chain order, with its hashes, so a regulator can re-verify
    the chain over the export itself."""
    after = 0
    while True:
        stmt = filters.where(select(audit_log)).where(audit_log.c.seq > after).order_by(audit_log.c.seq).limit(batch)
        rows = conn.execute(stmt).all()
        if not rows:
            return
        for r in rows:
            yield dict(r._mapping)
        after = rows[-1].seq


def decisions_about(conn: Connection, player_id: str, action: str | None = None,
                    limit: int = 200) -> list[dict[str, Any]]:
    """Gate decisions for one player (optionally one action name: a template, bonus,
    mission...), and the contact arbiter's verdicts on messages it held or dropped before
    the gate (`contact.verdict`: `outcome` wait or drop, never allowed), newest first, with
    the body parsed: the answer to "why did player X receive / not receive Y"."""
    rows = conn.execute(select(audit_log).where(audit_log.c.player_id == player_id,
                                                audit_log.c.kind.in_(("gate.decision", "contact.verdict")))
                        .order_by(audit_log.c.seq.desc()).limit(5_000)).all()
    out = []
    for r in rows:
        body = json.loads(r.body)
        if action and body.get("name") != action:
            continue
        out.append({"seq": r.seq, "at_us": r.at_us, "config_version": r.config_version,
                    "hash": r.hash, **body})
        if len(out) >= limit:
            break
    return out
