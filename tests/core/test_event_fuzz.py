"""Fuzzing the event decoder and validator: whatever bytes or JSON arrive, the only outcomes
are a batch whose every element is accepted or rejected with a reason, a BatchError for a
body that is not a batch, or an EventError for one event. Any other exception (the OSError a
long time zone raised, the RecursionError of deep JSON) fails. Bounded: a fixed number of
examples per property."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from croupier.events import BatchError, Event, EventError, ParsedBatch, parse_batch, parse_event
from croupier.events.types import INBOUND_TYPES

NOW = datetime(2026, 3, 20, 12, tzinfo=timezone.utc)
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TYPES = {cls.__struct_config__.tag: cls for cls in INBOUND_TYPES}
FIELDS = sorted({name for cls in INBOUND_TYPES for name in cls.__struct_fields__})
TRICKY = ["", " ", "-1", "1e3", "1.001", "0.0001", "999999999999.99999999", "9" * 40, "NaN", "Infinity",
          "0001-01-01T00:30:00+01:00", "1969-12-31T23:59:59Z", "9999-12-31T23:59:59-23:59",
          "2026-02-30T10:00:00Z", "2026-03-20T10:00:00+25:00", "2026-03-20T10:00:00.123456789+00:00",
          "EUR", "CLF", "XXX", "eur", "JPY", "KWD", "SE", "GB", "Europe/Stockholm", "Europe/Nowhere",
          "A" * 256, "../../etc/passwd", "/", ".", "..", "a/b", "\\", "\x00", "\ud7ff", "\x85",
          "P1M", "PT24H", "indefinite", "deposit", "session_time", "day", "slots", "approved", "won"]
leaves = (st.none() | st.booleans() | st.integers() | st.integers(min_value=2**63 - 2, max_value=2**70)
          | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=16) | st.sampled_from(TRICKY))
json_values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=10)


def _deep(depth: int, inner: object = 1) -> object:
    for i in range(depth):
        inner = {"x": inner} if i % 2 else [inner]
    return inner


@st.composite
def events(draw) -> dict:  # noqa: ANN001
    """An event of a real type with real field names, most of them filled with hostile values."""
    kind = draw(st.sampled_from(sorted(TYPES)))
    event: dict = {"event_id": draw(st.text(min_size=1, max_size=10)), "type": kind,
                   "player_id": draw(st.sampled_from(["p1", "a/b", "..", "p\x00", "é"]) | st.text(max_size=12)),
                   "brand": "b", "occurred_at": draw(st.sampled_from(["2026-03-20T10:00:00+00:00"] + TRICKY))}
    for name in draw(st.lists(st.sampled_from(sorted(TYPES[kind].__struct_fields__)), max_size=8)):
        event[name] = draw(json_values | st.sampled_from(TRICKY))
    for name in draw(st.lists(st.sampled_from(FIELDS + ["x_extra"]), max_size=3)):
        event[name] = draw(json_values)
    if draw(st.integers(0, 9)) == 0:
        # far deeper than MAX_DEPTH, yet shallow enough for the tests' own json.dumps to encode
        # under hypothesis's stack (deeper bodies, as raw bytes: test_a_body_too_deep_to_decode_...)
        event["x_deep"] = _deep(draw(st.integers(20, 400)))
    return event


def _assert_complete(parsed: ParsedBatch, size: int) -> None:
    """Every element is accounted for exactly once: accepted as an Event, or rejected with a reason."""
    assert all(isinstance(e, Event) for e in parsed.events)
    assert sorted(parsed.indexes + [r.index for r in parsed.rejected]) == list(range(size))
    assert all(r.reason for r in parsed.rejected)
    assert len(parsed.raws) == len(parsed.events)


@FUZZ
@given(body=st.binary(max_size=300))
@example(body=b"[" * 5000)
@example(body=b"[" * 3000 + b"]" * 3000)
@example(body=b'[{"a":' * 2000)
@example(body=b"[" + b"{}," * 100 + b"]")
@example(body=b"\xff\xfe[]")
def test_any_bytes_are_a_batch_or_a_batch_error(body):
    try:
        parsed = parse_batch(body, now=NOW)
    except BatchError:
        return
    _assert_complete(parsed, len(parsed.events) + len(parsed.rejected))


@FUZZ
@given(batch=st.lists(events() | json_values, max_size=6))
@example(batch=[{"event_id": "tz", "type": "player.registered", "player_id": "p", "brand": "b",
                 "occurred_at": "2026-03-20T10:00:00+00:00", "jurisdiction": "SE", "country": "SE",
                 "currency": "SEK", "timezone": "A" * 256}])
def test_any_json_batch_is_accepted_or_rejected_event_by_event(batch):
    body = json.dumps(batch).encode()
    parsed = parse_batch(body, now=NOW)   # a JSON array is always a batch: no BatchError here
    _assert_complete(parsed, len(batch))


@FUZZ
@given(event=events() | json_values)
def test_one_event_is_an_event_or_an_event_error(event):
    try:
        result = parse_event(event, now=NOW)
    except EventError as exc:
        assert exc.reason
        return
    assert isinstance(result, Event)


@settings(max_examples=20, deadline=None)
@given(depth=st.integers(1000, 20_000), position=st.integers(0, 3))
def test_a_body_too_deep_to_decode_keeps_its_good_events(depth, position):
    good = [{"event_id": f"g{i}", "type": "player.login", "player_id": "p", "brand": "b",
             "occurred_at": "2026-03-20T10:00:00+00:00"} for i in range(3)]
    parts = [json.dumps(e) for e in good]
    parts.insert(position, json.dumps({**good[0], "event_id": "deep"})[:-1] + ', "x": '
                 + '{"a":' * depth + "1" + "}" * depth + "}")
    parsed = parse_batch(("[" + ",".join(parts) + "]").encode(), now=NOW)
    assert [e.event_id for e in parsed.events] == ["g0", "g1", "g2"]
    [rejection] = parsed.rejected
    assert rejection.index == position and "levels deep" in rejection.reason
