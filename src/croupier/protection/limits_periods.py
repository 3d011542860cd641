"""Limit periods (day, week, month) in the player's own calendar.

A daily limit resets at the player's local midnight, a weekly one on Monday, a monthly one
on the 1st; the boundaries are computed in the player's time zone and handled as aware UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PERIODS = ("day", "week", "month")
PERIOD_WORDS = {"day": "daily", "week": "weekly", "month": "monthly"}


@lru_cache(maxsize=1024)
def zone(name: str | None) -> ZoneInfo:
    """The player's zone; UTC when unknown or not a valid IANA name."""
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def zone_name(name: str | None) -> str:
    return zone(name).key


def local_date(moment: datetime, tz: str | None) -> date:
    return moment.astimezone(zone(tz)).date()


def first_day(period: str, today: date) -> date:
    if period == "day":
        return today
    if period == "week":
        return today - timedelta(days=today.weekday())
    if period == "month":
        return today.replace(day=1)
    raise ValueError(f"unknown period {period!r}: use day, week or month")


def next_first_day(period: str, today: date) -> date:
    """The first local day of the next period."""
    if period == "day":
        return today + timedelta(days=1)
    if period == "week":
        return first_day("week", today) + timedelta(days=7)
    if period == "month":
        return (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    raise ValueError(f"unknown period {period!r}: use day, week or month")


def local_midnight(day: date, tz: str | None) -> datetime:
    """The UTC instant the local day starts."""
    return datetime.combine(day, time(0), tzinfo=zone(tz)).astimezone(timezone.utc)


@dataclass(frozen=True, slots=True)
class Window:
    """The current period: [start, end) as aware UTC, and its local days as date ordinals."""

    period: str
    timezone: str
    start: datetime
    end: datetime
    first_day: int
    today: int


def window(period: str, now: datetime, tz: str | None) -> Window:
    return _window(period, local_date(now, tz), tz)


@lru_cache(maxsize=4096)
def _window(period: str, today: date, tz: str | None) -> Window:
    """A window depends only on the local day (every posting of a day shares it)."""
    start_day, end_day = first_day(period, today), next_first_day(period, today)
    return Window(period, zone_name(tz), local_midnight(start_day, tz), local_midnight(end_day, tz),
                  start_day.toordinal(), today.toordinal())


def period_end(period: str, now: datetime, tz: str | None) -> datetime:
    return window(period, now, tz).end
