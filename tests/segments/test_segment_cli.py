"""`croupier segments …` on a database: create (audited, needs segments.edit), list, show,
preview with the left-out reasons, and members as CSV."""

from __future__ import annotations

import json

from sqlalchemy import select
from typer.testing import CliRunner

from croupier.api import Runtime
from croupier.cli import _COMMAND_MODULES
from croupier.store.accounts import create_user
from croupier.store.schema import audit_log

from conftest import configure_registers, preset_registers

from .test_segment_api import bets


def _app():  # noqa: ANN202
    import importlib

    from croupier.cli.app import app

    for name in _COMMAND_MODULES:
        importlib.import_module(f"croupier.cli.{name}")
    return app


def test_the_segments_commands(sqlite_url: str, tmp_path) -> None:  # noqa: ANN001
    runtime = Runtime(sqlite_url)
    configure_registers(runtime.db, *preset_registers())   # the national register answers: nobody listed
    try:
        events = bets("ann", 6) + bets("bob", 2) + bets("dan", 7, consents={"email": False})
        result = runtime.ingest(json.dumps(events).encode())
        assert not result.rejected
        runtime.engine.flush()
        with runtime.db.engine.begin() as conn:
            create_user(conn, "cleo", "cleo-password-1", "crm_manager")
            create_user(conn, "sue", "sue-password-1", "support_agent")
    finally:
        runtime.close()
    app, cli = _app(), CliRunner()
    db = ["--db", sqlite_url]

    refused = cli.invoke(app, ["segments", "create", "--name", "x", "--text", "bet_count_30d >= 1", "--as", "sue", *db])
    assert refused.exit_code == 2 and "segments.edit" in refused.output
    bad = cli.invoke(app, ["segments", "preview", "--text", "bet_count_slots_30d >= 5 and depost_sum_30d > 1", *db])
    assert bad.exit_code == 2 and "line 1, column 30: unknown feature 'depost_sum_30d'" in bad.output

    made = cli.invoke(app, ["segments", "create", "--name", "Slots fans", "--text", "bet_count_slots_30d >= 5",
                            "--as", "cleo", *db])
    assert made.exit_code == 0, made.output
    listed = json.loads(cli.invoke(app, ["segments", "list", "--json", *db]).output)
    assert [(s["segment_id"], s["name"], s["purpose"]) for s in listed] == [(1, "Slots fans", "promotional")]
    shown = json.loads(cli.invoke(app, ["segments", "show", "1", "--json", *db]).output)
    assert shown["summary"].startswith("players whose slots bets in the last 30 days") and shown["versions"][0]["edited_by"] == "cleo"

    preview = json.loads(cli.invoke(app, ["segments", "preview", "--text", "bet_count_slots_30d >= 5", "--json",
                                          *db]).output)
    assert (preview["count"], preview["sample"], preview["left_out"]["total"]) == (1, ["ann"], 1)
    assert preview["left_out"]["by_reason"][0]["code"] == "no_consent"
    service = json.loads(cli.invoke(app, ["segments", "preview", "--text", "bet_count_slots_30d >= 5", "--purpose",
                                          "service", "--json", *db]).output)
    assert service["sample"] == ["ann", "dan"]

    out = tmp_path / "members.csv"
    written = cli.invoke(app, ["segments", "members", "1", "--out", str(out), *db])
    assert written.exit_code == 0, written.output
    assert out.read_text().splitlines() == ["player_id", "ann"]

    runtime = Runtime(sqlite_url)
    try:
        with runtime.db.reader.connect() as conn:
            [(kind, actor)] = conn.execute(select(audit_log.c.kind, audit_log.c.actor)
                                           .where(audit_log.c.kind.like("segment.%"))).all()
    finally:
        runtime.close()
    assert (kind, actor) == ("segment.created", "cleo")


def test_a_segment_goes_live_and_off_from_the_command_line(sqlite_url: str) -> None:
    """`croupier segments live ID --as USER` writes the activation to the log; a server's
    engine (here a runtime opened afterwards) follows it and its sweep takes the members in."""
    runtime = Runtime(sqlite_url)
    try:
        runtime.ingest(json.dumps(bets("ann", 6) + bets("bob", 2)).encode())
        with runtime.db.engine.begin() as conn:
            create_user(conn, "cleo", "cleo-password-1", "crm_manager")
    finally:
        runtime.close()
    app, cli, db = _app(), CliRunner(), ["--db", sqlite_url]
    assert cli.invoke(app, ["segments", "create", "--name", "Fans", "--text", "bet_count_slots_lifetime >= 5",
                            "--as", "cleo", *db]).exit_code == 0
    refused = cli.invoke(app, ["segments", "live", "1", "--as", "nobody", *db])
    assert refused.exit_code == 2 and "segments.edit" in refused.output
    assert cli.invoke(app, ["segments", "live", "9", "--as", "cleo", *db]).exit_code == 2
    made = cli.invoke(app, ["segments", "live", "1", "--as", "cleo", *db])
    assert made.exit_code == 0 and "live at version 1" in made.output, made.output
    assert "already" in cli.invoke(app, ["segments", "live", "1", "--as", "cleo", *db]).output
    runtime = Runtime(sqlite_url)
    try:
        runtime.engine.process_pending()          # reads the activation, then its idle tick sweeps
        assert {pid for pid, s in runtime.engine.states.items() if 1 in s.segments} == {"ann"}
    finally:
        runtime.close()
    off = cli.invoke(app, ["segments", "live", "1", "--off", "--as", "cleo", *db])
    assert off.exit_code == 0 and "switched off" in off.output
    runtime = Runtime(sqlite_url)
    try:
        with runtime.db.reader.connect() as conn:
            kinds = [k for (k,) in conn.execute(select(audit_log.c.kind).where(audit_log.c.kind.like("segment.%"))
                                                .order_by(audit_log.c.seq))]
    finally:
        runtime.close()
    assert kinds == ["segment.created", "segment.live", "segment.off"]
