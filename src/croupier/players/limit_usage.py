"""What a money limit has used, as the engine folded the player's events: the figure of
record for a brand whose operator's platform is the wallet (`money_of_record: platform`),
and what the gate's near-limit check reads. The fold sums money in the player's currency
(events in others converted at the rates in force then: players.exchange); a limit in
another currency counts that sum converted into its own, rounded as the ledger rounds.

The state keeps money in buckets per UTC day of `occurred_at`, so the periods here are UTC
calendar periods: the day from 00:00 UTC, the week from Monday, the month from the 1st.
(The ledger counts in the player's own calendar: its postings carry their local day.)"""

from __future__ import annotations

from datetime import date, timedelta

from croupier.players.exchange import Rates
from croupier.players.state import (
    ADJ_IN, BONUS_STAKE, BONUS_SUM, DAY_US, DEP_SUM, SESS_SECONDS, STAKE, WIN, PlayerState,
)

_EPOCH = date(1970, 1, 1)
# The order of `protection.limits_check.Usage`'s money fields.
SUMS = ("deposit", "bonus_credit", "adjustment_in", "stake_cash", "stake_bonus", "win_cash")
# How each of SUMS rounds when converted, as `ledger.fx.Exchange.convert` rounds the ledger's
# usage: what counts against a limit up, cash won (it offsets a loss) down.
_ROUND_UP = (True, True, True, True, True, False)


def period_days(period: str, now_us: int) -> tuple[int, int]:
    """The first and last UTC day (days since 1970-01-01) of the period containing now."""
    today = _EPOCH + timedelta(days=now_us // DAY_US)
    if period == "day":
        first = today
    elif period == "week":
        first = today - timedelta(days=today.weekday())
    elif period == "month":
        first = today.replace(day=1)
    else:
        raise ValueError(f"unknown period {period!r}: use day, week or month")
    return (first - _EPOCH).days, (today - _EPOCH).days


def sums(state: PlayerState, first_day: int, last_day: int) -> tuple[int, ...]:
    """Money over UTC days first..last in the player's currency, in `SUMS` order: approved
    deposits, bonus credits, adjustments adding funds, cash and bonus stakes, wins."""
    deposit = stake = bonus_stake = win = bonus_credit = adjustment_in = 0
    for day, bucket in state.days.items():
        if first_day <= day <= last_day:
            deposit += bucket[DEP_SUM]
            stake += bucket[STAKE]
            bonus_stake += bucket[BONUS_STAKE]
            win += bucket[WIN]
    for day, bucket in state.wallet_days.items():
        if first_day <= day <= last_day:
            bonus_credit += bucket[BONUS_SUM]
            adjustment_in += bucket[ADJ_IN]
    return deposit, bonus_credit, adjustment_in, stake - bonus_stake, bonus_stake, win


def session_seconds(state: PlayerState, first_day: int, now_us: int) -> int:
    """Seconds played in sessions started from `first_day` on: ended ones as folded, open
    ones up to now."""
    total = sum(bucket[SESS_SECONDS] for day, bucket in state.days.items() if day >= first_day)
    start_us = first_day * DAY_US
    for session in state.sessions.values():
        if session.started_us >= start_us:   # negative: an end whose start has not arrived
            total += max(0, now_us - session.started_us) // 1_000_000
    return total


def in_currency(money: tuple[int, ...], source: str | None, target: str | None,
                rates: Rates | None) -> tuple[int, ...] | None:
    """`money` (in `SUMS` order, minor units of `source`) in minor units of `target`, or None
    when a conversion is needed and `rates` has no rate for it (the caller fails closed)."""
    if source == target or target is None or source is None or not any(money):
        return money
    quote = rates.quote(source, target) if rates is not None else None
    if quote is None:
        return None
    return tuple(quote.convert(minor, up=up) for minor, up in zip(money, _ROUND_UP, strict=True))


def used(state: PlayerState, kind: str, period: str, now_us: int, currency: str | None = None,
         rates: Rates | None = None) -> int | None:
    """What a limit of `kind` counts over its period now: every inflow for a deposit limit,
    cash staked minus cash won for a loss limit (never below zero), all stakes for a wager
    limit, seconds for a session-time limit. Money is in `currency` (the limit's; default
    the player's), converted at `rates`; None for another kind, or when no rate converts it."""
    first, last = period_days(period, now_us)
    if kind == "session_time":
        return session_seconds(state, first, now_us)
    if kind not in ("deposit", "loss", "wager"):
        return None
    money = in_currency(sums(state, first, last), state.currency, currency or state.currency, rates)
    if money is None:
        return None
    deposit, bonus_credit, adjustment_in, stake_cash, stake_bonus, win_cash = money
    if kind == "deposit":
        return deposit + bonus_credit + adjustment_in
    if kind == "loss":
        return max(0, stake_cash - win_cash)
    return stake_cash + stake_bonus
