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


TimeZoneOption = Annotated[str | None, typer.Option(
    "--time-zone", envvar="CROUPIER_TIME_ZONE", help="The back office's default time zone (an IANA name such as "
                                                     "Europe/Stockholm) for staff who chose none. Default: UTC.")]
LocaleOption = Annotated[str | None, typer.Option(
    "--locale", envvar="CROUPIER_LOCALE", help="The back office's default locale for figures and dates (en, en_GB, "
                                               "sv, de, …) for staff who chose none. Default: en.")]


def _display_defaults(time_zone: str | None, locale: str | None) -> None:
    """Check the operator's display defaults before serving and hand them to the app (and to
    every worker process) through the environment."""
    import os

    from croupier.web import LOCALE_ENV, TIME_ZONE_ENV, operator_display

    try:
        reader = operator_display(time_zone, locale)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--time-zone / --locale") from None
    os.environ[TIME_ZONE_ENV], os.environ[LOCALE_ENV] = reader.zone_name, reader.locale_name


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
    time_zone: TimeZoneOption = None,
    locale: LocaleOption = None,
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
    _display_defaults(time_zone, locale)

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


BACKFILL_STEP = timedelta(hours=1)   # how often the backfill reports progress (simulated time)
BATCH = 5_000


def print_startup(out: Console, *, host: str, port: int, password: str | None, token: str, players: int,
                  days: int, registers: list[str]) -> None:
    """The demo's startup text as a two-column grid: long values wrap inside their column
    (indented under the value, never under the label), so it reads in an 80-column terminal,
    and URLs and the key stay on one line each for copying."""
    from rich.padding import Padding
    from rich.table import Table

    base = f"http://{host}:{port}"
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("Back office", base + "/")
    grid.add_row("Log in as", f"admin / {password}" if password else "admin (existing user, password unchanged)")
    grid.add_row("API docs", base + "/docs")
    grid.add_row("API key", f"{token}\n(scopes: ingest, read)")
    grid.add_row("Simulation", f"{players:,} players; {days} day{' of history is' if days == 1 else 's of history are'} "
                               "backfilled first (progress below and on the dashboard), then play goes on "
                               "in real time.")
    grid.add_row("National registers", f"{', '.join(registers)} answer from empty demo lists (nobody simulated "
                                       "is listed), so marketing runs. A real deployment imports the real "
                                       "lists or opts a market out: see /help/exclusions-and-registers in the back office")
    out.print(f"[bold]Croupier demo[/] on {base}")
    # one column short of the terminal: a line of exactly its width makes some terminals
    # wrap an empty line after it
    out.print(Padding(grid, (0, 0, 0, 2)), width=max(out.width - 1, 40))


def backfill(runtime, sim, start: datetime, until: datetime, stop: threading.Event,  # noqa: ANN001
             out: Console) -> int:
    """Replay the simulated history from `start` to `until` into `runtime`, one simulated hour
    at a time, showing progress in the terminal (rich) and on the dashboard
    (`runtime.backfill`, cleared when done or stopped). Returns the events ingested."""
    import msgspec
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    encode = msgspec.json.encode
    batch: list[dict] = []
    count = 0

    def flush() -> None:
        if batch:
            runtime.ingest(encode(batch))
            batch.clear()

    runtime.backfill.start(start, until)
    total_days = runtime.backfill.progress.days
    columns = (TextColumn("Backfill"), BarColumn(bar_width=24), TaskProgressColumn(),
               TextColumn("day {task.fields[day]}/{task.fields[days]}"),
               TextColumn("{task.fields[events]:,} events"), TimeElapsedColumn())
    try:
        with Progress(*columns, console=out, transient=False) as progress:
            task = progress.add_task("backfill", total=(until - start).total_seconds(), day=1,
                                     days=total_days, events=0)
            at = start
            while at < until:
                at = min(at + BACKFILL_STEP, until)
                for event in sim.events_until(at):
                    batch.append(event)
                    count += 1
                    if len(batch) >= BATCH:
                        flush()
                    if stop.is_set():
                        return count
                flush()
                runtime.backfill.advance(at, count)
                done = runtime.backfill.progress
                progress.update(task, completed=(at - start).total_seconds(),
                                day=done.day if done else total_days, events=count)
    finally:
        runtime.backfill.finish()
    return count


def _stream_simulation(runtime, players: int, days: int, seed: int, stop: threading.Event) -> None:  # noqa: ANN001
    """Backfill `days` of history, then keep the simulated operator playing in real time."""
    import msgspec

    from croupier.sim import SimConfig, Simulator

    start = (datetime.now(timezone.utc) - timedelta(days=days)).replace(second=0, microsecond=0)
    sim = Simulator(SimConfig(seed=seed, players=players, days=days, start=start))
    count = backfill(runtime, sim, start, datetime.now(timezone.utc), stop, console)
    if stop.is_set():
        return
    console.print(f"[green]Backfill done ({count:,} events); the simulated operator now plays in real time.[/]")
    encode = msgspec.json.encode
    while not stop.wait(1.0):
        batch = list(sim.events_until(datetime.now(timezone.utc)))
        if batch:
            runtime.ingest(encode(batch))


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
    time_zone: TimeZoneOption = None,
    locale: LocaleOption = None,
) -> None:
    """The back office on the embedded SQLite database with a simulated operator streaming in."""
    _display_defaults(time_zone, locale)
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
    print_startup(console, host=host, port=port, password=password, token=token, players=players, days=days,
                  registers=registers)
    feeder.start()
    try:
        serving.serve(application, serving.listen(host, port), graceful_timeout=GRACEFUL_TIMEOUT_SECONDS)
    finally:
        stop.set()
        feeder.join(timeout=5)

