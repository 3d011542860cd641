"""File replay: JSON lines and CSV, gzip, line-numbered rejections, idempotent re-runs, CLI."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from croupier.engine import Engine
from croupier.ingest.files import FileError, replay_file
from croupier.ingest.mapping import Mapping
from croupier.players.state import DEP_N
from croupier.store import open_database
from croupier.store import eventlog
from croupier.store.schema import events

import croupier.cli.consume  # noqa: F401 - registers `consume` (two commands keep subcommand names)
import croupier.cli.ingest  # noqa: F401 - registers `ingest`
from croupier.cli.app import app


def _count(db) -> int:  # noqa: ANN001
    """Events imported (Croupier's own facts, e.g. a registration's register check, left out)."""
    with db.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(events)
                            .where(events.c.type.not_like("croupier.%"))).scalar_one()


def _payloads(db, player_id: str) -> list[dict]:  # noqa: ANN001
    """The player's events as imported (Croupier's own facts, e.g. a limit set from an
    imported limit.changed, are left out)."""
    with db.engine.connect() as conn:
        rows = [json.loads(p) for _, p, _ in eventlog.player_history(conn, player_id)]
    return [row for row in rows if not row["type"].startswith("croupier.")]


def _write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def mixed_jsonl(tmp_path, make_event):  # noqa: ANN001, ANN201
    """Line numbers matter: 1 reg, 2 deposit, 3 bet, 4 blank, 5 duplicate of 3, 6 broken JSON,
    7 amount as a number, 8 unknown type, 9 a JSON array, 10 bet of another player."""
    reg = make_event.registered(timedelta(minutes=-10))
    dep = make_event("payment.deposit", timedelta(minutes=1-10), transaction_id="t1", amount="50.00",
                     currency="SEK", status="approved")
    bet = make_event("casino.bet", timedelta(minutes=2-10), bet_id="b1", amount="10.00", currency="SEK",
                     game_category="slots")
    numeric = make_event("casino.bet", timedelta(minutes=3-10), bet_id="b2", amount=10.5, currency="SEK")
    unknown = make_event("casino.jackpot", timedelta(minutes=4-10))
    other = make_event("casino.bet", timedelta(minutes=5-10), bet_id="b3", amount="1.00", currency="EUR",
                       player_id="p2")
    lines = [json.dumps(reg), json.dumps(dep), json.dumps(bet), "", json.dumps(bet),
             '{"event_id": "broken", "type": ', json.dumps(numeric), json.dumps(unknown), "[1, 2]",
             json.dumps(other)]
    path = _write_lines(tmp_path / "events.jsonl", lines)
    return path, {"reg": reg, "dep": dep, "bet": bet, "numeric": numeric, "unknown": unknown, "other": other}


def test_jsonl_counts_line_numbers_reasons_and_player_state(db_url, mixed_jsonl):  # noqa: ANN001
    path, ev = mixed_jsonl
    db = open_database(db_url)
    engine = Engine(db)
    report = replay_file(db, path, engine=engine)

    assert (report.records, report.accepted, report.duplicates, report.rejected) == (9, 4, 1, 4)
    assert report.processed == 4
    assert report.first_duplicates == [{"line": 5, "event_id": ev["bet"]["event_id"], "duplicate_of": "line 3"}]
    rejected = {r.line: r for r in report.first_rejections}
    assert sorted(rejected) == [6, 7, 8, 9]
    assert rejected[6].reason.startswith("not valid JSON") and rejected[6].event_id is None
    assert (rejected[7].event_id, rejected[7].field, rejected[7].value) == (ev["numeric"]["event_id"], "amount", 10.5)
    assert "decimal string" in rejected[7].reason
    assert rejected[8].field == "type" and "unknown event type 'casino.jackpot'" in rejected[8].reason
    assert rejected[9].reason == "an event must be a JSON object, not an array"

    state = engine.state_of("p1")
    assert state.registered and state.event_count == 4      # the three, and the register check (a fact)
    assert state.life[DEP_N] == 1 and state.consents == {"email": True, "sms": False, "push": True}
    assert engine.state_of("p2").event_count == 1
    assert [p["event_id"] for p in _payloads(db, "p1")] == [ev["reg"]["event_id"], ev["dep"]["event_id"],
                                                          ev["bet"]["event_id"]]
    db.dispose()


def test_second_run_stores_nothing_and_reports_duplicates(db_url, mixed_jsonl):  # noqa: ANN001
    path, _ = mixed_jsonl
    db = open_database(db_url)
    first = Engine(db)
    replay_file(db, path, engine=first)
    first.close()  # gives up the lease, as a finished `croupier ingest` does
    stored = _count(db)

    engine = Engine(db)  # a fresh process: state comes from the database
    again = replay_file(db, path, engine=engine)
    assert (again.accepted, again.duplicates, again.rejected) == (0, 5, 4)
    assert {d["duplicate_of"] for d in again.first_duplicates} == {"an event already stored", "line 3"}
    assert _count(db) == stored == 4
    assert engine.state_of("p1").event_count == 4            # with the registration's register check
    engine.close()
    db.dispose()


def test_small_chunks_keep_line_numbers_and_dedupe_across_chunks(sqlite_url, mixed_jsonl):  # noqa: ANN001
    path, ev = mixed_jsonl
    db = open_database(sqlite_url)
    report = replay_file(db, path, engine=Engine(db), chunk=1)
    assert (report.accepted, report.duplicates, report.rejected) == (4, 1, 4)
    # the duplicate (line 5) sits in another chunk than its original (line 3)
    assert report.first_duplicates == [{"line": 5, "event_id": ev["bet"]["event_id"],
                                        "duplicate_of": "an event already stored"}]
    assert [r.line for r in report.first_rejections] == [6, 7, 8, 9]


def test_csv_with_mapping_file_set_constants_and_type_conversions(db_url, tmp_path, make_event):  # noqa: ANN001
    at = make_event.now.isoformat()
    csv_text = (
        "id,kind_of_event,player,when,jurisdiction,country,currency,consents.email,consents.sms,"
        "kind,period,minutes,note\n"
        f"r1,player.registered,c1,{at},SE,SE,SEK,yes,0,,,,first\n"
        "\n"
        f"l1,limit.changed,c1,{at},,,,,,session_time,day,90,limit\n"
        f'l2,limit.changed,c1,{at},,,,,,session_time,day,"ninety",typo\n'
        f"r2,player.registered,c2,{at},SE,SE,SEK,maybe,no,,,,bad bool\n"
        f"r3,player.registered,c3,{at},SE,SE\n"
    )
    path = tmp_path / "players.csv"
    path.write_text(csv_text, encoding="utf-8")
    map_file = tmp_path / "map.json"
    map_file.write_text(json.dumps({"event_id": "id", "type": "kind_of_event", "player_id": "player",
                                    "occurred_at": "when"}))
    mapping = Mapping.load(map_file).merged(Mapping(constants={"brand": "aurora"}))

    db = open_database(db_url)
    engine = Engine(db)
    report = replay_file(db, path, mapping=mapping, engine=engine)

    assert (report.records, report.accepted, report.rejected) == (5, 2, 3)
    assert report.ignored_columns == ["note"]
    rejected = {r.line: r for r in report.first_rejections}
    assert (rejected[5].event_id, rejected[5].field, rejected[5].value) == ("l2", "minutes", "ninety")
    assert (rejected[6].event_id, rejected[6].field, rejected[6].value) == ("r2", "consents.email", "maybe")
    assert rejected[7].reason == "has 6 cells but the header has 13 columns"

    registered, limit = _payloads(db, "c1")
    assert registered["consents"] == {"email": True, "sms": False}
    assert registered["brand"] == "aurora" and "note" not in registered
    assert limit["minutes"] == 90 and limit["kind"] == "session_time" and "amount" not in limit
    state = engine.state_of("c1")
    assert state.consents["email"] is True and state.limit_changes == 1
    db.dispose()


def test_csv_amounts_stay_decimal_strings_and_unknown_mapped_column_is_an_error(sqlite_url, tmp_path, make_event):  # noqa: ANN001
    at = make_event.now.isoformat()
    path = tmp_path / "bets.csv"
    path.write_text(f"bet,player,time,stake,live\nx1,s1,{at},12.50,true\nx2,s1,{at},7,0\n", encoding="utf-8")
    db = open_database(sqlite_url)
    mapping = Mapping({"event_id": "bet", "bet_id": "bet", "player_id": "player", "occurred_at": "time",
                       "amount": "stake"},
                      {"type": "sports.bet_placed", "brand": "aurora", "currency": "EUR"})
    report = replay_file(db, path, mapping=mapping)
    assert (report.accepted, report.rejected) == (2, 0)
    first, second = _payloads(db, "s1")
    assert (first["amount"], first["live"]) == ("12.50", True)
    assert (second["amount"], second["live"]) == ("7", False)

    bad = Mapping({"event_id": "missing_column"})
    with pytest.raises(FileError, match="column 'missing_column'.*not in the header"):
        replay_file(db, path, mapping=bad)


def test_gzip_is_read_transparently(db_url, tmp_path, make_event):  # noqa: ANN001
    events = [make_event("player.login", timedelta(seconds=-i), player_id=f"g{i % 3}") for i in range(30)]
    path = tmp_path / "logins.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write("\n".join(json.dumps(e) for e in events) + "\nnot json\n")
    db = open_database(db_url)
    engine = Engine(db)
    report = replay_file(db, path, engine=engine, chunk=7)
    assert report.compressed and report.format == "jsonl"
    assert (report.accepted, report.rejected) == (30, 1)
    assert report.first_rejections[0].line == 31
    assert report.bytes_read == report.bytes_total == path.stat().st_size
    assert engine.state_of("g0").event_count == 10
    db.dispose()


def test_truncated_gzip_keeps_what_was_stored_and_a_rerun_completes(sqlite_url, tmp_path, make_event):  # noqa: ANN001
    """A file that breaks mid-way (here: cut-off compression) fails with exit-1 semantics,
    but every chunk committed before the break stays stored; the full file then resumes."""
    events = [make_event("player.login", timedelta(seconds=i - 3_000), player_id=f"t{i % 5}",
                         device_id=f"device-{i * 7919 % 104729}") for i in range(3_000)]
    full = tmp_path / "full.jsonl.gz"
    with gzip.open(full, "wt", encoding="utf-8") as out:
        out.write("\n".join(json.dumps(e) for e in events) + "\n")
    data = full.read_bytes()
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])

    db = open_database(sqlite_url)
    with pytest.raises(FileError, match="everything before that point is stored") as info:
        replay_file(db, cut, chunk=500)
    partial = info.value.report
    assert partial.accepted > 0 and partial.accepted % 500 == 0 and partial.rejected == 0
    assert _count(db) == partial.accepted

    rerun = replay_file(db, full, chunk=500)
    assert rerun.duplicates == partial.accepted
    assert rerun.accepted == 3_000 - partial.accepted
    assert _count(db) == 3_000


def test_format_detection(tmp_path, sqlite_url):  # noqa: ANN001
    db = open_database(sqlite_url)
    path = tmp_path / "events.txt"
    path.write_text("")
    with pytest.raises(FileError, match="pass --format"):
        replay_file(db, path)
    assert replay_file(db, path, format="ndjson").format == "jsonl"
    with pytest.raises(FileError, match="cannot read"):
        replay_file(db, tmp_path / "nope.jsonl")


def test_set_constants_on_json_lines(sqlite_url, tmp_path, make_event):  # noqa: ANN001
    event = make_event("casino.bet", bet_id="b", amount="1.00", currency="EUR")
    del event["brand"]
    path = _write_lines(tmp_path / "e.jsonl", [json.dumps(event)])
    db = open_database(sqlite_url)
    report = replay_file(db, path, mapping=Mapping(constants={"brand": "nova"}))
    assert report.accepted == 1
    assert _payloads(db, "p1")[0]["brand"] == "nova"


# -- the command line -----------------------------------------------------------------------------

runner = CliRunner()


def test_cli_gzip_rejects_file_strict_and_exit_codes(sqlite_url, tmp_path, make_event):  # noqa: ANN001
    good = [make_event("player.login", timedelta(seconds=-i)) for i in range(4)]
    bad = make_event("casino.bet", bet_id="b", amount="1.00", currency="eur")
    path = tmp_path / "in.ndjson.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write("\n".join([json.dumps(good[0]), "{oops", json.dumps(bad), *map(json.dumps, good[1:])]) + "\n")
    rejects = tmp_path / "rejects.jsonl"

    result = runner.invoke(app, ["ingest", str(path), "--db", sqlite_url, "--rejects", str(rejects), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["accepted"], summary["duplicates"], summary["rejected"]) == (4, 0, 2)
    written = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [(r["line"], r["event_id"], r["field"]) for r in written] == [(2, None, None),
                                                                         (3, bad["event_id"], "currency")]
    assert "ISO 4217" in written[1]["reason"]

    again = runner.invoke(app, ["ingest", str(path), "--db", sqlite_url, "--strict"])
    assert again.exit_code == 2
    assert "duplicate" in again.stdout and "rejected" in again.stdout

    missing = runner.invoke(app, ["ingest", str(tmp_path / "absent.jsonl"), "--db", sqlite_url])
    assert missing.exit_code == 1
    assert "cannot read" in missing.output


def test_cli_csv_with_map_column_and_set(sqlite_url, tmp_path, make_event):  # noqa: ANN001
    at = make_event.now.isoformat()
    path = tmp_path / "deposits.csv"
    path.write_text("tx,customer,ts,value,ccy,state\n"
                    f"d1,k1,{at},25.00,EUR,approved\n"
                    f"d2,k1,{at},10.00,EUR,pending\n", encoding="utf-8")
    args = ["ingest", str(path), "--db", sqlite_url, "--set", "type=payment.deposit", "--set", "brand=aurora",
            "--map-column", "event_id=tx", "--map-column", "transaction_id=tx",
            "--map-column", "player_id=customer", "--map-column", "occurred_at=ts",
            "--map-column", "amount=value", "--map-column", "currency=ccy", "--map-column", "status=state"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "accepted" in result.stdout and "status" in result.stdout  # d2's bad status is listed
    db = open_database(sqlite_url)
    (deposit,) = _payloads(db, "k1")
    assert (deposit["transaction_id"], deposit["amount"], deposit["status"]) == ("d1", "25.00", "approved")
    state = Engine(db).state_of("k1")
    assert state is not None and state.life[DEP_N] == 1

    bad = runner.invoke(app, ["ingest", str(path), "--db", sqlite_url, "--map-column", "amount"])
    assert bad.exit_code == 1 and "FIELD=VALUE" in bad.output


def test_a_column_named_like_a_field_still_maps_to_itself_when_it_also_feeds_another():
    from croupier.ingest.mapping import RowPlan

    plan = RowPlan(["event_id", "player_id", "amount", "amount_eur"],
                   Mapping({"transaction_id": "event_id", "amount": "amount_eur"}))
    assert sorted(plan.sources) == [("amount", 3), ("event_id", 0), ("player_id", 1), ("transaction_id", 0)]
    assert plan.ignored == ["amount"]  # taken by the explicit mapping
