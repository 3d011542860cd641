"""The login throttle against an attacker: `croupier serve` trusts forwarded client addresses
only from configured proxies (none by default), so rotating `X-Forwarded-For` no longer gives
each guess a fresh address; a configured proxy's header is honoured; and failures on one
username from many addresses slow that username down with a bounded backoff that never
locks out the address its owner signs in from."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from croupier.store.schema import audit_log
from croupier.web.security import LoginThrottle

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "ann-password-01"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database(tmp_path: Path) -> str:
    """A database with one staff user, ann."""
    from croupier.store import open_database
    from croupier.store.accounts import create_user

    url = f"sqlite:///{tmp_path / 'croupier.db'}"
    db = open_database(url)
    with db.engine.begin() as conn:
        create_user(conn, "ann", PASSWORD, "support_agent")
    db.dispose()
    return url


@pytest.fixture
def serve(tmp_path: Path) -> Iterator:  # noqa: ANN201
    """`serve(*options)`: `croupier serve` on a free port (the real command, so uvicorn's own
    handling of forwarded headers is part of what is tested); returns its base URL."""
    procs: list[subprocess.Popen] = []
    url = _database(tmp_path)

    def start(*options: str) -> str:
        port = _free_port()
        log = (tmp_path / f"serve-{port}.log").open("w")
        procs.append(subprocess.Popen(
            [sys.executable, "-c", "from croupier.cli import main; main()", "serve", "--db", url,
             "--port", str(port), *options], cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if k != "CROUPIER_TRUSTED_PROXIES"}))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base + "/v1/health", timeout=2)
                return base
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    start.url = url
    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=15)


def _sign_in(base: str, password: str, forwarded_for: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    with httpx.Client(base_url=base, headers=headers) as browser:
        token = CSRF.search(browser.get("/login").text).group(1)
        return browser.post("/login", data={"username": "ann", "password": password, "csrf_token": token})


def _failed_from(url: str) -> list[str]:
    from croupier.store import open_database

    db = open_database(url)
    with db.engine.connect() as conn:
        bodies = conn.execute(select(audit_log.c.body).where(audit_log.c.kind == "staff.login_failed")
                              .order_by(audit_log.c.seq)).scalars().all()
    db.dispose()
    return [re.search(r'"ip":"([^"]+)"', body).group(1) for body in bodies]


def test_rotating_x_forwarded_for_does_not_escape_the_throttle(serve) -> None:  # noqa: ANN001
    base = serve()
    for i in range(5):
        assert _sign_in(base, "wrong-password!", f"203.0.113.{i}").status_code == 401
    blocked = _sign_in(base, PASSWORD, "198.51.100.99")      # a new forged address, the right password
    assert blocked.status_code == 429, blocked.text
    assert "too many attempts" in blocked.text and int(blocked.headers["retry-after"]) > 0
    assert _failed_from(serve.url) == ["127.0.0.1"] * 5       # the connection's address, not the header's


def test_a_configured_proxys_forwarded_address_is_honoured(serve) -> None:  # noqa: ANN001
    base = serve("--trusted-proxy", "127.0.0.1")
    for _ in range(5):
        assert _sign_in(base, "wrong-password!", "203.0.113.7").status_code == 401
    assert _sign_in(base, PASSWORD, "203.0.113.7").status_code == 429
    assert _sign_in(base, PASSWORD, "198.51.100.2").status_code == 303    # another client behind the proxy
    assert _failed_from(serve.url) == ["203.0.113.7"] * 5


def test_failures_on_one_username_from_many_addresses_slow_it_down_within_a_bound() -> None:
    now = [0.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    throttle.succeeded("ann", "10.0.0.1")                     # the address ann signs in from
    for i in range(10):                                       # one guess per address: no address limit trips
        assert throttle.blocked("ann", f"203.0.113.{i}") is None
        throttle.failed("Ann ", f"203.0.113.{i}")
    block = throttle.blocked("ann", "198.51.100.1")
    assert (block.scope, block.seconds) == ("account", 5)
    assert "too many failed sign-ins for this username" in block.message()
    assert throttle.blocked("ann", "10.0.0.1") is None        # its owner is not locked out
    assert throttle.blocked("bob", "198.51.100.1") is None    # nor anyone else
    waits = []
    for i in range(10):                                       # each further failure doubles the wait ...
        block = throttle.blocked("ann", "198.51.100.1")
        waits.append(block.seconds)
        now[0] += block.seconds
        assert throttle.blocked("ann", "198.51.100.1") is None
        throttle.failed("ann", f"198.51.100.{i}")
    assert waits == [5, 10, 20, 40, 80, 160, 300, 300, 300, 300]   # ... never beyond 5 minutes
    now[0] += 3600                                            # an hour without guesses: all forgotten
    assert throttle.blocked("ann", "198.51.100.1") is None


def test_the_account_wide_slow_down_over_http(sqlite_url: str) -> None:
    from croupier.api import create_app
    from croupier.store.accounts import create_user

    app = create_app(sqlite_url, background=False, web=True)
    with app.state.runtime.db.engine.begin() as conn:
        create_user(conn, "ann", PASSWORD, "support_agent")

    def sign_in(address: str, password: str, forwarded_for: str = "") -> httpx.Response:
        browser = TestClient(app, client=(address, 50000))
        token = CSRF.search(browser.get("/login").text).group(1)
        return browser.post("/login", data={"username": "ann", "password": password, "csrf_token": token},
                            headers={"X-Forwarded-For": forwarded_for} if forwarded_for else {},
                            follow_redirects=False)

    try:
        assert sign_in("10.0.0.1", PASSWORD).status_code == 303          # ann's own address, known now
        for i in range(10):
            assert sign_in(f"203.0.113.{i}", "wrong-password!", f"192.0.2.{i}").status_code == 401
        slowed = sign_in("198.51.100.1", PASSWORD)
        assert slowed.status_code == 429 and slowed.headers["retry-after"] == "5"
        assert "too many failed sign-ins for this username from several addresses" in slowed.text
        assert sign_in("10.0.0.1", PASSWORD).status_code == 303          # ann still gets in
    finally:
        app.state.runtime.close()


def test_trusted_proxies_are_addresses_or_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    from croupier.web.security import trusted_proxies

    assert trusted_proxies(["10.0.0.0/8", " 127.0.0.1 ", "", "::1"]) == ["10.0.0.0/8", "127.0.0.1", "::1"]
    with pytest.raises(ValueError, match="got 'proxy.internal'"):
        trusted_proxies(["127.0.0.1", "proxy.internal"])
    monkeypatch.delenv("CROUPIER_TRUSTED_PROXIES", raising=False)
    assert trusted_proxies() == []                            # none by default
    monkeypatch.setenv("CROUPIER_TRUSTED_PROXIES", "10.1.0.0/16, 10.2.0.7")
    assert trusted_proxies() == ["10.1.0.0/16", "10.2.0.7"]
