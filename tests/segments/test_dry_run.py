"""The segment dry run: a past window of the log replayed in memory with a segment live from
the window's start. The strongest check: over a simulated log, its entries and exits are the
`croupier.segment_entered` / `segment_left` facts the live engine wrote for the same segments
put live at the window's start and swept at each midnight: the same players at the same
moments. Then: a time-only condition entering at midnight, the promotional held-back counts,
nothing written, the bounds, the API's validation and the CLI."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from conftest import EventFactory
from croupier.api import Runtime
from croupier.players import micros
from croupier.players.state import DAY_US
from croupier.segments import parse_valid, to_json, to_text
from croupier.segments.dry_run import as_dict, dry_run
from croupier.segments.realtime import go_live, sweep
from croupier.sim import SimConfig, Simulator
from croupier.sim.registers import configure_simulated_registers
from croupier.store import segments as segment_store
from croupier.store.schema import events as events_table

START = datetime(2025, 9, 1, tzinfo=timezone.utc)
BEFORE, DAYS = 2, 7          # days of log before the window, days in it
SINCE = START + timedelta(days=BEFORE)
UNTIL = START + timedelta(days=BEFORE + DAYS)
TEXTS = [
    "days_since_last_login >= 2",                                        # time alone moves it
    "deposit_sum_7d >= 50.00 and bet_count_slots_1d < 20",               # windows that slide
    "bet_count_slots_1d >= 5 or rg.level >= low",                        # play and the RG level
]


def _count(runtime: Runtime) -> int:
    with runtime.db.reader.connect() as conn:
        return conn.execute(select(func.count()).select_from(events_table)).scalar_one()


@pytest.fixture(scope="module")
def lived(tmp_path_factory) -> Any:  # noqa: ANN001
    """A simulated operator: two days of log, then three segments put live (and swept) at the
    window's start, then each day's events and a sweep at each midnight up to the window's end."""
    path = tmp_path_factory.mktemp("dryrun") / "croupier.db"
    sim = Simulator(SimConfig(seed=5, players=70, days=BEFORE + DAYS, start=START))
    runtime = Runtime(f"sqlite:///{path}")
    configure_simulated_registers(runtime, actor="tests")

    def deliver(until: datetime) -> None:
        events = list(sim.events_until(until))
        for i in range(0, len(events), 5_000):
            runtime.ingest(msgspec.json.encode(events[i:i + 5_000]))

    deliver(SINCE)
    ids, stored = [], []
    with runtime.db.engine.begin() as conn:
        for i, text in enumerate(TEXTS):
            node = parse_valid(text)
            segment = segment_store.create(conn, name=f"segment {i}", description="", purpose="promotional",
                                           definition=to_json(node).decode(), text=to_text(node), actor="tests",
                                           now_us=micros(SINCE))
            ids.append(segment.segment_id)
            stored += go_live(conn, segment, actor="tests", now_us=micros(SINCE))
    runtime.engine.submit(stored)
    sweep(runtime.engine, micros(SINCE))
    for day in range(BEFORE + 1, BEFORE + DAYS + 1):
        midnight = START + timedelta(days=day)
        deliver(midnight)
        sweep(runtime.engine, micros(midnight))
    runtime.engine.flush()
    yield runtime, ids
    runtime.close()


def _facts(runtime: Runtime, segment_id: int) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(player, at) of the live engine's entries and exits of one segment, in log order."""
    entered, left = [], []
    with runtime.db.reader.connect() as conn:
        for pid, kind, at_us, payload in conn.execute(
                select(events_table.c.player_id, events_table.c.type, events_table.c.occurred_at_us,
                       events_table.c.payload)
                .where(events_table.c.type.in_(["croupier.segment_entered", "croupier.segment_left"]))
                .order_by(events_table.c.seq)):
            if json.loads(payload)["segment_id"] == segment_id:
                (entered if kind == "croupier.segment_entered" else left).append((pid, at_us))
    return entered, left


def test_the_dry_run_enters_whom_the_live_engine_entered_at_the_same_moments(lived) -> None:  # noqa: ANN001
    runtime, ids = lived
    since_us, until_us = micros(SINCE), micros(UNTIL)
    written = _count(runtime)
    for segment_id, text in zip(ids, TEXTS):
        entered, left = _facts(runtime, segment_id)
        at_start = sorted(e for e in entered if e[1] == since_us)          # the sweep when it went live
        in_window = sorted(e for e in entered if e[1] != since_us)
        report = dry_run(runtime.db, parse_valid(text), since_us=since_us, until_us=until_us,
                         config=runtime.config, segment_id=segment_id, sample=100_000)
        assert report.scope.cut is None and report.scope.evaluated == report.scope.players > 0
        assert report.already_in == len(at_start), text
        assert sorted((e.player_id, e.at_us) for e in report.sample) == in_window, text
        assert report.entered == len(in_window) > 0, text
        assert report.left == len(left), text
        per_day: dict[str, int] = {}
        for _, at_us in in_window:
            day = datetime.fromtimestamp(at_us // 1_000_000, tz=timezone.utc).date().isoformat()
            per_day[day] = per_day.get(day, 0) + 1
        assert {d: n for d, n in report.entries_per_day.items() if n} == per_day
        members = sum(segment_id in s.segments for s in runtime.engine.states.values())
        assert report.in_at_end == members, text
        assert [(e.at_us, e.player_id) for e in report.sample] == sorted((e.at_us, e.player_id) for e in report.sample)
    assert _count(runtime) == written          # nothing was written


def test_an_unsaved_definition_replays_under_its_own_id_and_the_report_is_json(lived) -> None:  # noqa: ANN001
    runtime, ids = lived
    saved = dry_run(runtime.db, parse_valid(TEXTS[0]), since_us=micros(SINCE), until_us=micros(UNTIL),
                    config=runtime.config, segment_id=ids[0], sample=5)
    unsaved = dry_run(runtime.db, parse_valid(TEXTS[0]), since_us=micros(SINCE), until_us=micros(UNTIL),
                      config=runtime.config, sample=5)
    assert (unsaved.entered, unsaved.left, unsaved.already_in, unsaved.sample) == \
        (saved.entered, saved.left, saved.already_in, saved.sample)
    assert len(saved.sample) == 5
    out = as_dict(saved)
    json.dumps(out)
    assert out["since"] == "2025-09-03T00:00:00Z" and out["until"] == "2025-09-10T00:00:00Z"
    assert [r["date"] for r in out["entries_per_day"]][:2] == ["2025-09-03", "2025-09-04"]
    assert sum(r["entered"] for r in out["entries_per_day"]) == saved.entered
    assert out["held_back"]["total"] == sum(r["entries"] for r in out["held_back"]["by_reason"])


def test_the_window_is_cut_at_the_bounds_and_says_so(lived, monkeypatch) -> None:  # noqa: ANN001
    import croupier.engine.window_replay as replay

    runtime, _ = lived
    monkeypatch.setattr(replay, "MAX_PLAYERS", 10)
    report = dry_run(runtime.db, parse_valid(TEXTS[0]), since_us=micros(SINCE), until_us=micros(UNTIL),
                     config=runtime.config)
    assert report.scope.evaluated == 10 < report.scope.players
    assert report.scope.cut == "at most 10 players are replayed" and as_dict(report)["cut"] == report.scope.cut
    monkeypatch.setattr(replay, "MAX_EVENTS", 50)
    report = dry_run(runtime.db, parse_valid(TEXTS[0]), since_us=micros(SINCE), until_us=micros(UNTIL),
                     config=runtime.config)
    assert report.scope.events <= 50 and "50 events" in report.scope.cut


# --- a small log made by hand --------------------------------------------------------------

T0 = datetime(2026, 3, 2, tzinfo=timezone.utc)        # a Monday, midnight UTC


def _player(pid: str, **registration: Any) -> list[dict[str, Any]]:
    ev = EventFactory(now=T0, player_id=pid)
    return [ev.registered(timedelta(days=-10), email=f"{pid}@example.se", last_name=pid, phone=None, **registration),
            ev("casino.bet", timedelta(hours=10), bet_id=f"{pid}-b", amount="10.00", currency="SEK",
               game_category="slots", game_id="g1", provider="pv", session_id="s1")]


def _registrations_first(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Registrations in a batch of their own, so the national register has screened every
    player (a fact written after the batch) before their first bet."""
    return [[e for e in events if e["type"] == "player.registered"],
            [e for e in events if e["type"] != "player.registered"]]


@pytest.fixture
def quiet(tmp_path) -> Any:  # noqa: ANN001
    """Four players who bet once on T0 at 10:00 and then go quiet: ann may be promoted to,
    cid self-excludes on T0 + 1 day, dan gave no marketing consent; old bet 20 days earlier."""
    runtime = Runtime(f"sqlite:///{tmp_path / 'c.db'}")
    configure_simulated_registers(runtime, actor="tests")
    events = _player("ann") + _player("cid") + _player("dan", consents={"email": False, "sms": False,
                                                                        "push": False})
    events.append(EventFactory(now=T0, player_id="cid")("exclusion.requested", timedelta(days=1), kind="self_exclusion",
                                                        duration="P6M"))
    old = EventFactory(now=T0, player_id="old")
    events += [old.registered(timedelta(days=-30), email="old@example.se", last_name="old", phone=None),
               old("casino.bet", timedelta(days=-20), bet_id="old-b", amount="1.00", currency="SEK",
                   game_category="slots", game_id="g1", provider="pv", session_id="s1")]
    for batch in _registrations_first(events):
        answer = runtime.ingest(json.dumps(batch).encode())
        assert not answer.rejected, answer
    yield runtime
    runtime.close()


def test_a_time_only_condition_enters_at_the_first_midnight_it_holds(quiet) -> None:  # noqa: ANN001
    runtime = quiet
    report = dry_run(runtime.db, parse_valid("days_since_last_bet >= 2"), since_us=micros(T0),
                     until_us=micros(T0 + timedelta(days=5, hours=6)), config=runtime.config, purpose="service")
    assert report.already_in == 1                   # old: idle for 20 days when the window starts
    entered = {(e.player_id, e.at_us) for e in report.sample}
    # bet on T0 at 10:00: two whole days have passed on T0 + 2 days at 10:00, so the next
    # evaluation by time, at midnight, enters them (as the live sweep would)
    first = micros(T0 + timedelta(days=3))
    assert entered == {("ann", first), ("cid", first), ("dan", first)}
    assert first % DAY_US == 0
    assert report.entries_per_day == {"2026-03-02": 0, "2026-03-03": 0, "2026-03-04": 0, "2026-03-05": 3,
                                      "2026-03-06": 0, "2026-03-07": 0}
    assert (report.left, report.in_at_end, report.held_back) == (0, 4, {})
    shorter = dry_run(runtime.db, parse_valid("days_since_last_bet >= 2"), since_us=micros(T0),
                      until_us=micros(T0 + timedelta(days=2, hours=12)), config=runtime.config)
    # the window ends at T0 + 2 days 12:00: its last evaluation, at the end, enters them then
    assert {e.at_us for e in shorter.sample} == {micros(T0 + timedelta(days=2, hours=12))}


def test_a_promotional_segment_counts_whom_the_gate_would_have_held_back_at_entry(quiet) -> None:  # noqa: ANN001
    runtime = quiet
    report = dry_run(runtime.db, parse_valid("days_since_last_bet >= 2"), since_us=micros(T0),
                     until_us=micros(T0 + timedelta(days=4)), config=runtime.config, purpose="promotional")
    assert report.entered == 3
    assert report.held_back == {"excluded:self_exclusion:national": 1, "no_consent": 1}
    held = {e.player_id: e.held for e in report.sample}
    assert held == {"ann": None, "cid": "excluded:self_exclusion:national", "dan": "no_consent"}
    out = as_dict(report)
    texts = {r["code"]: r["text"] for r in out["held_back"]["by_reason"]}
    assert out["held_back"]["total"] == 2 and all(texts.values()) and "self" in texts[
        "excluded:self_exclusion:national"]
    # the gate at the moment of entry: before cid's exclusion, cid would not have been held
    early = dry_run(runtime.db, parse_valid("bet_count_slots_1d >= 1"), since_us=micros(T0),
                    until_us=micros(T0 + timedelta(days=1, hours=12)), config=runtime.config)
    assert {e.player_id: e.held for e in early.sample} == {"ann": None, "cid": None, "dan": "no_consent"}


# --- the API and the CLI -----------------------------------------------------------------

def test_the_api_dry_runs_a_segment_and_an_unsaved_definition(app_client) -> None:  # noqa: ANN001
    from croupier.store.accounts import create_key, create_user

    runtime = app_client.app.state.runtime
    events = _player("ann") + _player("dan", consents={"email": False, "sms": False, "push": False})
    for batch in _registrations_first(events):
        assert app_client.post("/v1/events", content=json.dumps(batch)).status_code == 200
    with runtime.db.engine.begin() as conn:
        create_user(conn, "cleo", "cleo-password-1", "crm_manager")
        token, _ = create_key(conn, "crm tool", ["admin"])
    staff = {"Authorization": f"Bearer {token}", "X-Croupier-Actor": "cleo"}
    made = app_client.post("/v1/segments", headers=staff, json={"name": "Quiet", "text": "days_since_last_bet >= 2"})
    sid = made.json()["segment_id"]
    window = {"since": "2026-03-02T00:00:00Z", "until": "2026-03-06T00:00:00+00:00"}
    answer = app_client.post(f"/v1/segments/{sid}/dry-run", json={**window, "sample": 10})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["segment_id"], body["version"], body["entered"], body["already_in"]) == (sid, 1, 2, 0)
    assert body["sample"] == [{"player_id": "ann", "entered_at": "2026-03-05T00:00:00Z", "held": None},
                              {"player_id": "dan", "entered_at": "2026-03-05T00:00:00Z",
                               "held": {"code": "no_consent", "text": body["held_back"]["by_reason"][0]["text"]}}]
    assert [r["entered"] for r in body["entries_per_day"]] == [0, 0, 0, 2, 0]
    assert body["held_back"]["total"] == 1 and body["text"] == "days_since_last_bet >= 2"
    edited = app_client.post(f"/v1/segments/{sid}/dry-run", json={**window, "text": "days_since_last_bet >= 9"}).json()
    assert (edited["entered"], edited["version"], edited["text"]) == (0, None, "days_since_last_bet >= 9")
    unsaved = app_client.post("/v1/segments/dry-run", json={**window, "text": "days_since_last_bet >= 2",
                                                            "purpose": "service"}).json()
    assert (unsaved["segment_id"], unsaved["entered"], unsaved["held_back"]["total"]) == (None, 2, 0)
    assert app_client.post("/v1/segments/999/dry-run", json=window).status_code == 404


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"text": "bet_count_30d >= 1"}, "since", "is required"),
    ({"text": "bet_count_30d >= 1", "since": "yesterday"}, "since", "RFC 3339"),
    ({"text": "bet_count_30d >= 1", "since": "2026-03-02T00:00:00"}, "since", "offset"),
    ({"text": "bet_count_30d >= 1", "since": 5}, "since", "RFC 3339"),
    ({"text": "bet_count_30d >= 1", "since": "2026-03-02T00:00:00Z", "until": "2026-03-01T00:00:00Z"}, "since",
     "before until"),
    ({"text": "bet_count_30d >= 1", "since": "2026-03-02T00:00:00Z", "until": "2026-03-02T00:00:00Z"}, "since",
     "before until"),
    ({"text": "bet_count_30d >= 1", "since": "2025-01-01T00:00:00Z", "until": "2026-03-02T00:00:00Z"}, "since",
     "at most 90 days"),
    ({"text": "bet_count_30d >= 1", "since": "2026-03-02T00:00:00Z", "until": "2999-01-01T00:00:00Z"}, "until",
     "future"),
    ({"text": "bet_count_30d >= 1", "since": "2026-03-02T00:00:00Z", "until": "2026-03-03T00:00:00Z",
      "sample": 5000}, "sample", "0 to 1000"),
    ({"text": "bet_count_30d >= ", "since": "2026-03-02T00:00:00Z", "until": "2026-03-03T00:00:00Z"}, "text", ""),
    ({"since": "2026-03-02T00:00:00Z", "until": "2026-03-03T00:00:00Z"}, None, "`text`"),
    ({"text": "bet_count_30d >= 1", "since": "2026-03-02T00:00:00Z", "until": "2026-03-03T00:00:00Z",
      "purpose": "spam"}, "purpose", "promotional"),
    ({"text": "bet_count_30d >= 1", "since": "2026-03-02T00:00:00Z", "window": 3}, "window", "not a field"),
])
def test_the_api_refuses_a_bad_dry_run_naming_the_field_and_value(app_client, body, field, words) -> None:  # noqa: ANN001
    answer = app_client.post("/v1/segments/dry-run", json=body)
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert detail["field"] == field and words in detail["message"], detail
    if field in ("since", "until", "sample", "purpose") and field in body:
        assert detail["value"] == body[field]


def test_the_cli_prints_the_dry_run(quiet) -> None:  # noqa: ANN001
    import croupier.cli.segments  # noqa: F401  (registers the segments commands)
    from croupier.cli.app import app

    runtime = quiet
    url = str(runtime.db.engine.url)
    runner = CliRunner()
    args = ["segments", "dry-run", "--text", "days_since_last_bet >= 2", "--since", "2026-03-02T00:00:00Z",
            "--until", "2026-03-06T00:00:00Z", "--db", url]
    answer = runner.invoke(app, [*args, "--json"])
    assert answer.exit_code == 0, answer.output
    body = json.loads(answer.output)
    assert (body["entered"], body["already_in"], body["held_back"]["total"]) == (3, 1, 2)
    assert [e["player_id"] for e in body["sample"]] == ["ann", "cid", "dan"]
    text = runner.invoke(app, args)
    assert text.exit_code == 0, text.output
    assert "would have entered: 3" in text.output and "2026-03-05" in text.output
    assert "no_consent" in text.output and "nothing was sent or written" in text.output
    bad = runner.invoke(app, ["segments", "dry-run", "--text", "days_since_last_bet >= 2", "--since", "yesterday",
                              "--db", url])
    assert bad.exit_code == 2 and "RFC 3339" in bad.output
    missing = runner.invoke(app, ["segments", "dry-run", "7", "--since", "2026-03-02T00:00:00Z", "--until",
                                  "2026-03-03T00:00:00Z", "--db", url])
    assert missing.exit_code == 2 and "no segment 7" in missing.output
