"""`croupier users …`, `croupier keys …` and `croupier audit verify`: staff, keys and the chain."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from croupier.cli.app import app
from croupier.cli.common import DbOption
from croupier.privacy import ROLES, SCOPES

console = Console()
users_app = typer.Typer(help="Staff users of the back office.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for integrations.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")


def _audit(conn, kind: str, subject: str, body: dict) -> None:  # noqa: ANN001
    from croupier.store.audit import Entry, append

    append(conn, [Entry(at_us=time.time_ns() // 1000, actor="cli", kind=kind, body=body, subject=subject)])


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}.")],
    password: Annotated[str | None, typer.Option("--password", envvar="CROUPIER_PASSWORD",
                                                 help="At least 10 characters; prompted when omitted.")] = None,
    db: DbOption = None,
) -> None:
    """Create a back-office user with a role."""
    from croupier.store import open_database
    from croupier.store.accounts import create_user

    if role not in ROLES:
        raise typer.BadParameter(f"role must be one of {', '.join(ROLES)}", param_hint="--role")
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    database = open_database(db)
    try:
        with database.engine.begin() as conn:
            user_id = create_user(conn, username, password, role)
            _audit(conn, "staff.user_created", username, {"username": username, "role": role})
    except ValueError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    console.print(f"created user {username!r} (id {user_id}) with role {role}")


@users_app.command("list")
def users_list(db: DbOption = None) -> None:
    """List staff users."""
    from croupier.store import open_database
    from croupier.store.accounts import list_users

    with open_database(db).reader.connect() as conn:
        users = list_users(conn)
    table = Table("id", "username", "role", "disabled")
    for u in users:
        table.add_row(str(u.user_id), u.username, u.role, "yes" if u.disabled else "")
    console.print(table)


@keys_app.command("create")
def keys_create(
    scope: Annotated[list[str], typer.Option("--scope", help=f"Repeatable; one of: {', '.join(SCOPES)}.")],
    name: Annotated[str, typer.Option("--name", help="What the key is for.")] = "integration",
    signing: Annotated[bool, typer.Option("--signing", help="Require HMAC-SHA256 request signatures.")] = False,
    db: DbOption = None,
) -> None:
    """Create an API key; the token (and signing secret) are shown once."""
    from croupier.store import open_database
    from croupier.store.accounts import create_key

    try:
        with open_database(db).engine.begin() as conn:
            token, secret = create_key(conn, name, scope, signing)
            _audit(conn, "staff.key_created", token.split("_")[1], {"name": name, "scopes": scope, "signing": signing})
    except ValueError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    console.print(f"API key ({', '.join(scope)}): [bold]{token}[/]")
    if secret:
        console.print(f"signing secret: [bold]{secret}[/]  (sign '<unix ts>.<body>' with HMAC-SHA256)")
    console.print("Store it now: it is not shown again.")


@keys_app.command("list")
def keys_list(db: DbOption = None) -> None:
    """List API keys (never their secrets)."""
    from croupier.store import open_database
    from croupier.store.accounts import list_keys

    with open_database(db).reader.connect() as conn:
        keys = list_keys(conn)
    table = Table("key id", "name", "scopes", "signed", "revoked")
    for k in keys:
        table.add_row(k["key_id"], k["name"], k["scopes"], "yes" if k["require_signature"] else "",
                      "yes" if k["revoked_at_us"] else "")
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key id (the part after crp_).")],
                db: DbOption = None) -> None:
    """Revoke an API key."""
    from croupier.store import open_database
    from croupier.store.accounts import revoke_key

    with open_database(db).engine.begin() as conn:
        if not revoke_key(conn, key_id):
            console.print(f"[red]error:[/] no active key {key_id!r}")
            raise typer.Exit(2)
        _audit(conn, "staff.key_revoked", key_id, {"key_id": key_id})
    console.print(f"revoked {key_id}")


@audit_app.command("verify")
def audit_verify(db: DbOption = None) -> None:
    """Recompute the audit log's hash chain; exit 1 if any record was altered, removed or reordered."""
    from croupier.store import audit, open_database

    with open_database(db).reader.connect() as conn:
        checked, breaks = audit.verify(conn)
    if breaks:
        for b in breaks[:50]:
            console.print(f"[red]record {b.seq}:[/] {b.reason}")
        console.print(f"[red]audit chain BROKEN[/]: {len(breaks)} problem(s) in {checked} records")
        raise typer.Exit(1)
    console.print(f"audit chain intact: {checked} records verified")
