"""Back-office fixtures: the real app served by uvicorn on 127.0.0.1, seeded with staff
users of several roles and a few players' events, and Chromium driven by Playwright."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from conftest import EventFactory, serving  # tests/conftest.py (rootdir conftest; it also holds `browser`)

# username -> (role, password)
STAFF = {
    "ada": ("admin", "ada-password-01"),
    "carl": ("crm_manager", "carl-password-01"),
    "sam": ("support_agent", "sam-password-01"),
    "aud": ("auditor", "aud-password-01"),
    "rita": ("rg_officer", "rita-password-01"),
}


def seed_times() -> tuple[datetime, datetime]:
    """(now, t0): t0 is a moment today (UTC) with room for two minutes of events after it,
    so 'today' figures hold even when the tests run just after midnight."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    midnight = now.replace(hour=0, minute=0, second=0)
    return now, max(now - timedelta(seconds=150), midnight)


def seed_events() -> list[dict[str, Any]]:
    """Players whose figures are easy to compute by hand (see test_player_page)."""
    now, t0 = seed_times()
    at = lambda seconds: t0 + timedelta(seconds=seconds)  # noqa: E731
    se = EventFactory(now=now, player_id="se-anna-1", brand="aurora")
    events = [
        se.registered(timedelta(days=-3), email="anna.berg@example.se", first_name="Anna",
                      last_name="Berg", phone="+46701234567"),
        se("payment.deposit", timedelta(days=-3, hours=1), transaction_id="tx-1", amount="100.00",
           currency="SEK", method="card", status="approved"),
        se("player.login", at(5), device_id="dev-1", ip="10.1.2.3", country="SE", success=True),
        se("payment.deposit", at(10), transaction_id="tx-2", amount="250.00", currency="SEK",
           method="card", status="approved", balance="250.00"),
        se("payment.deposit", at(12), transaction_id="tx-3", amount="40.00", currency="SEK",
           method="card", status="declined"),
        se("session.started", at(20), session_id="s-1", device_id="dev-1", channel="web"),
        se("casino.bet", at(30), bet_id="b-1", session_id="s-1", game_id="book-of-ra",
           game_category="slots", provider="novo", amount="20.00", currency="SEK"),
        se("casino.win", at(31), bet_id="b-1", game_id="book-of-ra", amount="50.00", currency="SEK"),
        se("casino.bet", at(40), bet_id="b-2", session_id="s-1", game_id="book-of-ra",
           game_category="slots", provider="novo", amount="30.00", currency="SEK"),
        se("casino.bet", at(50), bet_id="b-3", session_id="s-1", game_id="roulette-live",
           game_category="live_casino", provider="evo", amount="10.00", currency="SEK"),
        se("session.ended", at(60), session_id="s-1", device_id="dev-1", channel="web"),
        se("payment.withdrawal", at(70), transaction_id="tx-4", amount="60.00", currency="SEK",
           method="card", status="approved", balance="170.00"),
    ]
    # Events that arrived before (any) registration.
    ghost = EventFactory(now=now, player_id="ghost-7", brand="aurora")
    events += [
        ghost("payment.deposit", at(15), transaction_id="g-1", amount="20.00", currency="EUR",
              method="card", status="approved"),
        ghost("casino.bet", at(25), bet_id="g-b1", game_id="crash-x", game_category="crash",
              provider="spribe", amount="5.00", currency="EUR"),
    ]
    # A busy player: more events than one page of timeline.
    busy = EventFactory(now=now, player_id="busy-3", brand="borealis")
    events.append(busy.registered(timedelta(days=-1), email="bo.lind@example.se", first_name="Bo",
                                  last_name="Lind"))
    events += [busy("player.login", timedelta(hours=-20, minutes=i), device_id="dev-b", ip="10.9.9.9",
                    country="SE", success=True) for i in range(60)]
    return events


@dataclass
class Live:
    """A running back office."""

    base_url: str
    app: Any
    extra: dict[str, Any] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base_url + path

    def ingest(self, events: list[dict[str, Any]]) -> None:
        result = self.app.state.runtime.ingest(json.dumps(events).encode())
        assert not result.rejected, result.rejected


def make_app(url: str, config: Any = None):  # noqa: ANN201
    from croupier.api import create_app
    from croupier.store.accounts import create_user

    app = create_app(url, config, background=False)
    with app.state.runtime.db.engine.begin() as conn:
        for username, (role, password) in STAFF.items():
            create_user(conn, username, password, role)
    result = app.state.runtime.ingest(json.dumps(seed_events()).encode())
    assert not result.rejected, result.rejected
    return app


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """One server per test module (seeding costs a second of argon2 and migrations); the
    tests of a module use distinct players, users and currencies so their order is free."""
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'croupier.db'}"
    app = make_app(url)
    with serving(app) as base_url:
        yield Live(base_url, app)


@dataclass
class Requests:
    urls: list[str] = field(default_factory=list)

    def foreign(self) -> list[str]:
        """Requests to anything but this machine (data: and about: URLs load nothing)."""
        out = []
        for url in self.urls:
            parts = urlsplit(url)
            if parts.scheme in ("data", "about", "blob"):
                continue
            if parts.hostname not in ("127.0.0.1", "localhost"):
                out.append(url)
        return out


@pytest.fixture
def requests_seen() -> Requests:
    return Requests()


def login(page, username: str, password: str | None = None) -> None:  # noqa: ANN001
    """Sign in through the real form."""
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password if password is not None else STAFF[username][1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.fixture
def open_page(browser, live: Live, requests_seen: Requests) -> Iterator[Any]:  # noqa: ANN001
    """`open_page(username=None)`: a page in a fresh browser context, signed in as `username`
    (one real sign-in per user and module, then its cookies are reused). Every request is
    recorded; afterwards none may have left localhost and no page may have logged a CSP
    violation or a script error."""
    contexts, problems = [], []
    sessions: dict[str, Any] = live.extra.setdefault("sessions", {})

    def new_context(state=None):  # noqa: ANN001, ANN202
        context = browser.new_context(base_url=live.base_url, viewport={"width": 1280, "height": 900},
                                      storage_state=state)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    def make(username: str | None = None):  # noqa: ANN202
        if username is not None and username not in sessions:
            page = new_context().new_page()
            login(page, username)
            assert page.url.rstrip("/") != live.url("/login"), f"could not sign in as {username}"
            sessions[username] = page.context.storage_state()
        page = new_context(sessions.get(username) if username else None).new_page()
        page.on("request", lambda request: requests_seen.urls.append(request.url))
        page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert requests_seen.foreign() == []
    csp = [p for p in problems if "Content Security Policy" in p or "Refused to" in p]
    assert csp == [], csp
    # A refused request is an answer the test may expect (a form refused with the rule's reason).
    errors = [p for p in problems if not re.search(r"status of (401|403|404|409|422|429)", p)]
    assert errors == [], errors


@pytest.fixture
def page(open_page):  # noqa: ANN001, ANN201
    """A signed-out page."""
    return open_page()


# -- the back office through FastAPI's TestClient (no browser) ---------------------------------
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One seeded app per module; tests use distinct users and players, so order is free."""
    app = make_app(f"sqlite:///{tmp_path_factory.mktemp(request.module.__name__.rsplit('.', 1)[-1]) / 'croupier.db'}")
    yield app
    app.state.runtime.close()


@pytest.fixture
def client(app) -> TestClient:  # noqa: ANN001
    from croupier.web.security import LoginThrottle

    app.state.login_throttle = LoginThrottle()
    return TestClient(app)  # no lifespan: the module's app stays open between tests


@pytest.fixture(scope="module")
def sessions() -> dict[str, str]:
    return {}


def sign_in(client: TestClient, username: str, password: str | None = None, next_path: str = ""):  # noqa: ANN201
    """Through the real login form, with its CSRF token."""
    form = client.get("/login")
    token = CSRF.search(form.text).group(1)
    return client.post("/login", data={"username": username, "password": password or STAFF[username][1],
                                       "csrf_token": token, "next": next_path}, follow_redirects=False)


@pytest.fixture
def as_staff(client: TestClient, sessions: dict[str, str]):  # noqa: ANN201
    """Sign `client` in as a user, signing in for real once per user and module."""
    def use(username: str) -> TestClient:
        if username not in sessions:
            other = TestClient(client.app)
            assert sign_in(other, username).status_code == 303
            sessions[username] = other.cookies["croupier_session"]
        client.cookies.set("croupier_session", sessions[username])
        return client

    return use


def session_for(app: Any, username: str) -> tuple[str, str]:  # noqa: ANN401
    """(session token, CSRF token) of a session opened directly in the database, for tests
    that are not about signing in (argon2 makes the real form cost a second per user)."""
    from croupier.store.accounts import find_user, open_session

    with app.state.runtime.db.engine.begin() as conn:
        return open_session(conn, find_user(conn, username).user_id)
