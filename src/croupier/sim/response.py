"""The true effect of a message, for checking what measurement reports against.

Every simulated player lives off a random stream of their own, so one player's life does
not depend on what happens to another (only the late-delivery draw of the shared event
sink does, and that moves delivery, never `occurred_at`). Running the same world twice,
once with nobody messaged and once with everybody messaged, gives each player's outcome
under both: their difference, averaged, is the effect a randomised split estimates (the
sample average treatment effect), with no model in between.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from croupier.sim.config import SimConfig
from croupier.sim.world import Simulator


@dataclass(frozen=True)
class TrueEffect:
    """Per player: deposited within the window with no message, and with one."""

    untreated: Mapping[str, bool]
    treated: Mapping[str, bool]
    start: datetime
    end: datetime

    @property
    def effect(self) -> float:
        """Mean over the players of converted-if-messaged minus converted-if-not."""
        n = len(self.untreated)
        if n == 0:
            return 0.0
        return (sum(self.treated.values()) - sum(self.untreated.values())) / n


def true_effect(config: SimConfig, player_ids: Sequence[str], at: datetime,
                window: timedelta | None = None) -> TrueEffect:
    """Run `config`'s world with no message and with a message to each of `player_ids` at
    `at`; conversion is an approved deposit in [at, at + window) (default: the response's
    window)."""
    if window is None:
        if config.response is None:
            raise ValueError("give the window, or a config with a response whose window to use")
        window = timedelta(days=config.response.window_days)
    end = at + window
    outcomes = []
    for message in (False, True):
        sim = Simulator(config)
        if end > sim.end:
            raise ValueError(f"the window ends {end.isoformat()}, after the simulated period ({sim.end.isoformat()})")
        for _ in sim.events_until(at):
            pass
        if message:
            for player_id in player_ids:
                sim.contact(player_id, at)
        for _ in sim.events_until(end):
            pass
        outcomes.append({pid: sim.converted(pid, at, end) for pid in player_ids})
    return TrueEffect(outcomes[0], outcomes[1], at, end)
