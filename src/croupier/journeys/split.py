"""Deterministic assignment: which variant of a split a player gets, and whether a player is
in a journey's holdout. A pure function of the journey key, the step and the player id (a
SHA-256 hash), so live processing, a restart and a replay assign the same, with no state to
store. The journey key, not its version, is hashed: publishing a new version keeps every
player in their variant and in or out of the holdout."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from croupier.journeys.definition import Variant

BUCKETS = 10_000                                # 0.01 % resolution


def bucket(*parts: str) -> int:
    """A uniform bucket in [0, BUCKETS) for these parts (unit-separated, so ("ab", "c") and
    ("a", "bc") differ)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def assign(journey_key: str, step_id: str, player_id: str, variants: Sequence[Variant]) -> Variant:
    """The variant of split `step_id` this player gets; weights are whole percents summing to 100
    (validated), read in the listed order."""
    if not variants:
        raise ValueError("a split needs at least one variant")
    total = sum(v.weight for v in variants)
    if total <= 0:
        raise ValueError("a split's weights must sum to more than 0")
    point = bucket("split", journey_key, step_id, player_id) * total
    edge = 0
    for v in variants:
        edge += v.weight * BUCKETS
        if point < edge:
            return v
    return variants[-1]


def in_holdout(journey_key: str, player_id: str, percent: int) -> bool:
    """Whether the player is in the journey's control group (kept out of it entirely)."""
    return bucket("holdout", journey_key, player_id) < percent * (BUCKETS // 100)
