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

from croupier.journeys.definition import WEEKDAYS, DateTrigger, Once, Schedule

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


def once_at(trigger: Once, published_at: datetime, *, player_timezone: str | None = None) -> datetime:
    """When a one-off trigger fires (aware UTC): at publication without `at`; else at its
    wall-clock time in the trigger's zone, or with `local` in the player's own zone (the
    trigger's when the player has none)."""
    _require_aware(published_at)
    if trigger.at is None:
        return published_at.astimezone(timezone.utc)
    zone = ZoneInfo(player_timezone if trigger.local and player_timezone else trigger.timezone)
    wall = wall_clock(trigger.at)
    return local_instant(wall.date(), f"{wall:%H:%M}", zone)


def wall_clock(text: str) -> datetime:
    """A one-off trigger's `at` ("YYYY-MM-DDTHH:MM", or with a space) as a naive wall-clock
    moment; ValueError when it is not one."""
    try:
        if len(text) != 16 or text[10] not in "T ":
            raise ValueError
        return datetime.strptime(text.replace(" ", "T"), "%Y-%m-%dT%H:%M")
    except ValueError:
        raise ValueError(f"{text!r} is not a date and time: write YYYY-MM-DDTHH:MM (24-hour clock), "
                         f"e.g. 2026-12-24T10:00") from None


def throttled(start_us: int, place: int, per_minute: int | None) -> int:
    """When the entry at `place` (0, 1, 2, ... in the trigger's fixed order) is due under a
    throttle of `per_minute` entries a minute: every minute takes the next `per_minute`."""
    if not per_minute:
        return start_us
    return start_us + (place // per_minute) * 60_000_000


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone: pass an aware UTC moment")
