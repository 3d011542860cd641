"""Persons over the API: one person's accounts with the evidence of each link, and staff
correcting the matcher (a manual link, an unlink that the matcher then respects).

Reads take a `read` key or a back-office session with `players.view`. Links and unlinks are
staff actions: a session (with its CSRF token in `X-CSRF-Token`) or a `protection` key plus
`X-Croupier-Actor` naming a staff user whose role has `persons.manage` (the key is the
audit's actor, the user its `on_behalf_of`)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field, field_validator

from croupier.api.auth import actor
from croupier.api.protection import _submit
from croupier.protection.person_decisions import PersonRefused, link_accounts, unlink_account
from croupier.protection.persons import member_of, person_view

router = APIRouter(prefix="/v1/persons", tags=["protection"])
_ERRORS = {403: {"description": "The acting staff member lacks persons.manage, or the key the protection scope"},
           404: {"description": "An account named is unknown; `field` and `value` say which"},
           409: {"description": "Already so, or it would undo another staff decision; `error` says which"},
           422: {"description": "A field is invalid (e.g. the reason is missing); `field` and `value` say which"}}


class _Decision(BaseModel):
    player_id: str = Field(..., min_length=1, max_length=128, description="the account to link or unlink")
    reason: str = Field(..., min_length=3, max_length=2000, description="why: recorded in the audit log",
                        examples=["same person confirmed by a KYC document check"])

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if len(value.strip()) < 3:
            raise ValueError("the reason must say why, in at least 3 characters")
        return value.strip()


class LinkRequest(_Decision):
    other_player_id: str = Field(..., min_length=1, max_length=128,
                                 description="the account to make the same person as `player_id`")


class UnlinkRequest(_Decision):
    pass


def _now() -> datetime:
    return datetime.now(timezone.utc)


def change_person(runtime: Any, operation: Any, **kwargs: Any) -> dict[str, Any]:  # noqa: ANN401
    """Run a link or unlink in one transaction and hand its facts to the engine (shared with
    the back office)."""
    with runtime.db.engine.begin() as conn:
        change = operation(conn, now=_now(), **kwargs)
    processed = _submit(runtime, change.stored)
    return {"person": change.person, "facts": len(change.stored), "processed": processed}


def _refused(exc: PersonRefused) -> HTTPException:
    return HTTPException(exc.status, detail=exc.as_dict())


@router.get("/{person_id}", summary="A person: its accounts (brand, jurisdiction), the evidence of each link "
            "and the staff decisions about them", responses={404: {"description": "No such person"}})
async def get_person(person_id: str, request: Request) -> dict[str, Any]:
    await actor(request, "players.view")
    with request.app.state.runtime.db.reader.connect() as conn:
        member = member_of(conn, person_id)
        if member is None:
            raise HTTPException(404, detail={"error": f"no person {person_id!r}", "field": "person_id",
                                             "value": person_id})
        return person_view(conn, member)


@router.post("/link", summary="Link two accounts into one person by hand (evidence \"manual\")",
             description="For accounts the matcher missed. The decision is kept, so the matcher keeps them "
                         "together; `croupier.person_linked` facts go to the log; exclusions of either "
                         "account that the scope allows cover the other at once. Audited as "
                         "`protection.person_linked`.", responses=_ERRORS)
async def post_link(body: LinkRequest, request: Request) -> dict[str, Any]:
    who = await actor(request, "persons.manage")
    try:
        return change_person(request.app.state.runtime, link_accounts, player_id=body.player_id,
                             other_id=body.other_player_id, actor=who.principal, reason=body.reason,
                             attribution=who.attribution())
    except PersonRefused as exc:
        raise _refused(exc) from None


@router.post("/unlink", summary="Take an account out of its person, and never link it with them again",
             description="Records \"do not link\" between the account and each other account of its person, "
                         "so no identifier joins them again (the matcher, a rebuild and exclusions all "
                         "respect it); the person's exclusions stop covering the account at once. Audited as "
                         "`protection.person_unlinked`.", responses=_ERRORS)
async def post_unlink(body: UnlinkRequest, request: Request) -> dict[str, Any]:
    who = await actor(request, "persons.manage")
    try:
        return change_person(request.app.state.runtime, unlink_account, player_id=body.player_id,
                             actor=who.principal, reason=body.reason, attribution=who.attribution())
    except PersonRefused as exc:
        raise _refused(exc) from None
