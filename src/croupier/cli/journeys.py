"""`croupier journeys …`: check journey definitions and print the ready-made ones
(docs/journeys.md). Storage, publishing and the engine that runs journeys come later."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from croupier.cli.app import app

console = Console()
journeys_app = typer.Typer(help="Journeys: check definitions, print the ready-made ones.", no_args_is_help=True)
app.add_typer(journeys_app, name="journeys")


@journeys_app.command("check")
def check(files: Annotated[list[Path], typer.Argument(help="Journey definitions (JSON files; - reads standard input).")]) -> None:
    """Validate each journey definition and list every problem with its JSON path (and, in a
    condition written as text, its line and column). Exits 1 when any is invalid."""
    from croupier.journeys import JourneyError, load

    invalid = 0
    for path in files:
        name = "standard input" if str(path) == "-" else str(path)
        try:
            text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            console.print(f"[red]{name}[/]: cannot read it: {exc}")
            invalid += 1
            continue
        try:
            journey = load(text)
        except JourneyError as exc:
            invalid += 1
            console.print(f"[red]{name}[/]: {len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''}")
            for problem in exc.problems:
                console.print(f"  {problem}", markup=False, highlight=False)
            continue
        console.print(f"[green]{name}[/]: journey {journey.key!r} version {journey.version} is valid "
                      f"({len(journey.steps)} steps)")
    if invalid:
        raise typer.Exit(1)


@journeys_app.command("templates")
def templates_command(key: Annotated[str | None, typer.Argument(help="Print this ready-made journey as JSON.")] = None) -> None:
    """List the ready-made journeys, or print one as JSON to start from."""
    from croupier.journeys import TEMPLATE_KEYS, template, templates, to_json

    if key is None:
        for name, journey in templates().items():
            console.print(f"{name:22} {journey.name}", markup=False, highlight=False)
        return
    if key not in TEMPLATE_KEYS:
        console.print(f"[red]no ready-made journey {key!r}[/]; there are: {', '.join(TEMPLATE_KEYS)}")
        raise typer.Exit(2)
    sys.stdout.write(to_json(template(key)).decode() + "\n")
