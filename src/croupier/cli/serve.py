"""`croupier serve` and `croupier demo`."""

from __future__ import annotations

import secrets
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from croupier.cli.app import app
from croupier.cli.common import ConfigOption, DbOption, read_config

console = Console()


GRACEFUL_TIMEOUT_SECONDS = 10
GracefulTimeoutOption = Annotated[int, typer.Option(
    "--graceful-timeout", min=1, help="Seconds a stopping server waits for requests in flight (SIGTERM: new "
                                      "requests get 503 with Retry-After meanwhile) before cancelling them.")]


@app.command()
def serve(
    db: DbOption = None,
    port: Annotated[int, typer.Option("--port", help="HTTP port.")] = 8000,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    config: ConfigOption = None,
    workers: Annotated[int, typer.Option(
        "--workers", min=1, max=64, help="API processes (PostgreSQL only). One of them holds the engine "
                                         "lease; the others answer requests and append to the log. "
                                         "SIGHUP restarts them one at a time.")] = 1,
    trusted_proxy: Annotated[list[str] | None, typer.Option(
        "--trusted-proxy", help="Repeatable: an IP address or network (CIDR) of a reverse proxy whose "
                                "X-Forwarded-For / X-Forwarded-Proto are believed. Default: "
                                "$CROUPIER_TRUSTED_PROXIES (comma-separated), else none.")] = None,
    graceful_timeout: GracefulTimeoutOption = GRACEFUL_TIMEOUT_SECONDS,
) -> None:
    """Run the REST API (/v1, docs at /docs) and the back office (/): one process on the
    embedded SQLite file, or several on PostgreSQL. SIGTERM drains and stops it."""
    import os

    from croupier.cli import serving
    from croupier.web.security import TRUSTED_PROXIES_ENV, trusted_proxies

    try:
        proxies = trusted_proxies(trusted_proxy)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--trusted-proxy") from None
    os.environ[TRUSTED_PROXIES_ENV] = ",".join(proxies)   # for the workers too

    if workers > 1:
        from croupier.store import database_url

        url = database_url(db)
        if not url.startswith("postgresql"):
            raise typer.BadParameter("several workers need PostgreSQL: the embedded SQLite file has one "
                                     "writer, in one process", param_hint="--workers")
        read_config(config)   # a bad file fails here, not in every worker
        from croupier.store import open_database

        # Migrate once, here: N workers starting on an old schema would each run the same
        # migrations at the same moment, and all but one would fail.
        open_database(url).dispose()
        os.environ["CROUPIER_DATABASE_URL"] = url
        if config is not None:
            os.environ["CROUPIER_CONFIG"] = str(config.resolve())
        console.print(f"Croupier on http://{host}:{port}  ({workers} workers, database: {url.split('@')[-1]})")
        serving.serve_workers("croupier.api.app:app_from_environment", host, port, workers=workers,
                              graceful_timeout=graceful_timeout)
        return
    start_config = read_config(config)
    sock = serving.listen(host, port)   # connections wait in the queue while the app is built

    from croupier.api import create_app

    application = create_app(db, start_config, trusted_proxies=proxies)
    console.print(f"Croupier on http://{host}:{port}  (API docs: /docs, database: "
                  f"{application.state.runtime.db.url.split('@')[-1]})")
    serving.serve(application, sock, graceful_timeout=graceful_timeout)


def _ensure_admin(runtime, password: str | None) -> str | None:  # noqa: ANN001
    """Create the demo's admin user once; returns the password when it was created now."""
    from croupier.store.accounts import create_user, find_user

    with runtime.db.engine.begin() as conn:
        if find_user(conn, "admin") is not None:
            return None
        password = password or secrets.token_urlsafe(12)
        create_user(conn, "admin", password, "admin")
    return password


def _stream_simulation(runtime, players: int, days: int, seed: int, stop: threading.Event) -> None:  # noqa: ANN001
    """Backfill `days` of history, then keep the simulated operator playing in real time."""
    import msgspec

    from croupier.sim import SimConfig, Simulator

    start = (datetime.now(timezone.utc) - timedelta(days=days)).replace(second=0, microsecond=0)
    sim = Simulator(SimConfig(seed=seed, players=players, days=days, start=start))
    encode = msgspec.json.encode
    batch: list[dict] = []

    def flush() -> None:
        if batch:
            runtime.ingest(encode(batch))
            batch.clear()

    for event in sim.events_until(datetime.now(timezone.utc)):
        batch.append(event)
        if len(batch) >= 5_000:
            flush()
        if stop.is_set():
            return
    flush()
    console.print("[green]Backfill done; the simulated operator now plays in real time.[/]")
    while not stop.wait(1.0):
        batch.extend(sim.events_until(datetime.now(timezone.utc)))
        flush()


@app.command()
def demo(
    players: Annotated[int, typer.Option("--players", help="Simulated players.")] = 6000,
    days: Annotated[int, typer.Option("--days", help="Days of history to backfill before going live.")] = 4,
    seed: Annotated[int, typer.Option("--seed", help="Simulator seed.")] = 42,
    port: Annotated[int, typer.Option("--port", help="HTTP port.")] = 8000,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    db: Annotated[str, typer.Option("--db", help="Database URL for the demo.")] = "sqlite:///croupier-demo.db",
    keep: Annotated[bool, typer.Option("--keep", help="Keep an existing demo database instead of starting fresh.")] = False,
    admin_password: Annotated[str | None, typer.Option("--admin-password", envvar="CROUPIER_ADMIN_PASSWORD",
                                                       help="Password for the demo's admin user (default: generated and printed).")] = None,
) -> None:
    """The back office on the embedded SQLite database with a simulated operator streaming in."""
    from croupier.api import Runtime, create_app
    from croupier.cli import serving
    from croupier.sim.registers import configure_simulated_registers
    from croupier.store.accounts import create_key

    if db.startswith("sqlite:///") and not keep:
        path = Path(db.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    runtime = Runtime(db)
    password = _ensure_admin(runtime, admin_password)
    registers = configure_simulated_registers(runtime, actor="demo")
    with runtime.db.engine.begin() as conn:
        token, _ = create_key(conn, "demo", ["ingest", "read"])
    application = create_app(runtime=runtime)
    stop = threading.Event()
    feeder = threading.Thread(target=_stream_simulation, args=(runtime, players, days, seed, stop),
                              name="croupier-simulator", daemon=True)
    console.print(f"[bold]Croupier demo[/] on http://{host}:{port}")
    if password:
        console.print(f"  back office login: [bold]admin[/] / [bold]{password}[/]")
    else:
        console.print("  back office login: admin (existing user, password unchanged)")
    console.print(f"  API key (ingest, read): {token}")
    console.print(f"  API docs: http://{host}:{port}/docs   simulating {players} players, {days} days backfill")
    console.print(f"  national registers: {', '.join(registers)} answer from empty demo lists (nobody simulated "
                  "is listed), so marketing runs. A real deployment imports the real lists or opts a market "
                  "out: docs/exclusions-and-registers.md")
    feeder.start()
    try:
        serving.serve(application, serving.listen(host, port), graceful_timeout=GRACEFUL_TIMEOUT_SECONDS)
    finally:
        stop.set()
        feeder.join(timeout=5)

