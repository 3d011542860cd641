"""protection_values reads the protection and risk identifiers from a folded player state,
so a segment can exclude by them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from croupier.events import ExclusionStarted, LimitSet
from croupier.events.validate import parse_event
from croupier.players import FeatureConfig, apply, micros, new_state
from croupier.players.state import DAY_US
from croupier.segments import PROTECTION, matches, parse_valid, protection_values


def _fold(events: list) -> object:  # noqa: ANN001
    state = new_state("p1")
    for seq, event in enumerate(events, 1):
        apply(state, event, seq, FeatureConfig())
    return state


def test_a_new_player_has_every_identifier_and_nothing_to_exclude_by() -> None:
    values = protection_values(new_state("p1"), 10**15)
    assert set(values) == set(PROTECTION)
    assert values["rg.level"] == "none" and values["aml.status"] == "clear" and values["excluded"] is False
    assert values["limits.deposit.set"] is False and values["limits.deposit.closeness"] is None
    assert values["protection.limit_set_days_ago"] is None and values["rg.score"] == Decimal("0")


def test_limits_exclusions_and_recent_protective_actions(make_event) -> None:  # noqa: ANN001
    now = make_event.now
    common = {"player_id": "p1", "brand": "aurora"}
    events = [
        parse_event(make_event.registered(timedelta(days=-10))),
        LimitSet(event_id="lim-1", kind="deposit", period="month", amount="500.00", currency="SEK",
                 effective_at=now - timedelta(days=3), occurred_at=now - timedelta(days=3), **common),
        parse_event(make_event("payment.deposit", timedelta(minutes=-30), transaction_id="t1", amount="400.00",
                               currency="SEK", status="approved")),
        ExclusionStarted(event_id="exc-1", exclusion_id="x-1", kind="timeout", scope="operator", source="player",
                         until=now + timedelta(days=7), occurred_at=now - timedelta(days=1), **common),
    ]
    state = _fold(events)
    at = micros(now)
    values = protection_values(state, at)  # type: ignore[arg-type]
    assert values["limits.deposit.set"] is True and values["limits.loss.set"] is False
    month_start = now.replace(day=1, hour=0, minute=0, second=0)
    expected = Decimal("0.8000") if now - timedelta(minutes=30) >= month_start else Decimal("0.0000")
    assert values["limits.deposit.closeness"] == expected
    assert values["protection.limit_set_days_ago"] == 3
    assert values["protection.timeout_days_ago"] == 1 and values["protection.exclusion_days_ago"] == 1
    assert values["excluded"] is True
    later = protection_values(state, at + 8 * DAY_US)  # type: ignore[arg-type]
    assert later["excluded"] is False and later["protection.timeout_days_ago"] == 9

    marketing = parse_valid("excluded = false and protection.timeout_days_ago is not set and rg.level < medium")
    assert not matches(marketing, values)
    assert not matches(marketing, later)         # the time-out is over, but it was taken 9 days ago
    assert matches(parse_valid("excluded = false and protection.timeout_days_ago > 7"), later)
