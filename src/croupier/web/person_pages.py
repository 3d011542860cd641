"""The person page: one person's accounts across brands with the evidence of each link, and,
for staff with `persons.manage`, linking an account the matcher missed and unlinking a wrong
link. Both go through the same functions as the API (`api.person_routes.change_person`):
the decision is kept for the matcher, facts go to the log, exclusions follow the links, and
the audit log names the staff member and the reason."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from croupier.api.person_routes import change_person
from croupier.protection.person_decisions import PersonRefused, link_accounts, unlink_account
from croupier.protection.persons import person_view
from croupier.web.render import path_segment, render
from croupier.web.staff import Staff, check_csrf, require

router = APIRouter(include_in_schema=False)


def _back(player_id: str) -> RedirectResponse:
    return RedirectResponse(f"/players/{path_segment(player_id)}/person", status_code=303)


def _refused(request: Request, staff: Staff, exc: PersonRefused) -> Response:
    return render(request, "error.html", staff, status=exc.status, page="/players", title="Change refused",
                  heading="Change refused", message=f"{exc.message} ({exc.field}: {exc.value!r})")


@router.get("/players/{player_id:path}/person")
def person_page(request: Request, player_id: str, staff: Staff = Depends(require("players.view"))) -> Response:
    with request.app.state.runtime.fresh() as conn:
        view = person_view(conn, player_id)
    return render(request, "person.html", staff, page="/players", title=f"Person of {player_id}", view=view,
                  player_id=player_id)


@router.post("/players/{player_id:path}/person/link")
def link_form(request: Request, player_id: str, other_player_id: str = Form(""), reason: str = Form(""),
              csrf_token: str = Form(""), staff: Staff = Depends(require("persons.manage"))) -> Response:
    """Link this account with another one the matcher missed."""
    check_csrf(staff, csrf_token)
    try:
        change_person(request.app.state.runtime, link_accounts, player_id=player_id,
                      other_id=other_player_id.strip(), actor=staff.username, reason=reason)
    except PersonRefused as exc:
        return _refused(request, staff, exc)
    return _back(player_id)


@router.post("/players/{player_id:path}/person/unlink")
def unlink_form(request: Request, player_id: str, account: str = Form(""), reason: str = Form(""),
                csrf_token: str = Form(""), staff: Staff = Depends(require("persons.manage"))) -> Response:
    """Take `account` (this one or another of its person) out of the person."""
    check_csrf(staff, csrf_token)
    try:
        change_person(request.app.state.runtime, unlink_account, player_id=account.strip() or player_id,
                      actor=staff.username, reason=reason)
    except PersonRefused as exc:
        return _refused(request, staff, exc)
    return _back(player_id)
