"""How far a backfill of simulated history has come (the demo replays days of an operator
before going live). The demo's feeder thread advances it; the dashboard shows it, so whoever
opens the back office during those minutes knows why figures are still climbing."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class BackfillProgress:
    start: datetime
    end: datetime
    simulated_to: datetime
    events: int

    @property
    def fraction(self) -> float:
        span = (self.end - self.start).total_seconds()
        done = (self.simulated_to - self.start).total_seconds()
        return 1.0 if span <= 0 else min(max(done / span, 0.0), 1.0)

    @property
    def days(self) -> int:
        """Simulated days in the backfill, to the nearest (the demo's "4 days" run to the
        minute it starts, a little over 4 days after their first)."""
        return max(1, round((self.end - self.start).total_seconds() / 86_400))

    @property
    def day(self) -> int:
        """The simulated day being replayed now, 1-based."""
        done = (self.simulated_to - self.start).total_seconds()
        return min(self.days, int(done // 86_400) + 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "running": True, "day": self.day, "days": self.days, "events": self.events,
            "fraction": round(self.fraction, 4),
            "simulated_to": self.simulated_to.timestamp(),
            "text": (f"A backfill of simulated history is running: day {self.day} of {self.days}, "
                     f"{self.events:,} events so far ({self.fraction:.0%}). Figures and charts keep "
                     "climbing until it is done."),
        }


class Backfill:
    """Thread-safe holder of the current backfill, or of none."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._progress: BackfillProgress | None = None

    def start(self, start: datetime, end: datetime) -> None:
        with self._lock:
            self._progress = BackfillProgress(start, end, start, 0)

    def advance(self, simulated_to: datetime, events: int) -> None:
        with self._lock:
            if self._progress is not None:
                p = self._progress
                self._progress = BackfillProgress(p.start, p.end, min(simulated_to, p.end), events)

    def finish(self) -> None:
        with self._lock:
            self._progress = None

    @property
    def progress(self) -> BackfillProgress | None:
        with self._lock:
            return self._progress

    def snapshot(self) -> dict[str, Any] | None:
        """What the dashboard JSON carries: None when no backfill is running."""
        progress = self.progress
        return progress.as_dict() if progress is not None else None
