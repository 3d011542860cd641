"""`croupier tasks list` on a database: the active tasks in due order, filtered by queue and
status, as a table and as JSON; a queue or status it does not know is refused by name."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from croupier.cli import _COMMAND_MODULES
from croupier.store import open_database
from croupier.tasks import Source, service


def _app():  # noqa: ANN202
    import importlib

    from croupier.cli.app import app

    for name in _COMMAND_MODULES:
        importlib.import_module(f"croupier.cli.{name}")
    return app


def test_tasks_list(sqlite_url: str) -> None:
    db = open_database(sqlite_url)
    with db.engine.begin() as conn:
        for i, (queue, due) in enumerate((("vip_host", 3), ("rg_officer", 1), ("vip_host", 2))):
            service.create_task(conn, origin_id=f"cli-{i}", queue=queue, player_id=f"p{i}", title=f"task {i}",
                                detail="", priority="normal", due_at_us=due * 1_000_000,
                                source=Source.journey("j", 1, "s"), now_us=1)
        service.take(conn, 3, actor="hal", role="crm_manager", now_us=2)
        service.complete(conn, 3, outcome="contacted", note="", actor="hal", role="crm_manager", now_us=3)
    db.dispose()
    runner, app = CliRunner(), _app()

    listed = runner.invoke(app, ["tasks", "list", "--db", sqlite_url, "--json"])
    assert listed.exit_code == 0, listed.output
    assert [(t["title"], t["due_at"]) for t in json.loads(listed.output)] == [
        ("task 1", "1970-01-01T00:00:01Z"), ("task 0", "1970-01-01T00:00:03Z")]
    vip = runner.invoke(app, ["tasks", "list", "--db", sqlite_url, "--queue", "vip_host", "--status", "all", "--json"])
    assert [(t["title"], t["status"], t["outcome"]) for t in json.loads(vip.output)] == [
        ("task 2", "done", "contacted"), ("task 0", "open", None)]
    table = runner.invoke(app, ["tasks", "list", "--db", sqlite_url, "--status", "done"])
    assert table.exit_code == 0 and "task 2" in table.output and "done: contacted" in table.output
    assert "task 0" not in table.output
    for option, value in (("--queue", "cashier"), ("--status", "closed")):
        refused = runner.invoke(app, ["tasks", "list", "--db", sqlite_url, option, value])
        assert refused.exit_code == 2 and value in refused.output
