"""The outbox: the only way out for player-facing actions. It accepts gate decisions only,
and only allowed ones; anything else is a programming error and raises."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from croupier.compliance import Decision
from croupier.store.schema import outbox
from croupier.store.upsert import insert_ignore


class NotAllowed(TypeError):
    """Something other than an allowed gate decision was offered to the outbox."""


def enqueue(conn: Connection, decisions: Sequence[Decision], audit_hashes: Sequence[str]) -> None:
    """Queue allowed decisions, each with the hash of the audit record that allowed it."""
    rows = []
    for decision, audit_hash in zip(decisions, audit_hashes, strict=True):
        if not isinstance(decision, Decision):
            raise NotAllowed(f"the outbox takes gate decisions, not {type(decision).__name__}")
        if not decision.allowed:
            raise NotAllowed(f"suppressed decision offered to the outbox: {decision!r}")
        p = decision.proposal
        rows.append({"action_id": p.action_id, "player_id": p.player_id, "kind": p.kind,
                     "channel": p.channel, "body": json.dumps(decision.as_dict()),
                     "status": "queued", "created_at_us": decision.decided_at_us,
                     "audit_hash": audit_hash})
    insert_ignore(conn, outbox, rows)


def for_player(conn: Connection, player_id: str, limit: int = 50) -> list[dict[str, Any]]:
    rows = conn.execute(select(outbox).where(outbox.c.player_id == player_id)
                        .order_by(outbox.c.created_at_us.desc()).limit(limit)).all()
    return [dict(r._mapping) for r in rows]
