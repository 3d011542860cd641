"""Durations: ISO 8601 (weeks, days, hours, minutes, seconds) or whole seconds; months and
years refused because they vary in length."""

from __future__ import annotations

import pytest

from croupier.journeys import DurationError, seconds
from croupier.journeys.durations import words


@pytest.mark.parametrize(("written", "total"), [
    ("PT10M", 600), ("PT15M", 900), ("PT2H", 7200), ("P7D", 604800), ("P1DT12H", 129600), ("P2W", 1209600),
    ("PT90S", 90), ("pt5m", 300), (600, 600), (0, 0),
])
def test_durations_in_seconds(written: str | int, total: int) -> None:
    assert seconds(written) == total


@pytest.mark.parametrize(("written", "words_"), [
    ("P1M", "months or years"), ("P1Y", "months or years"), ("P1Y2M3D", "months or years"),
    ("P", "not an ISO 8601 duration"), ("PT", "not an ISO 8601 duration"), ("P1DT", "not an ISO 8601 duration"),
    ("10 minutes", "not an ISO 8601 duration"), ("P1.5D", "not an ISO 8601 duration"), (-5, "negative"),
    (True, "expected an ISO 8601 duration"), (1.5, "expected an ISO 8601 duration"),
])
def test_what_is_not_a_duration(written: object, words_: str) -> None:
    with pytest.raises(DurationError, match=words_):
        seconds(written)  # type: ignore[arg-type]


def test_durations_in_words() -> None:
    assert [words(n) for n in (0, 1, 600, 86400, 129600, 90061)] == [
        "0 seconds", "1 second", "10 minutes", "1 day", "1 day 12 hours", "1 day 1 hour 1 minute 1 second"]
