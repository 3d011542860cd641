"""`croupier bench wallet`: deposits and bets over HTTP against the real app (uvicorn in a
separate process, embedded SQLite), every limit check on, at a target request rate.

The load generator is a small open-loop asyncio HTTP/1.1 client on keep-alive connections:
request i is due at start + i/rate, and its latency is measured from when it was due, so a
server that falls behind is charged for the queueing it causes (no coordinated omission)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from croupier.bench.ingest import machine

__all__ = ["WalletBench", "bench_wallet", "machine"]


@dataclass
class Phase:
    name: str
    requests: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    server_cpu_seconds: float | None = None   # the server process's CPU time over the phase

    @property
    def cpu_ms_per_request(self) -> float | None:
        """Server CPU per request: a figure the machine's other load barely moves."""
        if self.server_cpu_seconds is None or not self.requests:
            return None
        return self.server_cpu_seconds * 1000 / self.requests

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else 0.0


@dataclass
class WalletBench:
    target_rate: int
    connections: int
    players: int
    wallet: Phase
    ceiling: Phase
    limits_per_player: int
    database: str
    load_average: float = 0.0
    workers: int = 1


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU of process `pid`, its threads and its child processes (the workers
    of `serve --workers`), from Linux /proc; None elsewhere."""
    def own(p: int) -> float:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    try:
        total = own(pid)
    except OSError:
        return None
    for child in Path("/proc").glob("[0-9]*"):
        try:
            if Path(child, "stat").read_text().rsplit(")", 1)[1].split()[1] == str(pid):
                total += own(int(child.name))
        except OSError:
            continue
    return total


def _measured(pid: int, run: Callable[[], None], phase: Phase) -> None:
    before = _cpu_seconds(pid)
    run()
    after = _cpu_seconds(pid)
    if before is not None and after is not None:
        phase.server_cpu_seconds = after - before


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The benchmarked brand keeps its money in Croupier's ledger (docs/integration.md#money-of-record).
LEDGER_CONFIG = b'{"money_of_record": {"aurora": "ledger"}}'


def prepare(url: str, players: int) -> tuple[str, int]:
    """Register players (Europe/Stockholm, SE), give each five limits and a first deposit."""
    from croupier import ledger
    from croupier.ledger.post import post
    from croupier.api.runtime import Runtime
    from croupier.compliance.rules import rules_for
    from croupier.players import load_config
    from croupier.protection.limits import LimitRequest, set_limit
    from croupier.store.accounts import create_key

    runtime = Runtime(url, load_config(LEDGER_CONFIG))
    with runtime.db.engine.begin() as conn:
        token, _ = create_key(conn, "bench", ["ingest", "read"])
    now = datetime.now(timezone.utc)
    events = [{"event_id": f"reg-{i}", "type": "player.registered", "player_id": f"bp{i}", "brand": "aurora",
               "occurred_at": now.isoformat(), "jurisdiction": "SE", "country": "SE", "currency": "SEK",
               "timezone": "Europe/Stockholm"} for i in range(players)]
    runtime.ingest(json.dumps(events).encode())
    limits = [("deposit", "day", "1000000.00", None), ("deposit", "month", "9000000.00", None),
              ("loss", "week", "1000000.00", None), ("wager", "day", "1000000.00", None),
              ("session_time", "day", None, 1440)]
    rules = rules_for("SE")
    for i in range(players):
        pid = f"bp{i}"
        with runtime.db.engine.begin() as conn:
            for kind, period, amount, minutes in limits:
                set_limit(conn, pid, "aurora", LimitRequest(kind, period, amount, "SEK" if amount else None, minutes),
                          now=now, rules=rules, timezone_name="Europe/Stockholm")
            post(conn, ledger.TransferRequest(transfer_id=f"seed-{pid}", player_id=pid, kind="deposit",
                                              currency="SEK", amount=1_000_000),
                 now=now, context=ledger.PlayerContext(brand="aurora", timezone="Europe/Stockholm",
                                                       jurisdiction="SE"))
    runtime.engine.process_pending()
    runtime.close()
    return token, len(limits)


def _request(method: str, path: str, token: str | None, body: dict | None) -> bytes:
    payload = json.dumps(body).encode() if body is not None else b""
    head = [f"{method} {path} HTTP/1.1", "Host: bench", "Connection: keep-alive"]
    if token:
        head.append(f"Authorization: Bearer {token}")
    if body is not None:
        head += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + payload


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def _drive(port: int, make: Callable[[int], bytes], rate: int, seconds: float, connections: int,
                 phase: Phase) -> None:
    total = int(rate * seconds)
    queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05

    async def schedule() -> None:
        for i in range(total):
            due = start + i / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait((i, due))
        for _ in range(connections):
            queue.put_nowait(None)

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while (item := await queue.get()) is not None:
            i, due = item
            writer.write(make(i))
            status = await _read_response(reader)
            phase.latencies_ms.append((loop.time() - due) * 1000)
            phase.statuses[status] += 1
        writer.close()

    began = time.perf_counter()
    await asyncio.gather(schedule(), *(worker() for _ in range(connections)))
    phase.seconds = time.perf_counter() - began
    phase.requests = total


@contextmanager
def _scratch_database(server_url: str | None, workdir: Path) -> Iterator[str]:
    """A fresh database for one run: a SQLite file in `workdir`, or a new database on the
    PostgreSQL server of `server_url` (created here, dropped afterwards)."""
    if server_url is None or server_url.startswith("sqlite"):
        yield f"sqlite:///{workdir / 'wallet.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from croupier.store import database_url

    base = make_url(database_url(server_url))
    name = f"croupier_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_wallet(rate: int = 1_000, seconds: float = 10.0, players: int = 1_000, connections: int = 32,
                 warmup: float = 2.0, workdir: str | None = None, database: str | None = None,
                 workers: int = 1) -> WalletBench:
    tmp = Path(workdir or tempfile.mkdtemp(prefix="croupier-bench-wallet-"))
    with _scratch_database(database, tmp) as url:
        config = tmp / "wallet-config.json"
        config.write_bytes(LEDGER_CONFIG)
        return _run(url, rate, seconds, players, connections, warmup, workers, config)


def _run(url: str, rate: int, seconds: float, players: int, connections: int, warmup: float,
         workers: int, config: Path) -> WalletBench:
    token, n_limits = prepare(url, players)
    load = os.getloadavg()[0]
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-c", "from croupier.cli import main; main()", "serve",
                               "--db", url, "--port", str(port), "--workers", str(workers),
                               "--config", str(config)],
                              env={**os.environ}, stdout=subprocess.DEVNULL)
    try:
        _wait_up(port)
        counter = {"n": 0}

        def money(i: int) -> bytes:
            counter["n"] += 1
            n = counter["n"]
            pid = f"bp{n % players}"
            if n % 4 == 0:
                return _request("POST", f"/v1/wallet/{pid}/deposits", token,
                                {"transaction_id": f"d-{n}", "amount": "10.00", "currency": "SEK"})
            return _request("POST", f"/v1/wallet/{pid}/bets", token,
                            {"transaction_id": f"b-{n}", "amount": "1.00", "currency": "SEK",
                             "session_id": f"s-{pid}", "game_category": "slots"})

        health = _request("GET", "/v1/health", None, None)
        asyncio.run(_drive(port, money, rate, warmup, connections, Phase("warmup")))
        wallet = Phase("wallet")
        _measured(server.pid, lambda: asyncio.run(_drive(port, money, rate, seconds, connections, wallet)), wallet)
        time.sleep(1.0)   # let the engine finish the wallet's events: the ceiling is the server alone
        ceiling = Phase("health")
        _measured(server.pid, lambda: asyncio.run(
            _drive(port, lambda i: health, rate, min(seconds, 5.0), connections, ceiling)), ceiling)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return WalletBench(rate, connections, players, wallet, ceiling, n_limits, url.split("@")[-1], load, workers)


def _wait_up(port: int, timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer on port {port} within {timeout:.0f} s")
