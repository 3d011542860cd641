"""Campaigns in the back office: the list, the campaign form (new, and edit while a draft),
Launch and Cancel. Each change is the API's own operation (`croupier.api.campaign_routes`),
audited the same way; a campaign's counts, results and dry run are on its journey page
(`/journeys/{id}`), which the campaign page links to.

Reading needs `config.view`; saving `journeys.edit`; launching and cancelling
`journeys.publish` (a campaign is a journey)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from croupier.api import campaign_routes as api
from croupier.api.auth import Actor
from croupier.api.journey_routes import Refused, _journey_id
from croupier.campaigns import Campaign, to_builtins
from croupier.campaigns import service
from croupier.journeys import CHANNELS
from croupier.store import segments as segment_store
from croupier.web.render import render
from croupier.web.staff import Staff, check_csrf, require

router = APIRouter(include_in_schema=False)
PAGE = "/campaigns"
READ = "config.view"
EDIT = "journeys.edit"
PUBLISH = "journeys.publish"
_TEXT = ("name", "description", "purpose", "send_at", "timezone")
# Every field of the page, empty: what a new form starts from (under its defaults).
_BLANK = dict.fromkeys(_TEXT + ("segment_id", "condition", "channel", "template", "expires_after", "bonus_template",
                                "send_mode", "throttle_per_minute", "control_percent", "goal_event",
                                "goal_condition", "goal_window"), "")


def _who(staff: Staff) -> Actor:
    return Actor(staff.username, staff.role, "session")


@router.get(PAGE)
def campaigns_page(request: Request, archived: bool = False, staff: Staff = Depends(require(READ))) -> Response:
    with request.app.state.runtime.db.reader.connect() as conn:
        found = service.listing(conn, archived=archived)
    return render(request, "campaigns.html", staff, page=PAGE, title="Campaigns", campaigns=found, archived=archived,
                  can_edit=staff.can(EDIT))


def _form(request: Request, staff: Staff, *, values: dict[str, Any], stored: Any = None, status: int = 200,
          error: str | None = None, problems: list[dict[str, Any]] | None = None) -> Response:
    with request.app.state.runtime.db.reader.connect() as conn:
        segments = segment_store.listing(conn)
    editable = staff.can(EDIT) and (stored is None or stored.status == "draft")
    title = "New campaign" if stored is None else f"Campaign {stored.name}"
    by_field: dict[str, list[str]] = {}
    for p in problems or []:
        by_field.setdefault(str(p.get("field") or "").removeprefix("campaign.").split(".")[0] or "name",
                            []).append(p["message"])
    return render(request, "campaign.html", staff, status=status, page=PAGE, title=title, stored=stored,
                  values=_BLANK | values, segments=segments, channels=CHANNELS, editable=editable, error=error,
                  problems=problems or [], by_field=by_field,
                  can_launch=staff.can(PUBLISH) and stored is not None and stored.status == "draft",
                  can_cancel=staff.can(PUBLISH) and stored is not None and stored.status in ("draft", "live", "paused"))


def values_of(campaign: Campaign) -> dict[str, Any]:
    """The form's fields of a stored campaign."""
    data = to_builtins(campaign)
    out: dict[str, Any] = {k: data.get(k, "") for k in _TEXT}
    out.update(segment_id=data.get("segment_id", ""), condition=data.get("condition", ""),
               local_time=campaign.local_time, control_percent=campaign.control_percent,
               throttle_per_minute=campaign.throttle_per_minute or "",
               send_mode="local" if campaign.local_time else ("at" if campaign.send_at else "launch"))
    message, bonus, goal = data.get("message") or {}, data.get("bonus") or {}, data.get("goal") or {}
    out.update(channel=message.get("channel", ""), template=message.get("template", ""),
               expires_after=message.get("expires_after", ""), bonus_template=bonus.get("template", ""),
               goal_event=goal.get("event", ""), goal_condition=goal.get("condition", ""),
               goal_window=goal.get("window", ""))
    return out


def campaign_of(form: dict[str, str]) -> dict[str, Any]:
    """The campaign form (API JSON) from the page's fields; empty fields are left out."""
    body: dict[str, Any] = {k: form[k].strip() for k in _TEXT if form.get(k, "").strip()}
    mode = form.get("send_mode", "launch")
    if mode == "launch":
        body.pop("send_at", None)
    body["local_time"] = mode == "local"
    for name in ("segment_id", "control_percent", "throttle_per_minute"):
        raw = form.get(name, "").strip()
        if raw:
            body[name] = int(raw) if raw.lstrip("-").isdigit() else raw
    if form.get("condition", "").strip():
        body["condition"] = form["condition"].strip()
    if form.get("channel") or form.get("template", "").strip():
        body["message"] = {"channel": form.get("channel", ""), "template": form.get("template", "").strip(),
                           **({"expires_after": form["expires_after"].strip()}
                              if form.get("expires_after", "").strip() else {})}
    if form.get("bonus_template", "").strip():
        body["bonus"] = {"template": form["bonus_template"].strip()}
    if form.get("goal_event", "").strip():
        body["goal"] = {"name": "converted", "event": form["goal_event"].strip(),
                        "window": form.get("goal_window", "").strip() or "P7D",
                        **({"condition": form["goal_condition"].strip()}
                           if form.get("goal_condition", "").strip() else {})}
    return body


async def _fields(request: Request, staff: Staff) -> dict[str, str]:
    form = await request.form()
    check_csrf(staff, str(form.get("csrf_token", "")))
    return {k: str(v) for k, v in form.items()}


@router.get(PAGE + "/new")
def new_campaign_page(request: Request, staff: Staff = Depends(require(EDIT))) -> Response:
    return _form(request, staff, values={"send_mode": "launch", "timezone": "UTC", "purpose": "promotional",
                                         "control_percent": 10, "channel": "email"})


@router.post(PAGE + "/new")
async def create_form(request: Request, staff: Staff = Depends(require(EDIT))) -> Response:
    fields = await _fields(request, staff)
    try:
        made = await run_in_threadpool(api.create_now, request.app.state.runtime, _who(staff),
                                       {"campaign": campaign_of(fields), "note": fields.get("note", "")})
    except Refused as exc:
        return _form(request, staff, values=fields, status=422, error="Not saved: fix the problems below.",
                     problems=exc.problems)
    except HTTPException as exc:
        return _form(request, staff, values=fields, status=exc.status_code, error=f"Not saved: {exc.detail}.")
    return RedirectResponse(f"{PAGE}/{made.journey_id}", status_code=303)


def _found(request: Request, campaign_id: str) -> tuple[Any, Campaign]:
    with request.app.state.runtime.db.reader.connect() as conn:
        return api._found(conn, _journey_id(campaign_id))


@router.get(PAGE + "/{campaign_id}")
def campaign_page(request: Request, campaign_id: str, staff: Staff = Depends(require(READ))) -> Response:
    stored, campaign = _found(request, campaign_id)
    return _form(request, staff, values=values_of(campaign), stored=stored)


@router.post(PAGE + "/{campaign_id}")
async def edit_form(request: Request, campaign_id: str, staff: Staff = Depends(require(EDIT))) -> Response:
    fields = await _fields(request, staff)
    stored, _ = _found(request, campaign_id)
    try:
        await run_in_threadpool(api.revise_now, request.app.state.runtime, _who(staff), stored.journey_id,
                                {"campaign": campaign_of(fields), "note": fields.get("note", "")})
    except Refused as exc:
        return _form(request, staff, values=fields, stored=stored, status=422,
                     error="Not saved: fix the problems below.", problems=exc.problems)
    except HTTPException as exc:
        return _form(request, staff, values=fields, stored=stored, status=exc.status_code,
                     error=f"Not saved: {exc.detail}.")
    return RedirectResponse(f"{PAGE}/{stored.journey_id}", status_code=303)


@router.post(PAGE + "/{campaign_id}/launch")
async def launch_form(request: Request, campaign_id: str, staff: Staff = Depends(require(PUBLISH))) -> Response:
    await _fields(request, staff)
    stored, campaign = _found(request, campaign_id)
    try:
        await run_in_threadpool(api.launch_now, request.app.state.runtime, _who(staff), stored.journey_id)
    except Refused as exc:
        return _form(request, staff, values=values_of(campaign), stored=stored, status=422,
                     error="Not launched: fix the problems below and save.", problems=exc.problems)
    except HTTPException as exc:
        detail = exc.detail.get("message", exc.detail) if isinstance(exc.detail, dict) else exc.detail
        return _form(request, staff, values=values_of(campaign), stored=stored, status=exc.status_code,
                     error=f"Not launched: {detail}")
    return RedirectResponse(f"{PAGE}/{stored.journey_id}", status_code=303)


@router.post(PAGE + "/{campaign_id}/cancel")
async def cancel_form(request: Request, campaign_id: str, staff: Staff = Depends(require(PUBLISH))) -> Response:
    await _fields(request, staff)
    stored, _ = _found(request, campaign_id)
    await run_in_threadpool(api.cancel_now, request.app.state.runtime, _who(staff), stored.journey_id)
    return RedirectResponse(f"{PAGE}/{stored.journey_id}", status_code=303)
