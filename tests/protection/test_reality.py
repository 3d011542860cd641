"""Reality checks and session limits: facts at the jurisdiction's (or the player's) interval,
the session ended at its limit (the jurisdiction's or the player's session-time limit), and
never a duplicate when the timer runs again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from croupier.api import create_app
from croupier.events import LimitSet
from croupier.ingest.facts import append_facts
from croupier.protection.exclusions_hook import tick
from croupier.protection.reality import Timer, due_reality_checks
from croupier.store.accounts import create_key
from croupier.store.schema import events as events_table, session_timers

from . import event, make_runtime, now, registration, send

MIN = 60_000_000


def test_checks_fall_due_at_each_interval_once_and_the_limit_ends_the_session():
    timer = Timer("p1", "s1", "aurora", started_us=0)
    assert due_reality_checks(timer, 60, None, 59 * MIN)[0] == []
    facts, done, ended = due_reality_checks(timer, 60, None, 61 * MIN)
    assert [f.elapsed_minutes for f in facts] == [60] and done == 1 and not ended
    assert due_reality_checks(Timer("p1", "s1", "aurora", 0, checks_done=1), 60, None, 61 * MIN)[0] == []
    late, done, _ = due_reality_checks(Timer("p1", "s1", "aurora", 0, checks_done=1), 60, None, 185 * MIN)
    assert [f.elapsed_minutes for f in late] == [180] and done == 3     # one prompt, not a burst
    end, _, ended = due_reality_checks(timer, 30, 90, 91 * MIN)
    assert ended and end[0].session_ended and end[0].elapsed_minutes == 90
    assert end[0].event_id == due_reality_checks(timer, 30, 90, 500 * MIN)[0][0].event_id
    assert facts[0].event_id == due_reality_checks(timer, 60, None, 62 * MIN)[0][0].event_id


@pytest.fixture
def runtime(db_url):  # noqa: ANN001, ANN201
    runtime = make_runtime(db_url)
    yield runtime
    runtime.close()


def reality_facts(runtime, player_id: str) -> list:  # noqa: ANN001
    import json

    with runtime.db.engine.connect() as conn:
        rows = conn.execute(select(events_table.c.payload).where(
            events_table.c.type == "croupier.reality_check", events_table.c.player_id == player_id)
            .order_by(events_table.c.seq)).scalars().all()
    return [json.loads(r) for r in rows]


def start_session(runtime, player_id: str, brand: str, minutes_ago: int, session_id: str = "s1") -> None:  # noqa: ANN001
    send(runtime, event("session.started", player_id, brand, now() - timedelta(minutes=minutes_ago),
                        session_id=session_id))


def test_the_jurisdictions_interval_raises_reality_checks_without_duplicates(runtime):
    send(runtime, registration("r1", "aurora", "SE"))
    start_session(runtime, "r1", "aurora", 61)
    tick(runtime.engine, force=True)
    tick(runtime.engine, force=True)
    facts = reality_facts(runtime, "r1")
    assert [(f["session_id"], f["elapsed_minutes"], f.get("session_ended", False)) for f in facts] == [("s1", 60, False)]
    assert runtime.engine.state_of("r1").protection.reality_checks == 1
    # a crash between the fact and the timer update: the same fact id is deduplicated
    with runtime.db.engine.begin() as conn:
        conn.execute(session_timers.update().values(checks_done=0))
    tick(runtime.engine, force=True)
    assert len(reality_facts(runtime, "r1")) == 1
    tick(runtime.engine, now() + timedelta(minutes=60), force=True)
    assert [f["elapsed_minutes"] for f in reality_facts(runtime, "r1")] == [60, 120]


def test_the_session_limit_ends_the_session_once(runtime):
    send(runtime, registration("d1", "aurora", "DE"))
    start_session(runtime, "d1", "aurora", 95)
    tick(runtime.engine, force=True)
    tick(runtime.engine, now() + timedelta(minutes=30), force=True)
    facts = reality_facts(runtime, "d1")
    assert [(f["elapsed_minutes"], f.get("session_ended", False)) for f in facts] == [(90, True)]
    with runtime.db.engine.connect() as conn:
        assert conn.execute(select(session_timers)).all() == []


def test_the_players_session_time_limit_ends_the_session_sooner(runtime):
    send(runtime, registration("l1", "aurora", "SE"))
    limit = LimitSet(event_id="limit-l1", player_id="l1", brand="aurora", occurred_at=now() - timedelta(days=2),
                     kind="session_time", period="day", minutes=45, effective_at=now() - timedelta(days=2))
    with runtime.db.engine.begin() as conn:
        stored = append_facts(conn, [limit])
    runtime.engine.submit(stored)
    start_session(runtime, "l1", "aurora", 50)
    tick(runtime.engine, force=True)
    assert [(f["elapsed_minutes"], f.get("session_ended")) for f in reality_facts(runtime, "l1")] == [(45, True)]


def test_a_player_chosen_interval_where_the_rules_let_them_choose(runtime):
    app = create_app(runtime=runtime, background=False, web=False)
    with runtime.db.engine.begin() as conn:
        token, _ = create_key(conn, "tests", ["ingest", "read"])
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {token}"
    send(runtime, registration("g1", "aurora", "GB"), registration("s9", "aurora", "SE"))
    for pid in ("g1", "s9"):
        assert client.put(f"/v1/players/{pid}/reality-check", json={"interval_minutes": 20}).status_code == 200
        start_session(runtime, pid, "aurora", 41)
    assert client.put("/v1/players/g1/reality-check", json={"interval_minutes": 1}).status_code == 422
    tick(runtime.engine, force=True)
    assert [f["elapsed_minutes"] for f in reality_facts(runtime, "g1")] == [40]
    assert reality_facts(runtime, "s9") == []          # SE mandates its own hourly interval


def test_an_ended_session_raises_nothing(runtime):
    send(runtime, registration("e1", "aurora", "SE"))
    start_session(runtime, "e1", "aurora", 61)
    send(runtime, event("session.ended", "e1", "aurora", session_id="s1"))
    tick(runtime.engine, force=True)
    assert reality_facts(runtime, "e1") == []
