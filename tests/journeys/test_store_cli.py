"""`croupier journeys list|show|create|publish` on a database, as an operator runs them:
create (audited, needs journeys.edit), show with the problems of a version, publish (needs
journeys.publish; refused with every problem, or for equal priorities in a group)."""

from __future__ import annotations

import json

from sqlalchemy import select
from typer.testing import CliRunner

from croupier.cli import app
from croupier.cli import journeys as _commands  # noqa: F401  registers the commands
from croupier.journeys import template, to_builtins
from croupier.store import open_database
from croupier.store.accounts import create_user
from croupier.store.schema import audit_log


def _run(db: str, *args: str):  # noqa: ANN202
    return CliRunner().invoke(app, ["journeys", *args, "--db", db])


def test_create_show_publish_list(sqlite_url: str, tmp_path) -> None:  # noqa: ANN001
    database = open_database(sqlite_url)
    with database.engine.begin() as conn:
        create_user(conn, "cleo", "cleo-password-1", "crm_manager")
        create_user(conn, "aud", "aud-password-12", "auditor")
    good = tmp_path / "welcome.json"
    good.write_text(json.dumps(to_builtins(template("welcome"))))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(to_builtins(template("second_deposit")) | {"holdout_percent": 70}))
    rival = tmp_path / "rival.json"
    rival.write_text(json.dumps(to_builtins(template("welcome")) | {"key": "welcome_copy"}))

    refused = _run(sqlite_url, "create", str(good), "--as", "aud")
    assert refused.exit_code == 2 and "journeys.edit" in refused.output
    made = _run(sqlite_url, "create", str(good), "--as", "cleo", "--note", "as shipped")
    assert made.exit_code == 0 and "created journey 1 (welcome), version 1, draft" in made.output, made.output
    drafted = _run(sqlite_url, "create", str(bad), "--as", "cleo")
    assert drafted.exit_code == 0 and "$.holdout_percent" in drafted.output
    assert _run(sqlite_url, "create", str(good), "--as", "cleo").exit_code == 2        # the key is taken

    shown = CliRunner().invoke(app, ["journeys", "show", "2", "--db", sqlite_url])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["key"] == "second_deposit"
    assert "$.holdout_percent" in shown.stderr

    assert _run(sqlite_url, "publish", "1", "1", "--as", "aud").exit_code == 2
    live = _run(sqlite_url, "publish", "1", "1", "--as", "cleo")
    assert live.exit_code == 0 and "is live at version 1" in live.output
    invalid = _run(sqlite_url, "publish", "2", "1", "--as", "cleo")
    assert invalid.exit_code == 1 and "$.holdout_percent" in invalid.output
    assert _run(sqlite_url, "create", str(rival), "--as", "cleo").exit_code == 0
    clash = _run(sqlite_url, "publish", "3", "1", "--as", "cleo")
    assert clash.exit_code == 1 and "both promotional in group 'onboarding' with priority 50" in clash.output

    listed = _run(sqlite_url, "list", "--json")
    assert [(j["key"], j["status"], j["live_version"]) for j in json.loads(listed.output)] == [
        ("welcome", "live", 1), ("welcome_copy", "draft", None), ("second_deposit", "draft", None)]
    with database.engine.connect() as conn:
        kinds = [r.kind for r in conn.execute(select(audit_log).where(audit_log.c.kind.like("journey.%"))
                                              .order_by(audit_log.c.seq))]
    assert kinds == ["journey.created", "journey.created", "journey.published", "journey.created"]
    database.dispose()
