"""Hypothesis-generated operation sequences: no sequence makes a balance negative, lets an
accepted posting take usage past a limit in force, or breaks double entry. The usage the
test checks is recomputed here, independently, from the accepted operations."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings, strategies as st

from croupier.ledger import LedgerError
from croupier.protection import limits as limit_store
from croupier.protection.limits import LimitError
from croupier.protection.limits_periods import local_date, window
from croupier.store import open_database

from .conftest import T0, Wallet, rules
from .test_ledger import assert_double_entry

amounts = st.integers(min_value=1, max_value=60_000)
ops = st.one_of(
    st.tuples(st.just("deposit"), amounts),
    st.tuples(st.just("bonus_credit"), amounts),
    st.tuples(st.just("bet"), amounts),
    st.tuples(st.just("bet_bonus"), amounts),
    st.tuples(st.just("win"), amounts),
    st.tuples(st.just("withdrawal"), amounts),
    st.tuples(st.just("resolve"), st.integers(0, 1)),
    st.tuples(st.just("conversion"), amounts),
    st.tuples(st.just("advance"), st.integers(1, 60 * 30)),          # minutes
    st.tuples(st.sampled_from(["limit:deposit", "limit:loss", "limit:wager"]),
              st.tuples(st.sampled_from(["day", "week", "month"]), st.integers(0, 200_000))),
)


def _in_window(at: datetime, period: str, now: datetime, tz: str) -> bool:
    w = window(period, now, tz)
    return w.first_day <= local_date(at, tz).toordinal() <= w.today


def _counted(kind: str, history: list[tuple[datetime, str, int, int]], period: str, now: datetime, tz: str) -> int:
    total = 0
    for at, op, cash, bonus in history:
        if not _in_window(at, period, now, tz):
            continue
        if kind == "deposit" and op in ("deposit", "bonus_credit"):
            total += cash + bonus
        elif kind == "loss" and op == "bet":
            total += cash
        elif kind == "loss" and op == "win":
            total -= cash
        elif kind == "wager" and op == "bet":
            total += cash + bonus
    return total


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(sequence=st.lists(ops, min_size=1, max_size=25))
def test_no_sequence_goes_negative_or_past_a_limit(tmp_path_factory, sequence) -> None:  # noqa: ANN001
    db = _db(tmp_path_factory)
    w = Wallet(db, player_id=f"p-{uuid.uuid4().hex[:8]}", rules=rules(increase_cooling_hours=24))
    now, history, pending = T0, [], []
    for op, arg in sequence:
        if op == "advance":
            now += timedelta(minutes=arg)
            continue
        if op.startswith("limit:"):
            period, value = arg
            try:
                w.limit(op[6:], period, f"{value / 100:.2f}", at=now)
            except LimitError:
                pass
            continue
        if op == "resolve":
            if pending:
                w.post("settle" if arg else "void", pending_id=pending[0], tx=pending[0], at=now)
                pending.pop(0)
            continue
        kind = {"bet_bonus": "bet", "conversion": "bonus_conversion"}.get(op, op)
        fields = {"bonus_amount": arg // 2} if op == "bet_bonus" else {}
        try:
            result = w.post(kind, arg, at=now, **fields)
        except LedgerError:
            continue
        if result.status == "refused":
            continue
        if kind == "withdrawal":
            pending.append(result.body["transaction_id"])
        body = result.body
        cash = int(body.get("cash_amount", body["amount"]).replace(".", ""))
        bonus = int(body.get("bonus_amount", "0").replace(".", ""))
        if kind == "bonus_credit":
            cash, bonus = 0, arg
        history.append((now, kind, cash, bonus))
        balance = body["balance"]
        assert not balance["cash"].startswith("-") and not balance["bonus"].startswith("-")
        assert not balance["withdrawable"].startswith("-")
        with db.engine.connect() as conn:
            in_force = limit_store.in_force(conn, w.player_id, now)
        for view in in_force.values():
            adds = (kind in ("deposit", "bonus_credit") and view.kind == "deposit") or \
                   (kind == "bet" and view.kind in ("loss", "wager"))
            if adds:
                assert _counted(view.kind, history, view.period, now, w.tz) <= view.amount_minor, (view, history)
    assert_double_entry(db)


_DBS: dict[str, object] = {}


def _db(factory):  # noqa: ANN001, ANN202
    """One SQLite file for all examples (each example is its own player)."""
    if "db" not in _DBS:
        _DBS["db"] = open_database(f"sqlite:///{factory.mktemp('props') / 'ledger.db'}")
    return _DBS["db"]
