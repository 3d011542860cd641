"""The shipped RG scorecard: a transparent logistic score over the absolute measures of play
(protection.measures) and the RG markers (protection.markers), each term with the finding it
rests on. Used wherever no operator-trained model is in force (`RulesInForce.rg_model`).

Every weight is in log-odds per unit of the (transformed) input. The weights come from the
direction and rough size of published findings, not from a fit on any player data:

- LaBrie, LaPlante, Nelson, Schumann & Shaffer 2007 (sportsbook cohort, Psychology of
  Addictive Behaviors): the median bettor bet on about 23 % of days, about 2.5 bets per
  betting day, about 4 EUR per bet; the most involved bettors stood out by bets and stakes
  per betting day and by the share of days they bet.
- Braverman & Shaffer 2012 (European Journal of Public Health): in the first month, a
  cluster of high frequency, high variability of stakes and an increasing trajectory held
  about 5 % of players, and 73 % of them later closed their accounts for gambling problems.
- Braverman, LaPlante, Nelson & Shaffer 2013 (Psychology of Addictive Behaviors): playing
  more products (cross-game involvement) and intensity marked the high-risk players.
- Gray, LaPlante & Shaffer 2012: players who triggered the operator's RG process played more
  often, more intensely and more products than matched players who did not.
- Dragicevic, Percy, Kudic & Parke 2015: players who reported gambling problems deposited
  more often and lost more than controls.

The markers keep the spirit of the old integer weights (money chased or clawed back 3, play
time 2, context 1, distress 4 points per severity step), at MARKER_POINT log-odds a point,
so an ordinary player with one money marker at severity 1 lands near the old "low", and
distress at severity 3 near the old "high" (rules.DEFAULT_SCORE_LEVELS). On real data the
markers added little beyond how much a player played, so the measures carry most of the
weight.

Each measure counts only above an ordinary player's value (REFERENCE, the term's `center`),
so quieter play never lowers the score and the explanation lists only what is above the
ordinary. The intercept is derived, not chosen: it puts an ordinary player at BASE_RATE, the
share of players with harm the levels are cut around. Change a weight or a center and the
intercept follows; change anything and change VERSION too (decisions record it). docs/rg-markers.md,
"The risk score", has the table.
"""

from __future__ import annotations

import math

from croupier.models.rg.scorecard import RgModel, Term, score

VERSION = "scorecard-2026.12"
BASE_RATE = 0.03            # an ordinary player's score (a few % of players come to harm)
MARKER_POINT = 0.35         # log-odds per old marker point (weight x severity step)

LABRIE = "LaBrie et al. 2007"
BRAVERMAN = "Braverman & Shaffer 2012"
CROSS = "Braverman et al. 2013"
GRAY = "Gray et al. 2012"
DRAGICEVIC = "Dragicevic et al. 2015"
MARKERS_SOURCE = "Croupier marker weights (money chased 3, play time 2, context 1, distress 4 points)"

# An ordinary player: bets on a quarter of days, 2.5 bets of 4 EUR per betting day, stakes that
# vary as a casual bettor's do, no trend, a modest loss, two deposits a month, and two game
# categories (sports and one casino category: the categories count separately).
REFERENCE: dict[str, float] = {
    "stake_per_active_day_30": 10.0, "bets_per_active_day_30": 2.5, "active_days_30": 7.5,
    "active_days_90": 22.5, "stake_cv_30": 0.8, "stake_trend_30": 0.0, "products_30": 2.0,
    "net_loss_30": 10.0, "loss_to_deposit_30": 0.5, "deposit_count_30": 2.0,
}

def _centred(*terms: Term) -> tuple[Term, ...]:
    """Each measure counts only above an ordinary player's value (REFERENCE)."""
    return tuple(Term(t.input, t.weight, t.transform, t.cap, t.source, REFERENCE[t.input]) for t in terms)


_MEASURE_TERMS = _centred(
    # intensity
    Term("stake_per_active_day_30", 0.30, "log1p", None,
         f"{LABRIE}; {GRAY}: stakes per betting day set the most involved and the RG-triggered players apart"),
    Term("bets_per_active_day_30", 0.05, "log1p", None,
         f"{LABRIE}: bets per betting day (median 2.5); weighed lightly: casino rounds are many by nature, and "
         f"stakes per day carry the intensity"),
    # frequency: days counted over the whole window, so a new player's first day is not daily play
    Term("active_days_30", 0.06, "linear", 30.0,
         f"{LABRIE}; {BRAVERMAN}: the share of days with a bet (median about 23 %), the strongest single sign"),
    Term("active_days_90", 0.012, "linear", 90.0,
         f"{LABRIE}: frequency sustained over months, not a burst"),
    # variability and trajectory
    Term("stake_cv_30", 0.35, "linear", 4.0,
         f"{BRAVERMAN}: high variability of stakes in the high-risk cluster"),
    Term("stake_trend_30", 0.6, "log1p", 5.0,
         f"{BRAVERMAN}: an increasing trajectory of stakes (only a rise counts)"),
    # breadth
    Term("products_30", 0.3, "linear", 8.0,
         f"{CROSS}; {GRAY}: playing more products (game categories: a bettor who also plays one casino "
         f"category is ordinary)"),
    # money lost and deposited
    Term("net_loss_30", 0.08, "log1p", None,
         f"{DRAGICEVIC}: larger net losses among players who reported problems"),
    Term("loss_to_deposit_30", 0.4, "linear", 2.0,
         f"{DRAGICEVIC}: losing what is deposited (and winnings on top)"),
    Term("deposit_count_30", 0.2, "log1p", 200.0,
         f"{DRAGICEVIC}: depositing more often"),
)

# Points per severity step, as MarkerConfig.weights had them.
MARKER_POINTS = {"loss_chasing": 3, "deposit_spike": 3, "withdrawal_reversal": 3, "declined_deposits": 3,
                 "limit_increase": 3, "session_escalation": 2, "late_night": 1, "stake_variability": 1,
                 "distress": 4}
DEFAULT_MARKER_POINTS = 2   # a marker no term names (one added later) counts between context and money

_MARKER_TERMS = tuple(Term(f"marker:{name}", round(points * MARKER_POINT, 4), "linear", 3.0,
                           f"{MARKERS_SOURCE}: {points} x {MARKER_POINT} per severity step")
                      for name, points in MARKER_POINTS.items())


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def intercept_for(terms: tuple[Term, ...], reference: dict[str, float], base_rate: float) -> float:
    """The intercept that scores `reference` at `base_rate`."""
    model = RgModel(version="", intercept=0.0, terms=list(terms))
    raw = logit(score(model, reference).probability)
    return round(logit(base_rate) - raw, 4)


DEFAULT_SCORECARD = RgModel(
    version=VERSION,
    intercept=intercept_for(_MEASURE_TERMS + _MARKER_TERMS, REFERENCE, BASE_RATE),
    terms=[*_MEASURE_TERMS, *_MARKER_TERMS],
    kind="scorecard",
    description="Croupier's shipped RG scorecard: intensity, frequency, variability, trajectory, breadth and "
                "money measures plus the RG markers, weighted from published findings (docs/rg-markers.md)",
    default_marker_weight=round(DEFAULT_MARKER_POINTS * MARKER_POINT, 4),
)
