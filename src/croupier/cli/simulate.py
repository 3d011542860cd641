"""`croupier simulate`: the synthetic operator, into a JSONL file or a running server."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from croupier.cli.app import app

console = Console()

MAX_BATCH = 5_000
_RETRIES = 5
_DAY_SECONDS = 86_400.0


@app.command()
def simulate(
    players: Annotated[int, typer.Option("--players", min=1, help="Players registering over the period.")] = 1000,
    days: Annotated[int, typer.Option("--days", min=1, help="Days of activity to simulate.")] = 30,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed and start give the same bytes.")] = 42,
    start: Annotated[str | None, typer.Option(
        "--start", help="First simulated moment, ISO date or date-time (UTC unless an offset is given). "
                        "Default: now minus --days, so the history ends now.")] = None,
    out: Annotated[Path, typer.Option("--out", help="Events file (JSON Lines).", dir_okay=False)] = Path("sim-events.jsonl"),
    labels: Annotated[Path | None, typer.Option(
        "--labels", help="Ground-truth labels file (JSON Lines). Default: <out stem>-labels.jsonl next to --out; "
                         "with --to, written only when given.", dir_okay=False)] = None,
    to: Annotated[str | None, typer.Option(
        "--to", help="Stream into a running Croupier instead of a file, e.g. http://127.0.0.1:8000 "
                     f"(POST {{URL}}/v1/events in batches of up to {MAX_BATCH:,}).")] = None,
    api_key: Annotated[str | None, typer.Option(
        "--api-key", envvar="CROUPIER_API_KEY", help="API key with the ingest permission, for --to.")] = None,
    live: Annotated[bool, typer.Option(
        "--live", help="With --to: after the backfill keep streaming in real time until Ctrl-C.")] = False,
) -> None:
    """Simulate an online casino and sportsbook: players with archetypes (casual, live casino,
    sports, high rollers, bonus hunters, problem-gambling trajectories, multi-account rings,
    money mules, churners) emitting protocol v1 events, plus ground-truth labels per player."""
    from croupier.sim import SimConfig, Simulator, write_jsonl, write_labels

    if live and not to:
        raise typer.BadParameter("--live streams into a running server: add --to URL", param_hint="--live")
    if to and not api_key:
        raise typer.BadParameter("--to needs an API key with the ingest permission: pass --api-key "
                                 "or set CROUPIER_API_KEY", param_hint="--api-key")
    sim = Simulator(SimConfig(seed=seed, players=players, days=days, start=_parse_start(start)))
    by_type: Counter[str] = Counter()

    if to:
        sender = Sender(to, api_key or "")
        try:
            if live:
                backfill = sim.events_until(datetime.now(timezone.utc))
                sender.send_all(_progress(backfill, sim, by_type, "backfill"))
                console.print(f"[green]Backfill done[/] ({sender.accepted:,} accepted); streaming in real time, "
                              "Ctrl-C to stop.")
                _stream_live(sim, sender, by_type)
            else:
                sender.send_all(_progress(sim.events(), sim, by_type, "simulating"))
        except KeyboardInterrupt:
            console.print("[yellow]Stopped.[/]")
        finally:
            sender.close()
            _print_summary(sim, by_type)
            sender.print_summary()
            if labels is not None:
                write_labels(sim.labels(), labels)
                console.print(f"labels: {labels}")
        if sender.failed:
            raise typer.Exit(1)
        return

    labels = labels or out.with_name(f"{out.stem}-labels.jsonl")
    written = write_jsonl(_progress(sim.events(), sim, by_type, "simulating"), out)
    write_labels(sim.labels(), labels)
    _print_summary(sim, by_type)
    console.print(f"events: {written:,} -> {out}")
    console.print(f"labels: {sim.players_registered:,} players -> {labels}")


def _parse_start(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO date or date-time, e.g. 2026-01-01 or "
                                 "2026-01-01T06:00:00+00:00", param_hint="--start") from None
    if moment.tzinfo is None:  # a bare date or date-time is UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _progress(events: Iterator[dict[str, Any]], sim: Any, by_type: Counter[str], label: str) -> Iterator[dict[str, Any]]:
    """Pass events through, counting them and advancing a bar in simulated days."""
    total_days = max(1e-9, (datetime.now(timezone.utc) - sim.start).total_seconds() / _DAY_SECONDS) \
        if label == "backfill" else float(sim.config.days)
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:>6.1f}/{task.total:.0f} days"),
               TextColumn("{task.fields[events]:>12,} events"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(label, total=total_days, events=0)
        count = 0
        for event in events:
            by_type[event["type"]] += 1
            count += 1
            if count % 20_000 == 0:
                done = (datetime.fromisoformat(event["occurred_at"]) - sim.start).total_seconds() / _DAY_SECONDS
                bar.update(task, completed=min(total_days, done), events=count)
            yield event
        bar.update(task, completed=total_days, events=count)


def _stream_live(sim: Any, sender: Sender, by_type: Counter[str]) -> None:
    while True:
        time.sleep(1.0)
        batch = list(sim.events_until(datetime.now(timezone.utc)))
        for event in batch:
            by_type[event["type"]] += 1
        for i in range(0, len(batch), MAX_BATCH):
            sender.send(batch[i:i + MAX_BATCH])


def _print_summary(sim: Any, by_type: Counter[str]) -> None:
    events = Table(title="Events by type", show_edge=False)
    events.add_column("type")
    events.add_column("events", justify="right")
    for name, n in sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0])):
        events.add_row(name, f"{n:,}")
    events.add_row("[bold]total[/]", f"[bold]{sum(by_type.values()):,}[/]")
    archetypes = Counter(label["archetype"] for label in sim.labels())
    players = Table(title="Players by archetype", show_edge=False)
    players.add_column("archetype")
    players.add_column("players", justify="right")
    for name, n in sorted(archetypes.items(), key=lambda kv: (-kv[1], kv[0])):
        players.add_row(name, f"{n:,}")
    players.add_row("[bold]total[/]", f"[bold]{sum(archetypes.values()):,}[/]")
    console.print(events)
    console.print(players)


class Sender:
    """POSTs batches to `{url}/v1/events`; retries connection errors (event ids make a
    retried batch safe: the server counts repeats as duplicates)."""

    def __init__(self, url: str, api_key: str) -> None:
        import httpx

        self.endpoint = url.rstrip("/") + "/v1/events"
        self._client = httpx.Client(headers={"Authorization": f"Bearer {api_key}",
                                             "Content-Type": "application/json"},
                                    timeout=httpx.Timeout(60.0, connect=5.0))
        self.accepted = 0
        self.duplicates = 0
        self.rejected: list[dict[str, Any]] = []
        self.batches = 0
        self.failed = False

    def send_all(self, events: Iterable[dict[str, Any]]) -> None:
        batch: list[dict[str, Any]] = []
        for event in events:
            batch.append(event)
            if len(batch) == MAX_BATCH:
                self.send(batch)
                batch = []
        if batch:
            self.send(batch)

    def send(self, batch: list[dict[str, Any]]) -> None:
        import httpx
        import msgspec

        if not batch:
            return
        body = msgspec.json.encode(batch)
        for attempt in range(_RETRIES + 1):
            try:
                response = self._client.post(self.endpoint, content=body)
                break
            except httpx.TransportError as exc:
                if attempt == _RETRIES:
                    console.print(f"[red]Cannot reach {self.endpoint}[/]: {exc}")
                    self.failed = True
                    raise typer.Exit(1) from None
                wait = 0.5 * 2 ** attempt
                console.print(f"[yellow]{type(exc).__name__}: {exc}; retrying in {wait:.1f} s[/]")
                time.sleep(wait)
        if not response.is_success:
            console.print(f"[red]{self.endpoint} answered {response.status_code}[/]: {response.text}")
            self.failed = True
            raise typer.Exit(1)
        answer = response.json()
        self.batches += 1
        self.accepted += int(answer.get("accepted", 0))
        self.duplicates += int(answer.get("duplicates", 0))
        for rejection in answer.get("rejected") or []:  # indexes are within this batch
            self.rejected.append({**rejection, "batch": self.batches})

    def close(self) -> None:
        self._client.close()

    def print_summary(self) -> None:
        colour = "green" if not self.rejected and not self.failed else "yellow"
        console.print(f"[{colour}]{self.endpoint}[/]: {self.batches:,} batches, {self.accepted:,} accepted, "
                      f"{self.duplicates:,} duplicates, {len(self.rejected):,} rejected")
        for rejection in self.rejected[:10]:
            console.print(f"  rejected batch {rejection['batch']} index {rejection.get('index')} "
                          f"event {rejection.get('event_id')}: {rejection.get('field')}: {rejection.get('reason')}")
        if len(self.rejected) > 10:
            console.print(f"  ... and {len(self.rejected) - 10:,} more")

