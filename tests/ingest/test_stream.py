"""The NATS JetStream consumer, against a real server: storage, engine state, dead letters,
redelivery after a crash between store and ack, partition ownership, graceful stop."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from croupier.engine import Engine
from croupier.ingest.stream import (
    ConsumerSettings, StreamConsumer, consume, partition_of, publish_events, subject_for,
)
from croupier.store import open_database
from croupier.store.schema import events as events_table

from conftest import require_service

NATS_URL = os.environ.get("CROUPIER_TEST_NATS", "nats://127.0.0.1:4222")


# -- partitioning (no server needed) -----------------------------------------------------------

def test_partition_is_a_stable_crc32_of_the_player_id():
    # Pinned values: producers in other languages compute CRC-32 (IEEE) of the UTF-8 id mod N.
    assert [partition_of("player-42", 16), partition_of("p1", 16), partition_of("p2", 16)] == [9, 3, 9]
    assert partition_of("spieler-ä", 7) == 6
    event = {"player_id": "p1", "brand": "aurora", "event_id": "x"}
    assert subject_for(event) == "croupier.events.aurora.3"
    assert subject_for({**event, "brand": "a.b c*"}, 4, "x.events") == "x.events.a_b_c_.3"
    assert subject_for({"event_id": "no player or brand"}, 16) == "croupier.events._.0"
    with pytest.raises(ValueError, match="at least 1"):
        partition_of("p1", 0)


# -- fixtures -----------------------------------------------------------------------------------

def _run(coro):  # noqa: ANN001, ANN202
    return asyncio.run(coro)


@pytest.fixture
def nats_names():  # noqa: ANN201
    """Unique stream, subjects and dead-letter subject for this test; deleted afterwards."""
    import nats

    async def probe() -> None:
        nc = await nats.connect(NATS_URL, connect_timeout=2, max_reconnect_attempts=0,
                                allow_reconnect=False)
        try:
            await nc.jetstream().account_info()
        finally:
            await nc.close()

    try:
        _run(probe())
    except Exception as exc:  # noqa: BLE001 - any failure means: no usable server
        require_service("NATS JetStream", f"{NATS_URL}: {type(exc).__name__}: {exc}")
    uid = uuid.uuid4().hex[:10]
    settings = ConsumerSettings(url=NATS_URL, stream=f"CRTEST_{uid}", subject_prefix=f"crtest.{uid}.events",
                                durable="worker", dead_letter=f"crtest.{uid}.rejected", batch=100,
                                ack_wait=1.0, fetch_timeout=0.3)
    yield settings

    async def cleanup() -> None:
        nc = await nats.connect(NATS_URL)
        js = nc.jetstream()
        for name in (settings.stream, f"{settings.stream}_REJECTED"):
            try:
                await js.delete_stream(name)
            except Exception:  # noqa: BLE001, S110 - not created by this test
                pass
        await nc.close()

    _run(cleanup())


def _stored(db) -> list[str]:  # noqa: ANN001
    """Ids of the events consumed (Croupier's own facts, e.g. a registration's register check, left out)."""
    with db.engine.connect() as conn:
        return list(conn.execute(sa.select(events_table.c.event_id).where(events_table.c.type.not_like("croupier.%"))
                                 .order_by(events_table.c.seq)).scalars())


async def _dead_letters(settings: ConsumerSettings) -> list[dict]:
    import nats

    nc = await nats.connect(settings.url)
    js = nc.jetstream()
    name = f"{settings.stream}_REJECTED"
    info = await js.stream_info(name)
    letters = [json.loads((await js.get_msg(name, seq)).data) for seq in range(1, info.state.last_seq + 1)]
    await nc.close()
    return letters


async def _publish(settings: ConsumerSettings, events, **kw) -> int:  # noqa: ANN001
    return await publish_events(settings.url, events, stream=settings.stream, prefix=settings.subject_prefix,
                                partitions=settings.partitions, **kw)


async def _publish_raw(settings: ConsumerSettings, subject_suffix: str, payload: bytes) -> None:
    import nats

    nc = await nats.connect(settings.url)
    await nc.jetstream().publish(f"{settings.subject_prefix}.{subject_suffix}", payload)
    await nc.close()


# -- consuming -----------------------------------------------------------------------------------

@pytest.mark.nats
def test_consumer_stores_processes_dedupes_and_dead_letters(db_url, nats_names, make_event):  # noqa: ANN001
    s = nats_names
    reg = make_event.registered(timedelta(minutes=-5))
    dep = make_event("payment.deposit", timedelta(minutes=-4), transaction_id="t1", amount="20.00",
                     currency="SEK", status="approved")
    bet = make_event("casino.bet", timedelta(minutes=-3), bet_id="b1", amount="5.00", currency="SEK")
    other = make_event("player.login", timedelta(minutes=-3), player_id="p2")
    bad = make_event("casino.bet", timedelta(minutes=-2), bet_id="b2", amount=5, currency="SEK")
    array_ok = make_event("player.login", timedelta(minutes=-1), player_id="p3")
    array_bad = make_event("kyc.status_changed", timedelta(minutes=-1), player_id="p3", status="sleepy")

    async def publish() -> None:
        await _publish(s, [reg, dep, bet, other])
        await _publish(s, [bet], dedupe=False)           # a producer's retry, past the stream's dedupe
        await _publish(s, [bad])
        await _publish(s, [array_ok, array_bad], per_message=5)   # one message, a JSON array
        await _publish_raw(s, "aurora.1", b'{"event_id": "truncated", "type": "casino.b')

    _run(publish())
    db = open_database(db_url)
    engine = Engine(db)
    totals = _run(consume(db, s, engine=engine, until_idle=True))

    assert (totals.messages, totals.accepted, totals.duplicates, totals.rejected) == (8, 5, 1, 3)
    assert sorted(_stored(db)) == sorted(e["event_id"] for e in (reg, dep, bet, other, array_ok))
    state = engine.state_of("p1")
    assert state.registered and state.event_count == 4 and state.currency == "SEK"   # and the register check
    assert engine.state_of("p3").event_count == 1

    letters = sorted(_run(_dead_letters(s)), key=lambda d: d["stream_seq"])
    assert len(letters) == 3
    numeric, status, unreadable = letters
    assert (numeric["event_id"], numeric["field"], numeric["index"]) == (bad["event_id"], "amount", 0)
    assert "decimal string" in numeric["reason"] and numeric["original"] == bad
    assert (status["event_id"], status["field"], status["index"]) == (array_bad["event_id"], "status", 1)
    assert status["original"] == array_bad and status["subject"] == subject_for(array_bad, 16, s.subject_prefix)
    assert unreadable["index"] is None and unreadable["reason"].startswith("not valid JSON")
    assert unreadable["original"] == '{"event_id": "truncated", "type": "casino.b'

    # Everything was acknowledged: a second run finds nothing to do.
    again = _run(consume(db, s, engine=engine, until_idle=True))
    assert (again.messages, again.accepted) == (0, 0)
    engine.close()
    db.dispose()


@pytest.mark.nats
def test_money_events_of_a_ledger_brand_become_dead_letters(db_url, nats_names, make_event):  # noqa: ANN001
    """The consumer applies the brand's money of record like POST /v1/events: the start
    configuration here, an approved version in the database where there is one."""
    from croupier.players import EngineConfig

    s = nats_names
    reg = make_event.registered(timedelta(minutes=-5))
    dep = make_event("payment.deposit", timedelta(minutes=-4), transaction_id="t1", amount="20.00",
                     currency="SEK", status="approved")
    _run(_publish(s, [reg, dep]))
    db = open_database(db_url)
    totals = _run(consume(db, s, until_idle=True, config=EngineConfig(money_of_record={"aurora": "ledger"})))
    assert (totals.accepted, totals.rejected) == (1, 1)
    assert _stored(db) == [reg["event_id"]]
    [letter] = _run(_dead_letters(s))
    assert (letter["event_id"], letter["field"], letter["original"]) == (dep["event_id"], "type", dep)
    assert "money_of_record: ledger" in letter["reason"]
    db.dispose()


@pytest.mark.nats
def test_crash_between_store_and_ack_redelivers_without_double_storing(sqlite_url, nats_names, make_event):  # noqa: ANN001
    s = nats_names
    batch = [make_event("casino.bet", timedelta(seconds=i - 60), bet_id=f"b{i}", amount="1.00",
                        currency="EUR") for i in range(12)]
    _run(_publish(s, batch))
    db = open_database(sqlite_url)

    async def crash_after_store() -> int:
        first = StreamConsumer(db, s, engine=Engine(db))
        await first.connect()
        msgs = await first.fetch()
        outcome = await first.handle(msgs)       # stored durably and processed ...
        assert outcome.accepted == len(msgs) == 12
        first.engine.close()
        await first.nc.close()                   # ... and the process dies before acking
        return len(msgs)

    fetched = _run(crash_after_store())
    assert len(_stored(db)) == 12

    engine = Engine(db)
    started = time.monotonic()
    totals = _run(consume(db, s, engine=engine, until_idle=True))
    assert time.monotonic() - started >= 0.5     # the messages came back only after ack_wait
    assert (totals.redelivered, totals.duplicates, totals.accepted) == (fetched, 12, 0)
    assert _stored(db) == [e["event_id"] for e in batch]
    assert engine.state_of("p1").event_count == 12
    engine.close()
    db.dispose()


@pytest.mark.nats
def test_crash_before_store_loses_nothing(sqlite_url, nats_names, make_event):  # noqa: ANN001
    s = nats_names
    batch = [make_event("player.login", timedelta(seconds=i - 60)) for i in range(5)]
    _run(_publish(s, batch))
    db = open_database(sqlite_url)

    async def fetch_and_die() -> None:
        first = StreamConsumer(db, s)
        await first.connect()
        assert len(await first.fetch()) == 5
        await first.nc.close()

    _run(fetch_and_die())
    assert _stored(db) == []
    totals = _run(consume(db, s, until_idle=True))
    assert (totals.redelivered, totals.accepted) == (5, 5)
    assert _stored(db) == [e["event_id"] for e in batch]


@pytest.mark.nats
def test_partition_owners_split_the_players_and_together_store_everything(sqlite_url, nats_names, make_event):  # noqa: ANN001
    s = nats_names
    s.partitions = 4
    players = [f"player-{i}" for i in range(12)]
    batch = [make_event("player.login", timedelta(seconds=-i), player_id=pid) for i, pid in enumerate(players * 2)]
    _run(_publish(s, batch))
    db = open_database(sqlite_url)

    from dataclasses import replace

    low = _run(consume(db, replace(s, owned=(0, 1)), until_idle=True))
    low_ids = set(_stored(db))
    expected_low = {e["event_id"] for e in batch if partition_of(e["player_id"], 4) in (0, 1)}
    assert low_ids == expected_low and 0 < low.accepted < len(batch)
    high = _run(consume(db, replace(s, owned=(2, 3)), until_idle=True))
    assert low.accepted + high.accepted == len(batch)
    assert set(_stored(db)) == {e["event_id"] for e in batch}


@pytest.mark.nats
def test_cli_consume_stops_gracefully_on_sigterm(sqlite_url, nats_names, make_event, tmp_path):  # noqa: ANN001
    s = nats_names
    batch = [make_event("player.login", timedelta(seconds=i - 60)) for i in range(20)]
    _run(_publish(s, batch, per_message=5))
    cmd = [sys.executable, "-c", "from croupier.cli import main; main()", "consume", "--nats", s.url,
           "--stream", s.stream, "--subjects", s.subject_prefix, "--dead-letter", s.dead_letter,
           "--durable", "cli", "--db", sqlite_url, "--batch", "50"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            try:
                check = open_database(sqlite_url, migrate=False)
                done = len(_stored(check)) == 20
                check.dispose()
            except sa.exc.OperationalError:  # the consumer has not created the schema yet
                done = False
            if done:
                break
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped: 20 events in 4 messages — accepted 20" in err


@pytest.mark.nats
@pytest.mark.postgres
def test_database_outage_keeps_the_batch_and_retries_until_stored(nats_names, make_event):  # noqa: ANN001
    """A real outage: the database refuses connections while the first batch is stored. The
    consumer must neither ack nor drop the batch, and must store it once the database is back."""
    from conftest import PG_ADMIN_URL, create_pg_database

    s = nats_names
    name = f"croupier_outage_{uuid.uuid4().hex[:8]}"
    admin = create_pg_database(name)

    def refuse_connections(refuse: bool) -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"false" if refuse else "true"}'))
            if refuse:
                conn.execute(sa.text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))

    batch = [make_event("player.login", timedelta(seconds=i - 60)) for i in range(5)]
    _run(_publish(s, batch))
    db = open_database(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
    try:
        async def run_through_outage():  # noqa: ANN202
            consumer = StreamConsumer(db, s)
            await consumer.connect()
            refuse_connections(True)
            asyncio.get_running_loop().call_later(1.2, refuse_connections, False)
            return await consumer.run(until_idle=True)

        totals = _run(run_through_outage())
        assert totals.store_failures >= 1
        assert (totals.accepted, totals.redelivered, totals.batches) == (5, 0, 1)
        assert _stored(db) == [e["event_id"] for e in batch]
    finally:
        db.dispose()
        refuse_connections(False)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
