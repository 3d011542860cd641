"""The simulated population against the published cohort figures, and the harm it carries:
heavy players who are fine, harmed players who never escalate, chasing within play, and
self-exclusions given for gambling reasons (the labels an operator trains on)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from croupier.sim import SimConfig, Simulator
from croupier.sim.money import PER_EUR

START = datetime(2026, 2, 2, tzinfo=timezone.utc)
SPORTS = SimConfig(seed=31, players=500, days=60, start=START, mix=(("sports_bettor", 1.0),))
HARM = SimConfig(seed=37, players=400, days=45, start=START,
                 mix=(("problem_gambler", 0.3), ("heavy_healthy", 0.15), ("sports_bettor", 0.3),
                      ("casual_slots", 0.25)))


class Run:
    def __init__(self, config: SimConfig) -> None:
        sim = Simulator(config)
        self.events = list(sim.events())
        self.labels = {row["player_id"]: row for row in sim.labels()}
        self.by_player: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for event in self.events:
            self.by_player[event["player_id"]].append(event)
        for history in self.by_player.values():
            history.sort(key=lambda e: e["occurred_at"])

    def of(self, pid: str, *types: str) -> list[dict[str, Any]]:
        return [e for e in self.by_player[pid] if e["type"] in types]

    def players(self, archetype: str, pattern: str | None = None) -> list[str]:
        return [pid for pid, row in self.labels.items() if row["archetype"] == archetype
                and (pattern is None or row["labels"]["harm_pattern"] == pattern)]


@pytest.fixture(scope="module")
def sports() -> Run:
    return Run(SPORTS)


@pytest.fixture(scope="module")
def harm() -> Run:
    return Run(HARM)


def _eur(event: dict[str, Any]) -> float:
    return float(event["amount"]) / PER_EUR[event["currency"]]


def _day(event: dict[str, Any]) -> int:
    return datetime.fromisoformat(event["occurred_at"]).toordinal()


def _activity(run: Run, pid: str, *types: str) -> tuple[float | None, float, float]:
    """(share of days with a bet between the first and last bet (None under two weeks),
    bets per betting day, median stake in EUR)."""
    bets = run.of(pid, *types)
    days = sorted({_day(b) for b in bets})
    span = days[-1] - days[0] + 1
    return (len(days) / span if span >= 14 else None, len(bets) / len(days),
            statistics.median(_eur(b) for b in bets))


def test_sports_bettors_match_the_2007_cohort(sports: Run) -> None:
    """LaBrie et al. 2007: the median bettor bet on ~23 % of days, ~2.5 bets per betting day,
    ~4 EUR a bet, with long right tails."""
    rows = [_activity(sports, pid, "sports.bet_placed") for pid in sports.players("sports_bettor")
            if sports.of(pid, "sports.bet_placed")]
    assert len(rows) > 250
    shares = [share for share, _, _ in rows if share is not None]
    assert len(shares) > 80
    assert 0.15 <= statistics.median(shares) <= 0.35
    assert 2.0 <= statistics.median(per_day for _, per_day, _ in rows) <= 4.0
    stakes = sorted(stake for _, _, stake in rows)
    median = statistics.median(stakes)
    assert 2.0 <= median <= 8.0
    assert stakes[int(0.95 * len(stakes))] > 4 * median        # a heavy right tail ...
    assert max(shares) > 0.7 and min(shares) < 0.1             # ... and players spread both ways


def test_each_player_draws_their_own_habits(sports: Run) -> None:
    """Not one value per archetype: players of one archetype differ in how often and how big."""
    rows = [_activity(sports, pid, "sports.bet_placed") for pid in sports.players("sports_bettor")
            if len(sports.of(pid, "sports.bet_placed")) >= 5]
    stakes = sorted(stake for _, _, stake in rows)
    assert stakes[int(0.9 * len(stakes))] >= 5 * stakes[int(0.1 * len(stakes))]


def test_heavy_healthy_players_play_hard_and_are_not_labelled_harmed(harm: Run) -> None:
    heavy = [pid for pid in harm.players("heavy_healthy") if harm.of(pid, "casino.bet", "sports.bet_placed")]
    assert len(heavy) >= 20
    for pid in heavy:
        truth = harm.labels[pid]["labels"]
        assert truth["problem_gambling"] is False
        assert truth["harm_started_at"] is None and truth["harm_pattern"] is None
    active = [_activity(harm, pid, "casino.bet", "sports.bet_placed") for pid in heavy]
    shares = [share for share, _, _ in active if share is not None]
    assert statistics.median(shares) > 0.6                          # most days ...
    assert statistics.median(stake for _, _, stake in active) >= 5  # ... at real stakes
    cashing_out = [pid for pid in heavy if harm.of(pid, "payment.withdrawal")]
    assert len(cashing_out) > 0.5 * len(heavy)                      # and they take winnings home
    # They overlap the steady harmed players in how much they play.
    steady = [_activity(harm, pid, "casino.bet", "sports.bet_placed") for pid in harm.players("problem_gambler", "steady")
              if harm.of(pid, "casino.bet", "sports.bet_placed")]
    steady_shares = [share for share, _, _ in steady if share is not None]
    assert min(shares) < statistics.median(steady_shares) < max(shares)


def test_harm_patterns_and_their_labels(harm: Run) -> None:
    patterns = defaultdict(list)
    for pid in harm.players("problem_gambler"):
        patterns[harm.labels[pid]["labels"]["harm_pattern"]].append(pid)
    assert set(patterns) == {"escalating", "steady", "fluctuating"}
    assert all(len(pids) >= 15 for pids in patterns.values())
    for pid in patterns["steady"]:
        row = harm.labels[pid]
        assert row["labels"]["escalation_started_at"] is None       # steady: never escalates
        assert row["labels"]["harm_started_at"] == row["registered_at"]
    for pid in patterns["escalating"]:
        truth = harm.labels[pid]["labels"]
        assert truth["harm_started_at"] == truth["escalation_started_at"]   # null while still ahead
    for pid in patterns["fluctuating"]:
        truth = harm.labels[pid]["labels"]
        assert truth["escalation_started_at"] is None
        if truth["harm_started_at"] is not None:
            assert truth["harm_started_at"] > harm.labels[pid]["registered_at"]


def test_steady_harmed_players_do_not_escalate(harm: Run) -> None:
    """Their stakes in the second half of their play are like the first half's; escalating
    players' rise after the escalation."""
    def ratio(pid: str, split: str) -> float | None:
        bets = harm.of(pid, "casino.bet")
        before = [_eur(b) for b in bets if b["occurred_at"] < split]
        after = [_eur(b) for b in bets if b["occurred_at"] >= split]
        if len(before) < 50 or len(after) < 50:
            return None
        return statistics.median(after) / statistics.median(before)

    steady = []
    for pid in harm.players("problem_gambler", "steady"):
        bets = harm.of(pid, "casino.bet")
        if len(bets) >= 200:
            steady.append(ratio(pid, bets[len(bets) // 2]["occurred_at"]))
    escalating = [ratio(pid, harm.labels[pid]["labels"]["escalation_started_at"])
                  for pid in harm.players("problem_gambler", "escalating")
                  if harm.labels[pid]["labels"]["escalation_started_at"]]
    steady = [r for r in steady if r is not None]
    escalating = [r for r in escalating if r is not None]
    assert len(steady) >= 8 and len(escalating) >= 8
    assert 0.6 <= statistics.median(steady) <= 1.6
    assert statistics.median(escalating) >= 2.0


def test_gambling_harm_exclusions_come_from_harmed_players_only(harm: Run) -> None:
    reasons: dict[bool, list[Any]] = defaultdict(list)
    for event in harm.events:
        if event["type"] == "exclusion.requested":
            harmed = harm.labels[event["player_id"]]["labels"]["problem_gambling"]
            reasons[harmed].append((event["kind"], event.get("reason")))
            if event.get("reason") == "gambling_harm":
                truth = harm.labels[event["player_id"]]["labels"]
                assert event["kind"] == "self_exclusion"
                assert truth["gambling_harm_exclusion_at"] is not None
                assert truth["harm_started_at"] <= truth["gambling_harm_exclusion_at"]
    assert ("self_exclusion", "gambling_harm") not in reasons[False]
    excluded = {pid for pid, row in harm.labels.items() if row["labels"]["gambling_harm_exclusion_at"]}
    harmed = [pid for pid in harm.players("problem_gambler") if harm.labels[pid]["labels"]["harm_started_at"]]
    assert 0.15 * len(harmed) <= len(excluded) < len(harmed)   # many, not all
    assert reasons[False]                                        # healthy players take breaks too


def _chasers(run: Run, pids: list[str]) -> float:
    """Share of `pids` who doubled their casino stake (or more) right after at least 8 % of
    their losing bets. Ordinary play does it about 1-2 % of the time (a new game, the
    remains of a balance played down before a top-up)."""
    count = 0
    for pid in pids:
        won = {e["bet_id"] for e in run.of(pid, "casino.win")}
        previous: dict[str, dict[str, Any]] = {}
        losses = doublings = 0
        for bet in run.of(pid, "casino.bet"):
            last = previous.get(bet["session_id"])
            if last is not None and last["bet_id"] not in won:
                losses += 1
                doublings += float(bet["amount"]) >= 2 * float(last["amount"])
            previous[bet["session_id"]] = bet
        count += doublings >= 0.08 * max(1, losses)
    return count / max(1, len(pids))


def test_chasing_within_play_in_some_harmed_and_a_few_healthy_players(harm: Run) -> None:
    harmed = [pid for pid in harm.players("problem_gambler") if harm.labels[pid]["labels"]["harm_started_at"]
              and len(harm.of(pid, "casino.bet")) >= 100]
    healthy = [pid for pid, row in harm.labels.items() if not row["labels"]["problem_gambling"]
               and len(harm.of(pid, "casino.bet")) >= 100]
    harmed_share, healthy_share = _chasers(harm, harmed), _chasers(harm, healthy)
    assert 0.25 < harmed_share < 0.9        # some harmed players, not all
    assert 0 < healthy_share < harmed_share / 2


def test_the_same_seed_gives_the_same_harm() -> None:
    config = SimConfig(seed=41, players=60, days=12, start=START, mix=(("problem_gambler", 0.5), ("casual_slots", 0.5)))
    first, second = Simulator(config), Simulator(config)
    assert list(first.events()) == list(second.events())
    assert first.labels() == second.labels()
    other = Simulator(SimConfig(seed=42, players=60, days=12, start=START, mix=config.mix))
    list(other.events())
    assert [r["labels"]["harm_pattern"] for r in other.labels()] != [r["labels"]["harm_pattern"] for r in first.labels()]
    assert START + timedelta(days=12) >= datetime.fromisoformat(first.labels()[-1]["registered_at"])
