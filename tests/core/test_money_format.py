"""Amounts are written as the protocol's decimal strings exactly as Decimal would write them,
for every currency and any integer of minor units (format_amount uses integer arithmetic)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings, strategies as st

from croupier.events import format_amount
from croupier.events.money import CURRENCY_EXPONENT


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=-10**18, max_value=10**18), st.sampled_from(sorted(CURRENCY_EXPONENT)))
def test_format_amount_is_the_decimal_in_major_units(minor: int, currency: str) -> None:
    exp = CURRENCY_EXPONENT[currency]
    assert format_amount(minor, currency) == f"{Decimal(minor).scaleb(-exp):.{exp}f}"
    assert Decimal(format_amount(minor, currency)).scaleb(exp) == minor


def test_examples() -> None:
    assert format_amount(1050, "SEK") == "10.50" and format_amount(-5, "EUR") == "-0.05"
    assert format_amount(1050, "JPY") == "1050" and format_amount(1, "KWD") == "0.001"
