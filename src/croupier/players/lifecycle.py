"""Lifecycle stages: a pure function of a player's state, the moment asked about and the config.

Rules, checked in order (thresholds in LifecycleConfig, documented in docs/features.md):
1. prospect: no approved deposit yet;
2. new_depositor: first deposit at most `new_depositor_days` ago;
3. lapsed: last activity (approved deposit, bet or session) at least `lapsed_days` ago;
4. at_risk: last activity more than `active_days` ago;
5. reactivated: came back after a lapse at most `reactivated_days` ago;
6. active: otherwise.
"""

from __future__ import annotations

from croupier.players.config import LifecycleConfig
from croupier.players.state import DAY_US, PlayerState

STAGES = ("prospect", "new_depositor", "active", "at_risk", "lapsed", "reactivated")


def lifecycle_stage(state: PlayerState, as_of_us: int, config: LifecycleConfig) -> str:
    if state.first_deposit_us is None:
        return "prospect"
    if as_of_us - state.first_deposit_us <= config.new_depositor_days * DAY_US:
        return "new_depositor"
    last = state.last_activity_us or state.first_deposit_us
    idle = as_of_us - last
    if idle >= config.lapsed_days * DAY_US:
        return "lapsed"
    if idle > config.active_days * DAY_US:
        return "at_risk"
    if state.reactivated_us is not None and as_of_us - state.reactivated_us <= config.reactivated_days * DAY_US:
        return "reactivated"
    return "active"
