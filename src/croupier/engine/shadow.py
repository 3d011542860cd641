"""A proposed configuration running in shadow beside the live one, inside the engine, on
every event of the real stream from the moment it starts.

Nothing live is touched: the lane keeps its own copies of the player states it folds and
its own daily message counters, and only reports differences (`compliance.shadow`). What it
costs follows what the proposal changes (`compliance.shadow.fold_scope`):
- a player the proposal folds differently (a feature setting, their jurisdiction's `rg`
  rules) gets a copy of their live state the first time they are seen, and every later
  event of theirs is folded into the copy with the proposal, through the engine's own
  `step`: their RG level and interventions are compared after each event;
- every other player has the same state under both, so only the actions the live engine
  proposed for them are decided again, by the gate, with the proposal.
The engine calls `before` just ahead of the live step (the copy must be the state before
the event) and `after` right behind it.
"""

from __future__ import annotations

from typing import Any

from croupier.compliance import Decision, decide, record_sent
from croupier.compliance.rules import rules_in_force
from croupier.compliance.shadow import decision_differences, fold_scope, risk_change
from croupier.engine.step import PlayerLog, StepResult, step
from croupier.events import Event
from croupier.players import EngineConfig, PlayerState
from croupier.store.states import decode, encode

MAX_PLAYERS = 50_000  # shadow states held per lane (each is a copy of a live state)


class ShadowLane:
    def __init__(self, shadow_id: int, version_id: str, config: EngineConfig, live: EngineConfig, *,
                 from_seq: int, to_seq: int = 0, events: int = 0):
        self.shadow_id, self.version_id, self.config, self.from_seq = shadow_id, version_id, config, from_seq
        self.rules = rules_in_force(config)
        self.states: dict[str, PlayerState] = {}
        self.promo: dict[str, tuple[int, int]] = {}   # re-decided players whose daily counters differ
        self.flagged: dict[str, tuple[str, str]] = {}  # player -> (live, shadow) RG levels recorded as differing
        self.events, self.to_seq = events, max(to_seq, from_seq)
        self.skipped: set[str] = set()
        self.decisions: list[dict[str, Any]] = []      # found since the last write
        self.risks: dict[str, dict[str, Any] | None] = {}
        self._live = live
        self._scope = fold_scope(live, config)
        self._folds: dict[str | None, bool] = {}
        self._on = False
        self._promo_before = (0, 0)
        self._written: tuple[dict[str, tuple[str, str]], int, int] = ({}, self.events, self.to_seq)

    def follow_live(self, live: EngineConfig) -> None:
        """The live configuration changed (an activation in the log): compare against it."""
        if live is not self._live:
            self._live, self._scope, self._folds = live, fold_scope(live, self.config), {}

    def forget(self) -> None:
        """The engine went back to its last snapshot and will process those events again:
        drop the copies (taken again from the live states) and what was not written yet, so
        nothing is folded or counted twice."""
        self.states.clear()
        self.promo.clear()
        self.decisions.clear()
        self.risks.clear()
        self.flagged = dict(self._written[0])
        self.events, self.to_seq = self._written[1], self._written[2]

    def before(self, state: PlayerState, seq: int) -> None:
        self._on = seq > self.from_seq
        if not self._on:
            return
        pid = state.player_id
        if pid in self.states:
            return
        jurisdiction = state.profile.get("jurisdiction")
        folds = self._folds.get(jurisdiction)
        if folds is None:
            folds = self._folds[jurisdiction] = self._scope.folds(jurisdiction)
        own = self.promo.get(pid)
        if not folds:
            p = state.protection
            self._promo_before = own or (p.promo_day, p.promo_count)
            return
        if len(self.states) >= MAX_PLAYERS:
            self.skipped.add(pid)
            self._on = False
            return
        copy = self.states[pid] = decode(encode(state))
        if own is not None:
            copy.protection.promo_day, copy.protection.promo_count = own
            del self.promo[pid]

    def after(self, live: StepResult, event: Event, seq: int, received_us: int, log: PlayerLog) -> None:
        if not self._on:
            return
        self.events += 1
        self.to_seq = seq
        pid = event.player_id
        mine = self.states.get(pid)
        if mine is not None:
            result = step(mine, event, seq, received_us, self.config, log, self.rules)
            if result.state is not mine:
                self.states[pid] = result.state
            shadow_decisions = result.decisions
            self._compare_risk(live.state, result.state, seq, live.at_us)
        elif live.decisions:
            shadow_decisions = self._decide_again(live.state, live.decisions, live.at_us)
        else:
            return
        if live.decisions or shadow_decisions:
            for entry in decision_differences(pid, {d.proposal.action_id: d for d in live.decisions},
                                              {d.proposal.action_id: d for d in shadow_decisions}):
                entry["event_seq"], entry["at_us"] = seq, live.at_us
                self.decisions.append(entry)

    def _decide_again(self, state: PlayerState, decisions: list[Decision], at_us: int) -> list[Decision]:
        """The gate's verdicts under the proposal on a state both configurations share. The
        only part of the state the gate writes is the daily message counter: the shadow's
        own is swapped in for the decisions and kept aside after them."""
        p = state.protection
        live_counters = (p.promo_day, p.promo_count)
        p.promo_day, p.promo_count = self._promo_before
        try:
            out = []
            for d in decisions:
                again = decide(d.proposal, state, self.config, d.decided_at_us, at_us)
                record_sent(state, again)
                out.append(again)
            mine = (p.promo_day, p.promo_count)
        finally:
            p.promo_day, p.promo_count = live_counters
        if mine != live_counters:
            self.promo[state.player_id] = mine
        else:
            self.promo.pop(state.player_id, None)
        return out

    def _compare_risk(self, live: PlayerState, shadow: PlayerState, seq: int, at_us: int) -> None:
        a, b = live.protection, shadow.protection
        pid, pair = live.player_id, (a.risk_level, b.risk_level)
        change = risk_change(*pair)
        recorded = self.flagged.get(pid)
        if change is None:
            if recorded is not None:
                del self.flagged[pid]
                self.risks[pid] = None
            return
        if recorded == pair:
            return
        self.flagged[pid] = pair
        self.risks[pid] = {"change": change, "level": b.risk_level if change == "newly_flagged" else a.risk_level,
                           "live": a.risk_level, "shadow": b.risk_level,
                           "markers": {"live": sorted(a.markers), "shadow": sorted(b.markers)},
                           "event_seq": seq, "at_us": at_us}

    def drain(self) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any] | None], dict[str, int]]:
        """What was found since the last call, and the progress to record with it."""
        found, self.decisions = self.decisions, []
        risks, self.risks = self.risks, {}
        self._written = (dict(self.flagged), self.events, self.to_seq)
        progress = {"events": self.events, "to_seq": self.to_seq, "players_folded": len(self.states),
                    "players_skipped": len(self.skipped)}
        return found, risks, progress
