"""The player-360's Journeys tab: the journeys the player is in now (step, since, until),
what each journey kept of them (entries, control group, goals) and what happened, newest
first: every journey decision in words and, for staff who may see them, the gate's verdicts
on the messages and bonuses the journey's steps proposed. Read through the API's own
`player_journeys_now`, so the page and `GET /v1/players/{id}/journeys` agree."""

from __future__ import annotations

from typing import Any

from croupier.api.journey_count_routes import player_journeys_now
from croupier.web.staff import Staff

WHAT_WORDS = {"entered": "entered", "held_out": "held out (control group)", "refused": "not entered",
              "step": "step taken", "skipped": "step skipped", "waiting": "waiting", "resumed": "went on",
              "exited": "left", "converted": "goal reached", "allowed": "allowed by the gate",
              "suppressed": "suppressed by the gate", "dropped": "dropped by the contact policy",
              "held": "held by the contact policy (asked again later)"}


def player_journeys(runtime: Any, staff: Staff, player_id: str) -> dict[str, Any]:  # noqa: ANN401
    """The tab's rows; verdicts only for staff with `decisions.view` (the Messages tab's right)."""
    found = player_journeys_now(runtime, player_id) or {"runs": [], "journeys": [], "happened": []}
    verdicts = staff.can("decisions.view")
    happened = [{"proposal": None, "reasons": [], **h,
                 "what_words": WHAT_WORDS.get(h["what"], str(h["what"]).replace("_", " "))}
                for h in found["happened"] if verdicts or "proposal" not in h]
    return {"runs": found["runs"], "journeys": found["journeys"], "happened": happened}
