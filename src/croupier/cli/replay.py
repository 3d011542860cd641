"""`croupier replay`: rebuild every player's state from the event log."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from croupier.cli.app import app
from croupier.cli.common import ConfigOption, DbOption, read_config

console = Console()


@app.command()
def replay(db: DbOption = None, config: ConfigOption = None) -> None:
    """Forget all derived state and rebuild it by replaying the log through the engine.

    Decisions are recomputed and compared with the audit log instead of being recorded
    again; a mismatch means the replay did not reproduce what happened live (exit 1).
    `--config` is the start configuration; every approved version takes over at its
    activation in the log, as it did live.
    """
    from croupier.engine import BatchReport, Engine, merge_reports
    from croupier.events import CONFIG_STREAM, decode_stored
    from croupier.store import eventlog, open_database

    database = open_database(db)
    start = read_config(config)
    engine = Engine(database, start)
    with database.reader.connect() as conn:
        total = eventlog.max_seq(conn)
        first = eventlog.player_history(conn, CONFIG_STREAM, limit=1)
    if first:
        seq, payload, _ = first[0]
        fact = decode_stored(payload)
        if getattr(fact, "previous_version", None) not in (None, start.version):
            console.print(f"[yellow]note:[/] the log's first approved version ({fact.version}, at position {seq}) "
                          f"replaced {fact.previous_version}, but this replay starts with {start.version}: "
                          f"events before position {seq} are folded and decided with {start.version} "
                          "(pass the --config that was in force then to reproduce them)")
    try:
        engine.reset()
    except RuntimeError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    report = BatchReport()
    with Progress(TextColumn("replaying"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console) as progress:
        task = progress.add_task("events", total=total)
        while True:
            part = engine.process_pending(max_events=20_000)
            if not part.events:
                break
            merge_reports(report, part)
            progress.update(task, completed=engine.cursor)
    engine.close()
    console.print(f"replayed {report.events} events for {len(engine.states)} players; "
                  f"{report.replayed_decisions} decisions recomputed and matched against the audit log, "
                  f"{report.decisions} new")
    if report.mismatched_decisions:
        console.print(f"[red]{len(report.mismatched_decisions)} decisions differ from the audit log[/]: "
                      + ", ".join(report.mismatched_decisions[:10]))
        raise typer.Exit(1)
