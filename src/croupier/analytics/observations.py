"""From raw money events to one measured row per player: what each player of a split
deposited and won for the house (GGR) in their measurement window, and the same over the
pre-period before it (the CUPED covariates of `uplift`).

Pure: the caller reads the events (type, occurred_at in microseconds, the JSON payload) and
hands in each player's window; sums are integer minor units of one reporting currency,
converted event by event at the configuration's recorded rates, rounded down. A player any
of whose money events has no rate to the reporting currency is left out of the measurement
(reported as such), never counted at a guessed rate: a player's currency was fixed before
the random split, so leaving them out cannot favour one arm.

Money counted: approved deposits; GGR is cash stakes (casino and sports) less wins and
sports payouts. An event undone by a `rollback` counts nowhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from croupier.compliance.rates import RateTable
from croupier.events.money import to_minor

MONEY_TYPES = ("payment.deposit", "casino.bet", "casino.win", "sports.bet_placed", "sports.bet_settled")
ROLLBACK = "rollback"


@dataclass(frozen=True, slots=True)
class Window:
    """One player's measurement window [start_us, end_us) and pre-period [pre_start_us, start_us)."""

    start_us: int
    end_us: int
    pre_start_us: int


@dataclass(slots=True)
class Money:
    """A player's money in the window and the pre-period, in minor units of the reporting currency."""

    deposits: int = 0
    ggr: int = 0
    pre_deposits: int = 0
    pre_ggr: int = 0
    deposited: bool = False                 # an approved deposit in the window
    currencies: set[str] = field(default_factory=set)
    unconvertible: bool = False


def _amount(kind: str, payload: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(what, amount, currency) of a money event: what is 'deposit', 'stake' or 'win'."""
    currency = payload.get("currency")
    if kind == "payment.deposit":
        if payload.get("status") != "approved":
            return None
        return "deposit", payload.get("amount") or "0", currency
    if kind in ("casino.bet", "sports.bet_placed"):
        return "stake", payload.get("amount") or "0", currency
    if kind == "casino.win":
        return "win", payload.get("amount") or "0", currency
    if kind == "sports.bet_settled":
        return "win", payload.get("payout") or "0", currency
    return None


def player_money(events: Iterable[tuple[str, str, str, int, Mapping[str, Any]]], windows: Mapping[str, Window],
                 currency: str, rates: RateTable, undone: AbstractSet[str] = frozenset()) -> dict[str, Money]:
    """Per player of `windows`: their money in the window and the pre-period.

    `events` are (event_id, player_id, type, occurred_at_us, payload) of any players (others are
    skipped); `undone` the ids of events a rollback reverted. A sports settlement without a
    currency is in the player's stake currency (the protocol leaves it optional)."""
    out = {pid: Money() for pid in windows}
    for event_id, pid, kind, at_us, payload in events:
        w = windows.get(pid)
        if w is None or event_id in undone or not w.pre_start_us <= at_us < w.end_us:
            continue
        money = out[pid]
        found = _amount(kind, payload)
        if found is None:
            continue
        what, amount, source = found
        if source is None:
            source = next(iter(money.currencies), currency)
        quote = rates.quote(source, currency)
        if quote is None:
            money.unconvertible = True
            continue
        money.currencies.add(source)
        minor = quote.convert(to_minor(amount, source), up=False)
        in_window = at_us >= w.start_us
        if what == "deposit":
            if in_window:
                money.deposits += minor
                money.deposited = True
            else:
                money.pre_deposits += minor
        else:
            signed = minor if what == "stake" else -minor
            if in_window:
                money.ggr += signed
            else:
                money.pre_ggr += signed
    return out
