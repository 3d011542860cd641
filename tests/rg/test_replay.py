"""Replay equality with RG markers: live processing in batches and `engine.reset();
engine.process_pending()` give byte-identical states (markers, levels, history,
interventions) and the same decisions, audited once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

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
