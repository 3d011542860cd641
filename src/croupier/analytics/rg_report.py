"""RG effectiveness: which interventions (and which message variants) work.

Per intervention kind and message variant, from the player states (interventions, risk
history and the player's own protective steps, all folded from the log) and, when given,
the gate decisions in the audit log:
- how long from the first alert of the episode to the intervention (detection lag),
- how long from the intervention to the player's own protective step (a limit set or
  lowered, a time-out or self-exclusion), and how many took one within the follow-up,
- the share of players whose risk level was lower `follow_days` after the intervention
  (de-escalated), counted only once those days have passed,
- how many of the safer-play messages the gate let through.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from croupier.players.state import PlayerState
from croupier.compliance.rules import RulesInForce
from croupier.protection.risk import RANK, level_at, rg_rules

HOUR_US = 3_600_000_000
DAY_US = 86_400_000_000


@dataclass
class EffectivenessRow:
    kind: str
    variant: str
    interventions: int
    players: int
    median_hours_alert_to_intervention: float | None
    followed_up: int                    # interventions whose follow-up window has passed
    de_escalated: int
    de_escalated_share: float | None
    acted: int                          # players who took a protective step within the window
    acted_share: float | None
    median_hours_to_player_action: float | None
    messages_allowed: int | None = None  # from the audit log, when decisions are given
    messages_suppressed: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _median_hours(values: list[int]) -> float | None:
    return round(statistics.median(values) / HOUR_US, 2) if values else None


def rg_effectiveness(states: Iterable[PlayerState], now_us: int, follow_days: int = 7,
                     decisions: Iterable[dict[str, Any]] | None = None,
                     rules: RulesInForce | None = None) -> list[EffectivenessRow]:
    """Rows per (kind, variant), sorted. `decisions` are gate decision bodies from the audit
    log (`Decision.as_dict()`); only the safer-play ones of RG interventions are counted.
    "De-escalated" is the level `follow_days` later (`level_at`, with the memory rules: a
    level comes down only after `rg.calm_days`, so judge with `follow_days` above them).
    `rules` is kept for callers; the calm days come from the version that folded each moment."""
    window = follow_days * DAY_US
    groups: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: {
        "n": 0, "players": set(), "lag": [], "followed": 0, "down": 0, "acted": 0, "to_action": []})
    for state in states:
        p = state.protection
        if not p.interventions:
            continue
        cuts = rg_rules(state, rules)
        actions = sorted(a[0] for a in state.rg.actions)
        for view in p.interventions:
            g = groups[(view.kind, view.variant)]
            g["n"] += 1
            g["players"].add(state.player_id)
            g["lag"].append(max(0, view.at_us - view.alert_us))
            if view.at_us + window > now_us:
                continue  # too recent to judge
            g["followed"] += 1
            later = level_at(p, view.at_us + window, cuts)
            if RANK[later] < RANK[view.level]:
                g["down"] += 1
            step = next((t for t in actions if view.at_us <= t <= view.at_us + window), None)
            if step is not None:
                g["acted"] += 1
                g["to_action"].append(step - view.at_us)
    sent: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    if decisions is not None:
        for d in decisions:
            params = d.get("params") or {}
            if d.get("purpose") != "safer_play" or "intervention" not in params:
                continue
            counts = sent[(params["intervention"], params.get("variant", ""))]
            counts[0 if d.get("allowed") else 1] += 1
    rows = []
    for (kind, variant), g in sorted(groups.items()):
        followed = g["followed"]
        counts = sent.get((kind, variant), [0, 0]) if decisions is not None else None
        rows.append(EffectivenessRow(
            kind=kind, variant=variant, interventions=g["n"], players=len(g["players"]),
            median_hours_alert_to_intervention=_median_hours(g["lag"]),
            followed_up=followed, de_escalated=g["down"],
            de_escalated_share=round(g["down"] / followed, 3) if followed else None,
            acted=g["acted"], acted_share=round(g["acted"] / followed, 3) if followed else None,
            median_hours_to_player_action=_median_hours(g["to_action"]),
            messages_allowed=counts[0] if counts is not None else None,
            messages_suppressed=counts[1] if counts is not None else None))
    return rows
