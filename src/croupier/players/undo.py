"""undo(state, event): subtract what a rolled-back event added, without refolding history.

Aggregates are sums and counts, so subtracting is exact. Values that are extremes (first
deposit, latest bet) come back from the short lists of recent times the state keeps; when
they cannot (or for rarer cases such as withdrawals and settled sports bets), undo
declines and the engine refolds the player's log with `rebuild`, which is always exact.

Stake chasing (protection.chasing) keeps an undone casino bet or win in its play sequence
(what the player did and saw; `apply.undone_play` folds it there in a refold too), so their
undo leaves the chase counts alone. Undos that would change other RG evidence decline and the
log is refolded (exact): a sports bet placed right after a settled losing bet, a bet counted
towards a cancelled or reversed withdrawal's re-staking, the day's only bet (it ran the day's
RG play detectors), and an approved deposit the RG evidence remembers.

One documented approximation: a rolled-back casino bet or win does not revise the
losing-run flag of a session that has already ended (rtp_sensitivity). While the session is
open the run is restored exactly: each open session remembers the log position of the win
that last reset its run (and the run it ended), so a bet logged after that position was
part of the run, and undoing that win resumes the run it ended.
"""

from __future__ import annotations

from collections.abc import Callable

from croupier.events import CasinoBet, CasinoWin, Deposit, Event, SportsBetPlaced, to_minor
from croupier.players.apply import _add, _add_cat, is_late_night, local_hour, micros, win_category
from croupier.players.config import FeatureConfig
from croupier.players.state import (
    BET_N, BONUS_STAKE, C_BETS, C_STAKE, C_WIN, CATEGORY_INDEX, DAY_US, DEP_DECLINED_N,
    DEP_N, DEP_SUM, FIRST_ACTIVITY, LATE_BET_N, N_CATS, STAKE, WIN, OpenSession, PlayerState,
)

_SPORTS = CATEGORY_INDEX["sports"]


def _foreign(state: PlayerState, currency: str) -> bool:
    """A foreign-currency event was converted at the rate of the version in force, or only
    counted when it had none: undo cannot tell which, so it declines and the log is refolded."""
    return currency != state.currency


def _latest_after_removal(recent: list, at_us: int, key: Callable = lambda x: x) -> bool:  # noqa: ANN001
    """Whether removing the entry at `at_us` still leaves a known latest value."""
    return any(key(x) != at_us for x in recent)


def _undo_stake(state: PlayerState, cat: int, amount: str, bonus: str, currency: str, at_us: int,
                config: FeatureConfig) -> bool:
    if _foreign(state, currency):
        return False
    if any(r[0] >= at_us or r[4] >= at_us for r in state.rg.reversals):
        return False  # counted in a reversed withdrawal's stake mark, or in its re-staking: refold
    if at_us <= state.stamps.get("zone_at", -1):
        return False  # folded under an earlier time zone than today's: refold
    if at_us == state.last_bet_us and state.life[BET_N] > 1 and not _latest_after_removal(state.recent_bet_us, at_us):
        return False
    day, minor = at_us // DAY_US, to_minor(amount, currency)
    moments = state.rg.stakes.get(day)  # stake_variability's per-day moments
    if moments is not None and moments[0] <= 1:
        return False  # the day's only bet ran the day's RG play detectors: refold
    last_day = _category_last_day_without(state, cat, day)
    if last_day is _UNKNOWN:
        return False
    _add(state, day, BET_N, -1)
    _add(state, day, STAKE, -minor)
    if bonus != "0":
        _add(state, day, BONUS_STAKE, -to_minor(bonus, currency))
    _add_cat(state, day, cat, C_BETS, -1)
    _add_cat(state, day, cat, C_STAKE, -minor)
    if moments is not None:
        moments[0], moments[1], moments[2] = moments[0] - 1, moments[1] - minor, moments[2] - minor * minor
    hour = local_hour(state, at_us)
    state.hours[hour] = max(0, state.hours[hour] - 1)
    if is_late_night(hour, config):
        _add(state, day, LATE_BET_N, -1)
    if last_day is not None:
        state.last_cat_bet_day[cat] = last_day
    if at_us in state.recent_bet_us:
        state.recent_bet_us.remove(at_us)
    if at_us == state.last_bet_us:
        state.last_bet_us = state.recent_bet_us[-1] if state.recent_bet_us else None
    return True


_UNKNOWN = -2


def _category_last_day_without(state: PlayerState, cat: int, day: int) -> int | None:
    """The category's last bet day once one bet of `day` is undone: None when unchanged,
    -1 when none is left, _UNKNOWN when the one before is older than the kept day buckets
    (the undo declines and the log is refolded)."""
    last = state.last_cat_bet_day
    if not last or last[cat] != day:
        return None
    bucket = state.cats.get(day * N_CATS + cat)
    if bucket is None:
        return _UNKNOWN
    if bucket[C_BETS] > 1:
        return None
    earlier = max((key // N_CATS for key, b in state.cats.items()
                   if key % N_CATS == cat and b[C_BETS] > 0 and key // N_CATS != day), default=-1)
    if earlier < 0 and state.life_cats[cat * 3 + C_BETS] > 1:
        return _UNKNOWN
    return earlier


def _open_sessions(state: PlayerState) -> list[OpenSession]:
    return [s for s in state.sessions.values() if s.started_us >= 0]


def _undo_casino_bet(state: PlayerState, e: CasinoBet, at_us: int, seq: int, config: FeatureConfig) -> bool:
    session = state.sessions.get(e.session_id) if e.session_id else None
    open_run = session is not None and session.started_us >= 0 and e.currency == state.currency
    if open_run and session.reset_seq < 0:
        return False  # the run's start is no longer known: refold
    if not _undo_stake(state, CATEGORY_INDEX[e.game_category], e.amount, e.bonus_amount, e.currency, at_us, config):
        return False
    if open_run and seq > session.reset_seq and session.losing_streak > 0:
        session.losing_streak -= 1  # the bet was part of the current losing run
    return True


def _undo_sports_bet(state: PlayerState, e: SportsBetPlaced, at_us: int, seq: int, config: FeatureConfig) -> bool:
    placed = state.open_sports.get(e.bet_id)
    if e.currency == state.currency and (placed is None or placed[0] < 0):
        return False  # already settled (a void one refunded its stake): refold
    if placed is not None and len(placed) > 2:
        return False  # placed right after a settled losing bet: counted for stake chasing, refold
    if not _undo_stake(state, _SPORTS, e.amount, e.bonus_amount, e.currency, at_us, config):
        return False
    state.open_sports.pop(e.bet_id, None)
    return True


def _undo_casino_win(state: PlayerState, e: CasinoWin, at_us: int, seq: int, config: FeatureConfig) -> bool:
    orphan = _orphan_category(state, e, at_us)
    if orphan is None and e.bet_id not in state.recent_bets and e.game_id not in state.games:
        return False  # the win's category is no longer known: refold
    if _foreign(state, e.currency):
        return False
    minor = to_minor(e.amount, e.currency)
    if not minor:
        return True
    sessions = _open_sessions(state)
    if any(s.reset_seq < 0 for s in sessions):
        return False  # an open run's start is no longer known: refold
    for s in sessions:
        if s.reset_seq == seq:  # this win ended the run: it goes on as if the win never came
            s.losing_streak += s.streak_before_reset
            s.reset_seq = -1    # where the run began is now unknown
    day = at_us // DAY_US
    _add(state, day, WIN, -minor)
    _add_cat(state, day, win_category(state, e) if orphan is None else orphan, C_WIN, -minor)
    if orphan is not None:
        _forget_orphan(state, e.bet_id, day, minor)
    return True


def _orphan_category(state: PlayerState, e: CasinoWin, at_us: int) -> int | None:
    """The category a win whose bet has not arrived was counted in (apply.bet_seen moves it)."""
    wins = state.orphan_wins.get(e.bet_id) if state.orphan_wins else None
    if not wins or e.currency != state.currency:
        return None
    day, minor = at_us // DAY_US, to_minor(e.amount, e.currency)
    return next((wins[i + 2] for i in range(0, len(wins), 3) if wins[i] == day and wins[i + 1] == minor), None)


def _forget_orphan(state: PlayerState, bet_id: str, day: int, minor: int) -> None:
    wins = state.orphan_wins[bet_id]
    i = next(i for i in range(0, len(wins), 3) if wins[i] == day and wins[i + 1] == minor)
    del wins[i:i + 3]
    if not wins:
        del state.orphan_wins[bet_id]


def _undo_deposit(state: PlayerState, e: Deposit, at_us: int, seq: int, config: FeatureConfig) -> bool:
    day = at_us // DAY_US
    if e.status in ("declined", "failed"):
        _add(state, day, DEP_DECLINED_N, -1)
        return True
    if e.status != "approved":
        return True
    if _foreign(state, e.currency):
        return False
    only = state.life[DEP_N] == 1
    if not only and (at_us == state.first_deposit_us or (
            at_us == state.last_deposit_us
            and not _latest_after_removal(state.recent_deposits, at_us, key=lambda x: x[0]))):
        return False
    if e.transaction_id not in state.approved_deposits:
        return False  # not the approval that was counted (or too old to tell): refold
    if any(d[0] == at_us for d in state.rg.deposits):
        return False  # RG evidence (loss chasing, spikes) was folded from it: refold
    state.approved_deposits.remove(e.transaction_id)
    minor = to_minor(e.amount, e.currency)
    _add(state, day, DEP_N, -1)
    _add(state, day, DEP_SUM, -minor)
    state.recent_deposits = [d for d in state.recent_deposits if d != [at_us, minor]]
    if only:
        state.first_deposit_us = state.first_deposit_minor = None
        state.last_deposit_us = state.last_deposit_minor = None
    elif at_us == state.last_deposit_us:
        state.last_deposit_us, state.last_deposit_minor = state.recent_deposits[-1]
    return True


_UNDO: dict[type, Callable[[PlayerState, Event, int, int, FeatureConfig], bool]] = {
    CasinoBet: _undo_casino_bet, SportsBetPlaced: _undo_sports_bet,
    CasinoWin: _undo_casino_win, Deposit: _undo_deposit,
}


def _may_open_a_lapse(state: PlayerState, event: Event, at_us: int, config: FeatureConfig) -> bool:
    """Whether removing this activity could make the next one a return after a lapse (a
    reactivation an in-order fold would record). Safe when a known earlier activity of the
    same kind and the next one (or the latest activity) are less than lapsed_days apart."""
    if isinstance(event, (CasinoBet, SportsBetPlaced)):
        times = state.recent_bet_us
    elif isinstance(event, Deposit) and event.status == "approved":
        times = [t for t, _ in state.recent_deposits]
    else:
        return False                     # not an activity
    if getattr(event, "currency", None) != state.currency:
        return False                     # foreign money is not folded as activity
    latest = state.last_activity_us
    if latest is None or at_us >= latest:
        return False                     # nothing after it to turn into a return
    if at_us not in times or times.index(at_us) == 0:
        # No remembered activity of this kind before it. An earlier activity the same day
        # (the bucket keeps the day's first) still proves that the gap it leaves, from that
        # activity to the next known one, stays shorter than a lapse.
        bucket = state.days.get(at_us // DAY_US)
        first = bucket[FIRST_ACTIVITY] if bucket is not None else 0
        following = next((t for t in times if t > at_us), latest)
        return not (first and first < at_us and following - first < config.lifecycle.lapsed_days * DAY_US)
    i = times.index(at_us)
    after = times[i + 1] if i + 1 < len(times) else latest
    return after - times[i - 1] >= config.lifecycle.lapsed_days * DAY_US


def undo(state: PlayerState, event: Event, seq: int, config: FeatureConfig) -> bool:
    """Subtract `event` (stored at log position `seq`) from `state`; False means: refold
    instead (nothing changed)."""
    at_us = micros(event.occurred_at)
    handler = _UNDO.get(type(event))
    if handler is None or at_us == state.reactivated_us or at_us == state.first_activity_us:
        return False
    if _may_open_a_lapse(state, event, at_us, config):
        return False
    if not handler(state, event, at_us, seq, config):
        return False
    bucket = state.days.get(at_us // DAY_US)
    if bucket is not None and bucket[FIRST_ACTIVITY] == at_us:
        bucket[FIRST_ACTIVITY] = 0  # it no longer vouches for an activity that day
    if at_us == state.last_activity_us:
        times = [t for t in (state.last_bet_us, state.last_deposit_us, state.last_session_us) if t is not None]
        state.last_activity_us = max(times) if times else None
    return True
