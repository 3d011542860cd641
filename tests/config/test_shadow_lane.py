"""The shadow lane on its own: what a proposal folds differently (and so needs a state of its
own) and what only the gate decides again, with the shadow's own daily message counters."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import msgspec

from croupier.compliance.document import ConfigDocument, effective, in_force_document, merge_patch, to_builtins
from croupier.compliance.shadow import fold_scope
from croupier.engine.shadow import ShadowLane
from croupier.engine.step import step
from croupier.events import StoredEvent
from croupier.players import EngineConfig, micros, new_state
from rg import MemoryLog

START = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=3)


def proposal(patch: dict) -> ConfigDocument:
    return effective(msgspec.convert(merge_patch(to_builtins(in_force_document(EngineConfig())), patch),
                                     ConfigDocument))


def test_the_fold_scope_follows_what_the_proposal_changes() -> None:
    live = EngineConfig()
    gate_only = fold_scope(live, proposal({"jurisdictions": {"SE": {"min_age": 20}}, "stale_after_minutes": 5}))
    assert not any(gate_only.folds(code) for code in ("SE", "GB", None, "XX"))
    rg = fold_scope(live, proposal({"jurisdictions": {"SE": {"rg": {"firm_at": "medium"}}}}))
    assert rg.folds("SE") and not rg.folds("GB") and not rg.folds(None) and not rg.folds("XX")
    features = fold_scope(live, proposal({"features": {"late_night_end_hour": 5}}))
    assert all(features.folds(code) for code in ("SE", "GB", None))


def _events(player_id: str) -> list[dict]:
    at = START
    return [{"event_id": f"{player_id}-reg", "type": "player.registered", "player_id": player_id, "brand": "aurora",
             "occurred_at": at.isoformat(), "jurisdiction": "SE", "country": "SE", "currency": "SEK",
             "timezone": "UTC", "birth_date": "1990-05-17", "email": "x@example.se",
             "consents": {"email": True}},
            {"event_id": f"{player_id}-dep", "type": "payment.deposit", "player_id": player_id, "brand": "aurora",
             "occurred_at": (at + timedelta(minutes=5)).isoformat(), "transaction_id": "t1", "amount": "50.00",
             "currency": "SEK", "method": "card", "status": "approved"}]


def test_a_message_cap_in_shadow_counts_its_own_messages_not_the_live_ones() -> None:
    """A first deposit after 40 idle days proposes two promotional messages at once (the
    first-deposit thanks and the welcome back). Live has no cap: both go out. The proposal
    caps promotional messages at one a day: in shadow the second is suppressed, because the
    shadow counts the one it let through itself; the live counters stay as they were."""
    live = EngineConfig()
    capped = proposal({"jurisdictions": {"XX": {"code": "XX", "name": "A market without a register",
                                                "currency": "SEK", "marketing": {"max_messages_per_day": 1}}}})
    lane = ShadowLane(1, capped.version, capped, live, from_seq=0)
    state, log = new_state("p1"), MemoryLog()
    registration, deposit = _events("p1")
    long_ago = (START - timedelta(days=40)).isoformat()
    session = {"event_id": "p1-s", "type": "session.started", "player_id": "p1", "brand": "aurora",
               "occurred_at": long_ago, "session_id": "s1"}
    registration = {**registration, "occurred_at": long_ago, "jurisdiction": "XX"}
    for seq, raw in enumerate([registration, session, deposit], start=1):
        event = msgspec.json.decode(msgspec.json.encode(raw), type=StoredEvent)
        log.add(seq, event)
        received = micros(event.occurred_at) + 1_000_000
        lane.before(state, seq)
        result = step(state, event, seq, received, live, log)
        lane.after(result, event, seq, received, log)
        state = result.state
    assert lane.states == {}                                   # gate-only: no copy of the state
    assert state.protection.promo_count == 2                   # live: both messages counted
    found, risks, progress = lane.drain()
    assert [(d["change"], d["shadow"]["reasons"]) for d in found] == [("now_suppressed", ["message_cap:1/day"])]
    assert found[0]["name"] in ("first_deposit_thanks", "welcome_back")
    assert risks == {} and progress["events"] == 3 and progress["players_folded"] == 0


def test_forgetting_after_a_failed_batch_folds_nothing_twice() -> None:
    live = EngineConfig()
    rg = proposal({"jurisdictions": {"SE": {"rg": {"score_levels": [300, 700, 3000, 7000]}}}})
    lane = ShadowLane(1, rg.version, rg, live, from_seq=0)
    state, log = new_state("p2"), MemoryLog()
    events = [msgspec.json.decode(msgspec.json.encode(raw), type=StoredEvent) for raw in _events("p2")]
    for seq, event in enumerate(events, start=1):
        log.add(seq, event)
        lane.before(state, seq)
        result = step(state, event, seq, micros(event.occurred_at), live, log)
        lane.after(result, event, seq, micros(event.occurred_at), log)
    assert set(lane.states) == {"p2"} and lane.events == 2     # SE's rg differs: a state of its own
    lane.drain()                                               # written with the engine's snapshot
    again = msgspec.json.decode(msgspec.json.encode({**_events("p2")[1], "event_id": "p2-dep2",
                                                     "transaction_id": "t2"}), type=StoredEvent)
    lane.before(state, 3)                                      # a batch that then fails ...
    lane.after(step(state, again, 3, micros(again.occurred_at), live, log), again, 3, micros(again.occurred_at), log)
    assert lane.events == 3
    lane.forget()                                              # ... and is processed again from the snapshot
    assert lane.states == {} and lane.events == 2 and lane.drain()[0] == []
