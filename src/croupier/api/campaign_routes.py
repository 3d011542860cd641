"""One-off campaigns over the API: create from the campaign form, list, read, edit (a new
version), launch, cancel. A campaign is stored and run as a journey (`campaigns.to_journey`)
under the same id, so its per-step counts, results and dry run are the journey's
(`/v1/journeys/{id}/...`), and launching and cancelling are publishing and archiving it:
the same permissions (`journeys.edit` to write, `journeys.publish` to launch or cancel), the
same audit entries, the same facts in the log.

Problems come back at the form's own fields (`send_at`, `message.channel`,
`control_percent`), every one at once."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import msgspec
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from croupier.api.answers import exact_json, now_us
from croupier.api.auth import Actor, actor, require_scope
from croupier.api.errors import invalid
from croupier.api.journey_routes import (
    Refused, _body, _journey_id, _run, archive_now, problem_view, publish_now, view as journey_view,
)
from croupier.campaigns import Campaign, from_journey, from_json, key_from, problems, validate
from croupier.journeys import JourneyError, Once, once_at
from croupier.journeys import publishing
from croupier.store import journeys as journey_store
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


def _checked(campaign: Campaign) -> None:
    """Refuse a form with problems: a campaign is only stored when it could run."""
    found = problems(campaign)
    if found:
        raise Refused([problem_view(p, "campaign") for p in found])


def create_now(runtime: Any, who: Actor, body: dict[str, Any]) -> StoredJourney:
    """Store a campaign (a draft journey, version 1). Raises Refused or HTTPException."""
    campaign, note = _form_of(body)
    _checked(campaign)

    def change(conn: Any) -> StoredJourney:
        key = campaign.key or _free_key(conn, key_from(campaign.name))
        journey = validate(_keyed(campaign, key))
        return publishing.create(conn, journey, who.principal, now_us(), on_behalf_of=who.on_behalf_of,
                                 note=note or "campaign created")
    return _run(runtime, change)


def _keyed(campaign: Campaign, key: str) -> Campaign:
    return msgspec.structs.replace(campaign, key=key)


def _free_key(conn: Any, base: str) -> str:
    """`base`, or `base_2`, `base_3`, ... : the first key no journey has."""
    key, n = base, 1
    while journey_store.by_key(conn, key) is not None:
        n += 1
        key = f"{base[:60]}_{n}"
    return key


def revise_now(runtime: Any, who: Actor, campaign_id: int, body: dict[str, Any]) -> tuple[StoredJourney, bool]:
    campaign, note = _form_of(body)
    _checked(campaign)

    def change(conn: Any) -> tuple[StoredJourney, bool]:
        stored = _campaign(conn, campaign_id)[0]
        if campaign.key is not None and campaign.key != stored.key:
            raise Refused([{"field": "campaign.key", "message": f"a campaign keeps its key {stored.key!r}",
                            "value": campaign.key}])
        return publishing.revise(conn, campaign_id, validate(_keyed(campaign, stored.key)), who.principal, now_us(),
                                 on_behalf_of=who.on_behalf_of, note=note)
    return _run(runtime, change)


def launch_now(runtime: Any, who: Actor, campaign_id: int) -> StoredJourney:
    """Publish the latest version, unless its send time has passed everywhere."""
    with runtime.db.reader.connect() as conn:
        stored, campaign = _campaign(conn, campaign_id)
    passed = _passed(campaign, now_us())
    if passed:
        raise Refused([{"field": "campaign.send_at", "message": passed, "value": campaign.send_at}])
    return publish_now(runtime, who, campaign_id, stored.latest_version)


def _passed(campaign: Campaign, at_us: int) -> str | None:
    """Why the send time is past at `at_us` (None: it is not). A local-time send is past
    only when it has passed in every zone (UTC+14 is the earliest)."""
    if campaign.send_at is None:
        return None
    now = datetime.fromtimestamp(at_us / 1_000_000, tz=timezone.utc)
    trigger = Once(at=campaign.send_at, timezone=campaign.timezone, local=campaign.local_time)
    latest = once_at(trigger, now, player_timezone="Etc/GMT+12" if campaign.local_time else None)
    if latest < now:
        return (f"the send time {campaign.send_at} ({campaign.timezone if not campaign.local_time else 'every zone'}) "
                f"has passed: set a later send_at, or leave it out to send at launch")
    return None


def _campaign(conn: Any, campaign_id: int) -> tuple[StoredJourney, Campaign]:
    stored = journey_store.get(conn, campaign_id)
    latest = journey_store.version(conn, campaign_id, stored.latest_version) if stored else None
    campaign = from_journey(publishing.definition_of(latest)) if latest else None
    if stored is None or campaign is None:
        raise HTTPException(404, detail=f"no campaign {campaign_id}")
    return stored, campaign


def campaign_view(stored: StoredJourney, campaign: Campaign) -> dict[str, Any]:
    base = f"/v1/journeys/{stored.journey_id}"
    return {**journey_view(stored), "campaign_id": stored.journey_id, "campaign": campaign,
            "send_at_passed": _passed(campaign, now_us()) is not None if stored.status == "draft" else None,
            "links": {"journey": base, "steps": f"{base}/steps", "results": f"{base}/results",
                      "dry_run": f"{base}/dry-run"}}


def _answer(runtime: Any, campaign_id: int, status: int = 200, **extra: Any) -> Response:
    with runtime.db.reader.connect() as conn:
        stored, campaign = _campaign(conn, campaign_id)
    return exact_json({**campaign_view(stored, campaign), **extra}, status)


def listing(conn: Any, *, archived: bool = False, status: str | None = None) -> list[tuple[StoredJourney, Campaign]]:
    """The campaigns among the journeys (those whose latest version is in a campaign's shape)."""
    out = []
    for stored in journey_store.listing(conn, archived=archived, status=status):
        latest = journey_store.version(conn, stored.journey_id, stored.latest_version)
        campaign = from_journey(publishing.definition_of(latest)) if latest else None
        if campaign is not None:
            out.append((stored, campaign))
    return out


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
        found = listing(conn, archived=archived)
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
    with runtime.db.reader.connect() as conn:
        _campaign(conn, number)
    await run_in_threadpool(archive_now, runtime, who, number)
    return _answer(runtime, number)
