"""Bonus credits, conversions and staff adjustments, as the ledger logs them (Croupier's own
facts), folded into features a CRM user reads: per-window counts and sums, what deposit
limits count (inflow), bonus cost against deposits, and how much bonus became cash."""

from __future__ import annotations

import json
from typing import Any

from croupier.engine import step
from croupier.events import decode_stored
from croupier.players import EngineConfig, FeatureConfig, compute_features, micros, new_state, rebuild
from croupier.players.state import PlayerState
from croupier.store.states import encode

from . import ListLog, Script
from .test_features import AS_OF, D, assert_features, us


def ledger_fact(s: Script, type_: str, when: str, tx: str, amount: str, currency: str = "SEK",
                **fields: Any) -> dict[str, Any]:  # noqa: ANN401
    return s(f"croupier.{type_}", when, event_id=f"wallet:{tx}", transaction_id=tx, amount=amount,
             currency=currency, **fields)


def history() -> list[dict[str, Any]]:
    s = Script(currency="SEK")
    return [
        s.registered(D(120)),
        ledger_fact(s, "bonus_credited", D(95), "b0", "10.00"),          # lifetime only
        s.deposit(D(20), "100.00"),                                       # 30d
        ledger_fact(s, "bonus_credited", D(20, "11:00"), "b1", "50.00", reason="welcome offer"),  # 30d
        ledger_fact(s, "bonus_credited", D(3), "b2", "20.00"),           # 7d
        ledger_fact(s, "bonus_credited", D(3, "12:00"), "b3", "9.00", currency="EUR"),  # foreign: counted only
        ledger_fact(s, "bonus_converted", D(2), "c1", "30.00"),          # 7d
        ledger_fact(s, "wallet_adjusted", D(0, "08:00"), "a1", "5.00", account="cash", direction="credit",
                    actor="olga", reason="goodwill"),                     # 1d, counts as inflow
        ledger_fact(s, "wallet_adjusted", D(0, "09:00"), "a2", "8.00", account="bonus", direction="debit",
                    actor="olga", reason="bonus abuse"),                  # 1d, not inflow
    ]


def fold(events: list[dict[str, Any]], config: EngineConfig) -> tuple[PlayerState, ListLog]:
    """What the engine holds after these events and facts, in this order (facts come from the
    log, so they are decoded as stored events)."""
    log, state = ListLog(), new_state("p1")
    for seq, raw in enumerate(events, 1):
        event = decode_stored(json.dumps(raw))
        log.items.append((seq, event))
        state = step(state, event, seq, micros(event.occurred_at), config, log).state
    return state, log


def test_bonus_conversion_and_adjustment_features_by_window() -> None:
    config = EngineConfig(features=FeatureConfig())
    state, _ = fold(history(), config)
    f = compute_features(state, us(AS_OF), config.features)
    assert_features(f, {
        "bonus_credit_count_1d": 0, "bonus_credit_count_7d": 1, "bonus_credit_count_30d": 2,
        "bonus_credit_count_90d": 2, "bonus_credit_count_lifetime": 3,
        "bonus_credit_sum_7d": "20.00", "bonus_credit_sum_30d": "70.00", "bonus_credit_sum_lifetime": "80.00",
        "bonus_conversion_count_7d": 1, "bonus_conversion_sum_7d": "30.00", "bonus_conversion_sum_1d": "0.00",
        "adjustment_count_1d": 2, "adjustment_net_1d": "-3.00", "adjustment_net_30d": "-3.00",
        "adjustment_count_lifetime": 2,
        # deposit limits count deposits + bonus credits + adjustments that add funds
        "inflow_sum_1d": "5.00", "inflow_sum_30d": "175.00", "inflow_sum_lifetime": "185.00",
        "deposit_sum_30d": "100.00",
        "bonus_to_deposit_ratio_30d": 0.7,            # 70 / 100
        "bonus_conversion_share_90d": 0.4286,         # 30 / 70
        "last_bonus_credit_at": "2026-03-17T10:00:00Z",
        "days_since_last_bonus_credit": 3,
        "foreign_currency_events": 1,
        "lifecycle_stage": f["lifecycle_stage"],       # bonus money is not player activity
    })
    assert state.last_activity_us == us(D(20))          # only the deposit was activity


def test_without_bonus_money_the_ratios_are_null_and_the_state_carries_nothing() -> None:
    config = EngineConfig(features=FeatureConfig())
    s = Script(currency="SEK")
    state, _ = fold([s.registered(D(5)), s.deposit(D(1), "10.00")], config)
    f = compute_features(state, us(AS_OF), config.features)
    assert f["bonus_to_deposit_ratio_30d"] == 0.0 and f["bonus_conversion_share_90d"] is None
    assert f["last_bonus_credit_at"] is None and f["inflow_sum_7d"] == "10.00"
    assert state.wallet_days == {} and state.wallet_life == []


def test_a_refold_of_the_log_gives_the_same_state() -> None:
    """Rollbacks and late registrations refold the player's log: the facts must fold the same."""
    config = EngineConfig(features=FeatureConfig())
    state, log = fold(history(), config)
    state.protection.promo_day = state.protection.promo_count = 0   # the gate's count, not a fold
    assert encode(rebuild("p1", log.items, config.features)) == encode(state)


def test_old_bonus_days_leave_the_buckets_but_stay_in_lifetime() -> None:
    config = EngineConfig(features=FeatureConfig())
    s = Script(currency="SEK")
    state, _ = fold([s.registered(D(300)), ledger_fact(s, "bonus_credited", D(250), "old", "1.00"),
                     s.deposit(D(100), "1.00"), ledger_fact(s, "bonus_credited", D(260), "older", "2.00"),
                     s.deposit(D(0), "1.00")], config)
    assert list(state.wallet_days) == []               # both days are beyond the kept horizon now
    f = compute_features(state, us(AS_OF), config.features)
    assert f["bonus_credit_sum_lifetime"] == "3.00" and f["bonus_credit_count_90d"] == 0
