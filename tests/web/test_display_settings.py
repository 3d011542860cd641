"""Per-user display settings without a browser: the operator's default (`--time-zone`,
`--locale`, CROUPIER_TIME_ZONE / CROUPIER_LOCALE) for staff who chose none, refused at start
when invalid; a staff member's own choice saved, audited with the previous values and used
by every page and the pages' JSON; blank fields going back to the operator's default."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from croupier.store.schema import audit_log
from croupier.web import operator_display
from croupier.web.formatting import Reader

from .conftest import STAFF

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NBSP = "\u00a0"


def signed_in(app: Any, username: str) -> TestClient:  # noqa: ANN401
    client = TestClient(app)
    token = CSRF.search(client.get("/login").text).group(1)
    response = client.post("/login", data={"username": username, "password": STAFF[username][1],
                                           "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    return client


def csrf(client: TestClient, path: str = "/settings") -> str:
    return CSRF.search(client.get(path).text).group(1)


def test_the_operators_default_comes_from_the_arguments_then_the_environment(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.delenv("CROUPIER_TIME_ZONE", raising=False)
    monkeypatch.delenv("CROUPIER_LOCALE", raising=False)
    assert operator_display() == Reader.of("en", "UTC")
    monkeypatch.setenv("CROUPIER_TIME_ZONE", "Europe/Stockholm")
    monkeypatch.setenv("CROUPIER_LOCALE", "sv-SE")
    assert operator_display() == Reader.of("sv_SE", "Europe/Stockholm")
    assert operator_display("Asia/Tokyo", "ja") == Reader.of("ja", "Asia/Tokyo")
    monkeypatch.setenv("CROUPIER_TIME_ZONE", "CET+1")
    with pytest.raises(ValueError, match="not an IANA time zone"):
        operator_display()


def test_serve_and_demo_refuse_an_invalid_default_before_starting(monkeypatch) -> None:  # noqa: ANN001
    from typer.testing import CliRunner

    from croupier.cli import _COMMAND_MODULES
    from croupier.cli.app import app as cli

    for module in _COMMAND_MODULES:
        __import__(f"croupier.cli.{module}")
    monkeypatch.delenv("CROUPIER_TIME_ZONE", raising=False)
    monkeypatch.delenv("CROUPIER_LOCALE", raising=False)
    runner = CliRunner()

    def words(output: str) -> str:   # the message without rich's box
        return re.sub(r"[│╭╮╰╯─\s]+", " ", output)

    result = runner.invoke(cli, ["serve", "--time-zone", "Mars/Olympus_Mons"])
    assert result.exit_code == 2 and "is not an IANA time zone" in words(result.output)
    result = runner.invoke(cli, ["demo", "--locale", "klingon", "--db", "sqlite:///unused.db"])
    assert result.exit_code == 2 and "is not a locale" in words(result.output)


def test_staff_without_settings_read_the_operators_default(app: Any) -> None:  # noqa: ANN401
    app.state.display_defaults = Reader.of("de", "Europe/Berlin")
    try:
        client = signed_in(app, "carl")
        page = client.get("/").text
        assert f"250,00{NBSP}SEK" in page                      # the seeded SEK deposits today
        data = client.get("/bo/api/dashboard").json()
        assert data["today"]["SEK"]["deposits"] == "250.00"      # raw values stay as they were
        assert data["display"]["today"]["SEK"]["deposits"] == f"250,00{NBSP}SEK"
        assert re.fullmatch(r"\d{1,2} \w+\.? \d{4}, \d\d:\d\d:\d\d CES?T", data["display"]["as_of"])
        assert data["display"]["as_of_title"].endswith(" UTC")
    finally:
        app.state.display_defaults = Reader.of()


def test_own_settings_are_saved_audited_and_used_by_pages_and_json(app: Any) -> None:  # noqa: ANN401
    client = signed_in(app, "ada")
    response = client.post("/settings", data={"time_zone": "America/New_York", "locale": "en_GB",
                                              "csrf_token": csrf(client)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/settings?saved=1"
    with app.state.runtime.db.engine.connect() as conn:
        record = conn.execute(select(audit_log).where(audit_log.c.kind == "staff.settings_changed",
                                                      audit_log.c.actor == "ada")).all()[-1]
    assert json.loads(record.body) == {"time_zone": "America/New_York", "locale": "en_GB",
                                       "previous": {"time_zone": None, "locale": None}}
    assert record.recorded_at_us is not None and record.recorded_at_us >= record.at_us

    events = client.get("/bo/api/events", params={"player_id": "se-anna-1"}).json()["events"]
    first = events[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", first["received_at"])
    assert re.fullmatch(r"\d{1,2} \w{3} \d{4}, \d\d:\d\d:\d\d E[SD]T", first["received_at_text"])
    assert "(America/New_York) = " in first["received_at_title"]
    verify = client.get("/bo/api/audit/verify").json()
    assert verify["ok"] and verify["checked_text"] == f"{verify['checked']:,}"
    page = client.get("/players/se-anna-1").text
    assert "SEK\u00a0170.00" in page                               # en_GB: the code before the amount

    # blank: back to the operator's default
    client.post("/settings", data={"time_zone": "", "locale": "", "csrf_token": csrf(client)})
    assert re.search(r'id="current-zone">UTC <span[^>]*>\(operator\'s default\)', client.get("/settings").text)
    data = client.get("/bo/api/dashboard").json()
    assert data["display"]["as_of"].endswith(" UTC")


def test_settings_refuse_unknown_names_and_a_missing_token(app: Any) -> None:  # noqa: ANN401
    client = signed_in(app, "sam")
    for form, message in (({"time_zone": "Nowhere/Land", "locale": ""}, "is not an IANA time zone"),
                          ({"time_zone": "", "locale": "en_GB; drop"}, "is not a locale code")):
        response = client.post("/settings", data={**form, "csrf_token": csrf(client)})
        assert response.status_code == 422 and message in response.text
    assert client.post("/settings", data={"time_zone": "UTC"}).status_code == 403
    with app.state.runtime.db.engine.connect() as conn:
        assert not conn.execute(select(audit_log).where(audit_log.c.kind == "staff.settings_changed",
                                                        audit_log.c.actor == "sam")).all()
