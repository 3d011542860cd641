"""The command line as a user runs it: accounts, keys, audit verification, replay, bench,
and `serve` / `demo` as real processes answering HTTP."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import sqlalchemy as sa
from typer.testing import CliRunner

from croupier.cli import _COMMAND_MODULES
from croupier.cli.app import app

for _module in _COMMAND_MODULES:
    __import__(f"croupier.cli.{_module}")

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_every_command_has_help() -> None:
    for command in (["serve"], ["demo"], ["simulate"], ["ingest"], ["consume"], ["replay"],
                    ["bench", "ingest"], ["users", "create"], ["users", "list"], ["keys", "create"],
                    ["keys", "list"], ["keys", "revoke"], ["audit", "verify"]):
        code, out = run(*command, "--help")
        assert code == 0, (command, out)
        assert "Usage" in out


def test_users_create_checks_role_and_password_and_is_audited(sqlite_url: str) -> None:
    code, out = run("users", "create", "ada", "--role", "wizard", "--password", "long-enough-1", "--db", sqlite_url)
    assert code != 0 and "role must be one of" in out
    code, out = run("users", "create", "ada", "--role", "crm_manager", "--password", "short", "--db", sqlite_url)
    assert code == 2 and "at least 10 characters" in out
    code, out = run("users", "create", "ada", "--role", "crm_manager", "--password", "long-enough-1", "--db", sqlite_url)
    assert code == 0 and "created user 'ada'" in out
    code, out = run("users", "create", "ada", "--role", "admin", "--password", "long-enough-2", "--db", sqlite_url)
    assert code == 2 and "already exists" in out
    code, out = run("users", "list", "--db", sqlite_url)
    assert "ada" in out and "crm_manager" in out
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn:
        kinds = conn.execute(sa.text("SELECT kind, subject FROM audit_log")).all()
    assert ("staff.user_created", "ada") in kinds


def test_a_created_key_works_until_revoked(sqlite_url: str, make_event) -> None:  # noqa: ANN001
    from fastapi.testclient import TestClient

    from croupier.api import create_app

    code, out = run("keys", "create", "--scope", "ingest", "--scope", "read", "--name", "pam", "--db", sqlite_url)
    assert code == 0
    token = re.search(r"crp_[A-Za-z0-9_-]+", out).group(0)
    code, out = run("keys", "create", "--scope", "everything", "--db", sqlite_url)
    assert code == 2 and "scopes must be among" in out
    app_ = create_app(sqlite_url, background=False)
    with TestClient(app_) as client:
        headers = {"Authorization": f"Bearer {token}"}
        answer = client.post("/v1/events", content=json.dumps([make_event("player.login")]), headers=headers)
        assert answer.status_code == 200 and answer.json()["accepted"] == 1
        key_id = token.split("_")[1]
        code, out = run("keys", "revoke", key_id, "--db", sqlite_url)
        assert code == 0
        app_.state.runtime.forget_key(key_id)  # another process revoked it: skip the 2 s cache
        answer = client.get("/v1/players/p1", headers=headers)
        assert answer.status_code == 401 and "revoked" in answer.json()["detail"]
    code, out = run("keys", "revoke", key_id, "--db", sqlite_url)
    assert code == 2 and "no active key" in out


def _runtime_with_history(url: str, make_event):  # noqa: ANN001, ANN202
    from croupier.api import Runtime

    runtime = Runtime(url)
    runtime.ingest(json.dumps([
        make_event.registered(), make_event("payment.deposit", transaction_id="t1", amount="100.00",
                                            currency="SEK", status="approved"),
        make_event("casino.bet", bet_id="b1", amount="10.00", currency="SEK", game_category="slots"),
    ]).encode())
    return runtime


def test_audit_verify_detects_tampering(sqlite_url: str, make_event) -> None:  # noqa: ANN001
    _runtime_with_history(sqlite_url, make_event).close()
    code, out = run("audit", "verify", "--db", sqlite_url)
    assert code == 0 and "intact" in out
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET body = replace(body, 'email', 'sms') WHERE seq = 1"))
    code, out = run("audit", "verify", "--db", sqlite_url)
    assert code == 1 and "BROKEN" in out and "record 1" in out


def test_replay_rebuilds_the_same_state_and_matches_the_audit_log(sqlite_url: str, make_event) -> None:  # noqa: ANN001
    from croupier.store import states

    runtime = _runtime_with_history(sqlite_url, make_event)
    before = states.encode(runtime.engine.state_of("p1"))
    code, out = run("replay", "--db", sqlite_url)   # the running engine holds the lease
    assert code == 2 and "owns this database" in out
    runtime.close()
    code, out = run("replay", "--db", sqlite_url)
    assert code == 0, out
    assert "replayed 4 events for 1 players" in out     # three, and the registration's register check
    assert re.search(r"(\d+) decisions recomputed and matched", out).group(1) != "0"
    from croupier.store import open_database
    from croupier.store.states import load

    with open_database(sqlite_url).engine.connect() as conn:
        after = states.encode(load(conn, ["p1"])["p1"])
    assert after == before


def test_bench_ingest_reports_figures_beside_the_ceiling() -> None:
    code, out = run("bench", "ingest", "--events", "3000", "--batch", "500")
    assert code == 0, out
    flat = " ".join(out.split())
    for label in ("pipeline", "latency", "ceiling: decode", "ceiling: append", "player state"):
        assert label in flat
    assert re.search(r"events: 3,000 for [\d,]+ players", flat)
    assert "engagement on" not in flat and "cost" not in flat      # the plain command's output, unchanged


def test_bench_ingest_with_the_engagement_layer_reports_it_beside_the_plain_run() -> None:
    code, out = run("bench", "ingest", "--events", "3000", "--batch", "500", "--segments", "12", "--journeys", "11")
    assert code == 0, out
    flat = " ".join(out.split())
    assert "--segments 12 --journeys 11" in flat
    # the engine followed what was switched on through the real paths (a mismatch is a note)
    assert re.search(r"engagement on 12 live segments, 11 published journeys \(\d+ triggered by entering a "
                     r"segment\)", flat), flat
    assert "note: the engine follows" not in flat
    assert re.search(r"pipeline [\d,]+ events/s .* plain [\d,]+ events/s", flat)
    moves = re.search(r"did ([\d,]+) segment entries and exits; ([\d,]+) players in a journey", flat)
    assert moves and int(moves[1].replace(",", "")) > 0 and int(moves[2].replace(",", "")) > 0, flat
    assert re.search(r"cost -?[\d.]+% of the plain throughput", flat)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, timeout: float = 30.0, headers: dict | None = None) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url, headers=headers, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _croupier(*args: str, cwd: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from croupier.cli import main; main()", *args],
                            cwd=cwd, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_serve_answers_on_its_port_with_the_database_from_the_environment(tmp_path: Path) -> None:
    port = _free_port()
    url = f"sqlite:///{tmp_path / 'env.db'}"
    log = tmp_path / "serve.log"
    proc = subprocess.Popen([sys.executable, "-c", "from croupier.cli import main; main()", "serve",
                             "--port", str(port)], cwd=tmp_path, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            env={**os.environ, "CROUPIER_DATABASE_URL": url})
    try:
        health = _wait_for(f"http://127.0.0.1:{port}/v1/health").json()
        assert health["status"] == "ok" and health["database"] == "sqlite"
        assert (tmp_path / "env.db").exists()
        assert httpx.get(f"http://127.0.0.1:{port}/login").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_demo_serves_the_back_office_while_the_simulator_streams(tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "demo.log"
    proc = _croupier("demo", "--port", str(port), "--players", "150", "--days", "2",
                     "--admin-password", "demo-password-1", cwd=tmp_path, log=log)
    try:
        _wait_for(f"http://127.0.0.1:{port}/v1/health")
        deadline = time.monotonic() + 60
        while "Backfill done" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        text = log.read_text()
        assert "admin / demo-password-1" in text and "Backfill done" in text, text
        token = re.search(r"crp_[A-Za-z0-9_-]+", text).group(0)
        stats = httpx.get(f"http://127.0.0.1:{port}/v1/stats/dashboard",
                          headers={"Authorization": f"Bearer {token}"}).json()
        assert stats["events_total"] > 1000 and stats["players_total"] > 50
        # marketing waits for each market's register: the demo configures them, and says so
        assert "National registers CRUKS, GAMSTOP" in " ".join(text.split())
        assert re.search(r"Backfill .* day 2/2 .* events", text), text   # the progress, as a log shows it
        registers = httpx.get(f"http://127.0.0.1:{port}/v1/registers/status",
                              headers={"Authorization": f"Bearer {token}"}).json()
        assert registers["missing"] == [] and registers["held_players"] == 0
        assert (tmp_path / "croupier-demo.db").exists()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as browser:
            form = browser.get("/login")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
            answer = browser.post("/login", data={"username": "admin", "password": "demo-password-1",
                                                  "csrf_token": csrf})
            assert answer.status_code == 303
            assert "Dashboard" in browser.get("/").text
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_the_demo_configures_the_registers_its_markets_name(sqlite_url: str, make_event) -> None:  # noqa: ANN001
    """Without them every promotion in eight of the nine simulated markets would be held
    (register_not_configured): the demo gives each an empty list, once, on the record."""
    from datetime import timedelta

    from croupier.api import Runtime
    from croupier.compliance.rules import rules_for
    from croupier.protection.exclusions_hook import register_markets
    from croupier.sim.markets import JURISDICTIONS
    from croupier.sim.registers import configure_simulated_registers

    runtime = Runtime(sqlite_url)
    try:
        names = configure_simulated_registers(runtime, actor="demo")
        assert names == sorted({rules_for(j.code).exclusions.register for j in JURISDICTIONS} - {None})
        assert len(names) == 8 and configure_simulated_registers(runtime, actor="demo") == names      # a kept database: imported once
        with runtime.db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM register_batches")).scalar() == 8
            assert conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE kind = "
                                        "'protection.register_imported' AND actor = 'demo'")).scalar() == 8
        assert {m["status"] for m in register_markets(runtime.engine)} == {"configured"}
        runtime.ingest(json.dumps([make_event.registered(timedelta(minutes=-1), jurisdiction="GB", country="GB",
                                                         currency="GBP", timezone="Europe/London")]).encode())
        with runtime.db.engine.connect() as conn:
            sent = conn.execute(sa.text("SELECT body FROM outbox")).scalars().all()
        assert [json.loads(b)["name"] for b in sent] == ["welcome"]
    finally:
        runtime.close()


def test_cli_engines_follow_the_approved_configuration_in_the_log(sqlite_url: str, tmp_path: Path,
                                                                   make_event) -> None:  # noqa: ANN001
    """`croupier ingest` and `replay` decide as the server would: with the approved version from
    its activation in the log on, whatever file or defaults they start with."""
    from datetime import timedelta

    from croupier.compliance import config_store
    from croupier.players import EngineConfig
    from croupier.store import open_database

    database = open_database(sqlite_url)
    now_us = time.time_ns() // 1000
    with database.engine.begin() as conn:
        version = config_store.propose(conn, actor="ada", in_force=EngineConfig(), now_us=now_us,
                                       patch={"stale_after_minutes": 15})
        config_store.approve(conn, version.version_id, actor="olga", role="compliance_officer",
                             in_force=EngineConfig(), now_us=now_us)
    database.dispose()
    path = tmp_path / "late.jsonl"
    path.write_text(json.dumps(make_event.registered(timedelta(minutes=-30))) + "\n")  # 30 min late
    code, out = run("ingest", str(path), "--db", sqlite_url)
    assert code == 0, out
    with sa.create_engine(sqlite_url).connect() as conn:
        rows = conn.execute(sa.text("SELECT config_version, body FROM audit_log WHERE kind = 'gate.decision'")).all()
    # the welcome, held for Spelpaus' check, then decided again when the check answered (held:
    # nobody configured Spelpaus)
    assert len(rows) == 2 and {recorded for recorded, _ in rows} == {version.version_id}
    assert all(any(re.fullmatch(r"stale_data:\d+min>15min", r) for r in json.loads(body)["reasons"])
               for _, body in rows)
    code, out = run("replay", "--db", sqlite_url)
    assert code == 0, out
    assert "2 decisions recomputed and matched against the audit log, 0 new" in " ".join(out.split())


def test_serve_refuses_several_workers_on_sqlite(tmp_path: Path) -> None:
    code, output = run("serve", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--workers", "2")
    assert code != 0 and "several workers need PostgreSQL" in output
