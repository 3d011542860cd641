"""The back office's figures and times for one reader (web/formatting.py): Babel's CLDR
conventions per locale, currencies with 0, 2 and 3 decimals, negatives, large amounts, the
one human time format on the reader's clock, relative times, and the settings' validation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from croupier.web import formatting as fmt
from croupier.web.formatting import Reader

NBSP = "\u00a0"
EN, SV, DE = Reader.of("en", "Europe/Stockholm"), Reader.of("sv", "Europe/Stockholm"), Reader.of("de", "Europe/Berlin")
WINTER = datetime(2026, 12, 3, 8, 15, 3, tzinfo=timezone.utc)   # 09:15:03 CET
SUMMER = datetime(2026, 7, 1, 22, 30, tzinfo=timezone.utc)      # 00:30 CEST, the next day


def sp(text: str) -> str:
    """Write the expected values with ordinary spaces; CLDR uses no-break spaces."""
    return text.replace(" ", NBSP)


@pytest.mark.parametrize(("reader", "amount", "currency", "expected"), [
    (EN, "462850.50", "SEK", sp("SEK 462,850.50")),
    (SV, "462850.50", "SEK", sp("462 850,50 kr")),
    (DE, "462850.50", "SEK", sp("462.850,50 SEK")),
    (EN, Decimal("250"), "GBP", "£250.00"),
    (SV, Decimal("250"), "GBP", sp("250,00 GBP")),
    (DE, Decimal("250"), "GBP", sp("250,00 £")),
    (EN, "1234567890.12", "EUR", "€1,234,567,890.12"),
    (SV, "1234567890.12", "EUR", sp("1 234 567 890,12 €")),
    (DE, "1234567890.12", "EUR", sp("1.234.567.890,12 €")),
    # JPY has no minor unit, KWD three: the currency's own decimals
    (EN, "1234", "JPY", "¥1,234"),
    (SV, "1234", "JPY", sp("1 234 JPY")),
    (EN, "1234.5", "KWD", sp("KWD 1,234.500")),
    (DE, "1234.5", "KWD", sp("1.234,500 KWD")),
    # never rounded away: more decimals than the currency's are kept
    (EN, "0.125", "EUR", "€0.125"),
    (SV, 12, "SEK", sp("12,00 kr")),
])
def test_money_is_written_in_the_readers_convention(reader: Reader, amount: object, currency: str,
                                                    expected: str) -> None:
    assert fmt.money(amount, currency, reader) == expected


def test_negative_amounts_carry_a_minus_sign_in_every_locale() -> None:
    assert fmt.money(Decimal("-50"), "GBP", EN) == "-£50.00"
    assert fmt.money("-50", "GBP", SV) == sp("-50,00 GBP")
    assert fmt.money("-1234.5", "KWD", EN) == sp("-KWD 1,234.500")
    assert fmt.money("-462850.5", "SEK", DE) == sp("-462.850,50 SEK")
    assert fmt.is_negative("-0.01") and fmt.is_negative(Decimal("-3")) and fmt.is_negative(-2.5)
    assert not fmt.is_negative("0.00") and not fmt.is_negative("12") and not fmt.is_negative(None)
    assert not fmt.is_negative("n/a")


def test_money_that_is_not_a_decimal_is_shown_as_it_came() -> None:
    assert fmt.money(None, "SEK", EN) == fmt.EMPTY
    assert fmt.money("", "SEK", EN) == fmt.EMPTY
    assert fmt.money("n/a", "SEK", EN) == "n/a SEK"
    assert fmt.money("NaN", "SEK", EN) == "NaN SEK"
    assert fmt.money("12.5", None, EN) == "12.5"
    assert fmt.money(12.5, "SEK", EN) == "12.5 SEK"   # a float is never money: shown, not formatted
    assert fmt.money(True, "SEK", EN) == "True SEK"


@pytest.mark.parametrize(("reader", "expected_count", "expected_rate", "expected_share"), [
    (EN, "533,189", "12.3", "83.3%"),
    (SV, sp("533 189"), "12,3", sp("83,3 %")),
    (DE, "533.189", "12,3", sp("83,3 %")),
])
def test_counts_rates_and_percentages(reader: Reader, expected_count: str, expected_rate: str,
                                      expected_share: str) -> None:
    assert fmt.count(533_189, reader) == expected_count
    assert fmt.count(12.34, reader) == expected_rate
    assert fmt.percent(0.8333, reader) == expected_share
    assert fmt.count(None, reader) == fmt.EMPTY and fmt.percent(None, reader) == fmt.EMPTY


def test_minutes_keep_two_decimals_in_the_readers_digits() -> None:
    assert fmt.minutes(45.5, EN) == "45.50 min"
    assert fmt.minutes(1234.25, DE) == "1.234,25 min"
    assert fmt.minutes(46, SV) == "46,00 min"
    assert fmt.minutes(None, EN) == fmt.EMPTY


def test_percent_keeps_the_locales_sign_position_and_takes_digits() -> None:
    assert fmt.percent("0.05", EN) == "5.0%"
    assert fmt.percent(Decimal("1.5"), EN, digits=0) == "150%"
    assert fmt.percent(0.8333, Reader.of("tr")) == "%83,3"
    assert fmt.count(-1234567, EN) == "-1,234,567"
    assert fmt.count("not a number", EN) == "not a number"


def test_over_by_says_how_far_usage_passed_a_limit() -> None:
    assert fmt.over_by("250.00", "200.00") == Decimal("50.00")
    assert fmt.over_by("200.00", "200.00") is None
    assert fmt.over_by("150", "200") is None
    assert fmt.over_by(None, "200") is None and fmt.over_by("250", "n/a") is None


def test_one_human_format_on_the_readers_clock() -> None:
    assert fmt.moment_text(WINTER, EN) == "3 Dec 2026, 09:15:03 CET"
    assert fmt.moment_text(WINTER, SV) == "3 dec. 2026, 09:15:03 CET"
    assert fmt.moment_text(WINTER, DE) == "3 Dez. 2026, 09:15:03 CET"
    assert fmt.moment_text(WINTER, Reader.of("en", "UTC")) == "3 Dec 2026, 08:15:03 UTC"
    assert fmt.moment_text(WINTER, Reader.of("en", "America/New_York")) == "3 Dec 2026, 03:15:03 EST"
    # summer time, across midnight: the local date is the next day
    assert fmt.moment_text(SUMMER, SV) == "2 juli 2026, 00:30:00 CEST"
    assert fmt.clock_text(SUMMER, EN) == "00:30 CEST"
    # another zone's clock for the same reader (a player's local time)
    assert fmt.moment_text(WINTER, EN, fmt.zone_for("Asia/Tokyo")) == "3 Dec 2026, 17:15:03 JST"


def test_the_exact_time_on_hover_names_the_zone_and_utc() -> None:
    assert fmt.exact_text(WINTER, EN) == "3 Dec 2026, 09:15:03 CET (Europe/Stockholm) = 3 Dec 2026, 08:15:03 UTC"
    assert fmt.exact_text(WINTER, Reader.of("en", "UTC")) == "3 Dec 2026, 08:15:03 UTC"


def test_relative_times_in_the_readers_language() -> None:
    earlier = WINTER - timedelta(hours=3)
    assert fmt.relative(earlier, WINTER, EN) == "3 hr. ago"
    assert fmt.relative(earlier, WINTER, SV) == "för 3 tim sedan"
    assert fmt.relative(earlier, WINTER, DE) == "vor 3 Std."
    assert fmt.relative(WINTER + timedelta(days=2), WINTER, EN) == "in 2 days"
    assert fmt.relative(WINTER - timedelta(seconds=20), WINTER, EN) == "20 sec. ago"
    assert fmt.relative(WINTER + timedelta(hours=21, minutes=10), WINTER, EN) == "in 21 hr."   # not "in 1 day"


def test_moments_are_read_from_microseconds_rfc3339_and_datetimes() -> None:
    us = 1_796_285_703_000_000   # 2026-12-03T08:15:03Z
    assert fmt.to_moment(us) == WINTER
    assert fmt.to_moment("2026-12-03T08:15:03Z") == WINTER
    assert fmt.to_moment("2026-12-03T09:15:03+01:00") == WINTER
    assert fmt.to_moment("2026-12-03T08:15:03") == WINTER   # no offset: UTC
    assert fmt.to_moment(WINTER.astimezone(fmt.zone_for("Asia/Tokyo"))) == WINTER
    assert fmt.to_moment("yesterday") is None and fmt.to_moment(None) is None and fmt.to_moment(True) is None
    assert fmt.iso(WINTER) == "2026-12-03T08:15:03Z"


def test_hour_windows_as_the_reader_writes_times_of_day() -> None:
    assert fmt.hours_text(22, 8, EN) == "22:00–08:00"
    assert fmt.hours_text(0, 24, SV) == "00:00–24:00"


def test_settings_accept_only_iana_zones_and_known_locales() -> None:
    assert fmt.valid_time_zone("Europe/Stockholm") == "Europe/Stockholm"
    assert fmt.valid_time_zone(" UTC ") == "UTC"
    for bad in ("Mars/Olympus_Mons", "europe/stockholm", "CET+1", "../../etc/passwd", "", "x" * 80):
        with pytest.raises(ValueError, match="IANA time zone"):
            fmt.valid_time_zone(bad)
    assert fmt.valid_locale("sv") == "sv"
    assert fmt.valid_locale("en-GB") == "en_GB"
    assert fmt.valid_locale("de_DE") == "de_DE"
    for bad in ("klingon", "xx_YY", "", "en_GB; drop table"):
        with pytest.raises(ValueError):
            fmt.valid_locale(bad)
    assert fmt.locale_label("sv") == "svenska — sv"
    assert "Europe/Stockholm" in fmt.time_zones()


def test_a_reader_defaults_to_utc_and_english() -> None:
    reader = Reader.of()
    assert (reader.locale_name, reader.zone_name) == ("en", "UTC")
    assert Reader.of("sv", "Europe/Stockholm") is Reader.of("sv", "Europe/Stockholm")   # cached
    with pytest.raises(ValueError):
        Reader.of("sv", "Nowhere/Land")
