"""The RG risk level: a score over the active markers, cut into none / low / medium / high /
severe by the jurisdiction's `rg.level_scores`, kept in the state with its history.

The jurisdiction's rules come from the configuration version in force at the event's log
position (`RulesInForce`, handed down by the engine), never from whatever is active now, so
a replay folds every event with the rules that folded it live. Each level change and each
intervention records that version.

score = sum over active markers of weight(marker) x effective severity (decayed), with the
weights in MarkerConfig (distress counts double by default). docs/rg-markers.md.
"""

from __future__ import annotations

import bisect

from croupier.compliance.rules import RgRules, RulesInForce, default_rules
from croupier.events import Event
from croupier.players.protection_state import MarkerView, ProtectionState
from croupier.players.config import FeatureConfig
from croupier.players.state import PlayerState
from croupier.protection.measures import measures
from croupier.protection.markers import DEFAULT_CONFIG, RISK_CHANGED, MarkerConfig, effective_severity

LEVELS = ("none", "low", "medium", "high", "severe")
RANK = {name: i for i, name in enumerate(LEVELS)}
HISTORY_KEEP = 64


def rg_rules(state: PlayerState, rules: RulesInForce | None = None) -> RgRules:
    """The RG rules of the player's jurisdiction in `rules` (the presets when None; the
    default rules when the jurisdiction is unknown)."""
    return (rules or default_rules()).of(state.profile.get("jurisdiction")).rg


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


def model_inputs(state: PlayerState, at_us: int, features: FeatureConfig | None = None,
                 cfg: MarkerConfig = DEFAULT_CONFIG) -> dict[str, float]:
    """What an RG model scores, as of `at_us`: the absolute measures and each marker's
    effective severity (`marker:<name>`, absent at 0). Live scoring and the training
    pipeline call this same function on the same folded state, so a model is trained on
    exactly what it will see."""
    inputs = measures(state, at_us, features)
    for name, marker in state.protection.markers.items():
        severity = effective_severity(marker, at_us, cfg)
        if severity > 0:
            inputs[f"marker:{name}"] = float(severity)
    return inputs


def level_for(score: int, cuts: list[int]) -> str:
    return LEVELS[bisect.bisect_right(cuts, score)]


def level_at(p: ProtectionState, at_us: int, rules: RgRules | None = None,
             cfg: MarkerConfig = DEFAULT_CONFIG) -> str:
    """The level at any moment, for readers (reports, back office): the markers as they
    stood after the last change before `at_us` (`risk_trail`), decayed to `at_us`. Exact
    between events too, where the state itself only catches up with decay at the next one."""
    trail = p.risk_trail
    i = bisect.bisect_right([t[0] for t in trail], at_us)
    if not i:
        return "none"
    markers = {name: MarkerView(name, severity, last_us, last_us, "") for name, severity, last_us in trail[i - 1][1]}
    score, _ = risk_score(markers, at_us, cfg)
    return level_for(score, (rules or RgRules()).level_scores)


def _remember_markers(p: ProtectionState, at_us: int) -> None:
    snapshot = sorted([name, m.severity, m.last_us] for name, m in p.markers.items())
    if p.risk_trail and p.risk_trail[-1][1] == snapshot:
        return
    if p.risk_trail and p.risk_trail[-1][0] > at_us:
        return  # a late event: the trail stays in time order
    p.risk_trail.append([at_us, snapshot])
    if len(p.risk_trail) > HISTORY_KEEP:
        del p.risk_trail[0]


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
           cfg: MarkerConfig = DEFAULT_CONFIG, rules: RulesInForce | None = None) -> None:
    """Drop markers that decayed away, re-score, record a level change (with the config
    version whose cut scores made it), then intervene."""
    p = state.protection
    for name in [n for n, m in p.markers.items() if effective_severity(m, at_us, cfg) <= 0]:
        del p.markers[name]
    _remember_markers(p, at_us)
    in_force = rules or default_rules()
    rg = in_force.of(state.profile.get("jurisdiction")).rg
    score, names = risk_score(p.markers, at_us, cfg)
    level = level_for(score, rg.level_scores)
    p.risk_score = score
    if level != p.risk_level:
        p.risk_level, p.risk_since_us = level, at_us
        p.risk_history.append([at_us, level, names, score, in_force.version])
        if len(p.risk_history) > HISTORY_KEEP:
            del p.risk_history[0]
        facts.append(RISK_CHANGED)
    from croupier.protection.interventions import intervene

    intervene(state, event, at_us, rg, facts, names, in_force.version)
