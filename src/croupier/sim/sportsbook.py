"""Sportsbook maths: markets with a true probability, prices with a 5-7% margin, and
settlement by drawing against the true probability (so the book keeps its margin)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from croupier.sim.clock import DAY, HOUR, MINUTE

# sport -> markets with the range of true probabilities of the usual selection
MARKETS: dict[str, tuple[tuple[str, float, float], ...]] = {
    "football": (("match_result", 0.2, 0.75), ("over_under_2_5", 0.4, 0.6), ("both_teams_to_score", 0.45, 0.6),
                 ("asian_handicap", 0.45, 0.55), ("correct_score", 0.05, 0.15), ("first_goalscorer", 0.08, 0.25)),
    "tennis": (("match_winner", 0.2, 0.85), ("set_betting", 0.1, 0.35)),
    "basketball": (("moneyline", 0.25, 0.8), ("point_spread", 0.48, 0.52), ("total_points", 0.48, 0.52)),
    "ice_hockey": (("match_result", 0.25, 0.6), ("puck_line", 0.4, 0.6), ("total_goals", 0.45, 0.55)),
    "horse_racing": (("win", 0.05, 0.35), ("each_way", 0.15, 0.45)),
    "esports": (("match_winner", 0.3, 0.7), ("map_handicap", 0.45, 0.55)),
    "american_football": (("moneyline", 0.25, 0.8), ("point_spread", 0.48, 0.52)),
    "cricket": (("match_winner", 0.3, 0.7),),
}

# Which sports a market's players follow (weights).
SPORT_TASTE: dict[str, tuple[tuple[str, float], ...]] = {
    "GB": (("football", 6), ("horse_racing", 2.5), ("tennis", 1), ("cricket", 0.5), ("esports", 0.3)),
    "SE": (("football", 5), ("ice_hockey", 3), ("tennis", 1), ("esports", 0.7)),
    "DK": (("football", 6), ("ice_hockey", 1), ("tennis", 1), ("esports", 0.7)),
    "DE": (("football", 7), ("tennis", 1), ("basketball", 0.7), ("ice_hockey", 0.6)),
    "NL": (("football", 6), ("tennis", 1), ("esports", 0.5), ("basketball", 0.4)),
    "ES": (("football", 6), ("basketball", 2), ("tennis", 1.5)),
    "MT": (("football", 6), ("tennis", 1), ("esports", 0.5)),
    "CA-ON": (("ice_hockey", 4), ("basketball", 2), ("american_football", 2), ("football", 1)),
    "US-NJ": (("american_football", 4), ("basketball", 3), ("ice_hockey", 1), ("football", 1), ("esports", 0.3)),
}


@dataclass(frozen=True)
class Selection:
    sport: str
    market: str
    probability: float  # the true chance of winning
    odds_hundredths: int  # decimal odds offered, e.g. 185 -> "1.85"
    live: bool
    settles_after_ms: int

    @property
    def odds(self) -> str:
        return f"{self.odds_hundredths // 100}.{self.odds_hundredths % 100:02d}"


def price(probability: float, margin: float) -> int:
    """Offered decimal odds in hundredths: fair odds shortened by the margin."""
    return max(101, int(100 / (probability * (1 + margin))))


def pick_selection(rng: random.Random, jurisdiction: str, live_share: float) -> Selection:
    sports = SPORT_TASTE.get(jurisdiction, SPORT_TASTE["GB"])
    sport = rng.choices([s for s, _ in sports], [w for _, w in sports])[0]
    live = rng.random() < live_share
    if rng.random() < 0.15 and not live:  # accumulator: probabilities and prices multiply
        legs = rng.randint(2, 5)
        probability, odds = 1.0, 1.0
        for _ in range(legs):
            p = rng.uniform(0.45, 0.8)
            probability *= p
            odds *= price(p, rng.uniform(0.05, 0.07)) / 100
        return Selection(sport, f"accumulator_{legs}", probability, max(101, int(odds * 100)), False,
                         _settle_delay(rng, live=False) + rng.randint(0, 2) * DAY)
    market, low, high = rng.choice(MARKETS[sport])
    probability = rng.uniform(low, high)
    return Selection(sport, market, probability, price(probability, rng.uniform(0.05, 0.07)), live,
                     _settle_delay(rng, live))


def _settle_delay(rng: random.Random, live: bool) -> int:
    if live:
        return rng.randint(5 * MINUTE, 110 * MINUTE)
    return rng.randint(1 * HOUR, 3 * DAY) + 2 * HOUR


def settle(rng: random.Random, selection: Selection, stake: int) -> tuple[str, int]:
    """Outcome and payout in minor units."""
    draw = rng.random()
    if draw < 0.02:
        return "void", stake
    if draw < 0.05:  # the player cashed out at roughly the fair value less a haircut
        now = min(0.98, max(0.02, selection.probability + rng.uniform(-0.3, 0.3)))
        return "cashout", int(stake * selection.odds_hundredths * now * 0.95) // 100
    if rng.random() < selection.probability:
        return "won", stake * selection.odds_hundredths // 100
    return "lost", 0
