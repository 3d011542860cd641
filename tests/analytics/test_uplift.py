"""The measurement statistics: known answers worked by hand, CUPED, the sample-ratio check,
and confidence sequences that keep their coverage when results are read every day."""

from __future__ import annotations

import math
import random
from decimal import Decimal
from statistics import NormalDist

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from croupier.analytics.uplift import (
    Observation, chi_square_sf, cuped_theta, difference, measure, sequential_halfwidth, sequential_rho, srm_check,
)

Z95 = NormalDist().inv_cdf(0.975)
SHARE = Decimal("0.000001")


# --- known answers --------------------------------------------------------------------------------
def test_difference_of_means_by_hand() -> None:
    # treatment 1,0,1,1: mean 3/4, sample variance (3 * 1/16 + 9/16) / 3 = 1/4; control 0,0,1,0 likewise 1/4.
    # SE = sqrt(1/4/4 + 1/4/4) = sqrt(1/8); relative: t/c - 1 = 2, Var = 1/4/(4 * 1/16) + (9/16)(1/4)/(4/256) = 10.
    e = difference([1, 0, 1, 1], [0, 0, 1, 0], places=SHARE)
    assert e.treatment_mean == Decimal("0.75") and e.control_mean == Decimal("0.25")
    assert e.absolute == Decimal("0.5")
    assert e.std_error == pytest.approx(math.sqrt(1 / 8))
    half = Z95 * math.sqrt(1 / 8)  # 0.692952...
    assert e.absolute_ci.low == Decimal("-0.192952") and e.absolute_ci.high == Decimal("1.192952")
    assert float(e.absolute_ci.high) == pytest.approx(0.5 + half, abs=1e-6)
    assert e.relative == Decimal("2")
    assert float(e.relative_ci.high) == pytest.approx(2 + Z95 * math.sqrt(10), abs=1e-6)
    assert e.theta == 0.0


def test_sequential_halfwidth_by_hand() -> None:
    # alpha 0.05, tuning 5000: rho^2 = (-2 ln .05 + ln(1 - 2 ln .05)) / 5000 = 7.936156 / 5000;
    # n = 1000, SE 0.01: sigma = 0.01 sqrt(1000); n rho^2 + 1 = 2.587231;
    # sqrt(2 * 2.587231 / (1000^2 rho^2) * ln(sqrt(2.587231) / .05)) = 0.106375 -> 0.033639.
    assert sequential_rho() ** 2 == pytest.approx(7.936156 / 5000, rel=1e-6)
    assert sequential_halfwidth(0.01, 1000) == pytest.approx(0.033639, abs=2e-6)


@pytest.mark.parametrize(("x", "df", "p"), [
    (3.841459, 1, 0.05), (5.991465, 2, 0.05), (7.814728, 3, 0.05), (9.487729, 4, 0.05), (11.070498, 5, 0.05),
    (12.591587, 6, 0.05), (16.918978, 9, 0.05), (10.827566, 1, 0.001), (13.815511, 2, 0.001),
    (16.266236, 3, 0.001), (2.705543, 1, 0.10), (1.0, 1, 0.317311),
])
def test_chi_square_tail_matches_the_tables(x: float, df: int, p: float) -> None:
    assert chi_square_sf(x, df) == pytest.approx(p, rel=1e-5)


def test_chi_square_edges() -> None:
    assert chi_square_sf(0.0, 3) == 1.0
    assert chi_square_sf(4.0, 2) == pytest.approx(math.exp(-2.0))
    assert chi_square_sf(1e7, 5) == 0.0  # underflows, never overflows
    with pytest.raises(ValueError):
        chi_square_sf(1.0, 0)


# --- sample ratio mismatch ------------------------------------------------------------------------
def test_srm_passes_a_split_as_configured_and_flags_one_that_is_not() -> None:
    exact = srm_check({"journey": 800, "control": 200}, {"journey": 80, "control": 20})
    assert exact.statistic == 0 and exact.p_value == 1.0 and not exact.mismatch
    # 850/150 against 80/20: (50^2/800 + 50^2/200) = 15.625, p = 7.7e-5 < 0.001
    off = srm_check({"journey": 850, "control": 150}, {"journey": 80, "control": 20})
    assert off.statistic == pytest.approx(15.625) and off.p_value == pytest.approx(7.7227e-5, rel=1e-3)
    assert off.mismatch
    # 820/180: chi-square 2.5, p = 0.11: chance, not a mismatch
    assert not srm_check({"journey": 820, "control": 180}, {"journey": 80, "control": 20}).mismatch


def test_srm_counts_an_empty_arm_and_refuses_unknown_ones() -> None:
    assert srm_check({"a": 300, "b": 300}, {"a": 1, "b": 1, "c": 1}).mismatch
    with pytest.raises(ValueError, match="without a configured weight"):
        srm_check({"a": 1, "z": 1}, {"a": 1, "b": 1})
    with pytest.raises(ValueError, match="positive"):
        srm_check({"a": 1}, {"a": 1, "b": 0})


def test_srm_false_alarms_are_rare_on_fair_splits() -> None:
    rng = random.Random(11)
    alarms = 0
    for _ in range(400):
        n = rng.randint(200, 2000)
        treated = sum(1 for _ in range(n) if rng.random() < 0.8)
        alarms += srm_check({"t": treated, "c": n - treated}, {"t": 80, "c": 20}).mismatch
    assert alarms <= 3  # expected 0.4 at p < 0.001


# --- CUPED ----------------------------------------------------------------------------------------
def _correlated(rng: random.Random, n: int, effect: float) -> tuple[list[float], list[float], list[float], list[float]]:
    yt, xt, yc, xc = [], [], [], []
    for i in range(n):
        x = rng.gauss(100, 30)
        y = 0.9 * x + rng.gauss(0, 10)
        if i % 2:
            yt.append(y + effect)
            xt.append(x)
        else:
            yc.append(y)
            xc.append(x)
    return yt, xt, yc, xc


def test_cuped_reduces_variance_when_the_covariate_correlates() -> None:
    yt, xt, yc, xc = _correlated(random.Random(3), 2000, 5.0)
    plain = difference(yt, yc)
    cuped = difference(yt, yc, treatment_pre=xt, control_pre=xc)
    assert cuped.theta == pytest.approx(0.9, abs=0.05)
    # corr(y, x) = 27 / sqrt(27^2 + 10^2) ~ 0.94: the variance falls by about corr^2 ~ 0.88
    assert (cuped.std_error / plain.std_error) ** 2 < 0.2
    assert cuped.absolute_ci.covers(5.0)
    assert cuped.absolute_ci.high - cuped.absolute_ci.low < plain.absolute_ci.high - plain.absolute_ci.low


def test_cuped_with_theta_zero_is_the_plain_estimate() -> None:
    yt, xt, yc, xc = _correlated(random.Random(4), 300, 2.0)
    plain = difference(yt, yc)
    assert difference(yt, yc, treatment_pre=xt, control_pre=xc, theta=0.0) == plain
    flat = difference(yt, yc, treatment_pre=[7.0] * len(yt), control_pre=[7.0] * len(yc))
    assert flat.theta == 0.0 and flat == plain


def test_cuped_theta_is_the_regression_slope() -> None:
    assert cuped_theta([2.0, 4.0, 6.0], [1.0, 2.0, 3.0]) == pytest.approx(2.0)
    assert cuped_theta([1.0, 5.0], [3.0, 3.0]) == 0.0


def test_cuped_stays_unbiased_across_seeds() -> None:
    # the average adjusted estimate over many randomised splits is the true effect
    estimates = []
    for seed in range(60):
        yt, xt, yc, xc = _correlated(random.Random(100 + seed), 400, 3.0)
        estimates.append(float(difference(yt, yc, treatment_pre=xt, control_pre=xc).absolute))
    assert sum(estimates) / len(estimates) == pytest.approx(3.0, abs=0.3)


# --- sequential intervals -------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(n=st.integers(min_value=2, max_value=10_000_000), se=st.floats(min_value=1e-6, max_value=1e6),
       tuning=st.sampled_from([100.0, 1000.0, 5000.0, 50_000.0]))
def test_confidence_sequence_is_wider_than_the_fixed_interval(n: int, se: float, tuning: float) -> None:
    assert sequential_halfwidth(se, n, 0.05, tuning) > Z95 * se


def test_confidence_sequence_keeps_coverage_under_daily_peeking() -> None:
    """Runs of a Bernoulli A/B test read after every 'day' of 40 players, 50 days: the true
    effect must stay inside the confidence sequence at every read in at least ~95 % of runs,
    while the fixed-horizon interval, read the same way, misses far more often."""
    rng = random.Random(2026)
    p_c, p_t = 0.30, 0.36
    runs, days, per_day = 300, 50, 40
    cs_miss = fixed_miss = 0
    for _ in range(runs):
        s = [0, 0]  # conversions: control, treatment
        n = [0, 0]
        cs_out = fixed_out = False
        for _ in range(days):
            for _ in range(per_day):
                arm = 1 if rng.random() < 0.5 else 0
                n[arm] += 1
                s[arm] += rng.random() < (p_t if arm else p_c)
            if min(n) < 2:
                continue
            m = [s[i] / n[i] for i in (0, 1)]
            v = [m[i] * (1 - m[i]) * n[i] / (n[i] - 1) for i in (0, 1)]
            se = math.sqrt(v[0] / n[0] + v[1] / n[1])
            error = abs(m[1] - m[0] - (p_t - p_c))
            cs_out |= error > sequential_halfwidth(se, n[0] + n[1])
            fixed_out |= error > Z95 * se
        cs_miss += cs_out
        fixed_miss += fixed_out
    assert cs_miss / runs <= 0.07
    assert fixed_miss > 2 * cs_miss
    assert fixed_miss / runs > 0.15


# --- the report and its verdicts ------------------------------------------------------------------
def _rows(arm: str, n: int, rate: float, rng: random.Random) -> list[Observation]:
    rows = []
    for _ in range(n):
        converted = rng.random() < rate
        pre = rng.choice((0, 0, 1000, 2500))
        rows.append(Observation(arm, converted, deposits=2000 if converted else 0, ggr=700 if converted else -50,
                                pre_deposits=pre, pre_ggr=pre // 3))
    return rows


def test_report_gives_each_arm_its_totals_in_minor_units() -> None:
    rows = [Observation("journey", True, 1500, 400, 0, 0), Observation("journey", False, 0, -25, 100, 10),
            Observation("journey", True, 1, 0, 0, 0), Observation("control", False, 0, 0, 0, 0)]
    report = measure(rows, {"journey": 90, "control": 10}, "control", min_players=1)
    arm = report.arm("journey")
    assert (arm.players, arm.conversions, arm.deposits, arm.ggr) == (3, 2, 1501, 375)
    assert arm.conversion_rate == Decimal("0.666667")
    assert arm.deposits_mean == Decimal("500.33") and arm.ggr_mean == Decimal("125.00")
    assert isinstance(arm.deposits_mean, Decimal)
    assert report.arm("control").conversion_rate == Decimal("0")


def test_verdict_better_worse_and_not_yet() -> None:
    rng = random.Random(5)
    weights = {"A": 40, "B": 40, "control": 20}
    rows = (_rows("A", 4000, 0.45, rng) + _rows("B", 4000, 0.20, rng) + _rows("control", 2000, 0.30, rng))
    report = measure(rows, weights, "control")
    assert not report.srm.mismatch
    assert report.comparison("A").verdict == "better"
    assert report.comparison("B").verdict == "worse"
    same = measure(_rows("A", 600, 0.3, rng) + _rows("control", 600, 0.3, rng), {"A": 1, "control": 1}, "control")
    assert same.comparison("A").verdict == "not yet significant"
    assert "includes zero" in same.comparison("A").reason


def test_sample_ratio_mismatch_blocks_the_verdict() -> None:
    rng = random.Random(6)
    rows = _rows("journey", 3000, 0.6, rng) + _rows("control", 1000, 0.2, rng)  # 75/25, configured 90/10
    comparison = measure(rows, {"journey": 90, "control": 10}, "control").comparison("journey")
    assert comparison.verdict == "sample ratio mismatch"
    assert comparison.effect("conversion").cuped.absolute > 0  # the numbers are there, the verdict is not


def test_too_few_players_gives_no_verdict() -> None:
    rng = random.Random(7)
    rows = _rows("journey", 20, 0.9, rng) + _rows("control", 20, 0.0, rng)
    assert measure(rows, {"journey": 1, "control": 1}, "control").comparison("journey").verdict == "too few players"
    empty = measure([Observation("journey", True)], {"journey": 1, "control": 1}, "control", min_players=0)
    assert empty.comparison("journey").verdict == "too few players" and empty.comparison("journey").effects == ()


def test_cuped_in_the_report_uses_the_pre_period() -> None:
    rng = random.Random(8)
    rows = []
    for i in range(4000):
        arm = "journey" if i % 5 else "control"
        pre = rng.randint(0, 20_000)
        deposits = pre + rng.randint(0, 2000) + (500 if arm == "journey" else 0)
        rows.append(Observation(arm, deposits > 10_000, deposits, deposits // 4, pre, pre // 4))
    effect = measure(rows, {"journey": 80, "control": 20}, "control").comparison("journey").effect("deposits")
    assert effect.variance_reduction > 0.9
    assert effect.cuped.absolute_ci.covers(500)
    cuped, plain = effect.cuped.absolute_ci, effect.plain.absolute_ci
    assert cuped.high - cuped.low < (plain.high - plain.low) / 3


def test_measure_refuses_what_it_cannot_read() -> None:
    with pytest.raises(ValueError, match="does not have"):
        measure([Observation("x", True)], {"a": 1, "control": 1}, "control")
    with pytest.raises(ValueError, match="control arm"):
        measure([], {"a": 1, "b": 1}, "control")
    with pytest.raises(ValueError, match="primary"):
        measure([], {"a": 1, "control": 1}, "control", primary="ngr")


def test_relative_uplift_is_absent_when_the_control_mean_is_not_positive() -> None:
    e = difference([10.0, 20.0, 30.0], [-5.0, 0.0, -10.0])
    assert e.relative is None and e.relative_ci is None and e.relative_cs is None
