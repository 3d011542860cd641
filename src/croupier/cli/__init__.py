"""Command line: `croupier serve | demo | simulate | ingest | replay | bench | users | keys`."""

import importlib

from croupier.cli.app import app

# Each module registers its commands on `app` when imported.
_COMMAND_MODULES = ("serve", "simulate", "ingest", "consume", "replay", "bench", "accounts")


def _register() -> None:
    for name in _COMMAND_MODULES:
        try:
            importlib.import_module(f"croupier.cli.{name}")
        except ModuleNotFoundError as exc:  # a command module not written yet
            if exc.name != f"croupier.cli.{name}":
                raise


def main() -> None:
    _register()
    app()
