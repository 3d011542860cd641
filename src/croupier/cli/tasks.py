"""`croupier tasks list`: the staff task queue on the database directly (the same storage as
/v1/tasks and the back office's /tasks), the oldest due first."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from croupier.cli.app import app
from croupier.cli.common import DbOption

console = Console()
tasks_app = typer.Typer(help="The staff task queue: work for VIP hosts, RG officers, AML analysts, support and "
                             "retention.", no_args_is_help=True)
app.add_typer(tasks_app, name="tasks")


def _iso(us: int | None) -> str:
    if us is None:
        return ""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(us // 1_000_000))


@tasks_app.command("list")
def list_command(
    queue: Annotated[str | None, typer.Option("--queue", help="Only this queue: vip_host, rg_officer, aml_analyst, "
                                                              "support or retention.")] = None,
    status: Annotated[str, typer.Option("--status", help="open, taken, done, cancelled, active (open and taken) "
                                                         "or all.")] = "active",
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000, help="At most this many tasks.")] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOption = None,
) -> None:
    """Tasks, the oldest due first (those without a due time last)."""
    from croupier.store import open_database
    from croupier.store import tasks as store
    from croupier.tasks import ACTIVE, PRIORITIES, QUEUES, STATUSES

    if queue is not None and queue not in QUEUES:
        raise typer.BadParameter(f"{queue!r} is not a queue: use one of {', '.join(QUEUES)}", param_hint="--queue")
    if status not in (*STATUSES, "active", "all"):
        raise typer.BadParameter(f"{status!r} is not a status: use one of {', '.join(STATUSES)}, active or all",
                                 param_hint="--status")
    statuses = ACTIVE if status == "active" else () if status == "all" else (status,)
    with open_database(db).reader.connect() as conn:
        found = store.listing(conn, store.TaskFilter(queue=queue, statuses=statuses), limit=limit)
    now_us = time.time_ns() // 1000
    if as_json:
        print(json.dumps([{"task_id": t.task_id, "queue": t.queue, "player_id": t.player_id, "title": t.title,
                           "priority": PRIORITIES[t.priority], "due_at": _iso(t.due_at_us) or None,
                           "status": t.status, "taken_by": t.taken_by, "outcome": t.outcome,
                           "source": {"kind": t.source_kind, "id": t.source_id}} for t in found], indent=2))
        return
    table = Table(title="Tasks" + (f" in {queue}" if queue else "") + f" ({status})")
    for heading in ("id", "due (UTC)", "queue", "player", "title", "priority", "status", "by"):
        table.add_column(heading)
    for t in found:
        overdue = t.status in ACTIVE and t.due_at_us is not None and t.due_at_us < now_us
        due = _iso(t.due_at_us) + (" overdue" if overdue else "")
        who = t.taken_by if t.status == "taken" else t.completed_by or ""
        state = t.status + (f": {t.outcome}" if t.outcome else "")
        table.add_row(str(t.task_id), f"[red]{due}[/]" if overdue else due, t.queue, t.player_id, t.title,
                      PRIORITIES[t.priority], state, who or "")
    Console(width=max(console.width, 120)).print(table)
    if not found:
        console.print("No task.")
