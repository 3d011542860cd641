"""Casino game maths: a catalogue of games and, per category, a paytable whose expected
return is the category's RTP.

A round is one uniform draw looked up in a cumulative table: cheap enough for millions
of spins, and shaped like the real thing (slots pay many small wins and rare big ones).
"""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass

# Return to player per category, before any player skill or choice.
RTP: dict[str, float] = {
    "slots": 0.96, "live_casino": 0.975, "table": 0.98, "crash": 0.97,
    "bingo": 0.90, "poker": 0.97, "other": 0.95,
}

# Seconds between two rounds (min, max): a slot spin every few seconds, a live hand slower.
ROUND_SECONDS: dict[str, tuple[float, float]] = {
    "slots": (4.0, 9.0), "live_casino": (25.0, 50.0), "table": (15.0, 35.0), "crash": (8.0, 20.0),
    "bingo": (45.0, 120.0), "poker": (30.0, 90.0), "other": (5.0, 12.0),
}

# Shapes of the payout distributions: (multiplier of the stake in hundredths, relative
# frequency). Frequencies are rescaled so the expected return equals the RTP exactly.
_SHAPES: dict[str, tuple[tuple[int, float], ...]] = {
    "slots": ((50, 12), (100, 6), (200, 5), (300, 3), (500, 2), (1000, 1.2), (2000, 0.5),
              (5000, 0.2), (20000, 0.03), (50000, 0.006)),
    "slots_low": ((50, 15), (100, 10), (200, 10), (300, 5), (500, 3), (1000, 1), (2000, 0.2), (5000, 0.02)),
    "live_casino": ((200, 44), (100, 3), (250, 4), (900, 1), (3600, 0.3)),
    "table": ((200, 46), (100, 4), (300, 1)),
    "bingo": ((200, 10), (500, 4), (2000, 0.8), (10000, 0.05)),
    "poker": ((200, 42), (500, 3), (1000, 0.5)),
    "other": ((100, 10), (200, 8), (500, 3), (2000, 0.5), (10000, 0.05)),
}
_RTP_OF_SHAPE = {**RTP, "slots_low": RTP["slots"]}
# Crash: the player cashes out at a target multiplier m, reached with probability RTP / m.
CRASH_TARGETS: tuple[int, ...] = (120, 150, 200, 300, 500, 1000)


@dataclass(frozen=True)
class Paytable:
    cumulative: tuple[float, ...]  # upper bounds of each winning band on [0, 1)
    multipliers: tuple[int, ...]  # hundredths of the stake paid in each band

    def payout(self, stake: int, draw: float) -> int:
        """Minor units paid for a stake given a uniform draw; 0 for a losing round."""
        band = bisect_right(self.cumulative, draw)
        if band >= len(self.multipliers):
            return 0
        return stake * self.multipliers[band] // 100

    @property
    def expected_return(self) -> float:
        previous, total = 0.0, 0.0
        for bound, multiplier in zip(self.cumulative, self.multipliers):
            total += (bound - previous) * multiplier / 100
            previous = bound
        return total


def _paytable(shape: tuple[tuple[int, float], ...], rtp: float) -> Paytable:
    raw = sum(m / 100 * f for m, f in shape)
    scale = rtp / raw
    cumulative, running = [], 0.0
    for _, frequency in shape:
        running += frequency * scale
        cumulative.append(running)
    if running >= 1:
        raise ValueError(f"paytable shape {shape} cannot reach RTP {rtp} with a hit rate below 100%")
    return Paytable(tuple(cumulative), tuple(m for m, _ in shape))


PAYTABLES: dict[str, Paytable] = {name: _paytable(shape, _RTP_OF_SHAPE[name]) for name, shape in _SHAPES.items()}


def crash_payout(stake: int, target: int, draw: float) -> int:
    """Cash out at `target` hundredths if the multiplier gets there, else lose the stake."""
    return stake * target // 100 if draw < RTP["crash"] * 100 / target else 0


def round_payout(category: str, volatility: str, stake: int, rng: random.Random, crash_target: int) -> int:
    """Play one round; what a game server would pay out."""
    if category == "crash":
        return crash_payout(stake, crash_target, rng.random())
    table = PAYTABLES["slots_low" if category == "slots" and volatility == "low" else category]
    return table.payout(stake, rng.random())


@dataclass(frozen=True)
class Game:
    game_id: str
    category: str
    provider: str
    volatility: str  # "low", "medium", "high": what a bonus hunter filters on


def _games() -> tuple[Game, ...]:
    rows = (
        # slots
        ("slots", "Pragmatic Play", "Olympus Thunder", "high"), ("slots", "Pragmatic Play", "Sugar Heist", "high"),
        ("slots", "NetEnt", "Starfall Gems", "low"), ("slots", "NetEnt", "Viking Gold Rush", "medium"),
        ("slots", "Play'n GO", "Tomb of Anubis", "high"), ("slots", "Play'n GO", "Fruit Parade", "low"),
        ("slots", "Hacksaw Gaming", "Wanted Outlaws", "high"), ("slots", "Push Gaming", "Jammin Crates", "medium"),
        ("slots", "Relax Gaming", "Money Train Express", "high"), ("slots", "Yggdrasil", "Valley of Runes", "medium"),
        ("slots", "Big Time Gaming", "Bonanza Mines", "high"), ("slots", "NetEnt", "Twin Reels", "low"),
        ("slots", "Microgaming", "Mega Safari", "medium"), ("slots", "Nolimit City", "Mental Ward", "high"),
        # live casino
        ("live_casino", "Evolution", "Lightning Roulette", "medium"), ("live_casino", "Evolution", "Infinite Blackjack", "low"),
        ("live_casino", "Evolution", "Speed Baccarat", "low"), ("live_casino", "Evolution", "Crazy Wheel", "high"),
        ("live_casino", "Pragmatic Play Live", "Mega Roulette", "medium"), ("live_casino", "Playtech Live", "Quantum Blackjack", "low"),
        # RNG table games
        ("table", "NetEnt", "European Roulette", "medium"), ("table", "Play'n GO", "Blackjack MH", "low"),
        ("table", "Microgaming", "Baccarat Gold", "low"),
        # crash, bingo, poker, other
        ("crash", "Spribe", "Aviator Skies", "high"), ("crash", "Hacksaw Gaming", "Rocket Dash", "high"),
        ("bingo", "Pragmatic Play", "Bingo Hall 90", "medium"), ("bingo", "Playtech", "Rainbow Bingo 75", "medium"),
        ("poker", "Evolution", "Casino Hold'em", "medium"), ("poker", "Playtech", "Three Card Poker", "medium"),
        ("other", "Hacksaw Gaming", "Scratch Diamonds", "medium"), ("other", "Play'n GO", "Keno Deluxe", "medium"),
    )
    games = []
    for category, provider, title, volatility in rows:
        slug = "-".join(f"{provider} {title}".lower().replace("'", "").split())
        games.append(Game(slug, category, provider, volatility))
    return tuple(games)


GAMES: tuple[Game, ...] = _games()
GAMES_BY_CATEGORY: dict[str, tuple[Game, ...]] = {
    category: tuple(g for g in GAMES if g.category == category) for category in RTP
}
