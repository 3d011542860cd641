"""A journey's results, and the global holdout's: who was in which arm (from the journey
records the engine writes to the audit log), what they did in their measurement window
(from the raw events of the log), and the uplift against the control with its intervals and
a verdict (`uplift.measure`). docs/measurement.md explains every figure.

Reads only: the audit log's `journey.record` entries (entered, held out, converted) and the
event log's money events. A player counts once, from their first entry into the journey
(held out or not); a re-entry does not make a second row. Players are compared as assigned:
the control is the journey's holdout, and a player who entered gets the variant the
journey's first split gives them (the same hash the engine uses, `journeys.assign`), whether
or not they have reached the split yet, so the arms stay random samples of the same players.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from croupier.analytics.observations import MONEY_TYPES, ROLLBACK, Money, Window, player_money
from croupier.analytics.uplift import (
    DEFAULT_TUNING, ArmResult, Comparison, Estimate, Interval, Observation, Report, arm_result, measure,
)
from croupier.compliance.holdout import holdout_bucket, measurement_of, threshold
from croupier.compliance.rules import rules_in_force
from croupier.events.money import format_amount
from croupier.journeys import Journey, Split, assign, from_json, seconds
from croupier.journeys.engine_shell import RECORD
from croupier.players import moment
from croupier.store import journeys as journey_store
from croupier.store.schema import audit_log, events, players

DAY_US = 86_400_000_000
CONTROL = "control"
JOURNEY_ARM = "journey"
GLOBAL_HOLDOUT = "global_holdout"
PROGRAMME = "programme"
_CHUNK = 500

VERDICT_WORDS = {
    "better": "significant: {variant} converts more players than {control}, and this stays true however often "
              "the result is looked at",
    "worse": "significant: {variant} converts fewer players than {control}; stop it",
    "not yet significant": "not yet significant: the data cannot yet tell the uplift of {variant} from chance; "
                           "keep it running",
    "sample ratio mismatch": "not readable: the players did not split as configured, so no uplift is shown until "
                             "the cause is found",
    "too few players": "not yet significant: too few players in {variant} or {control} to say anything yet",
}


class NotMeasurable(ValueError):
    """The journey cannot be measured as asked (no goal, an unknown goal or currency)."""


@dataclass(frozen=True, slots=True)
class Member:
    """One player of a measured split: their arm and the moment their window opens."""

    player_id: str
    arm: str
    start_us: int
    entry_id: str = ""


def _iso(us: int) -> str:
    return moment(us).isoformat().replace("+00:00", "Z")


def _money(minor: int, currency: str) -> str:
    return ("-" if minor < 0 else "") + format_amount(abs(minor), currency)


# -- reading -----------------------------------------------------------------------------------
def journey_records(conn: Connection, key: str) -> list[tuple[str, int, dict[str, Any]]]:
    """(player_id, at_us, body) of the journey's entries, holdouts and conversions, in log order."""
    # bodies are canonical JSON (compliance.canonical_body: compact, keys sorted), so the key
    # narrows the scan in SQL; the exact test is below (`_` in a key is LIKE's any-character)
    rows = conn.execute(select(audit_log.c.player_id, audit_log.c.at_us, audit_log.c.body)
                        .where(audit_log.c.kind == RECORD, audit_log.c.body.like(f'%"journey":"{key}"%'))
                        .order_by(audit_log.c.seq))
    out = []
    for pid, at_us, raw in rows:
        body = json.loads(raw) if isinstance(raw, str) else raw
        if body.get("journey") == key and body.get("kind") in ("entered", "held_out", "converted"):
            out.append((pid, int(at_us), body))
    return out


def _money_rows(conn: Connection, player_ids: list[str], since_us: int,
                until_us: int) -> tuple[list[tuple[str, str, str, int, dict[str, Any]]], set[str]]:
    """The players' money events in [since_us, until_us), and the ids any rollback undid."""
    rows: list[tuple[str, str, str, int, dict[str, Any]]] = []
    undone: set[str] = set()
    for start in range(0, len(player_ids), _CHUNK):
        chunk = player_ids[start:start + _CHUNK]
        stmt = (select(events.c.event_id, events.c.player_id, events.c.type, events.c.occurred_at_us,
                       events.c.payload)
                .where(events.c.player_id.in_(chunk),
                       or_(and_(events.c.type.in_(MONEY_TYPES), events.c.occurred_at_us >= since_us,
                                events.c.occurred_at_us < until_us),
                           events.c.type == ROLLBACK)))
        for event_id, pid, kind, at_us, payload in conn.execute(stmt):
            body = json.loads(payload)
            if kind == ROLLBACK:
                ref = body.get("ref_event_id")
                if isinstance(ref, str):
                    undone.add(ref)
            else:
                rows.append((event_id, pid, kind, int(at_us), body))
    return rows, undone


def _currencies(conn: Connection, player_ids: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(player_ids), _CHUNK):
        chunk = player_ids[start:start + _CHUNK]
        found.update({pid: cur for pid, cur in conn.execute(
            select(players.c.player_id, players.c.currency).where(players.c.player_id.in_(chunk))) if cur})
    return found


# -- the split of a journey -------------------------------------------------------------------------
def first_split(journey: Journey) -> Split | None:
    return next((s for s in journey.steps if isinstance(s, Split)), None)


def weights_of(journey: Journey) -> dict[str, float]:
    """The configured share of each arm, in percent of the players who enter: the control is
    the holdout; the rest is shared by the first split's variants (one arm without a split)."""
    rest = 100 - journey.holdout_percent
    split = first_split(journey)
    arms: dict[str, float] = {}
    if split is None:
        arms[JOURNEY_ARM] = float(rest)
    else:
        total = sum(v.weight for v in split.variants)
        for v in split.variants:
            arms[v.name] = rest * v.weight / total
    if journey.holdout_percent:
        arms[CONTROL] = float(journey.holdout_percent)
    return {arm: w for arm, w in arms.items() if w > 0}


def members(journey: Journey, records: Iterable[tuple[str, int, dict[str, Any]]]) -> tuple[list[Member], dict[str, set[str]]]:
    """Each player's first entry as a member of an arm, and the goals each entry reached."""
    split = first_split(journey)
    first: dict[str, Member] = {}
    reached: dict[str, set[str]] = {}
    for pid, at_us, body in records:
        kind = body["kind"]
        if kind == "converted":
            goal = body.get("detail", {}).get("goal") or body.get("reason", "").partition(":")[2]
            reached.setdefault(body.get("entry_id", ""), set()).add(goal)
        elif pid not in first:
            if kind == "held_out":
                arm = CONTROL
            elif split is None:
                arm = JOURNEY_ARM
            else:   # as recorded at entry; entries recorded before variants were noted: the same hash
                recorded = body.get("detail", {}).get("variants", {})
                arm = recorded.get(split.id) or assign(journey.key, split.id, pid, split.variants).name
            first[pid] = Member(pid, arm, at_us, body.get("entry_id", ""))
    return list(first.values()), reached


# -- the answer ---------------------------------------------------------------------------------------
def _interval(i: Interval | None) -> dict[str, Any] | None:
    return None if i is None else {"low": i.low, "high": i.high}


def _estimate(e: Estimate) -> dict[str, Any]:
    return {"control": e.control_mean, "variant": e.treatment_mean, "absolute": e.absolute,
            "interval_95": _interval(e.absolute_ci), "sequence_95": _interval(e.absolute_cs),
            "relative": e.relative, "relative_interval_95": _interval(e.relative_ci),
            "relative_sequence_95": _interval(e.relative_cs)}


def _comparison(c: Comparison, mismatch: bool) -> dict[str, Any]:
    significant = c.verdict in ("better", "worse")
    words = VERDICT_WORDS[c.verdict].format(variant=c.treatment.replace("_", " "),
                                            control=c.control.replace("_", " "))
    out: dict[str, Any] = {"variant": c.treatment, "against": c.control, "verdict": c.verdict,
                           "significant": significant, "words": words, "reason": c.reason, "primary": c.primary}
    if mismatch:   # an uplift read from a broken split misleads: withheld, not footnoted
        out["metrics"] = None
        return out
    out["metrics"] = {e.metric: {**_estimate(e.cuped), "variance_reduction": round(e.variance_reduction, 4),
                                 "plain": _estimate(e.plain)} for e in c.effects}
    return out


def _arm_view(a: ArmResult, currency: str, control: str | None) -> dict[str, Any]:
    return {"arm": a.arm, "control": a.arm == control, "players": a.players, "conversions": a.conversions,
            "conversion_rate": a.conversion_rate,
            "deposits": _money(a.deposits, currency), "deposits_minor": a.deposits,
            "ggr": _money(a.ggr, currency), "ggr_minor": a.ggr,
            "deposits_per_player_minor": a.deposits_mean, "ggr_per_player_minor": a.ggr_mean}


def report_view(report: Report, currency: str, control: str | None) -> dict[str, Any]:
    """A report as the API and the back office show it: money sums as decimal strings of the
    currency and in minor units, means per player in minor units (decimals), shares as decimals."""
    srm = report.srm
    return {
        "currency": currency,
        "arms": [_arm_view(a, currency, control) for a in report.arms],
        "sample_ratio": {"observed": dict(srm.observed), "expected": {k: round(v, 2) for k, v in srm.expected.items()},
                         "chi_square": round(srm.statistic, 4), "p_value": float(f"{srm.p_value:.4g}"),
                         "mismatch": srm.mismatch, "threshold": srm.threshold,
                         "words": ("the players did not split as configured: fix the assignment or the data before "
                                   "reading any uplift") if srm.mismatch else
                                  "the players split as configured (no sample-ratio mismatch)"},
        "comparisons": [_comparison(c, srm.mismatch) for c in report.comparisons],
        "alpha": report.alpha, "tuning": report.tuning,
    }


def _measure(conn: Connection, config: Any, who: list[Member], window_us: int, pre_us: int,
             weights: Mapping[str, float], control: str, reached: Mapping[str, set[str]] | None, goal: str | None,
             currency: str | None, tuning: float) -> dict[str, Any]:
    """Observations of `who` from the raw events, measured; `reached` (entry -> goals) decides
    conversion when given, else an approved deposit in the window does."""
    ids = [m.player_id for m in who]
    if currency is None:
        counts = Counter(_currencies(conn, ids).values())
        currency = counts.most_common(1)[0][0] if counts else "EUR"
    rates = rules_in_force(config).rates
    windows = {m.player_id: Window(m.start_us, m.start_us + window_us, m.start_us - pre_us) for m in who}
    since = min((w.pre_start_us for w in windows.values()), default=0)
    until = max((w.end_us for w in windows.values()), default=0)
    rows, undone = _money_rows(conn, ids, since, until)
    money = player_money(rows, windows, currency, rates, undone)
    observations, left_out = [], 0
    for m in who:
        got: Money = money[m.player_id]
        if got.unconvertible:
            left_out += 1
            continue
        converted = goal in reached.get(m.entry_id, ()) if reached is not None else got.deposited
        observations.append(Observation(m.arm, converted, got.deposits, got.ggr, got.pre_deposits, got.pre_ggr))
    arms_present = {o.arm for o in observations} | set(weights)
    unknown = sorted(arms_present - set(weights))
    if unknown:   # a variant removed from the split since: its players are not part of this split
        observations = [o for o in observations if o.arm in weights]
    report = measure(observations, weights, control, tuning=tuning) if control in weights and len(weights) > 1 \
        else None
    view: dict[str, Any]
    if report is None:
        by_arm: dict[str, list[Observation]] = {a: [] for a in weights}
        for o in observations:
            by_arm[o.arm].append(o)
        arms = [arm_result(a, rows_) for a, rows_ in by_arm.items()]
        view = {"currency": currency, "arms": [_arm_view(a, currency, None) for a in arms],
                "significant": False, "sample_ratio": None, "comparisons": [], "alpha": None, "tuning": tuning,
                "words": "no control group: this journey holds nobody out, so there is no uplift to measure "
                         "(set a holdout to measure it)"}
    else:
        view = report_view(report, currency, control)
        significant = [c for c in view["comparisons"] if c["significant"]]
        view["words"] = "; ".join(f"{c['variant']}: {c['words']}" for c in view["comparisons"]) or \
            "nothing to compare yet"
        view["significant"] = bool(significant)
    view["excluded"] = {"no_rate": left_out, "removed_variants": unknown}
    view["measured_players"] = len(observations)
    return view


def journey_results(conn: Connection, journey_id: int, config: Any, now_us: int, *, goal: str | None = None,
                    currency: str | None = None, tuning: float = DEFAULT_TUNING) -> dict[str, Any] | None:
    """The results of a journey (None: no such journey); `measurable` is False when it has no
    goal to convert. Raises NotMeasurable when the goal asked for does not exist."""
    stored = journey_store.get(conn, journey_id)
    if stored is None:
        return None
    number = stored.live_version or stored.latest_version
    version = journey_store.version(conn, journey_id, number)
    assert version is not None
    journey = from_json(version.definition)
    head = {"journey_id": journey_id, "key": journey.key, "name": journey.name, "version": number,
            "status": stored.status, "as_of": _iso(now_us), "holdout_percent": journey.holdout_percent}
    if not journey.goals:
        return {**head, "measurable": False, "significant": False, "arms": [], "comparisons": [],
                "words": "nothing to measure: the journey has no goal; add one with its conversion window"}
    chosen = next((g for g in journey.goals if g.name == goal), None) if goal else journey.goals[0]
    if chosen is None:
        raise NotMeasurable(f"journey {journey.key} has no goal {goal!r}; its goals: "
                            f"{', '.join(g.name for g in journey.goals)}")
    window_us = seconds(chosen.window) * 1_000_000
    who, reached = members(journey, journey_records(conn, journey.key))
    weights = weights_of(journey)
    measured = _measure(conn, config, who, window_us, window_us, weights, CONTROL, reached, chosen.name,
                        currency, tuning)
    still_open = sum(1 for m in who if m.start_us + window_us > now_us)
    return {**head, "measurable": True, "goal": chosen.name, "goal_event": chosen.event,
            "window_seconds": window_us // 1_000_000, "pre_period_seconds": window_us // 1_000_000,
            "split": (first_split(journey).id if first_split(journey) else None),
            "weights": weights, "players": len(who), "windows_open": still_open, **measured}


def global_holdout_results(conn: Connection, config: Any, now_us: int, *, days: int = 28,
                           currency: str | None = None, tuning: float = DEFAULT_TUNING) -> dict[str, Any]:
    """The whole CRM programme against the global holdout over the last `days` days: every
    known player is in one of the two arms (by the same fixed hash the gate uses); conversion
    is an approved deposit in the period; the pre-period is the `days` before it."""
    percent = measurement_of(config).global_holdout_percent
    window_us = days * DAY_US
    start = now_us - window_us
    base = {"as_of": _iso(now_us), "period_start": _iso(start), "days": days, "percent": percent,
            "config_version": config.version}
    if not percent:
        return {**base, "players": 0, "arms": [], "comparisons": [], "sample_ratio": None, "significant": False,
                "words": "no global holdout is set (measurement.global_holdout_percent is 0): set a small share "
                         "in the configuration to measure what the whole programme adds"}
    cut = threshold(percent)
    ids = [pid for (pid,) in conn.execute(select(players.c.player_id))]
    who = [Member(pid, GLOBAL_HOLDOUT if holdout_bucket(pid) < cut else PROGRAMME, start) for pid in ids]
    weights = {PROGRAMME: 100 - percent, GLOBAL_HOLDOUT: percent}
    measured = _measure(conn, config, who, window_us, window_us, weights, GLOBAL_HOLDOUT, None, None,
                        currency, tuning)
    return {**base, "players": len(who), **measured}
