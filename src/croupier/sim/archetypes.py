"""Player archetypes: the behaviours detectors are measured against.

Each archetype is a parameter set; the few that need their own logic (bonus hunters,
money mules, problem-gambling trajectories, churners, rings) are recognised by name in
`behaviour.py`.

An archetype gives the *distribution* a player's own habits are drawn from, not one value
for everybody: each player draws their own visit rate (lognormal around `visits_per_day`
with spread `spread`), usual stake (lognormal with `stake_eur` as its 10th and 90th
percentiles), bets per sports visit and session length. Populations therefore overlap, as
real ones do: the busiest casual bettors play more than the quietest problem gamblers.
The medians follow the published cohort studies of an online operator's subscribers
(docs/simulator.md#calibration): LaBrie et al. 2007 (sports: the median bettor active on
about 23 % of days, 2.5 bets per betting day, about 4 EUR a bet, heavy right tails) and
LaBrie, Kaplan, LaPlante, Nelson & Shaffer 2008 (casino: the median player once every two
weeks; the top 5 % every fifth day, 188 bets of 25 EUR per playing day).
"""

from __future__ import annotations

from dataclasses import dataclass

Hours = tuple[float, ...]  # relative chance of a visit starting in each local hour 0..23

EVENING: Hours = (1.2, 0.7, 0.4, 0.25, 0.2, 0.2, 0.4, 0.8, 1.2, 1.5, 1.8, 2.2,
                  2.6, 2.6, 2.5, 2.6, 3.0, 3.6, 4.6, 5.6, 6.2, 5.8, 4.2, 2.4)
MATCHDAY: Hours = (0.8, 0.4, 0.2, 0.1, 0.1, 0.2, 0.5, 1.0, 1.4, 1.6, 1.8, 2.2,
                   2.8, 3.2, 3.4, 3.6, 3.8, 4.2, 5.0, 5.4, 5.0, 4.2, 3.0, 1.6)
NIGHT_OWL: Hours = (5.0, 5.0, 4.5, 3.5, 2.2, 1.0, 0.5, 0.4, 0.5, 0.6, 0.8, 1.0,
                    1.2, 1.2, 1.2, 1.3, 1.5, 2.0, 2.6, 3.2, 3.8, 4.4, 5.0, 5.2)
OFFICE: Hours = (0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 3.0, 4.0, 4.0, 4.0,
                 4.0, 4.0, 4.0, 4.0, 3.5, 3.0, 2.0, 1.5, 1.2, 1.0, 0.7, 0.4)


@dataclass(frozen=True)
class Archetype:
    name: str
    visits_per_day: float  # median over players of their own visit rate (visits a day)
    session_minutes: float  # median planned session length
    categories: tuple[tuple[str, float], ...]  # casino game categories and their weights
    sports_share: float  # chance that a visit is to the sportsbook
    stake_eur: tuple[float, float]  # 10th and 90th percentile of players' usual stake, euro-equivalent
    deposit_eur: tuple[float, float]  # usual deposit range, euro-equivalent
    redeposit: float  # chance of topping up when the balance runs out mid-session
    lifetime_days: float | None  # median days before the player stops for good; None: open-ended
    converts: float  # chance a registrant ever deposits
    bonus_uptake: float  # chance of taking a deposit bonus when offered
    cash_out: float  # chance of withdrawing when well up
    hours: Hours = EVENING
    weekend_boost: float = 1.2
    spread: float = 0.8  # lognormal sigma of the players' own visit rates around the median
    sports_bets: float = 2.2  # median over players of their mean bets per sportsbook visit


ARCHETYPES: dict[str, Archetype] = {a.name: a for a in (
    Archetype("casual_slots", 0.12, 8, (("slots", 8), ("other", 1), ("bingo", 1), ("crash", 0.5)), 0.03,
              (0.3, 3.0), (10, 50), 0.3, 20, 0.72, 0.35, 0.45),
    Archetype("live_casino", 0.15, 18, (("live_casino", 7), ("table", 2), ("slots", 1), ("poker", 0.5)), 0.05,
              (1.0, 20.0), (20, 200), 0.4, 40, 0.85, 0.2, 0.55),
    # LaBrie et al. 2007: median 23 % of days, 2.5 bets per betting day, ~4 EUR a bet.
    Archetype("sports_bettor", 0.24, 8, (("slots", 3), ("live_casino", 1), ("crash", 0.5)), 0.85,
              (1.0, 20.0), (10, 100), 0.3, 120, 0.8, 0.3, 0.5, MATCHDAY, 1.8, 0.8, 3.1),
    Archetype("high_roller", 0.5, 30, (("live_casino", 5), ("slots", 3.5), ("table", 1.5)), 0.1,
              (5.0, 100.0), (1000, 10000), 0.6, 60, 1.0, 0.1, 0.7, spread=0.5),
    # Heavy but healthy: the top few percent by frequency and intensity (LaBrie et al. 2007 and
    # 2008's most involved bettors) who play most days for months at steady stakes, cash out
    # when ahead and never chase; sportsbook or casino, drawn per player.
    Archetype("heavy_healthy", 1.5, 35, (("slots", 4), ("live_casino", 3), ("table", 1)), 0.5,
              (3.0, 50.0), (200, 2000), 0.3, None, 1.0, 0.1, 0.9, MATCHDAY, 1.3, 0.4, 3.5),
    Archetype("bonus_hunter", 1.0, 60, (("slots", 1),), 0.0,
              (0.5, 2.0), (20, 50), 0.0, 25, 1.0, 1.0, 1.0, EVENING),
    # Problem-gambling trajectories (escalating, steady or fluctuating: HARM_PATTERNS); the
    # rates here are the escalating ones' before their escalation.
    # More products than most (Braverman, LaPlante, Nelson & Shaffer 2013: cross-game play).
    Archetype("problem_gambler", 0.35, 10, (("slots", 7), ("crash", 1), ("live_casino", 1.5), ("table", 0.7),
                                            ("other", 0.5), ("poker", 0.3)), 0.25,
              (0.5, 10.0), (20, 150), 0.35, None, 1.0, 0.3, 0.5, spread=0.6),
    Archetype("multi_account_ring", 0.5, 8, (("slots", 6), ("live_casino", 1)), 0.1,
              (0.5, 2.0), (20, 50), 0.2, 10, 1.0, 1.0, 0.8),
    Archetype("money_mule", 1.0, 5, (("slots", 1), ("table", 1)), 0.1,
              (1.0, 5.0), (200, 1000), 0.0, 7, 1.0, 0.0, 1.0, OFFICE, 1.0, 0.3),
    Archetype("churner", 0.5, 8, (("slots", 6), ("live_casino", 1), ("other", 1)), 0.2,
              (0.2, 2.0), (10, 50), 0.3, None, 1.0, 0.3, 0.45, spread=0.5),
)}

# Problem gamblers at full harm intensity (blended in as harm deepens): the high-frequency,
# high-intensity play Braverman & Shaffer 2012 and Gray, LaPlante & Shaffer 2012 describe.
ESCALATED_VISITS_PER_DAY = 1.8
ESCALATED_SESSION_MINUTES = 40.0
ESCALATION_RAMP_DAYS = 3.0

# How harm unfolds over time, and each pattern's share of problem gamblers:
#   escalating: ordinary play, then an escalation (more often, longer, bigger, later at night);
#   steady: heavy from registration at a constant intensity, never escalating (the
#     "81 active days of 180, six 1,500 EUR deposits" kind);
#   fluctuating: binges of a few days to two weeks between quieter spells.
HARM_PATTERNS: tuple[tuple[str, float], ...] = (("escalating", 0.45), ("steady", 0.30), ("fluctuating", 0.25))
# Signs of harm that not every harmed player shows (share of harmed players who show each);
# some show none at all and are told apart, if at all, by how much they play.
HARM_TELLS: tuple[tuple[str, float], ...] = (
    ("deposit_chasing", 0.6),   # bigger, quicker deposits after losses
    ("night", 0.35),             # play drifting to late night local time
    ("distress", 0.20),          # distressed messages to support
    ("reversal", 0.30),          # cancelling pending withdrawals to play on
    ("limit_raise", 0.25),       # asking to raise a deposit limit
)
