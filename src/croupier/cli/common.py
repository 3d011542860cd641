"""Options and helpers shared by commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from croupier.players import EngineConfig, load_config

DbOption = Annotated[str | None, typer.Option(
    "--db", help="Database URL (sqlite:///file.db or postgresql://user@host/db). "
                 "Default: $CROUPIER_DATABASE_URL, else sqlite:///croupier.db.")]
ConfigOption = Annotated[Path | None, typer.Option(
    "--config", help="Engine configuration JSON (thresholds; see docs/configuration.md): the start "
                     "configuration, in force until the log's first approved version. "
                     "Default: $CROUPIER_CONFIG, else built-in defaults.", exists=True, dir_okay=False)]


def read_config(path: Path | None) -> EngineConfig:
    import os

    path = path or (Path(os.environ["CROUPIER_CONFIG"]) if os.environ.get("CROUPIER_CONFIG") else None)
    try:
        return load_config(path.read_bytes() if path else None)
    except Exception as exc:  # msgspec errors name the offending key
        raise typer.BadParameter(f"invalid configuration {path}: {exc}") from None


def moment_option(value: str, option: str) -> int:
    """An RFC 3339 time given as `option`, in integer microseconds UTC; BadParameter when it
    is not one or has no offset."""
    from datetime import datetime, timezone

    from croupier.players import micros

    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an RFC 3339 time such as 2026-11-01T00:00:00Z",
                                 param_hint=option) from None
    if moment.tzinfo is None:
        raise typer.BadParameter(f"{value!r} needs an offset (Z for UTC), such as 2026-11-01T00:00:00Z",
                                 param_hint=option)
    return micros(moment.astimezone(timezone.utc))
