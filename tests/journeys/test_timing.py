"""When schedules and date triggers fire: local wall-clock times in the right zone, across
daylight-saving changes, weekly and monthly days, birthdays on 29 February, anniversaries
on the local day of registration."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from croupier.journeys import DateTrigger, Schedule
from croupier.journeys.timing import local_instant, next_date, next_run

UTC = timezone.utc


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def daily(at_: str, zone: str) -> Schedule:
    return Schedule(every="day", at=at_, timezone=zone, segment_id=1)


def test_a_daily_schedule_in_the_operators_zone() -> None:
    s = daily("10:00", "Europe/Malta")
    assert next_run(s, at(2026, 12, 3, 8, 0)) == at(2026, 12, 3, 9, 0)         # CET: UTC+1
    assert next_run(s, at(2026, 12, 3, 9, 0)) == at(2026, 12, 4, 9, 0)         # strictly after
    assert next_run(s, at(2026, 7, 3, 12, 0)) == at(2026, 7, 4, 8, 0)          # CEST: UTC+2


def test_a_time_skipped_by_the_clocks_runs_at_the_first_minute_after_the_jump() -> None:
    s = daily("02:30", "Europe/Malta")                      # 29 March 2026: 02:00 CET -> 03:00 CEST
    assert next_run(s, at(2026, 3, 28, 12, 0)) == at(2026, 3, 29, 1, 0)       # 03:00 CEST
    assert next_run(s, at(2026, 3, 29, 1, 0)) == at(2026, 3, 30, 0, 30)


def test_a_time_the_clocks_repeat_runs_once_at_the_first() -> None:
    s = daily("02:30", "Europe/Malta")                      # 25 October 2026: 03:00 CEST -> 02:00 CET
    first = next_run(s, at(2026, 10, 25, 0, 0))
    assert first == at(2026, 10, 25, 0, 30)                                    # 02:30 CEST
    assert next_run(s, first) == at(2026, 10, 26, 1, 30)                       # not 02:30 CET the same day


def test_weekly_and_monthly() -> None:
    weekly = Schedule(every="week", at="10:00", timezone="America/New_York", weekdays=("mon", "thu"), segment_id=1)
    assert next_run(weekly, at(2026, 12, 3, 14, 0)) == at(2026, 12, 3, 15, 0)  # Thursday 3 December
    assert next_run(weekly, at(2026, 12, 3, 16, 0)) == at(2026, 12, 7, 15, 0)  # then Monday
    monthly = Schedule(every="month", at="00:00", timezone="Asia/Tokyo", month_days=(1, 15), segment_id=1)
    assert next_run(monthly, at(2026, 12, 3, 16, 0)) == at(2026, 12, 14, 15, 0)
    assert next_run(monthly, at(2026, 12, 14, 15, 0)) == at(2026, 12, 31, 15, 0)


def test_birthdays_in_the_players_zone() -> None:
    t = DateTrigger(date="birthday", at="10:00")
    assert next_date(t, at(2026, 12, 3), birth_date=date(1990, 12, 24), player_timezone="Europe/Rome") == \
        at(2026, 12, 24, 9, 0)
    assert next_date(t, at(2026, 12, 24, 9, 0), birth_date=date(1990, 12, 24), player_timezone="Europe/Rome") == \
        at(2027, 12, 24, 9, 0)
    early = DateTrigger(date="birthday", at="10:00", days_before=1)
    assert next_date(early, at(2026, 12, 3), birth_date=date(2000, 2, 29), player_timezone="Europe/Rome") == \
        at(2027, 2, 27, 9, 0)                                # 28 February in 2027, a day early
    assert next_date(t, at(2027, 3, 1), birth_date=date(2000, 2, 29)) == at(2028, 2, 29, 10, 0)  # fallback UTC
    assert next_date(t, at(2026, 12, 3)) is None


def test_registration_anniversaries_on_the_local_day() -> None:
    t = DateTrigger(date="registration_anniversary", at="12:00")
    registered = at(2026, 1, 1, 23, 30)                      # 2 January in Tokyo
    assert next_date(t, at(2026, 1, 3), registered_at=registered, player_timezone="Asia/Tokyo") == \
        at(2027, 1, 2, 3, 0)
    assert next_date(t, at(2026, 1, 1, 23, 45), registered_at=registered) == at(2027, 1, 1, 12, 0)
    assert next_date(t, at(2026, 1, 3)) is None


def test_moments_must_be_aware() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        next_run(daily("10:00", "UTC"), datetime(2026, 1, 1))


def test_local_instant() -> None:
    from zoneinfo import ZoneInfo

    assert local_instant(date(2026, 6, 1), "23:59", ZoneInfo("Pacific/Auckland")) == at(2026, 6, 1, 11, 59)
