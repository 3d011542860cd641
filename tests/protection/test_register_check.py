"""A registration in a market with a national register, end to end through `POST /v1/events`:
the welcome proposed with the registration is held (`register_check_pending`) until the
register answers, in a `croupier.register_screened` fact. A listed person is excluded and never
gets it; a clear one gets it after the screening; a register that is down keeps every
promotion held (`register_unavailable`) and releases them when it answers. Replaying the log
gives the same states and decisions. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from croupier.compliance import Proposal, decide
from croupier.players import micros
from croupier.protection.exclusions_hook import screener_for, tick
from croupier.protection.persons import hash_email
from croupier.protection.registers import HttpRegister
from croupier.store import audit as audit_store
from croupier.store.schema import audit_log, events, exclusions, outbox
from croupier.store.states import encode

from . import make_runtime, now, registration
from .test_registers import LookupServer, _croupier, client_for


def _welcomes(client, player_id: str) -> list[dict]:  # noqa: ANN001
    """The gate's decisions about the welcome, oldest first (from "why")."""
    answer = client.get(f"/v1/players/{player_id}/why", params={"action": "welcome"}).json()
    return list(reversed(answer["decisions"]))


def _screenings(runtime, player_id: str) -> list[tuple[str, str]]:  # noqa: ANN001
    with runtime.db.engine.connect() as conn:
        rows = conn.execute(select(events.c.payload).where(events.c.player_id == player_id,
                                                           events.c.type == "croupier.register_screened")
                            .order_by(events.c.seq)).scalars()
        return [(json.loads(p)["register"], json.loads(p)["status"]) for p in rows]


def _promotion(runtime, player_id: str, kind: str = "bonus"):  # noqa: ANN001, ANN202
    at = micros(now())
    return decide(Proposal(kind=kind, name="reload", player_id=player_id, cause_event_id="c1",
                           channel="email" if kind == "message" else None),
                  runtime.engine.state_of(player_id), runtime.config, at, at)


def assert_replay_is_identical(runtime) -> None:  # noqa: ANN001
    """A replay of the log (as `croupier replay` runs it) rebuilds the same states and reaches
    the same decisions, recording nothing twice."""
    engine = runtime.engine
    engine.flush()
    live = {pid: encode(s) for pid, s in engine.states.items()}
    with runtime.db.engine.connect() as conn:
        audited = conn.execute(select(audit_log.c.subject, audit_log.c.body).where(
            audit_log.c.kind == "gate.decision").order_by(audit_log.c.seq)).all()
        queued = conn.execute(select(outbox.c.action_id).order_by(outbox.c.action_id)).scalars().all()
    engine.reset()
    report = engine.process_pending()
    engine.flush()
    assert {pid: encode(s) for pid, s in engine.states.items()} == live
    assert report.decisions == 0 and report.mismatched_decisions == []
    assert report.replayed_decisions == len(audited)
    with runtime.db.engine.connect() as conn:
        assert conn.execute(select(audit_log.c.subject, audit_log.c.body).where(
            audit_log.c.kind == "gate.decision").order_by(audit_log.c.seq)).all() == audited
        assert conn.execute(select(outbox.c.action_id).order_by(outbox.c.action_id)).scalars().all() == queued
        assert audit_store.verify(conn)[1] == []


@pytest.mark.parametrize(("jurisdiction", "register", "kind", "listed", "identity"), [
    ("GB", "GAMSTOP", "email", "Listed.Person@example.co.uk ", {"email": "listed.person@example.co.uk"}),
    ("SE", "SPELPAUS", "national_id", "19900517-1234", {"national_id_hash": None}),
])
def test_a_listed_person_gets_no_welcome_and_a_clear_one_gets_it_after_screening(
        db_url, tmp_path, jurisdiction, register, kind, listed, identity):  # noqa: ANN001
    from croupier.protection.persons import hash_national_id

    if "national_id_hash" in identity:
        identity = {"national_id_hash": hash_national_id(listed)}
    runtime = make_runtime(db_url)
    try:
        path = tmp_path / f"{register.lower()}.txt"
        path.write_text(listed + "\n")
        imported = _croupier("registers", "import", "--register", register, "--plain", kind, str(path), "--db", db_url)
        assert imported.returncode == 0, imported.stdout + imported.stderr
        client = client_for(runtime)
        answer = client.post("/v1/events", content=json.dumps([
            registration("x1", "aurora", jurisdiction, **identity),
            registration("c1", "aurora", jurisdiction, email="clear.person@example.com")])).json()
        assert answer["accepted"] == 2 and answer["processed"] is True

        # the listed person: the welcome was held for the check, and the hit excluded them
        [held] = _welcomes(client, "x1")
        assert held["allowed"] is False and held["reasons"] == ["register_check_pending"]
        assert held["cause_event_id"].startswith("x1-")                    # the registration
        assert _screenings(runtime, "x1") == [(register, "hit")]
        state = runtime.engine.state_of("x1")
        assert (state.protection.register_check, state.protection.register_held) == ("hit", ())
        assert [(x.kind, x.source) for x in state.protection.exclusions] == [("register", register)]
        for kind_ in ("message", "bonus", "reward"):
            promo = _promotion(runtime, "x1", kind_)
            assert not promo.allowed and "excluded:register:national" in promo.reasons
        assert client.get("/v1/players/x1/why", params={"action": "welcome"}).json()["received"] is False

        # the clear person: held, then proposed again by the register's answer, and allowed
        first, second = _welcomes(client, "c1")
        assert first["reasons"] == ["register_check_pending"] and first["allowed"] is False
        assert second["allowed"] is True and second["reasons"] == ["all_checks_passed"]
        assert second["cause_event_id"].startswith("rs_") and second["action_id"] != first["action_id"]
        assert _screenings(runtime, "c1") == [(register, "clear")]
        assert _promotion(runtime, "c1").allowed
        with runtime.db.engine.connect() as conn:
            sent = conn.execute(select(outbox.c.player_id, outbox.c.body)).all()
            assert conn.execute(select(exclusions.c.player_id)).scalars().all() == ["x1"]
        assert [(pid, json.loads(b)["name"]) for pid, b in sent] == [("c1", "welcome")]

        # asking again changes nothing: no new facts, no new decisions
        tick(runtime.engine, force=True)
        assert _screenings(runtime, "c1") == [(register, "clear")] and len(_welcomes(client, "c1")) == 2
        view = client.get("/v1/players/c1").json()["protection"]["register_check"]
        assert (view["register"], view["status"], view["holds_promotions"], view["waiting"]) == \
            (register, "clear", False, [])
        assert_replay_is_identical(runtime)
    finally:
        runtime.close()


def test_a_register_that_is_down_holds_marketing_until_it_answers(db_url):
    server = LookupServer({hash_email("listed@example.ca"): None}, delay=1.0)
    runtime = make_runtime(db_url, {"IGO_CSE": HttpRegister("IGO_CSE", server.url, 0.2)})
    try:
        client = client_for(runtime)
        reg = registration("on7", "aurora", "CA-ON", email="clear@example.ca", timezone="America/Toronto",
                           currency="CAD")
        deposit = {"event_id": "on7-dep", "type": "payment.deposit", "player_id": "on7", "brand": "aurora",
                   "occurred_at": now().isoformat(), "transaction_id": "d1", "amount": "20.00", "currency": "CAD",
                   "status": "approved"}
        assert client.post("/v1/events", content=json.dumps([reg])).json()["processed"] is True
        assert screener_for(runtime.engine).wait(10)
        assert _screenings(runtime, "on7") == [("IGO_CSE", "unavailable")]
        state = runtime.engine.state_of("on7")
        assert state.protection.register_check == "unavailable"
        for kind in ("message", "bonus", "mission_enrolment", "tournament_enrolment", "reward"):
            held = _promotion(runtime, "on7", kind)
            assert not held.allowed and held.reasons == ("register_unavailable",)
        at = micros(now())
        for purpose in ("transactional", "safer_play"):
            assert decide(Proposal(kind="message", name="receipt", player_id="on7", cause_event_id="c2",
                                   purpose=purpose, channel="email"), state, runtime.config, at, at).allowed
        # play goes on meanwhile; its lifecycle message is held too
        assert client.post("/v1/events", content=json.dumps([deposit])).json()["processed"] is True
        thanks = client.get("/v1/players/on7/why", params={"action": "first_deposit_thanks"}).json()["decisions"]
        assert [(d["allowed"], d["reasons"]) for d in thanks] == [(False, ["register_unavailable"])]
        view = client.get("/v1/players/on7").json()["protection"]["register_check"]
        assert (view["status"], view["holds_promotions"], view["waiting"]) == \
            ("unavailable", True, ["welcome", "first_deposit_thanks"])

        tick(runtime.engine, force=True)                   # still down: asked again, nothing new logged
        assert _screenings(runtime, "on7") == [("IGO_CSE", "unavailable")]
        server.delay = 0.0
        tick(runtime.engine, force=True)                   # it answers: not listed
        assert _screenings(runtime, "on7") == [("IGO_CSE", "unavailable"), ("IGO_CSE", "clear")]
        assert runtime.engine.state_of("on7").protection.register_check == "clear"
        assert _promotion(runtime, "on7").allowed
        welcomes = _welcomes(client, "on7")
        assert [(d["allowed"], d["reasons"]) for d in welcomes] == [
            (False, ["register_check_pending"]), (True, ["all_checks_passed"])]
        thanks = client.get("/v1/players/on7/why", params={"action": "first_deposit_thanks"}).json()
        assert thanks["received"] is True and thanks["decisions"][0]["cause_event_id"] == welcomes[1]["cause_event_id"]
        tick(runtime.engine, force=True)
        assert len(_screenings(runtime, "on7")) == 2       # an unchanged answer adds nothing
        assert_replay_is_identical(runtime)
    finally:
        runtime.close()
        server.close()


def test_a_slow_register_holds_the_welcome_while_the_engine_moves_on(db_url):
    """The look-up runs beside the engine: the registration is processed (and its welcome
    held) at once; the answer, a second later, releases it."""
    server = LookupServer({hash_email("listed@example.ca"): None}, delay=1.0)
    runtime = make_runtime(db_url, {"IGO_CSE": HttpRegister("IGO_CSE", server.url, 3.0)})
    try:
        client = client_for(runtime)
        started = time.monotonic()
        client.post("/v1/events", content=json.dumps([registration("on8", "aurora", "CA-ON", email="a@example.ca"),
                                                      registration("on9", "aurora", "CA-ON",
                                                                   email="listed@example.ca")]))
        assert time.monotonic() - started < 0.9
        assert runtime.engine.state_of("on8").protection.register_check == "pending"
        assert _promotion(runtime, "on8").reasons == ("register_check_pending",)
        assert screener_for(runtime.engine).wait(10)
        assert [d["allowed"] for d in _welcomes(client, "on8")] == [False, True]
        assert [d["allowed"] for d in _welcomes(client, "on9")] == [False]
        assert runtime.engine.state_of("on9").protection.register_check == "hit"
        assert_replay_is_identical(runtime)
    finally:
        runtime.close()
        server.close()
