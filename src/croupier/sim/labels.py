"""Ground truth per player, as of the simulation clock.

The product never reads these; they score detectors (precision and recall per label).
A time that lies after the clock has not happened yet and is reported as null.
"""

from __future__ import annotations

from typing import Any

from croupier.sim.clock import rfc3339
from croupier.sim.player import SimPlayer


def label(player: SimPlayer, clock: int) -> dict[str, Any]:
    def when(ms: int | None) -> str | None:
        return rfc3339(ms) if ms is not None and ms <= clock else None

    return {
        "player_id": player.player_id,
        "brand": player.brand,
        "jurisdiction": player.jurisdiction.code,
        "archetype": player.kind,
        "registered_at": rfc3339(player.registered_at),
        "labels": {
            "problem_gambling": player.kind == "problem_gambler",
            "escalation_started_at": when(player.escalation_at),
            "harm_started_at": when(player.harm_at),
            "harm_pattern": player.harm_pattern,
            "harm_signs": sorted(player.tells),
            "gambling_harm_exclusion_at": when(player.harm_exit_at),
            "bonus_abuser": player.kind == "bonus_hunter",
            "ring_id": player.ring.ring_id if player.ring is not None else None,
            "money_mule": player.kind == "money_mule",
            "churned_at": when(player.churned_at),
            "returned_at": when(player.returned_at) if when(player.churned_at) else None,
        },
        "support_moods": [{"event_id": event_id, "mood": mood}
                          for at, event_id, mood in player.support_moods if at <= clock],
    }
