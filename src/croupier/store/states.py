"""Persisted player state (msgpack) and the searchable `players` row kept beside it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
from sqlalchemy import Connection, select

from croupier.players import PlayerState

RISK_LEVELS = ("none", "low", "medium", "high", "severe")
from croupier.store.schema import player_state, players
from croupier.store.upsert import upsert

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(PlayerState)
_CHUNK = 2_000


def encode(state: PlayerState) -> bytes:
    return _encoder.encode(state)


def decode(blob: bytes) -> PlayerState:
    return _decoder.decode(blob)


def load(conn: Connection, player_ids: Iterable[str]) -> dict[str, PlayerState]:
    ids = list(player_ids)
    out: dict[str, PlayerState] = {}
    for start in range(0, len(ids), _CHUNK):
        stmt = select(player_state.c.player_id, player_state.c.state).where(
            player_state.c.player_id.in_(ids[start:start + _CHUNK]))
        for pid, blob in conn.execute(stmt):
            out[pid] = decode(blob)
    return out


def save(conn: Connection, states: Sequence[PlayerState], stages: dict[str, str]) -> None:
    """Upsert the states and their search rows (`stages`: player_id -> lifecycle stage)."""
    upsert(conn, player_state, [{"player_id": s.player_id, "state": encode(s), "seq": s.last_seq}
                                for s in states], keys=("player_id",))
    upsert(conn, players, [_search_row(s, stages.get(s.player_id)) for s in states], keys=("player_id",))


def _search_row(s: PlayerState, stage: str | None) -> dict[str, Any]:
    p = s.profile
    return {"player_id": s.player_id, "brand": s.brand, "registered": s.registered,
            "jurisdiction": p.get("jurisdiction"), "country": p.get("country"),
            "currency": s.currency, "email": p.get("email"), "phone": p.get("phone"),
            "first_name": p.get("first_name"), "last_name": p.get("last_name"),
            "lifecycle_stage": stage, "registered_at_us": s.registered_us,
            "last_event_at_us": s.last_event_us,
            "risk_rank": RISK_LEVELS.index(s.protection.risk_level) if s.protection.risk_level in RISK_LEVELS else 0,
            "risk_since_us": s.protection.risk_since_us}


def clear(conn: Connection) -> None:
    conn.execute(player_state.delete())
    conn.execute(players.delete())
