"""Behaviour tests of the core: protocol, features, lifecycle, engine, gate, audit, auth.

Shared helpers live here (the package's own module) so every test file can use them with a
relative import, whatever name pytest gives the package.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from croupier.engine import step
from croupier.events import parse_event
from croupier.players import EngineConfig, FeatureConfig, PlayerState, micros, new_state
from croupier.store import Database
from croupier.store.schema import audit_log, events as events_table, outbox, player_state

UTC = timezone.utc
DAY = timedelta(days=1)


def t(text: str) -> datetime:
    """'2026-03-20T10:00' -> aware UTC datetime."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def us(moment: datetime | str) -> int:
    return micros(t(moment) if isinstance(moment, str) else moment)


class Script:
    """Builds protocol v1 events for one player at explicit times, with readable ids."""

    def __init__(self, player_id: str = "p1", brand: str = "aurora", currency: str = "EUR",
                 prefix: str | None = None):
        self.player_id, self.brand, self.currency = player_id, brand, currency
        self.prefix = prefix or player_id
        self._n = 0

    def __call__(self, type_: str, when: datetime | str, **fields: Any) -> dict[str, Any]:
        self._n += 1
        moment = t(when) if isinstance(when, str) else when
        event = {"event_id": fields.pop("event_id", f"{self.prefix}-{self._n}"), "type": type_,
                 "player_id": self.player_id, "brand": self.brand,
                 "occurred_at": moment.isoformat()}
        event.update(fields)
        return event

    def registered(self, when: datetime | str, **fields: Any) -> dict[str, Any]:
        base = {"jurisdiction": "SE", "country": "SE", "currency": self.currency, "language": "sv",
                "birth_date": "1990-05-17", "email": f"{self.player_id}@example.se",
                "first_name": "Anna", "last_name": "Berg",
                "consents": {"email": True, "sms": False, "push": True}}
        base.update(fields)
        return self("player.registered", when, **base)

    def deposit(self, when: datetime | str, amount: str, status: str = "approved",
                tx: str | None = None, **fields: Any) -> dict[str, Any]:
        fields.setdefault("currency", self.currency)
        return self("payment.deposit", when, transaction_id=tx or f"dep-{self._n + 1}",
                    amount=amount, status=status, **fields)

    def withdrawal(self, when: datetime | str, amount: str, status: str, tx: str,
                   **fields: Any) -> dict[str, Any]:
        fields.setdefault("currency", self.currency)
        return self("payment.withdrawal", when, transaction_id=tx, amount=amount, status=status, **fields)

    def bet(self, when: datetime | str, amount: str, bet_id: str, category: str = "slots",
            **fields: Any) -> dict[str, Any]:
        fields.setdefault("currency", self.currency)
        return self("casino.bet", when, bet_id=bet_id, amount=amount, game_category=category, **fields)

    def win(self, when: datetime | str, amount: str, bet_id: str, **fields: Any) -> dict[str, Any]:
        fields.setdefault("currency", self.currency)
        return self("casino.win", when, bet_id=bet_id, amount=amount, **fields)

    def sports(self, when: datetime | str, amount: str, bet_id: str, **fields: Any) -> dict[str, Any]:
        fields.setdefault("currency", self.currency)
        return self("sports.bet_placed", when, bet_id=bet_id, amount=amount, **fields)

    def settled(self, when: datetime | str, bet_id: str, outcome: str, payout: str = "0",
                **fields: Any) -> dict[str, Any]:
        if payout != "0":
            fields.setdefault("currency", self.currency)
        return self("sports.bet_settled", when, bet_id=bet_id, outcome=outcome, payout=payout, **fields)

    def session(self, start: datetime | str, end: datetime | str | None, session_id: str) -> list[dict[str, Any]]:
        out = [self("session.started", start, session_id=session_id)]
        if end is not None:
            out.append(self("session.ended", end, session_id=session_id))
        return out

    def rollback(self, when: datetime | str, ref: dict[str, Any] | str, **fields: Any) -> dict[str, Any]:
        ref_id = ref if isinstance(ref, str) else ref["event_id"]
        return self("rollback", when, ref_event_id=ref_id, **fields)


FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)


def fold(events: Iterable[dict[str, Any]], features: FeatureConfig | None = None,
         player_id: str | None = None) -> PlayerState:
    """The state the engine would hold after processing `events` in this order: the same
    `step` (apply, and a refold from the log on a rollback or late registration)."""
    config = EngineConfig(features=features or FeatureConfig())
    parsed = [parse_event(e, now=FAR_FUTURE) for e in events]
    pid = player_id or parsed[0].player_id
    state = new_state(pid)
    log = ListLog()
    for seq, event in enumerate(parsed, 1):
        log.items.append((seq, event))
        state = step(state, event, seq, micros(event.occurred_at), config, log).state
    return state


class ListLog:
    """The engine's view of the log (`engine.step.PlayerLog`), over a list in memory."""

    def __init__(self) -> None:
        self.items: list[tuple[int, Any]] = []

    def history(self, player_id: str, up_to_seq: int) -> list[tuple[int, Any]]:
        return [(s, e) for s, e in self.items if s <= up_to_seq and e.player_id == player_id]

    def find(self, player_id: str, event_id: str, before_seq: int) -> Any:
        return next(((s, e) for s, e in self.items
                     if s < before_seq and e.player_id == player_id and e.event_id == event_id), None)


def body(events: list[Any]) -> bytes:
    return json.dumps(events).encode()


def stored_ids(db: Database) -> list[str]:
    """Ids of the events producers sent (Croupier's own facts, such as a registration's
    register check, are in the log too, and left out here)."""
    with db.engine.connect() as conn:
        return list(conn.execute(select(events_table.c.event_id)
                                 .where(events_table.c.type.not_like("croupier.%"))).scalars())


def snapshot(db: Database) -> dict[str, Any]:
    """Everything derived and durable: states (msgpack bytes), audit decisions, outbox rows."""
    with db.engine.connect() as conn:
        states = {pid: bytes(blob) for pid, blob in
                  conn.execute(select(player_state.c.player_id, player_state.c.state))}
        audit = [(r.subject, json.loads(r.body)) for r in
                 conn.execute(select(audit_log.c.subject, audit_log.c.body)
                              .where(audit_log.c.kind == "gate.decision").order_by(audit_log.c.seq))]
        queued = sorted(conn.execute(select(outbox.c.action_id, outbox.c.player_id)).all())
    return {"states": states, "audit": audit, "outbox": [tuple(r) for r in queued]}


def without_log_positions(states: dict[str, bytes]) -> dict[str, bytes]:
    """States for comparing runs on different databases: `last_seq` is a position in one
    database's log (PostgreSQL identities do not restart), everything else must match."""
    from croupier.store.states import decode, encode

    out = {}
    for pid, blob in states.items():
        state = decode(blob)
        state.last_seq = 0
        out[pid] = encode(state)
    return out


def decisions_by_subject(audit: list[tuple[str, dict[str, Any]]]) -> dict[str, tuple[bool, list[str]]]:
    return {subject: (b["allowed"], b["reasons"]) for subject, b in audit}
