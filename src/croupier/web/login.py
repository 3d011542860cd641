"""Signing in and out. Failures never say whether the username exists, cost the same
argon2 work either way, and are throttled per username and client address, and per username
from any address (`web.security.LoginThrottle`)."""

from __future__ import annotations

import time

import secrets
from functools import cache

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from croupier.privacy import hash_password, verify_password
from croupier.store.audit import Entry, append
from croupier.store.accounts import close_session, find_user, open_session
from croupier.web.render import render
from croupier.web.security import (
    LOGIN_CSRF_COOKIE, LoginThrottle, clear_session_cookie, new_login_csrf, safe_next,
    set_login_csrf_cookie, set_session_cookie, tokens_match,
)
from croupier.web.staff import Staff, check_csrf, current_staff, signed_in

router = APIRouter()
WRONG = "wrong username or password"


@cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so both failures take the same time."""
    return hash_password(secrets.token_urlsafe(16))


def throttle(request: Request) -> LoginThrottle:
    return request.app.state.login_throttle


def _audit(conn, username: str, kind: str, body: dict) -> None:  # noqa: ANN001
    """Sign-ins and sign-outs are staff actions: they go to the audit log too."""
    append(conn, [Entry(time.time_ns() // 1000, actor=username[:128] or "(empty)", kind=kind,
                        body=body, subject=username[:256])])


def _client_ip(request: Request) -> str:
    """The connection's address; behind a configured trusted proxy, the client it forwards
    for (`api.app.create_app(trusted_proxies=…)`). Headers from anyone else are ignored."""
    return request.client.host if request.client else "unknown"


def _login_page(request: Request, *, next_path: str, username: str = "", error: str = "",
                status: int = 200) -> Response:
    token = new_login_csrf()
    response = render(request, "login.html", None, status=status, title="Sign in",
                      login_csrf=token, next_path=next_path, username=username, error=error)
    set_login_csrf_cookie(response, request, token)
    return response


@router.get("/login", include_in_schema=False)
def login_form(request: Request, next: str = "") -> Response:  # noqa: A002 - the query name
    staff = current_staff(request)
    if staff is not None:
        return RedirectResponse(safe_next(next, staff.landing), status_code=303)
    return _login_page(request, next_path=safe_next(next, ""))


@router.post("/login", include_in_schema=False)
def login(request: Request, username: str = Form(""), password: str = Form(""),
          csrf_token: str = Form(""), next: str = Form("")) -> Response:  # noqa: A002
    next_path = safe_next(next, "")
    if not tokens_match(request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token):
        return _login_page(request, next_path=next_path, username=username, status=403,
                           error="the sign-in form expired or did not come from this site; "
                                 "please sign in again")
    ip = _client_ip(request)
    block = throttle(request).blocked(username, ip)
    if block is not None:
        response = _login_page(request, next_path=next_path, username=username, status=429, error=block.message())
        response.headers["Retry-After"] = str(block.seconds)
        return response
    db = request.app.state.runtime.db
    with db.reader.connect() as conn:
        user = find_user(conn, username)
    ok = verify_password(user.password_hash if user else _dummy_hash(), password)
    if user is None or not ok or user.disabled:
        throttle(request).failed(username, ip)
        with db.engine.begin() as conn:
            _audit(conn, username, "staff.login_failed", {"ip": ip, "known_user": user is not None})
        return _login_page(request, next_path=next_path, username=username, status=401, error=WRONG)
    throttle(request).succeeded(username, ip)
    with db.engine.begin() as conn:
        token, _csrf = open_session(conn, user.user_id)
        _audit(conn, username, "staff.login", {"ip": ip, "role": user.role})
    staff = Staff(user, _csrf, token)
    target = safe_next(next_path, staff.landing)
    if target == "/":  # home is the first page this role may open
        target = staff.landing
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, csrf_token: str = Form("")) -> Response:
    staff = signed_in(request)
    check_csrf(staff, csrf_token)
    with request.app.state.runtime.db.engine.begin() as conn:
        close_session(conn, staff.session_token)
        _audit(conn, staff.username, "staff.logout", {"ip": _client_ip(request)})
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, request)
    return response
