"""`croupier campaigns …`: list, show, create, launch and cancel one-off campaigns on a
database (docs/campaigns.md). A campaign is stored and run as a journey; creating is a staff
action with journeys.edit, launching and cancelling with journeys.publish (`--as` names the
user), audited like the API's: they run `croupier.campaigns.service`."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from croupier.cli.app import app
from croupier.cli.common import DbOption
from croupier.cli.journeys import AsOption, JsonOption, _print_problems, _staff, console

campaigns_app = typer.Typer(help="One-off campaigns: list, show, create, launch and cancel.", no_args_is_help=True)
app.add_typer(campaigns_app, name="campaigns")
IdArgument = Annotated[int, typer.Argument(help="The campaign's id (its journey's).")]


def _when(c) -> str:  # noqa: ANN001
    if not c.send_at:
        return "at launch"
    return f"{c.send_at} in each player's zone" if c.local_time else f"{c.send_at} {c.timezone}"


@campaigns_app.command("list")
def list_command(archived: Annotated[bool, typer.Option("--archived", help="Include cancelled campaigns.")] = False,
                 as_json: JsonOption = False, db: DbOption = None) -> None:
    """The campaigns: status, audience, what they send and when, control group."""
    from croupier.campaigns import service, to_builtins
    from croupier.store import open_database

    with open_database(db).reader.connect() as conn:
        found = service.listing(conn, archived=archived)
    if as_json:
        print(json.dumps([{"campaign_id": s.journey_id, "key": s.key, "status": s.status,
                           "live_version": s.live_version, "latest_version": s.latest_version,
                           "campaign": to_builtins(c)} for s, c in found], indent=2, default=str))
        return
    if not found:
        console.print("no campaigns")
        return
    for s, c in found:
        sends = " + ".join(x for x in (f"{c.message.channel}:{c.message.template}" if c.message else "",
                                       f"bonus:{c.bonus.template}" if c.bonus else "") if x)
        console.print(f"{s.journey_id:>5}  {s.status:9} {sends:32} {_when(c):32} control {c.control_percent:>2} %  "
                      f"{s.name}", markup=False, highlight=False)


@campaigns_app.command("show")
def show_command(campaign_id: IdArgument, db: DbOption = None) -> None:
    """A campaign's form (JSON), its status on standard error."""
    from croupier.campaigns import service, to_builtins
    from croupier.journeys import publishing
    from croupier.store import open_database

    with open_database(db).reader.connect() as conn:
        try:
            stored, campaign = service.get(conn, campaign_id)
        except publishing.JourneyNotFound as exc:
            console.print(f"[red]error:[/] {exc}")
            raise typer.Exit(2) from None
    Console(stderr=True).print(f"{stored.name} (campaign {stored.journey_id}, key {stored.key}): {stored.status}, "
                               f"sends {_when(campaign)}", markup=False, highlight=False)
    sys.stdout.write(json.dumps(to_builtins(campaign), indent=2, default=str) + "\n")


@campaigns_app.command("create")
def create_command(file: Annotated[Path, typer.Argument(help="The campaign form (JSON; - reads standard input).",
                                                        allow_dash=True)],
                   as_user: AsOption, note: Annotated[str, typer.Option("--note", help="What it is for.")] = "",
                   db: DbOption = None) -> None:
    """Store a campaign (a draft) from its form. A form with problems is refused, every problem
    listed at its field. Exits 1 when refused."""
    from croupier.campaigns import from_json, service
    from croupier.journeys import JourneyError
    from croupier.store import open_database

    text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    try:
        campaign = from_json(text)
        with open_database(db).engine.begin() as conn:
            actor = _staff(conn, as_user, "journeys.edit")
            made = service.create(conn, campaign, actor, time.time_ns() // 1000, note=note)
    except JourneyError as exc:
        console.print(f"[red]not stored[/]: {len(exc.problems)} problem(s)")
        _print_problems(exc.problems)
        raise typer.Exit(1) from None
    console.print(f"created campaign [bold]{made.journey_id}[/] ({made.key}), a draft: launch it with "
                  f"`croupier campaigns launch {made.journey_id} --as USER`")


def _stop_or_go(campaign_id: int, as_user: str, db: str | None, launching: bool) -> None:
    from croupier.campaigns import service
    from croupier.journeys import JourneyError, publishing
    from croupier.store import open_database

    try:
        with open_database(db).engine.begin() as conn:
            actor = _staff(conn, as_user, "journeys.publish")
            change = service.launch if launching else service.cancel
            done = change(conn, campaign_id, actor, time.time_ns() // 1000)
    except (JourneyError, publishing.JourneyConflict) as exc:
        console.print(f"[red]not {'launched' if launching else 'cancelled'}[/]: {len(exc.problems)} problem(s)")
        _print_problems(exc.problems)
        raise typer.Exit(1) from None
    except (publishing.JourneyNotFound, publishing.JourneyStateError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    console.print(f"campaign {done.journey_id} ({done.key}) is {'live' if launching else 'cancelled'}; a running "
                  f"server reads it from the log")


@campaigns_app.command("launch")
def launch_command(campaign_id: IdArgument, as_user: AsOption, db: DbOption = None) -> None:
    """Launch a campaign: its latest version goes live and sends at its send time (refused
    when that time has passed). Exits 1 when refused."""
    _stop_or_go(campaign_id, as_user, db, True)


@campaigns_app.command("cancel")
def cancel_command(campaign_id: IdArgument, as_user: AsOption, db: DbOption = None) -> None:
    """Cancel a campaign: it stops (players not yet sent to get nothing) and is archived."""
    _stop_or_go(campaign_id, as_user, db, False)
