"""Marketing fails closed where a market's national register is not configured: a GB player's
welcome is held (`register_not_configured`) while nobody configured or imported GAMSTOP, and
goes once the register is configured and answers clear; the back office and
`GET /v1/registers/status` name each such market with the players held for it; an operator
opts a market out only through an approved configuration (a second person approves), after
which promotions pass with the note `register_opted_out:<REGISTER>`. Replays decide the same.
SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from croupier.api import create_app
from croupier.protection.exclusions_hook import policy_for, tick
from croupier.protection.persons import hash_email
from croupier.protection.registers import HttpRegister
from croupier.store.accounts import create_key, create_user, find_user, open_session
from croupier.store.schema import audit_log, outbox

from . import make_runtime, registration
from .test_register_check import _promotion, _screenings, _welcomes, assert_replay_is_identical
from .test_registers import LookupServer, _croupier, client_for

KINDS = ("message", "bonus", "mission_enrolment", "tournament_enrolment", "reward")
OFFICERS = {"cleo": "cleo-password-01", "otto": "otto-password-01"}
# every market of the shipped presets that names a national register
PRESET_REGISTERS = {"CA-ON": "IGO_CSE", "DE": "OASIS", "DK": "ROFUS", "ES": "RGIAJ", "GB": "GAMSTOP",
                    "NL": "CRUKS", "SE": "SPELPAUS", "US-NJ": "NJ_DGE"}


def gb(player_id: str, **fields: Any) -> dict[str, Any]:
    return registration(player_id, "aurora", "GB", currency="GBP", timezone="Europe/London", **fields)


def _sent(runtime) -> list[tuple[str, str]]:  # noqa: ANN001
    with runtime.db.engine.connect() as conn:
        return sorted((pid, json.loads(body)["name"]) for pid, body in conn.execute(
            select(outbox.c.player_id, outbox.c.body)))


class Session:
    """A back-office session over the API (cookie, and the CSRF token on writes)."""

    def __init__(self, app, username: str):  # noqa: ANN001
        with app.state.runtime.db.engine.begin() as conn:
            token, self.csrf = open_session(conn, find_user(conn, username).user_id)
        self.client = TestClient(app)
        self.client.cookies.set("croupier_session", token)

    def post(self, path: str, body: Any = None):  # noqa: ANN201
        return self.client.post(path, json=body, headers={"X-CSRF-Token": self.csrf})


@pytest.fixture
def app(db_url: str) -> Iterator[Any]:
    """The whole app on the shipped presets (GB names GAMSTOP; no register configured), with
    two compliance officers and an API key."""
    app = create_app(db_url, background=False)
    with app.state.runtime.db.engine.begin() as conn:
        for username, password in OFFICERS.items():
            create_user(conn, username, password, "compliance_officer")
        app.state.token, _ = create_key(conn, "tests", ["ingest", "read", "admin"])
    yield app
    app.state.runtime.close()


@pytest.fixture
def client(app) -> TestClient:  # noqa: ANN001
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {app.state.token}"
    return client


def test_a_gb_welcome_is_held_while_gamstop_is_not_configured(app, client, db_url, tmp_path) -> None:  # noqa: ANN001
    runtime = app.state.runtime
    assert client.post("/v1/events", content=json.dumps([gb("gb1")])).json()["processed"] is True
    pending, held = _welcomes(client, "gb1")
    assert (pending["allowed"], pending["reasons"]) == (False, ["register_check_pending"])
    # nothing to ask: decided again, and held, saying why
    assert (held["allowed"], held["reasons"], held.get("notes")) == (False, ["register_not_configured:GAMSTOP"], None)
    assert held["cause_event_id"].startswith("rs_")
    assert _screenings(runtime, "gb1") == [("GAMSTOP", "not_configured")]
    assert _sent(runtime) == []
    view = client.get("/v1/players/gb1").json()["protection"]["register_check"]
    assert (view["register"], view["status"], view["holds_promotions"], view["waiting"]) == \
        ("GAMSTOP", "not_configured", True, ["welcome"])
    for kind in KINDS:
        assert _promotion(runtime, "gb1", kind).reasons == ("register_not_configured:GAMSTOP",)
    assert tick(runtime.engine, force=True).reconsidered == 0     # nothing changed: nobody to move

    # GAMSTOP's list is imported (it lists somebody else): the held welcome goes
    path = tmp_path / "gamstop.txt"
    path.write_text("someone.else@example.co.uk\n")
    imported = _croupier("registers", "import", "--register", "GAMSTOP", "--plain", "email", str(path), "--db", db_url)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    runtime.engine.process_pending()
    assert _screenings(runtime, "gb1") == [("GAMSTOP", "not_configured"), ("GAMSTOP", "clear")]
    released = _welcomes(client, "gb1")[-1]
    assert (released["allowed"], released["reasons"]) == (True, ["all_checks_passed"])
    assert _sent(runtime) == [("gb1", "welcome")]
    assert _promotion(runtime, "gb1").allowed
    assert_replay_is_identical(runtime)


def test_a_register_configured_later_is_asked_and_its_answers_apply(db_url) -> None:  # noqa: ANN001
    """An adapter configured after the registrations: the tick screens the accounts held for
    it; the clear one gets the welcome it waited for, the listed one is excluded and never does."""
    server = LookupServer({hash_email("listed@example.co.uk"): None})
    runtime = make_runtime(db_url)
    try:
        client = client_for(runtime)
        client.post("/v1/events", content=json.dumps([gb("gb2", email="clear@example.co.uk"),
                                                      gb("gb3", email="listed@example.co.uk")]))
        assert [runtime.engine.state_of(p).protection.register_check for p in ("gb2", "gb3")] == \
            ["not_configured", "not_configured"]
        policy_for(runtime.engine).registers["GAMSTOP"] = HttpRegister("GAMSTOP", server.url, 2.0)
        report = tick(runtime.engine, force=True)
        assert (report.reconsidered, report.rescreened) == (2, 2)
        assert [(d["allowed"], d["reasons"]) for d in _welcomes(client, "gb2")] == [
            (False, ["register_check_pending"]), (False, ["register_not_configured:GAMSTOP"]), (True, ["all_checks_passed"])]
        assert [d["allowed"] for d in _welcomes(client, "gb3")] == [False, False]
        assert runtime.engine.state_of("gb3").protection.register_check == "hit"
        assert "excluded:register:national" in _promotion(runtime, "gb3").reasons
        assert _sent(runtime) == [("gb2", "welcome")]
        assert tick(runtime.engine, force=True).reconsidered == 0
        assert_replay_is_identical(runtime)
    finally:
        runtime.close()
        server.close()


def test_an_opt_out_takes_a_second_officer_then_promotions_pass_with_a_note(app, client) -> None:  # noqa: ANN001
    runtime = app.state.runtime
    client.post("/v1/events", content=json.dumps([gb("gb4")]))
    cleo, otto = Session(app, "cleo"), Session(app, "otto")
    opt_out = {"register_opt_out": True}
    refused = cleo.post("/v1/config/versions", {"patch": {"jurisdictions": {"GB": {"exclusions": opt_out}}}})
    assert refused.status_code == 422
    assert [p["field"] for p in refused.json()["errors"]] == ["jurisdictions.GB.exclusions.register_opt_out_reason"]
    reason = "GAMSTOP screening runs in the platform before registration completes"
    proposed = cleo.post("/v1/config/versions", {"patch": {"jurisdictions": {"GB": {"exclusions": {
        **opt_out, "register_opt_out_reason": reason}}}}, "comment": "GB: opt out of GAMSTOP here"})
    assert proposed.status_code == 201, proposed.text
    version = proposed.json()["version"]
    own = cleo.post(f"/v1/config/versions/{version}/approve", {"comment": "mine"})
    assert own.status_code == 403 and "four-eyes" in own.json()["detail"]
    assert tick(runtime.engine, force=True).reconsidered == 0              # not in force: still held
    assert _promotion(runtime, "gb4").reasons == ("register_not_configured:GAMSTOP",)
    status = client.get("/v1/registers/status").json()
    assert "GB" in status["missing"]

    approved = otto.post(f"/v1/config/versions/{version}/approve", {"comment": "checked with counsel"})
    assert approved.status_code == 200, approved.text
    # recorded in the configuration: the rule, its reason, who proposed and who approved
    in_force = client.get("/v1/config").json()
    assert in_force["version"] == version
    assert in_force["config"]["jurisdictions"]["GB"]["exclusions"]["register_opt_out"] is True
    assert in_force["config"]["jurisdictions"]["GB"]["exclusions"]["register_opt_out_reason"] == reason
    detail = client.get(f"/v1/config/versions/{version}").json()
    assert (detail["status"], detail["proposed_by"], detail["approved_by"]) == ("approved", "cleo", "otto")

    # the account held before: its recorded status follows the market (on the protection tick,
    # which the engine ran as it took the approval up), and the welcome goes
    tick(runtime.engine, force=True)
    assert _screenings(runtime, "gb4") == [("GAMSTOP", "not_configured"), ("GAMSTOP", "opted_out")]
    welcome = _welcomes(client, "gb4")[-1]
    assert (welcome["allowed"], welcome["notes"]) == (True, ["register_opted_out:GAMSTOP"])
    # a player registering now: held for the check, then let through with the note
    client.post("/v1/events", content=json.dumps([gb("gb5")]))
    assert [(d["allowed"], d["reasons"], d.get("notes")) for d in _welcomes(client, "gb5")] == [
        (False, ["register_check_pending"], None), (True, ["all_checks_passed"], ["register_opted_out:GAMSTOP"])]
    for kind in KINDS:
        d = _promotion(runtime, "gb5", kind)
        assert d.allowed and d.notes == ("register_opted_out:GAMSTOP",)
    with runtime.db.engine.connect() as conn:
        audited = [json.loads(b) for b, in conn.execute(select(audit_log.c.body).where(
            audit_log.c.kind == "gate.decision", audit_log.c.player_id == "gb5")).all()]
    assert audited[-1]["notes"] == ["register_opted_out:GAMSTOP"] and audited[-1]["config_version"] == version
    assert _sent(runtime) == [("gb4", "welcome"), ("gb5", "welcome")]
    gb_status = next(m for m in client.get("/v1/registers/status").json()["markets"] if m["jurisdiction"] == "GB")
    assert (gb_status["status"], gb_status["held"], gb_status["opt_out_reason"]) == ("opted_out", 0, reason)
    assert_replay_is_identical(runtime)


def test_the_status_names_each_missing_market_with_the_players_held(app, client, db_url, tmp_path) -> None:  # noqa: ANN001
    client.post("/v1/events", content=json.dumps([
        gb("gb6"), gb("gb7"), registration("se1", "aurora", "SE"), registration("mt1", "aurora", "MT")]))
    status = client.get("/v1/registers/status")
    assert status.status_code == 200
    body = status.json()
    assert body["missing"] == sorted(PRESET_REGISTERS)              # Malta names no register
    assert {m["jurisdiction"]: m["register"] for m in body["markets"]} == PRESET_REGISTERS
    held = {m["jurisdiction"]: m["held"] for m in body["markets"]}
    assert (held["GB"], held["SE"], held["DE"], body["held_players"]) == (2, 1, 0, 3)
    assert {m["status"] for m in body["markets"]} == {"missing"}

    # the dashboard and the configuration pages say so, market by market
    officer = Session(app, "cleo").client
    for page in ("/", "/config"):
        html = officer.get(page).text
        assert 'id="register-warning"' in html and "Marketing is held in 8 markets" in html
        assert '<li data-market="GB"><strong>GB</strong>' in html and '<span data-held="2">2 players held</span>' in html
        assert '<span data-held="1">1 player held</span>' in html

    path = tmp_path / "spelpaus.txt"
    path.write_text("")
    imported = _croupier("registers", "import", "--register", "SPELPAUS", str(path), "--db", db_url)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    app.state.runtime.engine.process_pending()
    body = client.get("/v1/registers/status").json()
    se = next(m for m in body["markets"] if m["jurisdiction"] == "SE")
    assert (se["status"], se["held"], "SE" in body["missing"], body["held_players"]) == ("configured", 0, False, 2)
    assert client.get("/v1/registers/status", headers={"Authorization": ""}).status_code == 401
