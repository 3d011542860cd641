"""Stopping and restarting `croupier serve` as real processes: SIGTERM drains (requests in
flight are answered, requests arriving meanwhile get 503 with Retry-After, none is dropped),
the engine hands its lease over, a restart takes writes at once, and on PostgreSQL SIGHUP
replaces the workers one at a time while a continuous load is answered throughout."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from conftest import EventFactory, _empty_all_tables
from croupier.store.lease import LEASE_SECONDS

PLAYERS = [f"drain-{i}" for i in range(6)]
DROPPED = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.TimeoutException)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _token(url: str) -> str:
    from croupier.store import open_database
    from croupier.store.accounts import create_key

    db = open_database(url)
    with db.engine.begin() as conn:
        token, _ = create_key(conn, "shutdown-tests", ["ingest", "read"])
    db.dispose()
    return token


class Server:
    """`croupier serve` in a process of its own, on a free port."""

    def __init__(self, url: str, tmp_path: Path, *args: str, port: int | None = None):
        self.port = port or _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / f"serve-{self.port}-{time.monotonic_ns()}.log"
        config = tmp_path / "ledger.json"     # the deposits go through Croupier's wallet
        config.write_text('{"money_of_record": {"default": "ledger"}}')
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from croupier.cli import main; main()", "serve", "--port", str(self.port),
             "--config", str(config), *args],
            stdout=self.log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "CROUPIER_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"})

    def wait_ready(self, timeout: float = 60) -> float:
        """Wait until it answers; returns the moment it first did."""
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                httpx.get(self.base + "/v1/health", timeout=timeout)
                return time.monotonic()
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def stop(self, timeout: float = 30) -> float:
        """SIGTERM; returns how long it took to exit."""
        start = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"still running {timeout} s after SIGTERM:\n{self.log.read_text()}") from None
        return time.monotonic() - start

    def kill(self) -> None:
        """After a failure: the process and any workers it started."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


def _register(base: str, headers: dict[str, str]) -> None:
    events = [EventFactory(player_id=p).registered(jurisdiction="MT", country="MT", currency="EUR", timezone="Europe/Malta")
              for p in PLAYERS]
    answer = httpx.post(base + "/v1/events", content=json.dumps(events), headers=headers, timeout=30)
    assert answer.status_code == 200 and answer.json()["accepted"] == len(PLAYERS), answer.text


def _deposit(tx: str) -> dict[str, str]:
    return {"transaction_id": tx, "amount": "1.00", "currency": "EUR"}


@dataclass
class Outcomes:
    answered: list[tuple[str, httpx.Response]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)      # the connection was refused: nothing was sent
    dropped: list[tuple[str, str]] = field(default_factory=list)   # sent, and never answered
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, tx: str, outcome: httpx.Response | Exception) -> None:
        with self.lock:
            if isinstance(outcome, httpx.Response):
                self.answered.append((tx, outcome))
            elif isinstance(outcome, httpx.ConnectError):
                self.refused.append(tx)
            else:
                self.dropped.append((tx, repr(outcome)))

    def status(self, code: int) -> list[str]:
        return [tx for tx, r in self.answered if r.status_code == code]


def _post(client: httpx.Client, player: str, tx: str) -> httpx.Response | Exception:
    try:
        return client.post(f"/v1/wallet/{player}/deposits", json=_deposit(tx))
    except httpx.TransportError as exc:
        return exc


def _assert_stopping(answer: httpx.Response | Exception) -> None:
    assert isinstance(answer, httpx.Response) and answer.status_code == 503, answer
    assert answer.headers["retry-after"] == "1" and answer.headers["connection"] == "close"
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["detail"]["error"] == "stopping"


def _stored(url: str, txs: list[str]) -> set[str]:
    from croupier.store.schema import ledger_transfers

    with sa.create_engine(url).connect() as conn:
        return set(conn.scalars(sa.select(ledger_transfers.c.transfer_id)
                                .where(ledger_transfers.c.transfer_id.in_(txs))))


def _engine_row(url: str) -> tuple[int, str | None, int]:
    """(cursor, lease owner, last seq in the log)."""
    with sa.create_engine(url).connect() as conn:
        seq, owner = conn.execute(sa.text("SELECT seq, owner FROM engine_cursor WHERE name = 'main'")).one()
        last = conn.execute(sa.text("SELECT max(seq) FROM events")).scalar()
    return seq, owner, last


def test_sigterm_answers_every_request_and_a_restart_takes_writes_at_once(db_url: str, tmp_path: Path) -> None:
    """At SIGTERM: busy keep-alive clients, a request whose body is still arriving, an idle
    keep-alive connection and a request that never finishes arriving. Each complete request
    is answered (200, or 503 with Retry-After once the server drains) or its connection is
    refused before anything was sent; none is dropped. The unfinished one is cancelled at
    --graceful-timeout, so the process exits in bounded time. Every 200 is stored, no 503
    is; the engine saves its cursor and releases its lease, so the next process's engine
    holds it from its first answer: a write right then is stored and processed."""
    headers = {"Authorization": f"Bearer {_token(db_url)}"}
    server = Server(db_url, tmp_path, "--graceful-timeout", "2")
    outcomes = Outcomes()
    stop, sigterm_sent, draining, first_part_sent = (threading.Event() for _ in range(4))

    def busy(player: str) -> None:
        with httpx.Client(base_url=server.base, headers=headers, timeout=30) as client:
            while not stop.is_set():
                tx = uuid.uuid4().hex
                answer = _post(client, player, tx)
                outcomes.add(tx, answer)
                if not isinstance(answer, httpx.Response) or answer.status_code != 200:
                    return

    def slow_upload() -> None:   # its headers arrive before SIGTERM, the rest of its body after
        raw = json.dumps(_deposit("in-flight")).encode()

        def body():  # noqa: ANN202
            yield raw[:10]
            first_part_sent.set()
            sigterm_sent.wait(30)
            time.sleep(0.3)
            yield raw[10:]
        with httpx.Client(base_url=server.base, headers=headers, timeout=30) as client:
            try:
                answer = client.post(f"/v1/wallet/{PLAYERS[-1]}/deposits", content=body(),
                                     headers={"content-type": "application/json"})
            except httpx.TransportError as exc:
                answer = exc
        outcomes.add("in-flight", answer)

    late: list[httpx.Response | Exception] = []

    def idle_then_late() -> None:   # idle on its keep-alive connection at SIGTERM, sends while draining
        with httpx.Client(base_url=server.base, headers=headers, timeout=30) as client:
            late.append(_post(client, PLAYERS[-2], uuid.uuid4().hex))
            draining.wait(30)
            tx = uuid.uuid4().hex
            late.append(_post(client, PLAYERS[-2], tx))
            outcomes.add(tx, late[-1])

    try:
        server.wait_ready()
        _register(server.base, headers)
        threads = [threading.Thread(target=busy, args=(p,)) for p in PLAYERS[:4]]
        threads += [threading.Thread(target=slow_upload), threading.Thread(target=idle_then_late)]
        for t in threads:
            t.start()
        stuck = socket.create_connection(("127.0.0.1", server.port))
        stuck.sendall(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 1000\r\n\r\n[{")
        assert first_part_sent.wait(30)
        time.sleep(0.5)
        assert len(outcomes.status(200)) > 10 and len(late) == 1
        server.proc.send_signal(signal.SIGTERM)
        sigterm_sent.set()
        while server.listening():   # it stops accepting connections first
            time.sleep(0.02)
        draining.set()
        took = server.stop()
        stuck.close()
        stop.set()
        for t in threads:
            t.join(timeout=30)
    finally:
        stop.set()
        sigterm_sent.set()
        draining.set()
        server.kill()
    assert outcomes.dropped == []
    in_flight = dict(outcomes.answered)["in-flight"]
    assert in_flight.status_code == 200 and in_flight.headers["connection"] == "close"
    assert isinstance(late[0], httpx.Response) and late[0].status_code == 200
    _assert_stopping(late[1])
    assert all(r.status_code in (200, 503) for _, r in outcomes.answered)
    for tx, answer in outcomes.answered:
        if answer.status_code == 503:
            _assert_stopping(answer)
    assert took < 8, f"{took:.1f} s to stop with --graceful-timeout 2"
    ok, refused_503 = outcomes.status(200), outcomes.status(503)
    assert _stored(db_url, ok) == set(ok) and _stored(db_url, refused_503 + outcomes.refused) == set()
    cursor, owner, last = _engine_row(db_url)
    assert owner is None and cursor == last

    restarted = Server(db_url, tmp_path, port=server.port)
    try:
        ready = restarted.wait_ready()
        answer = httpx.post(f"{restarted.base}/v1/wallet/{PLAYERS[0]}/deposits", json=_deposit("after"),
                            headers=headers, timeout=30)
        event = EventFactory(player_id=PLAYERS[1])("player.login")
        ingested = httpx.post(restarted.base + "/v1/events", content=json.dumps([event]), headers=headers, timeout=30)
        cursor = httpx.get(restarted.base + "/v1/health", timeout=30).json()["engine_cursor"]
        took = time.monotonic() - ready
        restarted.stop()
    finally:
        restarted.kill()
    assert answer.status_code == 200, answer.text
    assert ingested.status_code == 200 and ingested.json()["processed"] is True
    _, owner, last = _engine_row(db_url)
    assert cursor == last, "the restarted engine processed the write at once"
    # Had the old lease not been given up, the new engine would wait for it to lapse (15 s):
    # well under that is "at once", however busy the machine is.
    assert took < LEASE_SECONDS / 3, f"{took:.2f} s from its first answer to a processed write"


def _workers(supervisor: int) -> set[int]:
    """The supervisor's worker processes (multiprocessing spawns them as its children)."""
    try:
        children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    except FileNotFoundError:
        return set()
    found = set()
    for pid in children:
        try:
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.add(int(pid))
        except FileNotFoundError:
            continue
    return found


@pytest.mark.postgres
def test_sighup_restarts_workers_one_at_a_time_and_every_request_is_answered(postgres_url: str,
                                                                              tmp_path: Path) -> None:
    """Two workers on PostgreSQL under a continuous load on keep-alive connections: SIGHUP
    replaces both, one at a time. No connection is refused and no request dropped; a 503
    (a request that reached a draining worker) is retried after Retry-After and succeeds."""
    _empty_all_tables(postgres_url)
    headers = {"Authorization": f"Bearer {_token(postgres_url)}"}
    server = Server(postgres_url, tmp_path, "--workers", "2")
    outcomes = Outcomes()
    settled: list[str] = []
    stop = threading.Event()

    def load(player: str) -> None:
        with httpx.Client(base_url=server.base, headers=headers, timeout=30) as client:
            while not stop.is_set():
                tx = uuid.uuid4().hex
                while True:   # a 503 is retried (same transaction id), after Retry-After
                    answer = _post(client, player, tx)
                    outcomes.add(tx, answer)
                    if not isinstance(answer, httpx.Response):
                        return
                    if answer.status_code != 503:
                        break
                    time.sleep(int(answer.headers["retry-after"]))
                settled.append(tx)

    try:
        server.wait_ready()
        deadline = time.monotonic() + 60
        while len(old := _workers(server.proc.pid)) < 2:
            assert time.monotonic() < deadline, server.log.read_text()
            time.sleep(0.1)
        server.wait_ready()
        _register(server.base, headers)
        threads = [threading.Thread(target=load, args=(p,)) for p in PLAYERS[:4]]
        for t in threads:
            t.start()
        time.sleep(0.5)
        server.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 90
        while (now := _workers(server.proc.pid)) & old or len(now) < 2:
            assert time.monotonic() < deadline, f"workers not replaced: {old} -> {now}\n{server.log.read_text()}"
            time.sleep(0.1)
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        deadline = time.monotonic() + 10   # the lease holder processes what every worker stored
        while (row := _engine_row(postgres_url))[0] != row[2] and time.monotonic() < deadline:
            time.sleep(0.1)
        cursor, owner, last = row
        server.stop()
    finally:
        stop.set()
        server.kill()
    assert outcomes.refused == [] and outcomes.dropped == []
    assert {r.status_code for _, r in outcomes.answered} <= {200, 503}
    for _, answer in outcomes.answered:
        if answer.status_code == 503:
            _assert_stopping(answer)
    assert len(settled) > 20
    assert _stored(postgres_url, settled) == set(settled)
    assert int(owner.split(":")[1]) in now and cursor == last


def test_a_closed_engine_never_takes_the_lease_again(db_url: str, make_event) -> None:  # noqa: ANN001
    """A request the graceful timeout gave up on may still reach the engine from its worker
    thread after the shutdown closed it; the engine must not take the lease back then, or
    the next process would wait for it to expire."""
    from croupier.api import Runtime

    runtime = Runtime(db_url)
    runtime.ingest(json.dumps([make_event.registered()]).encode())
    assert runtime.engine.lease_holder() == runtime.engine.owner
    runtime.engine.close()
    late = runtime.ingest(json.dumps([make_event("player.login")]).encode())
    assert late.accepted == 1 and runtime.engine.lease_holder() is None
    runtime.close()


@pytest.mark.postgres
def test_workers_start_on_a_database_never_migrated(tmp_path: Path) -> None:
    """`serve --workers 2` on an empty database: the supervisor migrates once before the
    workers start (two workers migrating at the same moment collided: one died on
    `duplicate key … alembic_version`), and both then serve. docs/deployment.md relies on it."""
    from conftest import PG_ADMIN_URL, create_pg_database

    name = f"croupier_fresh_{uuid.uuid4().hex[:10]}"
    admin = create_pg_database(name)
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    port = _free_port()
    log = tmp_path / "serve.log"
    proc = subprocess.Popen(
        [sys.executable, "-c", "from croupier.cli import main; main()", "serve", "--port", str(port),
         "--workers", "2"], stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "CROUPIER_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        time.sleep(2)   # both workers have imported the app and opened the database by now
        assert "Traceback" not in log.read_text(), log.read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        with admin.connect() as conn:
            conn.execute(sa.text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
