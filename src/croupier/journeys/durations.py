"""Durations in a journey: an ISO 8601 duration (`PT10M`, `P7D`, `P1DT12H`, `P2W`) or a whole
number of seconds. Months and years are refused: they vary in length, so a wait written in
them would not mean one thing; write days (`P30D`, `P365D`)."""

from __future__ import annotations

import re
from typing import Union

Duration = Union[str, int]

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR

_ISO = re.compile(r"^P(?:(?P<w>\d+)W|(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?)$")
_CALENDAR = re.compile(r"^P(?:\d+Y)?(?:\d+M)?(?:\d+[WD])?(?:T.*)?$")


class DurationError(ValueError):
    """Not a duration this language accepts; the message says what to write instead."""


def seconds(duration: Duration) -> int:
    """The duration in whole seconds; DurationError if it is not one."""
    if isinstance(duration, bool) or not isinstance(duration, (str, int)):
        raise DurationError(f"expected an ISO 8601 duration such as \"PT10M\" or \"P7D\", or whole seconds, "
                            f"got {type(duration).__name__}")
    if isinstance(duration, int):
        if duration < 0:
            raise DurationError(f"{duration} is negative: a duration is 0 seconds or more")
        return duration
    text = duration.strip().upper()
    match = _ISO.match(text)
    if match is None or text in ("P", "PT") or text.endswith("T"):
        if _CALENDAR.match(text) and ("Y" in text or "M" in text.split("T")[0]):
            raise DurationError(f"{duration!r} counts months or years, which vary in length: write days instead "
                                f"(\"P30D\", \"P365D\")")
        raise DurationError(f"{duration!r} is not an ISO 8601 duration: write for example \"PT10M\" (10 minutes), "
                            f"\"PT2H\", \"P7D\", \"P1DT12H\" or \"P2W\", or a whole number of seconds")
    parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    return (parts.get("w", 0) * 7 * DAY + parts.get("d", 0) * DAY + parts.get("h", 0) * HOUR
            + parts.get("m", 0) * MINUTE + parts.get("s", 0))


def words(total: int) -> str:
    """A duration in words for messages: `10 minutes`, `7 days`, `1 day 12 hours`."""
    if total == 0:
        return "0 seconds"
    out = []
    for size, unit in ((DAY, "day"), (HOUR, "hour"), (MINUTE, "minute"), (1, "second")):
        n, total = divmod(total, size)
        if n:
            out.append(f"{n} {unit}{'' if n == 1 else 's'}")
    return " ".join(out)
