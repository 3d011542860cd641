"""Replay equality with RG markers: live processing in batches and `engine.reset();
engine.process_pending()` give byte-identical states (markers, levels, history,
interventions) and the same decisions, audited once."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from conftest import EventFactory
from croupier.api import Runtime
from croupier.store.schema import audit_log, player_state
from croupier.store.states import decode

from . import Player, at


def scripted() -> list[dict]:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    shift = now - timedelta(days=30) - at(0)            # the script's 30 days end a day ago
    p = Player("rg1")
    p.register()
    for d in range(10):
        if d % 2 == 0:
            p.deposit(at(d, minutes=-5), "200.00")
        p.session(at(d), 10, bets=10)
    for i in range(6):
        p.deposit(at(11, minutes=10 * i), "100.00", status="declined")
    p.support(at(11, hours=2), "I can't stop, I borrowed money and I'm desperate.")
    p.withdrawal(at(12), "50.00", "requested", "w1")
    p.withdrawal(at(12, hours=1), "50.00", "cancelled", "w1")
    first_bet = next(e for e in p.raw if e["type"] == "casino.bet")
    p.send("rollback", at(12, hours=2), ref_event_id=first_bet["event_id"])   # an in-place undo
    q = Player("rg2")
    q.send("casino.bet", at(1), bet_id="early", amount="5.00", currency="SEK")  # before registering: refold
    q.register(at(1, hours=1))
    for i in range(4):
        q.deposit(at(2, minutes=i), "10.00", status="failed")
    events = p.raw + q.raw
    for e in events:
        e["occurred_at"] = (datetime.fromisoformat(e["occurred_at"]) + shift).isoformat()
        if "effective_at" in e:
            e["effective_at"] = (datetime.fromisoformat(e["effective_at"]) + shift).isoformat()
    return sorted(events, key=lambda e: e["occurred_at"])


def _states(runtime: Runtime) -> dict[str, bytes]:
    runtime.engine.flush()
    with runtime.db.engine.connect() as conn:
        return dict(conn.execute(select(player_state.c.player_id, player_state.c.state)).all())


def test_live_and_replay_agree_on_markers_levels_and_interventions(sqlite_url: str):
    runtime = Runtime(sqlite_url)
    events = scripted()
    for i in range(0, len(events), 17):                     # uneven batches
        runtime.ingest(json.dumps(events[i:i + 17]).encode())
    live = _states(runtime)
    state = decode(live["rg1"])
    prot = state.protection
    assert {"declined_deposits", "distress"} <= set(prot.markers)
    assert prot.risk_level in ("high", "severe") and prot.interventions and prot.promotions_paused
    assert decode(live["rg2"]).protection.markers["declined_deposits"].severity == 1
    with runtime.db.engine.connect() as conn:
        audited = conn.execute(select(func.count()).select_from(audit_log)).scalar()
    assert audited >= len(prot.interventions)

    runtime.engine.reset()
    report = runtime.engine.process_pending()
    assert _states(runtime) == live
    assert report.decisions == 0 and report.mismatched_decisions == []
    with runtime.db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(audit_log)).scalar() == audited
    runtime.close()


def _declines(f: EventFactory, start: timedelta, n: int) -> list[dict]:
    return [f("payment.deposit", start + timedelta(minutes=i), transaction_id=f"{f.player_id}-d{start}-{i}",
              amount="100.00", currency="SEK", method="card", status="declined") for i in range(n)]


def test_an_approved_rg_change_takes_over_at_its_activation_and_replays_exactly(db_url: str):
    """Sweden's RG score levels are changed through a real version (proposed by one officer,
    approved by another): events before the activation fact were folded with the presets,
    events after it with the new cut scores, and every level change and intervention
    records the version that produced it. A replay from scratch, starting from the
    defaults as `croupier replay` does, reproduces states and decisions exactly."""
    from croupier.compliance import config_store
    from croupier.engine import Engine
    from croupier.events import CONFIG_STREAM
    from croupier.players import EngineConfig
    from croupier.store.schema import events

    runtime = Runtime(db_url)
    try:
        a, b = EventFactory(player_id="rg-a"), EventFactory(player_id="rg-b")
        runtime.ingest(json.dumps([a.registered(timedelta(hours=-5)), b.registered(timedelta(hours=-5)),
                                   *_declines(a, timedelta(hours=-4), 3), *_declines(b, timedelta(hours=-4), 3)]).encode())
        presets_version = runtime.engine.config.version
        for pid in ("rg-a", "rg-b"):                                     # 7 bp: below the presets' low (600)
            prot = runtime.engine.state_of(pid).protection
            assert prot.risk_history == [] and 0 < prot.risk_bp < 600

        now_us = time.time_ns() // 1000
        with runtime.db.engine.begin() as conn:
            version = config_store.propose(conn, actor="cleo", in_force=runtime.config, now_us=now_us, patch={
                "jurisdictions": {"SE": {"rg": {"score_levels": [5, 12, 25, 7000]}}}}).version_id
            config_store.approve(conn, version, actor="otto", role="compliance_officer",
                                 in_force=runtime.config, now_us=now_us)
        runtime.engine.process_pending()
        assert runtime.engine.config.version == version

        runtime.ingest(json.dumps(_declines(a, timedelta(hours=-3), 1)).encode())   # still severity 1: 7 bp >= 5
        runtime.ingest(json.dumps(_declines(a, timedelta(hours=-2), 1)).encode())   # severity 2: 15 bp >= 12
        prot = runtime.engine.state_of("rg-a").protection
        assert [(h[1], h[4]) for h in prot.risk_history] == [("low", version), ("medium", version)]
        [soft] = prot.interventions                                      # SE: soft at medium
        assert (soft.kind, soft.config_version) == ("soft", version)
        [safer] = [d for d in decisions_of(runtime, "rg-a") if d["name"] == "rg_safer_play"]
        assert safer["config_version"] == version and safer["allowed"]
        # b had no RG evidence since: it stands where the presets left it
        assert runtime.engine.state_of("rg-b").protection.risk_history == []
        with runtime.db.engine.connect() as conn:
            seqs = dict(conn.execute(select(events.c.player_id, func.max(events.c.seq)).group_by(events.c.player_id)).all())
            [activated_at] = conn.execute(select(events.c.seq).where(events.c.player_id == CONFIG_STREAM)).scalars()
        assert seqs["rg-b"] < activated_at < seqs["rg-a"]

        live = _states(runtime)
        runtime.engine.reset()
        report = runtime.engine.process_pending()
        assert _states(runtime) == live
        assert report.decisions == 0 and report.mismatched_decisions == [] and report.replayed_decisions > 0
        runtime.engine.close()
        fresh = Engine(runtime.db, EngineConfig())                       # what `croupier replay` builds
        try:
            fresh.reset()
            assert fresh.config.version == presets_version
            report = fresh.process_pending()
            fresh.flush()
            assert fresh.config.version == version
            assert report.decisions == 0 and report.mismatched_decisions == []
        finally:
            fresh.close()
        assert _states(runtime) == live
    finally:
        runtime.close()


def decisions_of(runtime: Runtime, player_id: str) -> list[dict]:
    with runtime.db.engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.body).where(audit_log.c.player_id == player_id,
                                                            audit_log.c.kind == "gate.decision")).scalars()
        return [json.loads(body) for body in rows]
