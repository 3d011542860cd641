"""RG reviews over the API: an RG officer closes a player's open cases and may lift a hard
stop. Who reviews is a person: a back-office session, or an `admin` key plus
`X-Croupier-Actor` naming a staff user with `rg.review` (see `api.auth.actor`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from croupier.api.auth import actor
from croupier.protection.reviews import OUTCOMES, ReviewRefused, record_review

router = APIRouter(prefix="/v1", tags=["protection"])


class ReviewRequest(BaseModel):
    outcome: str = Field(description=f"one of: {', '.join(OUTCOMES)}")
    note: str = Field("", max_length=4000)
    lift_hard_stop: bool = False


def review_player(runtime: Any, player_id: str, reviewer: str, request: ReviewRequest) -> dict[str, Any]:
    """Record the review, let the engine fold it, and answer with the player's RG standing."""
    known = runtime.engine.state_of(player_id)
    if known is None:
        raise ReviewRefused(f"no player {player_id!r}")
    with runtime.db.engine.begin() as conn:
        stored = record_review(conn, player_id, known.brand, actor=reviewer, outcome=request.outcome,
                               note=request.note, lift_hard_stop=request.lift_hard_stop)
    runtime.engine.submit(stored)
    state = runtime.engine.state_of(player_id)
    p = state.protection
    return {"player_id": player_id, "reviewed_by": reviewer, "outcome": request.outcome,
            "deposits_blocked": p.deposits_blocked, "risk_level": p.risk_level,
            "open_cases": sum(1 for i in p.interventions if i.status == "open")}


@router.post("/players/{player_id}/rg-review", summary="Record an RG officer's review of a player")
async def post_review(player_id: str, body: ReviewRequest, request: Request) -> dict[str, Any]:
    who = await actor(request, "rg.review")
    try:
        return review_player(request.app.state.runtime, player_id, who.username, body)
    except ReviewRefused as exc:
        raise HTTPException(422 if "outcome" in str(exc) else 404, detail=str(exc)) from None
