"""Who works an RG case, from the back office: an officer takes a case (from the queue or the
player's protection panel) or releases it; a lead assigns, reassigns or unassigns it. The
same operation as `POST /v1/players/{id}/rg-case/assignment`, audited the same way."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from croupier.api.auth import Actor
from croupier.api.rg_routes import assign_case
from croupier.protection.rg_cases import AssignmentRefused
from croupier.web.render import path_segment, render
from croupier.web.security import safe_next
from croupier.web.staff import Staff, check_csrf, require

router = APIRouter(include_in_schema=False)


@router.post("/players/{player_id:path}/rg-case/assignment")
def assignment_form(request: Request, player_id: str, assignee: str = Form(""), reason: str = Form(""),
                    next: str = Form(""), csrf_token: str = Form(""),  # noqa: A002 - the form field's name
                    staff: Staff = Depends(require("rg.review"))) -> Response:
    """`assignee` empty unassigns; `next` (a same-site path) is where to go back to."""
    check_csrf(staff, csrf_token)
    try:
        assign_case(request.app.state.runtime, player_id, Actor(staff.username, staff.role, "session"),
                    assignee.strip() or None, reason)
    except (LookupError, AssignmentRefused) as exc:
        message = exc.message if isinstance(exc, AssignmentRefused) else str(exc)
        return render(request, "error.html", staff, status=getattr(exc, "status", 404), page="/rg",
                      title="Assignment refused", heading="Assignment refused", message=message)
    back = safe_next(next, f"/players/{path_segment(player_id)}#rg-case")
    return RedirectResponse(back, status_code=303)
