"""API authentication: `Authorization: Bearer crp_…` (or `X-API-Key`) with scopes, and
HMAC-SHA256 signatures for keys that require them (or whenever a signature is sent)."""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request

from croupier.privacy import has_scope, sha256_hex, signature_problem, split_token
from croupier.store.accounts import ApiKey


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key")


def principal_of(key: ApiKey) -> str:
    """How the audit log names an API key that acted: the authenticated party, whatever
    name the request carries."""
    return f"api-key:{key.key_id}"


def _lacks(key: ApiKey, scopes: tuple[str, ...]) -> str:
    wanted = " or ".join(f"'{s}'" for s in scopes)
    return f"API key {key.key_id} lacks the {wanted} scope (it has: {', '.join(sorted(key.scopes))})"


def key_with_scope(runtime: Any, token: str | None, *scopes: str) -> ApiKey:
    """The API key behind `token` if it may act with one of `scopes`, else the HTTP error
    that says why (401 or 403). Signatures are the caller's to check."""
    if not token:
        raise _unauthorized("an API key is required: send 'Authorization: Bearer crp_…'")
    parts = split_token(token)
    if parts is None:
        raise _unauthorized("malformed API key: expected crp_<key id>_<secret>")
    key = runtime.api_key(parts[0])
    if key is None or not hmac.compare_digest(key.secret_hash, sha256_hex(parts[1])):
        raise _unauthorized("unknown API key")
    if key.revoked:
        raise _unauthorized(f"API key {key.key_id} has been revoked")
    if not any(has_scope(key.scopes, scope) for scope in scopes):
        raise HTTPException(403, detail=_lacks(key, scopes))
    return key


def require_scope(*scopes: str) -> Callable[[Request], Coroutine[Any, Any, ApiKey]]:
    """A dependency: a key with one of `scopes` (a route whose body decides which one it
    needs names every candidate and checks the body with `need_scope`)."""
    async def dependency(request: Request) -> ApiKey:
        key = key_with_scope(request.app.state.runtime, _token(request), *scopes)
        signature = request.headers.get("x-croupier-signature")
        if key.require_signature or signature is not None:
            if not key.signing_secret:
                raise _unauthorized(f"API key {key.key_id} has no signing secret; send no signature")
            problem = signature_problem(key.signing_secret, request.headers.get("x-croupier-timestamp"),
                                        signature, await request.body(), int(time.time()))
            if problem:
                raise _unauthorized(f"bad request signature: {problem}")
        return key

    return dependency


def need_scope(key: ApiKey, scope: str, field: str, value: str, what: str) -> None:
    """403 naming the body field whose value makes this request `what` (a staff decision, a
    player's request) when the key lacks the scope for it."""
    if not has_scope(key.scopes, scope):
        raise HTTPException(403, detail={"field": field, "value": value,
                                         "message": f"{_lacks(key, (scope,))}: {what}"})


@dataclass(frozen=True)
class Actor:
    """Who acts. `username` is the staff member: a session's user, or the one an API key
    names in `X-Croupier-Actor`; `via` is "session" or "api-key:<key id>"."""

    username: str
    role: str
    via: str

    @property
    def principal(self) -> str:
        """The authenticated party, recorded as the actor in the audit log."""
        return self.username if self.via == "session" else self.via

    @property
    def on_behalf_of(self) -> str | None:
        """The staff member an API key acted for (kept beside the actor, labelled)."""
        return None if self.via == "session" or self.username == self.via else self.username

    def attribution(self) -> dict[str, str]:
        return {"on_behalf_of": self.on_behalf_of} if self.on_behalf_of else {}


async def actor(request: Request, permission: str, *, session_only: bool = False) -> Actor:
    """The staff member behind a staff action: a back-office session (writes also send its
    CSRF token in `X-CSRF-Token`), or, unless `session_only`, an API key (for writes the
    scope `scope_for_staff_write(permission)` gives: `protection` for protection decisions,
    else `admin`; `read` for reads) plus `X-Croupier-Actor` naming an enabled staff user whose
    role has `permission`. The key is the actor the audit records; the named user is kept
    beside it as `on_behalf_of`."""
    from croupier.privacy import can, scope_for_staff_write
    from croupier.store.accounts import find_user
    from croupier.web.security import tokens_match
    from croupier.web.staff import current_staff

    staff = current_staff(request)
    if staff is not None:
        if not staff.can(permission):
            raise HTTPException(403, detail=f"{staff.username} ({staff.role}) lacks the {permission} permission")
        if request.method != "GET" and not tokens_match(staff.csrf_token, request.headers.get("x-csrf-token")):
            raise HTTPException(403, detail="send the session's CSRF token in the X-CSRF-Token header")
        return Actor(staff.username, staff.role, "session")
    write = request.method != "GET"
    if write and session_only:
        raise HTTPException(403, detail="approving or rejecting a configuration needs a signed-in staff "
                                        "member (a back-office session): an API key cannot prove which "
                                        "person approves, and the four-eyes rule is about persons")
    key = await require_scope(scope_for_staff_write(permission) if write else "read")(request)
    if not write:
        return Actor(principal_of(key), "", principal_of(key))
    name = (request.headers.get("x-croupier-actor") or "").strip()
    if not name:
        raise HTTPException(400, detail="name the staff user acting in the X-Croupier-Actor header")
    with request.app.state.runtime.db.reader.connect() as conn:
        user = find_user(conn, name)
    if user is None or user.disabled:
        raise HTTPException(403, detail=f"X-Croupier-Actor {name!r} is not an enabled staff user")
    if not can(user.role, permission):
        raise HTTPException(403, detail=f"{name} ({user.role}) lacks the {permission} permission")
    return Actor(user.username, user.role, principal_of(key))


def sees_aml(request: Request, key: ApiKey | None = None) -> bool:
    """May this caller see AML reasons in decisions? A named staff member (a back-office
    session, or `X-Croupier-Actor` naming a staff user) only with `aml.view`: the others see
    `compliance_hold` (no tipping off). A key that names nobody is an integration, which may
    read the AML status itself (GET /v1/players/{id}/aml-status): it sees the true reasons,
    so a tool that shows decisions to staff names them in `X-Croupier-Actor`."""
    from croupier.privacy import can
    from croupier.store.accounts import find_user
    from croupier.web.staff import current_staff

    staff = current_staff(request)
    if staff is not None:
        return staff.can("aml.view")
    name = (request.headers.get("x-croupier-actor") or "").strip()
    if name:
        with request.app.state.runtime.db.reader.connect() as conn:
            user = find_user(conn, name)
        return user is not None and not user.disabled and can(user.role, "aml.view")
    return True
