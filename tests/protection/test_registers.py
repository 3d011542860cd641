"""National exclusion registers: a hashed list imported from a file (and refreshed), a
generic HTTP look-up against a local server that speaks the protocol (hit, miss, timeout ->
fail closed at registration and login), hits excluding the person so marketing stops, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from croupier.api import create_app
from croupier.compliance import Proposal, decide
from croupier.players import micros
from croupier.protection.exclusions_hook import screener_for, tick
from croupier.protection.persons import Identity, hash_email, hash_national_id
from croupier.protection.registers import FileRegister, HttpRegister, RegisterUnavailable, parse_entries
from croupier.store.accounts import create_key
from croupier.store.schema import exclusions, player_identities, register_batches, register_entries

from . import UTC, make_runtime, now, registration, send


class LookupServer:
    """A stand-in national register speaking the HTTP look-up protocol."""

    def __init__(self, listed: dict[str, str | None], delay: float = 0.0):
        self.listed, self.delay, self.asked = listed, delay, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.asked.append(body)
                time.sleep(server.delay)
                h = body.get("identifier_hash")
                answer = {"excluded": h in server.listed, "until": server.listed.get(h)}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/lookup"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def lookup_server():  # noqa: ANN201
    server = LookupServer({hash_email("listed@example.ca"): "2031-01-01T00:00:00+00:00"})
    yield server
    server.close()


def client_for(runtime):  # noqa: ANN001, ANN201
    app = create_app(runtime=runtime, background=False, web=False)
    with runtime.db.engine.begin() as conn:
        token, _ = create_key(conn, "tests", ["ingest", "read", "admin"])
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def test_list_files_are_hashed_identifiers_or_plain_ones_hashed_on_import():
    digest = hash_national_id("19900517-1234")
    assert parse_entries(f"# Spelpaus export\n{digest}\n\n{digest.upper()}\n")[0].identifier_hash == digest
    csv = parse_entries(f"identifier_hash,kind,until\n{digest},national_id,2030-01-01T00:00:00+00:00\n")
    assert csv[0].kind == "national_id" and csv[0].until_us is not None
    assert parse_entries("199005171234\n", plain="national_id")[0].identifier_hash == digest
    with pytest.raises(ValueError, match="not a SHA-256 hex digest"):
        parse_entries("199005171234\n")


def test_a_file_register_is_imported_refreshed_and_excludes_listed_players(db_url, tmp_path):
    listed = tmp_path / "spelpaus.txt"
    listed.write_text(hash_national_id("19900517-1234") + "\n")
    clock = [time.time()]
    runtime = make_runtime(db_url)
    register = FileRegister("SPELPAUS", runtime.db, listed, refresh_hours=24, clock=lambda: clock[0])
    runtime.engine.protection_policy.registers["SPELPAUS"] = register
    try:
        with pytest.raises(RegisterUnavailable, match="no list"):
            register.check(Identity(national_id_hash=hash_national_id("199005171234")))
        tick(runtime.engine, force=True)                        # due: never imported
        send(runtime, registration("s1", "aurora", "SE", national_id_hash=hash_national_id("199005171234")),
             registration("s2", "aurora", "SE", email="someone@example.se"))
        with runtime.db.engine.connect() as conn:
            rows = conn.execute(select(exclusions)).all()
        assert [(r.player_id, r.kind, r.scope, r.source) for r in rows] == [("s1", "register", "national", "SPELPAUS")]
        client = client_for(runtime)
        login = client.post("/v1/players/s1/access-check", json={"action": "login"}).json()
        assert login["allowed"] is False and "register:SPELPAUS" in login["reasons"]
        assert client.post("/v1/players/s2/access-check", json={"action": "login"}).json()["allowed"] is True
        state = runtime.engine.state_of("s1")
        at = micros(now())
        promo = decide(Proposal(kind="message", name="promo", player_id="s1", cause_event_id="c1", channel="email"),
                       state, runtime.config, at, at)
        assert not promo.allowed and "excluded:register:national" in promo.reasons

        # the list changes: s2 is listed, s1 is not; a refresh before it is due changes nothing
        listed.write_text(hash_email("someone@example.se") + "\n")
        assert tick(runtime.engine, force=True).refreshed == []
        clock[0] += 25 * 3600
        assert tick(runtime.engine, force=True).refreshed == ["SPELPAUS"]
        with runtime.db.engine.connect() as conn:
            rows = {r.player_id: r.status for r in conn.execute(select(exclusions)).all()}
            batches = conn.execute(select(register_batches)).all()
            entries = conn.execute(select(register_entries)).all()
        assert rows == {"s1": "ended", "s2": "active"}
        newest = max(batches, key=lambda b: b.imported_at_us)
        assert len(batches) == 2 and [(e.identifier_hash, e.batch_id) for e in entries] == \
            [(hash_email("someone@example.se"), newest.batch_id)]
        assert runtime.engine.state_of("s1").protection.exclusions == []
        assert client.post("/v1/players/s1/access-check", json={"action": "login"}).json()["allowed"] is True
        # an unchanged file only records that it was checked
        clock[0] += 25 * 3600
        assert tick(runtime.engine, force=True).refreshed == []
    finally:
        runtime.close()


def test_an_http_register_hit_refuses_registration_and_excludes(db_url, lookup_server):
    runtime = make_runtime(db_url, {"IGO_CSE": HttpRegister("IGO_CSE", lookup_server.url, 2.0)})
    try:
        client = client_for(runtime)
        hit = client.post("/v1/players/new1/access-check", json={
            "action": "registration", "brand": "aurora", "jurisdiction": "CA-ON",
            "identity": {"email": " Listed@Example.ca"}}).json()
        assert hit["allowed"] is False and hit["reasons"] == ["register:IGO_CSE"]
        assert lookup_server.asked[-1] == {"identifier_hash": hash_email("listed@example.ca"), "kind": "email"}
        miss = client.post("/v1/players/new2/access-check", json={
            "action": "registration", "brand": "aurora", "jurisdiction": "CA-ON",
            "identity": {"email": "clear@example.ca"}}).json()
        assert miss["allowed"] is True
        # registered anyway by the PAM: the engine screens it (off its own thread), excludes,
        # and the gate suppresses
        send(runtime, registration("on1", "aurora", "CA-ON", email="listed@example.ca"))
        assert screener_for(runtime.engine).wait(10)
        with runtime.db.engine.connect() as conn:
            row = conn.execute(select(exclusions)).one()
        assert (row.kind, row.source, row.until_us) == ("register", "IGO_CSE", micros(datetime(2031, 1, 1, tzinfo=UTC)))
        login = client.post("/v1/players/on1/access-check", json={"action": "login"}).json()
        assert login["allowed"] is False and "register:IGO_CSE" in login["reasons"]
        checked = client.post("/v1/registers/IGO_CSE/check", json={"email": "listed@example.ca"}).json()
        assert checked == {"register": "IGO_CSE", "listed": True, "matched_on": "email",
                           "until": "2031-01-01T00:00:00+00:00"}
    finally:
        runtime.close()


def test_a_slow_http_register_does_not_hold_up_the_engine(db_url, lookup_server):
    """The look-up runs beside the engine: the batch is processed at once, the account waits
    as `pending`, and the answer is recorded (and folded) when it comes."""
    lookup_server.delay = 1.0
    runtime = make_runtime(db_url, {"IGO_CSE": HttpRegister("IGO_CSE", lookup_server.url, 2.0)})
    try:
        send(runtime, registration("on3", "aurora", "CA-ON", email="listed@example.ca"),
             registration("on4", "aurora", "CA-ON", email="clear@example.ca"))
        with runtime.db.reader.connect() as conn:   # processed while the two 1-s look-ups still run
            statuses = dict(conn.execute(select(player_identities.c.player_id, player_identities.c.register_status)).all())
        assert statuses == {"on3": "pending", "on4": "pending"}
        assert screener_for(runtime.engine).wait(10)
        with runtime.db.reader.connect() as conn:
            statuses = dict(conn.execute(select(player_identities.c.player_id, player_identities.c.register_status)).all())
            excluded = conn.execute(select(exclusions.c.player_id, exclusions.c.source)).all()
        assert statuses == {"on3": "hit", "on4": "clear"}
        assert [tuple(r) for r in excluded] == [("on3", "IGO_CSE")]
        assert runtime.engine.states["on3"].protection.exclusions   # the engine folded the hit
    finally:
        runtime.close()


def test_a_register_that_does_not_answer_fails_closed_at_registration_and_login(db_url, lookup_server):
    lookup_server.delay = 5.0   # the register answers "clear", but long after the 0.2-s time-out
    runtime = make_runtime(db_url, {"IGO_CSE": HttpRegister("IGO_CSE", lookup_server.url, 0.2)})
    try:
        client = client_for(runtime)
        verdict = client.post("/v1/players/new1/access-check", json={
            "action": "registration", "brand": "aurora", "jurisdiction": "CA-ON",
            "identity": {"email": "clear@example.ca"}}).json()
        assert verdict["allowed"] is False and verdict["reasons"] == ["register_unavailable:IGO_CSE"]
        assert "fail closed" in verdict["notes"][0]
        send(runtime, registration("on2", "aurora", "CA-ON", email="clear@example.ca"))
        assert screener_for(runtime.engine).wait(10)
        assert client.post("/v1/players/on2/access-check", json={"action": "login"}).json()["reasons"] == \
            ["register_unavailable:IGO_CSE"]
        # deposits and bets rely on recorded hits; the register answering again clears the login
        assert client.post("/v1/players/on2/access-check", json={"action": "deposit"}).json()["allowed"] is True
        lookup_server.delay = 0.0
        assert client.post("/v1/players/on2/access-check", json={"action": "login"}).json()["allowed"] is True
        unavailable = client.post("/v1/registers/IGO_CSE/check", json={"email": "x@example.ca"})
        assert unavailable.status_code == 200
        lookup_server.delay = 1.0
        assert client.post("/v1/registers/IGO_CSE/check", json={"email": "x@example.ca"}).status_code == 503
    finally:
        runtime.close()


def test_a_refused_http_answer_is_unavailable_not_a_miss():
    with pytest.raises(RegisterUnavailable, match="ConnectError|refused|HTTP"):
        HttpRegister("GAMSTOP", "http://127.0.0.1:9/lookup", 0.5).check(Identity(email_hash=hash_email("a@b.c")))


def _croupier(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from croupier.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})


def test_cli_import_and_check(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    plain = tmp_path / "nj.txt"
    plain.write_text("19900517-1234\n19800101-9999\n")
    imported = _croupier("registers", "import", "--register", "NJ_DGE", "--plain", "national_id", str(plain), "--db", url)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "imported 2 entries into NJ_DGE" in imported.stdout
    listed = _croupier("registers", "check", "--register", "NJ_DGE", "--national-id", "199005171234", "--db", url)
    assert listed.returncode == 1 and "listed in NJ_DGE (matched on national_id" in listed.stdout
    clear = _croupier("registers", "check", "--register", "NJ_DGE", "--email", "x@example.com", "--db", url)
    assert clear.returncode == 0 and "not listed" in clear.stdout
    bad = tmp_path / "bad.txt"
    bad.write_text("not-a-hash\n")
    refused = _croupier("registers", "import", "--register", "NJ_DGE", str(bad), "--db", url)
    assert refused.returncode == 2 and "not a SHA-256 hex digest" in refused.stdout
    unknown = _croupier("registers", "check", "--register", "NOPE", "--email", "x@example.com", "--db", url)
    assert unknown.returncode == 2


def test_an_expired_list_entry_no_longer_counts(db_url):
    runtime = make_runtime(db_url)
    try:
        past = (now() - timedelta(days=1)).isoformat()
        h = hash_email("gone@example.com")
        from croupier.protection.registers import import_entries
        with runtime.db.engine.begin() as conn:
            import_entries(conn, "ROFUS", parse_entries(f"identifier_hash,until\n{h},{past}\n"), "test",
                           micros(now()))
        assert FileRegister("ROFUS", runtime.db).check(Identity(email_hash=h)) is None
    finally:
        runtime.close()
