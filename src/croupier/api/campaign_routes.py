"""One-off campaigns over the API: create from the campaign form, list, read, edit (a new
version), launch, cancel. A campaign is stored and run as a journey (`campaigns.to_journey`)
under the same id, so its per-step counts, results and dry run are the journey's
(`/v1/journeys/{id}/...`), and launching and cancelling are publishing and archiving it:
the same permissions (`journeys.edit` to write, `journeys.publish` to launch or cancel), the
same audit entries, the same facts in the log.

Problems come back at the form's own fields (`send_at`, `message.channel`,
`control_percent`), every one at once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from croupier.api.answers import exact_json, now_us
from croupier.api.auth import Actor, actor, require_scope
from croupier.api.errors import invalid
from croupier.api.journey_routes import Refused, _body, _followed, _journey_id, _run, problem_view, view as journey_view
from croupier.campaigns import Campaign, from_json
from croupier.campaigns import service
from croupier.journeys import JourneyError
from croupier.journeys import publishing
from croupier.store.journeys import StoredJourney

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])
_FORM = {"type": "object", "required": ["name"], "description": "the campaign form (docs/campaigns.md)", "properties": {
    "name": {"type": "string", "maxLength": 200}, "key": {"type": "string", "description": "the journey key; "
                                                                                         "derived from the name"},
    "description": {"type": "string"}, "purpose": {"type": "string", "enum": ["promotional", "service"]},
    "segment_id": {"type": "integer", "minimum": 1}, "condition": {"description": "segment language text or JSON"},
    "message": {"type": "object", "required": ["channel", "template"], "properties": {
        "channel": {"type": "string"}, "template": {"type": "string"},
        "expires_after": {"type": "string", "description": "ISO 8601 duration: a time-limited offer"},
        "personalise": {"type": "array", "items": {"type": "string"}}}},
    "bonus": {"type": "object", "required": ["template"], "properties": {"template": {"type": "string"}}},
    "send_at": {"type": "string", "description": "YYYY-MM-DDTHH:MM wall-clock time; absent: at launch"},
    "timezone": {"type": "string", "description": "IANA zone of send_at (default UTC)"},
    "local_time": {"type": "boolean", "description": "send_at in each player's own time zone"},
    "control_percent": {"type": "integer", "minimum": 0, "maximum": 50},
    "throttle_per_minute": {"type": "integer", "minimum": 1},
    "goal": {"type": "object", "description": "{name, event, condition?, window}: a conversion"},
    "exit_when": {"type": "array"}, "priority": {"type": "integer", "minimum": 0}}}
_WRITE_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": "`{\"campaign\": {...}, \"note\": \"...\"}`; a bare form is read as "
                                     "`{\"campaign\": ...}`",
    "properties": {"campaign": _FORM, "note": {"type": "string", "maxLength": publishing.MAX_NOTE}}}}}}}


def _form_of(body: dict[str, Any]) -> tuple[Campaign, str]:
    if "campaign" not in body:
        body = {"campaign": body}
    unknown = sorted(set(body) - {"campaign", "note"})
    if unknown:
        raise Refused([{"field": unknown[0], "message": "is not a field this operation takes; it takes campaign, note",
                        "value": None}])
    note = body.get("note", "")
    if not isinstance(note, str):
        raise Refused([{"field": "note", "message": "must be a string", "value": note}])
    if not isinstance(body["campaign"], dict):
        raise Refused([{"field": "campaign", "message": "must be a JSON object: the campaign form",
                        "value": body["campaign"]}])
    try:
        return from_json(body["campaign"]), note
    except JourneyError as exc:
        raise Refused([problem_view(p, "campaign") for p in exc.problems]) from None


def _change(runtime: Any, change: Any) -> Any:
    """A service change in a transaction; its problems at the form's fields (`campaign.send_at`)."""
    def run(conn: Any) -> Any:
        try:
            return change(conn)
        except JourneyError as exc:
            raise Refused([problem_view(p, "campaign") for p in exc.problems]) from None
    return _run(runtime, run)


def create_now(runtime: Any, who: Actor, body: dict[str, Any]) -> StoredJourney:
    """Store a campaign (a draft journey, version 1). Raises Refused or HTTPException."""
    campaign, note = _form_of(body)
    return _change(runtime, lambda conn: service.create(conn, campaign, who.principal, now_us(),
                                                        on_behalf_of=who.on_behalf_of, note=note))


def revise_now(runtime: Any, who: Actor, campaign_id: int, body: dict[str, Any]) -> tuple[StoredJourney, bool]:
    campaign, note = _form_of(body)
    return _change(runtime, lambda conn: service.revise(conn, campaign_id, campaign, who.principal, now_us(),
                                                        on_behalf_of=who.on_behalf_of, note=note))


def launch_now(runtime: Any, who: Actor, campaign_id: int) -> StoredJourney:
    return _followed(runtime, _change(runtime, lambda conn: service.launch(
        conn, campaign_id, who.principal, now_us(), on_behalf_of=who.on_behalf_of)))


def cancel_now(runtime: Any, who: Actor, campaign_id: int) -> StoredJourney:
    return _followed(runtime, _change(runtime, lambda conn: service.cancel(
        conn, campaign_id, who.principal, now_us(), on_behalf_of=who.on_behalf_of)))


def campaign_view(stored: StoredJourney, campaign: Campaign) -> dict[str, Any]:
    return {**journey_view(stored), "campaign_id": stored.journey_id, "campaign": campaign,
            "links": service.view_links(stored.journey_id)}


def _answer(runtime: Any, campaign_id: int, status: int = 200, **extra: Any) -> Response:
    with runtime.db.reader.connect() as conn:
        stored, campaign = _found(conn, campaign_id)
    return exact_json({**campaign_view(stored, campaign), **extra}, status)


def _found(conn: Any, campaign_id: int) -> tuple[StoredJourney, Campaign]:
    try:
        return service.get(conn, campaign_id)
    except publishing.JourneyNotFound as exc:
        raise HTTPException(404, detail=str(exc)) from None


@router.post("", summary="Create a campaign (a draft) from the campaign form", status_code=201,
             openapi_extra=_WRITE_BODY)
async def create_campaign(request: Request) -> Response:
    who = await actor(request, "journeys.edit")
    runtime = request.app.state.runtime
    try:
        made = await run_in_threadpool(create_now, runtime, who, _body(await request.body()))
    except Refused as exc:
        return invalid(exc.problems)
    return _answer(runtime, made.journey_id, 201)


@router.get("", summary="List campaigns (not the archived ones unless `archived=true`)")
def list_campaigns(request: Request, archived: bool = False,
                   _key=Depends(require_scope("read"))) -> Response:  # noqa: ANN001
    with request.app.state.runtime.db.reader.connect() as conn:
        found = service.listing(conn, archived=archived)
    return exact_json({"campaigns": [campaign_view(s, c) for s, c in found]})


@router.get("/{campaign_id}", summary="A campaign: its form, status and links to its counts, results and dry run")
def get_campaign(campaign_id: str, request: Request, _key=Depends(require_scope("read"))) -> Response:  # noqa: ANN001
    return _answer(request.app.state.runtime, _journey_id(campaign_id))


@router.put("/{campaign_id}", summary="Edit a campaign: a new version (none when nothing changed)",
            openapi_extra=_WRITE_BODY)
async def update_campaign(campaign_id: str, request: Request) -> Response:
    who = await actor(request, "journeys.edit")
    runtime = request.app.state.runtime
    number = _journey_id(campaign_id)
    try:
        _, changed = await run_in_threadpool(revise_now, runtime, who, number, _body(await request.body()))
    except Refused as exc:
        return invalid(exc.problems)
    return _answer(runtime, number, changed=changed)


@router.post("/{campaign_id}/launch", summary="Launch a campaign: its latest version goes live and sends at its "
             "send time (at once when it has none)")
async def launch_campaign(campaign_id: str, request: Request) -> Response:
    who = await actor(request, "journeys.publish")
    runtime = request.app.state.runtime
    number = _journey_id(campaign_id)
    try:
        await run_in_threadpool(launch_now, runtime, who, number)
    except Refused as exc:
        return invalid(exc.problems)
    return _answer(runtime, number)


@router.post("/{campaign_id}/cancel", summary="Cancel a campaign: it stops (players not yet sent to get nothing) "
             "and is archived")
async def cancel_campaign(campaign_id: str, request: Request) -> Response:
    who = await actor(request, "journeys.publish")
    runtime = request.app.state.runtime
    number = _journey_id(campaign_id)
    await run_in_threadpool(cancel_now, runtime, who, number)
    return _answer(runtime, number)
