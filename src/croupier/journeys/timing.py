"""When a schedule or a date trigger fires next: pure functions of the trigger and an aware
UTC moment, so the engine can write the next firing as a timer fact in the log and a replay
computes the same moment.

Wall-clock times are local (the operator's time zone for a schedule, the player's for a
date). A time that does not exist that day (clocks jump forward over it) fires at the first
minute after the jump; a time that exists twice (clocks fall back) fires once, at the first.
A birthday on 29 February falls on 28 February in other years."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from croupier.journeys.definition import WEEKDAYS, DateTrigger, Schedule

_MINUTE = timedelta(minutes=1)


def local_instant(day: date, at: str, zone: ZoneInfo) -> datetime:
    """The UTC moment of wall-clock time `at` ("HH:MM") on `day` in `zone`."""
    hour, minute = (int(x) for x in at.split(":"))
    wall = datetime.combine(day, time(hour, minute))
    instant = wall.replace(tzinfo=zone, fold=0).astimezone(timezone.utc)
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant
    # In a gap: step back to the jump; the first minute after it is the first that exists.
    probe = instant
    for _ in range(24 * 60):
        earlier = probe - _MINUTE
        if earlier.astimezone(zone).replace(tzinfo=None) < wall:
            return probe
        probe = earlier
    return instant


def next_run(schedule: Schedule, after: datetime) -> datetime:
    """The first moment strictly after `after` at which the schedule fires (aware UTC)."""
    _require_aware(after)
    zone = ZoneInfo(schedule.timezone)
    day = after.astimezone(zone).date() - timedelta(days=1)
    weekdays = {WEEKDAYS.index(d) for d in schedule.weekdays}
    for _ in range(2 * 366):
        if (schedule.every == "day" or (schedule.every == "week" and day.weekday() in weekdays)
                or (schedule.every == "month" and day.day in schedule.month_days)):
            instant = local_instant(day, schedule.at, zone)
            if instant > after:
                return instant
        day += timedelta(days=1)
    raise ValueError(f"the schedule never fires: {schedule!r}")


def next_date(trigger: DateTrigger, after: datetime, *, birth_date: date | None = None,
              registered_at: datetime | None = None, player_timezone: str | None = None) -> datetime | None:
    """The first moment strictly after `after` at which the date trigger fires for a player
    (aware UTC); None when the player has no such date (no birth date, not registered).
    A registration anniversary is the local calendar day of registration, from a year after."""
    _require_aware(after)
    zone = ZoneInfo(player_timezone or trigger.fallback_timezone)
    if trigger.date == "birthday":
        if birth_date is None:
            return None
        month, dom, first_year = birth_date.month, birth_date.day, birth_date.year + 1
    else:
        if registered_at is None:
            return None
        _require_aware(registered_at)
        local = registered_at.astimezone(zone).date()
        month, dom, first_year = local.month, local.day, local.year + 1
    start = max(first_year, after.astimezone(zone).year - 1)
    for year in range(start, start + 4):
        day = date(year, month, min(dom, calendar.monthrange(year, month)[1]))
        instant = local_instant(day - timedelta(days=trigger.days_before), trigger.at, zone)
        if instant > after:
            return instant
    return None


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone: pass an aware UTC moment")
