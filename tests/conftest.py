"""Shared fixtures: databases (SQLite always; PostgreSQL for real when it runs, and always on
CI), an app with API keys, and event builders.

With CI=true a missing service is a failure, never a quiet skip."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_ADMIN_URL = os.environ.get("CROUPIER_TEST_PG", "postgresql+psycopg://root@127.0.0.1:5432/postgres")


def require_service(name: str, problem: str) -> None:
    """Fail on CI, skip (loudly, with the reason) elsewhere."""
    message = f"{name} is not available: {problem}"
    if ON_CI:
        pytest.fail(message + " (CI=true: services must run for real)")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(app: Any, *, lifespan: str = "on") -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1 in a thread, for tests that need a real socket
    (Chromium, raw HTTP): yields the base URL and stops the server afterwards."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, lifespan=lifespan))
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module, closed at its end, for every browser test (tests/web,
    tests/config). Playwright's sync API runs an event loop in this thread while it is open:
    one instance at a time, and none left open for the asyncio tests that follow."""
    if not os.path.exists(CHROMIUM):
        require_service("Chromium", f"{CHROMIUM} does not exist (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def create_pg_database(name: str) -> sa.Engine:
    """Create database `name` on the test server; returns the admin (autocommit) engine.
    Fails on CI, skips elsewhere, when the server does not answer."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        require_service("PostgreSQL", str(exc).splitlines()[0])
    return admin


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    name = f"croupier_test_{uuid.uuid4().hex[:10]}"
    admin = create_pg_database(name)
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def _empty_all_tables(url: str) -> None:
    from croupier.store import open_database
    from croupier.store.schema import metadata

    db = open_database(url)
    with db.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:  # noqa: ANN001
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'croupier.db'}"
    url = request.getfixturevalue("postgres_url")
    _empty_all_tables(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path) -> str:  # noqa: ANN001
    return f"sqlite:///{tmp_path / 'croupier.db'}"


NOW = datetime.now(timezone.utc).replace(microsecond=0)


def noon_zone(now: datetime | None = None) -> str:
    """A fixed-offset time zone where it is about noon at `now` (default: the tests' NOW): a
    player there is outside any quiet hours whenever the tests run, for tests whose events
    must be recent (the gate holds promotions on stale data) and whose messages must go."""
    offset = 12 - (now or NOW).astimezone(timezone.utc).hour
    offset = offset - 24 if offset > 14 else offset + 24 if offset < -12 else offset
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


class EventFactory:
    """Builds protocol v1 events with unique ids; times are offsets from a fixed `now`."""

    def __init__(self, now: datetime = NOW, player_id: str = "p1", brand: str = "aurora"):
        self.now, self.player_id, self.brand, self._n = now, player_id, brand, 0

    def __call__(self, type_: str, at: timedelta | datetime = timedelta(0), **fields: Any) -> dict[str, Any]:
        self._n += 1
        moment = at if isinstance(at, datetime) else self.now + at
        event = {"event_id": f"{self.player_id}-{self._n}-{uuid.uuid4().hex[:6]}", "type": type_,
                 "player_id": fields.pop("player_id", self.player_id), "brand": self.brand,
                 "occurred_at": moment.isoformat()}
        event.update(fields)
        return event

    def registered(self, at: timedelta | datetime = timedelta(0), **fields: Any) -> dict[str, Any]:
        base = {"jurisdiction": "SE", "country": "SE", "currency": "SEK", "language": "sv",
                "timezone": "Europe/Stockholm", "birth_date": "1990-05-17", "email": "anna@example.se",
                "first_name": "Anna", "last_name": "Berg", "consents": {"email": True, "sms": False, "push": True}}
        base.update(fields)
        return self("player.registered", at, **base)

    def at_severe_risk(self, **registration: Any) -> list[dict[str, Any]]:
        """A registration, eight declined deposits within two hours and a distressed support
        message: severe RG risk (a hard stop and a case for an RG officer) under the default
        rules and the shipped scorecard."""
        pid = self.player_id
        events = [self.registered(timedelta(hours=-3), **registration)]
        events += [self("payment.deposit", timedelta(hours=-2, minutes=i * 5), transaction_id=f"{pid}-d{i}",
                        amount="100.00", currency="SEK", status="declined") for i in range(8)]
        events.append(self("support.message", timedelta(hours=-1), ticket_id="t1", channel="chat", language="en",
                           text="Please help me, I lost control and I'm desperate."))
        return events


@pytest.fixture
def make_event() -> EventFactory:
    return EventFactory()


def client_for(db_url: str, config: Any = None) -> Iterator[Any]:
    """A TestClient over the whole app (API + back office) with an ingest+read key. The presets'
    national registers answer from empty lists (`configure_registers`): marketing is held
    where a register is missing, and these tests are about other things."""
    from fastapi.testclient import TestClient

    from croupier.api import create_app
    from croupier.store.accounts import create_key

    app = create_app(db_url, config, background=False)
    configure_registers(app.state.runtime.db, *preset_registers())
    with app.state.runtime.db.engine.begin() as conn:
        token, _ = create_key(conn, "tests", ["ingest", "read"])
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def ledger_config(**fields: Any) -> Any:
    """The configuration of an operator whose wallet is Croupier's ledger for every brand."""
    from croupier.players import EngineConfig

    return EngineConfig(money_of_record={"default": "ledger"}, **fields)


@pytest.fixture
def app_client(db_url: str):  # noqa: ANN201
    """The app with the default configuration: the platform keeps every brand's money."""
    yield from client_for(db_url)


@pytest.fixture
def ledger_client(db_url: str):  # noqa: ANN201
    """The app where Croupier's ledger is every brand's wallet (`money_of_record: ledger`)."""
    yield from client_for(db_url, ledger_config())


def preset_registers() -> list[str]:
    """Every national register the shipped jurisdiction presets name."""
    from croupier.compliance.rules import presets

    return sorted({r.exclusions.register for r in presets().values() if r.exclusions.register})


def configure_registers(db: Any, *names: str) -> None:
    """Give national registers an empty list (nobody listed), so markets that name them
    answer `clear`: marketing fails closed where a register is not configured, and a test
    about something else must not depend on that (docs/exclusions-and-registers.md)."""
    import time

    from croupier.protection.registers import import_entries

    with db.engine.begin() as conn:
        for name in names:
            import_entries(conn, name, [], "tests: nobody listed", time.time_ns() // 1000)
