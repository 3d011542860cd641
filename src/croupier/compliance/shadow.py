"""Shadow mode: what a proposed configuration would have done on the real stream.

Two ways, one comparison:
- a run over a window (`run_shadow`): the players with events in a recent window of the
  log are refolded from their whole history twice, in memory, through the engine's own
  `step`, once with the live configuration and once with the proposed one. Folding both
  sides the same way makes the comparison about the configuration alone, not about when
  the live engine happened to run;
- continuously (`engine/shadow.py`): the running engine evaluates the proposal beside the
  live configuration on every batch, from the moment the shadow starts.
Nothing live is written either way (no states, audit or outbox). Both compare decision by
decision (the action ids are the same on both sides: `decision_differences`) and player by
player (the RG risk level: `risk_change`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from croupier.compliance.actions import Decision
from croupier.compliance.rules import rules_in_force
from croupier.events import LOG_STREAMS
from croupier.players import EngineConfig, PlayerState, lifecycle_stage, new_state
from croupier.store import Database
from croupier.store.schema import events

MAX_EVENTS = 50_000
MAX_PLAYERS = 5_000
MAX_LISTED = 500


class History:
    """One player's log, in memory, for the rare steps that read it (rollbacks, late
    registrations). Shared with the window replay (`engine.window_replay`)."""

    def __init__(self, items: list[tuple[int, Any, int]]):
        self.items = items

    def history(self, player_id: str, up_to_seq: int) -> Iterable[tuple[int, Any]]:
        return [(seq, event) for seq, event, _ in self.items if seq <= up_to_seq]

    def find(self, player_id: str, event_id: str, before_seq: int) -> tuple[int, Any] | None:
        for seq, event, _ in self.items:
            if seq < before_seq and event.event_id == event_id:
                return seq, event
        return None


_History = History


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


DECISION_CHANGES = ("now_suppressed", "now_allowed", "reasons_changed", "only_live", "only_shadow")


def decision_change(live: Decision | None, shadow: Decision | None) -> str | None:
    """How the shadow's decision on one action differs from the live one (None: it does not)."""
    if live is None:
        return "only_shadow" if shadow is not None else None
    if shadow is None:
        return "only_live"
    if live.allowed != shadow.allowed:
        return "now_suppressed" if live.allowed else "now_allowed"
    return "reasons_changed" if live.reasons != shadow.reasons else None


def decision_differences(player_id: str, live: dict[str, Decision],
                         shadow: dict[str, Decision]) -> list[dict[str, Any]]:
    """Every action (by id) the two sides decided differently, with both verdicts and reasons."""
    out = []
    for action_id in sorted(live.keys() | shadow.keys()):
        a, b = live.get(action_id), shadow.get(action_id)
        change = decision_change(a, b)
        if change is None:
            continue
        p = (a or b).proposal  # type: ignore[union-attr]
        out.append({"action_id": action_id, "player_id": player_id, "kind": p.kind, "name": p.name,
                    "purpose": p.purpose, "channel": p.channel, "change": change,
                    "live": _decision_view(a) if a else None, "shadow": _decision_view(b) if b else None})
    return out


RISK_ORDER = ("none", "low", "medium", "high", "severe")


def risk_change(live_level: str, shadow_level: str) -> str | None:
    """`newly_flagged` when the proposal puts the player at a higher RG level than live,
    `unflagged` when lower, None when the same."""
    a, b = RISK_ORDER.index(live_level), RISK_ORDER.index(shadow_level)
    return None if a == b else "newly_flagged" if b > a else "unflagged"


@dataclass(frozen=True, slots=True)
class FoldScope:
    """Which players a proposal folds differently from the live configuration. The fold reads
    the feature settings and each jurisdiction's `rg` rules; the gate reads the rest. Players
    outside the scope have the same state under both, so a continuous shadow only re-decides
    their actions instead of folding a copy of their state."""

    everyone: bool                  # the feature settings differ
    codes: frozenset[str]           # jurisdictions whose rg rules differ
    others: bool                    # the default rg rules (jurisdictions in neither table) differ
    known: frozenset[str]           # jurisdictions in either table

    def folds(self, jurisdiction: str | None) -> bool:
        if self.everyone or jurisdiction in self.codes:
            return True
        return self.others and jurisdiction not in self.known


def fold_scope(live: EngineConfig, proposed: EngineConfig) -> FoldScope:
    a, b = rules_in_force(live), rules_in_force(proposed)
    known = frozenset(a.table) | frozenset(b.table)
    return FoldScope(everyone=live.features != proposed.features,
                     codes=frozenset(c for c in known if a.of(c).rg != b.of(c).rg),
                     others=a.of(None).rg != b.of(None).rg, known=known)


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
            events.c.seq >= from_seq, events.c.seq <= to_seq, events.c.player_id.not_in(sorted(LOG_STREAMS)))
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
        for entry in decision_differences(pid, live_decisions, shadow_decisions):
            counts[entry["change"]] += 1
            if entry["change"] in ("now_suppressed", "now_allowed"):
                counts["flips"] += 1
            if len(flips) < MAX_LISTED:
                flips.append(entry)
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
