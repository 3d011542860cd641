"""An approval places the version in the event log (`croupier.config_activated`), so which
version folded and decided an event depends on its log position: live, after a restart and
in replay alike."""

from __future__ import annotations

import json
import time

import sqlalchemy as sa
from sqlalchemy import select

from croupier.compliance import config_store
from croupier.events import CONFIG_STREAM, ConfigActivated, decode_stored
from croupier.players import EngineConfig
from croupier.store import open_database
from croupier.store.schema import events

from .conftest import decisions, ingest, se_player


def _activations(db) -> list[tuple[int, ConfigActivated]]:  # noqa: ANN001
    with db.reader.connect() as conn:
        rows = conn.execute(select(events.c.seq, events.c.payload).where(events.c.player_id == CONFIG_STREAM)
                            .order_by(events.c.seq)).all()
    return [(seq, decode_stored(payload)) for seq, payload in rows]  # type: ignore[misc]


def test_an_approval_is_a_fact_in_the_log_and_decisions_switch_at_its_position(config_app, as_staff) -> None:  # noqa: ANN001
    runtime = config_app.state.runtime
    start = runtime.config.version
    ingest(config_app, [se_player("se-log-before", 19)])
    version = as_staff("cleo").post("/v1/config/versions", {"patch": {"jurisdictions": {"SE": {"min_age": 20}}},
                                                            "comment": "SE 20+"}).json()["version"]
    assert _activations(runtime.db) == []                       # proposing changes nothing in the log
    assert as_staff("otto").post(f"/v1/config/versions/{version}/approve", {"comment": "ok"}).status_code == 200
    [(seq, fact)] = _activations(runtime.db)
    assert (fact.version, fact.previous_version, fact.actor, fact.proposed_by, fact.reason) == (
        version, start, "otto", "cleo", "ok")
    assert runtime.engine.cursor >= seq and runtime.engine.config.version == version
    ingest(config_app, [se_player("se-log-after", 19)])
    assert [d["config_version"] for d in decisions(config_app, "se-log-before")] == [start]
    assert [(d["config_version"], d["reasons"]) for d in decisions(config_app, "se-log-after")] == [
        (version, ["under_age:19<20"])]
    # an approval is logged once however the engine retries: the fact's id names the stored row
    with runtime.db.engine.connect() as conn:
        row_seq = config_store.get_version(conn, version).seq
    assert fact.event_id == f"config:{row_seq}:{version}"


def test_a_database_approved_before_activations_were_logged_gets_its_fact_on_upgrade(sqlite_url: str) -> None:
    from croupier.engine import Engine

    db = open_database(sqlite_url)
    now_us = time.time_ns() // 1000
    with db.engine.begin() as conn:
        version = config_store.propose(conn, actor="cleo", in_force=EngineConfig(), now_us=now_us,
                                       patch={"stale_after_minutes": 20}).version_id
        config_store.approve(conn, version, actor="otto", role="compliance_officer", in_force=EngineConfig(),
                             now_us=now_us)
        # as the database stood before revision 0011: the approval, and no fact in the log
        conn.execute(events.delete().where(events.c.player_id == CONFIG_STREAM))
        for column in ("players.risk_bp",                                                          # 0016
                       "staff_users.time_zone", "staff_users.locale", "audit_log.recorded_at_us"):   # 0014
            table, name = column.split(".")
            conn.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {name}"))
        for table in ("staff_tasks",                                                                # 0019
                      "journey_versions", "journeys",                                               # 0018
                      "segment_versions", "segments",                                               # 0017
                      "rg_models", "engine_quarantine", "config_shadow_diffs", "config_shadows"):   # 0015, 0013, 0012
            conn.execute(sa.text(f"DROP TABLE {table}"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0006' WHERE version_num = '0019_staff_tasks'"))
    db.dispose()
    db = open_database(sqlite_url)                              # upgrades
    try:
        [(_, fact)] = _activations(db)
        assert fact.version == version and fact.actor == "otto"
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"staff_tasks", "journeys", "journey_versions", "segments", "segment_versions", "rg_models"} <= tables
        engine = Engine(db, EngineConfig())
        engine.process_pending()
        assert engine.config.version == version
        engine.close()
    finally:
        db.dispose()


def test_the_shadow_window_leaves_configuration_facts_out(config_app, as_staff) -> None:  # noqa: ANN001
    ingest(config_app, [se_player("se-w1", 30)])
    first = as_staff("cleo").post("/v1/config/versions", {"patch": {"stale_after_minutes": 30}}).json()["version"]
    as_staff("otto").post(f"/v1/config/versions/{first}/approve")
    second = as_staff("cleo").post("/v1/config/versions", {"patch": {"stale_after_minutes": 45}}).json()["version"]
    report = as_staff("otto").post(f"/v1/config/versions/{second}/shadow", {"last_events": 10}).json()
    # the registration and its register check (a fact of the player); no configuration fact
    assert report["window"]["players"] == 1 and report["window"]["events"] == 2
    assert json.dumps(report).count(CONFIG_STREAM) == 0
