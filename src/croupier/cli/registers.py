"""`croupier registers …`: import national exclusion register lists, check an identity, refresh."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from croupier.cli.app import app
from croupier.cli.common import DbOption

console = Console()
registers_app = typer.Typer(help="National exclusion registers (Spelpaus, GAMSTOP, OASIS, CRUKS, ROFUS, "
                                 "RGIAJ, US state lists): import lists, check identities.", no_args_is_help=True)
app.add_typer(registers_app, name="registers")

RegisterOption = Annotated[str, typer.Option("--register", help="Register name as the jurisdiction rules "
                                                                "name it, e.g. SPELPAUS, GAMSTOP, OASIS.")]


def _shell(db: str | None):  # noqa: ANN202 - what the protection hooks need of an engine
    from croupier.players import EngineConfig
    from croupier.store import open_database

    return SimpleNamespace(db=open_database(db), config=EngineConfig(), name="main")


@registers_app.command("import")
def import_list(
    file: Annotated[Path, typer.Argument(help="One SHA-256 hex digest per line, or CSV with an "
                                              "identifier_hash column (optional kind, until).",
                                         exists=True, dir_okay=False)],
    register: RegisterOption,
    plain: Annotated[str | None, typer.Option(
        "--plain", help="The file holds plain identifiers of this kind (national_id, email, phone): "
                        "hash them on import.")] = None,
    db: DbOption = None,
) -> None:
    """Replace a register's list with FILE, then exclude the accounts it lists (and end
    register exclusions for accounts no longer listed). The running engine folds the facts."""
    from datetime import datetime, timezone

    from croupier.protection.exclusions_hook import rescreen_register
    from croupier.protection.registers import import_entries, parse_entries
    from croupier.store import audit as audit_store

    engine = _shell(db)
    data = file.read_bytes()
    try:
        entries = parse_entries(data.decode("utf-8-sig"), plain)
    except ValueError as exc:
        console.print(f"[red]error:[/] {file}: {exc}")
        raise typer.Exit(2) from None
    now_us = time.time_ns() // 1000
    with engine.db.engine.begin() as conn:
        batch = import_entries(conn, register, entries, str(file), now_us, hashlib.sha256(data).hexdigest())
        audit_store.append(conn, [audit_store.Entry(at_us=now_us, actor="cli", kind="protection.register_imported",
                                                    subject=register, body={"batch_id": batch, "source": str(file),
                                                                            "entries": len(entries)})])
    stored = rescreen_register(engine, register, datetime.now(timezone.utc))
    console.print(f"imported {len({e.identifier_hash for e in entries})} entries into {register} "
                  f"(batch {batch}); {len(stored)} facts appended (register checks and exclusions)")


@registers_app.command("check")
def check(
    register: RegisterOption,
    email: Annotated[str | None, typer.Option("--email", help="E-mail address to look up.")] = None,
    national_id: Annotated[str | None, typer.Option(
        "--national-id", help="National identity number to look up.")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="Phone number to look up (international form).")] = None,
    db: DbOption = None,
) -> None:
    """Ask a register whether it lists an identity (exit 1 when listed, 3 when unavailable)."""
    from croupier.protection.exclusions_hook import policy_for
    from croupier.protection.persons import Identity
    from croupier.protection.registers import RegisterUnavailable

    if not (email or national_id or phone):
        raise typer.BadParameter("give at least one of --email, --national-id, --phone")
    adapter = policy_for(_shell(db)).all_registers().get(register)
    if adapter is None:
        console.print(f"[red]error:[/] register {register} is neither configured ($CROUPIER_REGISTERS) nor imported")
        raise typer.Exit(2)
    identity = Identity.from_profile({"email": email, "national_id": national_id, "phone": phone})
    try:
        hit = adapter.check(identity)
    except RegisterUnavailable as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(3) from None
    if hit is None:
        console.print(f"not listed in {register}")
        return
    until = hit.until.isoformat() if hit.until else "indefinite"
    console.print(f"[bold]listed[/] in {register} (matched on {hit.matched_on}, until {until})")
    raise typer.Exit(1)


@registers_app.command("list")
def list_registers(db: DbOption = None) -> None:
    """Configured registers and their latest imported lists."""
    from croupier.protection.exclusions_hook import policy_for
    from croupier.protection.registers import register_status

    engine = _shell(db)
    registers = policy_for(engine).all_registers()
    with engine.db.reader.connect() as conn:
        lists = {r["register"]: r for r in register_status(conn)}
    table = Table("register", "adapter", "entries", "imported at", "source")
    for name, adapter in sorted(registers.items()):
        info = lists.get(name) or {}
        table.add_row(name, type(adapter).__name__, str(info.get("entries", "")), info.get("imported_at", ""),
                      info.get("source") or "")
    console.print(table)


@registers_app.command("refresh")
def refresh(db: DbOption = None) -> None:
    """Re-import every configured register file that is due, and re-screen accounts."""
    from datetime import datetime, timezone

    from croupier.protection.exclusions_hook import policy_for, rescreen_register
    from croupier.protection.registers import refresh_due

    engine = _shell(db)
    for result in refresh_due(policy_for(engine)):
        stored = rescreen_register(engine, result.register, datetime.now(timezone.utc)) if result.changed else []
        console.print(f"{result.register}: {result.entries} entries, "
                      f"{'changed' if result.changed else 'unchanged'}; {len(stored)} exclusion facts")
