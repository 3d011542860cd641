"""What every RG detector is built from: the hit it returns, severity grading, money and
windows in words and numbers. Kept apart from `protection.markers` (which registers the
detectors and folds their hits) so detector modules (markers, intensity, chasing) import it
without importing each other."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass

from croupier.compliance.rules import MarkerConfig
from croupier.events import Event, format_amount
from croupier.players.config import FeatureConfig
from croupier.players.state import DAY_US, PlayerState

HOUR_US = 3_600_000_000
MINUTE_US = 60_000_000


@dataclass(frozen=True, slots=True)
class Hit:
    severity: int        # 1..3
    explanation: str


Detector = Callable[[PlayerState, Event, int, MarkerConfig, FeatureConfig], "Hit | None"]


# --- helpers ---------------------------------------------------------------------------------
def grade(value: float, cuts: list[int]) -> int:
    """0 below the first cut point, else 1..3."""
    return bisect.bisect_right(cuts, value)


def money(minor: int, state: PlayerState) -> str:
    currency = state.currency or "EUR"
    return f"{float(format_amount(minor, currency)):,.2f} {currency}"


def median(values: list[int]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        return 0.0
    mid = n // 2
    return float(ordered[mid]) if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def windows(state: PlayerState, at_us: int, cfg: MarkerConfig) -> tuple[range, range]:
    """The recent days (today and the days before it) and the baseline days before them,
    the baseline starting no earlier than the player's first activity."""
    today = at_us // DAY_US
    recent = range(today - cfg.recent_days + 1, today + 1)
    first_day = (state.first_event_us or at_us) // DAY_US
    start = max(recent.start - cfg.baseline_days, first_day)
    return recent, range(start, recent.start) if start < recent.start else range(0)


def _sum(state: PlayerState, days: range, slot: int) -> int:
    return _sums(state, days, (slot,))[0]


def _sums(state: PlayerState, days: range, slots: tuple[int, ...]) -> list[int]:
    """Totals of several day-bucket slots over some days, in one pass."""
    buckets = state.days
    totals = [0] * len(slots)
    for day in days:
        bucket = buckets.get(day)
        if bucket is not None:
            for i, slot in enumerate(slots):
                totals[i] += bucket[slot]
    return totals


def _recent_count(times: list[int], since_us: int) -> int:
    return len(times) - bisect.bisect_left(times, since_us)


def remember_time(times: list, item, keep: int) -> None:  # noqa: ANN001
    """Insert into an ascending list (late events slot in place), keeping the newest `keep`."""
    if not times or item >= times[-1]:
        times.append(item)
    else:
        bisect.insort(times, item)
    if len(times) > keep:
        del times[: len(times) - keep]


