"""Shadow mode: what a proposed configuration would have done on the real stream.

The players with events in a recent window of the log are refolded from their whole
history twice, in memory, through the engine's own `step`: once with the live
configuration and once with the proposed one. Nothing is written (no states, audit or
outbox); the two runs are compared decision by decision (the action ids are the same) and
player by player (lifecycle stage, RG risk level). Folding both sides the same way makes
the comparison about the configuration alone, not about when the live engine happened to
run.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select

from croupier.compliance.rules import rules_in_force
from croupier.events import CONFIG_STREAM
from croupier.players import EngineConfig, PlayerState, lifecycle_stage, new_state
from croupier.store import Database
from croupier.store.schema import events

MAX_EVENTS = 50_000
MAX_PLAYERS = 5_000
MAX_LISTED = 500


class _History:
    """One player's log, in memory, for the rare steps that read it (rollbacks, late
    registrations)."""

    def __init__(self, items: list[tuple[int, Any, int]]):
        self.items = items

    def history(self, player_id: str, up_to_seq: int) -> Iterable[tuple[int, Any]]:
        return [(seq, event) for seq, event, _ in self.items if seq <= up_to_seq]

    def find(self, player_id: str, event_id: str, before_seq: int) -> tuple[int, Any] | None:
        for seq, event, _ in self.items:
            if seq < before_seq and event.event_id == event_id:
                return seq, event
        return None


def _fold(items: list[tuple[int, Any, int]], player_id: str, config: EngineConfig, from_seq: int,
          log: _History) -> tuple[PlayerState, dict[str, Any]]:
    from croupier.engine.step import step  # engine depends on compliance, not the reverse

    state = new_state(player_id)
    decisions = {}
    rules = rules_in_force(config)
    for seq, event, received_us in items:
        result = step(state, event, seq, received_us, config, log, rules)
        state = result.state
        if seq >= from_seq:
            for d in result.decisions:
                decisions[d.proposal.action_id] = d
    return state, decisions


def _decision_view(d: Any) -> dict[str, Any]:
    return {"allowed": d.allowed, "reasons": list(d.reasons)}


def window(db: Database, *, last_events: int | None = None, since_us: int | None = None) -> dict[str, Any]:
    """The seq range of the window: the last N events, or those received since a moment."""
    with db.reader.connect() as conn:
        last = conn.execute(select(func.coalesce(func.max(events.c.seq), 0))).scalar_one()
        if since_us is not None:
            first = conn.execute(select(func.min(events.c.seq)).where(events.c.received_at_us >= since_us)).scalar()
            first = first or last + 1
        else:
            n = max(1, min(last_events or 1000, MAX_EVENTS))
            first = conn.execute(select(events.c.seq).order_by(events.c.seq.desc()).limit(1).offset(n - 1)).scalar()
            first = first or 1
    return {"from_seq": first, "to_seq": last}


def run_shadow(db: Database, live: EngineConfig, proposed: EngineConfig, *, last_events: int | None = 1000,
               since_us: int | None = None, now_us: int | None = None) -> dict[str, Any]:
    """Compare `proposed` with `live` over a window of the log; returns a JSON-able report."""
    from croupier.events import decode_stored
    from croupier.store import eventlog

    now_us = now_us or time.time_ns() // 1000
    span = window(db, last_events=last_events, since_us=since_us)
    from_seq, to_seq = span["from_seq"], span["to_seq"]
    with db.reader.connect() as conn:
        rows = conn.execute(select(events.c.player_id, func.count()).where(
            events.c.seq >= from_seq, events.c.seq <= to_seq, events.c.player_id != CONFIG_STREAM)
            .group_by(events.c.player_id)
            .order_by(events.c.player_id)).all()
        window_events = sum(n for _, n in rows)
        players = [pid for pid, _ in rows][:MAX_PLAYERS]
        histories = {pid: [(seq, decode_stored(payload), received)
                           for seq, payload, received in eventlog.player_history(conn, pid, to_seq)]
                     for pid in players}
    flips: list[dict[str, Any]] = []
    flagged: list[dict[str, Any]] = []
    counts = {"live_decisions": 0, "shadow_decisions": 0, "live_allowed": 0, "shadow_allowed": 0,
              "flips": 0, "now_suppressed": 0, "now_allowed": 0, "only_live": 0, "only_shadow": 0,
              "reasons_changed": 0, "players_flagged": 0}
    for pid in players:
        items = histories[pid]
        log = _History(items)
        live_state, live_decisions = _fold(items, pid, live, from_seq, log)
        shadow_state, shadow_decisions = _fold(items, pid, proposed, from_seq, log)
        counts["live_decisions"] += len(live_decisions)
        counts["shadow_decisions"] += len(shadow_decisions)
        counts["live_allowed"] += sum(d.allowed for d in live_decisions.values())
        counts["shadow_allowed"] += sum(d.allowed for d in shadow_decisions.values())
        for action_id in sorted(live_decisions.keys() | shadow_decisions.keys()):
            a, b = live_decisions.get(action_id), shadow_decisions.get(action_id)
            if a is not None and b is not None and a.allowed == b.allowed and a.reasons == b.reasons:
                continue
            p = (a or b).proposal
            if a is None:
                change = "only_shadow"
            elif b is None:
                change = "only_live"
            elif a.allowed != b.allowed:
                change = "now_suppressed" if a.allowed else "now_allowed"
            else:
                change = "reasons_changed"
            counts[change] += 1
            if change in ("now_suppressed", "now_allowed"):
                counts["flips"] += 1
            if len(flips) < MAX_LISTED:
                flips.append({"action_id": action_id, "player_id": pid, "kind": p.kind, "name": p.name,
                              "purpose": p.purpose, "channel": p.channel, "change": change,
                              "live": _decision_view(a) if a else None,
                              "shadow": _decision_view(b) if b else None})
        changed = []
        live_stage = lifecycle_stage(live_state, now_us, live.features.lifecycle)
        shadow_stage = lifecycle_stage(shadow_state, now_us, proposed.features.lifecycle)
        if live_stage != shadow_stage:
            changed.append({"what": "lifecycle_stage", "live": live_stage, "shadow": shadow_stage})
        lp, sp = live_state.protection, shadow_state.protection
        if lp.risk_level != sp.risk_level:
            changed.append({"what": "risk_level", "live": lp.risk_level, "shadow": sp.risk_level})
        if sorted(lp.markers) != sorted(sp.markers):
            changed.append({"what": "markers", "live": sorted(lp.markers), "shadow": sorted(sp.markers)})
        if changed:
            counts["players_flagged"] += 1
            if len(flagged) < MAX_LISTED:
                flagged.append({"player_id": pid, "changes": changed})
    return {"live_version": live.version, "shadow_version": proposed.version,
            "window": {"from_seq": from_seq, "to_seq": to_seq, "events": window_events,
                       "players": len(rows), "players_evaluated": len(players),
                       "last_events": last_events if since_us is None else None, "since_us": since_us},
            "counts": counts, "flips": flips, "players": flagged,
            "truncated": len(rows) > len(players) or counts["players_flagged"] > len(flagged)
                         or sum(counts[k] for k in ("now_suppressed", "now_allowed", "only_live",
                                                    "only_shadow", "reasons_changed")) > len(flips)}
