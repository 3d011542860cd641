"""The player's own clock beside the staff member's, for the player page.

Quiet hours, limit periods and "late-night play" are counted on the player's local time
(the `timezone` of their registration; UTC when it is unknown, as the gate and the limit
periods count it), while staff read times on their own clock. This puts the two side by
side: what time it is for the player now, the quiet-hours and late-night windows in both
clocks, and when each limit period resets."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from croupier.compliance.rules import rules_in_force
from croupier.players.apply import is_late_night
from croupier.protection.limits_periods import period_end
from croupier.web import formatting as fmt
from croupier.web.formatting import Reader

UTC = ZoneInfo("UTC")


def _window_in(zone: ZoneInfo, start: int, end: int, now: datetime, reader: Reader) -> str:
    """Today's local [start, end) hours of `zone` on the reader's clock (`21:00 CET–07:00 CET`)."""
    today = now.astimezone(zone).date()
    first = datetime(today.year, today.month, today.day, tzinfo=zone) + timedelta(hours=start)
    span = (end - start) % 24 or 24
    last = first + timedelta(hours=span)
    return f"{fmt.clock_text(first, reader)}–{fmt.clock_text(last, reader)}"


def _in_window(hour: int, start: int, end: int) -> bool:
    return start <= hour < end if start <= end else (hour >= start or hour < end)


def player_clock(runtime: Any, view: dict[str, Any], reader: Reader,  # noqa: ANN401 - the Runtime
                 now: datetime | None = None) -> dict[str, Any]:
    """What the player page shows about the player's clock; `now` for tests."""
    now = now or datetime.now(timezone.utc)
    state = runtime.engine.state_of(view["player_id"])
    profile = state.profile if state is not None else {}
    named = profile.get("timezone")
    zone = fmt.zone_for(named)
    counted = zone or UTC   # what the rules count in
    local_now = now.astimezone(counted)
    out: dict[str, Any] = {
        "zone": zone.key if zone else None, "named": named if named and zone is None else None,
        "counted_zone": counted.key, "now": fmt.moment_text(now, reader, counted),
        "now_iso": fmt.iso(now), "same_clock": counted.utcoffset(now) == reader.zone.utcoffset(now),
    }
    jurisdiction = profile.get("jurisdiction")
    rules = rules_in_force(runtime.config).of(jurisdiction)
    quiet = rules.marketing.quiet_hours
    out["jurisdiction"] = jurisdiction
    if quiet and len(quiet) == 2:
        start, end = int(quiet[0]), int(quiet[1])
        out["quiet"] = {"local": fmt.hours_text(start, end, reader), "yours": _window_in(counted, start, end, now, reader),
                        "now": _in_window(local_now.hour, start, end)}
    else:
        out["quiet"] = None
    features = runtime.config.features
    start, end = features.late_night_start_hour, features.late_night_end_hour
    out["late_night"] = {"local": fmt.hours_text(start, end, reader), "yours": _window_in(counted, start, end, now, reader),
                         "now": is_late_night(local_now.hour, features),
                         "share_30d": view["features"].get("late_night_share_30d")}
    out["resets"] = {}
    protection = view.get("protection") or {}
    for limit in protection.get("limits", []):
        if limit.get("current") and limit.get("period"):
            try:
                out["resets"][limit["key"]] = fmt.iso(period_end(limit["period"], now, counted.key))
            except ValueError:   # a period the rules do not know: no reset time to show
                continue
    return out
