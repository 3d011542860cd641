"""The `croupier` command: one Typer app that every command module registers on."""

import typer

app = typer.Typer(
    name="croupier",
    help="Croupier: a self-hosted iGaming CRM with player protection built in.",
    no_args_is_help=True,
    add_completion=False,
)
