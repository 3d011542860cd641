"""The simulator as a producer: reproducible, resumable, and speaking protocol v1."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from croupier.events import parse_event
from croupier.sim import SimConfig, Simulator, write_jsonl, write_labels
from croupier.sim.markets import BY_CODE

START = datetime(2025, 3, 3, tzinfo=timezone.utc)  # the run crosses the March DST change
RUN = SimConfig(seed=11, players=400, days=21, start=START, late_share=0.01, early_share=0.02,
                rollback_share=0.01)

AMOUNT = re.compile(r"^\d+\.\d{2}$")
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00$")
REQUIRED: dict[str, dict[str, Any]] = {  # type -> field -> expected kind
    "player.registered": {"jurisdiction": str, "country": str, "currency": str, "language": str,
                          "timezone": str, "birth_date": "date", "email": str, "phone": str,
                          "first_name": str, "last_name": str, "device_id": str, "ip": str,
                          "affiliate_id": (str, type(None)), "consents": dict},
    "player.updated": {},
    "player.consent_changed": {"channel": str, "granted": bool},
    "player.login": {"device_id": str, "ip": str, "country": str, "success": bool},
    "player.logout": {"device_id": str, "ip": str, "country": str, "success": bool},
    "kyc.status_changed": {"status": str, "level": str},
    "payment.deposit": {"transaction_id": str, "amount": "amount", "currency": str, "method": str,
                        "instrument_id": str, "status": str},
    "payment.withdrawal": {"transaction_id": str, "amount": "amount", "currency": str, "method": str,
                           "instrument_id": str, "status": str},
    "payment.chargeback": {"transaction_id": str, "amount": "amount", "currency": str},
    "session.started": {"session_id": str, "device_id": str, "ip": str, "channel": str},
    "session.ended": {"session_id": str, "device_id": str, "ip": str, "channel": str},
    "casino.bet": {"bet_id": str, "session_id": str, "game_id": str, "game_category": str, "provider": str,
                   "amount": "amount", "bonus_amount": "amount", "currency": str},
    "casino.win": {"bet_id": str, "game_id": str, "amount": "amount", "currency": str},
    "sports.bet_placed": {"bet_id": str, "amount": "amount", "bonus_amount": "amount", "currency": str,
                          "odds": "odds", "sport": str, "market": str, "live": bool},
    "sports.bet_settled": {"bet_id": str, "outcome": str, "payout": "amount", "currency": str},
    "limit.changed": {"kind": str, "period": str, "source": str},
    "exclusion.requested": {"kind": str, "duration": str, "scope": str},
    "support.message": {"ticket_id": str, "channel": str, "text": str, "language": str},
    "rollback": {"ref_event_id": str, "reason": str},
}
ENUMS = {
    ("kyc.status_changed", "status"): {"pending", "verified", "failed", "expired"},
    ("payment.deposit", "status"): {"requested", "approved", "declined", "failed"},
    ("payment.withdrawal", "status"): {"requested", "approved", "declined", "cancelled", "reversed"},
    ("session.started", "channel"): {"web", "mobile", "app"},
    ("casino.bet", "game_category"): {"slots", "live_casino", "table", "crash", "bingo", "poker", "other"},
    ("sports.bet_settled", "outcome"): {"won", "lost", "void", "cashout"},
    ("limit.changed", "kind"): {"deposit", "loss", "wager", "session_time"},
    ("limit.changed", "period"): {"day", "week", "month"},
    ("exclusion.requested", "kind"): {"self_exclusion", "timeout", "cooling_off", "panic"},
    ("player.consent_changed", "channel"): {"email", "sms", "push"},
}


@pytest.fixture(scope="module")
def run() -> tuple[list[dict[str, Any]], list[dict[str, Any]], Simulator]:
    sim = Simulator(RUN)
    events = list(sim.events())
    return events, sim.labels(), sim


def _occurred(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["occurred_at"])


def _small(seed: int = 5, **overrides: Any) -> Simulator:
    return Simulator(SimConfig(seed=seed, players=150, days=10, start=START, **overrides))


# --- reproducibility -------------------------------------------------------------------------------
def test_same_config_gives_identical_events_and_labels() -> None:
    first, second = _small(), _small()
    assert msgspec.json.encode(list(first.events())) == msgspec.json.encode(list(second.events()))
    assert first.labels() == second.labels()


def test_a_different_seed_gives_a_different_run() -> None:
    a, b = _small(seed=5), _small(seed=6)
    events_a, events_b = list(a.events()), list(b.events())
    assert [e["type"] for e in events_a[:200]] != [e["type"] for e in events_b[:200]]
    assert {l["archetype"] for l in a.labels()} and a.labels() != b.labels()


def test_files_are_byte_identical_for_the_same_config(tmp_path) -> None:  # noqa: ANN001
    paths = []
    for name in ("a", "b"):
        sim = _small()
        events_path, labels_path = tmp_path / f"{name}.jsonl", tmp_path / f"{name}-labels.jsonl"
        written = write_jsonl(sim.events(), events_path)
        write_labels(sim.labels(), labels_path)
        paths.append((events_path, labels_path, written))
    (ea, la, na), (eb, lb, nb) = paths
    assert na == nb == len(ea.read_bytes().splitlines()) > 1000
    assert ea.read_bytes() == eb.read_bytes()
    assert la.read_bytes() == lb.read_bytes()
    assert json.loads(la.read_bytes().splitlines()[0])["labels"].keys() >= {
        "problem_gambling", "escalation_started_at", "bonus_abuser", "ring_id", "money_mule",
        "churned_at", "returned_at"}


def test_slices_give_exactly_the_sequence_of_one_call() -> None:
    until = START + timedelta(days=13)  # past the configured 10 days: the operator keeps running
    whole_sim = _small()
    whole = list(whole_sim.events_until(until))
    sliced_sim = _small()
    sliced: list[dict[str, Any]] = []
    moment, step = START - timedelta(hours=1), 0
    while moment < until:
        step += 1
        moment = min(until, moment + timedelta(minutes=7 * step % 600 + 1, milliseconds=step))
        sliced.extend(sliced_sim.events_until(moment))
    assert step > 50 and sliced == whole
    assert sliced_sim.labels() == whole_sim.labels()


def test_live_mode_keeps_registering_past_the_configured_days() -> None:
    sim = _small()
    events = list(sim.events_until(START + timedelta(days=20)))
    late_signups = [e for e in events if e["type"] == "player.registered" and _occurred(e) >= START + timedelta(days=10)]
    assert 100 <= len(late_signups) <= 200  # ~15 a day, as during the configured period
    assert sim.players_registered > 150
    assert all(_occurred(e) <= START + timedelta(days=20) for e in events)


def test_events_are_the_period_with_late_deliveries_flushed() -> None:
    end = START + timedelta(days=10)
    period = list(_small().events())
    assert all(START <= _occurred(e) < end for e in period)
    beyond = [e for e in _small().events_until(end + timedelta(hours=3)) if _occurred(e) < end]
    assert sorted(e["event_id"] for e in period) == sorted(e["event_id"] for e in beyond)


def test_config_rejects_what_it_cannot_simulate() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        SimConfig(start=datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="unknown archetype"):
        SimConfig(mix=(("card_counter", 1.0),))
    with pytest.raises(ValueError, match="late_share"):
        SimConfig(late_share=1.5)


# --- the protocol ----------------------------------------------------------------------------------
def test_every_event_has_the_protocol_fields_with_the_right_types(run) -> None:  # noqa: ANN001
    events, _, _ = run
    assert len({e["event_id"] for e in events}) == len(events)
    seen = Counter()
    for event in events:
        assert isinstance(event["event_id"], str) and event["event_id"].startswith("sim11-")
        assert re.fullmatch(r"p\d{7}", event["player_id"])
        assert event["brand"] in RUN.brands
        assert STAMP.match(event["occurred_at"]), event["occurred_at"]
        assert _occurred(event).tzinfo is not None
        fields = REQUIRED[event["type"]]
        seen[event["type"]] += 1
        for name, kind in fields.items():
            assert name in event, (event["type"], name)
            value = event[name]
            if kind == "amount":
                assert isinstance(value, str) and AMOUNT.match(value), (name, value)
                assert Decimal(value).as_tuple().exponent == -2
            elif kind == "odds":
                assert re.fullmatch(r"\d+\.\d{2}", value) and Decimal(value) > 1
            elif kind == "date":
                datetime.strptime(value, "%Y-%m-%d")
            else:
                assert isinstance(value, kind), (event["type"], name, value)
        for (type_, name), allowed in ENUMS.items():
            if event["type"] == type_:
                assert event[name] in allowed
        for name in ("balance", "bonus_balance"):
            if name in event:
                assert AMOUNT.match(event[name])
        if event["type"] == "limit.changed":
            assert ("minutes" in event) != ("amount" in event)
    assert set(REQUIRED) - set(seen) <= {"player.updated", "payment.chargeback", "exclusion.requested"}


def test_every_event_passes_protocol_validation(run) -> None:  # noqa: ANN001
    events, _, _ = run
    for event in events:
        parse_event(event)  # raises EventError naming the field


def test_registration_matches_the_jurisdiction(run) -> None:  # noqa: ANN001
    events, labels, _ = run
    registered = {e["player_id"]: e for e in events if e["type"] == "player.registered"}
    assert len(registered) == len(labels) == RUN.players
    languages = {"GB": {"en"}, "SE": {"sv", "en"}, "DE": {"de", "en"}, "NL": {"nl", "en"}, "CA-ON": {"en", "fr"},
                 "DK": {"da", "en"}, "ES": {"es", "en"}, "MT": {"en", "mt"}, "US-NJ": {"en", "es"}}
    for event in registered.values():
        market = BY_CODE[event["jurisdiction"]]
        assert (event["country"], event["currency"], event["timezone"]) == (
            market.country, market.currency, market.timezone)
        assert event["language"] in languages[market.code]
        assert set(event["consents"]) == {"email", "sms", "push"}
    currencies = {pid: e["currency"] for pid, e in registered.items()}
    for event in events:
        if "currency" in event and event["type"] != "player.registered":
            assert event["currency"] == currencies[event["player_id"]]


def test_a_few_events_arrive_late_and_some_players_act_before_registering(run) -> None:  # noqa: ANN001
    events, _, _ = run
    latest = START - timedelta(days=1)
    overtaken = 0
    for event in events:
        occurred = _occurred(event)
        if occurred < latest - timedelta(seconds=1):
            overtaken += 1
            assert latest - occurred < timedelta(hours=2, minutes=5)
        latest = max(latest, occurred)
    assert 0.003 * len(events) < overtaken < 0.02 * len(events)
    first_seen: dict[str, str] = {}
    for event in events:
        first_seen.setdefault(event["player_id"], event["type"])
    early = [pid for pid, type_ in first_seen.items() if type_ != "player.registered"]
    assert 2 <= len(early) <= 30  # early_share 2% of 400


def test_ids_link_up(run) -> None:  # noqa: ANN001
    events, _, _ = run
    bets = {}
    for event in events:
        if event["type"] == "casino.bet":
            assert event["bet_id"] not in bets
            bets[event["bet_id"]] = event
    for event in events:
        if event["type"] == "casino.win":
            bet = bets[event["bet_id"]]
            assert bet["player_id"] == event["player_id"] and bet["game_id"] == event["game_id"]
            assert _occurred(bet) <= _occurred(event) < _occurred(bet) + timedelta(seconds=1)
    placed = {e["bet_id"]: e for e in events if e["type"] == "sports.bet_placed"}
    settled = [e for e in events if e["type"] == "sports.bet_settled"]
    assert settled and all(_occurred(placed[e["bet_id"]]) < _occurred(e) for e in settled)
    payments: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        if event["type"] in ("payment.deposit", "payment.withdrawal"):
            payments[event["transaction_id"]].append(event)
    for history in payments.values():
        assert len({(e["type"], e["amount"], e["player_id"], e["instrument_id"]) for e in history}) == 1
        history.sort(key=_occurred)
        statuses = [e["status"] for e in history]
        if history[0]["type"] == "payment.withdrawal":
            assert statuses[0] == "requested" and len(statuses) <= 3
            assert statuses[1:] in ([], ["approved"], ["declined"], ["cancelled"], ["approved", "reversed"])
        else:
            assert statuses in (["approved"], ["declined"], ["failed"], ["requested", "approved"],
                                ["requested", "declined"], ["requested", "failed"])


def test_reported_balances_follow_the_money(run) -> None:  # noqa: ANN001
    """Between two events with no bonus running, the reported cash balance moves by exactly
    the event's amount: players never bet money they do not have."""
    events, _, _ = run
    by_player: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        by_player[event["player_id"]].append(event)
    checked = 0
    for history in by_player.values():
        history.sort(key=lambda e: (e["occurred_at"], int(e["event_id"].split("-")[1])))
        previous = None
        for event in history:
            if event["type"] == "payment.chargeback":
                previous = None
            if "balance" not in event:
                continue
            assert Decimal(event["balance"]) >= 0 and Decimal(event["bonus_balance"]) >= 0
            if previous is not None and previous["bonus_balance"] == event["bonus_balance"] == "0.00":
                expected = _expected_balance(Decimal(previous["balance"]), event)
                if expected is not None:
                    checked += 1
                    assert Decimal(event["balance"]) == expected, (previous, event)
            previous = event
    assert checked > 20_000


def _expected_balance(before: Decimal, event: dict[str, Any]) -> Decimal | None:
    type_ = event["type"]
    if type_ in ("casino.bet", "sports.bet_placed"):
        return before - Decimal(event["amount"]) + Decimal(event["bonus_amount"])
    if type_ == "casino.win":
        return before + Decimal(event["amount"])
    if type_ == "sports.bet_settled":
        return before + Decimal(event["payout"])
    if type_ == "payment.deposit":
        return before + (Decimal(event["amount"]) if event["status"] == "approved" else 0)
    if type_ == "payment.withdrawal":
        sign = {"requested": -1, "approved": 0, "cancelled": 1, "declined": 1, "reversed": 1}[event["status"]]
        return before + sign * Decimal(event["amount"])
    return None


def test_rollbacks_undo_earlier_bets_wins_or_deposits(run) -> None:  # noqa: ANN001
    events, _, _ = run
    position = {e["event_id"]: i for i, e in enumerate(events)}
    rollbacks = [e for e in events if e["type"] == "rollback"]
    undoable = sum(1 for e in events if e["type"] in ("casino.bet", "casino.win", "payment.deposit"))
    assert 0.3 * RUN.rollback_share * undoable < len(rollbacks) < 1.5 * RUN.rollback_share * undoable
    targets = set()
    for rollback in rollbacks:
        original = events[position[rollback["ref_event_id"]]]
        assert original["player_id"] == rollback["player_id"]
        assert original["type"] in ("casino.bet", "casino.win", "payment.deposit")
        assert position[original["event_id"]] < position[rollback["event_id"]]
        assert _occurred(original) < _occurred(rollback)
        targets.add(original["event_id"])
    assert len(targets) == len(rollbacks)  # nothing is undone twice


def test_play_follows_local_evenings(run) -> None:  # noqa: ANN001
    events, _, _ = run
    zones = {e["player_id"]: e["timezone"] for e in events if e["type"] == "player.registered"}
    from zoneinfo import ZoneInfo

    hours = Counter(_occurred(e).astimezone(ZoneInfo(zones[e["player_id"]])).hour
                    for e in events if e["type"] == "session.started")
    evening = sum(hours[h] for h in range(18, 23))
    small_hours = sum(hours[h] for h in range(3, 8))
    assert evening > 4 * small_hours
