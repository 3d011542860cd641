"""Limit changes with history and cooling periods, facts for the engine, audit entries."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from croupier.engine import Engine
from croupier.players import micros
from croupier.players.protection_state import limits_in_force
from croupier.protection import limits as limit_store
from croupier.protection.limits import LimitError
from croupier.store.schema import audit_log, events

from .conftest import T0, Wallet, rules

UTC = timezone.utc


def test_decrease_is_immediate_increase_waits_the_cooling_period(db) -> None:  # noqa: ANN001
    w = Wallet(db, rules=rules(increase_cooling_hours=24))
    w.limit("deposit", "day", "1000.00")
    up = w.limit("deposit", "day", "3000.00", at=T0 + timedelta(hours=1))
    assert up.change == "increase" and up.pending
    assert up.effective_at == T0 + timedelta(hours=25)
    view = w.view(T0 + timedelta(hours=2))
    assert [x["amount"] for x in view["limits"]] == ["1000.00"]
    assert view["pending_changes"] == [{"limit": "deposit:day", "kind": "deposit", "period": "day",
                                        "source": "player", "currency": "SEK", "amount": "3000.00",
                                        "effective_at": "2026-11-19T11:00:00Z"}]
    w.post("deposit", 100_000, at=T0 + timedelta(hours=2))
    assert w.post("deposit", 1, at=T0 + timedelta(hours=3)).status == "refused"     # still the old 1,000
    # after the cooling period the increase is in force (a new local day too, but the limit is what matters)
    after = T0 + timedelta(hours=25)
    assert [x["amount"] for x in w.view(after)["limits"]] == ["3000.00"] and w.view(after)["pending_changes"] == []
    down = w.limit("deposit", "day", "500.00", at=after)
    assert down.change == "decrease" and not down.pending


def test_a_decrease_cancels_a_pending_increase(db) -> None:  # noqa: ANN001
    w = Wallet(db, rules=rules(increase_cooling_hours=72))
    w.limit("loss", "week", "100.00")
    w.limit("loss", "week", "900.00", at=T0 + timedelta(minutes=1))
    assert w.view(T0 + timedelta(minutes=2))["pending_changes"]
    w.limit("loss", "week", "80.00", at=T0 + timedelta(minutes=3))
    view = w.view(T0 + timedelta(days=10))
    assert view["pending_changes"] == [] and view["limits"][0]["amount"] == "80.00"
    # setting the value in force again while an increase waits cancels the increase
    w.limit("loss", "week", "200.00", at=T0 + timedelta(days=11))
    w.limit("loss", "week", "80.00", at=T0 + timedelta(days=11, minutes=1))
    assert w.view(T0 + timedelta(days=20))["limits"][0]["amount"] == "80.00"


def test_removal_waits_and_after_period_end_rule_holds_it_to_the_period_end(db) -> None:  # noqa: ANN001
    w = Wallet(db, rules=rules(increase_cooling_hours=24, increase_after_period_end=True))
    w.limit("deposit", "month", "1000.00")
    removal = w.limit("deposit", "month", None, at=T0)
    assert removal.change == "removal"
    # 24 h would be 19 November; the Stockholm month ends at local midnight on 1 December
    assert removal.effective_at == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert w.view(datetime(2026, 11, 30, 22, 59, tzinfo=UTC))["limits"]
    assert w.view(datetime(2026, 11, 30, 23, 0, tzinfo=UTC))["limits"] == []


def test_mandatory_limits_cannot_be_removed_and_ceilings_hold(db) -> None:  # noqa: ANN001
    w = Wallet(db, rules=rules(mandatory=["deposit"], ceilings={"deposit:month": "20000.00"}))
    w.limit("deposit", "month", "1000.00")
    with pytest.raises(LimitError) as err:
        w.limit("deposit", "month", None)
    assert err.value.status == 409 and "requires a deposit limit" in str(err.value)
    with pytest.raises(LimitError) as err:
        w.limit("deposit", "month", "25000.00")
    assert err.value.field == "amount" and "20000.00" in str(err.value)


def test_an_operator_limit_cannot_be_raised_by_the_player(db) -> None:  # noqa: ANN001
    w = Wallet(db)
    w.limit("wager", "day", "100.00", source="operator", actor="rg-officer")
    with pytest.raises(LimitError) as err:
        w.limit("wager", "day", "200.00")
    assert err.value.status == 403 and "operator" in str(err.value)
    assert w.limit("wager", "day", "50.00").change == "decrease"
    with pytest.raises(LimitError):          # still the operator's limit after the player tightened it
        w.limit("wager", "day", "100.00")


def test_validation_names_the_field(db) -> None:  # noqa: ANN001
    w = Wallet(db)
    with pytest.raises(LimitError) as err:
        w.limit("session_time", "day", "10.00")
    assert err.value.field == "minutes"
    with pytest.raises(LimitError) as err:
        w.limit("deposit", "year", "10.00")
    assert err.value.field == "period" and "'year'" in str(err.value)
    with pytest.raises(LimitError) as err:
        w.limit("deposit", "day", "10.001")
    assert err.value.field == "amount"


def test_every_change_writes_history_a_fact_and_an_audit_entry_and_the_engine_folds_it(db) -> None:  # noqa: ANN001
    w = Wallet(db, rules=rules(increase_cooling_hours=24))
    outcomes = [w.limit("deposit", "day", "1000.00", request_id="r1"),
                w.limit("deposit", "day", "2000.00", at=T0 + timedelta(hours=1), request_id="r2"),
                w.limit("session_time", "day", minutes=90, at=T0 + timedelta(hours=1), actor="player")]
    again = w.limit("deposit", "day", "1000.00", request_id="r1")
    assert again.replayed and again.items == []
    with db.engine.connect() as conn:
        history = limit_store.history(conn, "p1")
        audited = conn.execute(select(audit_log.c.actor, audit_log.c.subject).where(
            audit_log.c.kind == "protection.limit_changed")).all()
        facts = conn.execute(select(events.c.event_id).where(events.c.type == "croupier.limit_set")).scalars().all()
    assert [r.change for r in history] == ["new", "increase", "new"]
    assert sorted(facts) == sorted(o.record["event_id"] for o in outcomes)
    assert {(a, s) for a, s in audited} == {("player", o.record["event_id"]) for o in outcomes}
    engine = Engine(db)
    for o in outcomes:
        engine.submit(o.items)
    state = engine.state_of("p1")
    assert state is not None
    limits = state.protection.limits
    assert limits["deposit:day"].amount_minor == 100_000
    assert limits["deposit:day"].pending is not None and limits["deposit:day"].pending.amount_minor == 200_000
    assert limits_in_force(state.protection, micros(T0 + timedelta(hours=26)))["deposit:day"].amount_minor == 200_000
    assert limits["session_time:day"].minutes == 90
    engine.close()


def test_sweden_requires_a_deposit_limit_before_play(db) -> None:  # noqa: ANN001
    from croupier.compliance.rules import rules_for

    se = rules_for("SE")
    # Spelinspektionen: a deposit limit is set before any play (the preset must say so)
    assert "deposit" in se.limits.mandatory and se.limits.set_before_play
    w = Wallet(db, rules=se)
    refused = w.post("deposit", 10_000)
    assert refused.status == "refused"
    assert refused.body["reasons"][0]["code"] == "mandatory_limit_missing"
    w.limit("deposit", "month", "1000.00")
    assert w.post("deposit", 10_000).status == "posted"
    with pytest.raises(LimitError) as err:                 # and it cannot be removed
        w.limit("deposit", "month", None)
    assert err.value.status == 409
    # SE: an increase waits the cooling hours and never lands before the month ends
    up = w.limit("deposit", "month", "2000.00", at=T0 + timedelta(hours=1))
    assert up.effective_at >= T0 + timedelta(hours=1, seconds=se.limits.increase_cooling_hours * 3600)
    assert up.effective_at >= datetime(2026, 11, 30, 23, 0, tzinfo=UTC)


def test_inbound_limit_changed_events_go_through_set_limit(db) -> None:  # noqa: ANN001
    from croupier.events import LimitChanged
    from croupier.protection.limits_inbound import apply_inbound_limit_changes

    def event(eid: str, amount: str | None, at) -> LimitChanged:  # noqa: ANN001
        return LimitChanged(event_id=eid, player_id="p1", brand="aurora", occurred_at=at, kind="deposit",
                            period="week", amount=amount, currency="SEK" if amount else None)

    stored = [(1, event("pam-1", "100.00", T0), 0), (2, event("pam-2", "500.00", T0 + timedelta(hours=1)), 0)]
    items, refused = apply_inbound_limit_changes(db, stored, lambda pid: ("Europe/Stockholm", None))
    assert refused == [] and len(items) == 2
    again, _ = apply_inbound_limit_changes(db, stored, lambda pid: ("Europe/Stockholm", None))
    assert again == []                                           # redelivery changes nothing
    w = Wallet(db)
    view = w.view(T0 + timedelta(hours=2))
    assert view["limits"][0]["amount"] == "100.00" and view["pending_changes"][0]["amount"] == "500.00"
    with db.engine.connect() as conn:
        assert [r.actor for r in limit_store.history(conn, "p1")] == ["player", "player"]
