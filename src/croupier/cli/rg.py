"""`croupier rg …`: responsible-gambling tools that work on the stored player states."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from croupier.cli.app import app
from croupier.cli.common import ConfigOption, DbOption, read_config

console = Console()
rg_app = typer.Typer(help="Responsible gambling: population percentiles for the absolute RG markers.",
                     no_args_is_help=True)
app.add_typer(rg_app, name="rg")


def _as_of_us(text: str | None) -> int:
    if not text:
        return time.time_ns() // 1000
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter("an ISO date or time, e.g. 2026-03-01", param_hint="--as-of") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return int(when.timestamp() * 1_000_000)


@rg_app.command("percentiles")
def percentiles(
    jurisdiction: Annotated[str | None, typer.Option(
        "--jurisdiction", help="Only this jurisdiction's players (a code of the configuration, e.g. SE). "
                               "Default: every jurisdiction, each on its own.")] = None,
    propose: Annotated[bool, typer.Option(
        "--propose", help="Propose the percentiles as a configuration version (rg.markers.population of each "
                          "jurisdiction with enough players); a second officer approves it.")] = False,
    as_user: Annotated[str | None, typer.Option(
        "--as", help="With --propose: the staff user proposing (an enabled user whose role has config.edit; "
                     "the four-eyes rule keeps them from approving it).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Measure as of this moment (ISO). Default: now.")] = None,
    min_players: Annotated[int, typer.Option(
        "--min-players", min=1, help="Propose a jurisdiction's percentiles only over at least this many "
                                     "active players.")] = 200,
    comment: Annotated[str, typer.Option("--comment", help="The proposal's comment.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """The percentiles (90th, 98th, 99.5th) of the absolute RG measures over the players with a
    bet in the last 30 days, from the stored states; with --propose, a configuration proposal
    that makes the absolute markers grade against them."""
    from croupier.compliance.document import in_force_document
    from croupier.ingest.batch import config_in_force
    from croupier.privacy import can
    from croupier.protection import population
    from croupier.store import open_database
    from croupier.store.accounts import find_user

    if propose and not as_user:
        raise typer.BadParameter("name the staff user proposing with --as", param_hint="--as")
    database = open_database(db)
    in_force = config_in_force(database, read_config(config))
    known = in_force_document(in_force).jurisdictions
    if jurisdiction is not None and jurisdiction not in known:
        console.print(f"[red]error:[/] {jurisdiction!r} is not a jurisdiction of configuration {in_force.version} "
                      f"({', '.join(sorted(known))})")
        raise typer.Exit(2)
    at_us = _as_of_us(as_of)
    with database.reader.connect() as conn:
        found = population.compute(conn, at_us, in_force.features, jurisdiction)
    report = population.report(found, at_us, known, min_players)
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        _print(report, propose)
    if not propose:
        return
    if not report["patch"]:
        console.print("[yellow]nothing to propose[/]: no jurisdiction has enough players")
        raise typer.Exit(1)
    from croupier.compliance.config_store import ConfigRefused

    with database.engine.begin() as conn:
        user = find_user(conn, as_user)  # type: ignore[arg-type]
        if user is None or user.disabled or not can(user.role, "config.edit"):
            console.print(f"[red]error:[/] {as_user!r} is not an enabled staff user with config.edit")
            raise typer.Exit(2)
        try:
            version = population.propose(conn, actor=user.username, in_force=in_force, now_us=time.time_ns() // 1000,
                                         patch=report["patch"], comment=comment, via="cli")
        except ConfigRefused as exc:
            console.print(f"[red]refused:[/] {exc.message}")
            raise typer.Exit(2) from None
    console.print(f"proposed configuration version [bold]{version.version_id}[/] (by {user.username}): a second "
                  f"officer approves it (POST /v1/config/versions/{version.version_id}/approve or the back "
                  "office), and it can run in shadow first")


def _figure(value: float) -> str:
    """A cut as it is proposed (already rounded to its measure's digits), without a float's tail."""
    return f"{value:f}".rstrip("0").rstrip(".")


def _print(report: dict, propose: bool = False) -> None:  # noqa: ANN001
    table = Table(title=f"RG population percentiles as of {report['as_of']}",
                  caption="money (stakes, net loss) in EUR-equivalent major units, as the markers grade it")
    table.add_column("jurisdiction")
    for heading in ("players", "measure", "measured", "p90", "p98", "p99.5"):
        table.add_column(heading, justify="left" if heading == "measure" else "right")
    for row in report["jurisdictions"]:
        first = True
        for measure, cuts in row["cuts"].items():
            table.add_row(row["jurisdiction"] or "-" if first else "", str(row["players"]) if first else "",
                          measure, str(row["measured"][measure]), *(_figure(c) for c in cuts))
            first = False
    # at its natural width: on a pipe or a narrow terminal rich would cut the measure names
    # (what rg.markers.population holds) and the figures short with an ellipsis
    Console(width=max(console.width, 120)).print(table)
    for note in report["skipped"]:
        console.print(f"{'not proposed' if propose else 'left out of a proposal (--propose)'}: {note}")
