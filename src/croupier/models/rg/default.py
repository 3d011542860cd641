"""The shipped RG scorecard: a transparent logistic score over the absolute measures of play
(protection.measures) and the RG markers (protection.markers), each term with the finding it
rests on. Used wherever no operator-trained model is in force (`RulesInForce.rg_model`).

How it is built, in three steps (docs/rg-markers.md, "The risk score", has the table):

1. **Direction and relative size from published findings,** not from a fit on any player
   data (raw weights, log-odds per unit of the transformed input):

   - LaBrie, LaPlante, Nelson, Schumann & Shaffer 2007 (sportsbook cohort, Psychology of
     Addictive Behaviors): the median bettor bet on about 23 % of days, about 2.5 bets per
     betting day, about 4 EUR per bet; the most involved bettors stood out by bets and stakes
     per betting day and by the share of days they bet.
   - Braverman & Shaffer 2012 (European Journal of Public Health): in the first month, a
     cluster of high frequency, high variability of stakes and an increasing trajectory held
     about 5 % of players, and 73 % of them later closed their accounts for gambling problems.
   - Braverman, LaPlante, Nelson & Shaffer 2013 (Psychology of Addictive Behaviors): playing
     more products (cross-game involvement) and intensity marked the high-risk players.
   - Gray, LaPlante & Shaffer 2012: players who triggered the operator's RG process played
     more often, more intensely and more products than matched players who did not.
   - Dragicevic, Percy, Kudic & Parke 2015: players who reported gambling problems deposited
     more often and lost more than controls.
   - Haefeli, Lischer & Schwarz 2011 (International Gambling Studies): what players wrote to
     the operator (distress, urgency, complaints about losses) foreshadowed self-exclusion.

   Each measure counts only above an ordinary player's value (REFERENCE, the term's
   `center`), so quieter play never lowers the score and the explanation lists only what is
   above the ordinary.

2. **Volume is bounded.** How much a player plays (stakes and bets per betting day, betting
   days, net loss, and the markers that grade them) ranks players, and on real data it is
   most of what sets harmed players apart; but healthy high rollers play as much. So the
   volume group adds at most VOLUME_CAP (softly: cap x tanh(sum / cap), still rising), and
   reaching "medium" needs signs beyond volume too: chasing, losing what is deposited,
   declined deposits, rising or erratic stakes, breadth, late nights, distress.

3. **Calibrated,** so the score reads as a probability of harm: one scale and one shift of
   the log-odds (Platt scaling, CALIBRATION) fitted on a simulated history (`croupier bench
   detectors --seed 11 --raw-scorecard` prints it) and checked on another (seed 7,
   BENCHMARKS.md). It changes no ranking. The levels (rules.DEFAULT_SCORE_LEVELS) were then cut
   on seed 11 so that at most about 3 % of players without harm ever reach "medium"; the
   probabilities are the simulator's, so an operator who wants its own population's
   probabilities trains its own model (`croupier models train rg`).

Change a weight, a center, the cap or the calibration and change VERSION too (decisions
record it).
"""

from __future__ import annotations

import math

import msgspec

from croupier.models.rg.scorecard import RgModel, Term, score

VERSION = "scorecard-2026.12.2"
BASE_RATE = 0.03            # the raw scorecard puts an ordinary player here (before calibration)
MARKER_POINT = 0.35         # raw log-odds per old marker point (weight x severity step)
VOLUME = "volume"
VOLUME_CAP = 2.0            # raw log-odds sheer volume of play adds at most
# Platt scaling of the raw log-odds, p = sigmoid(A + B x raw), fitted at each player's
# evaluation time on the simulator's seed 11 (3,000 players x 60 days).
CALIBRATION = (-4.54, 1.0)

LABRIE = "LaBrie et al. 2007"
BRAVERMAN = "Braverman & Shaffer 2012"
CROSS = "Braverman et al. 2013"
GRAY = "Gray et al. 2012"
DRAGICEVIC = "Dragicevic et al. 2015"
HAEFELI = "Haefeli, Lischer & Schwarz 2011"
# What each kind of marker compares play with (protection.markers, .intensity, .chasing).
MARKER_KINDS = {"relative": "RG marker against the player's own recent past",
                "absolute": "absolute RG marker, against thresholds and the population",
                "play": "RG marker within play, bet to bet",
                "words": "RG marker on what the player writes to support (the sentiment model)"}

# An ordinary player: bets on a quarter of days, 2.5 bets of 4 EUR per betting day, stakes that
# vary as a casual bettor's do, no trend, a modest loss, two deposits a month, two game
# categories (sports and one casino category: the categories count separately), and hardly
# ever late at night.
REFERENCE: dict[str, float] = {
    "stake_per_active_day_30": 10.0, "bets_per_active_day_30": 2.5, "active_days_30": 7.5,
    "active_days_90": 22.5, "stake_cv_30": 0.8, "stake_trend_30": 0.0, "products_30": 2.0,
    "net_loss_30": 10.0, "loss_to_deposit_30": 0.5, "deposit_count_30": 2.0, "late_share_30": 0.05,
}


def _centred(*terms: Term) -> tuple[Term, ...]:
    """Each measure counts only above an ordinary player's value (REFERENCE)."""
    return tuple(msgspec.structs.replace(t, center=REFERENCE[t.input]) for t in terms)


_MEASURE_TERMS = _centred(
    # volume: intensity, frequency and what it costs (bounded together: VOLUME_CAP)
    Term("stake_per_active_day_30", 0.30, "log1p", None,
         f"{LABRIE}; {GRAY}: stakes per betting day set the most involved and the RG-triggered players apart",
         group=VOLUME),
    Term("bets_per_active_day_30", 0.05, "log1p", None,
         f"{LABRIE}: bets per betting day (median 2.5); weighed lightly: casino rounds are many by nature, and "
         f"stakes per day carry the intensity", group=VOLUME),
    # frequency: days counted over the whole window, so a new player's first day is not daily play
    Term("active_days_30", 0.06, "linear", 30.0,
         f"{LABRIE}; {BRAVERMAN}: the share of days with a bet (median about 23 %)", group=VOLUME),
    Term("active_days_90", 0.012, "linear", 90.0,
         f"{LABRIE}: frequency sustained over months, not a burst", group=VOLUME),
    Term("net_loss_30", 0.08, "log1p", None,
         f"{DRAGICEVIC}: larger net losses among players who reported problems", group=VOLUME),
    # variability, trajectory and breadth
    Term("stake_cv_30", 0.3, "linear", 4.0,
         f"{BRAVERMAN}: high variability of stakes in the high-risk cluster"),
    Term("stake_trend_30", 0.6, "log1p", 5.0,
         f"{BRAVERMAN}: an increasing trajectory of stakes (only a rise counts)"),
    Term("products_30", 0.4, "linear", 8.0,
         f"{CROSS}; {GRAY}: playing more products (game categories: a bettor who also plays one casino "
         f"category is ordinary)"),
    # money: losing what is deposited, depositing often
    Term("loss_to_deposit_30", 0.5, "linear", 2.0,
         f"{DRAGICEVIC}: losing what is deposited (and winnings on top) rather than cashing out"),
    Term("deposit_count_30", 0.2, "log1p", 200.0,
         f"{DRAGICEVIC}: depositing more often"),
    # time of play
    Term("late_share_30", 1.0, "linear", 1.0,
         "play late at night, when sleep and work suffer: the late_night marker's measure, in absolute terms"),
)

# Raw log-odds per severity step (1 to 3), and the group a marker belongs to. The old marker
# points (money chased or clawed back 3, play time 2, context 1, distress 4) at MARKER_POINT
# each, the money markers a little above, the absolute markers of volume at half (they grade
# what the volume measures already count), and distress far above: the player's own words.
_MARKERS: dict[str, tuple[float, str, str, str]] = {
    "loss_chasing": (0.7, "", "relative", "deposits soon after losses, growing from one chase to the next"),
    "deposit_spike": (0.7, "", "relative", "deposits far above the player's usual"),
    "withdrawal_reversal": (0.7, "", "relative", "withdrawals cancelled or reversed to play on"),
    "declined_deposits": (0.75, "", "relative", "repeated declined deposits: trying to deposit more than the means allow"),
    "limit_increase": (0.85, "", "relative", "raising or removing a limit the player set"),
    "session_escalation": (0.6, "", "relative", "sessions growing far beyond the player's usual"),
    "late_night": (0.6, "", "relative", "a shift of play into the night"),
    "stake_variability": (0.5, "", "relative", "stakes far more erratic than the player's usual"),
    "distress": (2.5, "", "words", f"{HAEFELI}: what players wrote to the operator set those who later self-excluded apart; "
                          f"distress in the player's own words is the most direct sign there is, so at severity 3 "
                          f"it reaches medium on its own"),
    "stake_chasing": (0.7, "", "play", "doubling the stake right after losing bets"),
    "stake_trajectory": (0.6, "", "absolute", f"{BRAVERMAN}: stakes rising over the first weeks or a later month"),
    "product_breadth": (0.5, "", "absolute", f"{CROSS}: many products at once"),
    "intensity": (MARKER_POINT, VOLUME, "absolute", f"{LABRIE}: stakes and bets per betting day graded against thresholds"),
    "frequency": (MARKER_POINT, VOLUME, "absolute", f"{LABRIE}: share of days with a bet graded against thresholds"),
    "net_loss": (MARKER_POINT, VOLUME, "absolute", f"{DRAGICEVIC}: net loss graded against thresholds"),
}
DEFAULT_MARKER_POINTS = 2   # a marker no term names (one added later) counts between context and money

_MARKER_TERMS = tuple(Term(f"marker:{name}", weight, "linear", 3.0, f"{MARKER_KINDS[kind]}: {why}", group=group)
                      for name, (weight, group, kind, why) in _MARKERS.items())


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def intercept_for(terms: tuple[Term, ...], reference: dict[str, float], base_rate: float) -> float:
    """The intercept that scores `reference` at `base_rate`."""
    model = RgModel(version="", intercept=0.0, terms=list(terms))
    raw = logit(score(model, reference).probability)
    return round(logit(base_rate) - raw, 4)


def calibrated(model: RgModel, a: float, b: float) -> RgModel:
    """`model` with p = sigmoid(a + b x its log-odds) folded in: every weight, cap of a
    group and the default marker weight times b, the intercept a + b x intercept."""
    return msgspec.structs.replace(
        model, intercept=round(a + b * model.intercept, 4),
        terms=[msgspec.structs.replace(t, weight=round(b * t.weight, 4)) for t in model.terms],
        group_caps={g: round(b * c, 4) for g, c in model.group_caps.items()},
        default_marker_weight=(None if model.default_marker_weight is None
                               else round(b * model.default_marker_weight, 4)))


RAW_TERMS = (*_MEASURE_TERMS, *_MARKER_TERMS)
RAW_SCORECARD = RgModel(
    version=f"{VERSION}-raw",
    intercept=intercept_for(RAW_TERMS, REFERENCE, BASE_RATE),
    terms=list(RAW_TERMS),
    kind="scorecard",
    description="the shipped scorecard before calibration",
    default_marker_weight=round(DEFAULT_MARKER_POINTS * MARKER_POINT, 4),
    group_caps={VOLUME: VOLUME_CAP},
)

DEFAULT_SCORECARD = msgspec.structs.replace(
    calibrated(RAW_SCORECARD, *CALIBRATION),
    version=VERSION,
    description="Croupier's shipped RG scorecard: intensity, frequency and money lost (bounded together), "
                "variability, trajectory, breadth, deposits, late play and the RG markers, weighted from "
                "published findings and calibrated on a simulated history (docs/rg-markers.md)",
)


def scorecard_markdown() -> str:
    """The shipped scorecard's terms as the markdown table docs/rg-markers.md shows
    (scripts/generate_docs.py writes it there; a test holds the two equal)."""
    def num(v: float | None) -> str:
        return "" if v is None else f"{v:g}"

    shipped = {t.input: t.weight for t in DEFAULT_SCORECARD.terms}
    rows = ["| input | group | weight (raw) | weight (calibrated) | transform | center | cap | source |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for t in RAW_SCORECARD.terms:
        rows.append(f"| `{t.input}` | {t.group or '-'} | {num(t.weight)} | {num(shipped[t.input])} | {t.transform} | "
                    f"{num(t.center)} | {num(t.cap)} | {t.source} |")
    rows.append(f"| any other `marker:<name>` | - | {num(RAW_SCORECARD.default_marker_weight)} | "
                f"{num(DEFAULT_SCORECARD.default_marker_weight)} | linear |  |  | `default_marker_weight`: a marker "
                f"added later counts at once, until a term names it |")
    a, b = CALIBRATION
    rows += ["", f"Intercept: raw {RAW_SCORECARD.intercept:g} (an ordinary player at {BASE_RATE:g}), calibrated "
                 f"{DEFAULT_SCORECARD.intercept:g} = {a:g} + {b:g} × raw. The {VOLUME} group adds at most "
                 f"{VOLUME_CAP:g} raw ({DEFAULT_SCORECARD.group_caps[VOLUME]:g} calibrated) log-odds: "
                 f"cap × tanh(sum / cap)."]
    return "\n".join(rows) + "\n"
