"""Command line: `croupier serve | demo | simulate | ingest | consume | replay | bench | users | keys | audit | rg |
models | segments | journeys | campaigns | tasks`."""

import importlib

from croupier.cli.app import app

# Each module registers its commands on `app` when imported.
_COMMAND_MODULES = ("serve", "simulate", "ingest", "consume", "replay", "bench", "accounts", "registers", "rg", "models",
                    "journeys", "campaigns", "segments", "tasks")


def main() -> None:
    for name in _COMMAND_MODULES:
        importlib.import_module(f"croupier.cli.{name}")
    app()
