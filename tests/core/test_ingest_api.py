"""POST /v1/events: every kind of bad event is answered precisely (index, field, value, reason)
while the good events of the same batch are stored; duplicates are stored once; junk never
produces a 500. Runs on SQLite and PostgreSQL (app_client)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import body, stored_ids


def _post(client, events) -> dict:  # noqa: ANN001
    response = client.post("/v1/events", content=body(events))
    assert response.status_code == 200, response.text
    return response.json()


def _runtime(client):  # noqa: ANN001, ANN202
    return client.app.state.runtime


def test_every_error_class_is_reported_precisely_and_good_events_are_stored(app_client, make_event):
    ev = make_event
    good_registration = ev.registered(timedelta(hours=-3))
    good_deposit = ev("payment.deposit", timedelta(hours=-2), transaction_id="tx-ok", amount="25.50",
                      currency="SEK", status="approved", x_psp={"ref": "abc-123", "risk": [1, 2]})
    good_bet = ev("casino.bet", timedelta(hours=-1), bet_id="b-ok", amount="5", currency="SEK",
                  game_category="slots")
    bad_self_rollback = ev("rollback", timedelta(hours=-1), ref_event_id="placeholder")
    bad_self_rollback["ref_event_id"] = bad_self_rollback["event_id"]
    deposit = {"transaction_id": "tx", "amount": "10.00", "currency": "SEK", "status": "approved"}
    batch = [
        good_registration,                                                        # 0
        ev("casino.spin", timedelta(hours=-1), amount="1.00"),                    # 1
        ev("payment.deposit", timedelta(hours=-1), transaction_id="tx", currency="SEK",
           status="approved"),                                                    # 2 (no amount)
        ev("payment.deposit", timedelta(hours=-1), **{**deposit, "currency": "XXX"}),   # 3
        ev("payment.deposit", timedelta(hours=-1), **{**deposit, "currency": "sek"}),   # 4
        ev("payment.deposit", timedelta(hours=-1), **{**deposit, "amount": "1.001"}),   # 5
        ev("casino.bet", timedelta(hours=-1), bet_id="b", amount="1.5", currency="JPY"),  # 6
        {**good_bet, "event_id": "t1", "occurred_at": "2026-11-21 10:00"},        # 7
        {**good_bet, "event_id": "t2", "occurred_at": "2026-11-21T10:00:00"},     # 8
        {**good_bet, "event_id": "t3", "occurred_at": "yesterday-ish"},           # 9
        ev("payment.deposit", timedelta(hours=-1), **{**deposit, "amount": "-5.00"}),   # 10
        ev("payment.deposit", timedelta(hours=-1), **{**deposit, "amount": 10.1}),      # 11
        42,                                                                       # 12
        ev("player.login", timedelta(days=1)),                                    # 13
        bad_self_rollback,                                                        # 14
        good_deposit,                                                             # 15
        good_bet,                                                                 # 16
        ["not", "an", "object"],                                                  # 17
        ev("sports.bet_placed", timedelta(hours=-1), bet_id="s", amount="3.00", currency="SEK",
           bonus_amount="4.00"),                                                  # 18
    ]
    result = _post(app_client, batch)

    assert result["accepted"] == 3
    assert result["duplicates"] == 0
    rejected = {r["index"]: r for r in result["rejected"]}
    assert sorted(rejected) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 17, 18]
    # (field, value, words the reason must contain)
    expected = {
        1: ("type", "casino.spin", ["unknown event type", "casino.bet"]),
        2: ("amount", None, ["required"]),
        3: ("currency", "XXX", ["unknown currency", "ISO 4217"]),
        4: ("currency", "sek", ["ISO 4217"]),
        5: ("amount", "1.001", ["3 decimal places", "SEK has 2"]),
        6: ("amount", "1.5", ["decimal places", "JPY has 0"]),
        7: ("occurred_at", "2026-11-21 10:00", ["RFC 3339", "offset"]),
        8: ("occurred_at", "2026-11-21T10:00:00", ["RFC 3339", "offset"]),
        9: ("occurred_at", "yesterday-ish", ["RFC 3339"]),
        10: ("amount", "-5.00", ["negative", "rollback"]),
        11: ("amount", 10.1, ["decimal string", "not a JSON number"]),
        12: (None, 42, ["object"]),
        13: ("occurred_at", None, ["future"]),
        14: ("ref_event_id", bad_self_rollback["event_id"], ["cannot undo itself"]),
        17: (None, ["not", "an", "object"], ["object"]),
        18: ("bonus_amount", "4.00", ["cannot exceed amount"]),
    }
    for index, (field, value, words) in expected.items():
        r = rejected[index]
        assert r["field"] == field, (index, r)
        if value is not None:
            assert r["value"] == value, (index, r)
        for word in words:
            assert word in r["reason"], (index, word, r)
        element = batch[index]
        assert r["event_id"] == (element.get("event_id") if isinstance(element, dict) else None)
    assert rejected[13]["value"].startswith(batch[13]["occurred_at"][:16])

    assert sorted(stored_ids(_runtime(app_client).db)) == sorted(
        e["event_id"] for e in (good_registration, good_deposit, good_bet))
    # Unknown fields are kept verbatim in the log and shown on the timeline.
    timeline = app_client.get("/v1/players/p1/events").json()["events"]
    by_id = {item["event_id"]: item["event"] for item in timeline}
    assert by_id[good_deposit["event_id"]]["x_psp"] == {"ref": "abc-123", "risk": [1, 2]}
    # ... and the valid events were processed.
    features = app_client.get("/v1/players/p1").json()["features"]
    assert features["deposit_sum_lifetime"] == "25.50"
    assert features["stake_sum_lifetime"] == "5.00"


def test_times_before_the_epoch_are_rejected_not_left_to_halt_the_engine(app_client, make_event):
    """A time like 0001-01-01T00:30:00+01:00 is valid RFC 3339 but lies in year 0 in UTC;
    folded into a player with a time zone it raised inside the engine on every retry."""
    ev = make_event
    batch = [ev.registered(timedelta(hours=-1)),
             {**ev("casino.bet", timedelta(0), bet_id="b1", amount="1.00", currency="SEK"),
              "occurred_at": "0001-01-01T00:30:00+01:00"},
             {**ev("player.login", timedelta(0)), "occurred_at": "1969-12-31T23:59:59+00:00"},
             ev("casino.bet", timedelta(minutes=-5), bet_id="b2", amount="2.00", currency="SEK")]
    result = _post(app_client, batch)
    assert result["accepted"] == 2
    assert [(r["index"], r["field"]) for r in result["rejected"]] == [(1, "occurred_at"), (2, "occurred_at")]
    assert "1970" in result["rejected"][0]["reason"]
    assert app_client.get("/v1/players/p1").json()["features"]["stake_sum_lifetime"] == "2.00"


def test_duplicates_within_and_across_batches_are_reported_once_and_stored_once(app_client, make_event):
    ev = make_event
    a = ev.registered(timedelta(hours=-2))
    b = ev("payment.deposit", timedelta(hours=-1), transaction_id="t1", amount="10.00",
           currency="SEK", status="approved")
    c = ev("player.login", timedelta(minutes=-30))
    a_again = dict(a)
    b_altered = {**b, "amount": "999.00"}          # same event_id, different content
    first = _post(app_client, [a, b, a_again, c, b_altered])
    assert first["accepted"] == 3
    assert first["duplicates"] == 2
    assert first["duplicate_events"] == [
        {"index": 2, "event_id": a["event_id"], "duplicate_of": "index 0"},
        {"index": 4, "event_id": b["event_id"], "duplicate_of": "index 1"},
    ]
    d = ev("player.logout", timedelta(minutes=-10))
    second = _post(app_client, [c, d, a])
    assert second["accepted"] == 1
    assert second["duplicates"] == 2
    assert [(x["index"], x["duplicate_of"]) for x in second["duplicate_events"]] == [
        (0, "an event already stored"), (2, "an event already stored")]
    assert sorted(stored_ids(_runtime(app_client).db)) == sorted(x["event_id"] for x in (a, b, c, d))
    player = app_client.get("/v1/players/p1").json()
    assert player["event_count"] == 5      # the four, and the registration's register check (a fact)
    assert player["features"]["deposit_sum_lifetime"] == "10.00"     # the first copy wins


def test_a_body_that_is_not_an_array_of_events_is_a_400(app_client):
    for raw in (b'{"event_id": "x"}', b'"events"', b"not json at all", b"", b"[1, 2"):
        response = app_client.post("/v1/events", content=raw)
        assert response.status_code == 400, raw
        assert "JSON array" in response.json()["detail"]


def test_more_than_ten_thousand_events_is_a_413(app_client, make_event):
    response = app_client.post("/v1/events", content=b"[" + b",".join([b"{}"] * 10_001) + b"]")
    assert response.status_code == 413
    assert "10000" in response.json()["detail"] and "10001" in response.json()["detail"]
    assert stored_ids(_runtime(app_client).db) == []


def test_an_empty_array_is_fine(app_client):
    assert _post(app_client, []) == {"accepted": 0, "processed": True, "duplicates": 0, "duplicate_events": [], "rejected": []}


# --- property: junk mixed into a valid batch --------------------------------------------

TRICKY = ["", "-1", "1e3", "1.001", "0.000000001", "0001-01-01T00:30:00+01:00",
          "1969-12-31T23:59:59Z", "9999-12-31T23:59:59Z", "2026-02-30T10:00:00Z",
          "2026-11-21T10:00:00+25:00", "NaN", "SEK", "sek", "XXX", "JPY", "casino.bet", "rollback",
          "player.registered", "\x00", "Europe/Nowhere", "Asia/Kolkata", "9" * 40, "0" * 14 + "1"]
leaves = (st.none() | st.booleans() | st.integers() | st.integers(min_value=10**18, max_value=10**40)
          | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
          | st.sampled_from(TRICKY))
json_values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)


def _templates(tag: str) -> list[dict]:
    common = {"player_id": f"hp-{tag}", "brand": "aurora", "occurred_at": "2026-01-10T12:00:00+00:00"}
    return [
        {**common, "type": "player.registered", "jurisdiction": "SE", "country": "SE", "currency": "SEK",
         "timezone": "Europe/Stockholm", "birth_date": "1990-01-01", "consents": {"email": True}},
        {**common, "type": "payment.deposit", "transaction_id": "t", "amount": "10.00",
         "currency": "SEK", "status": "approved"},
        {**common, "type": "payment.withdrawal", "transaction_id": "w", "amount": "5.00",
         "currency": "SEK", "status": "cancelled"},
        {**common, "type": "casino.bet", "bet_id": "b", "amount": "1.00", "currency": "SEK",
         "game_category": "slots", "session_id": "s"},
        {**common, "type": "casino.win", "bet_id": "b", "amount": "2.00", "currency": "SEK"},
        {**common, "type": "sports.bet_settled", "bet_id": "sb", "outcome": "void"},
        {**common, "type": "session.ended", "session_id": "s"},
        {**common, "type": "limit.changed", "kind": "deposit", "period": "day", "amount": "100",
         "currency": "SEK"},
        {**common, "type": "rollback", "ref_event_id": "nothing"},
    ]


@st.composite
def junk_element(draw, tag: str) -> object:  # noqa: ANN001
    if draw(st.booleans()):
        return draw(json_values)
    event = dict(draw(st.sampled_from(_templates(tag))))
    event["event_id"] = f"junk-{tag}-{draw(st.integers(0, 10**9))}"
    key = draw(st.sampled_from(sorted(event) + ["amount", "currency", "occurred_at", "type", "x"]))
    if draw(st.integers(0, 3)) == 0:
        event.pop(key, None)
    else:
        event[key] = draw(json_values)
    return event


@st.composite
def mixed_batch(draw) -> tuple[list, set[str]]:  # noqa: ANN001
    tag = uuid.uuid4().hex[:8]
    valid = []
    for i, template in enumerate(_templates(tag)[: draw(st.integers(1, 6))]):
        valid.append({**template, "event_id": f"ok-{tag}-{i}"})
    junk = draw(st.lists(junk_element(tag), min_size=1, max_size=8))
    batch = list(valid)
    for element in junk:
        batch.insert(draw(st.integers(0, len(batch))), element)
    return batch, {e["event_id"] for e in valid}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(case=mixed_batch())
def test_junk_never_breaks_the_server_and_never_costs_a_valid_event(app_client, case):
    batch, valid_ids = case
    response = app_client.post("/v1/events", content=json.dumps(batch).encode())
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["accepted"] + result["duplicates"] + len(result["rejected"]) == len(batch)
    valid_positions = {i for i, e in enumerate(batch)
                       if isinstance(e, dict) and isinstance(e.get("event_id"), str) and e["event_id"] in valid_ids}
    for rejection in result["rejected"]:
        assert rejection["index"] not in valid_positions, rejection
        assert rejection["reason"]
    assert valid_ids <= set(stored_ids(_runtime(app_client).db))
    # The player view still renders (no event stored that features cannot handle).
    pid = next(iter(valid_ids)).split("-")[1]
    assert app_client.get(f"/v1/players/hp-{pid}").status_code == 200
