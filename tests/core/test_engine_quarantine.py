"""Issue 7, point 8: one batch of large amounts stopped the engine from saving state, while
the API kept answering `processed: true`. Now amounts are bounded per currency at validation,
every total saturates instead of overflowing, an event that fails however often it is retried
is quarantined (kept in the log, reported, skipped, also by a replay) so every other player
keeps advancing, and a failure a retry may cure is named by GET /v1/health while `processed`
says false. The whole chain, on SQLite and PostgreSQL, with real failures."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from croupier.api import Runtime, create_app
from croupier.cli import _COMMAND_MODULES
from croupier.cli.app import app as cli
from croupier.players import micros
from croupier.players.state import DEP_N
from croupier.store import eventlog, open_database, quarantine
from croupier.store import states as state_store
from croupier.store.accounts import create_key
from croupier.store.schema import events
from croupier.store.upsert import TOTAL_MAX

from . import Script, body
from .test_engine_crash import SNAPSHOT_REFUSED

for _module in _COMMAND_MODULES:   # the commands register themselves on import
    __import__(f"croupier.cli.{_module}")

HUGE_CLF = "999999999999.9999"
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def ago(**kw: float) -> datetime:
    return NOW - timedelta(**kw)


def client(db_url: str, background: bool = False) -> TestClient:
    app = create_app(db_url, background=background)
    with app.state.runtime.db.engine.begin() as conn:
        token, _ = create_key(conn, "tests", ["ingest", "read"])
    c = TestClient(app)
    c.headers["Authorization"] = f"Bearer {token}"
    return c


def store_as_written(db_url: str, events: list[dict]) -> dict[str, int]:
    """Append events to the log exactly as given, without today's validation: what an older
    version (or another writer of the table) left there. Returns event_id -> log position."""
    db = open_database(db_url)
    rows = [(e["event_id"], e["player_id"], e["brand"], e["type"], micros(datetime.fromisoformat(e["occurred_at"])),
             micros(NOW), json.dumps(e)) for e in events]
    with db.engine.begin() as conn:
        stored = eventlog.append(conn, rows)
    db.dispose()
    return stored


def replay(db_url: str) -> str:
    result = CliRunner().invoke(cli, ["replay", "--db", db_url])
    assert result.exit_code == 0, result.output
    return result.output


def states_of(db_url: str, *players: str) -> dict[str, bytes]:
    db = open_database(db_url)
    with db.reader.connect() as conn:
        out = {pid: state_store.encode(s) for pid, s in state_store.load(conn, players).items()}
    db.dispose()
    return out


def test_a_batch_of_amounts_above_the_currency_maximum_is_rejected_per_event(app_client: TestClient):
    s = Script("whale", currency="CLF")
    batch = [s.deposit(ago(minutes=5), HUGE_CLF, tx=f"t{i}") for i in range(1000)]
    batch.append(s.deposit(ago(minutes=4), "9999999999.9999", tx="at-the-maximum"))
    answer = app_client.post("/v1/events", content=body(batch)).json()
    assert answer["accepted"] == 1 and answer["processed"] is True and len(answer["rejected"]) == 1000
    assert {(r["field"], r["value"], r["reason"]) for r in answer["rejected"]} == {
        ("amount", HUGE_CLF, "amount '999999999999.9999' is too large: the largest CLF amount is 9999999999.9999")}
    assert [r["index"] for r in answer["rejected"]] == list(range(1000))


def test_huge_totals_already_in_the_log_saturate_instead_of_stopping_the_engine(db_url: str):
    """1,000 deposits and 1,000 stakes of 999999999999.9999 CLF, accepted by a version without
    the bound: the day's totals pass 2**63 and one player's state passes msgpack's range. The
    engine saves them saturated (and says so); restart, the dashboard, search and replay work."""
    whale, other = Script("whale", currency="CLF"), Script("other", currency="CLF")
    history = [whale.registered(ago(hours=2)), other.registered(ago(hours=2))]
    history += [whale.deposit(ago(minutes=60), HUGE_CLF, tx=f"d{i}") for i in range(1000)]
    history += [whale.bet(ago(minutes=50), HUGE_CLF, f"b{i}") for i in range(1000)]
    history.append(other.deposit(ago(minutes=40), "25.0000"))
    store_as_written(db_url, history)

    with client(db_url) as api:
        api.app.state.runtime.engine.process_pending()
        api.app.state.runtime.engine.flush()
        health = api.get("/v1/health").json()
        assert health["status"] == "ok" and health["engine"]["quarantined_total"] == 0, health
        assert health["engine"]["advancing"] and health["engine"]["saved_cursor"] >= len(history)
        today = api.get("/v1/stats/dashboard").json()["today"]["CLF"]
        assert today["saturated"] == ["deposits", "stakes"] and today["deposit_count"] == 1001
        assert today["deposits"] == "922337203685477.5807"      # 2**63 - 1 minor units: the bound
        features = api.get("/v1/players/other").json()["features"]
        assert features["deposit_sum_lifetime"] == "25.0000"
    before = states_of(db_url, "whale", "other")

    with client(db_url) as api:   # a restart
        assert api.get("/v1/stats/dashboard").status_code == 200
        found = api.get("/v1/players", params={"q": "whale"})
        assert found.status_code == 200 and [p["player_id"] for p in found.json()["players"]] == ["whale"]
        assert api.get("/v1/players/whale").status_code == 200
    assert "replayed" in replay(db_url)
    assert states_of(db_url, "whale", "other") == before
    with client(db_url) as api:
        assert api.get("/v1/stats/dashboard").json()["today"]["CLF"]["deposits"] == "922337203685477.5807"


def test_an_event_that_fails_to_fold_is_quarantined_and_every_other_player_advances(db_url: str):
    a, b = Script("qa"), Script("qb")
    with client(db_url, background=True) as api:
        first = api.post("/v1/events", content=body([a.registered(ago(hours=3)), b.registered(ago(hours=3)),
                                                      a.deposit(ago(hours=2), "10.00"),
                                                      b.deposit(ago(hours=2), "20.00")])).json()
        assert first["processed"] is True
        # Two events in the log that no retry can process: a deposit with more decimals than EUR
        # has (it decodes, and fails to fold), and a stake sent as a JSON number (it does not decode).
        bad = [a.deposit(ago(hours=1), "10.001", tx="bad-decimals"),
               {**b.bet(ago(hours=1), "1.00", "bad-number"), "amount": 1.5}]
        positions = store_as_written(db_url, bad)

        later = api.post("/v1/events", content=body([a.deposit(ago(minutes=30), "5.00"),
                                                      b.deposit(ago(minutes=30), "7.00")])).json()
        assert later["accepted"] == 2 and later["processed"] is True, later
        assert api.get("/v1/players/qa").json()["features"]["deposit_count_lifetime"] == 2
        assert api.get("/v1/players/qb").json()["features"]["deposit_sum_lifetime"] == "27.00"

        listed = api.get("/v1/quarantine").json()["events"]
        assert [(q["seq"], q["event_id"], q["player_id"]) for q in listed] == [
            (positions[e["event_id"]], e["event_id"], e["player_id"]) for e in bad]
        assert "AmountError" in listed[0]["error"] and "10.001" in listed[0]["error"]
        assert "ValidationError" in listed[1]["error"]
        health = api.get("/v1/health").json()
        assert health["status"] == "ok" and health["engine"]["advancing"] is True
        assert health["engine"]["quarantined_total"] == 2 and health["engine"]["failures_total"] >= 2
        assert health["engine"]["last_quarantined"]["event_id"] == bad[1]["event_id"]
        assert health["engine"]["cursor"] >= positions[bad[1]["event_id"]] + 2   # past the later batch

        # A rollback of an event the engine set aside finds nothing to undo: it was never counted.
        answer = api.post("/v1/events", content=body([a.rollback(ago(minutes=20), bad[0])])).json()
        assert answer["processed"] is True
    before = states_of(db_url, "qa", "qb")

    with client(db_url) as api:   # a restart
        assert api.get("/v1/stats/dashboard").status_code == 200
        assert api.get("/v1/players").status_code == 200
        assert api.get("/v1/players/qa").json()["features"]["deposit_sum_lifetime"] == "15.00"
        assert api.get("/v1/health").json()["engine"]["quarantined_total"] == 2
    replay(db_url)
    assert states_of(db_url, "qa", "qb") == before   # the replay skipped them the same way
    with client(db_url) as api:
        assert len(api.get("/v1/quarantine").json()["events"]) == 2


def refuse_snapshots(db) -> None:  # noqa: ANN001
    with db.engine.begin() as conn:
        allow_snapshots(db, conn)   # the crash tests may leave the function in the session's database
        for sql in SNAPSHOT_REFUSED[conn.dialect.name]:
            conn.exec_driver_sql(sql)


def allow_snapshots(db, conn=None) -> None:  # noqa: ANN001
    sql = ("DROP TRIGGER IF EXISTS test_snapshot_refused" if db.is_sqlite
           else "DROP FUNCTION IF EXISTS test_snapshot_fn() CASCADE")
    if conn is not None:
        conn.exec_driver_sql(sql)
        return
    with db.engine.begin() as own:
        own.exec_driver_sql(sql)


def test_a_database_that_refuses_the_snapshot_is_a_stall_that_health_names(db_url: str):
    """A failure a retry may cure quarantines nothing: the engine retries, GET /v1/health says
    it is degraded and why, and `processed` is false until a snapshot is saved again."""
    s = Script("st")
    with client(db_url) as api:
        runtime: Runtime = api.app.state.runtime
        runtime.engine.snapshot_seconds = 3600   # snapshots only when this test asks for one
        assert api.post("/v1/events", content=body([s.registered(ago(hours=1))])).json()["processed"] is True
        refuse_snapshots(runtime.db)
        try:
            api.post("/v1/events", content=body([s.deposit(ago(minutes=50), "1.00")]))
            with pytest.raises(Exception, match="snapshot write refused"):
                runtime.engine.flush()
            health = api.get("/v1/health").json()
            assert health["status"] == "degraded" and health["engine"]["advancing"] is False
            assert health["engine"]["stalled"]["stage"] == "snapshot"
            assert "snapshot write refused" in health["engine"]["stalled"]["cause"]
            assert health["engine"]["quarantined_total"] == 0
            answer = api.post("/v1/events", content=body([s.deposit(ago(minutes=40), "2.00")])).json()
            assert answer["accepted"] == 1 and answer["processed"] is False
            assert api.get("/v1/players").status_code == 200     # reads answer from the last saved snapshot
        finally:
            allow_snapshots(runtime.db)
        runtime.engine.process_pending()
        runtime.engine.flush()
        assert api.get("/v1/health").json()["status"] == "ok"
        assert api.post("/v1/events", content=body([s.deposit(ago(minutes=30), "3.00")])).json()["processed"] is True
        assert api.get("/v1/players/st").json()["features"]["deposit_sum_lifetime"] == "6.00"
        assert api.get("/v1/quarantine").json()["events"] == []


def test_totals_saturate_at_the_bound_and_stay_there():
    from croupier.store.upsert import clamp, saturated

    assert clamp(10**30) == TOTAL_MAX and clamp(-10**30) == -TOTAL_MAX and clamp(5) == 5
    assert saturated(TOTAL_MAX) and not saturated(TOTAL_MAX - 1)


def test_a_failure_that_names_no_event_is_narrowed_by_halving(db_url: str):
    """A failure after the fold (here a protection hook, the engine's after-batch extension
    point, that cannot handle one event) names no event: the engine halves the failing range,
    snapshotting the parts that succeed, down to the one event, and quarantines only that."""
    players = [Script(f"h{i}") for i in range(8)]
    history = [p.registered(ago(hours=2)) for p in players]
    history += [p.deposit(ago(minutes=90 - n), f"{n + 1}.00") for n in range(5) for p in players]
    culprit = history[23]["event_id"]

    def refuses_one(engine, items):  # noqa: ANN001, ANN202
        if any(e.event_id == culprit for _, e, _ in items):
            raise ValueError(f"cannot handle {culprit}")

    runtime = Runtime(db_url)
    try:
        runtime.engine.snapshot_seconds = 3600   # no snapshot from inside the batch's own hooks
        runtime.engine.after_batch.append(refuses_one)
        answer = runtime.ingest(body(history))
        assert answer.accepted == len(history) and answer.processed is True, (runtime.engine.stall,
                                                                              runtime.engine.cursor)
        with runtime.db.reader.connect() as conn:
            [record] = quarantine.listing(conn)
        assert record["event_id"] == culprit and record["error"] == f"ValueError: cannot handle {culprit}"
        with runtime.db.reader.connect() as conn:   # (register checks may append facts meanwhile)
            last = conn.execute(select(events.c.seq).where(events.c.event_id == history[-1]["event_id"])).scalar_one()
        assert runtime.engine.cursor >= last
        sums = {p.player_id: runtime.engine.state_of(p.player_id).life for p in players}
        left_out = history[23]["player_id"]
        assert all(life[DEP_N] == (4 if pid == left_out else 5) for pid, life in sums.items()), sums
    finally:
        runtime.close()
