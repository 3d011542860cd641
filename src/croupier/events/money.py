"""Currencies and amounts: decimal strings in, integer minor units inside, never floats."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

# ISO 4217 active codes with their minor-unit exponent (2 unless listed otherwise).
_ZERO_DIGIT = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
               "UYI", "VND", "VUV", "XAF", "XOF", "XPF"}
_THREE_DIGIT = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}
_FOUR_DIGIT = {"CLF", "UYW"}
_TWO_DIGIT = set("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN
BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP
LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR
NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN
SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR
ZMW ZWG
""".split())

CURRENCY_EXPONENT: dict[str, int] = {
    **{c: 2 for c in _TWO_DIGIT},
    **{c: 0 for c in _ZERO_DIGIT},
    **{c: 3 for c in _THREE_DIGIT},
    **{c: 4 for c in _FOUR_DIGIT},
}

# The largest amount one event or wallet request may carry: at most 12 digits before the
# decimal point, and at most 14 digits in the currency's minor units (so CLF, worth about 40
# USD a unit, stops at 9,999,999,999.9999 where EUR stops at 999,999,999,999.99). Far above
# any real stake; small enough that 10,000 of them (a full batch) still fit in a 64-bit total.
MAX_MAJOR_DIGITS = 12
MAX_MINOR_DIGITS = 14


class AmountError(ValueError):
    """An amount or currency that cannot be represented exactly."""


def exponent(currency: str) -> int:
    """Minor-unit digits of an ISO 4217 currency; raises AmountError for unknown codes."""
    try:
        return CURRENCY_EXPONENT[currency]
    except KeyError:
        raise AmountError(
            f"unknown currency {currency!r}: use an ISO 4217 code such as 'EUR', 'SEK', 'GBP'"
        ) from None


MAX_MINOR: dict[str, int] = {c: min(10**(MAX_MAJOR_DIGITS + e), 10**MAX_MINOR_DIGITS) - 1
                             for c, e in CURRENCY_EXPONENT.items()}


def max_minor(currency: str) -> int:
    """The largest amount of `currency` accepted, in minor units (docs/protocol.md#amounts)."""
    exponent(currency)   # an unknown code gets its own error
    return MAX_MINOR[currency]


def max_amount(currency: str) -> str:
    """The largest amount of `currency` accepted, as the protocol writes it ("999999999999.99")."""
    return format_amount(max_minor(currency), currency)


def too_large(amount: str, currency: str) -> str:
    """The one wording for an amount above the maximum, shared by the protocol and the wallet."""
    return f"amount {amount!r} is too large: the largest {currency} amount is {max_amount(currency)}"


@lru_cache(maxsize=262_144)
def to_minor(amount: str, currency: str) -> int:
    """Parse a non-negative decimal string into integer minor units of `currency`.

    String parsing instead of Decimal keeps the hot path cheap, and stakes repeat ("1.00",
    "0.20"), so results are cached; the grammar is checked before this is called.
    """
    exp = exponent(currency)
    whole, _, frac = amount.partition(".")
    if len(frac) > exp:
        if frac[exp:].strip("0"):
            raise AmountError(
                f"amount {amount!r} has {len(frac)} decimal places; {currency} has {exp}"
            )
        frac = frac[:exp]
    return int(whole) * 10**exp + (int(frac.ljust(exp, "0")) if exp else 0)


def bounded_minor(amount: str, currency: str) -> int:
    """`to_minor` for input (an event being validated, a wallet or limit request): refuses an
    amount above the currency's maximum. Events already in the log are folded with `to_minor`,
    so those stored before the bound existed still fold (their totals saturate)."""
    minor = to_minor(amount, currency)
    if minor > MAX_MINOR[currency]:
        raise AmountError(too_large(amount, currency))
    return minor


def to_decimal(minor: int, currency: str) -> Decimal:
    """Integer minor units back to a Decimal in major units, for display and reports."""
    return Decimal(minor).scaleb(-exponent(currency))


def format_amount(minor: int, currency: str) -> str:
    """Minor units as the protocol's decimal string, e.g. 1050 SEK -> '10.50' (integer
    arithmetic: a player's features format hundreds of amounts on every read)."""
    exp = exponent(currency)
    if not exp:
        return str(minor)
    whole, fraction = divmod(-minor if minor < 0 else minor, 10 ** exp)
    return f"{'-' if minor < 0 else ''}{whole}.{fraction:0{exp}d}"
