"""Exchange rates as configuration: part of the versioned, four-eyes-approved document, so a
rate change is proposed, approved and audited like any other, and every conversion names
the configuration version whose rate it used.

A limit protects a person, not a currency: the ledger converts every inflow, stake and win
into the currency of each limit in force, and the engine sums foreign-currency events into
the player's currency, both at these rates. Rates are quoted against one `base` currency
("1 EUR = 0.8512 GBP"); any pair is the ratio of two quotes. Pure: no storage, no clock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal, InvalidOperation
from typing import Any, Literal

import msgspec
from msgspec import Struct

from croupier.events.money import AmountError, exponent

ForeignCurrency = Literal["convert", "refuse"]
_RATE = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,12})?$")
_WIDE = Context(prec=60)        # wide enough that amount x rate is exact before rounding
_RATIO = Context(prec=28)       # a cross rate (quote / quote), the same digits every time


class Rate(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One quote: how many units of this currency one unit of the base buys."""

    rate: str                   # a decimal string, e.g. "0.8512"; never a JSON number
    as_of: str                  # the date the rate was taken, YYYY-MM-DD
    source: str | None = None   # where it came from, e.g. "ECB reference rate"


class ExchangeRules(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """The `exchange` section of the configuration. No rates ship: an operator sets them
    (or refuses foreign currencies); without a rate the ledger refuses the posting."""

    foreign_currency: ForeignCurrency = "convert"   # refuse: inflows and stakes not in the player's currency are refused
    base: str = "EUR"
    rates: dict[str, Rate] = msgspec.field(default_factory=dict)


def problems(rules: ExchangeRules) -> list[tuple[str, Any, str]]:
    """(path below `exchange`, value, message) for what the schema cannot check."""
    out: list[tuple[str, Any, str]] = []
    try:
        exponent(rules.base)
    except AmountError as exc:
        out.append(("base", rules.base, str(exc)))
    for code, quote in rules.rates.items():
        try:
            exponent(code)
        except AmountError as exc:
            out.append((f"rates.{code}", code, str(exc)))
        if code == rules.base:
            out.append((f"rates.{code}", quote.rate, "the base currency is 1 by definition: remove it"))
        if not _RATE.match(quote.rate) or Decimal(quote.rate) == 0:
            out.append((f"rates.{code}.rate", quote.rate,
                        f"a positive decimal string: units of {code} per 1 {rules.base}, e.g. \"0.8512\""))
        try:
            date.fromisoformat(quote.as_of)
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", quote.as_of):
                raise ValueError
        except ValueError:
            out.append((f"rates.{code}.as_of", quote.as_of, "the date the rate was taken, YYYY-MM-DD"))
    return out


@dataclass(frozen=True, slots=True)
class Quote:
    """The rate from one currency to another, and where it came from."""

    source: str
    target: str
    rate: Decimal               # units of target per unit of source
    as_of: str                  # the older of the two quotes' dates
    version: str                # the configuration version whose table gave it

    def convert(self, minor: int, *, up: bool) -> int:
        """`minor` units of `source` in minor units of `target`, rounded up (what counts
        against a limit) or down (what offsets it: wins, withdrawals)."""
        if minor == 0:
            return 0
        digits = exponent(self.target) - exponent(self.source)
        value = _WIDE.multiply(Decimal(minor), self.rate).scaleb(digits, _WIDE)
        return int(value.to_integral_value(rounding=ROUND_CEILING if up else ROUND_FLOOR))

    def as_dict(self) -> dict[str, str]:
        return {"from": self.source, "to": self.target, "rate": format(self.rate.normalize(), "f"),
                "as_of": self.as_of, "config_version": self.version}


class RateTable:
    """The rates of one configuration version: `quote(source, target)` or None when either
    currency has no rate (the caller refuses: fail closed)."""

    __slots__ = ("base", "mode", "version", "_quotes", "_rates")

    def __init__(self, rules: ExchangeRules | None = None, version: str = ""):
        rules = rules or ExchangeRules()
        self.base, self.mode, self.version = rules.base, rules.foreign_currency, version
        self._rates: dict[str, tuple[Decimal, str]] = {rules.base: (Decimal(1), "")}
        for code, quote in rules.rates.items():
            try:
                self._rates[code] = (Decimal(quote.rate), quote.as_of)
            except InvalidOperation:
                continue
        self._quotes: dict[tuple[str, str], Quote | None] = {}

    def __bool__(self) -> bool:
        return len(self._rates) > 1

    def quote(self, source: str, target: str) -> Quote | None:
        key = (source, target)
        if key in self._quotes:
            return self._quotes[key]
        a, b = self._rates.get(source), self._rates.get(target)
        found = None
        if source == target:
            found = Quote(source, target, Decimal(1), "", self.version)
        elif a is not None and b is not None and a[0] > 0:
            dates = sorted(d for d in (a[1], b[1]) if d)
            found = Quote(source, target, _RATIO.divide(b[0], a[0]), dates[0] if dates else "", self.version)
        if len(self._quotes) < 1024:
            self._quotes[key] = found
        return found


NO_RATES = RateTable()
