"""Every environment variable Croupier reads, in one registry.

Command-line options document themselves (their help, default and `envvar` are read from
the Typer app by scripts/generate_docs.py into docs/settings.md). A variable read anywhere
else, by a library function or a worker process, is invisible to that walk, so it is
declared here; the generator lists each one with the commands whose options fall back to
it, and a test fails when code names a `CROUPIER_…` variable that is not declared here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EnvVar:
    name: str
    meaning: str
    default: str
    # Readers other than the command-line options that name the variable (those are found
    # by the generator): the functions or processes that read it directly.
    also_read_by: str = ""
    # "server": an operator sets it; "tests": only the test suite reads it.
    audience: str = "server"


ENVIRONMENT: tuple[EnvVar, ...] = (
    EnvVar("CROUPIER_DATABASE_URL",
           "The database: `sqlite:///path/file.db` (the embedded default) or "
           "`postgresql://user:password@host:5432/dbname` (psycopg 3). Migrations run on start.",
           "`sqlite:///croupier.db` (in the working directory)",
           "each worker process of `croupier serve --workers N`"),
    EnvVar("CROUPIER_CONFIG",
           "Path of the start engine configuration (JSON, see configuration.md): in force until the "
           "event log's first approved configuration version.",
           "built-in defaults",
           "each worker of `croupier serve --workers N`"),
    EnvVar("CROUPIER_TRUSTED_PROXIES",
           "Comma-separated IP addresses or networks (CIDR) of reverse proxies whose "
           "`X-Forwarded-For` / `X-Forwarded-Proto` are believed, or `*` for every peer (only when "
           "nothing but the proxy can reach the port).",
           "none: the TCP peer is the client",
           "`croupier.api.create_app` (every server, the workers of `serve --workers N` included)"),
    EnvVar("CROUPIER_REGISTERS",
           "Path of a JSON file configuring the national exclusion registers (file imports and HTTP "
           "look-ups, see exclusions-and-registers.md).",
           "none configured (a market with a register then holds marketing until one is)",
           "every process that runs the engine (`serve`, `demo`, `ingest`, `consume`, `replay`) and "
           "`croupier registers …`"),
    EnvVar("CROUPIER_TIME_ZONE",
           "The back office's default time zone (an IANA name such as `Europe/Malta`) for staff who "
           "chose none on *My settings*; an unknown name stops the server with the reason.",
           "`UTC`", "`croupier.web.mount_back_office` (every server, the workers of `serve --workers N` included)"),
    EnvVar("CROUPIER_LOCALE",
           "The back office's default locale for figures and dates (`en`, `en_GB`, `sv`, `de`, … any "
           "locale Babel knows) for staff who chose none on *My settings*.",
           "`en`", "`croupier.web.mount_back_office` (every server, the workers of `serve --workers N` included)"),
    EnvVar("CROUPIER_SEGMENT_COPY_SECONDS",
           "How old, in seconds, the columnar copy of every player's values that segment counts, previews "
           "and member lists read may be before a request rebuilds it (see segments.md, batch membership).",
           "`5`", "`croupier.api.segment_routes` (every server)"),
    EnvVar("CROUPIER_SEGMENT_SWEEP_SECONDS",
           "How often, in seconds, the engine's sweep re-evaluates every player's live segments for what "
           "time alone changes, besides right after each UTC midnight and after a segment goes live "
           "(see segments.md, real-time membership); more than 0.",
           "`3600`", "`croupier.segments.realtime` (the process running the engine)"),
    EnvVar("CROUPIER_NATS_URL", "The NATS server `croupier consume` reads events from.",
           "`nats://127.0.0.1:4222`"),
    EnvVar("CROUPIER_API_KEY", "API key (ingest scope) that `croupier simulate --to URL` sends events with.",
           "none (required with `--to`)"),
    EnvVar("CROUPIER_PASSWORD", "Password for `croupier users create`, instead of the prompt "
           "(for scripts; at least 10 characters).", "prompted"),
    EnvVar("CROUPIER_ADMIN_PASSWORD", "Password of the demo's `admin` user.", "generated and printed"),
    EnvVar("CROUPIER_TEST_PG",
           "Admin URL of the PostgreSQL server the test suite creates throw-away databases on.",
           "`postgresql+psycopg://root@127.0.0.1:5432/postgres`", "tests/conftest.py", audience="tests"),
    EnvVar("CROUPIER_TEST_NATS", "URL of the NATS JetStream server the stream tests use.",
           "`nats://127.0.0.1:4222`", "tests/ingest/test_stream.py", audience="tests"),
)

# `CROUPIER_…` names in the code that are not environment variables.
NOT_ENVIRONMENT: dict[str, str] = {
    "CROUPIER_EVENTS": "the default JetStream stream name (`croupier consume --stream`)",
}

BY_NAME = {v.name: v for v in ENVIRONMENT}


def seconds_from_env(variable: str, default: float, *, at_least: float = 0.0, above: bool = False) -> float:
    """A number of seconds from `$variable` (empty or unset: `default`); a value that is not a
    number, or out of range, stops the process with the reason (a setting mistyped is
    never silently the default)."""
    import os

    raw = os.environ.get(variable, "")
    try:
        seconds = float(raw) if raw.strip() else default
    except ValueError:
        raise RuntimeError(f"{variable}={raw!r} is not a number of seconds") from None
    if above and seconds <= at_least:
        raise RuntimeError(f"{variable}={raw!r} must be more than {at_least:g} seconds")
    return max(at_least, seconds)
