"""Configuration-workflow fixtures: an app with two compliance officers (four-eyes), an
admin, a CRM manager and an auditor, sessions opened directly (no argon2 per test), and
helpers to act as one of them over the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from conftest import EventFactory, configure_registers, preset_registers  # tests/conftest.py
from web.conftest import session_for

# username -> (role, password)
OFFICERS = {
    "cleo": ("compliance_officer", "cleo-password-01"),
    "otto": ("compliance_officer", "otto-password-01"),
    "ada": ("admin", "ada-password-01"),
    "carl": ("crm_manager", "carl-password-01"),
    "aud": ("auditor", "aud-password-01"),
}


def birth_date_for_age(age: int, today: date | None = None) -> str:
    """A birth date that makes a player `age` years old today in any time zone (born
    half a year before the birthday that would make them one year older)."""
    today = today or datetime.now(timezone.utc).date()
    return (today.replace(year=today.year - age) - timedelta(days=180)).isoformat()


def make_config_app(url: str, *, background: bool = False, registers: list[str] | None = None):  # noqa: ANN201
    """The app with the officers. The presets' national registers (or `registers`) answer from
    empty lists: marketing is held where a register is missing, and these tests are about the
    configuration workflow."""
    from croupier.api import create_app
    from croupier.store.accounts import create_user

    app = create_app(url, background=background)
    configure_registers(app.state.runtime.db, *(preset_registers() if registers is None else registers))
    with app.state.runtime.db.engine.begin() as conn:
        for username, (role, password) in OFFICERS.items():
            create_user(conn, username, password, role)
    return app


@dataclass
class Staff:
    """A TestClient signed in as one staff member (cookie + CSRF header on writes)."""

    client: TestClient
    csrf: str

    def get(self, path: str, **kw: Any):  # noqa: ANN201
        return self.client.get(path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any):  # noqa: ANN201
        headers = {"X-CSRF-Token": self.csrf, **kw.pop("headers", {})}
        return self.client.post(path, json=body, headers=headers, **kw)


@pytest.fixture
def config_app(sqlite_url: str) -> Iterator[Any]:
    app = make_config_app(sqlite_url)
    yield app
    app.state.runtime.close()


def signed_in(app, username: str) -> Staff:  # noqa: ANN001
    """A back-office session for `username` on `app`, opened directly."""
    token, csrf = session_for(app, username)
    client = TestClient(app)
    client.cookies.set("croupier_session", token)
    return Staff(client, csrf)


@pytest.fixture
def as_staff(config_app):  # noqa: ANN001, ANN201
    return lambda username: signed_in(config_app, username)


@pytest.fixture
def admin_key(config_app) -> str:  # noqa: ANN001
    from croupier.store.accounts import create_key

    with config_app.state.runtime.db.engine.begin() as conn:
        token, _ = create_key(conn, "config-tests", ["ingest", "read", "admin"])
    return token


def ingest(app, events: list[dict[str, Any]]) -> None:  # noqa: ANN001
    result = app.state.runtime.ingest(json.dumps(events).encode())
    assert not result.rejected, result.rejected


def decisions(app, player_id: str, *, held: bool = False) -> list[dict[str, Any]]:  # noqa: ANN001
    """The gate decisions the audit log holds for a player, oldest first. Sweden names a
    national register: a promotion is first held for its check (`register_check_pending`),
    then decided again when the check answers; the holds are left out unless `held`."""
    from croupier.store.schema import audit_log

    with app.state.runtime.db.engine.connect() as conn:
        rows = conn.execute(select(audit_log).where(audit_log.c.player_id == player_id,
                                                    audit_log.c.kind == "gate.decision")
                            .order_by(audit_log.c.seq)).all()
    found = [{**json.loads(r.body), "column_version": r.config_version} for r in rows]
    return found if held else [d for d in found if "register_check_pending" not in d["reasons"]]


def audit_of(app, kind: str) -> list[Any]:  # noqa: ANN001
    from croupier.store.schema import audit_log

    with app.state.runtime.db.engine.connect() as conn:
        return conn.execute(select(audit_log).where(audit_log.c.kind == kind).order_by(audit_log.c.seq)).all()


def se_player(player_id: str, age: int) -> dict[str, Any]:
    """A Swedish registration (proposes the promotional welcome email)."""
    return EventFactory(now=datetime.now(timezone.utc).replace(microsecond=0), player_id=player_id).registered(
        birth_date=birth_date_for_age(age), email=f"{player_id}@example.se")
