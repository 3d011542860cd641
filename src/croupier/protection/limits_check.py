"""The pure limit check: usage in each period + what a posting would add -> refusals.

No database, no clock: the ledger gathers usage inside its transaction and calls this, and
`POST /v1/authorize` calls it the same way without posting, so both give the same answer."""

from __future__ import annotations

from collections.abc import Mapping

from msgspec import Struct, field

from croupier.events import format_amount
from croupier.players.protection_state import LimitView
from croupier.protection.limits_periods import PERIOD_WORDS, Window, zone


class Usage(Struct):
    """What counts against limits over one period, in minor units of one currency."""

    deposit: int = 0
    bonus_credit: int = 0
    adjustment_in: int = 0
    stake_cash: int = 0
    stake_bonus: int = 0
    win_cash: int = 0
    session_seconds: int = 0

    @property
    def inflow(self) -> int:
        """Deposit limits count every inflow, whatever its path."""
        return self.deposit + self.bonus_credit + self.adjustment_in

    @property
    def loss(self) -> int:
        """Net loss of the player's own money: cash staked minus cash won (may be negative)."""
        return self.stake_cash - self.win_cash

    @property
    def wager(self) -> int:
        return self.stake_cash + self.stake_bonus

    def plus(self, other: Usage) -> Usage:
        return Usage(*(a + b for a, b in zip(_values(self), _values(other), strict=True)))


def _values(u: Usage) -> tuple[int, ...]:
    return (u.deposit, u.bonus_credit, u.adjustment_in, u.stake_cash, u.stake_bonus, u.win_cash,
            u.session_seconds)


class Refusal(Struct, omit_defaults=True):
    """Why a posting may not proceed, in words and in fields a program can read."""

    code: str                       # deposit_limit, loss_limit, wager_limit, session_time_limit, ...
    message: str
    limit: str | None = None        # "deposit:day"
    period: str | None = None
    period_start: str | None = None
    period_end: str | None = None
    timezone: str | None = None
    currency: str | None = None
    limit_amount: str | None = None
    counted: str | None = None
    counted_by_source: dict[str, str] = field(default_factory=dict)
    remaining: str | None = None
    requested: str | None = None
    account: str | None = None      # insufficient_funds: cash, bonus, or cash+bonus (a stake taking both)
    limit_minutes: int | None = None
    used_minutes: int | None = None
    source: str | None = None       # who set the limit
    exchange: list[dict[str, str]] = field(default_factory=list)   # rates used (or missing) to count other currencies


# The refusals of the check: `<kind>_limit` for every limit kind (compliance.reasons).
REASON_CODES = ("deposit_limit", "loss_limit", "wager_limit", "session_time_limit")
SOURCE_WORDS = {"deposit": "deposits", "bonus_credit": "bonus credits", "adjustment_in": "adjustments",
                "stake_cash": "cash stakes", "stake_bonus": "bonus stakes", "win_cash": "cash wins"}
_COUNTED_BY = {"deposit": ("deposit", "bonus_credit", "adjustment_in"), "loss": ("stake_cash", "win_cash"),
               "wager": ("stake_cash", "stake_bonus")}
_INFLOW_WORDS = (("deposit", "this deposit"), ("bonus_credit", "this bonus credit"),
                 ("adjustment_in", "this adjustment"))


def _action(kind: str, delta: Usage) -> str:
    if kind != "deposit":
        return "this stake"
    return next((word for name, word in _INFLOW_WORDS if getattr(delta, name)), "this inflow")


def money(minor: int, currency: str) -> str:
    """1500000, SEK -> '15,000.00 SEK' (for messages; fields use plain decimal strings)."""
    text = format_amount(abs(minor), currency)
    whole, dot, frac = text.partition(".")
    return f"{'-' if minor < 0 else ''}{int(whole):,}{dot}{frac} {currency}"


def _iso_local(w: Window, which: str) -> str:
    moment = (w.start if which == "start" else w.end).astimezone(zone(w.timezone))
    return moment.strftime("%Y-%m-%d %H:%M")


def _counted(kind: str, usage: Usage) -> int:
    return usage.inflow if kind == "deposit" else usage.loss if kind == "loss" else usage.wager


def _proposed(kind: str, delta: Usage) -> int:
    return delta.inflow if kind == "deposit" else delta.stake_cash if kind == "loss" else delta.wager


def check_limits(usage: Mapping[str, Usage], limits: Mapping[str, LimitView], delta: Usage,
                 currency: str, windows: Mapping[str, Window], *, bet: bool = False) -> list[Refusal]:
    """Refusals for a posting adding `delta` (in `currency`) given the usage so far in each
    period (`usage[period]`) and the limits in force. Money limits in another currency do
    not apply to this wallet; session-time limits apply to bets only."""
    out: list[Refusal] = []
    for key in sorted(limits):
        view = limits[key]
        w = windows.get(view.period)
        u = usage.get(view.period)
        if w is None or u is None:
            continue
        if view.kind == "session_time":
            if bet and view.minutes is not None and u.session_seconds >= view.minutes * 60:
                out.append(_session_refusal(view, u, w))
            continue
        if view.amount_minor is None or view.currency != currency or view.kind not in _COUNTED_BY:
            continue
        proposed = _proposed(view.kind, delta)
        if proposed <= 0:
            continue
        counted = _counted(view.kind, u)
        if counted + proposed > view.amount_minor:
            out.append(_money_refusal(view, u, w, counted, proposed, currency, _action(view.kind, delta)))
    return out


def _money_refusal(view: LimitView, u: Usage, w: Window, counted: int, proposed: int, currency: str,
                   action: str) -> Refusal:
    limit = view.amount_minor or 0
    remaining = max(0, limit - counted)
    parts = {name: getattr(u, name) for name in _COUNTED_BY[view.kind] if getattr(u, name)}
    breakdown = " + ".join(f"{money(v, currency)} {SOURCE_WORDS[n]}" for n, v in parts.items())
    if view.kind == "loss" and parts:
        breakdown = f"{money(u.stake_cash, currency)} cash stakes - {money(u.win_cash, currency)} cash wins"
    period_word = PERIOD_WORDS[view.period]
    message = (f"Refused by the {period_word} {view.kind} limit of {money(limit, currency)} "
               f"(this {view.period} runs {_iso_local(w, 'start')} to {_iso_local(w, 'end')} {w.timezone}): "
               f"{money(counted, currency)} counted"
               + (f" ({breakdown})" if breakdown else "")
               + f", {money(remaining, currency)} remains; {action} of {money(proposed, currency)} "
               f"would exceed it by {money(counted + proposed - limit, currency)}.")
    return Refusal(code=f"{view.kind}_limit", message=message, limit=f"{view.kind}:{view.period}",
                   period=view.period, period_start=_utc(w.start), period_end=_utc(w.end),
                   timezone=w.timezone, currency=currency, limit_amount=format_amount(limit, currency),
                   counted=_signed(counted, currency),
                   counted_by_source={n: format_amount(v, currency) for n, v in parts.items()},
                   remaining=format_amount(remaining, currency), requested=format_amount(proposed, currency),
                   source=view.source)


def _session_refusal(view: LimitView, u: Usage, w: Window) -> Refusal:
    used = u.session_seconds // 60
    message = (f"Refused by the {PERIOD_WORDS[view.period]} session-time limit of {view.minutes} minutes "
               f"(this {view.period} runs {_iso_local(w, 'start')} to {_iso_local(w, 'end')} {w.timezone}): "
               f"{used} minutes played, none remain.")
    return Refusal(code="session_time_limit", message=message, limit=f"session_time:{view.period}",
                   period=view.period, period_start=_utc(w.start), period_end=_utc(w.end),
                   timezone=w.timezone, limit_minutes=view.minutes, used_minutes=used, source=view.source)


def _signed(minor: int, currency: str) -> str:
    return ("-" if minor < 0 else "") + format_amount(abs(minor), currency)


def _utc(moment) -> str:  # noqa: ANN001
    return moment.isoformat().replace("+00:00", "Z")


def remaining(view: LimitView, u: Usage) -> int | None:
    """What is left under a limit (minor units, or seconds for session time)."""
    if view.kind == "session_time":
        return None if view.minutes is None else max(0, view.minutes * 60 - u.session_seconds)
    if view.amount_minor is None:
        return None
    return max(0, view.amount_minor - _counted(view.kind, u))


def counted(view: LimitView, u: Usage) -> int:
    return u.session_seconds if view.kind == "session_time" else _counted(view.kind, u)
