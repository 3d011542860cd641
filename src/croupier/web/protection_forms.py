"""Staff actions from the player's protection panel: an operator-set limit, an exclusion
imposed by staff, and ending an exclusion. They go through the same functions as the API
(cooling periods, scopes, periods and reactivation from the jurisdiction's rules, history,
facts in the log, audit entries naming the staff member)."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from croupier.api.protection import _submit
from croupier.api.wallet import context_for, transact
from croupier.protection import exclusions as ex
from croupier.protection.exclusions_hook import policy_for
from croupier.protection.exclusions_rules import REQUESTERS, ExclusionRefused
from croupier.protection.limits import LimitError, LimitRequest, set_limit
from croupier.web.render import path_segment, render
from croupier.web.staff import Staff, check_csrf, require

router = APIRouter(include_in_schema=False)
EXCLUSION_KINDS = ("operator", "timeout", "cooling_off", "self_exclusion", "closure")


def _back(player_id: str) -> RedirectResponse:
    return RedirectResponse(f"/players/{path_segment(player_id)}#protection", status_code=303)


def _refused(request: Request, staff: Staff, message: str) -> Response:
    return render(request, "error.html", staff, status=422, page="/players", title="Change refused",
                  heading="Change refused", message=message)


@router.post("/players/{player_id:path}/protection/limit")
def set_operator_limit(request: Request, player_id: str, kind: str = Form(""), period: str = Form(""),
                       amount: str = Form(""), minutes: str = Form(""), reason: str = Form(""),
                       csrf_token: str = Form(""), staff: Staff = Depends(require("protection.edit"))) -> Response:
    """An operator-set limit: lower ones apply at once, higher ones after the cooling period."""
    check_csrf(staff, csrf_token)
    runtime = request.app.state.runtime
    ctx = context_for(runtime, player_id)
    state = runtime.engine.state_of(player_id)
    currency = state.currency if state is not None else None
    money = kind != "session_time"
    try:
        req = LimitRequest(kind=kind, period=period, amount=amount.strip() if money else None,
                           currency=currency if money else None,
                           minutes=int(minutes) if not money and minutes.strip() else None,
                           source="operator", actor=staff.username, reason=reason.strip() or None)
        transact(runtime, lambda conn: set_limit(
            conn, player_id, ctx.brand or "default", req, now=datetime.now(timezone.utc), rules=ctx.rules(),
            timezone_name=ctx.timezone, rates=ctx.rates))
    except ValueError as exc:  # LimitError is a ValueError; so is a bad number of minutes
        return _refused(request, staff, str(exc))
    return _back(player_id)


@router.post("/players/{player_id:path}/protection/exclusion")
def impose_exclusion(request: Request, player_id: str, kind: str = Form(""), period: str = Form(""),
                     reason: str = Form(""), csrf_token: str = Form(""),
                     staff: Staff = Depends(require("protection.edit"))) -> Response:
    """An exclusion started by staff (operator-imposed, or on the player's behalf)."""
    check_csrf(staff, csrf_token)
    if kind not in EXCLUSION_KINDS:
        return _refused(request, staff, f"kind must be one of {', '.join(EXCLUSION_KINDS)}; got {kind!r}")
    runtime = request.app.state.runtime
    policy = policy_for(runtime.engine)
    try:
        with runtime.db.engine.begin() as conn:
            outcome = ex.start_exclusion(conn, player_id, kind, period.strip() or None, datetime.now(timezone.utc),
                                         actor=staff.username, reason=reason.strip() or None,
                                         source="operator", rules=policy.rules_of)
    except ExclusionRefused as exc:
        return _refused(request, staff, str(exc))
    _submit(runtime, outcome.stored)
    return _back(player_id)


@router.post("/players/{player_id:path}/protection/end-exclusion")
def end_exclusion(request: Request, player_id: str, exclusion_id: str = Form(""), requested_by: str = Form(""),
                  reason: str = Form(""), csrf_token: str = Form(""),
                  staff: Staff = Depends(require("protection.edit"))) -> Response:
    """End an exclusion that applies to this account, at the player's request (recorded by
    staff) or by the operator's decision, as far as the jurisdiction's reactivation rules
    allow; a refusal shows the rule's reason. The staff member's reason is mandatory."""
    check_csrf(staff, csrf_token)
    if requested_by not in REQUESTERS:
        return _refused(request, staff, f"requested_by must be one of {', '.join(REQUESTERS)}; got {requested_by!r}")
    if len(reason.strip()) < 3:
        return _refused(request, staff, f"a reason is required to end an exclusion (reason: {reason!r})")
    runtime = request.app.state.runtime
    policy = policy_for(runtime.engine)
    now = datetime.now(timezone.utc)
    try:
        with runtime.db.engine.begin() as conn:
            if exclusion_id not in {x["exclusion_id"] for x in ex.exclusions_of(conn, player_id, now, False)}:
                return _refused(request, staff, f"player {player_id!r} has no active exclusion {exclusion_id!r}")
            outcome = ex.end_exclusion(conn, exclusion_id, now, actor=staff.username, requested_by=requested_by,
                                       reason=reason.strip(), rules=policy.rules_of)
    except ExclusionRefused as exc:
        return _refused(request, staff, str(exc))
    _submit(runtime, outcome.stored)
    return _back(player_id)


__all__ = ["EXCLUSION_KINDS", "LimitError", "router"]
