"""Protocol v1 validation below the HTTP layer: amounts, currencies, times, and the promise
that whatever the validator accepts, the engine can fold."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from croupier.events import (
    AmountError, EventError, bounded_minor, format_amount, parse_batch, parse_event, to_minor,
)
from croupier.players import FeatureConfig, compute_features

from . import UTC, Script, fold, us
from .test_ingest_api import TRICKY, json_values

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)


@pytest.mark.parametrize(("amount", "currency", "minor"), [
    ("10.50", "SEK", 1050), ("10.5", "EUR", 1050), ("10", "EUR", 1000), ("0", "EUR", 0),
    ("1.000", "SEK", 100),           # trailing zeros beyond the exponent are exact
    ("1500", "JPY", 1500), ("1.0", "JPY", 1), ("1.234", "KWD", 1234), ("0.0001", "CLF", 1),
    ("999999999999.99", "EUR", 99999999999999),
])
def test_amounts_become_exact_minor_units(amount, currency, minor):
    assert to_minor(amount, currency) == minor


@pytest.mark.parametrize(("amount", "currency", "words"), [
    ("1.001", "SEK", "3 decimal places; SEK has 2"), ("1.5", "JPY", "JPY has 0"),
    ("1.00001", "KWD", "KWD has 3"), ("1000000000000", "EUR", "too large: the largest EUR amount is 999999999999.99"),
    ("999999999999.9999", "CLF", "too large: the largest CLF amount is 9999999999.9999"),
    ("1.00", "XXX", "unknown currency 'XXX'"), ("1.00", "eur", "unknown currency"),
])
def test_amounts_that_cannot_be_exact_are_refused(amount, currency, words):
    with pytest.raises(AmountError, match=words.replace("(", r"\(").replace(".", r"\.")):
        bounded_minor(amount, currency)


def test_format_amount_round_trips():
    assert format_amount(1050, "SEK") == "10.50"
    assert format_amount(7, "JPY") == "7"
    assert format_amount(1234, "KWD") == "1.234"
    assert format_amount(0, "EUR") == "0.00"


def _event(**fields):  # noqa: ANN202
    base = {"event_id": "e1", "type": "casino.bet", "player_id": "p", "brand": "b",
            "occurred_at": "2026-03-20T10:00:00+01:00", "bet_id": "b1", "amount": "1.00", "currency": "EUR"}
    base.update(fields)
    return base


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"occurred_at": "2026-03-20T10:00:00"}, "occurred_at", "offset"),
    ({"occurred_at": "2026-03-20 10:00"}, "occurred_at", "RFC 3339"),
    ({"occurred_at": "2026-02-30T10:00:00Z"}, "occurred_at", "RFC 3339"),
    ({"occurred_at": "2026-03-20T12:06:00+00:00"}, "occurred_at", "future"),
    ({"occurred_at": "1969-12-31T23:59:59Z"}, "occurred_at", "1970"),
    ({"amount": "1e3"}, "amount", "decimal string"),
    ({"amount": 1}, "amount", "not a JSON number"),
    ({"game_category": "roulette"}, "game_category", "roulette"),
    ({"type": "player.registered", "jurisdiction": "SE", "country": "SE", "currency": "SEK",
      "timezone": "Europe/Nowhere"}, "timezone", "IANA"),
    ({"type": "player.registered", "jurisdiction": "SE", "country": "swe", "currency": "SEK"}, "country", "ISO 3166"),
    ({"type": "limit.changed", "kind": "session_time", "period": "day"}, "minutes", "required"),
    ({"type": "limit.changed", "kind": "deposit", "period": "day", "currency": None, "amount": None}, "amount", "required"),
    ({"type": "sports.bet_settled", "outcome": "won", "payout": "10.00", "currency": None}, "currency", "payout"),
    ({"type": None}, "type", "unknown event type"),
])
def test_single_event_rules(fields, field, words):
    event = {k: v for k, v in _event(**fields).items() if v is not None or k == "type"}
    with pytest.raises(EventError) as caught:
        parse_event(event, now=NOW)
    assert caught.value.field == field
    assert words in caught.value.reason


def test_a_time_five_minutes_ahead_is_tolerated_and_more_is_not():
    assert parse_event(_event(occurred_at="2026-03-20T12:05:00Z"), now=NOW)
    with pytest.raises(EventError):
        parse_event(_event(occurred_at="2026-03-20T12:05:01Z"), now=NOW)


def test_non_object_events_are_named_as_such():
    parsed = parse_batch(b'[1, "x", null, [], {"a": 1}]', now=NOW)
    assert [r.index for r in parsed.rejected] == [0, 1, 2, 3, 4]
    for r in parsed.rejected[:4]:
        assert "must be a JSON object" in r.reason, r
    assert parsed.rejected[4].field == "type"


# --- property: what the validator accepts, the engine can fold ---------------------------

def _mutants():  # noqa: ANN202
    s = Script("pp", currency="SEK")
    templates = [s.bet("2026-03-19T10:00Z", "1.00", "b1", session_id="s1"),
                 s.win("2026-03-19T10:01Z", "2.00", "b1"),
                 s.deposit("2026-03-19T09:00Z", "10.00"),
                 s.withdrawal("2026-03-19T09:30Z", "5.00", "approved", "w1"),
                 *s.session("2026-03-19T09:55Z", "2026-03-19T10:30Z", "s1"),
                 s.sports("2026-03-19T11:00Z", "3.00", "sb1"),
                 s.settled("2026-03-19T12:00Z", "sb1", "void"),
                 s("player.login", "2026-03-19T08:00Z"),
                 s.rollback("2026-03-19T13:00Z", "pp-1")]
    return templates


@st.composite
def mutated_history(draw) -> list[dict]:  # noqa: ANN001
    events = [dict(e) for e in _mutants()]
    for _ in range(draw(st.integers(1, 4))):
        event = events[draw(st.integers(0, len(events) - 1))]
        key = draw(st.sampled_from(sorted(event) + ["amount", "currency", "bonus_amount", "balance"]))
        if key in ("event_id", "player_id"):
            continue
        event[key] = draw(st.sampled_from(TRICKY) | json_values)
    return draw(st.permutations(events))


@settings(max_examples=150, deadline=None)
@given(history=mutated_history())
def test_every_accepted_event_folds_and_its_features_compute(history):
    registration = Script("pp", currency="SEK", prefix="reg").registered(
        "2026-01-01T00:00Z", timezone=["Asia/Kolkata", "Europe/Stockholm", "America/St_Johns"][len(history) % 3])
    raw = json.dumps([registration, *history]).encode()
    parsed = parse_batch(raw, now=NOW)
    assert len(parsed.events) + len(parsed.rejected) == len(history) + 1
    accepted = [json.loads(r) for r in parsed.raws]
    state = fold(accepted)
    features = compute_features(state, us(NOW), FeatureConfig())
    assert features["bet_count_lifetime"] >= 0
    # and the same history delivered with the registration last folds to the same features
    late = fold(accepted[1:] + accepted[:1]) if len(accepted) > 1 else state
    assert compute_features(late, us(NOW + timedelta(days=1)), FeatureConfig())["currency"] == "SEK"


offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
# naive time + offset drawn apart: hypothesis' own tz-aware datetimes avoid times whose UTC
# equivalent falls outside datetime's range, which is exactly what we want to send. It still
# rarely finds year 1 with a positive offset (year 0 in UTC), so that one is pinned.
any_time = st.builds(lambda naive, tz: naive.replace(tzinfo=tz),
                     st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(2026, 3, 20)), offsets)


@settings(max_examples=100, deadline=None)
@example(moments=[datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))], zone="Europe/Stockholm")
@given(moments=st.lists(any_time, min_size=1, max_size=5),
       zone=st.sampled_from(["Europe/Stockholm", "Asia/Kolkata", "America/St_Johns", "Pacific/Kiritimati"]))
def test_any_rfc3339_time_is_either_rejected_or_folds(moments, zone):
    s = Script("tp", currency="EUR")
    history = [s.registered("2026-01-01T00:00Z", timezone=zone)]
    for i, moment in enumerate(moments):
        history += [s.bet(moment, "1.00", f"b{i}", session_id="s"), s.win(moment, "0.50", f"b{i}"),
                    *s.session(moment, moment, "s"), s.deposit(moment, "5.00")]
    parsed = parse_batch(json.dumps(history).encode(), now=NOW)
    state = fold([json.loads(r) for r in parsed.raws])
    compute_features(state, us(NOW), FeatureConfig())


@pytest.mark.parametrize(("fields", "field"), [
    ({"brand": "au\x00rora"}, "brand"), ({"player_id": "\x00"}, "player_id"),
    ({"x_note": {"deep": ["ok", "n\x00"]}}, "x_note.deep[1]"), ({"x\x00": 1}, "x\x00"),
])
def test_the_nul_character_is_refused_wherever_it_hides(fields, field):
    """PostgreSQL text cannot hold NUL: one such event used to fail its whole batch there."""
    event = _event(**fields)
    parsed = parse_batch(json.dumps([_event(event_id="ok"), event]).encode(), now=NOW)
    assert [e.event_id for e in parsed.events] == ["ok"]
    assert (parsed.rejected[0].index, parsed.rejected[0].field) == (1, field)
    assert "NUL" in parsed.rejected[0].reason
    with pytest.raises(EventError, match="NUL"):
        parse_event(event, now=NOW)
    # an escaped backslash followed by "u0000" is just text
    assert parse_event(_event(x_note="C:\\u0000"), now=NOW)
