"""RG cases over the API: the queue with who works each case (`case_queue`, served at
`GET /v1/rg/queue` and on the back office's /rg), taking and assigning a case,
and the review that closes it (and may lift a hard stop). Who acts is a person: a
back-office session, or a `protection` key plus `X-Croupier-Actor` naming a staff user with
the permission (see `api.auth.actor`; the key is the audit's actor, the user its
`on_behalf_of`); reads take a `read` key or a session with `rg.view`."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field, StrictBool

from croupier.api.auth import Actor, actor
from croupier.api.player_view import queue_rows, rg_queue
from croupier.protection import rg_cases
from croupier.protection.reviews import OUTCOMES, ReviewRefused, record_review

router = APIRouter(prefix="/v1", tags=["protection"])


class ReviewRequest(BaseModel):
    outcome: str = Field(description=f"one of: {', '.join(OUTCOMES)}")
    note: str = Field("", max_length=4000)
    # strict: "yes", "false" or 1 are refused, not read as true or false (it lifts a hard stop)
    lift_hard_stop: StrictBool = False


def review_player(runtime: Any, player_id: str, reviewer: str, request: ReviewRequest,
                  attribution: dict[str, str] | None = None) -> dict[str, Any]:
    """Record the review, let the engine fold it, and answer with the player's RG standing.
    `reviewer` is the authenticated party; `attribution` names whom an API key acted for."""
    known = runtime.engine.state_of(player_id)
    if known is None:
        raise ReviewRefused(f"no player {player_id!r}")
    case = rg_cases.open_case(known.protection)
    with runtime.db.engine.begin() as conn:
        stored = record_review(conn, player_id, known.brand, actor=reviewer, outcome=request.outcome,
                               note=request.note, lift_hard_stop=request.lift_hard_stop,
                               cases=[rg_cases.case_id_for(player_id, case)] if case is not None else [],
                               attribution=attribution)
    runtime.engine.submit(stored)
    state = runtime.engine.state_of(player_id)
    p = state.protection
    return {"player_id": player_id, "reviewed_by": reviewer, **(attribution or {}), "outcome": request.outcome,
            "deposits_blocked": p.deposits_blocked, "risk_level": p.risk_level,
            "open_cases": sum(1 for i in p.interventions if i.status == "open")}


@router.post("/players/{player_id}/rg-review", summary="Record an RG officer's review of a player")
async def post_review(player_id: str, body: ReviewRequest, request: Request) -> dict[str, Any]:
    who = await actor(request, "rg.review")
    try:
        return review_player(request.app.state.runtime, player_id, who.principal, body, who.attribution())
    except ReviewRefused as exc:
        if "outcome" in str(exc):
            raise HTTPException(422, detail={"field": "outcome", "value": body.outcome, "message": str(exc)}) from None
        raise HTTPException(404, detail=str(exc)) from None


# -- cases and who works them -----------------------------------------------------------------
class AssignmentRequest(BaseModel):
    assignee: str | None = Field(None, min_length=1, max_length=128,
                                 description="the staff username to work the case (a role with rg.review); "
                                             "null to unassign")
    reason: str = Field("", max_length=2000, description="why, for the case history (optional)")


def case_of(runtime: Any, player_id: str) -> tuple[Any, Any]:
    """(player state, its newest RG case) or LookupError naming what is missing."""
    state = runtime.engine.state_of(player_id)
    if state is None:
        raise LookupError(f"no player {player_id!r}")
    cases = rg_cases.human_cases(state.protection)
    if not cases:
        raise LookupError(f"player {player_id!r} has no RG case")
    return state, cases[0]


def assign_case(runtime: Any, player_id: str, who: Actor, assignee: str | None, reason: str = "") -> dict[str, Any]:  # noqa: ANN401
    """Take, assign, reassign or unassign the player's open case (shared with the back office)."""
    _, case = case_of(runtime, player_id)
    with runtime.db.engine.begin() as conn:
        rg_cases.assign(conn, player_id, case, assignee, actor=who.username, actor_role=who.role,
                        now_us=time.time_ns() // 1000, reason=reason, principal=who.principal)
        return rg_cases.case_view(conn, player_id, case)


def case_queue(runtime: Any, *, min_level: str = "medium", assigned: str = "", me: str | None = None,
               pii: bool = True, limit: int = 200) -> list[dict[str, Any]]:
    """The RG queue with each player's open case and who works it. `assigned`: "" (everyone
    at `min_level` or above), "none" (open cases nobody works), "me", or an officer's
    username (their open cases, whatever the level now)."""
    officer = me if assigned == "me" else assigned if assigned not in ("", "none") else None
    if assigned == "me" and not me:
        raise ValueError("assigned=me needs a signed-in staff member; name the officer instead")
    with runtime.fresh() as conn:
        if officer is not None:
            rows = queue_rows(conn, rg_cases.players_assigned_to(conn, officer)[:limit], pii=pii)
        else:
            rows = rg_queue(conn, min_level, limit, pii=pii)
        opened = {}
        for row in rows:
            state = runtime.engine.state_of(row["player_id"])
            case = rg_cases.open_case(state.protection) if state is not None else None
            if case is not None:
                opened[row["player_id"]] = case
        held = rg_cases.assignments_for(conn, [rg_cases.case_id_for(pid, c) for pid, c in opened.items()])
    out = []
    for row in rows:
        case = opened.get(row["player_id"])
        row["case"] = rg_cases.summary(row["player_id"], case, held) if case is not None else None
        assignee = row["case"]["assignee"] if row["case"] else None
        if assigned == "none" and (row["case"] is None or assignee is not None):
            continue
        if officer is not None and assignee != officer:
            continue
        out.append(row)
    return out


@router.get("/players/{player_id}/rg-case", summary="A player's newest RG case: status, assignee and history",
            responses={404: {"description": "No such player, or no RG case"}})
async def get_case(player_id: str, request: Request) -> dict[str, Any]:
    await actor(request, "rg.view")
    runtime = request.app.state.runtime
    try:
        _, case = case_of(runtime, player_id)
    except LookupError as exc:
        raise HTTPException(404, detail=str(exc)) from None
    with runtime.db.reader.connect() as conn:
        return rg_cases.case_view(conn, player_id, case)


@router.post("/players/{player_id}/rg-case/assignment",
             summary="Take, assign, reassign or unassign a player's open RG case",
             description="`rg.review` takes an unassigned case (`assignee` = oneself) or releases one's own "
                         "(`assignee` null); assigning to someone else, reassigning and releasing a colleague's "
                         "case need `rg.assign`. The assignee must be an enabled staff user whose role has "
                         "`rg.review`. Audited as `protection.rg_case_assigned`; the answer is the case with "
                         "its history.",
             responses={403: {"description": "The acting staff member may not make this change"},
                        404: {"description": "No such player, or no RG case"},
                        409: {"description": "Already so, or the case is closed"},
                        422: {"description": "The assignee cannot work RG cases; `field` and `value` say which"}})
async def post_assignment(player_id: str, body: AssignmentRequest, request: Request) -> dict[str, Any]:
    who = await actor(request, "rg.review")
    try:
        return assign_case(request.app.state.runtime, player_id, who, body.assignee, body.reason)
    except LookupError as exc:
        raise HTTPException(404, detail=str(exc)) from None
    except rg_cases.AssignmentRefused as exc:
        raise HTTPException(exc.status, detail=exc.as_dict()) from None
