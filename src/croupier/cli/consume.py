"""`croupier consume`: follow the NATS JetStream event stream into the log and the engine
until SIGINT/SIGTERM (or, with --exit-when-idle, until nothing is pending)."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import deque
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.text import Text

from croupier.cli.app import app
from croupier.cli.common import ConfigOption, DbOption, read_config


def parse_partitions(spec: str, total: int) -> tuple[int, ...]:
    """"0-3,8,10-11" -> (0, 1, 2, 3, 8, 10, 11), each within 0..total-1."""
    owned: set[int] = set()
    for part in filter(None, (p.strip() for p in spec.split(","))):
        first, sep, last = part.partition("-")
        try:
            lo, hi = int(first), int(last) if sep else int(first)
        except ValueError:
            raise typer.BadParameter(f"{part!r} is not a partition number or range like 0-3") from None
        if not 0 <= lo <= hi < total:
            raise typer.BadParameter(f"partitions {part!r} must lie in 0..{total - 1} (--partitions {total})")
        owned.update(range(lo, hi + 1))
    if not owned:
        raise typer.BadParameter("no partitions given")
    return tuple(sorted(owned))


class _Rate:
    """Events per second over the last few seconds (the lifetime average hides stalls)."""

    def __init__(self, window: float = 5.0):
        self.window, self.points = window, deque[tuple[float, int]]()

    def __call__(self, events: int) -> float:
        now = time.monotonic()
        self.points.append((now, events))
        while len(self.points) > 2 and now - self.points[0][0] > self.window:
            self.points.popleft()
        t0, e0 = self.points[0]
        return (events - e0) / (now - t0) if now > t0 else 0.0


@app.command()
def consume(
    nats_url: Annotated[str, typer.Option(
        "--nats", help="NATS server URL. Default: $CROUPIER_NATS_URL, else nats://127.0.0.1:4222.")] = "",
    stream: Annotated[str, typer.Option("--stream", help="JetStream stream (created if missing).")] = "CROUPIER_EVENTS",
    durable: Annotated[str, typer.Option(
        "--durable", help="Durable consumer name; its position survives restarts.")] = "croupier-engine",
    db: DbOption = None,
    config: ConfigOption = None,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Messages fetched and committed together.")] = 1_000,
    subjects: Annotated[str, typer.Option(
        "--subjects", help="Subject prefix: events arrive on <prefix>.<brand>.<partition>.")] = "croupier.events",
    partitions: Annotated[int, typer.Option(
        "--partitions", min=1, help="How many partitions producers hash player_id into.")] = 16,
    owned: Annotated[str | None, typer.Option(
        "--owned", help="The partitions this worker owns, e.g. 0-7 or 0,2,4 (one durable consumer "
                        "<durable>-p<n> each). Default: all subjects through one durable consumer.")] = None,
    dead_letter: Annotated[str, typer.Option(
        "--dead-letter", help="Subject rejected events are published to.")] = "croupier.rejected",
    ack_wait: Annotated[float, typer.Option(
        "--ack-wait", min=1.0, help="Seconds before an unacknowledged message is delivered again.")] = 30.0,
    exit_when_idle: Annotated[bool, typer.Option(
        "--exit-when-idle", help="Stop once nothing is pending (for batch jobs and tests).")] = False,
    process: Annotated[bool, typer.Option(
        "--process/--no-process", help="Run stored events through the engine (default), or only "
                                      "store them for another engine process.")] = True,
) -> None:
    """Consume events from NATS JetStream: store durably, process, then acknowledge.

    A crash before the acknowledgement means redelivery, which event_id dedupe makes harmless.
    Rejected events are acknowledged and published with their reason to --dead-letter.
    """
    import nats.errors

    from croupier.engine import Engine
    from croupier.ingest.stream import ConsumerError, ConsumerSettings, ConsumerTotals, StreamConsumer
    from croupier.store import open_database

    err = Console(stderr=True)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = ConsumerSettings(
        url=nats_url or os.environ.get("CROUPIER_NATS_URL") or "nats://127.0.0.1:4222",
        stream=stream, subject_prefix=subjects, durable=durable, partitions=partitions,
        owned=parse_partitions(owned, partitions) if owned else None, dead_letter=dead_letter,
        batch=batch, ack_wait=ack_wait)
    database = open_database(db)
    start_config = read_config(config)
    engine = Engine(database, start_config) if process else None
    rate = _Rate()
    scope = f"partitions {owned}" if owned else "all partitions"

    def line(t: ConsumerTotals) -> Text:
        return Text(f"{settings.stream} ({scope}) · {rate(t.events):,.0f} events/s · "
                    f"accepted {t.accepted:,} · duplicates {t.duplicates:,} · rejected {t.rejected:,}"
                    + (f" · redelivered {t.redelivered:,}" if t.redelivered else "")
                    + (f" · store retries {t.store_failures:,}" if t.store_failures else ""))

    last_logged = [time.monotonic()]

    def on_progress(t: ConsumerTotals) -> None:
        text = line(t)
        if err.is_terminal:
            live.update(text)
        elif time.monotonic() - last_logged[0] >= 10:  # under a supervisor: a line every 10 s
            last_logged[0] = time.monotonic()
            err.print(text)

    with Live(Text(f"connecting to {settings.url} …"), console=err, refresh_per_second=4,
              transient=True) as live:
        consumer = StreamConsumer(database, settings, engine=engine, on_progress=on_progress,
                                  config=start_config)
        try:
            totals = asyncio.run(consumer.run(until_idle=exit_when_idle, handle_signals=True))
        except ConsumerError as exc:
            live.update(Text(""))
            err.print(f"[red]error:[/] {escape(str(exc))}")
            raise typer.Exit(1) from None
        except (OSError, TimeoutError, nats.errors.Error) as exc:
            live.update(Text(""))
            err.print(f"[red]error:[/] cannot reach NATS at {settings.url}: {escape(str(exc) or type(exc).__name__)}")
            raise typer.Exit(1) from None
        finally:
            if engine is not None:
                engine.close()
            database.dispose()
    err.print(f"stopped: {totals.events:,} events in {totals.messages:,} messages — accepted "
              f"{totals.accepted:,}, duplicates {totals.duplicates:,}, rejected {totals.rejected:,}")
