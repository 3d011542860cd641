"""The protection and risk identifiers a segment can read, defined in one place, and the
pure function that reads their values from a player's state. Every promotional segment
should exclude by them (an excluded player, a high RG risk level, a blocked AML status);
they are read from the state the engine folds, so batch and real-time membership agree.

Days-ago identifiers count whole days between the action and `at_us`; they are missing
(not set) when the action never happened or has dropped out of the state's bounded memory
(the latest 16 protective actions)."""

from __future__ import annotations

from decimal import Decimal
from collections.abc import Callable, Iterable
from typing import Any, get_args

from croupier.events.types import AmlStatus, KycStatus, LimitKind
from croupier.players.limit_usage import used
from croupier.players.protection_state import active_exclusions, limits_in_force
from croupier.players.state import DAY_US, PlayerState
from croupier.segments.vocabulary import Identifier

# protection.risk.LEVELS, in order (a test keeps them equal): the RG risk level.
RISK_LEVELS = ("none", "low", "medium", "high", "severe")
# AML statuses from the least to the most restrictive.
AML_STATUSES: tuple[str, ...] = get_args(AmlStatus)
LIMIT_KINDS: tuple[str, ...] = get_args(LimitKind)
_ONE = Decimal(1)
_ZERO = Decimal(0)
_RATIO_PLACES = Decimal("0.0001")


def _identifiers() -> dict[str, Identifier]:
    ids = [
        Identifier("rg.level", "level", "RG risk level (none, low, medium, high, severe), as of the latest risk update", values=RISK_LEVELS),
        Identifier("rg.score", "ratio", "RG risk score: the model's probability of harm, 0 to 1",
                   minimum=_ZERO, maximum=_ONE),
        Identifier("rg.markers", "integer", "RG risk markers held, as of the latest risk update", minimum=_ZERO),
        Identifier("rg.promotions_paused", "boolean", "have promotions paused by an RG intervention"),
        Identifier("rg.intervention_days_ago", "days", "whole days since the latest RG intervention",
                   minimum=_ZERO),
        Identifier("aml.status", "level", "AML status (clear, review, restricted, blocked)", values=AML_STATUSES),
        Identifier("kyc.status", "string", "KYC status", values=get_args(KycStatus)),
        Identifier("excluded", "boolean",
                   "have an active exclusion (self-exclusion, time-out, cooling-off or panic button)"),
        Identifier("protection.limit_set_days_ago", "days",
                   "whole days since the latest limit the player set or lowered", minimum=_ZERO),
        Identifier("protection.timeout_days_ago", "days", "whole days since the latest time-out the player took",
                   minimum=_ZERO),
        Identifier("protection.exclusion_days_ago", "days",
                   "whole days since the latest exclusion the player started (any kind, time-outs included)",
                   minimum=_ZERO),
    ]
    for kind in LIMIT_KINDS:
        words = kind.replace("_", " ")
        ids.append(Identifier(f"limits.{kind}.set", "boolean", f"have a {words} limit in force"))
        ids.append(Identifier(
            f"limits.{kind}.closeness", "ratio",
            f"closeness to the {words} limit: what the period has used divided by the limit, the highest "
            f"over the periods set (1 or more: reached)", minimum=_ZERO))
    return {i.name: i for i in ids}


PROTECTION: dict[str, Identifier] = _identifiers()


def protection_values(state: PlayerState, at_us: int, names: Iterable[str] | None = None) -> dict[str, Any]:
    """The PROTECTION identifiers' values for `state` at `at_us` (microseconds since the epoch,
    UTC): every one, or only `names` (what real-time membership reads); None where there is
    no value (never happened, or a limit whose usage needs an exchange rate the state does
    not carry)."""
    p = state.protection
    actions = state.rg.actions
    wanted = PROTECTION.keys() if names is None else [n for n in names if n in PROTECTION]
    out: dict[str, Any] = {}
    in_force = None
    for name in wanted:
        simple = _SIMPLE.get(name)
        if simple is not None:
            out[name] = simple(state, p, actions, at_us)
            continue
        if in_force is None:
            in_force = limits_in_force(p, at_us)
        kind, what = name[len("limits."):].rsplit(".", 1)
        views = [v for v in in_force.values() if v.kind == kind]
        if what == "set":
            out[name] = bool(views)
            continue
        closeness: Decimal | None = None
        for view in views:
            share = _share(state, view.kind, view.period, view.amount_minor, view.minutes, view.currency, at_us)
            if share is not None and (closeness is None or share > closeness):
                closeness = share
        out[name] = closeness
    return out


_SIMPLE: dict[str, Callable[[PlayerState, Any, list[list[Any]], int], Any]] = {
    "rg.level": lambda s, p, a, at: p.risk_level,
    "rg.score": lambda s, p, a, at: (Decimal(p.risk_bp) / 10000).quantize(_RATIO_PLACES),
    "rg.markers": lambda s, p, a, at: len(p.markers),
    "rg.promotions_paused": lambda s, p, a, at: p.promotions_paused,
    "rg.intervention_days_ago": lambda s, p, a, at: _days_ago(p.interventions[-1].at_us if p.interventions else None,
                                                              at),
    "aml.status": lambda s, p, a, at: p.aml_status,
    "kyc.status": lambda s, p, a, at: s.kyc_status,
    "excluded": lambda s, p, a, at: bool(active_exclusions(p, at)),
    "protection.limit_set_days_ago": lambda s, p, a, at: _days_ago(_latest(a, "limit:"), at),
    "protection.timeout_days_ago": lambda s, p, a, at: _days_ago(_latest(a, "exclusion:timeout"), at),
    "protection.exclusion_days_ago": lambda s, p, a, at: _days_ago(_latest(a, "exclusion:"), at),
}


def _share(state: PlayerState, kind: str, period: str, amount_minor: int | None, minutes: int | None,
           currency: str | None, at_us: int) -> Decimal | None:
    limit = minutes * 60 if kind == "session_time" and minutes is not None else amount_minor
    if not limit:
        return None
    usage = used(state, kind, period, at_us, currency)
    if usage is None:
        return None
    return (Decimal(usage) / Decimal(limit)).quantize(_RATIO_PLACES)


def _latest(actions: list[list[Any]], prefix: str) -> int | None:
    times = [a[0] for a in actions if isinstance(a[1], str) and a[1].startswith(prefix)]
    return max(times) if times else None


def _days_ago(us: int | None, at_us: int) -> int | None:
    return None if us is None else max(0, (at_us - us) // DAY_US)
