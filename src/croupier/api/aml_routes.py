"""A player's AML status over the API. Who sets it is a person: a back-office session, or a
`protection` key plus `X-Croupier-Actor` naming a staff user with `aml.edit` (see
`api.auth.actor`; the key is the audit's actor, the user its `on_behalf_of`); reading it
needs `aml.view` (or a `read` key)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from croupier.api.auth import actor
from croupier.api.player_view import aml_view
from croupier.risk.aml import MAX_REASON, AmlRefused, set_aml_status

router = APIRouter(prefix="/v1", tags=["protection"])


class AmlStatusRequest(BaseModel):
    status: Literal["clear", "review", "restricted", "blocked"]
    reason: str = Field(min_length=1, max_length=MAX_REASON,
                        description="why (audited; shown to compliance staff, never to the player)")
    case_id: str | None = Field(None, max_length=128, description="the AML case or alert behind the change")
    request_id: str | None = Field(None, min_length=1, max_length=100,
                                   description="makes a retry harmless: the same id records the change once")


class UnknownPlayer(LookupError):
    """No events have arrived for the player."""


def change_aml_status(runtime: Any, player_id: str, actor: str, body: AmlStatusRequest,  # noqa: ANN401
                      attribution: dict[str, str] | None = None) -> dict[str, Any]:
    """Record the change, let the engine fold it, and answer with the status now in force.
    `actor` is the authenticated party; `attribution` names whom an API key acted for."""
    known = runtime.engine.state_of(player_id)
    if known is None:
        raise UnknownPlayer(player_id)
    with runtime.db.engine.begin() as conn:
        outcome = set_aml_status(conn, player_id, known.brand, status=body.status,
                                 previous=known.protection.aml_status, actor=actor, reason=body.reason,
                                 case_id=body.case_id, request_id=body.request_id, attribution=attribution)
    if outcome.stored:
        runtime.engine.submit(outcome.stored)
    state = runtime.engine.state_of(player_id)
    return {"player_id": player_id, "changed": outcome.changed, "previous": outcome.previous,
            "event_id": outcome.event_id, "set_by": actor, **(attribution or {}), **aml_view(state.protection)}


@router.post("/players/{player_id}/aml-status", summary="Set a player's AML status (clear, review, restricted, blocked)",
             responses={404: {"description": "No such player"},
                        403: {"description": "The staff user lacks aml.edit, or the key the protection scope"},
                        422: {"description": "A field is invalid: `detail` names it"}})
async def post_aml_status(player_id: str, body: AmlStatusRequest, request: Request) -> dict[str, Any]:
    who = await actor(request, "aml.edit")
    try:
        return change_aml_status(request.app.state.runtime, player_id, who.principal, body, who.attribution())
    except UnknownPlayer:
        raise HTTPException(404, detail=f"no player {player_id!r}: no events have arrived for it") from None
    except AmlRefused as exc:
        raise HTTPException(422, detail={"field": exc.field, "message": str(exc)}) from None


@router.get("/players/{player_id}/aml-status", summary="A player's AML status and its latest changes")
async def get_aml_status(player_id: str, request: Request) -> dict[str, Any]:
    await actor(request, "aml.view")
    state = request.app.state.runtime.engine.state_of(player_id)
    if state is None:
        raise HTTPException(404, detail=f"no player {player_id!r}: no events have arrived for it")
    return {"player_id": player_id, **aml_view(state.protection)}
