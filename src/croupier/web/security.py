"""Browser-facing security: cookies, CSRF, the login throttle, safe redirects and headers.

Kept apart from the pages so the rules are in one place and easy to review."""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
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


TRUSTED_PROXIES_ENV = "CROUPIER_TRUSTED_PROXIES"


def trusted_proxies(values: Iterable[str] | None = None) -> list[str]:
    """The proxy addresses whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed: IP
    addresses or networks (CIDR), or "*" for every peer (only when nothing but the proxy can
    reach the port). None reads CROUPIER_TRUSTED_PROXIES (comma-separated); empty: none, the
    default, so a client cannot choose the address the login throttle counts it under."""
    if values is None:
        values = os.environ.get(TRUSTED_PROXIES_ENV, "").split(",")
    out = []
    for value in (v.strip() for v in values):
        if not value:
            continue
        if value != "*":
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise ValueError(f"a trusted proxy must be an IP address, a network (CIDR) or '*'; "
                                 f"got {value!r}") from None
        out.append(value)
    return out


def _user(username: str) -> str:
    return username.strip().lower()[:128]


@dataclass(frozen=True, slots=True)
class Block:
    """Why a sign-in must wait: `scope` "address" (this username from this address) or
    "account" (this username from anywhere), and for how many seconds."""

    seconds: int
    scope: str

    def message(self) -> str:
        if self.scope == "address":
            return f"too many attempts, wait {self.seconds} seconds"
        return (f"too many failed sign-ins for this username from several addresses: sign-in for it is slowed "
                f"down, wait {self.seconds} seconds (never more than {int(ACCOUNT_MAX_WAIT)} at a time)")


ACCOUNT_LIMIT = 10          # failures on one username, from any address, before it slows down
ACCOUNT_WINDOW = 3600.0     # ... counted over this many seconds
ACCOUNT_FIRST_WAIT = 5.0    # then each further failure doubles the wait after it ...
ACCOUNT_MAX_WAIT = 300.0    # ... up to this: an attacker can slow a username down, never lock it for good
KNOWN_FOR = 30 * 86_400.0   # an address a username signed in from stays exempt from the slow-down this long


class LoginThrottle:
    """Failed logins, in memory, at two levels:

    - per (username, client address): after `limit` failures within `window` seconds, that
      address waits until the oldest failure ages out;
    - per username, from any address (a guesser spreading over many addresses): after
      `account_limit` failures within `account_window`, each attempt waits a backoff after the
      latest failure that doubles with each further failure up to `max_wait`. Refused attempts
      do not count, so the wait is bounded, and the addresses the username recently signed
      in from are exempt: its owner is not locked out by someone else's guessing.

    The client address is the connection's, or a trusted proxy's `X-Forwarded-For`
    (`croupier serve --trusted-proxy`); forwarded headers from anyone else are ignored."""

    def __init__(self, limit: int = 5, window: float = 300.0, clock=time.monotonic, *,  # noqa: ANN001
                 account_limit: int = ACCOUNT_LIMIT, account_window: float = ACCOUNT_WINDOW,
                 first_wait: float = ACCOUNT_FIRST_WAIT, max_wait: float = ACCOUNT_MAX_WAIT):
        self.limit, self.window, self.clock = limit, window, clock
        self.account_limit, self.account_window = account_limit, account_window
        self.first_wait, self.max_wait = first_wait, max_wait
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._account: dict[str, deque[float]] = {}
        self._known: dict[str, dict[str, float]] = {}     # username -> {address: last sign-in}
        self._lock = threading.Lock()

    @staticmethod
    def _recent(failures: deque[float] | None, now: float, window: float) -> deque[float]:
        failures = failures if failures is not None else deque()
        while failures and now - failures[0] >= window:
            failures.popleft()
        return failures

    def _known_address(self, user: str, ip: str, now: float) -> bool:
        seen = self._known.get(user, {}).get(ip)
        return seen is not None and now - seen < KNOWN_FOR

    def blocked(self, username: str, ip: str) -> Block | None:
        """Why an attempt must wait now, or None when it may go ahead."""
        user, now = _user(username), self.clock()
        with self._lock:
            pair = self._recent(self._failures.get((user, ip)), now, self.window)
            if len(pair) >= self.limit:
                return Block(max(1, int(pair[0] + self.window - now + 0.999)), "address")
            if self._known_address(user, ip, now):
                return None
            account = self._recent(self._account.get(user), now, self.account_window)
            over = len(account) - self.account_limit
            if over < 0:
                return None
            wait = min(self.max_wait, self.first_wait * 2 ** over)
            left = account[-1] + wait - now
            return Block(max(1, int(left + 0.999)), "account") if left > 0 else None

    def retry_after(self, username: str, ip: str) -> int:
        """Seconds to wait before another attempt is allowed (0: allowed now)."""
        block = self.blocked(username, ip)
        return block.seconds if block else 0

    def failed(self, username: str, ip: str) -> None:
        user, now = _user(username), self.clock()
        with self._lock:
            pair = self._recent(self._failures.get((user, ip)), now, self.window)
            pair.append(now)
            self._failures[(user, ip)] = pair
            account = self._recent(self._account.get(user), now, self.account_window)
            account.append(now)
            self._account[user] = account
            if len(self._failures) + len(self._account) > 20_000:  # bound memory under a spray of usernames
                self._failures = {k: v for k, v in self._failures.items() if self._recent(v, now, self.window)}
                self._account = {k: v for k, v in self._account.items()
                                 if self._recent(v, now, self.account_window)}

    def succeeded(self, username: str, ip: str) -> None:
        user, now = _user(username), self.clock()
        with self._lock:
            self._failures.pop((user, ip), None)
            known = self._known.setdefault(user, {})
            known[ip] = now
            if len(known) > 20:   # the most recent addresses only
                del known[min(known, key=known.__getitem__)]
