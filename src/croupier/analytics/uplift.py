"""Campaign and journey measurement: per-arm totals, uplift against the control with 95 %
intervals, CUPED variance reduction, the sample-ratio-mismatch check and confidence
sequences that stay valid when results are looked at every day.

Pure functions of per-player rows; the journeys engine and the back office gather the rows
(who was in which arm, what they did in the measurement window and before it) and call
`measure`. docs/measurement.md explains every number to a CRM manager and cites the
methods; the choices follow GrowthBook's statistics engine (gbstats) so that a manager who
knows that tool reads the same figures:

- the fixed-horizon interval is the normal (Welch) interval of a difference of means, the
  relative one by the delta method (Deng, Knoblich & Lu 2018);
- CUPED (Deng, Xu, Kohavi & Walker 2013) adjusts each metric by *the same metric in the
  pre-period* (conversion by "deposited in the pre-period", deposits by pre-period
  deposits, GGR by pre-period GGR), with theta from the covariance pooled over both arms,
  one covariate per metric as GrowthBook does;
- the sample-ratio-mismatch check is Pearson's chi-square goodness of fit of the arm
  counts against the configured weights, flagged at p < 0.001 (GrowthBook's default;
  Fabijan et al. 2019);
- the sequential interval is the asymptotic confidence sequence of Waudby-Smith, Arbour,
  Sinha, Kennedy & Ramdas, "Time-uniform central limit theory and asymptotic confidence
  sequences" (2021/2023, arXiv:2103.06476, eq. 9 with rho from its eq. 161), with
  GrowthBook's tuning parameter (the sample size where it is tightest, 5000 by default).

Statistics run in floats (they are estimates, not balances); every figure handed out is a
Decimal: money in minor units (per player, to 0.01 of a minor unit), shares to 6 places.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from statistics import NormalDist

METRICS: tuple[str, ...] = ("conversion", "deposits", "ggr")
VERDICTS: tuple[str, ...] = ("better", "worse", "not yet significant", "sample ratio mismatch", "too few players")
DEFAULT_ALPHA = 0.05
DEFAULT_TUNING = 5000.0  # GrowthBook's default: the CS is narrowest near this many players
SRM_P_VALUE = 0.001      # GrowthBook's default threshold
MIN_PLAYERS = 30         # per arm, before any verdict but "too few players"

_SHARE = Decimal("0.000001")
_MINOR = Decimal("0.01")


@dataclass(frozen=True)
class Observation:
    """One player of a measured split: the arm (variant name or the control's), whether they
    converted in the window, and money in integer minor units of one currency: deposits and
    GGR in the window, and the same two over the pre-period (the CUPED covariates)."""

    arm: str
    converted: bool
    deposits: int = 0
    ggr: int = 0
    pre_deposits: int = 0
    pre_ggr: int = 0

    def value(self, metric: str) -> float:
        if metric == "conversion":
            return 1.0 if self.converted else 0.0
        if metric == "deposits":
            return float(self.deposits)
        if metric == "ggr":
            return float(self.ggr)
        raise ValueError(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")

    def covariate(self, metric: str) -> float:
        """The same metric over the pre-period (conversion: deposited at all before)."""
        if metric == "conversion":
            return 1.0 if self.pre_deposits > 0 else 0.0
        if metric == "deposits":
            return float(self.pre_deposits)
        if metric == "ggr":
            return float(self.pre_ggr)
        raise ValueError(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")


@dataclass(frozen=True)
class Interval:
    low: Decimal
    high: Decimal

    def covers(self, value: float | Decimal) -> bool:
        return self.low <= Decimal(str(value)) <= self.high


@dataclass(frozen=True)
class ArmResult:
    """What one arm did in the window. Money in minor units; means are per player."""

    arm: str
    players: int
    conversions: int
    conversion_rate: Decimal
    deposits: int
    ggr: int
    deposits_mean: Decimal
    ggr_mean: Decimal


@dataclass(frozen=True)
class Estimate:
    """Treatment minus control for one metric, one way of estimating it (plain or CUPED).

    `absolute_ci` is the fixed-horizon 95 % interval (right only if the result is read once,
    at a sample size fixed in advance); `absolute_cs` the confidence sequence, right however
    often it is read. `relative` is the absolute uplift over the control's mean (None when
    the control's mean is not positive: a share of nothing means nothing)."""

    metric: str
    control_mean: Decimal
    treatment_mean: Decimal
    absolute: Decimal
    absolute_ci: Interval
    absolute_cs: Interval
    relative: Decimal | None
    relative_ci: Interval | None
    relative_cs: Interval | None
    std_error: float
    theta: float


@dataclass(frozen=True)
class MetricEffect:
    metric: str
    plain: Estimate
    cuped: Estimate

    @property
    def variance_reduction(self) -> float:
        """Share of the plain estimate's variance CUPED removed (0 when it removed none)."""
        if self.plain.std_error == 0:
            return 0.0
        return 1.0 - (self.cuped.std_error / self.plain.std_error) ** 2


@dataclass(frozen=True)
class SrmCheck:
    """Pearson's chi-square goodness of fit of the arms' player counts to the split weights."""

    observed: Mapping[str, int]
    expected: Mapping[str, float]
    statistic: float
    p_value: float
    mismatch: bool
    threshold: float = SRM_P_VALUE


@dataclass(frozen=True)
class Comparison:
    treatment: str
    control: str
    effects: tuple[MetricEffect, ...]
    primary: str
    verdict: str
    reason: str

    def effect(self, metric: str) -> MetricEffect:
        for e in self.effects:
            if e.metric == metric:
                return e
        raise KeyError(metric)


@dataclass(frozen=True)
class Report:
    arms: tuple[ArmResult, ...]
    srm: SrmCheck
    comparisons: tuple[Comparison, ...]
    alpha: float
    tuning: float

    def arm(self, name: str) -> ArmResult:
        for a in self.arms:
            if a.arm == name:
                return a
        raise KeyError(name)

    def comparison(self, treatment: str) -> Comparison:
        for c in self.comparisons:
            if c.treatment == treatment:
                return c
        raise KeyError(treatment)


# --- distributions ----------------------------------------------------------------------------
def chi_square_sf(x: float, df: int) -> float:
    """P(X >= x) for X ~ chi-square with `df` (a positive integer) degrees of freedom.

    The regularised upper incomplete gamma Q(df/2, x/2) has closed forms for whole and half
    integer shapes, which are all a goodness-of-fit test over k arms (df = k - 1) needs:
    even df: e^-h * sum_{i<df/2} h^i/i!; odd df: erfc(sqrt h) + e^-h * sum_{i=1}^{(df-1)/2}
    h^(i-1/2)/Gamma(i+1/2), with h = x/2. Terms are summed in log space so a huge statistic
    underflows to 0 rather than overflowing."""
    if df < 1 or int(df) != df:
        raise ValueError(f"degrees of freedom must be a positive integer, got {df}")
    if x <= 0:
        return 1.0
    h = x / 2.0
    log_h = math.log(h)
    if df % 2 == 0:
        total = sum(math.exp(-h + i * log_h - math.lgamma(i + 1)) for i in range(df // 2))
    else:
        total = math.erfc(math.sqrt(h)) + sum(
            math.exp(-h + (i - 0.5) * log_h - math.lgamma(i + 0.5)) for i in range(1, (df - 1) // 2 + 1))
    return min(1.0, max(0.0, total))


def srm_check(counts: Mapping[str, int], weights: Mapping[str, float], *,
              threshold: float = SRM_P_VALUE) -> SrmCheck:
    """Whether the players split as configured. A mismatch means the assignment or the data
    pipeline is broken (Fabijan et al. 2019): any uplift read from such a split is suspect,
    so it blocks the verdict instead of being a footnote to it."""
    if len(weights) < 2:
        raise ValueError(f"a split needs at least two arms, got {sorted(weights)}")
    bad = {arm: w for arm, w in weights.items() if not w > 0}
    if bad:
        raise ValueError(f"split weights must be positive, got {bad}")
    unknown = sorted(set(counts) - set(weights))
    if unknown:
        raise ValueError(f"players in arms without a configured weight: {unknown}")
    total_weight = float(sum(weights.values()))
    n = sum(counts.get(arm, 0) for arm in weights)
    expected = {arm: n * float(w) / total_weight for arm, w in weights.items()}
    observed = {arm: counts.get(arm, 0) for arm in weights}
    if n == 0:
        return SrmCheck(observed, expected, 0.0, 1.0, False, threshold)
    statistic = sum((observed[arm] - e) ** 2 / e for arm, e in expected.items())
    p_value = chi_square_sf(statistic, len(weights) - 1)
    return SrmCheck(observed, expected, statistic, p_value, p_value < threshold, threshold)


def sequential_rho(alpha: float = DEFAULT_ALPHA, tuning: float = DEFAULT_TUNING) -> float:
    """rho that makes the confidence sequence tightest at `tuning` players (Waudby-Smith et
    al., eq. 161; GrowthBook's `sequentialRho`)."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    if not tuning > 0:
        raise ValueError(f"the tuning parameter must be positive, got {tuning}")
    return math.sqrt((-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning)


def sequential_halfwidth(std_error: float, n: int, alpha: float = DEFAULT_ALPHA,
                         tuning: float = DEFAULT_TUNING) -> float:
    """Half the width of the two-sided (1 - alpha) asymptotic confidence sequence for an
    estimate with standard error `std_error` from `n` players in all (Waudby-Smith et al.,
    eq. 9): sigma * sqrt(2 (n rho^2 + 1) / (n rho)^2 * log(sqrt(n rho^2 + 1) / alpha)), with
    sigma^2 = std_error^2 * n the per-player variance, as GrowthBook computes it."""
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    rho = sequential_rho(alpha, tuning)
    r2n = n * rho * rho + 1
    sigma = std_error * math.sqrt(n)
    return sigma * math.sqrt(2 * r2n / (n * rho) ** 2 * math.log(math.sqrt(r2n) / alpha))


# --- estimates ----------------------------------------------------------------------------------
def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if values else 0.0


def _variance(values: Sequence[float], mean: float) -> float:
    n = len(values)
    if n < 2:
        return 0.0
    return math.fsum((v - mean) ** 2 for v in values) / (n - 1)


def cuped_theta(y: Sequence[float], x: Sequence[float]) -> float:
    """cov(y, x) / var(x) over the players given (both arms pooled); 0 when x never varies."""
    if len(y) != len(x):
        raise ValueError("y and x need one value per player each")
    my, mx = _mean(y), _mean(x)
    vx = math.fsum((b - mx) ** 2 for b in x)
    if vx == 0:
        return 0.0
    return math.fsum((a - my) * (b - mx) for a, b in zip(y, x)) / vx


def difference(treatment: Sequence[float], control: Sequence[float], *,
               treatment_pre: Sequence[float] | None = None, control_pre: Sequence[float] | None = None,
               theta: float | None = None, metric: str = "value", alpha: float = DEFAULT_ALPHA,
               tuning: float = DEFAULT_TUNING, places: Decimal = _MINOR) -> Estimate:
    """Treatment minus control for one metric.

    With pre-period values, CUPED: each arm's mean becomes mean(y) - theta (mean(x) -
    mean of x over both arms), theta = cov(y, x) / var(x) over both arms unless given, and
    the variance is that of y - theta x in each arm. Without them (or with theta = 0) the
    plain difference of means. Relative uplift by the delta method over independent arms:
    Var(t/c - 1) ~ var_t/(n_t c^2) + t^2 var_c/(n_c c^4)."""
    if not treatment or not control:
        raise ValueError("both arms need at least one player")
    if (treatment_pre is None) != (control_pre is None):
        raise ValueError("give the pre-period values of both arms or of neither")
    if treatment_pre is not None and control_pre is not None:
        if len(treatment_pre) != len(treatment) or len(control_pre) != len(control):
            raise ValueError("the pre-period needs one value per player of each arm")
        if theta is None:
            theta = cuped_theta([*treatment, *control], [*treatment_pre, *control_pre])
        pooled = _mean([*treatment_pre, *control_pre])
        t_vals = [y - theta * (x - pooled) for y, x in zip(treatment, treatment_pre)]
        c_vals = [y - theta * (x - pooled) for y, x in zip(control, control_pre)]
    else:
        theta = 0.0
        t_vals, c_vals = list(treatment), list(control)
    n_t, n_c = len(t_vals), len(c_vals)
    mean_t, mean_c = _mean(t_vals), _mean(c_vals)
    var_t, var_c = _variance(t_vals, mean_t), _variance(c_vals, mean_c)
    z = NormalDist().inv_cdf(1 - alpha / 2)
    n = n_t + n_c

    delta = mean_t - mean_c
    se = math.sqrt(var_t / n_t + var_c / n_c)
    fixed = z * se
    seq = sequential_halfwidth(se, n, alpha, tuning)

    relative = relative_ci = relative_cs = None
    if mean_c > 0:
        rel = mean_t / mean_c - 1
        se_rel = math.sqrt(var_t / (n_t * mean_c ** 2) + mean_t ** 2 * var_c / (n_c * mean_c ** 4))
        rel_fixed, rel_seq = z * se_rel, sequential_halfwidth(se_rel, n, alpha, tuning)
        relative = _dec(rel, _SHARE)
        relative_ci = Interval(_dec(rel - rel_fixed, _SHARE), _dec(rel + rel_fixed, _SHARE))
        relative_cs = Interval(_dec(rel - rel_seq, _SHARE), _dec(rel + rel_seq, _SHARE))
    return Estimate(
        metric=metric, control_mean=_dec(mean_c, places), treatment_mean=_dec(mean_t, places),
        absolute=_dec(delta, places),
        absolute_ci=Interval(_dec(delta - fixed, places), _dec(delta + fixed, places)),
        absolute_cs=Interval(_dec(delta - seq, places), _dec(delta + seq, places)),
        relative=relative, relative_ci=relative_ci, relative_cs=relative_cs,
        std_error=se, theta=theta,
    )


def _dec(value: float, places: Decimal) -> Decimal:
    return Decimal(repr(value)).quantize(places)


# --- the report ---------------------------------------------------------------------------------
def arm_result(arm: str, rows: Sequence[Observation]) -> ArmResult:
    players = len(rows)
    conversions = sum(1 for r in rows if r.converted)
    deposits = sum(r.deposits for r in rows)
    ggr = sum(r.ggr for r in rows)

    def per_player(total: int, places: Decimal) -> Decimal:
        return (Decimal(total) / players).quantize(places) if players else Decimal(0).quantize(places)

    return ArmResult(arm, players, conversions, per_player(conversions, _SHARE), deposits, ggr,
                     per_player(deposits, _MINOR), per_player(ggr, _MINOR))


def measure(observations: Iterable[Observation], weights: Mapping[str, float], control: str, *,
            alpha: float = DEFAULT_ALPHA, tuning: float = DEFAULT_TUNING, min_players: int = MIN_PLAYERS,
            primary: str = "conversion", srm_threshold: float = SRM_P_VALUE) -> Report:
    """Every arm's figures and each treatment arm against `control`, with a verdict.

    `weights` are the configured split (variant weights, and the holdout's share for the
    control), in any unit. The verdict reads the CUPED confidence sequence of the `primary`
    metric: the interval a manager may look at every day without inflating false wins."""
    if control not in weights:
        raise ValueError(f"the control arm {control!r} has no weight in the split {sorted(weights)}")
    if primary not in METRICS:
        raise ValueError(f"unknown primary metric {primary!r}; known: {', '.join(METRICS)}")
    by_arm: dict[str, list[Observation]] = {arm: [] for arm in weights}
    for row in observations:
        if row.arm not in by_arm:
            raise ValueError(f"player in arm {row.arm!r}, which the split {sorted(weights)} does not have")
        by_arm[row.arm].append(row)
    srm = srm_check({arm: len(rows) for arm, rows in by_arm.items()}, weights, threshold=srm_threshold)
    arms = tuple(arm_result(arm, rows) for arm, rows in by_arm.items())
    comparisons = tuple(
        _compare(arm, by_arm[arm], control, by_arm[control], srm, alpha, tuning, min_players, primary)
        for arm in weights if arm != control)
    return Report(arms, srm, comparisons, alpha, tuning)


def _compare(arm: str, rows: list[Observation], control: str, control_rows: list[Observation], srm: SrmCheck,
             alpha: float, tuning: float, min_players: int, primary: str) -> Comparison:
    effects: list[MetricEffect] = []
    if rows and control_rows:
        for metric in METRICS:
            places = _SHARE if metric == "conversion" else _MINOR
            y_t = [r.value(metric) for r in rows]
            y_c = [r.value(metric) for r in control_rows]
            plain = difference(y_t, y_c, metric=metric, alpha=alpha, tuning=tuning, places=places)
            cuped = difference(y_t, y_c, treatment_pre=[r.covariate(metric) for r in rows],
                               control_pre=[r.covariate(metric) for r in control_rows],
                               metric=metric, alpha=alpha, tuning=tuning, places=places)
            effects.append(MetricEffect(metric, plain, cuped))
    verdict, reason = _verdict(arm, len(rows), control, len(control_rows), srm, effects, min_players, primary)
    return Comparison(arm, control, tuple(effects), primary, verdict, reason)


def _verdict(arm: str, n_t: int, control: str, n_c: int, srm: SrmCheck, effects: list[MetricEffect],
             min_players: int, primary: str) -> tuple[str, str]:
    if srm.mismatch:
        return "sample ratio mismatch", (
            f"the players did not split as configured (chi-square {srm.statistic:.2f}, p = {srm.p_value:.2g}, "
            f"below {srm.threshold}): fix the assignment or the data before reading any uplift")
    needed = max(min_players, 2)  # a variance needs two players
    if n_t < needed or n_c < needed or not effects:
        return "too few players", (
            f"{arm} has {n_t} and {control} {n_c} players; each needs at least {needed}")
    cs = next(e for e in effects if e.metric == primary).cuped.absolute_cs
    if cs.low > 0:
        return "better", f"the 95 % confidence sequence of {primary} uplift lies above zero ({cs.low} to {cs.high})"
    if cs.high < 0:
        return "worse", f"the 95 % confidence sequence of {primary} uplift lies below zero ({cs.low} to {cs.high})"
    return "not yet significant", (
        f"the 95 % confidence sequence of {primary} uplift ({cs.low} to {cs.high}) still includes zero")
