"""Chasing within play: stakes raised right after a lost bet, re-deposits right after a losing
run, and the money of a cancelled or reversed withdrawal staked again.

The counting happens in the fold, per bet, in `players.apply` (a few integer comparisons on
the session's or the player's last bet; docs/rg-markers.md "Chasing within play"):

- casino: a bet whose stake is at least `MarkerConfig.stake_chase_pct` % (200: doubled) of the
  previous bet's in the same session when that bet lost (nothing won on it before this bet, or
  less than its stake). Bets outside an open session use the player's last such bet when it
  came within `stake_chase_gap_minutes`.
- sports: the first bet placed within `stake_chase_sports_minutes` of a settled losing bet,
  at least `stake_chase_pct` % of that bet's stake.

Each counts, per UTC day in `state.rg.chase`, the bets placed after a lost bet and the chase
steps among them, with the longest run of steps in a row (a martingale-like progression:
each step's stake doubled again after the step itself lost) and the largest step. The
detector below reads those counts; it runs on the day's first bet, at session ends, at chase
deposits and when a step is counted, never on every bet.

Pure functions of the state and the thresholds in force.
"""

from __future__ import annotations

from croupier.compliance.rules import MarkerConfig
from croupier.events import Event
from croupier.players.config import FeatureConfig
from croupier.players.state import DAY_US, PlayerState
from croupier.protection.detecting import HOUR_US, MINUTE_US, Hit, grade, money

# Slots of a day's chase counts (state.rg.chase[day]).
FOLLOWS, STEPS, CHAIN, CHAIN_FROM, CHAIN_TO, TOP_FROM, TOP_TO, SPORTS = range(8)


def chase_counts(state: PlayerState, first_day: int, last_day: int) -> list[int]:
    """The chase counts summed over UTC days first..last: bets after a loss, steps, the
    longest chain with its first and last stake, the largest step, steps on sports bets."""
    out = [0] * 8
    for day, rec in state.rg.chase.items():
        if not first_day <= day <= last_day:
            continue
        out[FOLLOWS] += rec[FOLLOWS]
        out[STEPS] += rec[STEPS]
        out[SPORTS] += rec[SPORTS]
        if rec[CHAIN] > out[CHAIN]:
            out[CHAIN], out[CHAIN_FROM], out[CHAIN_TO] = rec[CHAIN], rec[CHAIN_FROM], rec[CHAIN_TO]
        if rec[TOP_FROM] and (not out[TOP_FROM] or rec[TOP_TO] * out[TOP_FROM] > out[TOP_TO] * rec[TOP_FROM]):
            out[TOP_FROM], out[TOP_TO] = rec[TOP_FROM], rec[TOP_TO]
    return out


def _raised(cfg: MarkerConfig) -> str:
    return "doubled or more" if cfg.stake_chase_pct == 200 else f"raised to {cfg.stake_chase_pct / 100:.1f}× or more"


def stake_chasing(state: PlayerState, event: Event, at_us: int, cfg: MarkerConfig,
                  features: FeatureConfig) -> Hit | None:
    """Stakes raised to `stake_chase_pct` % or more right after a lost bet, counted over the
    last `stake_chase_days` days, graded by the number of steps and by their share of the
    bets placed after a loss (so a player of 10,000 bets is not flagged for 3 doublings);
    a run of `stake_chase_run` steps in a row within one losing run is one step more."""
    if not state.rg.chase:
        return None
    today = at_us // DAY_US
    week = chase_counts(state, today - cfg.stake_chase_days + 1, today)
    steps, follows = week[STEPS], week[FOLLOWS]
    if steps < cfg.stake_chase_counts[0] or not follows:
        return None
    share = 100 * steps / follows
    severity = min(grade(steps, cfg.stake_chase_counts), grade(share, cfg.stake_chase_share_pct))
    if not severity:
        return None
    if week[CHAIN] >= cfg.stake_chase_run:
        severity = min(3, severity + 1)
    day = chase_counts(state, today, today)[STEPS]
    month = chase_counts(state, today - 29, today)[STEPS]
    text = (f"{steps} times in the last {cfg.stake_chase_days} days the stake was {_raised(cfg)} right after a "
            f"losing bet ({day} today, {month} in 30 days; {steps} of {follows:,} bets placed after a loss, "
            f"{share:.0f}%)")
    if week[TOP_FROM]:
        text += (f"; up to {week[TOP_TO] / week[TOP_FROM]:.1f}×: {money(week[TOP_FROM], state)} → "
                 f"{money(week[TOP_TO], state)}")
    if week[CHAIN] >= 2:
        text += (f"; {week[CHAIN]} raises in a row within one losing run: {money(week[CHAIN_FROM], state)} → "
                 f"{money(week[CHAIN_TO], state)}")
    if week[SPORTS]:
        text += f"; {week[SPORTS]} of them on sports bets"
    return Hit(severity, text)


def deposit_flags(chases: list[list[int]], cfg: MarkerConfig, state: PlayerState) -> str:
    """What loss_chasing adds when chase deposits came within `redeposit_minutes` of a losing
    run or of a played-down balance (bits 2 and 4 of `chase` in state.rg.deposits; bit 1 is
    the loss of the previous deposit)."""
    parts = []
    runs = [d for d in chases if d[3] & 2]
    if runs:
        longest = max(d[4] for d in runs)
        parts.append(f"{len(runs)} within {cfg.redeposit_minutes} min of a losing run (up to {longest} bets "
                     f"without a win)")
    played = [d for d in chases if d[3] & 4 and d[5] >= 0]
    if played:
        parts.append(f"{len(played)} within {cfg.redeposit_minutes} min of the balance played down (to "
                     f"{money(min(d[5] for d in played), state)})")
    return "".join("; " + p for p in parts)


def _soon(us: int) -> str:
    minutes = max(1, -(-us // MINUTE_US))
    return f"{minutes} min" if minutes < 60 else f"{-(-us // HOUR_US)} h"


def reversal_text(state: PlayerState, at_us: int, cfg: MarkerConfig) -> tuple[str, bool]:
    """withdrawal_reversal's money angle: who cancelled, how much came back, and whether it
    was staked again within `restake_hours`. Returns (text to add, any re-staked)."""
    since = at_us - cfg.cancel_days * DAY_US
    recent = [r for r in state.rg.reversals if since <= r[0] <= at_us]
    if not recent:
        return "", False
    players = sum(1 for r in recent if not r[2])
    text = f" ({players} cancelled by the player, {len(recent) - players} reversed; {money(sum(r[1] for r in recent), state)})"
    window = cfg.restake_hours * HOUR_US
    restaked = [r for r in recent if r[4] and r[4] - r[0] <= window]
    if restaked:
        r = max(restaked, key=lambda r: (r[1], r[0]))
        verb = "reversed" if r[2] else "cancelled"
        text += (f"; {verb} {money(r[1], state)} withdrawal and staked it within {_soon(r[4] - r[0])}"
                 + (f" ({len(restaked)} staked again within {cfg.restake_hours} h)" if len(restaked) > 1 else ""))
    return text, bool(restaked)
