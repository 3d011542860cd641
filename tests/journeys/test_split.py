"""Split and holdout assignment: deterministic per player and journey, independent between
journeys and between the two, and close to the weights over 10,000 synthetic players."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from croupier.journeys import Variant, assign, bucket, in_holdout
from croupier.journeys.split import BUCKETS

PLAYERS = [f"player-{i}" for i in range(10_000)]
ABC = (Variant(name="a", weight=50, next="x"), Variant(name="b", weight=30, next="y"),
       Variant(name="c", weight=20, next="z"))


def _bound(n: int, share: float) -> float:
    """Five standard deviations of a binomial count: a correct assignment fails this about
    once in 1.7 million runs per check; a biased one (off by 2 points) fails every time."""
    return 5 * math.sqrt(n * share * (1 - share))


def test_the_same_player_gets_the_same_variant_every_time() -> None:
    first = [assign("welcome", "test", p, ABC).name for p in PLAYERS[:500]]
    again = [assign("welcome", "test", p, ABC).name for p in PLAYERS[:500]]
    assert first == again
    # Fixed values: a change to the hash would move players between variants of running tests
    # and in or out of holdouts, so it must be deliberate.
    assert bucket("split", "welcome", "test", "player-0") == 4095
    assert [assign("welcome", "test", f"player-{i}", ABC).name for i in range(8)] == \
        ["a", "b", "b", "b", "b", "a", "c", "c"]
    assert [in_holdout("welcome", f"player-{i}", 50) for i in range(4)] == [True, False, True, False]


def test_the_assignment_follows_the_weights() -> None:
    counts = Counter(assign("welcome", "test", p, ABC).name for p in PLAYERS)
    for v in ABC:
        share = v.weight / 100
        assert abs(counts[v.name] - share * len(PLAYERS)) < _bound(len(PLAYERS), share), counts


@pytest.mark.parametrize("weights", [(1, 99), (10, 10, 80), (25, 25, 25, 25), (34, 33, 33)])
def test_uneven_and_many_way_splits(weights: tuple[int, ...]) -> None:
    variants = tuple(Variant(name=f"v{i}", weight=w, next="x") for i, w in enumerate(weights))
    counts = Counter(assign("reactivation", "s1", p, variants).name for p in PLAYERS)
    for v in variants:
        share = v.weight / 100
        assert abs(counts[v.name] - share * len(PLAYERS)) < _bound(len(PLAYERS), share), counts


def test_journeys_and_splits_assign_independently() -> None:
    one = [assign("welcome", "test", p, ABC).name == "a" for p in PLAYERS]
    other = [assign("second_deposit", "test", p, ABC).name == "a" for p in PLAYERS]
    same_journey_other_split = [assign("welcome", "test2", p, ABC).name == "a" for p in PLAYERS]
    for b in (other, same_journey_other_split):
        both = sum(x and y for x, y in zip(one, b))
        # Independent halves overlap on about a quarter of the players.
        assert abs(both - 0.25 * len(PLAYERS)) < _bound(len(PLAYERS), 0.25)


def test_the_holdout_takes_its_percent_and_is_stable() -> None:
    for percent in (5, 10, 20, 50):
        held = [p for p in PLAYERS if in_holdout("welcome", p, percent)]
        share = percent / 100
        assert abs(len(held) - share * len(PLAYERS)) < _bound(len(PLAYERS), share)
        assert held == [p for p in PLAYERS if in_holdout("welcome", p, percent)]
    # A larger holdout contains the smaller one: raising the percent only adds players.
    ten = {p for p in PLAYERS if in_holdout("welcome", p, 10)}
    assert ten <= {p for p in PLAYERS if in_holdout("welcome", p, 20)}
    assert not any(in_holdout("welcome", p, 0) for p in PLAYERS)


def test_the_holdout_is_independent_of_the_splits() -> None:
    held = [p for p in PLAYERS if in_holdout("welcome", p, 20)]
    counts = Counter(assign("welcome", "test", p, ABC).name for p in held)
    assert abs(counts["a"] - 0.5 * len(held)) < _bound(len(held), 0.5)


def test_buckets_are_in_range_and_parts_are_separated() -> None:
    assert all(0 <= bucket("split", "k", "s", p) < BUCKETS for p in PLAYERS[:1000])
    assert bucket("ab", "c") != bucket("a", "bc")


def test_weights_are_read_in_order() -> None:
    all_first = (Variant(name="a", weight=100, next="x"), Variant(name="b", weight=0, next="y"))
    assert {assign("k", "s", p, all_first).name for p in PLAYERS[:2000]} == {"a"}
    with pytest.raises(ValueError):
        assign("k", "s", "p", ())
