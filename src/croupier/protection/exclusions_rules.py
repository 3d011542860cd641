"""Pure exclusion rules: periods, scopes, validation of a request, early end and reactivation.

No storage and no clock here: every function takes the jurisdiction's rules and `now`, so a
decision can be explained and tested from its inputs alone.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from croupier.compliance.rules import JurisdictionRules

INDEFINITE = "indefinite"
KINDS = ("self_exclusion", "timeout", "cooling_off", "panic", "closure", "register", "operator")
PLAYER_KINDS = ("self_exclusion", "timeout", "cooling_off", "panic", "closure")
SCOPES = ("brand", "operator", "national")
DEFAULT_PANIC_HOURS = 24

_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


class ExclusionRefused(ValueError):
    """A request or an end the rules do not allow; `allowed` lists what would be accepted."""

    def __init__(self, message: str, allowed: list[str] | None = None):
        super().__init__(message)
        self.message, self.allowed = message, allowed or []

    def as_dict(self) -> dict:
        out: dict = {"error": self.message}
        if self.allowed:
            out["allowed"] = self.allowed
        return out


def parse_period(text: str) -> tuple[int, int, int, int, int]:
    """ISO 8601 duration -> (years, months, weeks, days, minutes); e.g. "P6M", "P1Y", "PT24H"."""
    match = _DURATION.match(text.strip().upper()) if text else None
    if match is None or not any(match.groups()):
        raise ExclusionRefused(f"{text!r} is not an ISO 8601 duration such as P7D, P6M, P1Y or PT24H")
    y, mo, w, d, h, mi = (int(g) if g else 0 for g in match.groups())
    return y, mo, w, d, h * 60 + mi


def add_period(start: datetime, period: str) -> datetime:
    """`start` plus an ISO 8601 duration; calendar months and years keep the day of month
    where it exists and clamp to the month's last day otherwise (31 Jan + P1M = 28/29 Feb)."""
    years, months, weeks, days, minutes = parse_period(period)
    total_months = start.month - 1 + months + 12 * years
    year, month = start.year + total_months // 12, total_months % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day) + timedelta(weeks=weeks, days=days, minutes=minutes)


def period_length(period: str, reference: datetime) -> timedelta:
    return add_period(reference, period) - reference


def widest(a: str, b: str | None) -> str:
    """The wider of two scopes: a player may ask for more protection, never for less."""
    if b not in SCOPES:
        return a
    return a if SCOPES.index(a) >= SCOPES.index(b) else b  # type: ignore[arg-type]


def covers(scope: str, excluded_brand: str, brand: str) -> bool:
    """Whether an exclusion of `scope` taken on `excluded_brand` blocks an account on `brand`
    of the same person. Operator and national scopes cover every brand of this operator."""
    return scope != "brand" or excluded_brand == brand


@dataclass(frozen=True, slots=True)
class Plan:
    """What an accepted request becomes: its period's end, and when it lifts by itself."""

    kind: str
    scope: str
    period: str | None
    period_ends: datetime | None       # None: indefinite
    until: datetime | None             # None: lifts only by an explicit end
    note: str | None = None            # e.g. how a PAM's period was mapped onto the rules


def _allowed(kind: str, rules: JurisdictionRules) -> list[str]:
    x = rules.exclusions
    if kind == "self_exclusion":
        return list(x.self_exclusion_periods)
    if kind in ("timeout", "cooling_off"):
        return list(x.timeout_periods)
    return []


def plan_request(kind: str, period: str | None, rules: JurisdictionRules, now: datetime, *,
                 scope: str | None = None, until: datetime | None = None, lenient: bool = False) -> Plan:
    """Validate a request against the rules and plan it. `lenient` (a PAM's request already made
    by the player) maps a period the rules do not offer onto the nearest longer one instead of
    refusing: a protective request is never dropped."""
    x = rules.exclusions
    if kind not in KINDS:
        raise ExclusionRefused(f"unknown exclusion kind {kind!r}", list(KINDS))
    if scope is not None and scope not in SCOPES:
        raise ExclusionRefused(f"unknown scope {scope!r}", list(SCOPES))
    rule_scope = widest(x.scope, scope) if kind in PLAYER_KINDS else (scope or x.scope)
    if kind == "panic":
        hours = x.panic_button_hours or DEFAULT_PANIC_HOURS
        ends = now + timedelta(hours=hours)
        return Plan(kind, rule_scope, f"PT{hours}H", ends, ends)
    if kind == "closure":
        return Plan(kind, scope if scope in SCOPES else "brand", None, None, None)
    if kind == "register":
        return Plan(kind, "national", None, until, until)
    if kind == "operator":
        if period and period != INDEFINITE:
            ends = add_period(now, period)
        else:
            ends = until
        return Plan(kind, rule_scope, period or (None if until else INDEFINITE), ends, ends)
    # self_exclusion, timeout, cooling_off: the period must be one the rules offer
    allowed = _allowed(kind, rules)
    note = None
    if not period:
        raise ExclusionRefused(f"a {kind} needs a period", allowed or ["an ISO 8601 duration, e.g. P7D"])
    period = period.strip().upper() if period.strip().lower() != INDEFINITE else INDEFINITE
    if period != INDEFINITE:
        parse_period(period)
    if allowed and period not in allowed:
        if not lenient:
            raise ExclusionRefused(
                f"{period} is not a {kind.replace('_', '-')} period offered in {rules.code}", allowed)
        period, note = _nearest_longer(period, allowed, now), f"requested {period}, not offered in {rules.code}"
        note += f"; applied {period}"
    if kind == "self_exclusion" and period != INDEFINITE and x.min_self_exclusion:
        if period_length(period, now) < period_length(x.min_self_exclusion, now):
            if not lenient:
                raise ExclusionRefused(f"a self-exclusion in {rules.code} lasts at least {x.min_self_exclusion}",
                                       allowed or [f">= {x.min_self_exclusion}", INDEFINITE])
            note = f"requested {period}, shorter than the minimum; applied {x.min_self_exclusion}"
            period = x.min_self_exclusion
    if kind != "self_exclusion" and period == INDEFINITE:
        raise ExclusionRefused(f"a {kind} cannot be indefinite; ask for a self-exclusion instead",
                               allowed or ["an ISO 8601 duration, e.g. P7D"])
    ends = None if period == INDEFINITE else add_period(now, period)
    lifts = ends if kind != "self_exclusion" or x.reactivation == "automatic" else None
    return Plan(kind, rule_scope, period, ends, lifts, note)


def _nearest_longer(period: str, allowed: list[str], now: datetime) -> str:
    if INDEFINITE in allowed and period == INDEFINITE:
        return INDEFINITE
    wanted = period_length(period, now) if period != INDEFINITE else None
    fixed = sorted((p for p in allowed if p != INDEFINITE), key=lambda p: period_length(p, now))
    if wanted is None:
        return fixed[-1] if fixed else INDEFINITE
    for p in fixed:
        if period_length(p, now) >= wanted:
            return p
    return INDEFINITE if INDEFINITE in allowed else fixed[-1]


@dataclass(frozen=True, slots=True)
class ExclusionFacts:
    """What the pure rules need to know about a stored exclusion. `imposed`: staff or a
    regulator started it (the player did not ask), so only the operator may end it."""

    kind: str
    started: datetime
    period: str | None
    period_ends: datetime | None
    until: datetime | None
    imposed: bool = False


def imposed_by_staff(kind: str, source: str | None) -> bool:
    """Whether an exclusion was imposed on the player rather than asked for: operator and
    register exclusions always; any other kind when staff started it (source "operator").
    A player's own request comes from the API (source "player") or the PAM ("pam:<brand>")."""
    if kind in ("operator", "register"):
        return True
    return not (source in (None, "", "player") or str(source).startswith("pam:"))


@dataclass(frozen=True, slots=True)
class EndPlan:
    allowed: bool
    reason: str
    effective_at: datetime | None = None   # when the account reopens (later than now: a cooling-off)


def may_end_early(x: ExclusionFacts, rules: JurisdictionRules, now: datetime) -> EndPlan:
    """Whether an exclusion may end before its chosen period is over, by the player's request."""
    if x.kind == "panic":
        return EndPlan(False, "a panic-button lock cannot be lifted early; it ends by itself "
                              f"at {_iso(x.until)}")
    if x.kind in ("register", "operator", "closure"):
        return EndPlan(False, f"a {x.kind} exclusion has no player-chosen period")
    if rules.exclusions.early_end_allowed:
        return EndPlan(True, f"{rules.code} allows ending a {x.kind.replace('_', '-')} early")
    return EndPlan(False, f"{rules.code} does not allow ending a {x.kind.replace('_', '-')} before its period "
                          f"({x.period}) is over; the earliest end is {_iso(earliest_end(x, rules))}")


def plan_end(x: ExclusionFacts, rules: JurisdictionRules, now: datetime, actor: str) -> EndPlan:
    """When (and whether) an exclusion ends at `actor`'s request: "player" (or a PAM on the
    player's behalf), "operator" (staff) or "register" (the register no longer lists them)."""
    r = rules.exclusions
    cooling = timedelta(hours=r.reactivation_cooling_hours)
    if x.kind == "register":
        if actor == "register":
            return EndPlan(True, "the register no longer lists the person", now)
        return EndPlan(False, "a register exclusion ends only when the register no longer lists the person")
    if x.kind == "operator":
        if actor == "player":
            return EndPlan(False, "an operator-imposed exclusion can only be lifted by the operator")
        return EndPlan(True, "lifted by the operator", now)
    if actor == "player" and x.imposed:
        return EndPlan(False, f"this {x.kind.replace('_', '-')} was imposed by staff, so it ends only by the "
                              "operator's decision, never at the player's request")
    if x.kind == "closure":
        at = now + cooling if r.reactivation == "on_request_after_cooling" else now
        return EndPlan(True, "account reopened on request" + (f" after a {r.reactivation_cooling_hours}h cooling-off"
                                                              if at > now else ""), at)
    if x.until is not None and x.until <= now:
        return EndPlan(False, f"already ended at {_iso(x.until)}")
    before_end = now < earliest_end(x, rules)
    if before_end:
        early = may_end_early(x, rules, now)
        if not early.allowed:
            return early
        minimum = minimum_end(x, rules)
        if actor == "player" and minimum is not None and now < minimum:
            return EndPlan(False, f"a self-exclusion in {rules.code} lasts at least "
                                  f"{rules.exclusions.min_self_exclusion}; a player's request cannot end it "
                                  f"before {_iso(minimum)}")
    if x.kind in ("timeout", "cooling_off", "panic"):
        return EndPlan(True, "ended early as the rules allow", now)
    if r.reactivation == "automatic" and not before_end:
        return EndPlan(True, "the period is over", now)
    if r.reactivation == "on_request_after_cooling":
        return EndPlan(True, f"reactivation on request after a {r.reactivation_cooling_hours}h cooling-off "
                             f"({rules.code})", now + cooling)
    return EndPlan(True, f"reactivation on request ({rules.code})", now)


REQUESTERS = ("player", "operator")
_PLAYER_PERIOD_KINDS = ("self_exclusion", "timeout", "cooling_off", "panic")


@dataclass(frozen=True, slots=True)
class EndingRules:
    """What the jurisdiction's rules allow for ending one exclusion now, for staff to read
    before they act: the reactivation rule in words, the earliest end of the chosen period,
    and the outcome of an end at the player's request and at the operator's."""

    jurisdiction: str
    reactivation: str
    early_end_allowed: bool
    cooling_hours: int
    earliest_end: datetime | None
    options: dict[str, EndPlan]

    def as_dict(self) -> dict:
        return {"jurisdiction": self.jurisdiction, "reactivation": self.reactivation,
                "early_end_allowed": self.early_end_allowed, "reactivation_cooling_hours": self.cooling_hours,
                "earliest_end": self.earliest_end.isoformat() if self.earliest_end else None,
                "options": {who: {"allowed": plan.allowed, "reason": plan.reason,
                                  "effective_at": plan.effective_at.isoformat() if plan.effective_at else None}
                            for who, plan in self.options.items()}}


def describe_reactivation(x: ExclusionFacts, rules: JurisdictionRules) -> str:
    """The rule that ends this kind of exclusion in this jurisdiction, in one sentence."""
    r = rules.exclusions
    if x.kind == "register":
        return "ends when the register no longer lists the person"
    if x.kind == "operator":
        return "lifted only by the operator"
    if x.kind == "panic":
        return "ends by itself after the lock's period; never early"
    if x.kind in ("timeout", "cooling_off"):
        early = "; early only by the operator (imposed by staff)" if x.imposed else "; early on request"
        return "ends by itself at the end of its period" + (early if r.early_end_allowed else "")
    cooling = f", then a {r.reactivation_cooling_hours} h cooling-off" if r.reactivation == "on_request_after_cooling" else ""
    if x.kind == "closure":
        return f"reopens on the player's request{cooling}"
    if r.reactivation == "automatic":
        return "lifts by itself when the period is over" + ("; the player may end it early" if r.early_end_allowed
                                                            else "; never before")
    when = "also before the period is over" if r.early_end_allowed else "not before the period is over"
    return f"ends on the player's request, {when}{cooling}"


def ending_rules(x: ExclusionFacts, rules: JurisdictionRules, now: datetime) -> EndingRules:
    """`plan_end` for each requester, with the rule behind it (pure: the same inputs always
    explain the same answer)."""
    return EndingRules(
        jurisdiction=rules.code, reactivation=describe_reactivation(x, rules),
        early_end_allowed=rules.exclusions.early_end_allowed and x.kind not in ("panic", "register", "operator"),
        cooling_hours=rules.exclusions.reactivation_cooling_hours,
        earliest_end=earliest_end(x, rules) if x.kind in _PLAYER_PERIOD_KINDS else None,
        options={who: plan_end(x, rules, now, who) for who in REQUESTERS})


def minimum_end(x: ExclusionFacts, rules: JurisdictionRules) -> datetime | None:
    """The end of the jurisdiction's minimum self-exclusion (`min_self_exclusion` from the
    start), before which no request of the player's ends one, even where early ends are allowed."""
    minimum = rules.exclusions.min_self_exclusion
    if x.kind != "self_exclusion" or not minimum:
        return None
    return add_period(x.started, minimum)


def earliest_end(x: ExclusionFacts, rules: JurisdictionRules) -> datetime:
    """The end of the chosen period; for an indefinite self-exclusion, the jurisdiction's
    minimum (else its shortest fixed period): indefinite must never be the weaker choice."""
    if x.period_ends is not None:
        return x.period_ends
    minimum = getattr(rules.exclusions, "indefinite_min", None) or rules.exclusions.min_self_exclusion
    if not minimum:
        fixed = [p for p in rules.exclusions.self_exclusion_periods if p != INDEFINITE]
        minimum = min(fixed, key=lambda p: period_length(p, x.started)) if fixed else None
    return add_period(x.started, minimum) if minimum else x.started


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "never"
