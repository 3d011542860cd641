"""Player archetypes: the behaviours detectors are measured against.

Each archetype is a parameter set; the few that need their own logic (bonus hunters,
money mules, problem-gambling trajectories, churners, rings) are recognised by name in
`behaviour.py`.
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
    visits_per_day: float  # mean visits on an active day
    session_minutes: float  # median planned session length
    categories: tuple[tuple[str, float], ...]  # casino game categories and their weights
    sports_share: float  # chance that a visit is to the sportsbook
    stake_eur: tuple[float, float]  # usual stake range, euro-equivalent
    deposit_eur: tuple[float, float]  # usual deposit range, euro-equivalent
    redeposit: float  # chance of topping up when the balance runs out mid-session
    lifetime_days: float | None  # median days before the player stops for good; None: open-ended
    converts: float  # chance a registrant ever deposits
    bonus_uptake: float  # chance of taking a deposit bonus when offered
    cash_out: float  # chance of withdrawing when well up
    hours: Hours = EVENING
    weekend_boost: float = 1.2


ARCHETYPES: dict[str, Archetype] = {a.name: a for a in (
    Archetype("casual_slots", 0.3, 8, (("slots", 8), ("other", 1), ("bingo", 1), ("crash", 0.5)), 0.03,
              (0.2, 1.0), (10, 50), 0.3, 8, 0.72, 0.35, 0.45),
    Archetype("live_casino", 0.4, 18, (("live_casino", 7), ("table", 2), ("slots", 1), ("poker", 0.5)), 0.05,
              (1.0, 10.0), (20, 200), 0.4, 20, 0.85, 0.2, 0.55),
    Archetype("sports_bettor", 0.7, 8, (("slots", 3), ("live_casino", 1), ("crash", 0.5)), 0.85,
              (2.0, 25.0), (10, 100), 0.3, 30, 0.8, 0.3, 0.5, MATCHDAY, 1.8),
    Archetype("high_roller", 0.5, 30, (("live_casino", 5), ("slots", 3.5), ("table", 1.5)), 0.1,
              (5.0, 100.0), (1000, 10000), 0.6, 60, 1.0, 0.1, 0.7),
    Archetype("bonus_hunter", 1.0, 60, (("slots", 1),), 0.0,
              (0.5, 2.0), (20, 50), 0.0, 25, 1.0, 1.0, 1.0, EVENING),
    Archetype("problem_gambler", 0.5, 10, (("slots", 7), ("crash", 1), ("live_casino", 1.5)), 0.15,
              (0.5, 2.0), (20, 100), 0.35, None, 1.0, 0.3, 0.5),
    Archetype("multi_account_ring", 0.5, 8, (("slots", 6), ("live_casino", 1)), 0.1,
              (0.5, 2.0), (20, 50), 0.2, 10, 1.0, 1.0, 0.8),
    Archetype("money_mule", 1.0, 5, (("slots", 1), ("table", 1)), 0.1,
              (1.0, 5.0), (200, 1000), 0.0, 7, 1.0, 0.0, 1.0, OFFICE, 1.0),
    Archetype("churner", 0.5, 8, (("slots", 6), ("live_casino", 1), ("other", 1)), 0.2,
              (0.2, 2.0), (10, 50), 0.3, None, 1.0, 0.3, 0.45),
)}

# Problem gamblers after escalation (blended in as the escalation deepens).
ESCALATED_VISITS_PER_DAY = 1.8
ESCALATED_SESSION_MINUTES = 40.0
ESCALATION_RAMP_DAYS = 3.0
