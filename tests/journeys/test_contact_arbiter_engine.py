"""The contact arbiter in the engine, through the real engine on the database: every message
a live journey proposes passes the arbiter before the gate. Caps count across journeys,
quiet hours hold a message in the player's own time and a `croupier.contact_due` fact
delivers it when they end, safer-play messages pass at once, fatigue holds players who
ignore their messages until they open one, an offer is never delivered after its expiry,
and what the arbiter held or dropped is in the audit log with its reasons (and in the
player's "why" answer). A replay reproduces the same decisions and memory; a restart finds
the waits again in the states."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from conftest import EventFactory, configure_registers, preset_registers
from croupier.api import Runtime
from croupier.api.audit_routes import why
from croupier.compliance import Proposal, decide
from croupier.compliance.document import ConfigDocument
from croupier.contact import ContactPolicy, Fatigue, QuietHours
from croupier.engine.contact_shell import load_waits, waits_of, write_due
from croupier.engine.contacts import VERDICT
from croupier.journeys import from_json
from croupier.journeys import publishing
from croupier.players import micros, new_state
from croupier.store.schema import audit_log, events as events_table
from tests.core import body

MALTA = ZoneInfo("Europe/Malta")
DAY0 = (datetime.now(timezone.utc) - timedelta(days=12)).date()   # far enough back for a week of days
POLICY = ContactPolicy(per_day=1, per_week=7, per_channel_day={}, quiet_hours=QuietHours("21:00", "09:00"),
                       fatigue=None, max_wait_hours=48)


def malta(day: int, hour: int, minute: int = 0) -> datetime:
    """`hour`:`minute` on day `day` after DAY0, the player's local time in Malta, in UTC."""
    d: date = DAY0 + timedelta(days=day)
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=MALTA).astimezone(timezone.utc)


def journey(key: str, template: str, *, purpose: str = "promotional", priority: int = 0, channel: str = "email",
            expires_after: str | None = None, exit_when: str | None = None) -> dict[str, Any]:
    send: dict[str, Any] = {"kind": "send", "id": "hello", "channel": channel, "template": template}
    if expires_after:
        send["expires_after"] = expires_after
    out = {"key": key, "name": key, "version": 1, "purpose": purpose, "group": key, "priority": priority,
           "trigger": {"kind": "event", "event": "player.login"},
           "steps": [send, {"kind": "exit", "id": "done"}], "reentry": {"policy": "always"}}
    if exit_when:
        out["exit_when"] = [exit_when]
    return out


@pytest.fixture
def runtime_with(db_url: str) -> Iterator[Any]:
    made: list[Runtime] = []

    def make(policy: ContactPolicy, *journeys: dict[str, Any]) -> Runtime:
        # stale data never holds these messages: the events are days old when they arrive
        runtime = Runtime(db_url, ConfigDocument(stale_after_minutes=10**7, contact=policy))
        made.append(runtime)
        configure_registers(runtime.db, *preset_registers())
        now_us = time.time_ns() // 1000
        with runtime.db.engine.begin() as conn:
            for definition in journeys:
                stored = publishing.create(conn, from_json(definition), "cleo", now_us)
                publishing.publish(conn, stored.journey_id, 1, "cleo", now_us)
        runtime.engine.process_pending(max_events=10**6)
        return runtime

    yield make
    for runtime in made:
        runtime.close()
        runtime.db.dispose()


def player(pid: str) -> EventFactory:
    return EventFactory(player_id=pid)


def registered(ev: EventFactory, at: datetime) -> dict[str, Any]:
    return ev.registered(at, jurisdiction="MT", country="MT", currency="EUR", language="en", timezone="Europe/Malta",
                         consents={"email": True, "sms": True, "push": True})


def ingest(runtime: Runtime, *events: dict[str, Any]) -> None:
    result = runtime.ingest(body(list(events)))
    assert not result.rejected and result.processed, result.as_dict()


def decisions(runtime: Runtime, pid: str) -> list[tuple[str, bool, list[str]]]:
    with runtime.db.reader.connect() as conn:
        rows = conn.execute(select(audit_log.c.body).where(audit_log.c.kind == "gate.decision",
                                                           audit_log.c.player_id == pid)
                            .order_by(audit_log.c.seq)).scalars().all()
    return [(b["name"], b["allowed"], b["reasons"]) for b in map(json.loads, rows) if b["params"].get("journey")]


def verdicts(runtime: Runtime, pid: str) -> list[dict[str, Any]]:
    with runtime.db.reader.connect() as conn:
        rows = conn.execute(select(audit_log.c.body).where(audit_log.c.kind == VERDICT, audit_log.c.player_id == pid)
                            .order_by(audit_log.c.seq)).scalars().all()
    return [json.loads(b) for b in rows]


def sent(runtime: Runtime, pid: str) -> list[str]:
    return [name for name, allowed, _ in decisions(runtime, pid) if allowed]


def test_the_daily_cap_counts_across_journeys_and_the_second_message_waits_for_the_next_morning(runtime_with):
    runtime = runtime_with(POLICY, journey("welcome", "hello_a", priority=500),
                           journey("offers", "offer_b", priority=100, channel="push"))
    ev = player("cap")
    ingest(runtime, registered(ev, malta(0, 9, 30)), ev("player.login", malta(0, 12)))
    assert sent(runtime, "cap") == ["hello_a"]                 # the higher priority takes the day's place
    [held] = verdicts(runtime, "cap")
    assert (held["name"], held["outcome"]) == ("offer_b", "wait")
    assert held["reasons"] == ["contact.lower_priority", "contact.cap_day:1", "contact.quiet_hours:21:00-09:00"]
    # the cap lifts at the player's midnight, inside quiet hours: it waits until 09:00 their time
    assert held["until_us"] == micros(malta(1, 9))
    state = runtime.engine.states["cap"]
    assert [h.name for h in state.held] == ["offer_b"] and len(state.contacts.contacts) == 1

    answer = why(runtime.db, "cap", "offer_b")
    assert not answer["received"] and "held by the contact policy until" in answer["summary"]
    assert "took the last place" in answer["decisions"][0]["explanations"][0]["text"]

    assert write_due(runtime.engine, micros(malta(1, 9)) - 1) == 0          # not yet
    assert write_due(runtime.engine, micros(malta(1, 9))) == 1
    assert sent(runtime, "cap") == ["hello_a", "offer_b"]
    state = runtime.engine.states["cap"]
    assert state.held == [] and [c.source for c in state.contacts.contacts] == ["journey:welcome", "journey:offers"]
    assert write_due(runtime.engine, micros(malta(3, 9))) == 0             # each wait once


def test_a_capped_message_that_may_not_wait_is_dropped_with_its_reasons(runtime_with):
    policy = ContactPolicy(per_day=1, per_week=7, per_channel_day={}, quiet_hours=None, fatigue=None, max_wait_hours=0)
    runtime = runtime_with(policy, journey("welcome", "hello_a", priority=500),
                           journey("offers", "offer_b", priority=100, channel="push"))
    ev = player("strict")
    ingest(runtime, registered(ev, malta(0, 9, 30)), ev("player.login", malta(0, 12)))
    assert sent(runtime, "strict") == ["hello_a"]
    [dropped] = verdicts(runtime, "strict")
    assert (dropped["name"], dropped["outcome"], dropped["reasons"]) == (
        "offer_b", "drop", ["contact.lower_priority", "contact.cap_day:1"])
    assert runtime.engine.states["strict"].held == []
    answer = why(runtime.db, "strict", "offer_b")
    assert "dropped by the contact policy" in answer["summary"]


def test_a_place_the_gate_refused_goes_to_the_next_message(runtime_with):
    runtime = runtime_with(POLICY, journey("welcome", "hello_sms", priority=500, channel="sms"),
                           journey("offers", "offer_b", priority=100))
    ev = player("nosms")
    ingest(runtime, ev.registered(malta(0, 9, 30), jurisdiction="MT", country="MT", currency="EUR", language="en",
                                  timezone="Europe/Malta", consents={"email": True, "sms": False, "push": True}),
           ev("player.login", malta(0, 12)))
    assert [(name, allowed) for name, allowed, _ in decisions(runtime, "nosms")] == [
        ("hello_sms", False), ("offer_b", True)]           # no sms consent: the day's place went to the email
    assert verdicts(runtime, "nosms") == []
    assert [c.source for c in runtime.engine.states["nosms"].contacts.contacts] == ["journey:offers"]


def test_a_message_in_quiet_hours_waits_and_a_due_fact_delivers_it(runtime_with):
    runtime = runtime_with(POLICY, journey("welcome", "hello_a"))
    ev = player("night")
    ingest(runtime, registered(ev, malta(0, 20)), ev("player.login", malta(0, 22, 30)))   # 22:30 in Malta
    assert sent(runtime, "night") == [] and decisions(runtime, "night") == []   # the gate was not asked
    [held] = verdicts(runtime, "night")
    assert held["outcome"] == "wait" and held["reasons"] == ["contact.quiet_hours:21:00-09:00"]
    assert held["until_us"] == micros(malta(1, 9))
    assert write_due(runtime.engine, micros(malta(1, 9))) == 1
    assert sent(runtime, "night") == ["hello_a"]
    with runtime.db.reader.connect() as conn:
        facts = conn.execute(select(events_table.c.player_id, events_table.c.occurred_at_us).where(
            events_table.c.type == "croupier.contact_due")).all()
    assert [tuple(f) for f in facts] == [("night", micros(malta(1, 9)))]


def test_a_player_who_left_the_journey_while_the_message_waited_gets_nothing(runtime_with):
    runtime = runtime_with(POLICY, journey("nudge", "deposit_nudge", exit_when="first_deposit_at is set"))
    ev = player("leaver")
    ingest(runtime, registered(ev, malta(0, 20)), ev("player.login", malta(0, 23)))
    ingest(runtime, ev("payment.deposit", malta(1, 7), transaction_id="d1", amount="20.00", currency="EUR",
                       status="approved", method="card"))
    assert write_due(runtime.engine, micros(malta(1, 9))) == 1
    assert sent(runtime, "leaver") == []
    assert [(v["outcome"], v["reasons"]) for v in verdicts(runtime, "leaver")] == [
        ("wait", ["contact.quiet_hours:21:00-09:00"]), ("drop", ["contact.left_journey:exit_when"])]
    assert runtime.engine.states["leaver"].held == []


def test_a_safer_play_message_passes_caps_and_quiet_hours_and_is_not_counted(runtime_with):
    runtime = runtime_with(POLICY, journey("welcome", "hello_a"), journey("care", "take_a_break", purpose="safer_play"))
    ev = player("care")
    ingest(runtime, registered(ev, malta(0, 9, 30)), ev("player.login", malta(0, 12)),
           ev("player.login", malta(0, 23)))           # the day's cap taken, and quiet hours
    # settled together, the safer-play message goes first (the arbiter's order)
    assert sent(runtime, "care") == ["take_a_break", "hello_a", "take_a_break"]
    assert len(runtime.engine.states["care"].contacts.contacts) == 1      # only the promotion counts
    assert [v["reasons"] for v in verdicts(runtime, "care")] == [
        ["contact.cap_day:1", "contact.quiet_hours:21:00-09:00"]]          # the second hello_a waits


def test_fatigue_holds_an_ignoring_player_and_an_open_ends_it(runtime_with):
    policy = ContactPolicy(per_day=1, per_week=7, per_channel_day={}, quiet_hours=None,
                           fatigue=Fatigue(after_ignored=2, judged_after_hours=24, reduce_to_per_week=0,
                                           pause_days=None), max_wait_hours=48)
    runtime = runtime_with(policy, journey("welcome", "hello_a"))
    ev = player("tired")
    ingest(runtime, registered(ev, malta(0, 9)), ev("player.login", malta(0, 10)), ev("player.login", malta(1, 10)))
    assert sent(runtime, "tired") == ["hello_a", "hello_a"]
    ingest(runtime, ev("player.login", malta(3, 10)))
    assert sent(runtime, "tired") == ["hello_a", "hello_a"]
    [dropped] = verdicts(runtime, "tired")
    assert (dropped["outcome"], dropped["reasons"]) == ("drop", ["contact.fatigue:2"])
    last = runtime.engine.states["tired"].contacts.contacts[-1]
    ingest(runtime, ev("message.feedback", malta(3, 11), message_id=last.message_id, outcome="opened"))
    assert runtime.engine.states["tired"].contacts.contacts[-1].engaged
    ingest(runtime, ev("player.login", malta(3, 12)))
    assert sent(runtime, "tired") == ["hello_a", "hello_a", "hello_a"]


def test_an_offer_held_past_its_expiry_is_dropped_and_the_gate_refuses_an_expired_one(runtime_with):
    runtime = runtime_with(POLICY, journey("flash", "flash_offer", expires_after="PT2H"))
    ev = player("late")
    ingest(runtime, registered(ev, malta(0, 20)), ev("player.login", malta(0, 22)))
    assert decisions(runtime, "late") == []
    [dropped] = verdicts(runtime, "late")
    assert (dropped["outcome"], dropped["reasons"]) == ("drop", ["contact.expired", "contact.quiet_hours:21:00-09:00"])
    assert dropped["params"]["expires_at_us"] == micros(malta(1, 0))
    assert runtime.engine.states["late"].held == []
    # a late re-check (a dispatcher asking the gate again) never honours it either
    state = runtime.engine.states["late"]
    proposal = Proposal(kind="message", name="flash_offer", player_id="late", cause_event_id=dropped["cause_event_id"],
                        channel="email", params=dropped["params"])
    assert "message_expired" in decide(proposal, state, runtime.engine.config, micros(malta(1, 0))).reasons
    assert "message_expired" not in decide(proposal, state, runtime.engine.config, micros(malta(0, 23, 59))).reasons
    assert "message_expired" in decide(proposal, new_state("x"), runtime.engine.config, micros(malta(2, 0))).reasons


def test_a_replay_reproduces_the_decisions_and_memory_and_a_restart_finds_the_waits(runtime_with):
    runtime = runtime_with(POLICY, journey("welcome", "hello_a", priority=500),
                           journey("offers", "offer_b", priority=100, channel="push"))
    a, b = player("ra"), player("rb")
    ingest(runtime, registered(a, malta(0, 9)), registered(b, malta(0, 9)), a("player.login", malta(0, 12)),
           b("player.login", malta(0, 22)))
    assert write_due(runtime.engine, micros(malta(1, 9))) == 3   # a's offer and b's two messages: due at 09:00
    ingest(runtime, a("player.login", malta(1, 12)))           # a's day taken by the offer: both wait
    engine = runtime.engine
    engine.flush()
    assert sorted(h.name for h in engine.states["ra"].held) == ["hello_a", "offer_b"]
    assert len(engine.states["rb"].held) == 1                  # b's second message found its day taken
    with runtime.db.reader.connect() as conn:
        audited = conn.execute(select(audit_log.c.kind, audit_log.c.subject).order_by(audit_log.c.seq)).all()
    before = {pid: (s.contacts, s.held) for pid, s in engine.states.items()}
    decided = {pid: decisions(runtime, pid) for pid in ("ra", "rb")}

    engine.reset()
    engine.process_pending(max_events=10**9)
    assert {pid: (s.contacts, s.held) for pid, s in engine.states.items()} == before
    with runtime.db.reader.connect() as conn:
        assert conn.execute(select(audit_log.c.kind, audit_log.c.subject).order_by(audit_log.c.seq)).all() == audited
    assert {pid: decisions(runtime, pid) for pid in ("ra", "rb")} == decided

    # a restart: the waits are found again in the stored states
    engine.flush()
    engine.contact_waits = None
    engine.states.clear()
    load_waits(engine)
    pending = sorted((d, p, m) for d, _, p, _, m in waits_of(engine).heap)
    assert pending == sorted((h.until_us, pid, h.message_id) for pid, (_, held) in before.items() for h in held)
    assert {d for d, _, _ in pending} == {micros(malta(2, 9))}
    assert write_due(engine, micros(malta(2, 9))) == 3
    assert len(sent(runtime, "rb")) == 2 and len(sent(runtime, "ra")) == len(decided["ra"]) + 1


def test_a_state_keeps_its_contacts_in_snapshots_and_an_old_snapshot_loads_empty():
    import msgspec

    from croupier.contact import Contact, ContactMemory, ContactRequest
    from croupier.players.contact_state import HeldContact
    from croupier.store.states import decode, encode

    state = new_state("snap")
    state.contacts = ContactMemory((Contact(1, "email", "journey:welcome", 500, "m1", True),))
    request = ContactRequest("journey", "offers", "hello", "push", priority=100, expires_at_us=9, requested_at_us=2,
                             message_id="m2")
    state.held = [HeldContact(5, request, "offer_b", "js_1", ("contact.cap_day:1",), {"journey": "offers"})]
    assert decode(encode(state)) == state
    old = msgspec.to_builtins(state)
    del old["contacts"], old["held"]                      # a state saved before either existed
    loaded = decode(msgspec.msgpack.encode(old))
    assert loaded.contacts == ContactMemory() and loaded.held == []
    assert loaded.journeys == state.journeys and loaded.player_id == "snap"
