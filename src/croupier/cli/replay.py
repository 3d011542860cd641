"""`croupier replay`: rebuild every player's state from the event log."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from croupier.cli.app import app
from croupier.cli.common import ConfigOption, DbOption, config_in_force

console = Console()


@app.command()
def replay(db: DbOption = None, config: ConfigOption = None) -> None:
    """Forget all derived state and rebuild it by replaying the log through the engine.

    Decisions are recomputed and compared with the audit log instead of being recorded
    again; a mismatch means the replay did not reproduce what happened live (exit 1).
    """
    from croupier.engine import BatchReport, Engine, merge_reports
    from croupier.store import eventlog, open_database

    database = open_database(db)
    engine = Engine(database, config_in_force(database, config))
    with database.reader.connect() as conn:
        total = eventlog.max_seq(conn)
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
