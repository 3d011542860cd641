"""Staff administration: users and API keys. Every change is CSRF-checked and written to
the audit log in the same transaction as the change itself."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from croupier.privacy import PERMISSIONS, ROLES, SCOPES, permissions_of
from croupier.privacy.credentials import MIN_PASSWORD
from croupier.store.accounts import create_key, create_user, list_keys, list_users, revoke_key
from croupier.store.audit import Entry, append
from croupier.web.render import render
from croupier.web.staff import Staff, check_csrf, require

router = APIRouter(include_in_schema=False)


def _now_us() -> int:
    return time.time_ns() // 1000


def _db(request: Request):  # noqa: ANN202
    return request.app.state.runtime.db


# -- users --------------------------------------------------------------------------------
def _users_page(request: Request, staff: Staff, *, status: int = 200, error: str = "",
                form: dict[str, str] | None = None, created: str = "") -> Response:
    with _db(request).reader.connect() as conn:
        users = list_users(conn)
    roles = [(role, sorted(permissions_of(role))) for role in ROLES]
    return render(request, "users.html", staff, status=status, page="/users", title="Users",
                  users=users, roles=roles, permissions=PERMISSIONS, error=error,
                  form=form or {"username": "", "role": "support_agent"}, created=created,
                  min_password=MIN_PASSWORD)


@router.get("/users")
def users_page(request: Request, created: str = "", staff: Staff = Depends(require("users.manage"))) -> Response:
    return _users_page(request, staff, created=created[:128])


@router.post("/users")
def create_user_form(request: Request, username: str = Form(""), role: str = Form(""),
                     password: str = Form(""), csrf_token: str = Form(""),
                     staff: Staff = Depends(require("users.manage"))) -> Response:
    check_csrf(staff, csrf_token)
    username = username.strip()
    form = {"username": username, "role": role}
    if len(username) > 128:
        return _users_page(request, staff, status=400, form=form,
                           error="username must be at most 128 characters")
    try:
        with _db(request).engine.begin() as conn:
            create_user(conn, username, password, role)
            append(conn, [Entry(_now_us(), actor=staff.username, kind="staff.user_created",
                                body={"username": username, "role": role}, subject=username)])
    except ValueError as exc:
        return _users_page(request, staff, status=400, form=form, error=str(exc))
    return RedirectResponse("/users?" + urlencode({"created": username}), status_code=303)


# -- API keys -----------------------------------------------------------------------------
def _keys_page(request: Request, staff: Staff, *, status: int = 200, error: str = "",
               new_key: dict[str, Any] | None = None, revoked: str = "",
               form: dict[str, Any] | None = None) -> Response:
    with _db(request).reader.connect() as conn:
        keys = list_keys(conn)
    for key in keys:
        key["scope_list"] = key["scopes"].split(",")
    return render(request, "keys.html", staff, status=status, page="/keys", title="API keys",
                  keys=keys, scopes=SCOPES, error=error, new_key=new_key, revoked=revoked,
                  form=form or {"name": "", "scopes": ["ingest"], "signing": False})


@router.get("/keys")
def keys_page(request: Request, revoked: str = "", staff: Staff = Depends(require("keys.manage"))) -> Response:
    return _keys_page(request, staff, revoked=revoked[:32])


@router.post("/keys")
def create_key_form(request: Request, name: str = Form(""), scopes: list[str] = Form([]),
                    signing: str = Form(""), csrf_token: str = Form(""),
                    staff: Staff = Depends(require("keys.manage"))) -> Response:
    check_csrf(staff, csrf_token)
    name, signed = name.strip(), bool(signing)
    form = {"name": name, "scopes": scopes, "signing": signed}
    if not name or len(name) > 128:
        return _keys_page(request, staff, status=400, form=form,
                          error="a key needs a name of 1 to 128 characters (e.g. the system that uses it)")
    try:
        with _db(request).engine.begin() as conn:
            token, secret = create_key(conn, name, scopes, signed)
            key_id = token.split("_", 2)[1]
            append(conn, [Entry(_now_us(), actor=staff.username, kind="staff.key_created",
                                body={"key_id": key_id, "name": name, "scopes": scopes,
                                      "require_signature": signed}, subject=key_id)])
    except ValueError as exc:
        return _keys_page(request, staff, status=400, form=form, error=str(exc))
    # Shown once, on this response only; it is never stored by a cache.
    return _keys_page(request, staff, new_key={"key_id": key_id, "name": name, "token": token,
                                               "signing_secret": secret})


@router.post("/keys/{key_id}/revoke")
def revoke_key_form(request: Request, key_id: str, csrf_token: str = Form(""),
                    staff: Staff = Depends(require("keys.manage"))) -> Response:
    check_csrf(staff, csrf_token)
    with _db(request).engine.begin() as conn:
        done = revoke_key(conn, key_id)
        if done:
            append(conn, [Entry(_now_us(), actor=staff.username, kind="staff.key_revoked",
                                body={"key_id": key_id}, subject=key_id)])
    if not done:
        return _keys_page(request, staff, status=404,
                          error=f"no active key {key_id!r}: it does not exist or is already revoked")
    request.app.state.runtime.forget_key(key_id)
    return RedirectResponse("/keys?" + urlencode({"revoked": key_id}), status_code=303)
