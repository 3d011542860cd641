"""Money events in another currency than the player's, converted into it so features and RG
markers sum them (a limit protects a person, not a currency). The rates are data: those of
the configuration version in force at the event's log position, handed down the fold with
the rules, so live processing and a replay convert alike. Pure.

What adds to the player's risk (deposits, stakes, bonus credits, chargebacks, credits)
rounds up; what offsets it (withdrawals, wins, payouts, conversions, debits) rounds down."""

from __future__ import annotations

from typing import Any, Protocol

import msgspec

from croupier.events import (
    BonusConverted, BonusCredited, CasinoBet, CasinoWin, Chargeback, Deposit, Event, SportsBetPlaced,
    SportsBetSettled, WalletAdjusted, Withdrawal, exponent, format_amount, to_minor,
)
from croupier.events.money import MAX_MAJOR_DIGITS


class Quote(Protocol):
    def convert(self, minor: int, *, up: bool) -> int: ...


class Rates(Protocol):
    """`compliance.rates.RateTable` (this package may not import compliance)."""

    version: str

    def quote(self, source: str, target: str) -> Quote | None: ...


# Amount fields per type, and whether each rounds up (None: up for a credit, down for a debit).
FIELDS: dict[type, tuple[tuple[str, bool | None], ...]] = {
    Deposit: (("amount", True),), Withdrawal: (("amount", False),), Chargeback: (("amount", True),),
    CasinoBet: (("amount", True), ("bonus_amount", True)), CasinoWin: (("amount", False),),
    SportsBetPlaced: (("amount", True), ("bonus_amount", True)), SportsBetSettled: (("payout", False),),
    BonusCredited: (("amount", True),), BonusConverted: (("amount", False),), WalletAdjusted: (("amount", None),),
}
MONEY_EVENTS = frozenset(FIELDS)


def in_currency(event: Any, target: str, rates: Rates) -> Event | None:
    """A copy of a money event with its amounts in `target`, or None without a rate. The
    balance an operator reported belongs to the other currency's wallet: left out."""
    source = event.currency
    quote = rates.quote(source, target)
    if quote is None:
        return None
    cap = 10 ** (MAX_MAJOR_DIGITS + exponent(target)) - 1   # the protocol's largest amount
    changes: dict[str, Any] = {"currency": target}
    for name, up in FIELDS[type(event)]:
        if up is None:
            up = event.direction == "credit"
        minor = quote.convert(to_minor(getattr(event, name), source), up=up)
        changes[name] = format_amount(min(minor, cap), target)
    if hasattr(event, "balance"):
        changes["balance"] = changes["bonus_balance"] = None
    return msgspec.structs.replace(event, **changes)
