"""The compliance gate decides with reasons; every decision is audited with its config
version; only allowed gate decisions reach the outbox; the audit hash chain detects tampering."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from conftest import configure_registers
from croupier.api import Runtime
from croupier.compliance import Decision, Proposal, decide
from croupier.players import EngineConfig, new_state
from croupier.store import audit as audit_store
from croupier.store import outbox
from croupier.store.schema import audit_log, outbox as outbox_table

from . import Script, body, us

NOW = datetime(2026, 5, 16, 12, 0, tzinfo=timezone.utc)
MIN_AGE = {"default": 18, "GR": 21}
CONFIG = EngineConfig(min_age=MIN_AGE, stale_after_minutes=60)


def player(**profile):  # noqa: ANN003, ANN201
    state = new_state("g1")
    state.registered = True
    state.profile = {"jurisdiction": "SE", "birth_date": "1990-01-01", "timezone": "Europe/Stockholm"} | profile
    state.consents = {"email": True, "sms": False, "push": True}
    return state


def proposal(purpose: str = "promotional", channel: str | None = "email", kind: str = "message") -> Proposal:
    return Proposal(kind=kind, name="welcome", player_id="g1", cause_event_id="e1", purpose=purpose, channel=channel)


def verdict(state, p: Proposal | None = None, config: EngineConfig = CONFIG,  # noqa: ANN001
            event_at=NOW - timedelta(minutes=1)) -> tuple[bool, tuple[str, ...]]:  # noqa: ANN001
    d = decide(p or proposal(), state, config, us(NOW), us(event_at) if event_at else None)
    return d.allowed, d.reasons


def test_a_registered_adult_who_consented_gets_a_fresh_promotion():
    assert verdict(player()) == (True, ("all_checks_passed",))


@pytest.mark.parametrize(("state_change", "reason"), [
    ({"registered": False}, "player_not_registered"),
    ({"profile": {"jurisdiction": "SE"}}, "age_unknown"),
    ({"profile": {"jurisdiction": "SE", "birth_date": "1990-02-30"}}, "age_unknown"),
    ({"profile": {"jurisdiction": "SE", "birth_date": "2009-05-17"}}, "under_age:16<18"),
    ({"profile": {"jurisdiction": "GR", "birth_date": "2006-01-01"}}, "under_age:20<21"),
    ({"profile": {"jurisdiction": "XX", "birth_date": "2008-05-17"}}, "under_age:17<18"),   # default
    ({"consents": {"email": False, "push": True}}, "no_consent:email"),
    ({"consents": {}}, "no_consent:email"),
])
def test_each_reason_to_suppress(state_change, reason):
    state = player()
    for name, value in state_change.items():
        setattr(state, name, value)
    allowed, reasons = verdict(state)
    assert not allowed
    assert reasons == (reason,)


def test_the_age_boundary_is_the_birthday():
    assert verdict(player(birth_date="2008-05-16")) == (True, ("all_checks_passed",))
    assert verdict(player(birth_date="2008-05-17")) == (False, ("under_age:17<18",))
    assert verdict(player(jurisdiction="GR", birth_date="2005-05-16"))[0]


def test_age_is_judged_on_the_players_calendar_not_the_servers(monkeypatch):
    """12:00 UTC on 16 May is already 17 May on Kiritimati (UTC+14). A player in Stockholm
    born on 17 May 2008 is still 17 there, whatever zone the server runs in."""
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time.tzset()
    try:
        assert verdict(player(birth_date="2008-05-17")) == (False, ("under_age:17<18",))
        # and a player in Kiritimati is 18 on their own 17 May
        assert verdict(player(birth_date="2008-05-17", timezone="Pacific/Kiritimati"))[0]
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_other_channels_and_purposes():
    assert verdict(player(), proposal(channel="push"))[0]
    assert verdict(player(), proposal(channel="sms")) == (False, ("no_consent:sms",))
    assert verdict(player(), proposal(channel=None)) == (False, ("no_channel",))
    # transactional messages need no marketing consent and are never "stale"
    assert verdict(player(), proposal(purpose="transactional", channel="sms"),
                   event_at=NOW - timedelta(days=2)) == (True, ("all_checks_passed",))
    # consents are marketing consents: a safer-play message is a customer-interaction duty,
    # which a marketing opt-out must not silence (it still needs a channel)
    assert verdict(player(), proposal(purpose="safer_play", channel="sms")) == (True, ("all_checks_passed",))
    assert verdict(player(), proposal(purpose="safer_play", channel=None)) == (False, ("no_channel",))
    assert verdict(player(), proposal(kind="teleport")) == (False, ("unknown_action_kind:teleport",))


def test_promotions_wait_when_the_data_is_stale():
    assert verdict(player(), event_at=NOW - timedelta(minutes=60, seconds=59))[0]
    assert verdict(player(), event_at=NOW - timedelta(minutes=61)) == (False, ("stale_data:61min>60min",))
    assert verdict(player(), event_at=None)[0]
    assert verdict(player(), event_at=NOW - timedelta(minutes=61),
                   config=EngineConfig(min_age=MIN_AGE, stale_after_minutes=120))[0]


def test_every_reason_is_listed_together():
    state = player(birth_date="2010-01-01")
    state.registered = False
    state.consents = {}
    allowed, reasons = verdict(state, event_at=NOW - timedelta(hours=3))
    assert not allowed
    assert reasons == ("player_not_registered", "under_age:16<18", "no_consent:email", "stale_data:180min>60min")


def test_decisions_carry_the_config_version_and_the_time():
    d = decide(proposal(), player(), CONFIG, us(NOW), us(NOW))
    assert d.config_version == CONFIG.version
    assert d.decided_at_us == us(NOW)
    assert EngineConfig(min_age={"default": 19}).version != CONFIG.version
    assert d.as_dict()["reasons"] == ["all_checks_passed"]


def test_a_decision_cannot_be_made_or_changed_outside_the_gate():
    with pytest.raises(TypeError, match="only compliance.gate.decide"):
        Decision(object(), proposal(), True, ("forged",), "v", 0)
    suppressed = decide(proposal(), player(birth_date="2012-01-01"), CONFIG, us(NOW), us(NOW))
    for name, value in (("allowed", True), ("reasons", ()), ("proposal", proposal(channel="push"))):
        with pytest.raises((AttributeError, TypeError)):
            setattr(suppressed, name, value)
    assert suppressed.allowed is False
    import copy
    import pickle

    for clone in (copy.copy, copy.deepcopy, pickle.dumps):
        with pytest.raises(TypeError):
            clone(suppressed)


def test_the_outbox_takes_allowed_gate_decisions_only(sqlite_url):
    from croupier.store import open_database

    db = open_database(sqlite_url)
    allowed = decide(proposal(), player(), CONFIG, us(NOW), us(NOW))
    suppressed = decide(proposal(), player(birth_date="2012-01-01"), CONFIG, us(NOW), us(NOW))
    try:
        with db.engine.begin() as conn:
            with pytest.raises(outbox.NotAllowed, match="suppressed"):
                outbox.enqueue(conn, [suppressed], ["h"])
            for impostor in (proposal(), allowed.as_dict(), "welcome"):
                with pytest.raises(outbox.NotAllowed, match="gate decisions"):
                    outbox.enqueue(conn, [impostor], ["h"])  # type: ignore[list-item]
            with pytest.raises(outbox.NotAllowed):        # one bad apple refuses the lot
                outbox.enqueue(conn, [allowed, suppressed], ["h1", "h2"])
            assert conn.execute(sa.select(sa.func.count()).select_from(outbox_table)).scalar() == 0
            outbox.enqueue(conn, [allowed], ["h"])
            outbox.enqueue(conn, [allowed], ["h"])           # idempotent on the action id
            assert conn.execute(sa.select(sa.func.count()).select_from(outbox_table)).scalar() == 1
    finally:
        db.dispose()


def test_the_engine_audits_every_decision_with_reasons_and_config_version(db_url):
    config = EngineConfig(min_age={"default": 18, "SE": 20})
    now = datetime.now(timezone.utc).replace(microsecond=0)
    ok, young, silent, stale = Script("ok"), Script("young"), Script("silent"), Script("stale")
    events = [ok.registered(now - timedelta(minutes=5)), ok.deposit(now - timedelta(minutes=4), "10.00"),
              young.registered(now - timedelta(minutes=5), birth_date=f"{now.year - 19}-01-01"),
              silent.registered(now - timedelta(minutes=5), consents={"email": False}),
              stale.registered(now - timedelta(hours=5))]
    runtime = Runtime(db_url, config)
    configure_registers(runtime.db, "SPELPAUS")   # Sweden's register answers: nobody listed
    try:
        runtime.ingest(body(events))
        with runtime.db.engine.connect() as conn:
            rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.seq)).all()
            queued = conn.execute(sa.select(outbox_table)).all()
            checked, breaks = audit_store.verify(conn)
    finally:
        runtime.close()
    # Sweden names a national register (Spelpaus): each promotion is first held for its check,
    # then decided again when the check answers (here: not listed).
    held = [json.loads(r.body) for r in rows if json.loads(r.body)["cause_event_id"].startswith(("ok", "young",
                                                                                                  "silent", "stale"))]
    assert len(held) == 5 and all("register_check_pending" in b["reasons"] and not b["allowed"] for b in held)
    decided = {(r.player_id, json.loads(r.body)["name"]): json.loads(r.body) for r in rows}   # the latest
    assert {k: (v["allowed"], v["reasons"]) for k, v in decided.items()} == {
        ("ok", "welcome"): (True, ["all_checks_passed"]),
        ("ok", "first_deposit_thanks"): (True, ["all_checks_passed"]),
        ("young", "welcome"): (False, ["under_age:19<20"]),
        ("silent", "welcome"): (False, ["no_consent:email"]),
        ("stale", "welcome"): (False, ["stale_data:300min>60min"]),
    }
    assert {r.config_version for r in rows} == {config.version}
    assert {r.kind for r in rows} == {"gate.decision"}
    assert all(json.loads(r.body)["config_version"] == config.version for r in rows)
    assert sorted((q.player_id, json.loads(q.body)["name"]) for q in queued) == [
        ("ok", "first_deposit_thanks"), ("ok", "welcome")]
    by_hash = {r.hash for r in rows}
    assert all(q.audit_hash in by_hash for q in queued)     # each send points at its decision
    assert all("notes" not in v for v in decided.values())
    assert (checked, breaks) == (10, [])


def _seed_chain(db, n: int = 5) -> None:  # noqa: ANN001
    with db.engine.begin() as conn:
        audit_store.append(conn, [audit_store.Entry(at_us=i, actor="test", kind="note", body={"i": i},
                                                     player_id="p", subject=f"s{i}") for i in range(n)])


def _breaks(db) -> list:  # noqa: ANN001
    with db.engine.connect() as conn:
        return audit_store.verify(conn)[1]


@pytest.mark.parametrize(("tamper", "first_break"), [
    ("update_body", 3), ("update_body_and_rehash", 4), ("delete_middle", 3), ("delete_last", 4),
    ("delete_all", 0), ("swap", 2), ("change_time", 2)])
def test_tampering_with_the_audit_log_is_detected(db_url, tamper, first_break):
    from croupier.compliance import AuditRecord, chain_hash
    from croupier.store import open_database

    db = open_database(db_url)
    log = audit_log
    try:
        _seed_chain(db)
        assert _breaks(db) == []
        with db.engine.begin() as conn:
            if tamper == "update_body":
                conn.execute(log.update().where(log.c.seq == 3).values(body='{"i":99}'))
            elif tamper == "update_body_and_rehash":    # a careful forger recomputes the hash
                row = conn.execute(sa.select(log).where(log.c.seq == 3)).one()
                forged = AuditRecord(row.seq, row.at_us, row.actor, row.kind, row.player_id, row.subject,
                                     row.config_version, '{"i":99}')
                conn.execute(log.update().where(log.c.seq == 3)
                             .values(body='{"i":99}', hash=chain_hash(row.prev_hash, forged)))
            elif tamper == "delete_middle":
                conn.execute(log.delete().where(log.c.seq == 2))
            elif tamper == "delete_last":
                conn.execute(log.delete().where(log.c.seq == 5))
            elif tamper == "delete_all":
                conn.execute(log.delete())
            elif tamper == "swap":
                conn.execute(log.update().where(log.c.seq == 2).values(seq=100))
                conn.execute(log.update().where(log.c.seq == 3).values(seq=2))
                conn.execute(log.update().where(log.c.seq == 100).values(seq=3))
            elif tamper == "change_time":
                conn.execute(log.update().where(log.c.seq == 2).values(at_us=10))
        breaks = _breaks(db)
        assert breaks, f"{tamper} went unnoticed"
        assert breaks[0].seq == first_break, breaks
    finally:
        db.dispose()
