"""The RG risk level: a score over the active markers, cut into none / low / medium / high /
severe by the jurisdiction's `rg.level_scores`, kept in the state with its history.

score = sum over active markers of weight(marker) x effective severity (decayed), with the
weights in MarkerConfig (distress counts double by default). docs/rg-markers.md.
"""

from __future__ import annotations

import bisect

from croupier.compliance.rules import RgRules, rules_for
from croupier.events import Event
from croupier.players.protection_state import MarkerView, ProtectionState
from croupier.players.state import PlayerState
from croupier.protection.markers import DEFAULT_CONFIG, RISK_CHANGED, MarkerConfig, effective_severity

LEVELS = ("none", "low", "medium", "high", "severe")
RANK = {name: i for i, name in enumerate(LEVELS)}
HISTORY_KEEP = 64


def rg_rules(state: PlayerState) -> RgRules:
    """The RG rules of the player's jurisdiction (the default ones when it is unknown)."""
    return rules_for(state.profile.get("jurisdiction")).rg


def risk_score(markers: dict[str, MarkerView], at_us: int, cfg: MarkerConfig = DEFAULT_CONFIG) -> tuple[int, list[str]]:
    """The score at `at_us` and the markers that make it up (strongest first)."""
    weights = cfg.weights
    default = weights.get("default", 1)
    parts = []
    for name, marker in markers.items():
        severity = effective_severity(marker, at_us, cfg)
        if severity > 0:
            parts.append((weights.get(name, default) * severity, name))
    parts.sort(key=lambda p: (-p[0], p[1]))
    return sum(w for w, _ in parts), [name for _, name in parts]


def level_for(score: int, cuts: list[int]) -> str:
    return LEVELS[bisect.bisect_right(cuts, score)]


def level_at(p: ProtectionState, at_us: int, rules: RgRules | None = None,
             cfg: MarkerConfig = DEFAULT_CONFIG) -> str:
    """The level in force at `at_us`, for readers (reports, back office) between events:
    the recorded history up to then, decayed from the markers as they stand when nothing
    has happened since the last change."""
    history = p.risk_history
    times = [h[0] for h in history]
    i = bisect.bisect_right(times, at_us)
    recorded = history[i - 1][1] if i else "none"
    if i == len(history) and p.markers:
        score, _ = risk_score(p.markers, at_us, cfg)
        decayed = level_for(score, (rules or RgRules()).level_scores)
        return decayed if RANK[decayed] < RANK[recorded] else recorded
    return recorded


def episode_start(p: ProtectionState) -> int | None:
    """When the current risk episode began: the first change away from "none" after the
    last time the level was "none"."""
    start = None
    for at_us, level, *_ in reversed(p.risk_history):
        if level == "none":
            break
        start = at_us
    return start


def settle(state: PlayerState, event: Event, at_us: int, facts: list[str],
           cfg: MarkerConfig = DEFAULT_CONFIG) -> None:
    """Drop markers that decayed away, re-score, record a level change, then intervene."""
    p = state.protection
    for name in [n for n, m in p.markers.items() if effective_severity(m, at_us, cfg) <= 0]:
        del p.markers[name]
    rules = rg_rules(state)
    score, names = risk_score(p.markers, at_us, cfg)
    level = level_for(score, rules.level_scores)
    p.risk_score = score
    if level != p.risk_level:
        p.risk_level, p.risk_since_us = level, at_us
        p.risk_history.append([at_us, level, names, score])
        if len(p.risk_history) > HISTORY_KEEP:
            del p.risk_history[0]
        facts.append(RISK_CHANGED)
    from croupier.protection.interventions import intervene

    intervene(state, event, at_us, rules, facts, names)
