"""The journey dry run: a past window of the log replayed in memory with a journey live from
the window's start, its waits ended by timers made in time order, every proposal put to the
gate, nothing sent or written. The strongest check: over a simulated log, who enters, what
each would have been proposed at which step, the tasks and the goal conversions equal an
independent reading of the raw events for a simple journey (register → send; wait a day →
branch on a deposit → task or send). Then: a self-excluded player's suppression with the
gate's reason, nothing written, the bounds, the API (stored and unsaved, its validation),
the CLI and the back office's panel."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from conftest import EventFactory, noon_zone
from croupier.api import Runtime
from croupier.journeys import in_holdout
from croupier.journeys.dry_run import as_dict, dry_run
from croupier.journeys.run import compile_journey
from croupier.players import micros
from croupier.players.state import DAY_US
from croupier.sim import SimConfig, Simulator
from croupier.sim.registers import configure_simulated_registers
from croupier.contact import ContactPolicy
from croupier.compliance.document import ConfigDocument
from croupier.store.schema import audit_log, events as events_table, outbox, staff_tasks

START = datetime(2025, 9, 1, tzinfo=timezone.utc)
BEFORE, DAYS = 2, 7
SINCE = START + timedelta(days=BEFORE)
UNTIL = START + timedelta(days=BEFORE + DAYS)
KEY = "welcome_dry"
HOLDOUT = 20
WELCOME: dict[str, Any] = {
    "key": KEY, "name": "Welcome (dry run)", "version": 1, "purpose": "promotional", "holdout_percent": HOLDOUT,
    "trigger": {"kind": "event", "event": "player.registered"},
    "steps": [
        {"kind": "send", "id": "hello", "channel": "email", "template": "welcome"},
        {"kind": "wait", "id": "one-day", "duration": "P1D"},
        {"kind": "branch", "id": "deposited", "condition": "first_deposit_at is set", "then": "call",
         "else": "offer"},
        {"kind": "task", "id": "call", "queue": "retention", "title": "Call the new depositor", "next": "done"},
        {"kind": "send", "id": "offer", "channel": "push", "template": "first_deposit_offer"},
        {"kind": "exit", "id": "done"},
    ],
    "goals": [{"name": "first_deposit", "event": "payment.deposit", "condition": 'event.status = "approved"',
               "window": "P3D", "ends_journey": False}],
}


def _rows(runtime: Runtime) -> tuple[int, ...]:
    """How many events, audit records, outbox messages and staff tasks there are."""
    with runtime.db.reader.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (events_table, audit_log, outbox, staff_tasks))


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> Any:  # noqa: ANN001
    """A simulated operator's log: two days before the window, seven in it."""
    path = tmp_path_factory.mktemp("journey-dry-run") / "croupier.db"
    sim = Simulator(SimConfig(seed=5, players=70, days=BEFORE + DAYS, start=START))
    runtime = Runtime(f"sqlite:///{path}")
    configure_simulated_registers(runtime, actor="tests")
    events = list(sim.events_until(UNTIL))
    for i in range(0, len(events), 5_000):
        runtime.ingest(msgspec.json.encode(events[i:i + 5_000]))
    runtime.engine.flush()
    yield runtime
    runtime.close()


def _expected(runtime: Runtime, since_us: int, until_us: int) -> dict[str, Any]:
    """The journey's doings read straight from the raw events: each registration in the window
    enters (or is held out by the journey's hash); an entrant is proposed `hello` then; a day
    later (if that is inside the window) one with an approved deposit by then gets a task,
    the others `offer`; an approved deposit within 3 days of entering converts the goal."""
    registered: dict[str, int] = {}
    deposits: dict[str, list[int]] = {}
    with runtime.db.reader.connect() as conn:
        for pid, kind, at_us, payload in conn.execute(
                select(events_table.c.player_id, events_table.c.type, events_table.c.occurred_at_us,
                       events_table.c.payload)
                .where(events_table.c.type.in_(["player.registered", "payment.deposit"]))
                .order_by(events_table.c.seq)):
            if kind == "player.registered":
                registered.setdefault(pid, at_us)
            elif json.loads(payload)["status"] == "approved":
                deposits.setdefault(pid, []).append(at_us)
    entered, held, proposed, tasks, waiting = [], [], [], [], []
    converted: Counter[bool] = Counter()
    for pid, at_us in registered.items():
        if not since_us <= at_us < until_us:
            continue
        out = in_holdout(KEY, pid, HOLDOUT)
        (held if out else entered).append((pid, at_us))
        paid = deposits.get(pid, [])
        if any(at_us <= d <= at_us + 3 * DAY_US and d < until_us for d in paid):
            converted[out] += 1
        if out:
            continue
        proposed.append((pid, at_us, "hello", "email", "welcome"))
        due = at_us + DAY_US
        if due >= until_us:
            waiting.append(pid)
        elif any(d < due for d in paid):
            tasks.append((pid, due))
        else:
            proposed.append((pid, due, "offer", "push", "first_deposit_offer"))
    return {"entered": sorted(entered), "held": sorted(held), "proposed": sorted(proposed), "tasks": sorted(tasks),
            "waiting": sorted(waiting), "converted": converted}


# No caps, quiet hours or fatigue: the reading of the raw events below knows the journey's
# rules, not the contact arbiter's (tests/journeys/test_contact_arbiter_engine.py has those).
OPEN_CONTACT = ContactPolicy(per_day=None, per_week=None, per_channel_day={}, quiet_hours=None, fatigue=None)


def test_entries_proposals_tasks_and_goals_equal_a_reading_of_the_raw_events(simulated) -> None:  # noqa: ANN001
    runtime = simulated
    since_us, until_us = micros(SINCE), micros(UNTIL)
    before = _rows(runtime)
    report = dry_run(runtime.db, compile_journey(WELCOME), since_us=since_us, until_us=until_us,
                     config=ConfigDocument(**msgspec.structs.asdict(runtime.config), contact=OPEN_CONTACT), sample=200)
    expected = _expected(runtime, since_us, until_us)
    assert report.scope.cut is None and report.scope.evaluated == report.scope.players > 0
    assert report.entered == len(expected["entered"]) > 10
    assert report.held_out == len(expected["held"]) > 0
    trails = {t.player_id: t for t in report.sample}
    assert sorted((t.player_id, at) for t in report.sample for at, out in t.entries if not out) == expected["entered"]
    assert sorted((t.player_id, at) for t in report.sample for at, out in t.entries if out) == expected["held"]
    got = sorted((pid, p.at_us, p.step_id, p.channel, p.template) for pid, t in trails.items() for p in t.received)
    assert got == expected["proposed"]
    assert {p[2] for p in got} == {"hello", "offer"} and expected["tasks"]
    assert sorted((pid, at) for pid, t in trails.items() for at, *_ in t.tasks) == expected["tasks"]
    assert sorted(pid for pid, t in trails.items() if t.waiting_at == "one-day") == expected["waiting"]
    out = as_dict(report)
    json.dumps(out)
    steps = {s["id"]: s for s in out["steps"]}
    assert steps["hello"]["reached"] == report.entered
    assert steps["one-day"]["waiting_at_end"] == len(expected["waiting"])
    assert steps["one-day"]["passed"] == report.entered - len(expected["waiting"])
    assert steps["deposited"]["ways"] == {"then": len(expected["tasks"]),
                                          "else": steps["one-day"]["passed"] - len(expected["tasks"])}
    assert steps["done"]["reached"] == steps["one-day"]["passed"]
    by_step = {(r["step"], r["channel"], r["template"]): r["proposed"] for r in out["proposed"]["by_step"]}
    assert by_step == dict(Counter((s, c, t) for _, _, s, c, t in expected["proposed"]))
    assert out["tasks"]["total"] == len(expected["tasks"])
    (goal,) = out["goals"]
    assert (goal["players"], goal["held_out_players"]) == (expected["converted"][False], expected["converted"][True])
    assert sum(d["entered"] for d in out["entries_per_day"]) == report.entered
    assert [d["date"] for d in out["entries_per_day"]] == [f"2025-09-{d:02d}" for d in range(3, 10)]
    # every suppression has its reason in words, and the totals agree
    suppressed = out["suppressed"]
    assert suppressed["total"] == out["proposed"]["suppressed"] > 0
    assert all(r["text"] and "no words" not in r["text"] for r in suppressed["by_reason"])
    assert _rows(runtime) == before                     # nothing written: log, audit, outbox, tasks


def test_a_window_too_short_for_the_wait_ends_with_every_entrant_waiting(simulated) -> None:  # noqa: ANN001
    runtime = simulated
    since_us = micros(SINCE)
    short = dry_run(runtime.db, compile_journey(WELCOME), since_us=since_us, until_us=since_us + DAY_US // 2,
                    config=runtime.config, sample=200)
    assert short.entered > 0 and short.in_journey_at_end == short.entered
    assert all(p.step_id == "hello" for p in short.proposed) and not short.tasks
    assert [d for d in as_dict(short)["entries_per_day"]] == [{"date": "2025-09-03", "entered": short.entered,
                                                               "held_out": short.held_out}]


def test_the_window_is_cut_at_the_bounds_and_says_so(simulated, monkeypatch) -> None:  # noqa: ANN001
    import croupier.engine.window_replay as replay

    monkeypatch.setattr(replay, "MAX_PLAYERS", 10)
    report = dry_run(simulated.db, compile_journey(WELCOME), since_us=micros(SINCE), until_us=micros(UNTIL),
                     config=simulated.config)
    assert report.scope.evaluated == 10 < report.scope.players
    assert as_dict(report)["cut"] == "at most 10 players are replayed"


# --- a small log made by hand ------------------------------------------------------------

T0 = datetime(2026, 3, 2, tzinfo=timezone.utc)        # a Monday, midnight UTC
NEXT_DAY: dict[str, Any] = {
    "key": "next_day", "name": "Next day", "version": 1, "purpose": "promotional",
    "trigger": {"kind": "event", "event": "player.registered"},
    "steps": [{"kind": "wait", "id": "a-day", "duration": "P1D"},
              {"kind": "send", "id": "hi", "channel": "email", "template": "day_two"},
              {"kind": "exit", "id": "done"}],
}


def _registration(pid: str, at: timedelta, **fields: Any) -> dict[str, Any]:
    return EventFactory(now=T0, player_id=pid).registered(at, email=f"{pid}@example.se", last_name=pid, phone=None,
                                                          **fields)


def _hand_log(ingest: Any) -> None:
    """ann and cid register on T0 at 09:00; cid self-excludes at 12:00; dan gave no consent."""
    ingest([_registration("ann", timedelta(hours=9)), _registration("cid", timedelta(hours=9)),
            _registration("dan", timedelta(hours=9), consents={"email": False, "sms": False, "push": False})])
    ingest([EventFactory(now=T0, player_id="cid")("exclusion.requested", timedelta(hours=12), kind="self_exclusion",
                                                  duration="P6M")])


@pytest.fixture
def by_hand(tmp_path) -> Any:  # noqa: ANN001
    runtime = Runtime(f"sqlite:///{tmp_path / 'c.db'}")
    configure_simulated_registers(runtime, actor="tests")

    def ingest(batch: list[dict[str, Any]]) -> None:
        answer = runtime.ingest(json.dumps(batch).encode())
        assert not answer.rejected, answer

    _hand_log(ingest)
    yield runtime
    runtime.close()


def test_a_self_excluded_player_shows_the_gates_reason(by_hand) -> None:  # noqa: ANN001
    runtime = by_hand
    before = _rows(runtime)
    report = dry_run(runtime.db, compile_journey(NEXT_DAY), since_us=micros(T0),
                     until_us=micros(T0 + timedelta(days=3)), config=runtime.config)
    assert report.entered == 3
    verdicts = {t.player_id: [(p.template, p.at_us, p.allowed, p.reasons) for p in t.received] for t in report.sample}
    due = micros(T0 + timedelta(days=1, hours=9))
    assert verdicts["ann"] == [("day_two", due, True, ("all_checks_passed",))]
    (cid,) = verdicts["cid"]
    assert cid[:3] == ("day_two", due, False) and any(r.startswith("excluded") for r in cid[3])
    (dan,) = verdicts["dan"]
    assert dan[:3] == ("day_two", due, False) and "no_consent:email" in dan[3]
    out = as_dict(report)
    reasons = {r["code"]: r["text"] for r in out["suppressed"]["by_reason"]}
    assert "excluded" in reasons and "no_consent" in reasons and "self-excluded" in " ".join(
        c["text"] for r in out["suppressed"]["by_reason"] for c in r["codes"])
    sample = {s["player_id"]: s for s in out["sample"]}
    (received,) = sample["cid"]["received"]
    assert received["at"] == "2026-03-03T09:00:00Z" and not received["allowed"]
    assert all(r["text"] for r in received["reasons"])
    assert out["proposed"]["by_step"] == [{"step": "hi", "kind": "message", "channel": "email", "template": "day_two",
                                           "proposed": 3, "allowed": 1, "suppressed": 2}]
    assert _rows(runtime) == before


# --- the API, the CLI and the back office ------------------------------------------------

@pytest.fixture
def staffed(app_client) -> Any:  # noqa: ANN001
    from croupier.store.accounts import create_key, create_user

    runtime = app_client.app.state.runtime

    def ingest(batch: list[dict[str, Any]]) -> None:
        answer = app_client.post("/v1/events", content=json.dumps(batch))
        assert answer.status_code == 200 and not answer.json()["rejected"], answer.text

    _hand_log(ingest)
    with runtime.db.engine.begin() as conn:
        create_user(conn, "cleo", "cleo-password-1", "crm_manager")
        token, _ = create_key(conn, "crm tool", ["admin"])
    staff = {"Authorization": f"Bearer {token}", "X-Croupier-Actor": "cleo"}
    made = app_client.post("/v1/journeys", headers=staff, json={"definition": NEXT_DAY})
    assert made.status_code == 201, made.text
    return app_client, staff, made.json()["journey_id"]


WINDOW = {"since": "2026-03-02T00:00:00Z", "until": "2026-03-05T00:00:00+00:00"}
DAY = {"since": "2026-03-02T00:00:00Z", "until": "2026-03-03T00:00:00Z"}


def test_the_api_dry_runs_a_stored_journey_and_an_unsaved_definition(staffed) -> None:  # noqa: ANN001
    client, staff, jid = staffed
    runtime = client.app.state.runtime
    before = _rows(runtime)
    answer = client.post(f"/v1/journeys/{jid}/dry-run", json={**WINDOW, "sample": 10})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["journey_id"], body["journey"]["version"], body["entered"], body["held_out"]) == (jid, 1, 3, 0)
    assert body["proposed"]["total"] == 3 and body["proposed"]["allowed"] == 1
    assert [s["player_id"] for s in body["sample"]] == ["ann", "cid", "dan"]
    assert body["since"] == "2026-03-02T00:00:00Z" and body["until"] == "2026-03-05T00:00:00Z"
    edited = {**NEXT_DAY, "steps": [{"kind": "wait", "id": "a-day", "duration": "P5D"}, *NEXT_DAY["steps"][1:]]}
    unsaved = client.post("/v1/journeys/dry-run", json={**WINDOW, "definition": edited}).json()
    assert (unsaved["journey_id"], unsaved["entered"], unsaved["proposed"]["total"], unsaved["in_journey_at_end"]) \
        == (None, 3, 0, 3)
    assert client.post("/v1/journeys/999/dry-run", json=WINDOW).status_code == 404
    assert _rows(runtime) == before


@pytest.mark.parametrize(("body", "field", "words"), [
    ({}, "since", "is required"),
    ({"since": "yesterday"}, "since", "RFC 3339"),
    ({"since": "2026-03-02T00:00:00"}, "since", "offset"),
    ({"since": "2026-03-02T00:00:00Z", "until": "2026-03-01T00:00:00Z"}, "since", "before until"),
    ({"since": "2026-03-02T00:00:00Z", "until": "2026-03-02T00:00:00Z"}, "since", "before until"),
    ({"since": "2025-01-01T00:00:00Z", "until": "2026-03-02T00:00:00Z"}, "since", "at most 90 days"),
    ({"since": "2026-03-02T00:00:00Z", "until": "2999-01-01T00:00:00Z"}, "until", "future"),
    ({**DAY, "sample": 5000}, "sample", "0 to 200"),
    ({**DAY, "version": 7}, "version", "not a version of journey"),
    ({**DAY, "version": "x"}, "version", "version number"),
    ({**DAY, "window": 3}, "window", "not a field"),
])
def test_the_api_refuses_a_bad_dry_run_naming_the_field_and_value(staffed, body, field, words) -> None:  # noqa: ANN001
    client, _, jid = staffed
    answer = client.post(f"/v1/journeys/{jid}/dry-run", json=body)
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert detail["field"] == field and words in detail["message"], detail
    if field in body:
        assert detail["value"] == body[field]


def test_the_api_refuses_an_unsaved_definition_with_its_problems(staffed) -> None:  # noqa: ANN001
    client, _, _ = staffed
    broken = {**NEXT_DAY, "steps": [{"kind": "send", "id": "hi", "channel": "email", "template": "t",
                                     "when": "no_such_feature > 1"}, {"kind": "exit", "id": "done"}]}
    answer = client.post("/v1/journeys/dry-run", json={**WINDOW, "definition": broken})
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert detail["field"].startswith("definition.steps[0]") and "no_such_feature" in json.dumps(answer.json())
    missing = client.post("/v1/journeys/dry-run", json=WINDOW)
    assert missing.status_code == 422 and missing.json()["detail"]["field"] == "definition"


def test_the_cli_prints_the_dry_run(by_hand, tmp_path) -> None:  # noqa: ANN001
    import croupier.cli.journeys  # noqa: F401  (registers the journeys commands)
    from croupier.cli.app import app

    url = str(by_hand.db.engine.url)
    path = tmp_path / "next_day.json"
    path.write_text(json.dumps(NEXT_DAY))
    runner = CliRunner()
    args = ["journeys", "dry-run", "--file", str(path), "--from", "2026-03-02T00:00:00Z", "--to",
            "2026-03-05T00:00:00Z", "--db", url]
    answer = runner.invoke(app, [*args, "--json"])
    assert answer.exit_code == 0, answer.output
    body = json.loads(answer.output)
    assert (body["entered"], body["proposed"]["total"], body["proposed"]["suppressed"]) == (3, 3, 2)
    text = runner.invoke(app, args)
    assert text.exit_code == 0, text.output
    assert "would have entered: 3" in text.output and "nothing was sent or written" in text.output
    assert "day_two" in text.output and "no_consent" in text.output and "2026-03-02" in text.output
    bad = runner.invoke(app, ["journeys", "dry-run", "--file", str(path), "--from", "yesterday", "--db", url])
    assert bad.exit_code == 2 and "RFC 3339" in bad.output
    backwards = runner.invoke(app, ["journeys", "dry-run", "--file", str(path), "--from", "2026-03-05T00:00:00Z",
                                    "--to", "2026-03-02T00:00:00Z", "--db", url])
    assert backwards.exit_code == 2 and "before --to" in backwards.output
    missing = runner.invoke(app, ["journeys", "dry-run", "7", "--from", "2026-03-02T00:00:00Z", "--to",
                                  "2026-03-03T00:00:00Z", "--db", url])
    assert missing.exit_code == 2 and "no journey 7" in missing.output


def test_the_dry_run_of_a_live_journey_proposes_what_the_live_engine_decided(staffed) -> None:  # noqa: ANN001
    """The same journey live in the engine (its timers written when due) and dry run over the
    same window: the same proposals (the gate's action ids), at the same moments, with the
    same verdicts and reasons; the live engine's own timer facts in the log are passed over."""
    from croupier.journeys.engine_shell import write_due

    client, staff, _ = staffed
    runtime = client.app.state.runtime
    now = datetime.now(timezone.utc).replace(microsecond=0)
    soon = {**NEXT_DAY, "key": "soon", "steps": [{"kind": "wait", "id": "a-day", "duration": "PT5M"},
                                                 *NEXT_DAY["steps"][1:]]}
    made = client.post("/v1/journeys", headers=staff, json={"definition": soon}).json()["journey_id"]
    assert client.post(f"/v1/journeys/{made}/publish", headers=staff, json={"version": 1}).status_code == 200
    at = lambda minutes: timedelta(minutes=minutes) + (now - T0)  # noqa: E731  (from T0, the factory's "now")
    zone = noon_zone(now)   # the contact arbiter holds nothing in quiet hours, whatever the time of the run
    batch = [_registration("eve", at(-10), timezone=zone),
             _registration("fay", at(-10), timezone=zone, consents={"email": False, "sms": False, "push": False}),
             _registration("gus", at(-9), timezone=zone)]
    assert client.post("/v1/events", content=json.dumps(batch)).status_code == 200
    excluded = EventFactory(now=T0, player_id="gus")("exclusion.requested", at(-7), kind="self_exclusion",
                                                      duration="P6M")
    assert client.post("/v1/events", content=json.dumps([excluded])).status_code == 200
    assert write_due(runtime.engine, micros(now)) == 3
    with runtime.db.reader.connect() as conn:
        rows = conn.execute(select(audit_log.c.subject, audit_log.c.at_us, audit_log.c.body)
                            .where(audit_log.c.kind == "gate.decision")).all()
        timers = conn.execute(select(func.count()).select_from(events_table)
                              .where(events_table.c.type == "croupier.journey_timer")).scalar_one()
    live = sorted((subject, json.loads(body)["name"], json.loads(body)["allowed"], tuple(json.loads(body)["reasons"]))
                  for subject, _, body in rows if json.loads(body)["params"].get("journey") == "soon")
    assert len(live) == 3 and timers == 3 and any(not allowed for *_, allowed, _ in live)
    before = _rows(runtime)
    report = dry_run(runtime.db, compile_journey(soon), since_us=micros(now - timedelta(hours=1)),
                     until_us=micros(now) + 1, config=runtime.config)
    assert sorted((p.action_id, p.template, p.allowed, p.reasons) for p in report.proposed) == live
    assert {p.at_us for p in report.proposed} == {micros(now + timedelta(minutes=-5)),
                                                 micros(now + timedelta(minutes=-4))}
    assert _rows(runtime) == before


def test_a_one_off_send_and_a_schedule_fire_in_the_dry_run_for_their_audience(simulated) -> None:  # noqa: ANN001
    """A campaign-like journey (`once`, a day into the window) and a daily schedule enter, at
    their instants, exactly the players with an approved deposit by then (read from the raw
    events), and nobody else."""
    runtime = simulated
    since_us, until_us = micros(SINCE), micros(UNTIL)
    instant = SINCE + timedelta(days=1, hours=10)
    audience = {"condition": "deposit_count_lifetime >= 1"}
    once = {"key": "once_dry", "name": "Once", "version": 1, "purpose": "service",
            "trigger": {"kind": "once", "at": instant.strftime("%Y-%m-%dT%H:%M"), **audience},
            "steps": [{"kind": "send", "id": "note", "channel": "inbox", "template": "note"},
                      {"kind": "exit", "id": "done"}]}
    daily = {**once, "key": "daily_dry", "reentry": {"policy": "always"},
             "trigger": {"kind": "schedule", "every": "day", "at": "10:00", "timezone": "UTC", **audience}}
    deposits: dict[str, list[int]] = {}
    registered: dict[str, int] = {}
    with runtime.db.reader.connect() as conn:
        for pid, kind, at_us, payload in conn.execute(
                select(events_table.c.player_id, events_table.c.type, events_table.c.occurred_at_us,
                       events_table.c.payload)
                .where(events_table.c.type.in_(["player.registered", "payment.deposit"]))):
            if kind == "player.registered":
                registered.setdefault(pid, at_us)
            elif json.loads(payload)["status"] == "approved":
                deposits.setdefault(pid, []).append(at_us)

    def depositors_by(at_us: int) -> list[str]:
        return sorted(p for p, ds in deposits.items() if any(d <= at_us for d in ds) and registered.get(p, at_us) <= at_us)

    report = dry_run(runtime.db, compile_journey(once), since_us=since_us, until_us=until_us,
                     config=runtime.config, sample=200)
    entrants = sorted(t.player_id for t in report.sample if t.entries)
    assert entrants == depositors_by(micros(instant)) and report.entered == len(entrants) > 0
    assert {at for t in report.sample for at, _ in t.entries} == {micros(instant)}

    report = dry_run(runtime.db, compile_journey(daily), since_us=since_us, until_us=until_us,
                     config=runtime.config, sample=200)
    days = [micros(SINCE + timedelta(days=d, hours=10)) for d in range(DAYS)]
    expected = sorted((p, at) for at in days for p in depositors_by(at))
    assert sorted((t.player_id, at) for t in report.sample for at, _ in t.entries) == expected
