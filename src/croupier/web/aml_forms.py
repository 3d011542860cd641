"""Staff set a player's AML status from the protection panel: the same function as the API
(a fact in the log, an audit entry with who and why), refused without `aml.edit` or the
CSRF token."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from croupier.api.aml_routes import AmlStatusRequest, UnknownPlayer, change_aml_status
from croupier.risk.aml import AmlRefused
from croupier.web.render import path_segment, render
from croupier.web.staff import Staff, check_csrf, require

router = APIRouter(include_in_schema=False)


@router.post("/players/{player_id:path}/protection/aml-status")
def set_aml_status_form(request: Request, player_id: str, status: str = Form(""), reason: str = Form(""),
                        case_id: str = Form(""), csrf_token: str = Form(""),
                        staff: Staff = Depends(require("aml.edit"))) -> Response:
    check_csrf(staff, csrf_token)
    try:
        body = AmlStatusRequest(status=status, reason=reason.strip(), case_id=case_id.strip() or None)
        change_aml_status(request.app.state.runtime, player_id, staff.username, body)
    except ValidationError as exc:
        return _refused(request, staff, "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in exc.errors()))
    except AmlRefused as exc:
        return _refused(request, staff, str(exc))
    except UnknownPlayer:
        return _refused(request, staff, f"no player {player_id!r}: no events have arrived for it")
    return RedirectResponse(f"/players/{path_segment(player_id)}#aml", status_code=303)


def _refused(request: Request, staff: Staff, message: str) -> Response:
    return render(request, "error.html", staff, status=422, page="/players", title="AML status not changed",
                  heading="AML status not changed", message=message)
