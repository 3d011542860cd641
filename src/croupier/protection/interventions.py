"""RG interventions by risk level, as the player's jurisdiction configures them (`rg` in
compliance/rules.py):

- soft: a safer-play message with a suggested deposit limit;
- firm: promotions paused and reality checks forced while the level holds, and a message
  that asks the player to set a limit (the "mandatory limit offered");
- human: a case for an RG officer to call the player (open until reviewed);
- hard_stop: deposits blocked pending review (`deposits_blocked`, which the ledger reads).

Taken inside the fold (`protection.risk.settle`), so replay reproduces them; `engine.react`
turns each new one into a safer-play Proposal for the gate. The message variant (A/B) is
fixed per player, so the effectiveness report can compare variants.
"""

from __future__ import annotations

import hashlib

from croupier.compliance.rules import RgRules
from croupier.events import Event
from croupier.players.protection_state import fold_review, InterventionView, ProtectionState
from croupier.players.state import DAY_US, DEP_N, DEP_SUM, PlayerState
from croupier.protection.detecting import median, windows
from croupier.protection.markers import DEFAULT_CONFIG, RG_INTERVENTION
from croupier.protection.risk import RANK, episode_start

KINDS = ("soft", "firm", "human", "hard_stop")
KEEP = 32
# The safer-play message each intervention sends (template names; variants in params).
MESSAGES = {"soft": "rg_safer_play", "firm": "rg_limit_offer", "human": "rg_support_call",
            "hard_stop": "rg_deposits_paused"}


def threshold(rules: RgRules, kind: str) -> str | None:
    return getattr(rules, f"{kind}_at")


def variant_for(player_id: str, variants: list[str]) -> str:
    """The player's message variant: stable across processes and replays (not `hash()`)."""
    digest = hashlib.sha256(f"rg-variant|{player_id}".encode()).digest()
    return variants[int.from_bytes(digest[:4], "big") % len(variants)]


def due(p: ProtectionState, rules: RgRules, at_us: int) -> list[str]:
    """The interventions the current level calls for that have not been taken recently: the
    same kind at most once per `repeat_after_days`, and again only on fresh evidence (a
    score at or above the kind's level after the last one and within the last
    `repeat_after_days`: a level held by memory or by an open case does not repeat them); one open human case and one hard stop at a time, and
    neither again after a review without fresh evidence since it; no soft message when a
    firm one goes out at the same moment (it carries the suggested limit too)."""
    rank = RANK[p.risk_level]
    evidence = p.risk_memory[2:6] if len(p.risk_memory) == 6 else None
    out = []
    for kind in KINDS:
        at = threshold(rules, kind)
        if at is None or rank < RANK[at]:
            continue
        if kind == "hard_stop" and p.deposits_blocked:
            continue
        if kind == "human" and any(i.kind == "human" and i.status == "open" for i in p.interventions):
            continue
        fresh = evidence[RANK[at] - 1] if evidence is not None else at_us
        if kind in ("human", "hard_stop") and p.reviewed_us and fresh <= p.reviewed_us:
            continue
        last = next((i for i in reversed(p.interventions) if i.kind == kind), None)
        repeat = rules.repeat_after_days * DAY_US
        if last is not None and (at_us - last.at_us < repeat or fresh <= max(last.at_us, at_us - repeat)):
            continue
        out.append(kind)
    if "soft" in out and "firm" in out:
        out.remove("soft")
    return out


def intervene(state: PlayerState, event: Event, at_us: int, rules: RgRules, facts: list[str],
              markers: list[str], config_version: str = "") -> list[InterventionView]:
    """Apply the level's standing measures and record the interventions now due, with the
    configuration version whose rules called for them."""
    p = state.protection
    rank = RANK[p.risk_level]
    firm = threshold(rules, "firm")
    holding = firm is not None and rank >= RANK[firm]
    p.promotions_paused = p.reality_check_forced = holding  # lifted when the level falls below
    kinds = due(p, rules, at_us)
    if "hard_stop" in kinds:
        p.deposits_blocked = True    # stays until a review lifts it (`review`)
    taken: list[InterventionView] = []
    if not kinds:
        return taken
    variant = variant_for(state.player_id, rules.variants)
    alert = episode_start(p) or at_us
    for kind in kinds:
        view = InterventionView(kind=kind, at_us=at_us, level=p.risk_level, cause_event_id=event.event_id,
                                alert_us=alert, markers=list(markers), variant=variant,
                                status="open" if kind == "human" else "done", config_version=config_version,
                                model_version=p.risk_model)
        p.interventions.append(view)
        taken.append(view)
    if len(p.interventions) > KEEP:
        closed = [i for i, v in enumerate(p.interventions) if v.status != "open"]
        for index in reversed(closed[: len(p.interventions) - KEEP]):
            del p.interventions[index]
    facts.append(RG_INTERVENTION)
    return taken


def review(p: ProtectionState, at_us: int, *, lift_hard_stop: bool) -> None:
    """An RG officer's review (folded from `croupier.rg_reviewed` facts, see
    protection.reviews): closes open cases and, if they decide so, lifts the hard stop."""
    fold_review(p, at_us, lift_hard_stop)


def suggested_deposit_limit(state: PlayerState, at_us: int) -> int | None:
    """A weekly deposit limit to suggest: what the player deposited per week over their
    baseline (before the recent days that raised the alarm), else twice their median
    deposit; rounded down to two significant digits. Minor units, or None without deposits."""
    recent, baseline = windows(state, at_us, DEFAULT_CONFIG)
    total = count = 0
    for day in baseline:
        bucket = state.days.get(day)
        if bucket is not None:
            total += bucket[DEP_SUM]
            count += bucket[DEP_N]
    if count and baseline:
        weekly = total * 7 // len(baseline)
    else:
        amounts = [d[1] for d in state.rg.deposits]
        if not amounts:
            return None
        weekly = int(2 * median(amounts))
    if weekly <= 0:
        return None
    digits = len(str(weekly))
    step = 10 ** max(0, digits - 2)
    return max(step, weekly // step * step)
