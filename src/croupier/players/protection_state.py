"""The protection side of a player's state, folded from Croupier's own facts (limit set,
exclusion started/ended, person linked, reality check) and read by the gate and the
detectors. The authoritative records live in the protection tables; these are the same
facts, replayed through the log, so a decision can be taken from the state alone."""

from __future__ import annotations

from msgspec import Struct, field

from croupier.events import ExclusionEnded, ExclusionStarted, LimitSet, PersonLinked, RealityCheck, to_minor


class LimitView(Struct, omit_defaults=True):
    kind: str
    period: str
    source: str = "player"
    amount_minor: int | None = None
    currency: str | None = None
    minutes: int | None = None
    effective_us: int = 0                       # in force from
    pending: "LimitView | None" = None          # an increase or removal waiting for its time


class ExclusionView(Struct, omit_defaults=True):
    exclusion_id: str
    kind: str
    scope: str
    brand: str
    started_us: int
    until_us: int | None = None                 # None: indefinite
    source: str | None = None


class MarkerView(Struct, omit_defaults=True):
    """An RG risk marker: what fired, how strongly, since when, and why in words."""

    name: str
    severity: int                               # 1 low .. 3 high
    first_us: int
    last_us: int
    explanation: str


class ProtectionState(Struct, omit_defaults=True):
    limits: dict[str, LimitView] = field(default_factory=dict)        # "deposit:day" -> limit
    exclusions: list[ExclusionView] = field(default_factory=list)     # active ones
    person_id: str | None = None
    person_evidence: list[str] = field(default_factory=list)
    reality_checks: int = 0
    # RG risk (owned by protection.markers / protection.risk)
    risk_level: str = "none"                    # none, low, medium, high, severe
    risk_since_us: int | None = None
    markers: dict[str, MarkerView] = field(default_factory=dict)
    risk_history: list[list] = field(default_factory=list)           # [at_us, level, [marker names]]
    promotions_paused: bool = False
    deposits_blocked: bool = False


def limit_key(kind: str, period: str) -> str:
    return f"{kind}:{period}"


def fold_limit(p: ProtectionState, e: LimitSet, at_us: int, effective_us: int) -> None:
    """A change in force at once replaces the limit; a later one waits as `pending`."""
    key = limit_key(e.kind, e.period)
    view = LimitView(kind=e.kind, period=e.period, source=e.source,
                     amount_minor=to_minor(e.amount, e.currency) if e.amount is not None and e.currency else None,
                     currency=e.currency, minutes=e.minutes, effective_us=effective_us)
    removed = view.amount_minor is None and view.minutes is None
    current = p.limits.get(key)
    if effective_us <= at_us:
        if removed:
            p.limits.pop(key, None)
        else:
            p.limits[key] = view
    elif current is not None:
        current.pending = view
    elif not removed:
        p.limits[key] = LimitView(kind=e.kind, period=e.period, pending=view)


def limits_in_force(p: ProtectionState, at_us: int) -> dict[str, LimitView]:
    """The limits that apply at `at_us`: pending changes whose time has come replace the old."""
    out: dict[str, LimitView] = {}
    for key, view in p.limits.items():
        pending = view.pending
        if pending is not None and pending.effective_us <= at_us:
            if pending.amount_minor is not None or pending.minutes is not None:
                out[key] = pending
        elif view.amount_minor is not None or view.minutes is not None:
            out[key] = view
    return out


def fold_exclusion(p: ProtectionState, e: ExclusionStarted, at_us: int, until_us: int | None) -> None:
    p.exclusions = [x for x in p.exclusions if x.exclusion_id != e.exclusion_id]
    p.exclusions.append(ExclusionView(exclusion_id=e.exclusion_id, kind=e.kind, scope=e.scope,
                                      brand=e.brand, started_us=at_us, until_us=until_us, source=e.source))


def fold_exclusion_end(p: ProtectionState, e: ExclusionEnded) -> None:
    p.exclusions = [x for x in p.exclusions if x.exclusion_id != e.exclusion_id]


def active_exclusions(p: ProtectionState, at_us: int) -> list[ExclusionView]:
    return [x for x in p.exclusions if x.until_us is None or x.until_us > at_us]


def fold_person(p: ProtectionState, e: PersonLinked) -> None:
    p.person_id = e.person_id
    p.person_evidence = sorted(set(p.person_evidence) | set(e.evidence))


def fold_reality_check(p: ProtectionState, e: RealityCheck) -> None:
    p.reality_checks += 1
