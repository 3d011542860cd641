"""Browser-facing security: cookies, CSRF, the login throttle, safe redirects and headers.

Kept apart from the pages so the rules are in one place and easy to review."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from croupier.store.accounts import SESSION_HOURS

SESSION_COOKIE = "croupier_session"
LOGIN_CSRF_COOKIE = "croupier_login_csrf"
CSRF_FIELD = "csrf_token"

# No inline script or style: every script and stylesheet is a file under /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # Pages show player data; keep them out of shared and back/forward caches.
    "Cache-Control": "no-store",
}


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=SESSION_HOURS * 3600, path="/",
                        httponly=True, samesite="lax", secure=is_https(request))


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=is_https(request))


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def set_login_csrf_cookie(response: Response, request: Request, value: str) -> None:
    """Double-submit token for the login form, which has no session to bind a token to."""
    response.set_cookie(LOGIN_CSRF_COOKIE, value, max_age=3600, path="/login",
                        httponly=True, samesite="strict", secure=is_https(request))


def tokens_match(expected: str | None, sent: str | None) -> bool:
    return bool(expected) and bool(sent) and hmac.compare_digest(str(expected), str(sent))


def safe_next(value: str | None, default: str = "/") -> str:
    """Only same-site relative paths are followed after login; anything else goes home."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    if parts.path in ("/login", "/logout"):
        return default
    return value


def _key(username: str, ip: str) -> tuple[str, str]:
    return username.strip().lower()[:128], ip


class LoginThrottle:
    """Failed logins per (username, client IP), in memory: after `limit` failures within
    `window` seconds further attempts are refused until the oldest failure ages out."""

    def __init__(self, limit: int = 5, window: float = 300.0, clock=time.monotonic):  # noqa: ANN001
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        failures = self._failures.get(key, deque())
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        return failures

    def retry_after(self, username: str, ip: str) -> int:
        """Seconds to wait before another attempt is allowed (0: allowed now)."""
        key, now = _key(username, ip), self.clock()
        with self._lock:
            failures = self._recent(key, now)
            if len(failures) < self.limit:
                return 0
            return max(1, int(failures[0] + self.window - now + 0.999))

    def failed(self, username: str, ip: str) -> None:
        key, now = _key(username, ip), self.clock()
        with self._lock:
            failures = self._recent(key, now)
            failures.append(now)
            self._failures[key] = failures
            if len(self._failures) > 10_000:  # bound memory under a spray of usernames
                for stale in [k for k, v in self._failures.items() if not self._recent(k, now)]:
                    del self._failures[stale]

    def succeeded(self, username: str, ip: str) -> None:
        with self._lock:
            self._failures.pop(_key(username, ip), None)
