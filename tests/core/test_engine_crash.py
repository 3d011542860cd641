"""The engine's transaction fails after ingest acknowledged the batch (a real database error,
injected with a trigger that refuses the N-th audit insert of a transaction). Whether the
process restarts or the same engine retries, nothing is lost or doubled: states equal an
uninterrupted run's, and the audit log and outbox hold every decision exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from croupier.api import Runtime
from croupier.store import audit as audit_store

from . import Script, body, decisions_by_subject, snapshot, stored_ids, without_log_positions

SQLITE_TRIGGER = [
    "CREATE TABLE test_crash (n INTEGER NOT NULL)",
    "INSERT INTO test_crash VALUES (0)",
    """CREATE TRIGGER test_crash_audit BEFORE INSERT ON audit_log BEGIN
         UPDATE test_crash SET n = n + 1;
         SELECT RAISE(ABORT, 'injected crash: audit insert refused') WHERE (SELECT n FROM test_crash) >= 2;
       END""",
]
POSTGRES_TRIGGER = [
    "CREATE TABLE test_crash (n INTEGER NOT NULL)",
    "INSERT INTO test_crash VALUES (0)",
    """CREATE FUNCTION test_crash_fn() RETURNS trigger AS $$ BEGIN
         UPDATE test_crash SET n = n + 1;
         IF (SELECT n FROM test_crash) >= 2 THEN RAISE EXCEPTION 'injected crash: audit insert refused'; END IF;
         RETURN NEW; END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER test_crash_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION test_crash_fn()",
]


def arm(db) -> None:  # noqa: ANN001
    """The counter update is rolled back with the failing transaction, so every transaction
    that inserts two or more audit records fails at its second."""
    with db.engine.begin() as conn:
        for sql in (SQLITE_TRIGGER if db.is_sqlite else POSTGRES_TRIGGER):
            conn.exec_driver_sql(sql)


def disarm(db) -> None:  # noqa: ANN001
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS test_crash_audit" + ("" if db.is_sqlite else " ON audit_log"))
        if not db.is_sqlite:
            conn.exec_driver_sql("DROP FUNCTION IF EXISTS test_crash_fn()")
        conn.exec_driver_sql("DROP TABLE IF EXISTS test_crash")


def batches() -> list[list[dict]]:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    ago = lambda **kw: now - timedelta(**kw)  # noqa: E731
    a, b, c = Script("ca"), Script("cb"), Script("cc")
    first = [a.registered(ago(minutes=30)), a.deposit(ago(minutes=29), "10.00"),
             a.bet(ago(minutes=28), "1.00", "a1")]
    # Every registration and first deposit here is a decision: four in one engine batch.
    second = [b.registered(ago(minutes=20)), b.deposit(ago(minutes=19), "20.00"),
              b.bet(ago(minutes=18), "2.00", "b1"), a.bet(ago(minutes=17), "3.00", "a2"),
              c.registered(ago(minutes=16)), c.deposit(ago(minutes=15), "5.00"),
              a.deposit(ago(minutes=14), "7.00")]
    third = [a.win(ago(minutes=10), "4.00", "a2"), b.rollback(ago(minutes=9), second[2]),
             c.bet(ago(minutes=8), "1.00", "c1")]
    return [first, second, third]


def uninterrupted(tmp_path, history: list[list[dict]]) -> dict:  # noqa: ANN001
    runtime = Runtime(f"sqlite:///{tmp_path / 'reference.db'}")
    try:
        for batch in history:
            runtime.ingest(body(batch))
        runtime.engine.flush()
        return snapshot(runtime.db)
    finally:
        runtime.close()


def assert_nothing_lost_or_doubled(runtime: Runtime, reference: dict) -> None:
    runtime.engine.flush()
    after = snapshot(runtime.db)
    assert without_log_positions(after["states"]) == without_log_positions(reference["states"])
    subjects = [s for s, _ in after["audit"]]
    assert len(subjects) == len(set(subjects)), "a decision was audited twice"
    assert decisions_by_subject(after["audit"]) == decisions_by_subject(reference["audit"])
    assert after["outbox"] == reference["outbox"]
    with runtime.db.engine.connect() as conn:
        assert audit_store.verify(conn)[1] == []


def crash_during_second_batch(db_url: str, history: list[list[dict]]) -> Runtime:
    runtime = Runtime(db_url)
    runtime.ingest(body(history[0]))
    arm(runtime.db)
    result = runtime.ingest(body(history[1]))
    # acknowledged = durably stored: the answer says the engine has not processed it yet
    assert result.accepted == len(history[1]) and result.processed is False
    assert result.as_dict()["processed"] is False
    ids = stored_ids(runtime.db)
    assert sorted(ids) == sorted(e["event_id"] for e in history[0] + history[1])
    disarm(runtime.db)
    return runtime


def test_a_restarted_engine_loses_and_doubles_nothing(db_url, tmp_path):
    history = batches()
    reference = uninterrupted(tmp_path, history)
    crashed = crash_during_second_batch(db_url, history)
    # The process dies: no snapshot, no lease hand-over; its connections just go away.
    crashed._stop.set()
    crashed.db.dispose()
    with crashed.db.engine.begin() as conn:   # the dead engine's lease runs out
        conn.execute(sa.text("UPDATE engine_cursor SET lease_until_us = 0"))
    restarted = Runtime(db_url)
    try:
        restarted.engine.process_pending()
        restarted.ingest(body(history[2]))
        assert_nothing_lost_or_doubled(restarted, reference)
    finally:
        restarted.close()


def test_the_same_engine_retrying_loses_and_doubles_nothing(db_url, tmp_path):
    """What Runtime's background loop does after a failed tick: process_pending again."""
    history = batches()
    reference = uninterrupted(tmp_path, history)
    runtime = crash_during_second_batch(db_url, history)
    try:
        runtime.engine.process_pending()
        runtime.ingest(body(history[2]))
        assert_nothing_lost_or_doubled(runtime, reference)
    finally:
        runtime.close()


SNAPSHOT_REFUSED = {
    "sqlite": ["""CREATE TRIGGER test_snapshot_refused BEFORE INSERT ON player_state BEGIN
                    SELECT RAISE(ABORT, 'injected: snapshot write refused'); END"""],
    "postgresql": ["""CREATE FUNCTION test_snapshot_fn() RETURNS trigger AS $$ BEGIN
                        RAISE EXCEPTION 'injected: snapshot write refused'; END $$ LANGUAGE plpgsql""",
                   "CREATE TRIGGER test_snapshot_refused BEFORE INSERT ON player_state FOR EACH ROW "
                   "EXECUTE FUNCTION test_snapshot_fn()"],
}


def test_a_failed_snapshot_loses_and_doubles_nothing(db_url, tmp_path):
    """The snapshot is encoded under the engine lock and written after it is released; when
    that write fails, the engine forgets everything since its last snapshot and reads it
    again from the log, so the next snapshot holds exactly an uninterrupted run's states."""
    history = batches()
    reference = uninterrupted(tmp_path, history)
    runtime = Runtime(db_url)
    runtime.engine.snapshot_seconds = 3600   # snapshots only when the test asks, however slow the machine
    try:
        runtime.ingest(body(history[0]))
        runtime.engine.flush()
        with runtime.db.engine.begin() as conn:
            for sql in SNAPSHOT_REFUSED[conn.dialect.name]:
                conn.exec_driver_sql(sql)
        runtime.ingest(body(history[1]))
        with pytest.raises(Exception, match="snapshot write refused"):   # the driver's own error
            runtime.engine.flush()
        assert runtime.engine.cursor == runtime.engine.snapshot_cursor and not runtime.engine.states
        with runtime.db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER test_snapshot_refused" + ("" if runtime.db.is_sqlite else " ON player_state"))
        runtime.ingest(body(history[2]))   # not contiguous with the cursor: read from the log
        assert_nothing_lost_or_doubled(runtime, reference)
    finally:
        runtime.close()
