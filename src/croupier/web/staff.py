"""Who is asking: the signed-in staff member, and the permission each page needs.

A page names a permission (never a role); `require(permission)` is its dependency. Not
signed in → LoginRequired (pages redirect to /login, JSON answers 401); signed in without
the permission → Forbidden (a 403 page naming the missing permission)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from croupier.privacy import PERMISSIONS, permissions_of
from croupier.store.accounts import StaffUser, session_user
from croupier.web.security import SESSION_COOKIE, tokens_match

# The navigation, in order: (label, path, permission; None: every signed-in staff member).
NAV: tuple[tuple[str, str, str | None], ...] = (
    ("Dashboard", "/", "dashboard.view"),
    ("Players", "/players", "players.view"),
    ("RG queue", "/rg", "rg.view"),
    ("Tasks", "/tasks", "players.view"),
    ("Reports", "/reports/rg-effectiveness", "rg.view"),
    ("RG models", "/models/rg", "rg.view"),
    ("Segments", "/segments", "decisions.view"),
    ("Journeys", "/journeys", "config.view"),
    ("Campaigns", "/campaigns", "config.view"),
    ("Audit log", "/audit", "audit.view"),
    ("Configuration", "/config", "config.view"),
    ("Users", "/users", "users.manage"),
    ("API keys", "/keys", "keys.manage"),
    ("Help", "/help", None),
)


@dataclass(frozen=True)
class Staff:
    user: StaffUser
    csrf_token: str
    session_token: str

    @property
    def username(self) -> str:
        return self.user.username

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def permissions(self) -> frozenset[str]:
        return permissions_of(self.user.role)

    def can(self, permission: str) -> bool:
        if permission not in PERMISSIONS:
            raise KeyError(f"unknown permission {permission!r}")
        return permission in self.permissions

    @property
    def nav(self) -> list[tuple[str, str]]:
        return [(label, path) for label, path, permission in NAV if permission is None or self.can(permission)]

    @property
    def landing(self) -> str:
        """The first page this role may open (the dashboard for most)."""
        pages = self.nav
        return pages[0][1] if pages else "/"


class LoginRequired(Exception):
    """No live session."""


class Forbidden(Exception):
    def __init__(self, staff: Staff, permission: str):
        super().__init__(f"{staff.role} lacks {permission}")
        self.staff, self.permission = staff, permission


class CsrfRefused(Exception):
    def __init__(self, staff: Staff | None):
        super().__init__("missing or wrong CSRF token")
        self.staff = staff


_UNKNOWN = object()


def current_staff(request: Request) -> Staff | None:
    """The session's staff member (looked up once per request), or None."""
    cached = getattr(request.state, "staff", _UNKNOWN)
    if cached is not _UNKNOWN:
        return cached
    staff = None
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with request.app.state.runtime.db.reader.connect() as conn:
            found = session_user(conn, token)
        if found is not None:
            staff = Staff(found[0], found[1], token)
    request.state.staff = staff
    return staff


def require(permission: str):  # noqa: ANN201 - a FastAPI dependency
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")

    def dependency(request: Request) -> Staff:
        staff = current_staff(request)
        if staff is None:
            raise LoginRequired()
        if not staff.can(permission):
            raise Forbidden(staff, permission)
        return staff

    return dependency


def signed_in(request: Request) -> Staff:
    staff = current_staff(request)
    if staff is None:
        raise LoginRequired()
    return staff


def check_csrf(staff: Staff, sent: str | None) -> None:
    """Every state-changing form carries the session's CSRF token."""
    if not tokens_match(staff.csrf_token, sent):
        raise CsrfRefused(staff)
