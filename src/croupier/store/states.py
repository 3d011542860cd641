"""Persisted player state (msgpack) and the searchable `players` row kept beside it."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import Connection, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from croupier.players import PlayerState
from croupier.store.raw import RawStatement
from croupier.store.schema import player_state, players

RISK_LEVELS = ("none", "low", "medium", "high", "severe")

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(PlayerState)
_CHUNK = 2_000
# msgpack holds integers in [-2**63, 2**64 - 1]; a sum beyond is saved at the bound.
_LOW, _HIGH = -2**63, 2**64 - 1
log = logging.getLogger("croupier.engine")


def encode(state: PlayerState) -> bytes:
    """The state as msgpack. A sum past msgpack's integer range (a player's lifetime stakes
    after enough maximum-size bets, or the squares the stake-variability marker adds up) is
    saved at the bound and logged, rather than failing every snapshot."""
    try:
        return _encoder.encode(state)
    except OverflowError:
        log.warning("player %r: a total exceeds %d and is saved saturated at that bound", state.player_id, _HIGH)
        return _encoder.encode(_saturated(msgspec.to_builtins(state)))


def _saturated(obj: Any) -> Any:
    if isinstance(obj, bool):
        return obj
    if isinstance(obj, int):
        return max(_LOW, min(_HIGH, obj))
    if isinstance(obj, list):
        return [_saturated(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _saturated(v) for k, v in obj.items()}
    return obj


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


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Player states ready to write: encoded, with their search rows. Built while the engine
    holds its states still; written afterwards, without holding them."""

    states: list[dict[str, Any]]
    search: list[dict[str, Any]]


def snapshot(states: Sequence[PlayerState], stages: dict[str, str]) -> Snapshot:
    """`stages`: player_id -> lifecycle stage."""
    return Snapshot([{"player_id": s.player_id, "state": encode(s), "seq": s.last_seq} for s in states],
                    [_search_row(s, stages.get(s.player_id)) for s in states])


def _overwrite(table: Table):  # noqa: ANN202
    """INSERT ... ON CONFLICT (player_id) DO UPDATE of every other column, per dialect."""
    def build(dialect: str):  # noqa: ANN202
        stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table).values(
            {c.name: bindparam(c.name) for c in table.columns})
        return stmt.on_conflict_do_update(index_elements=["player_id"],
                                          set_={c.name: stmt.excluded[c.name] for c in table.columns
                                                if c.name != "player_id"})
    return RawStatement(build)


_WRITE_STATES, _WRITE_SEARCH = _overwrite(player_state), _overwrite(players)


def write(conn: Connection, snap: Snapshot) -> None:
    """Upsert a snapshot's states and search rows (thousands of rows a second: on the DBAPI
    cursor, see `store.raw`)."""
    if snap.states:
        _WRITE_STATES.executemany(conn, snap.states)
        _WRITE_SEARCH.executemany(conn, snap.search)


def save(conn: Connection, states: Sequence[PlayerState], stages: dict[str, str]) -> None:
    """Upsert the states and their search rows (`stages`: player_id -> lifecycle stage)."""
    write(conn, snapshot(states, stages))


def _search_row(s: PlayerState, stage: str | None) -> dict[str, Any]:
    p = s.profile
    return {"player_id": s.player_id, "brand": s.brand, "registered": s.registered,
            "jurisdiction": p.get("jurisdiction"), "country": p.get("country"),
            "currency": s.currency, "email": p.get("email"), "phone": p.get("phone"),
            "first_name": p.get("first_name"), "last_name": p.get("last_name"),
            "lifecycle_stage": stage, "registered_at_us": s.registered_us,
            "last_event_at_us": s.last_event_us,
            "risk_rank": RISK_LEVELS.index(s.protection.risk_level) if s.protection.risk_level in RISK_LEVELS else 0,
            "risk_since_us": s.protection.risk_since_us, "risk_bp": s.protection.risk_bp}


def clear(conn: Connection) -> None:
    conn.execute(player_state.delete())
    conn.execute(players.delete())


def all_states(conn: Connection, chunk: int = _CHUNK) -> Iterator[PlayerState]:
    """Every saved player state, in player id order, read a chunk at a time (the batch copy
    of segments reads them all)."""
    after: str | None = None
    while True:
        stmt = select(player_state.c.player_id, player_state.c.state).order_by(player_state.c.player_id).limit(chunk)
        if after is not None:
            stmt = stmt.where(player_state.c.player_id > after)
        rows = conn.execute(stmt).all()
        for _, blob in rows:
            yield decode(blob)
        if len(rows) < chunk:
            return
        after = rows[-1][0]
