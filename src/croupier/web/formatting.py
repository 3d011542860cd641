"""How the back office writes figures and moments for one reader: pure functions (no I/O,
no clock) over Babel's CLDR data, so a Swedish officer reads `462 850,50 kr` and
`3 dec. 2026, 09:15:03 CET` where an English one reads `SEK 462,850.50` and
`3 Dec 2026, 09:15:03 CET`.

Everything is stored as Decimal amounts (or decimal strings) with an ISO currency and as
aware UTC moments (microseconds since the epoch or RFC 3339); only what is shown changes.
A value this module cannot read is shown as it is, never dropped or guessed at."""

from __future__ import annotations

import math

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime, format_timedelta
from babel.numbers import format_currency, format_decimal
from babel.numbers import format_percent as babel_percent

EMPTY = "—"
DEFAULT_LOCALE = "en"
DEFAULT_TIME_ZONE = "UTC"
# One human format everywhere: day, abbreviated month in the reader's language, year, the
# 24-hour clock with seconds. The zone's abbreviation (CET, EST, UTC) comes from the tz
# database, not CLDR, whose English data names only American zones.
MOMENT_PATTERN = "d MMM y, HH:mm:ss"
CLOCK_PATTERN = "HH:mm"
# Locales offered on the settings page (any locale Babel knows is accepted).
COMMON_LOCALES = ("en", "en_GB", "en_IE", "sv", "fi", "da", "nb", "de", "de_AT", "nl", "fr", "es",
                  "it", "pt", "pl", "et", "lv", "lt", "mt", "el", "ja")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_UTC = ZoneInfo("UTC")
_LOCALE_SYNTAX = re.compile(r"[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,8}){0,3}")
_CODE_THEN_DIGIT = re.compile(r"(?<=[A-Za-z])(?=[\d-])|(?<=\d)(?=[A-Za-z])")


# -- who reads ------------------------------------------------------------------------------
def valid_locale(name: str) -> str:
    """The canonical name (`sv`, `en_GB`) of a locale Babel has data for; ValueError otherwise.
    Accepts `en-GB` as well as `en_GB`."""
    text = (name or "").strip()
    if not text or len(text) > 32:
        raise ValueError("choose a language and region, such as en, en_GB, sv or de")
    if not _LOCALE_SYNTAX.fullmatch(text):   # Babel's parser is lenient ("en_GB; x" reads as en)
        raise ValueError(f"{text!r} is not a locale code; use a code such as en, en_GB, sv or de")
    try:
        locale = Locale.parse(text.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValueError(f"{text!r} is not a locale Croupier knows; use a code such as en, en_GB, sv or de") from None
    return str(locale)


def valid_time_zone(name: str) -> str:
    """An IANA zone name the tz database knows (`Europe/Stockholm`, `UTC`); ValueError otherwise."""
    text = (name or "").strip()
    if not text or len(text) > 64 or text not in _zone_names():
        raise ValueError(f"{text!r} is not an IANA time zone; use a name such as Europe/Stockholm, "
                         "America/New_York or UTC")
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{text!r} is not an IANA time zone") from None
    return text


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def time_zones() -> list[str]:
    """Every zone name, sorted, for the settings page's list."""
    return sorted(_zone_names())


def locale_label(name: str) -> str:
    """`svenska (Sverige) — sv_SE`: the locale named in its own language, with its code."""
    locale = Locale.parse(name)
    return f"{locale.get_display_name(locale) or name} — {name}"


@dataclass(frozen=True)
class Reader:
    """The reader's language conventions and clock. Build it from validated names
    (`Reader.of`), so formatting itself never fails on a setting."""

    locale: Locale
    zone: ZoneInfo

    @classmethod
    def of(cls, locale: str | None = None, time_zone: str | None = None) -> Reader:
        return _reader(locale or DEFAULT_LOCALE, time_zone or DEFAULT_TIME_ZONE)

    @property
    def locale_name(self) -> str:
        return str(self.locale)

    @property
    def zone_name(self) -> str:
        return self.zone.key


@lru_cache(maxsize=256)
def _reader(locale: str, time_zone: str) -> Reader:
    return Reader(Locale.parse(valid_locale(locale)), ZoneInfo(valid_time_zone(time_zone)))


DEFAULT_READER = Reader.of()


# -- figures --------------------------------------------------------------------------------
def to_decimal(value: Any) -> Decimal | None:  # noqa: ANN401 - whatever a view holds
    """A Decimal from a Decimal, an int or a decimal string; None when it is none of them
    (floats are refused: money is never a float)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def is_negative(value: Any) -> bool:  # noqa: ANN401
    number = value if isinstance(value, float) else to_decimal(value)
    return number is not None and number < 0


def money(value: Any, currency: str | None, reader: Reader = DEFAULT_READER) -> str:  # noqa: ANN401
    """An amount in the reader's convention: `SEK 462,850.50` (en), `462 850,50 kr` (sv),
    `-£50.00` (en_GB). Always at least the currency's own decimals (0 for JPY, 3 for KWD)
    and never fewer than the amount has, so nothing is rounded away."""
    if value is None or value == "":
        return EMPTY
    number = to_decimal(value)
    if number is None:
        return f"{value} {currency}" if currency else str(value)
    code = (currency or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        return format_decimal(number, locale=reader.locale, decimal_quantization=False) + (f" {currency}" if currency else "")
    text = format_currency(number, code, locale=reader.locale, decimal_quantization=False)
    # CLDR's currency spacing, which Babel leaves out: a code written as letters is kept apart
    # from the digits (`SEK 462,850.50`, not `SEK462,850.50`).
    return _CODE_THEN_DIGIT.sub("\u00a0", text)


def count(value: Any, reader: Reader = DEFAULT_READER) -> str:  # noqa: ANN401
    """A count with the reader's grouping (`533,189`, `533 189`, `533.189`); a float (a rate
    such as events per second) with one decimal."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return format_decimal(value, format="#,##0.0", locale=reader.locale)
    number = to_decimal(value)
    if number is None:
        return str(value)
    return format_decimal(number, locale=reader.locale, decimal_quantization=False)


def minutes(value: Any, reader: Reader = DEFAULT_READER) -> str:  # noqa: ANN401
    """A duration in minutes as a feature holds it (a number with two decimals), in the
    reader's digits: 45.5 -> "45.50 min"."""
    if isinstance(value, float) and math.isfinite(value):
        value = f"{value:.2f}"
    number = to_decimal(value)
    if number is None:
        return EMPTY if value is None or value == "" else str(value)
    return format_decimal(number, format="#,##0.00", locale=reader.locale) + " min"


def percent(value: Any, reader: Reader = DEFAULT_READER, digits: int = 1) -> str:  # noqa: ANN401
    """A ratio (0.8333) as a percentage (`83.3%`, `83,3 %` in de)."""
    if value is None or value == "":
        return EMPTY
    number = value if isinstance(value, float) else to_decimal(value)
    if number is None:
        return str(value)
    return babel_percent(number, format=_percent_pattern(reader.locale_name, digits), locale=reader.locale)


@lru_cache(maxsize=256)
def _percent_pattern(locale: str, digits: int) -> str:
    """The locale's own percent pattern (`#,##0 %` in sv and de, `%#,##0` in tr) with
    `digits` decimals: the sign's place and spacing stay the locale's."""
    pattern = Locale.parse(locale).percent_formats[None].pattern.split(";")[0]
    if digits <= 0:
        return pattern
    cut = pattern.rfind("0") + 1
    return pattern[:cut] + "." + "0" * digits + pattern[cut:]


def over_by(used: Any, limit: Any) -> Decimal | None:  # noqa: ANN401
    """How far `used` exceeds `limit` (both in the same currency), or None when it does not."""
    u, cap = to_decimal(used), to_decimal(limit)
    if u is None or cap is None or u <= cap:
        return None
    return u - cap


# -- moments --------------------------------------------------------------------------------
def to_moment(value: Any) -> datetime | None:  # noqa: ANN401
    """An aware UTC moment from microseconds since the epoch, an RFC 3339 string (any offset;
    none means UTC) or a datetime; None for anything else."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float):
        return _EPOCH + timedelta(microseconds=int(value))
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def iso(moment: datetime) -> str:
    """The machine-readable form for `<time datetime=…>` and JSON: RFC 3339 in UTC."""
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def moment_text(moment: datetime, reader: Reader = DEFAULT_READER, zone: ZoneInfo | None = None) -> str:
    """`3 Dec 2026, 09:15:03 CET`: the moment on the clock of `zone` (the reader's by default)."""
    zone = zone or reader.zone
    local = moment.astimezone(zone)
    return f"{format_datetime(local, MOMENT_PATTERN, tzinfo=zone, locale=reader.locale)} {local.tzname()}"


def clock_text(moment: datetime, reader: Reader = DEFAULT_READER, zone: ZoneInfo | None = None) -> str:
    """`09:15 CET`: the time of day on the clock of `zone`."""
    zone = zone or reader.zone
    local = moment.astimezone(zone)
    return f"{format_datetime(local, CLOCK_PATTERN, tzinfo=zone, locale=reader.locale)} {local.tzname()}"


def exact_text(moment: datetime, reader: Reader = DEFAULT_READER) -> str:
    """The hover text: the moment on the reader's clock with the zone's name, and in UTC too
    when the reader is elsewhere (what integrators and regulators compare with)."""
    text = moment_text(moment, reader)
    if reader.zone_name in ("UTC", "Etc/UTC"):
        return text
    return f"{text} ({reader.zone_name}) = {moment_text(moment, reader, _UTC)}"


def relative(moment: datetime, now: datetime, reader: Reader = DEFAULT_READER) -> str:
    """`3 hr. ago` / `in 21 hr.` in the reader's language: a unit is used once a whole one
    has passed (21 hours stay hours, not "1 day")."""
    return format_timedelta(moment - now, add_direction=True, format="short", threshold=1,
                            locale=reader.locale)


def zone_for(name: str | None) -> ZoneInfo | None:
    """A player's zone from their profile; None when missing or not an IANA name."""
    if not name or not isinstance(name, str):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def hours_text(start: int, end: int, reader: Reader = DEFAULT_READER) -> str:
    """A local window of whole hours, `22:00–08:00`, as the reader writes times of day."""
    day = datetime(2000, 1, 3, tzinfo=timezone.utc)

    def at(hour: int) -> str:
        return "24:00" if hour == 24 else format_datetime(day.replace(hour=hour), CLOCK_PATTERN,
                                                          tzinfo=timezone.utc, locale=reader.locale)

    return f"{at(start)}–{at(end)}"


__all__ = [
    "COMMON_LOCALES", "DEFAULT_LOCALE", "DEFAULT_READER", "DEFAULT_TIME_ZONE", "EMPTY", "Reader",
    "clock_text", "count", "exact_text", "hours_text", "is_negative", "iso", "locale_label", "moment_text",
    "money", "over_by", "percent", "relative", "time_zones", "to_decimal", "to_moment", "valid_locale",
    "valid_time_zone", "zone_for",
]
