"""The journey triggers no event of the player's makes, through the real engine: a schedule
fires at its instant for the segment's members only, once, and again at the next instant
(a restart between neither doubles nor loses it, and instants missed while down fire once);
a birthday fires at 09:00 in each player's own time zone; a lifecycle stage change (one an
event makes and one time alone makes) and the safer-play template on an RG level change
enter players; a replay reproduces every entry without doing anything twice. The clock is
the moment handed to the scheduler, as the journey timer tests hand it to `write_due`."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from conftest import EventFactory
from croupier.journeys import from_json, template, to_builtins
from croupier.journeys.engine_shell import RECORD
from croupier.journeys.scheduler import run_due, scheduler_of
from croupier.journeys.timing import next_date, next_run
from croupier.players import micros, moment
from croupier.segments import parse_valid, to_json, to_text
from croupier.segments.realtime import go_live
from croupier.store import segments as segment_store
from croupier.store.schema import audit_log, events as events_table
from tests.journeys.test_engine_journeys import _publish, staff  # noqa: F401 - the fixture

NOW = datetime.now(timezone.utc).replace(microsecond=0)
HOUR = 3_600_000_000
DAY = 24 * HOUR


def _entries(client: Any, key: str) -> list[tuple[str, int]]:
    """(player, at_us) of every entry into the journey `key`, in audit order."""
    with client.app.state.runtime.db.reader.connect() as conn:
        rows = conn.execute(select(audit_log.c.player_id, audit_log.c.body).where(audit_log.c.kind == RECORD)
                            .order_by(audit_log.c.seq)).all()
    return [(pid, json.loads(b)["entry_id"]) for pid, b in rows
            if json.loads(b)["journey"] == key and json.loads(b)["kind"] == "entered"]


def _facts(client: Any, type_: str) -> list[tuple[str, dict[str, Any]]]:
    with client.app.state.runtime.db.reader.connect() as conn:
        rows = conn.execute(select(events_table.c.player_id, events_table.c.payload)
                            .where(events_table.c.type == type_).order_by(events_table.c.seq)).all()
    return [(pid, json.loads(p)) for pid, p in rows]


def _post(client: Any, events: list[dict[str, Any]]) -> None:
    answer = client.post("/v1/events", content=json.dumps(events))
    assert answer.status_code == 200 and not answer.json()["rejected"], answer.text


def _deposit(ev: EventFactory, at: timedelta, tx: str) -> dict[str, Any]:
    return ev("payment.deposit", at, transaction_id=tx, amount="20.00", currency="SEK", status="approved",
              method="card")


def _live_segment(client: Any, text: str) -> int:
    runtime = client.app.state.runtime
    node = parse_valid(text)
    with runtime.db.engine.begin() as conn:
        segment = segment_store.create(conn, name="depositors", description="", purpose="promotional",
                                       definition=to_json(node).decode(), text=to_text(node), actor="tests",
                                       now_us=micros(NOW))
        stored = go_live(conn, segment, actor="tests", now_us=micros(NOW))
    runtime.engine.submit(stored)
    return segment.segment_id


def _replays_the_same(client: Any) -> None:
    """A replay from the start folds the same journeys and audits nothing again."""
    engine = client.app.state.runtime.engine
    engine.flush()
    with client.app.state.runtime.db.reader.connect() as conn:
        audited = conn.execute(select(audit_log.c.kind, audit_log.c.subject).order_by(audit_log.c.seq)).all()
        logged = conn.execute(select(events_table.c.event_id).order_by(events_table.c.seq)).scalars().all()
    before = {pid: (s.journeys, s.stage, s.tags) for pid, s in engine.states.items()}
    engine.reset()
    engine.process_pending(max_events=10**9)
    assert {pid: (s.journeys, s.stage, s.tags) for pid, s in engine.states.items()} == before
    with client.app.state.runtime.db.reader.connect() as conn:
        assert conn.execute(select(audit_log.c.kind, audit_log.c.subject).order_by(audit_log.c.seq)).all() == audited
        assert conn.execute(select(events_table.c.event_id).order_by(events_table.c.seq)).scalars().all() == logged


def test_a_schedule_fires_for_the_segment_once_per_instant_across_restarts(staff) -> None:  # noqa: ANN001, F811
    client, headers = staff
    engine = client.app.state.runtime.engine
    segment_id = _live_segment(client, "deposit_count_lifetime >= 1")
    member, outsider = EventFactory(player_id="member"), EventFactory(player_id="outsider")
    _post(client, [member.registered(timedelta(days=-2)), outsider.registered(timedelta(days=-2)),
                   _deposit(member, timedelta(hours=-3), "m1")])
    assert segment_id in engine.states["member"].segments and not engine.states["outsider"].segments
    daily = {"key": "daily_pick", "name": "Daily pick", "version": 1, "purpose": "service",
             "trigger": {"kind": "schedule", "every": "day", "at": "10:00", "timezone": "Europe/Malta",
                         "segment_id": segment_id},
             "steps": [{"kind": "tag", "id": "mark", "tag": "picked"}, {"kind": "exit", "id": "done"}],
             "reentry": {"policy": "always"}}
    _publish(client, headers, daily)
    trigger = from_json(daily).trigger
    first = micros(next_run(trigger, NOW))                  # type: ignore[arg-type]
    second = micros(next_run(trigger, moment(first)))       # type: ignore[arg-type]
    assert second - first in (DAY - HOUR, DAY, DAY + HOUR)  # 10:00 in Malta, summer time or not

    assert run_due(engine, first - 1) == 0                  # not yet
    assert run_due(engine, first) == 1                      # the member only
    assert [p for p, _ in _entries(client, "daily_pick")] == ["member"]
    fired = _facts(client, "croupier.journey_fired")
    assert [(p, f["trigger"], micros(datetime.fromisoformat(f["fires_at"]))) for p, f in fired] == \
        [("member", "schedule", first), ("croupier.journeys", "schedule", first)]   # the player's, then the marker
    assert run_due(engine, first + HOUR) == 0                # once

    del engine.journey_scheduler                             # a restart: the scheduler starts afresh
    assert run_due(engine, first + 2 * HOUR) == 0            # the instant is marked done in the log
    assert len(_entries(client, "daily_pick")) == 1
    assert run_due(engine, second) == 1                      # the next instant
    assert [p for p, _ in _entries(client, "daily_pick")] == ["member", "member"]

    del engine.journey_scheduler                             # down for three instants
    assert run_due(engine, second + 3 * DAY + HOUR) == 1     # fires once, for the latest missed
    entries = _entries(client, "daily_pick")
    assert len(entries) == 3 and len({e for _, e in entries}) == 3
    late = [f for p, f in _facts(client, "croupier.journey_fired") if p == "member"][-1]
    assert micros(datetime.fromisoformat(late["fires_at"])) > second + 2 * DAY
    assert "picked" in engine.states["member"].tags and "picked" not in engine.states["outsider"].tags
    assert scheduler_of(engine).next_us[("daily_pick", 1)] > second + 3 * DAY + HOUR
    _replays_the_same(client)


def test_a_birthday_fires_at_nine_in_each_players_own_zone(staff) -> None:  # noqa: ANN001, F811
    client, headers = staff
    engine = client.app.state.runtime.engine
    birthday = {"key": "birthday", "name": "Birthday", "version": 1, "purpose": "service",
                "trigger": {"kind": "date", "date": "birthday", "at": "09:00"},
                "steps": [{"kind": "tag", "id": "mark", "tag": "birthday_wished"}, {"kind": "exit", "id": "done"}],
                "reentry": {"policy": "always"}}
    _publish(client, headers, birthday)
    day = (NOW + timedelta(days=3)).date()
    born = date(1992, day.month, day.day).isoformat()      # a leap year: any day of the year
    tokyo, malta = EventFactory(player_id="tokyo"), EventFactory(player_id="malta")
    _post(client, [tokyo.registered(timedelta(days=-40), timezone="Asia/Tokyo", birth_date=born),
                   malta.registered(timedelta(days=-40), timezone="Europe/Malta", birth_date=born)])
    trigger = from_json(birthday).trigger
    at = {z: micros(next_date(trigger, NOW, birth_date=date.fromisoformat(born),  # type: ignore[arg-type]
                              player_timezone=z)) for z in ("Asia/Tokyo", "Europe/Malta")}
    assert at["Europe/Malta"] - at["Asia/Tokyo"] in (7 * HOUR, 8 * HOUR)   # 09:00 there, UTC apart
    assert run_due(engine, at["Asia/Tokyo"] - 1) == 0
    assert run_due(engine, at["Asia/Tokyo"]) == 1
    assert [p for p, _ in _entries(client, "birthday")] == ["tokyo"]
    assert run_due(engine, at["Europe/Malta"] - 1) == 0
    assert run_due(engine, at["Europe/Malta"]) == 1
    assert [p for p, _ in _entries(client, "birthday")] == ["tokyo", "malta"]
    fired = {p: micros(datetime.fromisoformat(f["occurred_at"])) for p, f in _facts(client, "croupier.journey_fired")}
    assert fired == {"tokyo": at["Asia/Tokyo"], "malta": at["Europe/Malta"]}

    del engine.journey_scheduler                             # a restart the same day writes nothing again
    assert run_due(engine, at["Europe/Malta"] + HOUR) == 0
    assert len(_entries(client, "birthday")) == 2
    _replays_the_same(client)


def test_a_player_registering_after_the_scan_gets_their_birthday_tomorrow(staff) -> None:  # noqa: ANN001, F811
    client, headers = staff
    engine = client.app.state.runtime.engine
    birthday = {"key": "birthday", "name": "Birthday", "version": 1, "purpose": "service",
                "trigger": {"kind": "date", "date": "birthday", "at": "09:00", "fallback_timezone": "UTC"},
                "steps": [{"kind": "tag", "id": "mark", "tag": "birthday_wished"}, {"kind": "exit", "id": "done"}]}
    _publish(client, headers, birthday)
    assert scheduler_of(engine).live is engine.journeys and not scheduler_of(engine).dates   # scanned: nobody yet
    tomorrow = (NOW + timedelta(days=1)).date()
    soon = EventFactory(player_id="soon")
    _post(client, [soon.registered(timedelta(days=-1), timezone=None,
                                   birth_date=date(1992, tomorrow.month, tomorrow.day).isoformat())])
    due = micros(datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, tzinfo=timezone.utc))   # the fallback zone
    assert [(d, p) for d, _, p, *_ in scheduler_of(engine).dates] == [(due, "soon")]   # planned at registration
    assert run_due(engine, due) == 1
    assert [p for p, _ in _entries(client, "birthday")] == ["soon"]
    assert "birthday_wished" in engine.states["soon"].tags


def test_stage_changes_by_an_event_and_by_time_alone_enter_players(staff) -> None:  # noqa: ANN001, F811
    client, headers = staff
    engine = client.app.state.runtime.engine
    first = {"key": "first_stage", "name": "New depositor", "version": 1, "purpose": "service",
             "trigger": {"kind": "stage_changed", "from": "prospect", "to": "new_depositor"},
             "steps": [{"kind": "tag", "id": "mark", "tag": "new_depositor"}, {"kind": "exit", "id": "done"}]}
    lapsed = {"key": "lapsed", "name": "Lapsed", "version": 1, "purpose": "service",
              "trigger": {"kind": "event", "event": "croupier.stage_changed", "condition": 'event.to = "lapsed"'},
              "steps": [{"kind": "tag", "id": "mark", "tag": "lapsed"}, {"kind": "exit", "id": "done"}]}
    fresh, quiet = EventFactory(player_id="fresh"), EventFactory(player_id="quiet")
    # quiet: first deposit 40 days ago, last play 25 days ago: at risk now, lapsed in 5 days (30 idle)
    _post(client, [quiet.registered(timedelta(days=-41)), _deposit(quiet, timedelta(days=-40), "q1"),
                   _deposit(quiet, timedelta(days=-25), "q2")])
    assert not _facts(client, "croupier.stage_changed")    # no live journey reacts to a stage yet
    _publish(client, headers, first)
    _publish(client, headers, lapsed)
    _post(client, [fresh.registered(timedelta(days=-1)), _deposit(fresh, timedelta(hours=-1), "f1")])
    changes = [(p, f["from"], f["to"]) for p, f in _facts(client, "croupier.stage_changed")]
    # the stage sweep at the journeys' start found quiet's stage moved by time since its last play
    assert sorted(changes) == [("fresh", "prospect", "new_depositor"), ("quiet", "active", "at_risk")]
    assert [p for p, _ in _entries(client, "first_stage")] == ["fresh"]
    assert engine.states["quiet"].stage == "at_risk" and not _entries(client, "lapsed")

    lapses = micros(NOW - timedelta(days=25)) + 30 * DAY
    assert run_due(engine, lapses - HOUR) == 0               # still at risk: no sweep fact
    assert run_due(engine, lapses + HOUR) == 1               # the sweep finds quiet lapsed
    assert ("quiet", "at_risk", "lapsed") in [(p, f["from"], f["to"]) for p, f in _facts(client, "croupier.stage_changed")]
    assert [p for p, _ in _entries(client, "lapsed")] == ["quiet"]
    assert engine.states["quiet"].tags.keys() >= {"lapsed"} and "new_depositor" in engine.states["fresh"].tags
    _replays_the_same(client)


def test_the_safer_play_template_enters_a_player_whose_risk_rises(staff) -> None:  # noqa: ANN001, F811
    client, headers = staff
    engine = client.app.state.runtime.engine
    _publish(client, headers, to_builtins(template("safer_play")))
    ev = EventFactory(player_id="risky")
    _post(client, ev.at_severe_risk())
    rises = [f for p, f in _facts(client, "croupier.rg_level_changed") if p == "risky"]
    assert rises and rises[-1]["to"] == "severe" and all(f["rising"] for f in rises)
    assert [p for p, _ in _entries(client, "safer_play")] == ["risky"]
    assert "safer_play" in engine.states["risky"].tags
    calm = EventFactory(player_id="calm")
    _post(client, [calm.registered(timedelta(days=-1)), _deposit(calm, timedelta(hours=-1), "c1")])
    assert not [p for p, _ in _facts(client, "croupier.rg_level_changed") if p == "calm"]
    _replays_the_same(client)
