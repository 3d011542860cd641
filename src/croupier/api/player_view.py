"""The player-360 view, shared by the API and the back office."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, func, or_, select

from croupier.api.runtime import Runtime
from croupier.players import compute_features
from croupier.store import audit as audit_store
from croupier.store import eventlog, outbox
from croupier.store.schema import players

PII_FIELDS = ("email", "phone", "first_name", "last_name", "birth_date", "ip", "device_id")


def _iso(us: int | None) -> str | None:
    if us is None:
        return None
    return datetime.fromtimestamp(us / 1_000_000, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def mask(field: str, value: Any) -> Any:
    """Hide contact details from roles without players.pii, keeping enough to recognise."""
    if value is None or not isinstance(value, str):
        return value
    if field == "email" and "@" in value:
        local, domain = value.split("@", 1)
        return f"{local[:1]}***@{domain}"
    if field == "birth_date":
        return value[:4] + "-**-**"
    if field in ("first_name", "last_name"):
        return value[:1] + "."
    return "***" + value[-2:] if len(value) > 4 else "***"


def timeline(conn: Connection, player_id: str, limit: int = 50, before_seq: int | None = None) -> list[dict[str, Any]]:
    rows = eventlog.player_history(conn, player_id, before_seq - 1 if before_seq else None,
                                   limit=limit, newest_first=True)
    out = []
    for seq, payload, received_us in rows:
        body = json.loads(payload)
        out.append({"seq": seq, "event_id": body.get("event_id"), "type": body.get("type"),
                    "occurred_at": body.get("occurred_at"), "received_at": _iso(received_us),
                    "event": body})
    return out


def player_360(runtime: Runtime, player_id: str, *, pii: bool = True, timeline_limit: int = 50) -> dict[str, Any] | None:
    state = runtime.engine.state_of(player_id)
    with runtime.db.engine.connect() as conn:
        events = timeline(conn, player_id, timeline_limit)
        if state is None and not events:
            return None
        messages = outbox.for_player(conn, player_id)
        decisions = audit_store.for_player(conn, player_id)
    now_us = time.time_ns() // 1000
    profile: dict[str, Any] = {}
    features: dict[str, Any] = {}
    if state is not None:
        profile = {k: (v if pii or k not in PII_FIELDS else mask(k, v)) for k, v in state.profile.items()}
        features = compute_features(state, now_us, runtime.config.features)
    registered = bool(state and state.registered)
    return {
        "player_id": player_id,
        "brand": state.brand if state else None,
        "registered": registered,
        "status": "registered" if registered else
                  "unregistered: events arrived before player.registered; they are kept and counted",
        "profile": profile,
        "consents": state.consents if state else {},
        "kyc": {"status": state.kyc_status if state else None, "level": state.kyc_level if state else None},
        "balances": {"currency": state.currency if state else None,
                     "balance": state.balance if state else None,
                     "bonus_balance": state.bonus_balance if state else None,
                     "reported_at": _iso(state.balance_at_us) if state else None,
                     "note": "as reported by the operator's wallet on its latest event"},
        "lifecycle_stage": features.get("lifecycle_stage"),
        "event_count": state.event_count if state else 0,
        "first_event_at": _iso(state.first_event_us) if state else None,
        "last_event_at": _iso(state.last_event_us) if state else None,
        "features": features,
        "timeline": events,
        "messages": [{"action_id": m["action_id"], "kind": m["kind"], "channel": m["channel"],
                      "status": m["status"], "created_at": _iso(m["created_at_us"]),
                      "name": json.loads(m["body"]).get("name")} for m in messages],
        "decisions": [{**json.loads(d["body"]), "seq": d["seq"], "at": _iso(d["at_us"]),
                       "record_kind": d["kind"], "config_version": d["config_version"]}
                      for d in decisions],
    }


def search(conn: Connection, query: str, limit: int = 50, *, pii: bool = True) -> list[dict[str, Any]]:
    """Players whose id, email or last name starts with `query` (case-insensitive), newest
    activity first; an empty query lists the most recently active players."""
    stmt = select(players).order_by(players.c.last_event_at_us.desc().nulls_last()).limit(limit)
    q = query.strip().lower()
    if q:
        like = q.replace("%", r"\%").replace("_", r"\_") + "%"
        stmt = stmt.where(or_(func.lower(players.c.player_id).like(like, escape="\\"),
                              func.lower(players.c.email).like(like, escape="\\"),
                              func.lower(players.c.last_name).like(like, escape="\\")))
    out = []
    for r in conn.execute(stmt):
        row = dict(r._mapping)
        row["registered_at"] = _iso(row.pop("registered_at_us"))
        row["last_event_at"] = _iso(row.pop("last_event_at_us"))
        if not pii:
            for field in PII_FIELDS:
                if field in row:
                    row[field] = mask(field, row[field])
        out.append(row)
    return out
