"""The RG risk: a calibrated score (0..1) and a level with memory, kept in the state with its
history and the reasons behind it. docs/rg-markers.md ("The risk score", "Levels", "Memory").

The score is the RG model in force (`RulesInForce.rg_model`, an operator-trained model, else
the shipped scorecard `models.rg.default`) over `model_inputs`: the absolute measures of play
and each marker's effective severity. It is stored in basis points (integers replay exactly)
with the terms that raised it and the model's version.

The level is cut from the score by the jurisdiction's `rg.score_levels`, with memory:

1. it rises as soon as the score reaches a higher level's threshold;
2. it comes down only after `rg.calm_days` of normal behaviour, one level at a time: level L
   drops to L-1 once `calm_days` have passed both since the last score at or above L's
   threshold ("evidence" of L) and since the player entered L; then L-1 needs its own
   `calm_days` (since its own evidence and since the step down);
3. an open RG case (a human intervention not yet reviewed) keeps the player at least at the
   case's level until an officer's review closes it.

The score is observed at the events the RG fold runs on (protection.markers.observe); between
them only the clock moves, so the calm rule is a function of the memory and the time alone.
`level_at` replays it from `risk_trail` for any moment, between events too, and a calm step
down the fold catches up with at the next event is recorded at the moment it fell due.

The jurisdiction's rules come from the configuration version in force at the event's log
position, never from whatever is active now, so a replay folds every event with the rules
that folded it live. Each level change records that version and the model's.
"""

from __future__ import annotations

import bisect
import math
from datetime import datetime, timezone
from typing import Any

from croupier.compliance.rules import RgRules, RulesInForce, default_rules
from croupier.events import Event
from croupier.models.rg.default import DEFAULT_SCORECARD
from croupier.models.rg.scorecard import RgModel, score
from croupier.players.config import FeatureConfig
from croupier.players.protection_state import MarkerView, ProtectionState
from croupier.players.state import DAY_US, PlayerState
from croupier.protection.markers import DEFAULT_CONFIG, RISK_CHANGED, MarkerConfig, effective_severity
from croupier.protection.measures import measures

LEVELS = ("none", "low", "medium", "high", "severe")
RANK = {name: i for i, name in enumerate(LEVELS)}
HISTORY_KEEP = 64
PEAK_DAYS = 90                 # the peak level is the highest over this many days
TOP = 5                        # contributions kept with the score
TRAIL_LEN = 9                  # [at_us, rank, floor, step_us, evidence x4, calm_days]

# Why a level stands above what the score alone says (compliance.reasons has the words).
HELD_CALM = "rg_held_calm"     # rg_held_calm:<level>:<calm days>d:<until, YYYY-MM-DD>
HELD_CASE = "rg_held_case"     # rg_held_case:<level>
LOOK = "rg_look"               # rg_look:<marker>:<severity>
REASON_CODES = (f"{HELD_CALM}:<level>:<days>d:<until>", f"{HELD_CASE}:<level>", f"{LOOK}:<marker>:<severity>")
# The absolute markers of volume that put a player at least at low (RgRules.look_severity).
LOOK_MARKERS = ("intensity", "frequency", "net_loss")


def rg_rules(state: PlayerState, rules: RulesInForce | None = None) -> RgRules:
    """The RG rules of the player's jurisdiction in `rules` (the presets when None; the
    default rules when the jurisdiction is unknown)."""
    return (rules or default_rules()).of(state.profile.get("jurisdiction")).rg


def model_in_force(rules: RulesInForce | None = None) -> RgModel:
    """The RG model the version in force scores with: its operator-trained model, else the
    shipped scorecard."""
    return (rules or default_rules()).rg_model or DEFAULT_SCORECARD


def risk_score(markers: dict[str, MarkerView], at_us: int, cfg: MarkerConfig = DEFAULT_CONFIG) -> tuple[int, list[str]]:
    """Marker points at `at_us` (weight x effective severity, for display) and the markers
    that make them up (strongest first)."""
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


def level_for(score_bp: int, cuts: list[int]) -> str:
    """The level a score (basis points) reaches on its own: at or above a threshold is in."""
    return LEVELS[bisect.bisect_right(cuts, score_bp)]


def look_marker(p: ProtectionState, at_us: int, rg: RgRules, cfg: MarkerConfig = DEFAULT_CONFIG) -> tuple[str, int] | None:
    """The strongest absolute marker of volume at or above `rg.look_severity` (it puts the
    player at least at low), as (name, severity); None when there is none or it is off."""
    if rg.look_severity is None:
        return None
    found = [(effective_severity(p.markers[name], at_us, cfg), name) for name in LOOK_MARKERS if name in p.markers]
    best = max(((sev, name) for sev, name in found if sev >= rg.look_severity), default=None, key=lambda x: (x[0], x[1]))
    return (best[1], best[0]) if best else None


def raw_rank(p: ProtectionState, at_us: int, rg: RgRules, cfg: MarkerConfig = DEFAULT_CONFIG) -> int:
    """The level the present alone reaches: the score's, at least low with a look marker."""
    rank = RANK[level_for(p.risk_bp, rg.levels)]
    return max(rank, 1) if rank < 1 and look_marker(p, at_us, rg, cfg) else rank


# --- memory: pure functions of (memory, score, time) ------------------------------------------
def _memory(p: ProtectionState) -> list[int]:
    return list(p.risk_memory) if len(p.risk_memory) == 6 else [0, 0, 0, 0, 0, 0]


def calm_steps(memory: list[int], at_us: int, calm_us: int) -> tuple[list[int], list[tuple[int, int]]]:
    """The memory at `at_us` after the calm rule, and each step down on the way as
    (when it fell due, the rank it came down to)."""
    rank, step, evidence = memory[0], memory[1], memory[2:6]
    steps = []
    while rank:
        due = max(evidence[rank - 1], step) + calm_us
        if due > at_us:
            break
        rank, step = rank - 1, due
        steps.append((due, rank))
    return [rank, step, *evidence], steps


def observed(memory: list[int], raw_rank: int, at_us: int) -> list[int]:
    """The memory after a score reaching `raw_rank` at `at_us`: evidence for every level up
    to it, and a rise if it is above the level held."""
    rank, step, evidence = memory[0], memory[1], list(memory[2:6])
    if raw_rank > rank:
        rank, step = raw_rank, max(step, at_us)
    for k in range(raw_rank):
        evidence[k] = max(evidence[k], at_us)
    return [rank, step, *evidence]


def hold_until(memory: list[int], calm_us: int) -> int | None:
    """When the level held by memory comes down a step if no new evidence of it arrives."""
    rank = memory[0]
    return max(memory[1 + rank], memory[1]) + calm_us if rank else None


def case_floor(p: ProtectionState) -> int:
    """The rank an open RG case holds the player at (0: no open case)."""
    return max((RANK.get(v.level, 0) for v in p.interventions if v.status == "open"), default=0)


def _trail(p: ProtectionState) -> list[list]:
    return [t for t in p.risk_trail if len(t) == TRAIL_LEN]   # entries of an older format read as none


def _trail_floor(p: ProtectionState) -> int:
    """The case floor in force since the last score (cases open and close only where the
    RG fold runs, at the score before it and at the review)."""
    for entry in reversed(p.risk_trail):
        if len(entry) == TRAIL_LEN:
            return entry[2]
    return case_floor(p)


def level_at(p: ProtectionState, at_us: int, rules: RgRules | None = None,
             cfg: MarkerConfig = DEFAULT_CONFIG) -> str:
    """The level at any moment, for readers (reports, back office): the memory as it stood
    after the last score at or before `at_us` (`risk_trail`), with the calm rule run on to
    `at_us` under the calm_days of that moment. Agrees with the fold at every event and,
    between events, with what the fold records when it catches up at the next one."""
    trail = _trail(p)
    i = bisect.bisect_right([t[0] for t in trail], at_us)
    if not i:
        return "none"
    entry = trail[i - 1]
    memory, _ = calm_steps([entry[1], entry[3], *entry[4:8]], at_us, entry[8] * DAY_US)
    return LEVELS[max(memory[0], entry[2])]


def peak_at(p: ProtectionState, at_us: int) -> tuple[str, int | None]:
    """The highest level over the PEAK_DAYS days up to `at_us` (counting the level in force
    when the window opened) and when the player last reached it."""
    start = at_us - PEAK_DAYS * DAY_US
    best, best_us = "none", None
    before, before_us = "none", None
    for entry in p.risk_history:
        t, level = entry[0], entry[1]
        if t > at_us:
            break
        if t <= start:
            before, before_us = level, t
        elif RANK[level] >= RANK[best]:
            best, best_us = level, t
    if RANK[before] > RANK[best]:
        best, best_us = before, before_us
    return best, best_us


def episode_start(p: ProtectionState) -> int | None:
    """When the current risk episode began: the first change away from "none" after the
    last time the level was "none"."""
    start = None
    for at_us, level, *_ in reversed(p.risk_history):
        if level == "none":
            break
        start = at_us
    return start


# --- the fold ----------------------------------------------------------------------------------
def _record(p: ProtectionState, at_us: int, level: str, names: list[str], points: int, version: str,
            cause: str) -> None:
    p.risk_level, p.risk_since_us = level, at_us
    p.risk_history.append([at_us, level, names, points, version, p.risk_bp, p.risk_model, cause])
    if len(p.risk_history) > HISTORY_KEEP:
        del p.risk_history[0]


def _remember(p: ProtectionState, at_us: int, memory: list[int], stepped: bool, calm_days: int) -> None:
    """Keep the memory in the trail for `level_at`. A score that only refreshes evidence
    (same level, same floor, no step down) updates the last entry in place: no step down
    was due before it, and later evidence only puts the next one later, so the level the
    entry gives at every moment up to now is unchanged."""
    floor = case_floor(p)
    entry = [at_us, memory[0], floor, memory[1], *memory[2:6], calm_days]
    trail = p.risk_trail
    last = trail[-1] if trail and len(trail[-1]) == TRAIL_LEN else None
    if last is None and not memory[0] and not floor:
        return
    if last is not None and (last[0] > at_us or (not stepped and last[1] == memory[0] and last[2] == floor
                                                  and last[8] == calm_days)):
        last[1:] = entry[1:]          # a late event: the trail stays in time order
        return
    trail.append(entry)
    if len(trail) > HISTORY_KEEP:
        del trail[0]


def settle(state: PlayerState, event: Event, at_us: int, facts: list[str],
           cfg: MarkerConfig = DEFAULT_CONFIG, rules: RulesInForce | None = None,
           features: FeatureConfig | None = None) -> None:
    """Drop markers that decayed away, score, move the level by the memory rules (recording
    each change with the configuration and model versions that made it), then intervene."""
    p = state.protection
    for name in [n for n, m in p.markers.items() if effective_severity(m, at_us, cfg) <= 0]:
        del p.markers[name]
    in_force = rules or default_rules()
    rg = in_force.of(state.profile.get("jurisdiction")).rg
    model = in_force.rg_model or DEFAULT_SCORECARD
    result = score(model, model_inputs(state, at_us, features, cfg))
    points, names = risk_score(p.markers, at_us, cfg)
    p.risk_score, p.risk_bp, p.risk_model, p.risk_config = points, result.basis_points, model.version, in_force.version
    p.risk_top = [[c.input, round(c.value, 2), round(100 * c.log_odds)] for c in result.contributions[:TOP]]

    before = p.risk_level
    floor = _trail_floor(p)
    memory, steps = calm_steps(_memory(p), at_us, rg.calm_days * DAY_US)
    for due, rank in steps:                       # calm steps the clock made since the last score
        level = LEVELS[max(rank, floor)]
        if level != p.risk_level:   # no markers named: they are as of now, not of the moment it fell due
            _record(p, due, level, [], points, in_force.version, "calm")
    memory = observed(memory, raw_rank(p, at_us, rg, cfg), at_us)
    p.risk_memory = memory
    floor = case_floor(p)                          # a review folded at this event closed the cases
    level = LEVELS[max(memory[0], floor)]
    if level != p.risk_level:
        cause = ("score" if memory[0] >= RANK[level] else "case") if RANK[level] > RANK[p.risk_level] else "review"
        _record(p, at_us, level, names, points, in_force.version, cause)
    if p.risk_level != before:
        facts.append(RISK_CHANGED)
    from croupier.protection.interventions import intervene

    intervene(state, event, at_us, rg, facts, names, in_force.version)
    _remember(p, at_us, memory, bool(steps), rg.calm_days)
    p.peak_level, p.peak_us = peak_at(p, at_us)


# --- explanations ------------------------------------------------------------------------------
def _money(v: float) -> str:
    """EUR-equivalent (a scale, not an exchange rate: protection.measures), so marked ≈."""
    return f"≈{v:,.0f} EUR" if abs(v) >= 10 else f"≈{v:,.2f} EUR"


def _count(v: float) -> str:
    return f"{v:,.0f}" if v == int(v) else f"{v:,.1f}"


INPUT_WORDS: dict[str, tuple[str, Any]] = {
    "stake_per_active_day_30": ("stakes per betting day", _money),
    "stake_per_active_day_90": ("stakes per betting day (90 days)", _money),
    "bets_per_active_day_30": ("bets per betting day", _count),
    "bets_per_active_day_90": ("bets per betting day (90 days)", _count),
    "active_days_30": ("betting days", lambda v: f"{v:.0f} of the last 30"),
    "active_days_90": ("betting days", lambda v: f"{v:.0f} of the last 90"),
    "active_share_30": ("share of days with a bet (30 days)", lambda v: f"{100 * v:.0f}%"),
    "active_share_90": ("share of days with a bet (90 days)", lambda v: f"{100 * v:.0f}%"),
    "stake_cv_30": ("variation of stakes (CV)", lambda v: f"{v:.2f}"),
    "stake_trend_30": ("stakes of the last 15 days against the 15 before", lambda v: f"×{math.exp(v):.1f}"),
    "products_30": ("products played", _count),
    "net_loss_30": ("net loss over 30 days", _money),
    "net_loss_90": ("net loss over 90 days", _money),
    "loss_to_deposit_30": ("net loss against deposits (30 days)", lambda v: f"{100 * v:.0f}%"),
    "loss_to_deposit_90": ("net loss against deposits (90 days)", lambda v: f"{100 * v:.0f}%"),
    "deposit_count_30": ("deposits in 30 days", _count),
    "stakes_30": ("stakes over 30 days", _money),
    "deposits_30": ("deposits over 30 days", _money),
    "late_share_30": ("share of bets placed late at night", lambda v: f"{100 * v:.0f}%"),
}


def contribution_words(name: str, value: float, log_odds: float) -> str:
    """One term in plain words: "stakes per betting day ≈412 EUR (+0.9)"."""
    if name.startswith("marker:"):
        text = f"marker {name[7:].replace('_', ' ')} at severity {value:.0f}"
    elif name in INPUT_WORDS:
        label, fmt = INPUT_WORDS[name]
        text = f"{label} {fmt(value)}"
    else:
        text = f"{name.replace('_', ' ')} {value:,.2f}"
    return f"{text} ({log_odds:+.1f})"


def _day(us: int) -> str:
    return datetime.fromtimestamp(us / 1_000_000, tz=timezone.utc).strftime("%Y-%m-%d")


def held(p: ProtectionState, at_us: int, rg: RgRules) -> str | None:
    """Why the level at `at_us` stands above what the last score alone reaches: a look
    marker (low), an open RG case, or memory (no `calm_days` of calm yet); as a reason code,
    None when it does not."""
    level = level_at(p, at_us)
    if RANK[level] <= RANK[level_for(p.risk_bp, rg.levels)]:
        return None
    look = look_marker(p, at_us, rg)
    if level == "low" and look is not None:
        return f"{LOOK}:{look[0]}:{look[1]}"
    trail = _trail(p)
    i = bisect.bisect_right([t[0] for t in trail], at_us)
    entry = trail[i - 1] if i else None
    if entry is not None and entry[2] >= RANK[level]:
        return f"{HELD_CASE}:{level}"
    if entry is None:
        return None
    memory, _ = calm_steps([entry[1], entry[3], *entry[4:8]], at_us, entry[8] * DAY_US)
    until = hold_until(memory, entry[8] * DAY_US)
    return f"{HELD_CALM}:{level}:{entry[8]}d:{_day(until)}" if until is not None else None


def explain(p: ProtectionState, at_us: int, rg: RgRules | None = None) -> dict[str, Any]:
    """The risk as staff and the API show it: the score, the level (and what the score
    alone reaches), the peak of the last 90 days, why a level is held, and the terms that
    raised the score in plain words, largest first."""
    rg = rg or RgRules()
    level = level_at(p, at_us) if _trail(p) else p.risk_level
    peak, peak_us = peak_at(p, at_us)
    if RANK[level] > RANK[peak]:
        peak, peak_us = level, p.risk_since_us
    code = held(p, at_us, rg)
    total = sum(c[2] for c in p.risk_top) or 1
    from croupier.compliance.reasons import text_of

    return {
        "score": round(p.risk_bp / 10_000, 4), "score_bp": p.risk_bp, "score_text": f"{p.risk_bp / 10_000:.2f}",
        "level": level, "score_level": level_for(p.risk_bp, rg.levels),
        "score_levels": rg.levels, "calm_days": rg.calm_days,
        "peak_level": peak, "peak_at": _iso(peak_us),
        "held": None if code is None else {"code": code, "text": text_of(code)},
        "contributions": [{"input": name, "value": value, "log_odds": lo / 100, "share": round(lo / total, 3),
                           "text": contribution_words(name, value, lo / 100)} for name, value, lo in p.risk_top],
        "model_version": p.risk_model or None, "config_version": p.risk_config or None,
        "marker_points": p.risk_score,
    }


def _iso(us: int | None) -> str | None:
    if us is None:
        return None
    return datetime.fromtimestamp(us / 1_000_000, tz=timezone.utc).isoformat().replace("+00:00", "Z")
