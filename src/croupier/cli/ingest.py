"""`croupier ingest FILE`: replay a JSON-lines or CSV file (optionally gzipped) into the log
and through the engine. Exit 0 when the whole file was read (rejections included), 1 when it
cannot be read, 2 with --strict when any record was rejected."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from croupier.cli.app import app
from croupier.cli.common import ConfigOption, DbOption, read_config


@app.command()
def ingest(
    file: Annotated[Path, typer.Argument(help="Events as JSON lines (.jsonl/.ndjson/.json) or CSV "
                                              "(.csv/.tsv); gzip (.gz) is read transparently.")],
    db: DbOption = None,
    config: ConfigOption = None,
    format: Annotated[str | None, typer.Option(
        "--format", "-f", help="jsonl, csv or tsv. Default: from the file extension.")] = None,
    map_file: Annotated[Path | None, typer.Option(
        "--map", help='CSV mapping file: {"field": "column", ...} or {"columns": {...}, "set": {...}}. '
                      "Columns named like protocol fields map to themselves.")] = None,
    map_column: Annotated[list[str] | None, typer.Option(
        "--map-column", help="FIELD=COLUMN for CSV; repeat it. Nested fields dotted: consents.email=opt_in.")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="FIELD=VALUE set on every event, e.g. --set brand=aurora --set type=casino.bet.")] = None,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Events per committed chunk.")] = 5_000,
    rejects: Annotated[Path | None, typer.Option(
        "--rejects", help="Write every rejection to this file as JSON lines (line, event_id, field, reason, value).")] = None,
    show: Annotated[int, typer.Option("--show", min=0, help="Rejections listed in the summary.")] = 10,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 2 if any record was rejected.")] = False,
    process: Annotated[bool, typer.Option(
        "--process/--no-process", help="Run stored events through the engine now (default), or only "
                                      "store them for a running `croupier serve` to pick up.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Replay a file of events: validated, deduplicated on event_id, stored and processed.

    Bad lines are reported with their line number and never stop the file. Running the same
    file again stores nothing twice (its lines come back as duplicates), so after a crash
    simply run the command again.
    """
    from croupier.engine import Engine
    from croupier.ingest.files import FileError, FileReport, LineRejection, replay_file
    from croupier.ingest.mapping import Mapping, MappingError, parse_assignments
    from croupier.store import open_database

    out, err = Console(), Console(stderr=True)
    try:
        mapping = Mapping.load(map_file) if map_file else Mapping()
        mapping = mapping.merged(Mapping(parse_assignments(map_column, "--map-column"),
                                         parse_assignments(set_, "--set")))
    except MappingError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from None

    sink: IO[str] | None = None
    if rejects is not None:
        try:
            sink = rejects.open("w", encoding="utf-8")
        except OSError as exc:
            err.print(f"[red]error:[/] cannot write the rejects file {rejects}: {exc.strerror}")
            raise typer.Exit(1) from None

    def on_reject(rejection: LineRejection) -> None:
        if sink is not None:
            sink.write(json.dumps(rejection.as_dict(), default=str) + "\n")

    database = open_database(db)
    start_config = read_config(config)
    engine = Engine(database, start_config) if process else None
    holder = engine.lease_holder() if engine is not None and not engine.has_lease() else None
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
                        TextColumn("{task.fields[rate]:>9,.0f} events/s"),
                        TextColumn("{task.fields[accepted]:,} new · {task.fields[rejected]:,} rejected"),
                        TimeElapsedColumn(), TimeRemainingColumn(), console=err, transient=False,
                        disable=as_json)
    task = progress.add_task(file.name, total=None, rate=0.0, accepted=0, rejected=0)

    def on_progress(report: FileReport) -> None:
        progress.update(task, completed=report.bytes_read, total=report.bytes_total or None,
                        rate=report.events_per_second, accepted=report.accepted, rejected=report.rejected)

    failure: FileError | None = None
    try:
        with progress:
            report = replay_file(database, file, format=format, mapping=mapping, chunk=batch,
                                 engine=engine, on_progress=on_progress, on_reject=on_reject, keep=show,
                                 config=start_config)
    except FileError as exc:
        failure, report = exc, exc.report
    finally:
        if sink is not None:
            sink.close()
        if engine is not None:
            engine.close()
        database.dispose()

    if report is not None:
        if as_json:
            out.print_json(data=report.as_dict(), default=str)
        else:
            _summary(out, report, show, rejects)
            if holder:
                out.print(f"  the engine of {escape(holder)} owns this database and processes the stored events")
    if failure is not None:
        err.print(f"[red]error:[/] {escape(str(failure))}")
        raise typer.Exit(1)
    if strict and report.rejected:
        raise typer.Exit(2)


def _summary(out: Console, report, show: int, rejects: Path | None) -> None:  # noqa: ANN001 - FileReport
    gz = ", gzip" if report.compressed else ""
    out.print(f"{report.path} ({report.format}{gz}): {report.records:,} records in "
              f"{report.seconds:.1f}s ({report.events_per_second:,.0f} events/s)")
    out.print(f"  accepted   {report.accepted:>12,}")
    out.print(f"  duplicate  {report.duplicates:>12,}")
    out.print(f"  rejected   {report.rejected:>12,}")
    if report.processed:
        out.print(f"  processed by the engine: {report.processed:,}")
    if report.ignored_columns:
        out.print(f"  ignored columns: {escape(', '.join(report.ignored_columns))} "
                  "(keep one with --map-column FIELD=COLUMN)")
    if report.first_rejections and show:
        table = Table("line", "event_id", "field", "reason", title=f"first {len(report.first_rejections)} rejections",
                      title_justify="left", show_lines=False)
        for r in report.first_rejections[:show]:
            table.add_row(str(r.line), escape(r.event_id or ""), escape(r.field or ""), escape(r.reason))
        out.print(table)
    if report.rejected and rejects is not None:
        out.print(f"  all {report.rejected:,} rejections written to {rejects}")
    elif report.rejected > len(report.first_rejections):
        out.print("  (use --rejects FILE to write them all)")
