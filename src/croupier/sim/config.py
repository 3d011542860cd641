"""What a simulated operator looks like: size, period, seed and the archetype mix."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from croupier.sim.archetypes import ARCHETYPES

# Share of *accounts* per archetype. Rings are drawn as whole rings of 2-5 accounts, so
# their share is the expected share of ring accounts, not of rings.
DEFAULT_MIX: tuple[tuple[str, float], ...] = (
    ("casual_slots", 0.37),
    ("live_casino", 0.10),
    ("sports_bettor", 0.21),
    ("high_roller", 0.02),
    ("heavy_healthy", 0.03),
    ("bonus_hunter", 0.06),
    ("problem_gambler", 0.04),
    ("multi_account_ring", 0.05),
    ("money_mule", 0.02),
    ("churner", 0.10),
)

DEFAULT_BRANDS: tuple[str, ...] = ("aurora", "nordlys", "solstice")


@dataclass(frozen=True)
class Response:
    """A real behavioural response to a promotional message, for measuring campaigns.

    A player of `archetype` who receives a message (`Simulator.contact`) responds with
    probability `lift`: they come back within `window_days` (at their next visit, brought
    forward to a time drawn uniformly in 5-90 % of the window, so it lands inside it) and
    deposit their usual amount through the ordinary cashier, which may still decline it.
    Players of other archetypes, and those who do not respond, go on exactly as if no
    message had been sent: the draw uses its own random stream, never the player's.

    The true effect on "deposited within the window" is therefore at most `lift` (less the
    players who would have deposited anyway, or whose deposit is declined);
    `croupier.sim.response.true_effect` measures it exactly by running the world twice."""

    archetype: str
    lift: float
    window_days: float = 7.0

    def __post_init__(self) -> None:
        if self.archetype not in ARCHETYPES:
            raise ValueError(f"unknown archetype {self.archetype!r} for the response; known: {sorted(ARCHETYPES)}")
        if not 0.0 <= self.lift <= 1.0:
            raise ValueError(f"the response's lift is a probability in [0, 1], got {self.lift}")
        if not self.window_days > 0:
            raise ValueError(f"the response window must be positive, got {self.window_days} days")


@dataclass(frozen=True)
class SimConfig:
    """Everything that decides a simulated run; the same config gives the same bytes."""

    seed: int = 42
    players: int = 1000
    days: int = 30
    start: datetime | None = None  # aware UTC; default = now - days (truncated to the minute)
    late_share: float = 0.01  # share of events delivered late (up to ~2 hours)
    early_share: float = 0.002  # share of players whose first events precede player.registered
    rollback_share: float = 0.002  # share of bets/wins/deposits later undone by a rollback
    mix: tuple[tuple[str, float], ...] = DEFAULT_MIX
    brands: tuple[str, ...] = DEFAULT_BRANDS
    response: Response | None = None  # how players respond to Simulator.contact; None: nobody does

    def __post_init__(self) -> None:
        if self.players < 1:
            raise ValueError(f"players must be at least 1, got {self.players}")
        if self.days <= 0:
            raise ValueError(f"days must be positive, got {self.days}")
        if self.start is not None and self.start.tzinfo is None:
            raise ValueError(f"start must be timezone-aware (UTC), got naive {self.start.isoformat()}")
        for name in ("late_share", "early_share", "rollback_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {value}")
        unknown = [name for name, _ in self.mix if name not in ARCHETYPES]
        if unknown:
            raise ValueError(f"unknown archetype(s) in mix: {unknown}; known: {sorted(ARCHETYPES)}")
        if sum(weight for _, weight in self.mix) <= 0:
            raise ValueError("the archetype mix needs at least one positive weight")
        if not self.brands:
            raise ValueError("at least one brand is needed")
