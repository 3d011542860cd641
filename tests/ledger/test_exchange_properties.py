"""Hypothesis-generated multi-currency sequences (issue 7, point 1): deposits, bonus credits,
bets and wins in four currencies against deposit, loss and wager limits set in any of them.
No accepted posting takes a limit's usage past it, where the usage is recomputed here,
independently and exactly (fractions, no rounding), from the accepted postings: the
ledger's rounded-up conversion may only ever count more, never less."""

from __future__ import annotations

import uuid
from datetime import timedelta
from fractions import Fraction

from hypothesis import HealthCheck, given, settings, strategies as st

from croupier.compliance.rates import ExchangeRules, Rate, RateTable
from croupier.events import exponent, format_amount, to_minor
from croupier.ledger import LedgerError, PlayerContext, TransferRequest
from croupier.ledger.post import post
from croupier.protection import limits as limit_store
from croupier.protection.limits import LimitError, LimitRequest, set_limit

from .conftest import STOCKHOLM, T0, rules
from .test_ledger import assert_double_entry
from .test_properties import _db, _in_window   # one SQLite file: each example is its own player

QUOTES = {"EUR": "1", "SEK": "11.20", "GBP": "0.8512", "JPY": "162.5"}
TABLE = RateTable(ExchangeRules(base="EUR", rates={c: Rate(r, "2026-11-01") for c, r in QUOTES.items() if c != "EUR"}),
                  "cfg-property")
CURRENCIES = st.sampled_from(sorted(QUOTES))
amounts = st.integers(min_value=1, max_value=80_000)
ops = st.one_of(
    st.tuples(st.sampled_from(["deposit", "bonus_credit", "bet", "win"]), CURRENCIES, amounts),
    st.tuples(st.just("advance"), st.just(""), st.integers(1, 60 * 30)),               # minutes
    st.tuples(st.sampled_from(["limit:deposit", "limit:loss", "limit:wager"]), CURRENCIES,
              st.tuples(st.sampled_from(["day", "week", "month"]), st.integers(0, 300_000))),
)


def exact(minor: int, source: str, target: str) -> Fraction:
    """`minor` units of `source` in minor units of `target`, exactly."""
    factor = Fraction(QUOTES[target]) / Fraction(QUOTES[source])
    return minor * factor * Fraction(10) ** (exponent(target) - exponent(source))


def counted(kind: str, target: str, history: list, period: str, now, tz: str) -> Fraction:  # noqa: ANN001
    total = Fraction(0)
    for at, op, currency, cash, bonus in history:
        if not _in_window(at, period, now, tz):
            continue
        if kind == "deposit" and op in ("deposit", "bonus_credit"):
            total += exact(cash + bonus, currency, target)
        elif kind == "loss" and op in ("bet", "win"):
            total += exact(cash, currency, target) * (1 if op == "bet" else -1)
        elif kind == "wager" and op == "bet":
            total += exact(cash + bonus, currency, target)
    return total


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(sequence=st.lists(ops, min_size=1, max_size=25))
def test_no_multi_currency_sequence_goes_past_a_limit(tmp_path_factory, sequence) -> None:  # noqa: ANN001
    db = _db(tmp_path_factory)
    player = f"p-{uuid.uuid4().hex[:8]}"
    limit_rules = rules(increase_cooling_hours=24)
    context = PlayerContext(brand="aurora", timezone=STOCKHOLM, jurisdiction="XX", currency="SEK", rates=TABLE)
    now, history, n = T0, [], 0
    for op, currency, arg in sequence:
        if op == "advance":
            now += timedelta(minutes=arg)
            continue
        if op.startswith("limit:"):
            period, value = arg
            request = LimitRequest(kind=op[6:], period=period, currency=currency,
                                   amount=format_amount(value, currency))
            try:
                with db.engine.begin() as conn:
                    set_limit(conn, player, "aurora", request, now=now, rules=limit_rules, timezone_name=STOCKHOLM)
            except LimitError:
                pass
            continue
        n += 1
        req = TransferRequest(transfer_id=f"{player}-{n}", player_id=player, kind=op, currency=currency, amount=arg)
        try:
            with db.engine.begin() as conn:
                result = post(conn, req, now=now, context=context)
        except LedgerError:
            continue
        if result.refused:
            continue
        body = result.body
        cash = to_minor(body.get("cash_amount", body["amount"]), currency)
        bonus = to_minor(body.get("bonus_amount", "0"), currency)
        if op == "bonus_credit":
            cash, bonus = 0, arg
        history.append((now, op, currency, cash, bonus))
        with db.engine.connect() as conn:
            in_force = limit_store.in_force(conn, player, now)
        for view in in_force.values():
            adds = (op in ("deposit", "bonus_credit") and view.kind == "deposit") or \
                   (op == "bet" and view.kind in ("loss", "wager"))
            if adds:
                used = counted(view.kind, view.currency, history, view.period, now, STOCKHOLM)
                assert used <= view.amount_minor, (view, used, history)
    assert_double_entry(db)
