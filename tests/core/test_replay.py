"""Replay equality: live processing in several batches and a replay of the same log give
byte-identical player states and the same decisions, with nothing audited or queued twice."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from conftest import configure_registers, preset_registers
from croupier.api import Runtime
from croupier.engine import Engine
from croupier.store import audit as audit_store
from croupier.store.states import encode

from . import Script, body, decisions_by_subject, snapshot


def scripted_batches() -> list[list[dict]]:
    """Four players, four batches: welcome messages allowed and suppressed (no consent, under
    age, unregistered, stale), late registration, reactivation, rollbacks that undo in place
    and ones that refold, an unmatched rollback, and duplicates across batches."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    ago = lambda **kw: now - timedelta(**kw)  # noqa: E731
    a, b, c, d = Script("ra"), Script("rb", currency="SEK"), Script("rc"), Script("rd")
    a_reg = a.registered(ago(minutes=50), timezone="Europe/Stockholm")
    a_dep = a.deposit(ago(minutes=40), "20.00")
    a_bet = a.bet(ago(minutes=30), "2.00", "a1", session_id="as")
    b_play = [b.deposit(ago(days=3), "100.00"), b.bet(ago(days=3, minutes=-5), "10.00", "b1")]
    c_reg = c.registered(ago(days=80), birth_date="2011-04-01", consents={"email": True})
    c_old = c.deposit(ago(days=70), "5.00")
    w_req = d.withdrawal(ago(minutes=20), "7.00", "requested", "dw")
    w_ok = d.withdrawal(ago(minutes=19), "7.00", "approved", "dw")
    batch1 = [a_reg, a.deposit(ago(minutes=45), "1.00", status="declined"), a_dep,
              a("session.started", ago(minutes=35), session_id="as"), a_bet,
              *b_play, c_reg, c_old,
              d.registered(ago(minutes=30), consents={"email": False, "sms": True}),
              d.deposit(ago(minutes=25), "50.00"), w_req]
    batch2 = [a.win(ago(minutes=29), "6.00", "a1"), a.rollback(ago(minutes=28), a_bet),
              a("session.ended", ago(minutes=27), session_id="as"),
              b.registered(ago(days=4), timezone="Asia/Kolkata", currency="SEK"),
              c.bet(ago(minutes=10), "1.00", "c1"),          # back after 70 days: reactivated
              w_ok, d.rollback(ago(minutes=5), w_ok), d.rollback(ago(minutes=4), "ghost"),
              a_dep]                                          # duplicate of batch 1
    batch3 = [b.rollback(ago(minutes=3), b_play[1]), a.deposit(ago(minutes=2), "5.00"),
              c("player.consent_changed", ago(minutes=2), channel="email", granted=False),
              d("player.consent_changed", ago(minutes=2), channel="email", granted=True),
              d.deposit(ago(minutes=1), "1.00")]
    batch4 = [c.deposit(ago(minutes=1), "3.00"), c_reg, b_play[0]]
    return [batch1, batch2, batch3, batch4]


def _live_states(engine: Engine) -> dict[str, bytes]:
    return {pid: encode(state) for pid, state in engine.states.items()}


def assert_replay_is_identical(runtime: Runtime) -> dict:
    engine = runtime.engine
    engine.flush()
    live = snapshot(runtime.db)
    assert live["states"] == _live_states(engine)        # what was persisted is what was live
    with runtime.db.engine.connect() as conn:
        assert audit_store.verify(conn)[1] == []
    subjects = [subject for subject, _ in live["audit"]]
    assert len(subjects) == len(set(subjects))

    engine.reset()
    assert snapshot(runtime.db)["states"] == {}
    report = engine.process_pending()
    engine.flush()
    replayed = snapshot(runtime.db)
    assert replayed["states"] == live["states"]
    assert replayed["audit"] == live["audit"]             # nothing recorded twice
    assert replayed["outbox"] == live["outbox"]
    assert report.decisions == 0
    assert report.replayed_decisions == len(live["audit"])
    assert report.mismatched_decisions == []

    # ... and a brand-new engine (a restarted process) replaying from scratch agrees too.
    engine.close()                                        # hands the lease over
    fresh = Engine(runtime.db, runtime.config)
    try:
        fresh.reset()
        fresh.process_pending()
        fresh.flush()
        assert _live_states(fresh) == live["states"]
    finally:
        fresh.close()
    assert snapshot(runtime.db)["audit"] == live["audit"]
    with runtime.db.engine.connect() as conn:
        assert audit_store.verify(conn)[1] == []
    return live


def test_replaying_a_scripted_history_rebuilds_identical_states_and_decisions(db_url):
    runtime = Runtime(db_url)
    configure_registers(runtime.db, *preset_registers())   # so promotions can be allowed at all
    try:
        for batch in scripted_batches():
            runtime.ingest(body(batch))
        live = assert_replay_is_identical(runtime)
    finally:
        runtime.close()
    decisions = decisions_by_subject(live["audit"])
    reasons = Counter(r.split(":")[0] for _, rs in decisions.values() for r in rs)
    # the script exercises both outcomes and the main reasons
    assert any(allowed for allowed, _ in decisions.values())
    assert {"no_consent", "under_age", "player_not_registered", "stale_data"} <= set(reasons)
    assert len(live["outbox"]) == sum(allowed for allowed, _ in decisions.values())


def test_replaying_a_simulated_operator(db_url):
    from croupier import sim  # the project's own simulator: a failed import fails the test

    events = list(sim.Simulator(sim.SimConfig(seed=11, players=50, days=5)).events())
    runtime = Runtime(db_url)
    try:
        rejected = []
        for start in range(0, len(events), 1_500):
            result = runtime.ingest(body(events[start:start + 1_500]))
            rejected += [r.as_dict() for r in result.rejected]
        assert rejected == [], rejected[:5]
        live = assert_replay_is_identical(runtime)
    finally:
        runtime.close()
    assert len(live["states"]) >= 50
    assert live["audit"]


def test_replaying_wallet_facts_and_aml_status_changes(db_url):
    """Bonus credits, conversions, adjustments and AML status changes are facts in the log:
    a replay folds them into the same states and reaches the same gate decisions (a
    first-deposit promotion suppressed under AML review, then allowed for another player)."""
    from croupier.ledger import PlayerContext, TransferRequest
    from croupier.ledger.post import post
    from croupier.risk import set_aml_status

    runtime = Runtime(db_url)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    try:
        a, b = Script("wa", currency="SEK"), Script("wb", currency="SEK")
        runtime.ingest(body([a.registered(now - timedelta(minutes=30), jurisdiction="MT"),
                             b.registered(now - timedelta(minutes=30), jurisdiction="MT")]))
        with runtime.db.engine.begin() as conn:
            stored = set_aml_status(conn, "wa", "aurora", status="review", previous="clear", actor="olga",
                                    reason="source of funds requested").stored
        runtime.engine.submit(stored)
        moves = [("wa", "deposit", 10_000, {}), ("wa", "bonus_credit", 500, {}),         # refused: review
                 ("wb", "bonus_credit", 2_000, {"reason": "welcome"}), ("wb", "deposit", 5_000, {}),
                 ("wb", "bonus_conversion", 1_000, {}),
                 ("wb", "adjustment", 300, {"account": "cash", "direction": "credit", "reason": "goodwill",
                                            "actor": "olga"}),
                 ("wb", "adjustment", 100, {"account": "bonus", "direction": "debit", "reason": "fix",
                                            "actor": "olga"})]
        for i, (player, kind, amount, fields) in enumerate(moves):
            req = TransferRequest(transfer_id=f"{player}-{i}", player_id=player, kind=kind, currency="SEK",
                                  amount=amount, **fields)
            context = PlayerContext(brand="aurora", jurisdiction="MT",
                                    protection=runtime.engine.state_of(player).protection)
            with runtime.db.engine.begin() as conn:
                result = post(conn, req, now=now - timedelta(minutes=20 - i), context=context)
            assert result.refused == (player == "wa" and kind == "bonus_credit"), result.body
            runtime.engine.submit(result.items)
        live = assert_replay_is_identical(runtime)
    finally:
        runtime.close()
    from croupier.store.states import decode

    # [bonus credits, their sum, conversions, their sum, adjustments, added, taken]: all folded
    assert decode(live["states"]["wb"]).wallet_life == [1, 2_000, 1, 1_000, 2, 300, 100]
    assert decode(live["states"]["wa"]).protection.aml_status == "review"
    thanks = {b["player_id"]: b for _, b in live["audit"] if b["name"] == "first_deposit_thanks"}
    assert thanks["wa"]["allowed"] is False and "aml_review" in thanks["wa"]["reasons"]
    assert not any(r.startswith("aml_") for r in thanks["wb"]["reasons"])
