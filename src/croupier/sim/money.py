"""Amounts in integer minor units; every currency the sim uses has two minor digits.

Behaviour is specified in euro-equivalents (a "2 EUR stake") and converted to each
market's currency with rounding to the amounts real cashiers and stake ladders show.
"""

from __future__ import annotations

from functools import lru_cache

# Rough purchasing-power scale against EUR: a SEK player stakes 10-ish, not 1.
PER_EUR: dict[str, float] = {
    "EUR": 1.0, "GBP": 0.85, "SEK": 11.5, "DKK": 7.45, "CAD": 1.5, "USD": 1.1,
}

# Euro stake ladder a game client offers; scaled and rounded per currency.
_EUR_STAKES = (0.10, 0.20, 0.40, 0.50, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 500.0)


CENTS: tuple[str, ...] = tuple(f"{i:02d}" for i in range(100))


def amount(minor: int) -> str:
    """Decimal string with exactly two digits, e.g. 1050 -> "10.50"."""
    if minor < 0:
        raise ValueError(f"amounts are non-negative, got {minor} minor units")
    return f"{minor // 100}.{CENTS[minor % 100]}"


def nice(minor: int) -> int:
    """Round to 1, 2, 2.5 or 5 times a power of ten: the amounts cashiers suggest."""
    if minor <= 0:
        return 0
    magnitude = 1
    while magnitude * 10 <= minor:
        magnitude *= 10
    best = magnitude
    for step in (1, 2, 2.5, 5, 10):
        candidate = int(step * magnitude)
        if abs(candidate - minor) < abs(best - minor):
            best = candidate
    return best


def from_eur(eur: float, currency: str) -> int:
    """A euro-equivalent amount in `currency` minor units, rounded to a nice figure."""
    return max(1, nice(round(eur * PER_EUR[currency] * 100)))


@lru_cache(maxsize=None)
def stake_ladder(currency: str) -> tuple[int, ...]:
    """Stakes a game offers in this currency, ascending, in minor units."""
    return tuple(sorted({from_eur(eur, currency) for eur in _EUR_STAKES}))
