"""What the API's answers share: a moment as ISO 8601 UTC (exact, from integer microseconds
through `players.moment`, never through a float), the clock, and JSON that keeps the numbers
of definitions exactly as written (Decimal as a JSON number, not a float)."""

from __future__ import annotations

import time
from typing import Any

import msgspec
from fastapi.responses import Response

from croupier.players import moment

_ENCODER = msgspec.json.Encoder(decimal_format="number")


def iso(us: int | None) -> str | None:
    if us is None:
        return None
    return moment(us).isoformat().replace("+00:00", "Z")


def now_us() -> int:
    return time.time_ns() // 1000


def exact_json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """JSON with definitions kept exact (their numbers as written, never through a float)."""
    return Response(_ENCODER.encode(payload), status_code=status, media_type="application/json", headers=headers)
