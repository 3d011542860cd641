"""Each archetype behaves as its label claims: these are what detectors get measured on."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from croupier.sim import ARCHETYPES, SimConfig, Simulator
from croupier.sim.casino import CRASH_TARGETS, PAYTABLES, RTP, crash_payout
from croupier.sim.sportsbook import pick_selection, price, settle

START = datetime(2025, 9, 1, tzinfo=timezone.utc)
CONFIG = SimConfig(seed=23, players=800, days=30, start=START)
# Problem gamblers are 4 % of the default mix: their own run has enough of them.
HARMED = SimConfig(seed=23, players=300, days=30, start=START,
                   mix=(("problem_gambler", 0.5), ("casual_slots", 0.5)))
END = START + timedelta(days=30)


class Run:
    def __init__(self, config: SimConfig = CONFIG) -> None:
        sim = Simulator(config)
        self.events = list(sim.events())
        self.labels = {label["player_id"]: label for label in sim.labels()}
        self.by_player: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for event in self.events:
            self.by_player[event["player_id"]].append(event)
        for history in self.by_player.values():
            history.sort(key=lambda e: e["occurred_at"])
        self.zone = {e["player_id"]: ZoneInfo(e["timezone"]) for e in self.events if e["type"] == "player.registered"}

    def players(self, archetype: str) -> list[str]:
        return [pid for pid, label in self.labels.items() if label["archetype"] == archetype]

    def of(self, pid: str, *types: str) -> list[dict[str, Any]]:
        return [e for e in self.by_player[pid] if e["type"] in types]


@pytest.fixture(scope="module")
def run() -> Run:
    return Run()


@pytest.fixture(scope="module")
def harmed_run() -> Run:
    return Run(HARMED)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_every_archetype_appears_with_its_labels(run: Run) -> None:
    counts = Counter(label["archetype"] for label in run.labels.values())
    assert set(counts) == set(ARCHETYPES)
    assert counts["casual_slots"] > counts["high_roller"]
    for label in run.labels.values():
        kind, truth = label["archetype"], label["labels"]
        assert truth["problem_gambling"] == (kind == "problem_gambler")
        assert truth["bonus_abuser"] == (kind == "bonus_hunter")
        assert truth["money_mule"] == (kind == "money_mule")
        assert (truth["ring_id"] is not None) == (kind == "multi_account_ring")
        if truth["escalation_started_at"] is not None:
            assert kind == "problem_gambler" and truth["harm_pattern"] == "escalating"
            assert _at(label["registered_at"]) < _at(truth["escalation_started_at"]) < END
            assert truth["harm_started_at"] == truth["escalation_started_at"]
        if truth["harm_started_at"] is not None:
            assert kind == "problem_gambler"
            assert _at(label["registered_at"]) <= _at(truth["harm_started_at"]) < END
        assert (truth["harm_pattern"] is not None) == (kind == "problem_gambler")
        if truth["returned_at"] is not None:
            assert _at(truth["churned_at"]) < _at(truth["returned_at"])
    harmed = [l for l in run.labels.values() if l["labels"]["harm_started_at"]]
    returned = [l for l in run.labels.values() if l["labels"]["returned_at"]]
    assert len(harmed) >= 10 and len(returned) >= 5
    assert 0.02 < sum(l["labels"]["problem_gambling"] for l in run.labels.values()) / len(run.labels) < 0.08


def test_bets_lie_within_their_session(run: Run) -> None:
    bounds: dict[str, list[str | None]] = defaultdict(lambda: [None, None])
    for event in run.events:
        if event["type"] == "session.started":
            bounds[event["session_id"]][0] = event["occurred_at"]
        elif event["type"] == "session.ended":
            bounds[event["session_id"]][1] = event["occurred_at"]
    bets = [e for e in run.events if e["type"] == "casino.bet"]
    assert len(bets) > 50_000
    for bet in bets:
        started, ended = bounds[bet["session_id"]]
        assert started is not None and started <= bet["occurred_at"]
        assert ended is None or bet["occurred_at"] <= ended  # None: still open when the period ends
    durations = [(_at(e) - _at(s)).total_seconds() / 60 for s, e in bounds.values() if s and e]
    assert 3 < sorted(durations)[len(durations) // 2] < 60  # median session in minutes


@pytest.mark.parametrize("category", sorted(RTP))
def test_game_maths_pays_the_category_rtp(category: str) -> None:
    rng = random.Random(99)
    stake, rounds = 100, 400_000
    if category == "crash":
        paid = sum(crash_payout(stake, rng.choice(CRASH_TARGETS), rng.random()) for _ in range(rounds))
    else:
        table = PAYTABLES[category]
        assert abs(table.expected_return - RTP[category]) < 1e-9
        paid = sum(table.payout(stake, rng.random()) for _ in range(rounds))
    band = 0.06 if category == "slots" else 0.03
    assert abs(paid / (stake * rounds) - RTP[category]) < band


def test_slots_pay_many_small_wins_and_rare_big_ones() -> None:
    table = PAYTABLES["slots"]
    hit_rate = table.cumulative[-1]
    assert 0.25 < hit_rate < 0.45
    big = table.cumulative[-1] - table.cumulative[-4]  # the three largest bands
    assert big < 0.005 and table.multipliers[-1] >= 10_000  # at least 100x, rarely


def test_the_sportsbook_keeps_a_five_to_seven_percent_margin() -> None:
    for probability in (0.1, 0.5, 0.8):
        offered = price(probability, 0.06) / 100
        assert 1.04 < 1 / (offered * probability) < 1.08
    rng = random.Random(3)
    staked = paid = 0
    for _ in range(100_000):
        selection = pick_selection(rng, "GB", 0.3)
        staked += 1000
        paid += settle(rng, selection, 1000)[1]
    assert 0.88 < paid / staked < 0.97


def test_simulated_returns_land_near_the_rtp(run: Run) -> None:
    category = {e["bet_id"]: e["game_category"] for e in run.events if e["type"] == "casino.bet"}
    staked: Counter[str] = Counter()
    won: Counter[str] = Counter()
    for event in run.events:
        if event["type"] == "casino.bet":
            staked["all"] += Decimal(event["amount"])
            staked[event["game_category"]] += Decimal(event["amount"])
        elif event["type"] == "casino.win":
            won["all"] += Decimal(event["amount"])
            won[category[event["bet_id"]]] += Decimal(event["amount"])
    assert 0.88 < won["all"] / staked["all"] < 1.02
    assert 0.85 < won["slots"] / staked["slots"] < 1.05


def test_ring_members_share_a_device_and_a_payment_instrument(run: Run) -> None:
    rings: dict[str, list[str]] = defaultdict(list)
    for pid, label in run.labels.items():
        if label["labels"]["ring_id"]:
            rings[label["labels"]["ring_id"]].append(pid)
    assert len(rings) >= 5
    for members in rings.values():
        assert 2 <= len(members) <= 5
        devices = [{e["device_id"] for e in run.of(pid, "player.login", "player.registered")} for pid in members]
        assert set.intersection(*devices)
        paying = [pid for pid in members if run.of(pid, "payment.deposit")]
        if len(paying) >= 2:
            instruments = [{e["instrument_id"] for e in run.of(pid, "payment.deposit")} for pid in paying]
            assert set.intersection(*instruments)
    # ... and nobody else shares a device with anyone
    owners: dict[str, set[str]] = defaultdict(set)
    for event in run.events:
        if event["type"] == "player.login" and not run.labels[event["player_id"]]["labels"]["ring_id"]:
            owners[event["device_id"]].add(event["player_id"])
    assert all(len(players) == 1 for players in owners.values())


def test_money_mules_cash_out_what_they_paid_in_with_little_play(run: Run) -> None:
    mules = [pid for pid in run.players("money_mule") if run.of(pid, "payment.withdrawal")]
    assert len(mules) >= 5
    method_changes = withdrawals = 0
    for pid in mules:
        deposited = sum(Decimal(e["amount"]) for e in run.of(pid, "payment.deposit") if e["status"] == "approved")
        staked = sum(Decimal(e["amount"]) for e in run.of(pid, "casino.bet", "sports.bet_placed"))
        assert staked < Decimal("0.25") * deposited
        deposit_methods = {e["method"] for e in run.of(pid, "payment.deposit")}
        for request in (e for e in run.of(pid, "payment.withdrawal") if e["status"] == "requested"):
            withdrawals += 1
            method_changes += request["method"] not in deposit_methods
            earlier = [e for e in run.of(pid, "payment.deposit") if e["status"] == "approved"
                       and e["occurred_at"] < request["occurred_at"]]
            assert earlier and _at(request["occurred_at"]) - _at(earlier[-1]["occurred_at"]) < timedelta(days=3)
    assert method_changes >= 0.8 * withdrawals
    casual = [pid for pid in run.players("casual_slots") if run.of(pid, "payment.deposit")]
    ratios = sorted(
        sum(Decimal(e["amount"]) for e in run.of(pid, "casino.bet"))
        / max(Decimal(1), sum(Decimal(e["amount"]) for e in run.of(pid, "payment.deposit") if e["status"] == "approved"))
        for pid in casual)
    assert ratios[len(ratios) // 2] > 1  # ordinary players turn their deposits over


def test_bonus_hunters_play_on_bonus_money_and_cash_out(run: Run) -> None:
    hunters = run.players("bonus_hunter")
    bets = [e for pid in hunters for e in run.of(pid, "casino.bet")]
    assert bets and sum(e["bonus_amount"] != "0.00" for e in bets) > 0.95 * len(bets)
    cashing_out = [pid for pid in hunters if run.of(pid, "payment.withdrawal")]
    assert len(cashing_out) > 0.5 * len(hunters)
    others = [e for pid in run.players("casual_slots") for e in run.of(pid, "casino.bet")]
    assert sum(e["bonus_amount"] != "0.00" for e in others) < 0.6 * len(others)


def test_problem_gamblers_escalate_after_the_labelled_date(harmed_run: Run) -> None:
    """Escalating problem gamblers; only some show each sign (the night shift, reversed
    withdrawals, limit raises: HARM_TELLS), so the shifts are over the whole group."""
    run = harmed_run
    night = {"before": [0, 0], "after": [0, 0]}
    deposits = {"before": 0.0, "after": 0.0}
    days = {"before": 0.0, "after": 0.0}
    sessions = {"before": [], "after": []}
    markers = Counter()
    for pid in run.players("problem_gambler"):
        escalation = run.labels[pid]["labels"]["escalation_started_at"]
        if escalation is None:
            continue
        registered, escalated = _at(run.labels[pid]["registered_at"]), _at(escalation)
        days["before"] += (escalated - registered).total_seconds() / 86400
        days["after"] += (END - escalated).total_seconds() / 86400
        for bet in run.of(pid, "casino.bet") if "night" in run.labels[pid]["labels"]["harm_signs"] else ():
            phase = "after" if bet["occurred_at"] >= escalation else "before"
            hour = _at(bet["occurred_at"]).astimezone(run.zone[pid]).hour
            night[phase][0] += hour >= 23 or hour < 5
            night[phase][1] += 1
        for deposit in run.of(pid, "payment.deposit"):
            if deposit["status"] != "requested":
                deposits["after" if deposit["occurred_at"] >= escalation else "before"] += 1
        opened = {}
        for event in run.of(pid, "session.started", "session.ended"):
            if event["type"] == "session.started":
                opened[event["session_id"]] = event["occurred_at"]
            elif event["session_id"] in opened:
                began = opened[event["session_id"]]
                sessions["after" if began >= escalation else "before"].append(
                    (_at(event["occurred_at"]) - _at(began)).total_seconds())
        markers["declined"] += sum(e["status"] in ("declined", "failed") for e in run.of(pid, "payment.deposit")
                                   if e["occurred_at"] >= escalation)
        markers["raise"] += sum(1 for e in run.of(pid, "limit.changed") if e["occurred_at"] >= escalation)
    share = {phase: late / max(1, total) for phase, (late, total) in night.items()}
    assert share["after"] > 2 * share["before"] and share["after"] > 0.2   # those showing the night shift
    assert deposits["after"] / days["after"] > 3 * deposits["before"] / days["before"]
    assert sum(sessions["after"]) / len(sessions["after"]) > 1.3 * sum(sessions["before"]) / len(sessions["before"])
    assert markers["declined"] >= 20 and markers["raise"] >= 1
    # Taking a pending withdrawal back to play on: the harmed players who show it (any
    # pattern) do it far more often than casual players (a few of whom do it too).
    def cancelled_per_player(pids: list[str]) -> float:
        return sum(e["status"] == "cancelled" for pid in pids for e in run.of(pid, "payment.withdrawal")) / len(pids)

    reversing = [pid for pid in run.players("problem_gambler") if "reversal" in run.labels[pid]["labels"]["harm_signs"]
                 and run.labels[pid]["labels"]["harm_started_at"]]
    assert len(reversing) >= 5
    assert cancelled_per_player(reversing) > 3 * cancelled_per_player(run.players("casual_slots"))


def test_problem_gamblers_write_distressed_messages(run: Run, harmed_run: Run) -> None:
    moods = Counter()
    for label in [*run.labels.values(), *harmed_run.labels.values()]:
        for message in label["support_moods"]:
            moods[(label["archetype"] == "problem_gambler", message["mood"])] += 1
    assert moods[(True, "distressed")] >= 3
    assert moods[(False, "distressed")] == 0
    texts = {e["text"] for e in run.events if e["type"] == "support.message"}
    assert len(texts) >= 15


def test_churners_lapse_for_weeks_and_come_back(run: Run) -> None:
    returned = [pid for pid in run.players("churner") if run.labels[pid]["labels"]["returned_at"]]
    assert len(returned) >= 5
    for pid in returned:
        truth = run.labels[pid]["labels"]
        churned, back = _at(truth["churned_at"]), _at(truth["returned_at"])
        assert back - churned >= timedelta(days=10)
        logins = [_at(e["occurred_at"]) for e in run.of(pid, "player.login")]
        assert not [t for t in logins if churned < t < back]
        assert any(t >= back for t in logins) and any(t <= churned for t in logins)
