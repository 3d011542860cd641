"""Journeys in the engine: published over the API (a fact in the log), run in the engine's
fold for every event, their waits ended by timer facts in the log, every message through
the compliance gate (audited), every journey decision recorded with its reason, staff tasks
created once, and a replay that reproduces it all without doing anything twice. The issue's
stale-trigger case end to end: a player deposits, gets the welcome sequence, deposits again
two days later, and does not get "we miss you" that afternoon."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select

from conftest import EventFactory
from croupier.journeys.engine_shell import RECORD, write_due
from croupier.journeys import to_builtins
from croupier.players import micros
from croupier.store.accounts import create_key, create_user
from croupier.store.schema import audit_log, events as events_table, staff_tasks
from tests.journeys.test_interpreter import WE_MISS_YOU

NOW = datetime.now(timezone.utc).replace(microsecond=0)
# The first deposit, three days ago at 09:00 UTC: every message of the test falls outside the
# contact policy's quiet hours (21:00-09:00 in the players' Stockholm), whatever time it runs.
T0 = (NOW - timedelta(days=3)).replace(hour=9, minute=0, second=0)


@pytest.fixture
def staff(app_client):  # noqa: ANN001, ANN201
    runtime = app_client.app.state.runtime
    with runtime.db.engine.begin() as conn:
        create_user(conn, "cleo", "cleo-password-1", "crm_manager")
        token, _ = create_key(conn, "crm tool", ["admin"])
    return app_client, {"Authorization": f"Bearer {token}", "X-Croupier-Actor": "cleo"}


def _publish(client: Any, headers: dict[str, str], definition: dict[str, Any]) -> int:
    made = client.post("/v1/journeys", headers=headers, json={"definition": definition})
    assert made.status_code == 201, made.text
    jid = made.json()["journey_id"]
    published = client.post(f"/v1/journeys/{jid}/publish", headers=headers, json={"version": 1})
    assert published.status_code == 200, published.text
    return jid


def _deposit(ev: EventFactory, at: datetime, tx: str) -> dict[str, Any]:
    return ev("payment.deposit", at - NOW, transaction_id=tx, amount="20.00", currency="SEK", status="approved",
              method="card")


def _decisions(client: Any, player_id: str) -> list[tuple[str, bool]]:
    with client.app.state.runtime.db.reader.connect() as conn:
        rows = conn.execute(select(audit_log.c.body).where(audit_log.c.kind == "gate.decision",
                                                           audit_log.c.player_id == player_id)
                            .order_by(audit_log.c.seq)).all()
    return [(b["name"], b["allowed"]) for b in (json.loads(r[0]) for r in rows) if b["params"].get("journey")]


def _records(client: Any, player_id: str) -> list[dict[str, Any]]:
    with client.app.state.runtime.db.reader.connect() as conn:
        rows = conn.execute(select(audit_log.c.body).where(audit_log.c.kind == RECORD,
                                                           audit_log.c.player_id == player_id)
                            .order_by(audit_log.c.seq)).all()
    return [json.loads(r[0]) for r in rows]


def test_a_second_deposit_stops_we_miss_you_and_a_quiet_player_gets_it(staff) -> None:  # noqa: ANN001
    client, headers = staff
    _publish(client, headers, to_builtins(WE_MISS_YOU))
    engine = client.app.state.runtime.engine
    again, quiet = EventFactory(player_id="again"), EventFactory(player_id="quiet")
    events = [again.registered(T0 - NOW - timedelta(hours=1)), quiet.registered(T0 - NOW - timedelta(hours=1)),
              _deposit(again, T0, "a1"), _deposit(quiet, T0, "q1"),
              _deposit(again, T0 + timedelta(days=2, hours=1), "a2")]      # Wednesday 10:00
    answer = client.post("/v1/events", content=json.dumps(events))
    assert answer.status_code == 200 and not answer.json()["rejected"], answer.text
    assert [n for n, _ in _decisions(client, "again")] == [n for n, _ in _decisions(client, "quiet")] == \
        ["first_deposit_thanks"]
    due = engine.states["quiet"].journeys.runs["first_deposit_welcome"].until_us    # Wednesday 14:00
    assert due == engine.states["again"].journeys.runs["first_deposit_welcome"].until_us
    assert abs(due - micros(T0 + timedelta(days=2, hours=5))) < 60_000_000
    assert write_due(engine, due - 1) == 0                                 # not yet
    assert write_due(engine, due) == 2                                     # both players' waits end
    assert [n for n, _ in _decisions(client, "again")] == ["first_deposit_thanks"]
    assert [n for n, _ in _decisions(client, "quiet")] == ["first_deposit_thanks", "we_miss_you"]
    skipped = [r for r in _records(client, "again") if r["kind"] == "skipped"]
    assert [(r["step"], r["reason"]) for r in skipped] == [("miss-you", "when_false:days_since_last_deposit >= 2")]
    assert "does not hold for the player now" in skipped[0]["words"]
    kinds = [r["kind"] for r in _records(client, "again")]
    assert kinds[0] == "entered" and "refused" not in kinds   # the second deposit is no first deposit: not the trigger
    with client.app.state.runtime.db.reader.connect() as conn:
        timers = conn.execute(select(events_table.c.player_id).where(
            events_table.c.type == "croupier.journey_timer")).all()
    assert sorted(t[0] for t in timers) == ["again", "quiet"]
    assert write_due(engine, due + 10**9) == 0                             # each timer once

    # A replay folds the same journeys from the log: same states, nothing audited twice.
    engine.flush()
    with client.app.state.runtime.db.reader.connect() as conn:
        audited = conn.execute(select(audit_log.c.kind, audit_log.c.subject).order_by(audit_log.c.seq)).all()
    before = {pid: s.journeys for pid, s in engine.states.items()}
    engine.reset()
    engine.process_pending(max_events=10**9)
    assert {pid: s.journeys for pid, s in engine.states.items()} == before
    with client.app.state.runtime.db.reader.connect() as conn:
        assert conn.execute(select(audit_log.c.kind, audit_log.c.subject).order_by(audit_log.c.seq)).all() == audited


def test_a_task_step_creates_one_task_and_pausing_stops_new_entries(staff) -> None:  # noqa: ANN001
    client, headers = staff
    vip = {"key": "vip_call", "name": "VIP call", "version": 1, "purpose": "service",
           "trigger": {"kind": "event", "event": "payment.deposit", "condition": 'event.status = "approved"'},
           "steps": [{"kind": "task", "id": "call", "queue": "vip_host", "title": "Call the player"},
                     {"kind": "tag", "id": "mark", "tag": "vip_called"},
                     {"kind": "exit", "id": "done"}],
           "reentry": {"policy": "never"}}
    jid = _publish(client, headers, vip)
    ev = EventFactory(player_id="whale")
    body = [ev.registered(timedelta(days=-2)), _deposit(ev, NOW - timedelta(hours=1), "w1")]
    assert client.post("/v1/events", content=json.dumps(body)).status_code == 200
    assert client.post("/v1/events", content=json.dumps(body)).status_code == 200    # the same again: no new task
    with client.app.state.runtime.db.reader.connect() as conn:
        tasks = conn.execute(select(staff_tasks.c.player_id, staff_tasks.c.queue, staff_tasks.c.source_id)).all()
    assert [tuple(t) for t in tasks] == [("whale", "vip_host", "vip_call/v1/call")]
    assert "vip_called" in client.app.state.runtime.engine.states["whale"].tags
    assert client.post(f"/v1/journeys/{jid}/pause", headers=headers).status_code == 200
    other = EventFactory(player_id="minnow")
    client.post("/v1/events", content=json.dumps([other.registered(timedelta(days=-1)),
                                                  _deposit(other, NOW - timedelta(minutes=5), "m1")]))
    with client.app.state.runtime.db.reader.connect() as conn:
        assert conn.execute(select(staff_tasks.c.player_id)).scalars().all() == ["whale"]
