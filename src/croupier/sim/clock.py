"""Simulated time: integer milliseconds since the epoch (UTC) inside, RFC 3339 outside.

Integers keep the discrete-event loop fast and exact; local time is derived only where
behaviour depends on it (time of day, late-night play).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

SECOND = 1_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
NEVER = 1 << 62  # a time later than any simulated time

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MS = timedelta(milliseconds=1)


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of an aware datetime; naive ones are refused."""
    if moment.tzinfo is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {moment.isoformat()}")
    return (moment - _EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def rfc3339(ms: int) -> str:
    """`2026-11-21T10:15:03.123+00:00`, as the protocol wants it."""
    return from_ms(ms).isoformat(timespec="milliseconds")


# "SS.mmm+00:00" for every millisecond of a minute, so a stamp is two lookups and a join.
_MINUTE_TAILS: tuple[str, ...] = tuple(
    f"{s:02d}.{ms:03d}+00:00" for s in range(60) for ms in range(1000)
)


_TWO_DIGITS: tuple[str, ...] = tuple(f"{i:02d}:" for i in range(60))


class Stamper:
    """Formats many nearby timestamps fast by caching the date-hour-minute prefix."""

    def __init__(self) -> None:
        self._prefixes: dict[int, str] = {}
        self._hours: dict[int, str] = {}

    def __call__(self, ms: int) -> str:
        minute, rest = divmod(ms, MINUTE)
        prefix = self._prefixes.get(minute)
        if prefix is None:
            prefix = self._prefix(minute)
        return prefix + _MINUTE_TAILS[rest]

    def _prefix(self, minute: int) -> str:
        if len(self._prefixes) > 100_000:
            self._prefixes.clear()
            self._hours.clear()
        hour, within = divmod(minute, 60)
        date_hour = self._hours.get(hour)
        if date_hour is None:
            date_hour = self._hours[hour] = from_ms(hour * HOUR).strftime("%Y-%m-%dT%H:")
        prefix = self._prefixes[minute] = date_hour + _TWO_DIGITS[within]
        return prefix


def local(ms: int, zone: ZoneInfo) -> datetime:
    """The wall-clock time a player sees at `ms`."""
    return from_ms(ms).astimezone(zone)
