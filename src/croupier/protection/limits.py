"""Deposit, loss, wager and session-time limits: set, change, remove, with history.

Decreases and new limits take effect at once; increases and removals wait out the
jurisdiction's cooling period (and, where the rules say so, the end of the current period).
Every change writes a `limits` history row, appends a `croupier.limit_set` fact (so the engine
folds it into ProtectionState and replay sees it) and an audit entry, in the caller's
transaction. The ledger reads the limits in force from the same history, inside its posting
transaction."""

from __future__ import annotations

import uuid
from functools import lru_cache
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, bindparam, select, text

from croupier.compliance.rates import NO_RATES, RateTable
from croupier.compliance.rules import JurisdictionRules
from croupier.events import Event, LimitSet, bounded_minor, format_amount, to_minor
from croupier.events.money import AmountError, exponent
from croupier.ingest.facts import append_facts
from croupier.players import micros
from croupier.players.protection_state import (
    LimitView, ProtectionState, fold_limit, limit_key, limits_in_force,
)
from croupier.protection.limits_periods import period_end
from croupier.store import audit as audit_store
from croupier.store.raw import RawStatement
from croupier.store.schema import limits as limits_table

KINDS = ("deposit", "loss", "wager", "session_time")
PERIODS = ("day", "week", "month")
SOURCES = ("player", "operator", "regulator")
_RANK = {"player": 0, "operator": 1, "regulator": 2}
AUDIT_KIND = "protection.limit_changed"


class LimitError(ValueError):
    """A limit change that cannot be made; `status` is the HTTP status that fits."""

    def __init__(self, message: str, status: int = 422, field: str | None = None):
        super().__init__(message)
        self.status, self.field = status, field


@dataclass(frozen=True, slots=True)
class LimitRequest:
    """A requested change. `amount` is a decimal string in `currency` (money limits) and
    `minutes` is for session time; both None (or `remove`) asks for removal."""

    kind: str
    period: str
    amount: str | None = None
    currency: str | None = None
    minutes: int | None = None
    remove: bool = False
    source: str = "player"
    actor: str = "player"           # the authenticated party (an API key, a staff user) or "player"
    reason: str | None = None
    request_id: str | None = None   # idempotency: the same id returns the recorded change
    claimed_actor: str | None = None  # a name the request supplied: kept in the audit beside the actor


@dataclass(slots=True)
class LimitOutcome:
    change: str                     # new, decrease, increase, removal, unchanged
    effective_at: datetime
    record: dict[str, Any]
    set_at: datetime
    items: list[tuple[int, Event, int]] = field(default_factory=list)   # for Engine.submit
    replayed: bool = False

    @property
    def pending(self) -> bool:
        return self.effective_at > self.set_at


def _iso(us: int) -> str:
    return datetime.fromtimestamp(us / 1_000_000, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def _at(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, tz=timezone.utc)


def record_of(row: Any) -> dict[str, Any]:
    """One history row as the API shows it."""
    m = row._mapping if hasattr(row, "_mapping") else row
    amount = format_amount(m["amount_minor"], m["currency"]) if m["amount_minor"] is not None else None
    return {"kind": m["kind"], "period": m["period"], "limit": limit_key(m["kind"], m["period"]),
            "change": m["change"], "source": m["source"], "amount": amount, "currency": m["currency"],
            "minutes": m["minutes"], "set_at": _iso(m["set_at_us"]), "effective_at": _iso(m["effective_at_us"]),
            "actor": m["actor"], "reason": m["reason"], "event_id": m["event_id"]}


_HISTORY = RawStatement(select(limits_table).where(limits_table.c.player_id == bindparam("p"))
                        .order_by(limits_table.c.id))
FOLD_CACHE = 100_000


def history(conn: Connection, player_id: str) -> list[Any]:
    """The player's limit rows, oldest first (named tuples, hashable)."""
    return _HISTORY.all(conn, {"p": player_id})


def fold_history(rows: Sequence[Any]) -> ProtectionState:
    """The limits (with pending changes) that the history adds up to: the same fold the
    engine runs on the LimitSet facts, so the ledger and the engine cannot disagree."""
    state = ProtectionState()
    for r in rows:
        fold_limit(state, _as_fact(r), r.set_at_us, r.effective_at_us)
    return state


def _as_fact(r: Any) -> LimitSet:
    amount = format_amount(r.amount_minor, r.currency) if r.amount_minor is not None else None
    return LimitSet(event_id=r.event_id, player_id=r.player_id, brand=r.brand, occurred_at=_at(r.set_at_us),
                    kind=r.kind, period=r.period, source=r.source, amount=amount, currency=r.currency,
                    minutes=r.minutes, effective_at=_at(r.effective_at_us), change=r.change)


def load(conn: Connection, player_id: str) -> ProtectionState:
    """The folded limits, read in `conn`'s transaction. Every posting needs them, and they
    rarely change: the history is read each time (it is the truth), the fold is reused while
    the rows are the same. The result is shared: read it, never mutate it."""
    return _fold_cached(tuple(history(conn, player_id)))


@lru_cache(maxsize=FOLD_CACHE)
def _fold_cached(rows: tuple[Any, ...]) -> ProtectionState:
    return fold_history(rows)


def in_force(conn: Connection, player_id: str, now: datetime) -> dict[str, LimitView]:
    return limits_in_force(load(conn, player_id), micros(now))


def pending_changes(state: ProtectionState, now: datetime) -> dict[str, LimitView]:
    """Changes still waiting for their time (increases and removals in their cooling period)."""
    at = micros(now)
    return {k: v.pending for k, v in state.limits.items() if v.pending is not None and v.pending.effective_us > at}


def _validate(req: LimitRequest) -> tuple[int | None, int | None, bool]:
    """(amount in minor units, minutes, removal) or LimitError naming the field."""
    if req.kind not in KINDS:
        raise LimitError(f"kind must be one of {', '.join(KINDS)}; got {req.kind!r}", field="kind")
    if req.period not in PERIODS:
        raise LimitError(f"period must be one of {', '.join(PERIODS)}; got {req.period!r}", field="period")
    if req.source not in SOURCES:
        raise LimitError(f"source must be one of {', '.join(SOURCES)}; got {req.source!r}", field="source")
    removal = req.remove or (req.amount is None and req.minutes is None)
    if removal:
        return None, None, True
    if req.kind == "session_time":
        if req.minutes is None or req.amount is not None:
            raise LimitError("a session_time limit takes minutes (an integer), not an amount", field="minutes")
        if not 0 < req.minutes <= 525_600:
            raise LimitError(f"minutes must be between 1 and 525600; got {req.minutes}", field="minutes")
        return None, req.minutes, False
    if req.amount is None or req.minutes is not None:
        raise LimitError(f"a {req.kind} limit takes an amount and a currency, not minutes", field="amount")
    if not req.currency:
        raise LimitError(f"currency is required with amount {req.amount!r}", field="currency")
    try:
        minor = bounded_minor(req.amount, req.currency)
    except (AmountError, ValueError) as exc:
        raise LimitError(f"amount {req.amount!r}: {exc}", field="amount") from None
    return minor, None, False


def _value(view: LimitView) -> int | None:
    return view.amount_minor if view.amount_minor is not None else view.minutes


def classify(current: LimitView | None, amount: int | None, minutes: int | None, removal: bool) -> str:
    """new, decrease, increase, removal or unchanged, against the limit in force now."""
    if current is None:
        if removal:
            raise LimitError("there is no such limit in force to remove", status=404)
        return "new"
    if removal:
        return "removal"
    proposed = amount if amount is not None else minutes
    now_value = _value(current)
    if now_value is None or proposed is None:
        return "new"
    if proposed < now_value:
        return "decrease"
    return "increase" if proposed > now_value else "unchanged"


def effective_time(change: str, period: str, now: datetime, rules: JurisdictionRules, tz: str | None) -> datetime:
    """When a change takes effect under the jurisdiction's rules."""
    limits = rules.limits
    immediate = change == "new" or change == "unchanged" or (change == "decrease" and limits.decrease_immediate)
    if immediate:
        return now
    at = now + timedelta(hours=limits.increase_cooling_hours)
    if limits.increase_after_period_end:
        at = max(at, period_end(period, now, tz))
    return at


def _lock_player(conn: Connection, player_id: str) -> None:
    """Serialise limit changes of one player (SQLite: the write transaction already is)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(7202, hashtext(:p))"), {"p": player_id})


def set_limit(conn: Connection, player_id: str, brand: str, req: LimitRequest, *, now: datetime,
              rules: JurisdictionRules, timezone_name: str | None = None, rates: RateTable = NO_RATES) -> LimitOutcome:
    """Set, change or remove one limit inside the caller's transaction (see module doc).
    `rates` (the configuration in force's) compare a limit in another currency than the
    jurisdiction's with its ceiling; without the rate such a limit is refused."""
    amount, minutes, removal = _validate(req)
    event_id = f"limit:{req.request_id}" if req.request_id else f"limit:{uuid.uuid4().hex}"
    if len(event_id) > 128:
        raise LimitError("request_id is too long (at most 122 characters)", field="request_id")
    _lock_player(conn, player_id)
    if req.request_id:
        row = conn.execute(select(limits_table).where(limits_table.c.event_id == event_id)).first()
        if row is not None:
            record = record_of(row)
            if (row.player_id, row.kind, row.period) != (player_id, req.kind, req.period):
                raise LimitError(f"request_id {req.request_id!r} was already used for another limit change",
                                 status=409, field="request_id")
            return LimitOutcome(row.change, _at(row.effective_at_us), record, _at(row.set_at_us), [], replayed=True)
    key = limit_key(req.kind, req.period)
    state = load(conn, player_id)
    current = limits_in_force(state, micros(now)).get(key)
    change = classify(current, amount, minutes, removal)
    if current is not None and amount is not None and current.currency and current.currency != req.currency:
        raise LimitError(f"the {key} limit is in {current.currency}; set it in {current.currency}, "
                         f"not {req.currency}", field="currency")
    source = req.source
    if current is not None and change in ("increase", "removal") and _RANK[current.source] > _RANK[source]:
        raise LimitError(f"the {key} limit was set by the {current.source}; only the {current.source} "
                         f"can raise or remove it", status=403, field="source")
    if current is not None and _RANK[current.source] > _RANK[source]:
        source = current.source  # a player tightening an imposed limit does not take it over
    _check_rules(req, key, amount, removal, state, now, rules, rates)
    pending_view = state.limits.get(key).pending if key in state.limits else None
    if change == "unchanged" and (pending_view is None or pending_view.effective_us <= micros(now)):
        record = {"kind": req.kind, "period": req.period, "limit": key, "change": "unchanged",
                  "amount": req.amount, "currency": req.currency, "minutes": minutes,
                  "set_at": _iso(micros(now)), "effective_at": _iso(micros(now)), "source": current.source}
        return LimitOutcome("unchanged", now, record, now)
    stored_change = "decrease" if change == "unchanged" else change   # cancels the pending change
    effective = effective_time(change, req.period, now, rules, timezone_name)
    now_us, eff_us = micros(now), micros(effective)
    row = {"player_id": player_id, "brand": brand, "kind": req.kind, "period": req.period, "source": source,
           "change": stored_change, "amount_minor": amount, "currency": req.currency if amount is not None else None,
           "minutes": minutes, "set_at_us": now_us, "effective_at_us": eff_us, "actor": req.actor,
           "reason": req.reason, "event_id": event_id}
    conn.execute(limits_table.insert().values(**row))
    fact = LimitSet(event_id=event_id, player_id=player_id, brand=brand, occurred_at=now, actor=req.actor,
                    reason=req.reason, kind=req.kind, period=req.period, source=source,
                    amount=format_amount(amount, req.currency) if amount is not None else None,
                    currency=row["currency"], minutes=minutes, effective_at=effective, change=stored_change)
    items = append_facts(conn, [fact])
    record = record_of(row)
    audit_store.append(conn, [audit_store.Entry(
        at_us=now_us, actor=req.actor, kind=AUDIT_KIND, player_id=player_id, subject=event_id,
        body={**record, "previous": _view_dict(current), "rules": rules.code,
              **({"claimed_actor": req.claimed_actor} if req.claimed_actor else {})})])
    return LimitOutcome(stored_change, effective, record, now, items)


def _check_rules(req: LimitRequest, key: str, amount: int | None, removal: bool, state: ProtectionState,
                 now: datetime, rules: JurisdictionRules, rates: RateTable = NO_RATES) -> None:
    ceiling = rules.limits.ceilings.get(key)
    if ceiling is not None and amount is not None and req.currency:
        _check_ceiling(req, key, amount, ceiling, rules, rates)
    if removal and req.kind in rules.limits.mandatory:
        others = [k for k in limits_in_force(state, micros(now)) if k.startswith(req.kind + ":") and k != key]
        if not others:
            raise LimitError(f"{rules.name} requires a {req.kind} limit: it can be raised (after the cooling "
                             f"period) but not removed", status=409, field="kind")


_WIDE = Context(prec=60)   # amount x rate exactly, before rounding to the minor unit


def _check_ceiling(req: LimitRequest, key: str, amount: int, ceiling: str, rules: JurisdictionRules,
                   rates: RateTable) -> None:
    """A ceiling caps the limit in any currency: one in another currency is compared converted
    into the jurisdiction's, to the nearest minor unit (a cross rate is a ratio good to 28
    digits: rounding up would put a limit set exactly at the cap a cent above it), and refused
    when the configuration has no rate to convert it (fail closed)."""
    cap = to_minor(ceiling, rules.currency)
    if req.currency == rules.currency:
        if amount > cap:
            raise LimitError(f"{rules.name} caps the {key} limit at {ceiling} {rules.currency}; "
                             f"{req.amount} {req.currency} is above it", field="amount")
        return
    quote = rates.quote(req.currency or "", rules.currency)
    where = f"the configuration in force ({rates.version})" if rates.version else "the configuration in force"
    if quote is None:
        raise LimitError(f"{rules.name} caps the {key} limit at {ceiling} {rules.currency}, and a limit in "
                         f"{req.currency} is compared with it converted, but {where} has no "
                         f"{req.currency}→{rules.currency} exchange rate: set the limit in {rules.currency}, or "
                         f"have an operator add the rate under exchange.rates", field="currency")
    digits = exponent(rules.currency) - exponent(req.currency or "")
    exact = _WIDE.multiply(Decimal(amount), quote.rate).scaleb(digits, _WIDE)
    converted = int(exact.to_integral_value(rounding=ROUND_HALF_UP))
    if converted > cap:
        rate = quote.as_dict()["rate"]
        raise LimitError(f"{rules.name} caps the {key} limit at {ceiling} {rules.currency}; {req.amount} "
                         f"{req.currency} is {format_amount(converted, rules.currency)} {rules.currency} at "
                         f"1 {req.currency} = {rate} {rules.currency} (configuration {rates.version}), above it",
                         field="amount")


def _view_dict(view: LimitView | None) -> dict[str, Any] | None:
    if view is None:
        return None
    return {"amount": format_amount(view.amount_minor, view.currency) if view.amount_minor is not None
            and view.currency else None, "currency": view.currency, "minutes": view.minutes, "source": view.source}


def view_dict(view: LimitView, now: datetime | None = None) -> dict[str, Any]:
    """A limit (as folded) for the API."""
    out = {"limit": limit_key(view.kind, view.period), "kind": view.kind, "period": view.period,
           "source": view.source, "currency": view.currency, "minutes": view.minutes,
           "amount": format_amount(view.amount_minor, view.currency)
           if view.amount_minor is not None and view.currency else None,
           "effective_at": _iso(view.effective_us)}
    if view.amount_minor is None and view.minutes is None:
        out["removal"] = True
    return {k: v for k, v in out.items() if v is not None}
