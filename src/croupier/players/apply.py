"""apply(state, event): fold one event into a player's state.

It depends only on the state, the event and the config, so live processing and a replay of
the log give identical states. It mutates the state in place (the engine owns the only
copy) and returns the facts the detectors react to. Effects that cannot be undone
incrementally (a rollback, a registration arriving after play) return REBUILD: the engine
then refolds the player's log with `rebuild`, which is exact.

Nor does it depend on the order events arrive in: "latest" and "last N" go by `occurred_at`
(equal times are settled by the values), and a late event that would change what was
derived from later ones (a return after a lapse, the time zone in force, an unregistered
wallet's currency) returns REBUILD, whose refold goes in `occurred_at` order.
docs/protocol.md#order-per-player lists the few exceptions.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from croupier.events import (
    CasinoBet, CasinoWin, Chargeback, ConsentChanged, Deposit, Event, ExclusionRequested,
    FRONTEND_TYPES, KycStatusChanged, LimitChanged, MessageFeedback, PlayerLogin, PlayerLogout,
    ROLLBACKABLE, PlayerRegistered, PlayerUpdated, Rollback, SessionEnded, SessionStarted, SportsBetPlaced,
    ExclusionEnded, ExclusionStarted, LimitSet, PersonLinked, RealityCheck, Reported, RgReviewed,
    SportsBetSettled, SupportMessage, Withdrawal, to_minor,
    AmlStatusChanged, BonusConverted, BonusCredited, ContactDue, JourneyTimer, RegisterScreened, SegmentEntered,
    SegmentLeft, JourneyFired, RgLevelChanged, SegmentSweep, StageChanged, WalletAdjusted,
)
from croupier.players import protection_state as protection
from croupier.players.lifecycle import lifecycle_stage
from croupier.players.config import FeatureConfig
from croupier.players.exchange import MONEY_EVENTS, in_currency
if TYPE_CHECKING:  # the protection package depends on this one: types only
    from croupier.compliance.rules import RulesInForce
from croupier.players.facts import (
    DEPOSIT, DEPOSIT_DECLINED, EXCLUDED, FIRST_DEPOSIT, LIFECYCLE, REACTIVATED, REBUILD, REGISTERED, RELEASED,
    ROLLBACK, SKIPPED, WITHDRAWAL_CANCELLED,
)
from croupier.players.state import (
    BET_N, BONUS_STAKE, C_BETS, C_STAKE, C_WIN, CATEGORY_INDEX, CHARGEBACK_N, CHARGEBACK_SUM, FIRST_ACTIVITY,
    DAY_US, DEP_DECLINED_N, DEP_N, DEP_SUM, KEEP_DAYS, LATE_BET_N, LOGIN_N, METRICS, N_CATS,
    PENDING_LIMIT, RECENT_BETS, RECENT_GAMES, RECENT_SESSIONS, RECENT_TIMES, SESS_N, SESS_SECONDS, STAKE, WD_CANCELLED_N,
    WD_N, WD_SUM, WIN, OpenSession, PlayerState, new_state,
    ADJ_IN, ADJ_N, ADJ_OUT, BONUS_N, BONUS_SUM, CONV_N, CONV_SUM, WALLET_METRICS,
)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SPORTS = CATEGORY_INDEX["sports"]
_PROFILE_FIELDS = ("jurisdiction", "country", "currency", "language", "timezone", "birth_date",
                   "email", "phone", "first_name", "last_name", "affiliate_id", "device_id", "ip")


def micros(moment: datetime) -> int:
    """Aware datetime -> integer microseconds since the epoch (exact, no float)."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def moment(us: int) -> datetime:
    """Integer microseconds since the epoch -> aware UTC datetime (exact: `micros`' inverse)."""
    return _EPOCH + timedelta(microseconds=us)


_HOUR_US = 3_600_000_000


@lru_cache(maxsize=65_536)
def _utc_offset_us(tz: str, utc_hour: int) -> int:
    """The zone's UTC offset during one UTC hour, in microseconds (offsets change on the hour)."""
    zone = ZoneInfo(tz)
    moment = datetime.fromtimestamp(utc_hour * 3600, tz=timezone.utc).astimezone(zone)
    offset = moment.utcoffset()
    return (offset.days * 86_400 + offset.seconds) * 1_000_000 if offset else 0


def is_late_night(hour: int, config: FeatureConfig) -> bool:
    """Whether a local hour falls in the late-night window, which may cross midnight (22-2)."""
    start, end = config.late_night_start_hour, config.late_night_end_hour
    return start <= hour < end if start <= end else (hour >= start or hour < end)


def local_hour(state: PlayerState, at_us: int) -> int:
    """Hour of day in the player's own time zone (UTC until the zone is known)."""
    utc_hour = at_us // _HOUR_US
    tz = state.profile.get("timezone")
    if not tz:
        return utc_hour % 24
    # Add the offset to the exact time, not to the hour: in UTC+5:30, 18:40 UTC is 00:10.
    return (at_us + _utc_offset_us(tz, utc_hour)) // _HOUR_US % 24


def _bucket(state: PlayerState, day: int) -> list[int] | None:
    """The day's metric bucket, created on demand; None when older than the kept horizon."""
    days = state.days
    bucket = days.get(day)
    if bucket is not None:
        return bucket
    newest = max(days) if days else day
    if day < newest - KEEP_DAYS:
        return None
    bucket = days[day] = [0] * (METRICS + 1)
    if day > newest:
        cutoff = day - KEEP_DAYS
        for old in [d for d in days if d < cutoff]:
            del days[old]
        for key in [k for k in state.cats if k // N_CATS < cutoff]:
            del state.cats[key]
        if state.wallet_days:
            _prune_wallet_days(state, cutoff)
    return bucket


def _prune_wallet_days(state: PlayerState, cutoff: int) -> None:
    for old in [d for d in state.wallet_days if d < cutoff]:
        del state.wallet_days[old]


def _wallet_add(state: PlayerState, day: int, count_slot: int, sum_slot: int, minor: int) -> None:
    """Count one ledger fact and add its amount, lifetime and in its day (kept on the same
    horizon as the play buckets: older days fold into lifetime only)."""
    life = state.wallet_life
    if not life:
        life.extend([0] * WALLET_METRICS)
    life[count_slot] += 1
    life[sum_slot] += minor
    bucket = state.wallet_days.get(day)
    if bucket is None:
        newest = max(max(state.days, default=day), max(state.wallet_days, default=day))
        if day < newest - KEEP_DAYS:
            return
        _prune_wallet_days(state, newest - KEEP_DAYS)
        bucket = state.wallet_days[day] = [0] * WALLET_METRICS
    bucket[count_slot] += 1
    bucket[sum_slot] += minor


def _add(state: PlayerState, day: int, slot: int, value: int) -> None:
    state.life[slot] += value
    bucket = _bucket(state, day)
    if bucket is not None:
        bucket[slot] += value


def _add_cat(state: PlayerState, day: int, cat: int, slot: int, value: int) -> None:
    state.life_cats[cat * 3 + slot] += value
    if day in state.days:  # only days still kept
        key = day * N_CATS + cat
        bucket = state.cats.get(key)
        if bucket is None:
            bucket = state.cats[key] = [0, 0, 0]
        bucket[slot] += value


def _money(state: PlayerState, amount: str, currency: str) -> int | None:
    """Minor units in the player's wallet currency, or None for a foreign-currency event
    (`apply` has converted those it had a rate for)."""
    if state.currency is None:
        state.currency = currency
    if currency != state.currency:
        state.foreign_currency_events += 1
        return None
    return to_minor(amount, currency)


def _activity(state: PlayerState, at_us: int, config: FeatureConfig, facts: list[str]) -> None:
    """Activity (an approved deposit, a bet, a session start) keeps the latest return after a
    lapse: an activity at least lapsed_days after the one before it by occurred_at."""
    previous, first = state.last_activity_us, state.first_activity_us
    lapse = config.lifecycle.lapsed_days * DAY_US
    if previous is None or at_us >= previous:
        if previous is not None and at_us - previous >= lapse:
            state.reactivated_us = at_us
            facts.append(REACTIVATED)
        state.last_activity_us = at_us
    elif first is not None and at_us < first:
        # Before every known activity: the first one becomes a return if the gap is a lapse.
        if first - at_us >= lapse and (state.reactivated_us is None or state.reactivated_us < first):
            state.reactivated_us = first
    elif first is None or (at_us != first and not _inside_busy_stretch(state, at_us, lapse)):
        facts.append(REBUILD)  # a late activity that may open or close a lapse: refold in time order
    if first is None or at_us < first:
        state.first_activity_us = at_us
    bucket = state.days.get(at_us // DAY_US)
    if bucket is not None and (not bucket[FIRST_ACTIVITY] or at_us < bucket[FIRST_ACTIVITY]):
        bucket[FIRST_ACTIVITY] = at_us


def _inside_busy_stretch(state: PlayerState, at_us: int, lapse: int) -> bool:
    """Whether a late activity at `at_us` provably changes no return after a lapse: from a
    known activity before it to the next one after it is less than a lapse (bounds from the
    days' first activity times, so an answer of False may be a false alarm, never a miss)."""
    before = state.first_activity_us or 0        # a lower bound of the activity just before
    after = state.last_activity_us or 0          # an upper bound of the activity just after
    for bucket in state.days.values():
        first = bucket[FIRST_ACTIVITY]
        if not first:
            continue
        if before < first < at_us:
            before = first
        elif at_us < first < after:
            after = first
    return after - before < lapse


def _report_balance(state: PlayerState, event: Reported, at_us: int) -> None:
    balance = event.balance
    if balance is not None and (state.balance_at_us is None or at_us > state.balance_at_us or (
            at_us == state.balance_at_us and _key(balance) < _key(state.balance))):
        state.balance = balance
        state.balance_at_us = at_us
    bonus = event.bonus_balance
    if bonus is not None and _takes_over(state, "bonus_balance", at_us, bonus, state.bonus_balance):
        state.bonus_balance = bonus
        state.stamps["bonus_balance"] = at_us


def _key(value: object) -> tuple[str, str]:
    """Orders two values written at the same microsecond: the smaller is kept (so a consent
    withdrawn and granted at once stays withdrawn)."""
    return type(value).__name__, str(value)


def _takes_over(state: PlayerState, key: str, at_us: int, value: object, current: object) -> bool:
    """Last writer by occurred_at: whether `value`, written at `at_us`, replaces `current`.
    A value without a stamp of its own was written by the earliest registration."""
    if current is None:
        return True
    stamp = state.stamps.get(key, state.registered_us)
    if stamp is None:
        return True
    return at_us > stamp or (at_us == stamp and _key(value) < _key(current))


def remember(recent: list, item) -> None:  # noqa: ANN001
    """Keep the newest RECENT_TIMES items of an ascending list (late items slot in place)."""
    if not recent or item >= recent[-1]:
        recent.append(item)
    else:
        bisect.insort(recent, item)
    if len(recent) > RECENT_TIMES:
        del recent[0]


def _later(current: int | None, at_us: int) -> bool:
    return current is None or at_us >= current


def _registered(state: PlayerState, e: PlayerRegistered, at_us: int, day: int,
                config: FeatureConfig, facts: list[str]) -> None:
    """The earliest registration (by occurred_at) is the registration; its values are stamped
    by `registered_us`. A later one changes the profile like an update at its own time."""
    had_events = state.event_count > 1
    earliest = state.registered_us is None or at_us < state.registered_us
    if earliest and state.registered_us is not None:  # the values in force keep their own time
        for name in state.profile:
            state.stamps.setdefault(name, state.registered_us)
        for channel in state.consents:
            state.stamps.setdefault("consent:" + channel, state.registered_us)
    elif not earliest:
        _zone_written(state, e.timezone, at_us, facts)
    if earliest and e.timezone and "zone_at" in state.stamps:
        state.stamps["zone_at"] = max(state.stamps["zone_at"], at_us)
    consents = {"email": e.consents.email, "sms": e.consents.sms, "push": e.consents.push}
    for name in _PROFILE_FIELDS:
        _write(state, name, state.profile, name, getattr(e, name), at_us, earliest)
    for channel, granted in consents.items():
        _write(state, "consent:" + channel, state.consents, channel, granted, at_us, earliest)
    if earliest:
        state.registered_us = at_us
        state.stamps.pop("currency", None)
        if state.currency is None or not had_events:
            state.currency = e.currency
    state.registered = True
    if e.device_id and e.device_id not in state.devices:
        state.devices.append(e.device_id)
        del state.devices[:-10]
    facts.append(REGISTERED)
    if had_events:  # play was folded before we knew the time zone and currency
        facts.append(REBUILD)


def _write(state: PlayerState, key: str, values: dict, name: str, value: object, at_us: int,
           by_registration: bool = False) -> None:
    """Write `value` into values[name] if it is the latest by occurred_at; stamp it unless
    the earliest registration wrote it (`registered_us` is its stamp)."""
    if value is None or not _takes_over(state, key, at_us, value, values.get(name)):
        return
    values[name] = value
    if by_registration:
        state.stamps.pop(key, None)
    else:
        state.stamps[key] = at_us


def _zone_written(state: PlayerState, zone: str | None, at_us: int, facts: list[str]) -> None:
    """A time zone written at `at_us` (other than by the earliest registration) changes the
    local hour of bets after it: when bets after it were folded already, refold in
    occurred_at order. "zone_at" keeps the latest time a zone was written, the registration's
    included, once the zone has been written by more than the registration: a bet before
    it arriving late refolds too (see `_stake`)."""
    if zone is None:
        return
    if state.last_bet_us is not None and at_us <= state.last_bet_us and (
            zone != state.profile.get("timezone") or "zone_at" in state.stamps):
        facts.append(REBUILD)
    state.stamps["zone_at"] = max(at_us, state.stamps.get("zone_at", at_us), state.registered_us or at_us)


def _updated(state: PlayerState, e: PlayerUpdated, at_us: int, day: int,
             config: FeatureConfig, facts: list[str]) -> None:
    _zone_written(state, e.timezone, at_us, facts)
    for name in _PROFILE_FIELDS:
        _write(state, name, state.profile, name, getattr(e, name, None), at_us)


def _consent(state: PlayerState, e: ConsentChanged, at_us: int, day: int,
             config: FeatureConfig, facts: list[str]) -> None:
    _write(state, "consent:" + e.channel, state.consents, e.channel, e.granted, at_us)


def _login(state: PlayerState, e: PlayerLogin, at_us: int, day: int,
           config: FeatureConfig, facts: list[str]) -> None:
    if not e.success:
        state.failed_logins += 1
        return
    _add(state, day, LOGIN_N, 1)
    if _later(state.last_login_us, at_us):
        state.last_login_us = at_us
    if e.device_id and e.device_id not in state.devices:
        state.devices.append(e.device_id)
        del state.devices[:-10]


def _kyc(state: PlayerState, e: KycStatusChanged, at_us: int, day: int,
         config: FeatureConfig, facts: list[str]) -> None:
    if _takes_over(state, "kyc_status", at_us, e.status, state.kyc_status):
        state.kyc_status, state.stamps["kyc_status"] = e.status, at_us
    if e.level and _takes_over(state, "kyc_level", at_us, e.level, state.kyc_level):
        state.kyc_level, state.stamps["kyc_level"] = e.level, at_us


def _deposit(state: PlayerState, e: Deposit, at_us: int, day: int,
             config: FeatureConfig, facts: list[str]) -> None:
    _report_balance(state, e, at_us)
    if e.status in ("declined", "failed"):
        _add(state, day, DEP_DECLINED_N, 1)
        facts.append(DEPOSIT_DECLINED)
        return
    if e.status != "approved" or e.transaction_id in state.approved_deposits:
        return  # one transaction counts once, however often its approval is reported
    minor = _money(state, e.amount, e.currency)
    if minor is None:
        return
    state.approved_deposits.append(e.transaction_id)
    del state.approved_deposits[:-RECENT_BETS]
    _add(state, day, DEP_N, 1)
    _add(state, day, DEP_SUM, minor)
    if state.first_deposit_us is None or (at_us, minor) < (state.first_deposit_us, state.first_deposit_minor):
        if state.first_deposit_us is None:
            facts.append(FIRST_DEPOSIT)
        state.first_deposit_us, state.first_deposit_minor = at_us, minor
    if state.last_deposit_us is None or (at_us, minor) >= (state.last_deposit_us, state.last_deposit_minor):
        state.last_deposit_us, state.last_deposit_minor = at_us, minor
    remember(state.recent_deposits, [at_us, minor])
    facts.append(DEPOSIT)
    _activity(state, at_us, config, facts)


def _withdrawal(state: PlayerState, e: Withdrawal, at_us: int, day: int,
                config: FeatureConfig, facts: list[str]) -> None:
    _report_balance(state, e, at_us)
    minor = _money(state, e.amount, e.currency)
    if minor is None:
        return
    known = state.withdrawals.get(e.transaction_id)
    if e.status == "approved" and (known is None or known[0] != "approved"):
        if state.last_withdrawal_us is None or (at_us, minor) >= (state.last_withdrawal_us,
                                                                   state.last_withdrawal_minor):
            state.last_withdrawal_us, state.last_withdrawal_minor = at_us, minor
        if known is not None and known[0] in ("cancelled", "reversed"):
            return  # its cancellation arrived first: the payout never stood
        _add(state, day, WD_N, 1)
        _add(state, day, WD_SUM, minor)
        state.withdrawals[e.transaction_id] = ["approved", day, minor]
    elif e.status in ("cancelled", "reversed"):
        _add(state, day, WD_CANCELLED_N, 1)
        if known is None or known[0] not in ("cancelled", "reversed"):  # RG evidence once per withdrawal
            facts.append(WITHDRAWAL_CANCELLED)
        if known is not None and known[0] == "approved":  # money came back: undo the payout
            _add(state, known[1], WD_N, -1)
            _add(state, known[1], WD_SUM, -known[2])
        state.withdrawals[e.transaction_id] = [e.status, day, minor]
    else:
        state.withdrawals.setdefault(e.transaction_id, [e.status, day, minor])
    if len(state.withdrawals) > PENDING_LIMIT:
        del state.withdrawals[next(iter(state.withdrawals))]


def _chargeback(state: PlayerState, e: Chargeback, at_us: int, day: int,
                config: FeatureConfig, facts: list[str]) -> None:
    minor = _money(state, e.amount, e.currency)
    if minor is not None:
        _add(state, day, CHARGEBACK_N, 1)
        _add(state, day, CHARGEBACK_SUM, minor)


def _bonus_credited(state: PlayerState, e: BonusCredited, at_us: int, day: int,
                    config: FeatureConfig, facts: list[str]) -> None:
    minor = _money(state, e.amount, e.currency)
    if minor is None:
        return
    _wallet_add(state, day, BONUS_N, BONUS_SUM, minor)
    if _later(state.last_bonus_us, at_us):
        state.last_bonus_us = at_us


def _bonus_converted(state: PlayerState, e: BonusConverted, at_us: int, day: int,
                     config: FeatureConfig, facts: list[str]) -> None:
    minor = _money(state, e.amount, e.currency)
    if minor is not None:
        _wallet_add(state, day, CONV_N, CONV_SUM, minor)


def _wallet_adjusted(state: PlayerState, e: WalletAdjusted, at_us: int, day: int,
                     config: FeatureConfig, facts: list[str]) -> None:
    minor = _money(state, e.amount, e.currency)
    if minor is not None:
        _wallet_add(state, day, ADJ_N, ADJ_IN if e.direction == "credit" else ADJ_OUT, minor)


def _session_started(state: PlayerState, e: SessionStarted, at_us: int, day: int,
                     config: FeatureConfig, facts: list[str]) -> None:
    _add(state, day, SESS_N, 1)
    if _later(state.last_session_us, at_us):
        state.last_session_us = at_us
    _activity(state, at_us, config, facts)
    early_end = state.sessions.pop(e.session_id, None)
    if early_end is not None and early_end.started_us < 0:  # its end arrived first
        _close_session(state, day, at_us, -early_end.started_us, 0, config)
    else:
        state.sessions[e.session_id] = OpenSession(at_us)


def _session_ended(state: PlayerState, e: SessionEnded, at_us: int, day: int,
                   config: FeatureConfig, facts: list[str]) -> None:
    session = state.sessions.pop(e.session_id, None)
    if session is None:
        state.sessions[e.session_id] = OpenSession(-at_us)  # remember until the start arrives
        return
    start_day = session.started_us // DAY_US
    _close_session(state, start_day, session.started_us, at_us, session.losing_streak, config)
    ended = state.rg.ended_run
    if not ended or at_us >= ended[0]:  # for re-deposits after a losing run (protection.markers)
        state.rg.ended_run = [at_us, session.losing_streak]


def _close_session(state: PlayerState, start_day: int, start_us: int, end_us: int,
                   losing_streak: int, config: FeatureConfig) -> None:
    seconds = max(0, (end_us - start_us) // 1_000_000)
    _add(state, start_day, SESS_SECONDS, seconds)
    _remember_session(state, end_us, seconds)
    state.sessions_ended += 1
    if losing_streak >= config.losing_run_bets:
        state.sessions_after_losing_run += 1


def _remember_session(state: PlayerState, end_us: int, seconds: int) -> None:
    """Keep the RECENT_SESSIONS latest ended sessions by (end time, duration): a late session
    slots in place, and one older than every kept one when the list is full is left out, as
    it would have been had it arrived in time."""
    ends, durations = state.session_ends, state.session_durations
    i = bisect.bisect_right(ends, end_us)
    while i > 0 and ends[i - 1] == end_us and durations[i - 1] > seconds:
        i -= 1
    if i == 0 and len(ends) >= RECENT_SESSIONS:
        return
    ends.insert(i, end_us)
    durations.insert(i, seconds)
    if len(ends) > RECENT_SESSIONS:
        del ends[0], durations[0]


def _stake(state: PlayerState, cat: int, amount: str, bonus: str, currency: str,
           at_us: int, day: int, config: FeatureConfig, facts: list[str]) -> int | None:
    """The hot path (most events are bets): the bucket is fetched once and updated inline."""
    minor = _money(state, amount, currency)
    if minor is None:
        return None
    bonus_minor = to_minor(bonus, currency) if bonus != "0" else 0
    if state.stamps and at_us <= state.stamps.get("zone_at", -1):
        facts.append(REBUILD)  # a bet from before the player's latest time-zone change
    hour = local_hour(state, at_us)
    late = is_late_night(hour, config)
    for vector in (state.life, _bucket(state, day)):
        if vector is None:  # older than the kept horizon: lifetime only
            continue
        vector[BET_N] += 1
        vector[STAKE] += minor
        if bonus_minor:
            vector[BONUS_STAKE] += bonus_minor
        if late:
            vector[LATE_BET_N] += 1
    base = cat * 3
    state.life_cats[base + C_BETS] += 1
    state.life_cats[base + C_STAKE] += minor
    if day in state.days:
        key = day * N_CATS + cat
        bucket = state.cats.get(key)
        if bucket is None:
            bucket = state.cats[key] = [0, 0, 0]
        bucket[C_BETS] += 1
        bucket[C_STAKE] += minor
    state.hours[hour] += 1
    rg = state.rg
    moments = rg.stakes.get(day)  # per-day stake moments for the RG stake-variability marker
    if moments is not None:
        moments[0] += 1
        moments[1] += minor
        moments[2] += minor * minor
    else:
        rg.stakes[day] = [1, minor, minor * minor]
        facts.append(RG_DAY)  # the day's first bet: the RG play detectors are due
    if rg.restake_due and state.life[STAKE] >= rg.restake_due:
        _restaked(state, at_us, facts)  # a cancelled or reversed withdrawal's money is staked again
    if state.last_bet_us is None or at_us >= state.last_bet_us:
        state.last_bet_us = at_us
    last_days = state.last_cat_bet_day
    if not last_days:
        last_days.extend([-1] * N_CATS)
    if day > last_days[cat]:
        last_days[cat] = day
    remember(state.recent_bet_us, at_us)
    _activity(state, at_us, config, facts)
    return minor


def _casino_bet(state: PlayerState, e: CasinoBet, at_us: int, day: int,
                config: FeatureConfig, facts: list[str], rules: RulesInForce | None = None) -> None:
    _report_balance(state, e, at_us)
    cat = CATEGORY_INDEX[e.game_category]
    bet_seen(state, e)  # its wins belong to its category, even when the bet is in another currency
    minor = _stake(state, cat, e.amount, e.bonus_amount, e.currency, at_us, day, config, facts)
    if minor is not None:
        chase_bet(state, e, minor, at_us, day, facts, rules)


def chase_bet(state: PlayerState, e: CasinoBet, minor: int, at_us: int, day: int, facts: list[str],
              rules: RulesInForce | None, played: bool = True) -> None:
    """The bet in its play sequence (its session's, else the player's bets without one), for
    stake chasing. Also for a bet a rollback undid (`played` False: not in the losing run):
    what the player did and saw stays in the sequence, so an undo leaves the chase counts alone
    and a refold (which folds the undone bet here too) gives the same ones."""
    if e.session_id is not None:
        session = state.sessions.get(e.session_id)
        if session is not None and session.started_us >= 0:
            if played:
                session.losing_streak += 1
            # Stake chasing: this bet against the session's last one, if that one lost.
            prev = session.last_stake
            if prev and session.last_won < prev:
                rec = state.rg.chase.get(day)
                if rec is not None and minor <= prev:  # no raise: only counted as a bet after a loss
                    rec[0] += 1
                    session.chain = 0
                else:
                    chain = session.chain = _chase(state, session.chain, session.chain_from, prev, minor, day,
                                                   facts, rules)
                    if chain == 1:
                        session.chain_from = prev
            elif session.chain:
                session.chain = 0
            session.last_stake, session.last_won, session.last_bet = minor, 0, e.bet_id
            return
    _loose_bet(state, e.bet_id, minor, at_us, day, facts, rules)


# --- stake chasing within play (protection.chasing reads what these count) -------------------
RG_CHASE = "rg_chase"      # a chase step was counted: the stake-chasing detector is due
RG_RESTAKE = "rg_restake"  # a cancelled or reversed withdrawal's money was staked again
_MINUTE_US = 60_000_000
CHASE_DAYS = 32            # days of chase counts kept (the detector's longest window is 30)
_DEFAULT_MARKERS: list = []


def _markers_in_force(state: PlayerState, rules: RulesInForce | None):  # noqa: ANN202
    """The player's detector thresholds (protection.markers.thresholds), looked up only when
    a bet needs one: after a lost bet."""
    if rules is not None:
        found = rules.of(state.profile.get("jurisdiction")).rg.markers
        if found is not None:
            return found
    if not _DEFAULT_MARKERS:
        from croupier.compliance.rules import MarkerConfig
        _DEFAULT_MARKERS.append(MarkerConfig())
    return _DEFAULT_MARKERS[0]


def _chase(state: PlayerState, chain: int, chain_from: int, prev: int, minor: int, day: int,
           facts: list[str], rules: RulesInForce | None, sports: int = 0) -> int:
    """Count a bet placed right after a lost one of `prev`; return its chain (the chase steps
    in a row ending at it, 0 when it is no step). A step: a stake of at least
    MarkerConfig.stake_chase_pct % of the lost one."""
    step = minor > prev and 100 * minor >= _markers_in_force(state, rules).stake_chase_pct * prev
    days = state.rg.chase
    rec = days.get(day)
    if rec is None:
        rec = days[day] = [0, 0, 0, 0, 0, 0, 0, 0]
        if len(days) > CHASE_DAYS:
            for old in sorted(days)[: len(days) - CHASE_DAYS]:
                del days[old]
    rec[0] += 1
    if not step:
        return 0
    chain += 1
    if chain == 1:
        chain_from = prev
    rec[1] += 1
    rec[7] += sports
    if chain > rec[2]:
        rec[2], rec[3], rec[4] = chain, chain_from, minor
    if not rec[5] or minor * rec[5] > rec[6] * prev:
        rec[5], rec[6] = prev, minor
    facts.append(RG_CHASE)
    return chain


def _loose_bet(state: PlayerState, bet_id: str, minor: int, at_us: int, day: int, facts: list[str],
               rules: RulesInForce | None) -> None:
    """A bet outside an open session: the player's last such bet is its play sequence while
    it came within MarkerConfig.stake_chase_gap_minutes. A late bet (before the last) is left out."""
    t = state.rg.loose
    if not t:
        state.rg.loose = [at_us, minor, 0, bet_id, 0, 0, 1]
        return
    if at_us < t[0]:
        return
    chain = 0
    prev = t[1]
    if t[2] < prev and at_us - t[0] <= _markers_in_force(state, rules).stake_chase_gap_minutes * _MINUTE_US:
        chain = _chase(state, t[4], t[5], prev, minor, day, facts, rules)
        if chain == 1:
            t[5] = prev
    t[0], t[1], t[2], t[3], t[4] = at_us, minor, 0, bet_id, chain
    t[6] += 1


def _restaked(state: PlayerState, at_us: int, facts: list[str]) -> None:
    """Lifetime stakes reached a reversed withdrawal's mark: its money is in play again."""
    rg, staked = state.rg, state.life[STAKE]
    due = 0
    for r in rg.reversals:
        if not r[4]:
            if staked >= r[3] + r[1]:
                r[4] = at_us
            elif not due or r[3] + r[1] < due:
                due = r[3] + r[1]
    rg.restake_due = due
    facts.append(RG_RESTAKE)


def bet_seen(state: PlayerState, e: CasinoBet) -> None:
    """Remember a casino bet's game category for its wins; wins that arrived before it move
    to its category (from "other" or its game's), as if it had arrived first."""
    cat = CATEGORY_INDEX[e.game_category]
    state.recent_bets[e.bet_id] = cat
    if len(state.recent_bets) > RECENT_BETS:
        del state.recent_bets[next(iter(state.recent_bets))]
    if e.game_id is not None and state.games.get(e.game_id) != cat:
        state.games[e.game_id] = cat
        if len(state.games) > RECENT_GAMES:
            del state.games[next(iter(state.games))]
    wins = state.orphan_wins.pop(e.bet_id, None) if state.orphan_wins else None
    for i in range(0, len(wins or ()), 3):
        day, minor, old = wins[i:i + 3]  # type: ignore[index]
        if old != cat:
            _add_cat(state, day, old, C_WIN, -minor)
            _add_cat(state, day, cat, C_WIN, minor)


def _casino_win(state: PlayerState, e: CasinoWin, at_us: int, day: int,
                config: FeatureConfig, facts: list[str]) -> None:
    _report_balance(state, e, at_us)
    minor = _money(state, e.amount, e.currency)
    if not minor:
        return
    _add(state, day, WIN, minor)
    cat = win_category(state, e)
    _add_cat(state, day, cat, C_WIN, minor)
    if e.bet_id not in state.recent_bets:  # its bet has not arrived (yet): move the win when it does
        state.orphan_wins.setdefault(e.bet_id, []).extend((day, minor, cat))
        if len(state.orphan_wins) > RECENT_BETS:
            del state.orphan_wins[next(iter(state.orphan_wins))]
    for session in state.sessions.values():  # a win ends the losing run
        if session.started_us >= 0:
            session.streak_before_reset, session.losing_streak = session.losing_streak, 0
            session.reset_seq = state.last_seq
    chase_win(state, e, minor)


def chase_win(state: PlayerState, e: CasinoWin, minor: int) -> None:
    """A win on the last bet of its play sequence: that bet did not lose (stake chasing);
    any win ends the losing run of the bets without a session. Also for undone wins (chase_bet)."""
    for session in state.sessions.values():
        if session.last_bet == e.bet_id and session.started_us >= 0:
            session.last_won += minor
    loose = state.rg.loose
    if loose:
        loose[6] = 0
        if loose[3] == e.bet_id:
            loose[2] += minor


def win_category(state: PlayerState, e: CasinoWin) -> int:
    """The game category a win belongs to: its bet's, else its game's, else "other"."""
    cat = state.recent_bets.get(e.bet_id)
    if cat is None and e.game_id is not None:
        cat = state.games.get(e.game_id)
    return CATEGORY_INDEX["other"] if cat is None else cat


def _sports_placed(state: PlayerState, e: SportsBetPlaced, at_us: int, day: int,
                   config: FeatureConfig, facts: list[str], rules: RulesInForce | None = None) -> None:
    _report_balance(state, e, at_us)
    minor = _stake(state, _SPORTS, e.amount, e.bonus_amount, e.currency, at_us, day, config, facts)
    if minor is not None:
        early = state.open_sports.get(e.bet_id)
        if early is not None and early[0] < 0:  # settled before it was placed (see _sports_settled)
            del state.open_sports[e.bet_id]
            if early[0] == _VOID_REFUND_DUE:
                _add(state, early[1], WIN, minor)
                _add_cat(state, early[1], _SPORTS, C_WIN, minor)
            return
        loss = state.rg.sports_loss
        if loss and 0 <= at_us - loss[0] <= _markers_in_force(state, rules).stake_chase_sports_minutes * _MINUTE_US:
            # The first bet after a settled losing bet: a chase step at >= stake_chase_pct of it.
            chain = _chase(state, loss[2], loss[3], loss[1], minor, day, facts, rules, 1)
            state.open_sports[e.bet_id] = [minor, day, chain, (loss[3] if chain > 1 else loss[1]) if chain else 0]
            state.rg.sports_loss = []
        else:
            state.open_sports[e.bet_id] = [minor, day]
        if len(state.open_sports) > PENDING_LIMIT:
            del state.open_sports[next(iter(state.open_sports))]


# Markers in open_sports for a settlement that arrived before its bet: [marker, settle day].
_SETTLED_EARLY, _VOID_REFUND_DUE = -1, -2


def _sports_settled(state: PlayerState, e: SportsBetSettled, at_us: int, day: int,
                    config: FeatureConfig, facts: list[str]) -> None:
    _report_balance(state, e, at_us)
    placed = state.open_sports.pop(e.bet_id, None)
    currency = e.currency or state.currency
    if currency is not None:
        payout = _money(state, e.payout, currency)
        if payout is None:
            return
    elif any(digit in e.payout for digit in "123456789"):
        return  # a payout in a currency not known yet
    else:
        payout = 0  # a lost or void bet needs no currency
    if placed is not None and placed[0] < 0:
        placed = None  # a second settlement of a bet not placed yet
    if placed is None and e.bet_id not in state.open_sports:
        # Not placed yet (out of order): remember, so the placement neither stays "open" nor
        # loses the refund a void settlement owes it.
        refund_due = e.outcome == "void" and payout == 0
        state.open_sports[e.bet_id] = [_VOID_REFUND_DUE if refund_due else _SETTLED_EARLY, day]
        if len(state.open_sports) > PENDING_LIMIT:
            del state.open_sports[next(iter(state.open_sports))]
    if e.outcome == "void" and payout == 0 and placed is not None:
        payout = placed[0]  # a void bet refunds the stake
    if placed is not None and e.outcome in ("lost", "cashout") and payout < placed[0]:
        loss = state.rg.sports_loss  # the latest settled losing bet, for stake chasing
        if not loss or at_us >= loss[0]:
            state.rg.sports_loss = [at_us, placed[0], *(placed[2:4] if len(placed) > 2 else (0, 0))]
    if payout:
        _add(state, day, WIN, payout)
        _add_cat(state, day, _SPORTS, C_WIN, payout)


def _limit(state: PlayerState, e: LimitChanged, at_us: int, day: int,
           config: FeatureConfig, facts: list[str]) -> None:
    state.limit_changes += 1


def _exclusion(state: PlayerState, e: ExclusionRequested, at_us: int, day: int,
               config: FeatureConfig, facts: list[str]) -> None:
    state.exclusion_requests += 1


def _support(state: PlayerState, e: SupportMessage, at_us: int, day: int,
             config: FeatureConfig, facts: list[str]) -> None:
    state.support_messages += 1


def _ignore(state: PlayerState, e: Event, at_us: int, day: int,
            config: FeatureConfig, facts: list[str]) -> None:
    """Events that change no player feature (e.g. logout, message feedback)."""


def _limit_set(state: PlayerState, e: LimitSet, at_us: int, day: int,
               config: FeatureConfig, facts: list[str]) -> None:
    protection.fold_limit(state.protection, e, at_us, micros(e.effective_at))


def _exclusion_started(state: PlayerState, e: ExclusionStarted, at_us: int, day: int,
                       config: FeatureConfig, facts: list[str]) -> None:
    protection.fold_exclusion(state.protection, e, at_us, micros(e.until) if e.until else None)
    facts.append(EXCLUDED)


def _exclusion_ended(state: PlayerState, e: ExclusionEnded, at_us: int, day: int,
                     config: FeatureConfig, facts: list[str]) -> None:
    protection.fold_exclusion_end(state.protection, e)


def _person_linked(state: PlayerState, e: PersonLinked, at_us: int, day: int,
                   config: FeatureConfig, facts: list[str]) -> None:
    protection.fold_person(state.protection, e)


def _rg_reviewed(state: PlayerState, e: RgReviewed, at_us: int, day: int,
                 config: FeatureConfig, facts: list[str]) -> None:
    protection.fold_review(state.protection, at_us, e.lift_hard_stop)


def _aml_status(state: PlayerState, e: AmlStatusChanged, at_us: int, day: int,
                config: FeatureConfig, facts: list[str]) -> None:
    protection.fold_aml(state.protection, e, at_us)


def _register_screened(state: PlayerState, e: RegisterScreened, at_us: int, day: int,
                       config: FeatureConfig, facts: list[str]) -> None:
    released = protection.fold_register_screened(state.protection, e, micros(e.checked_at))
    if state.registered:
        facts.extend(RELEASED + fact for fact in released)


def _reality_check(state: PlayerState, e: RealityCheck, at_us: int, day: int,
                   config: FeatureConfig, facts: list[str]) -> None:
    protection.fold_reality_check(state.protection, e)


def _rollback(state: PlayerState, e: Rollback, at_us: int, day: int,
              config: FeatureConfig, facts: list[str]) -> None:
    if e.ref_event_id not in state.rolled_back:  # a repeated rollback changes nothing
        state.rolled_back.append(e.ref_event_id)
        facts.append(ROLLBACK)


_APPLY: dict[type, Callable[..., None]] = {
    PlayerRegistered: _registered, PlayerUpdated: _updated, ConsentChanged: _consent,
    PlayerLogin: _login, PlayerLogout: _ignore, KycStatusChanged: _kyc, Deposit: _deposit,
    Withdrawal: _withdrawal, Chargeback: _chargeback, SessionStarted: _session_started,
    SessionEnded: _session_ended, CasinoBet: _casino_bet, CasinoWin: _casino_win,
    SportsBetPlaced: _sports_placed, SportsBetSettled: _sports_settled, LimitChanged: _limit,
    ExclusionRequested: _exclusion, SupportMessage: _support, MessageFeedback: _ignore,
    Rollback: _rollback, LimitSet: _limit_set, ExclusionStarted: _exclusion_started,
    ExclusionEnded: _exclusion_ended, PersonLinked: _person_linked, RealityCheck: _reality_check,
    RgReviewed: _rg_reviewed, BonusCredited: _bonus_credited, BonusConverted: _bonus_converted,
    WalletAdjusted: _wallet_adjusted, AmlStatusChanged: _aml_status, RegisterScreened: _register_screened,
    # front-end signals move no money and no feature of play: journeys react to them (docs/journeys.md)
    **dict.fromkeys(FRONTEND_TYPES, _ignore),
    # segment membership is folded by the engine's step (segments.live), not here
    SegmentEntered: _ignore, SegmentLeft: _ignore, SegmentSweep: _ignore,
    # and journeys by the step's interpreter (journeys.run)
    JourneyTimer: _ignore, JourneyFired: _ignore, ContactDue: _ignore,
    # what the engine writes after a fold changed the stage or the RG level: facts for journeys
    StageChanged: _ignore, RgLevelChanged: _ignore,
}


def apply(state: PlayerState, event: Event, seq: int, config: FeatureConfig,
          at_us: int | None = None, rules: RulesInForce | None = None) -> list[str]:
    """Fold `event` (log position `seq`) into `state`; return the facts it produced.
    `at_us` is `micros(event.occurred_at)` when the caller has it already. `rules` are the
    jurisdiction rules of the configuration version in force at `seq`, which set the RG
    levels and interventions (None: the shipped presets)."""
    facts: list[str] = []
    if at_us is None:
        at_us = micros(event.occurred_at)
    state.event_count += 1
    state.last_seq = seq
    if state.first_event_us is None or at_us < state.first_event_us:
        state.first_event_us = at_us
    if state.last_event_us is None or at_us > state.last_event_us:
        state.last_event_us = at_us
    if not state.brand:
        state.brand = event.brand
    kind = type(event)
    if not state.registered and kind in MONEY_EVENTS:
        _unregistered_currency(state, event, at_us, facts)
    if state.rolled_back and event.event_id in state.rolled_back:
        state.unmatched_rollbacks = max(0, state.unmatched_rollbacks - 1)  # its rollback found it
        if event.__struct_config__.tag in ROLLBACKABLE:
            if kind is CasinoBet:  # a win on an undone bet still belongs to its game category
                bet_seen(state, event)  # type: ignore[arg-type]
            if kind is CasinoBet or kind is CasinoWin:
                undone_play(state, event, at_us, config, facts, rules)
            facts.append(SKIPPED)
            return facts
    if kind in MONEY_EVENTS and state.currency is not None and event.currency not in (None, state.currency):
        event = _in_player_currency(state, event, rules)
    if kind in _WITH_RULES:
        _APPLY[kind](state, event, at_us, at_us // DAY_US, config, facts, rules)
    else:
        _APPLY[kind](state, event, at_us, at_us // DAY_US, config, facts)
    if kind is PlayerRegistered:  # screened against the market's national register once stored
        register = (rules or _default_rules()).of(state.profile.get("jurisdiction")).exclusions.register
        protection.fold_registration_check(state.protection, register, at_us)
    elif facts and state.protection.register_check in _REGISTER_HOLDS:
        protection.hold_for_register(state.protection, facts, LIFECYCLE)
    if kind in _RG_EVENTS:
        _rg_observe(state, event, at_us, config, facts, rules)
    elif facts:
        due = _play_names(facts)
        if due:
            _rg_observe_play(state, event, at_us, config, facts, rules, due)
    return facts


def _in_player_currency(state: PlayerState, event: Event, rules: RulesInForce | None) -> Event:
    """The event converted at the rates of the version in force, or as it is (then counted
    in `foreign_currency_events`, not summed) when that version has no rate for it."""
    rates = (rules or _default_rules()).rates
    converted = in_currency(event, state.currency or "", rates)
    if converted is None:
        return event
    state.converted_currency_events += 1
    state.exchange_version = rates.version
    return converted


def _unregistered_currency(state: PlayerState, event: Event, at_us: int, facts: list[str]) -> None:
    """Until a registration names it, the wallet currency is that of the earliest money event
    by occurred_at (rolled back or not): an earlier one in another currency refolds."""
    currency = getattr(event, "currency", None)
    if currency is None:
        return
    if state.currency is None:
        state.currency = currency
        state.stamps["currency"] = at_us
    elif currency != state.currency and at_us <= state.stamps.get("currency", at_us):
        facts.append(REBUILD)


# RG risk markers (protection.markers) are part of the fold, so replay and refold reproduce
# them; imported on first use because the protection package depends on this one.
RG_DAY = "rg_day"
_REGISTER_HOLDS = frozenset({"pending", "unavailable", "not_configured"})
_RG_EVENTS = frozenset({Deposit, Withdrawal, SessionEnded, LimitChanged, LimitSet,
                        SupportMessage, ExclusionRequested, ExclusionStarted, RgReviewed})


_WITH_RULES = frozenset({CasinoBet, SportsBetPlaced})
_PLAY_FACTS = (RG_DAY, RG_CHASE, RG_RESTAKE)


def _play_names(facts: list[str]) -> tuple[str, ...]:
    """The facts of a bet that make RG detectors due, removed from `facts` (the day's first
    bet, a chase step, a re-stake; protection.markers.observe_play says which detectors)."""
    due: tuple[str, ...] = ()
    for fact in _PLAY_FACTS:
        if fact in facts:
            while fact in facts:
                facts.remove(fact)
            due += (fact,)
    return due


def undone_play(state: PlayerState, e: CasinoBet | CasinoWin, at_us: int, config: FeatureConfig,
                facts: list[str], rules: RulesInForce | None) -> None:
    """A casino bet or win a rollback undid, in its play sequence for stake chasing (see
    chase_bet), with the detector it makes due, exactly as when it was folded before its rollback."""
    if e.currency != state.currency:
        return  # foreign money: an undo of it refolds, and the refold leaves it out
    minor = to_minor(e.amount, e.currency)
    if isinstance(e, CasinoWin):
        if minor:
            chase_win(state, e, minor)
        return
    chase_bet(state, e, minor, at_us, at_us // DAY_US, facts, rules, played=False)
    if RG_CHASE in facts:
        while RG_CHASE in facts:
            facts.remove(RG_CHASE)
        _rg_observe_play(state, e, at_us, config, facts, rules, (RG_CHASE,))


def _default_rules() -> RulesInForce:
    from croupier.compliance.rules import default_rules
    return default_rules()


def _rg_observe(*args) -> None:  # noqa: ANN002
    global _rg_observe, _rg_observe_play
    from croupier.protection.markers import observe, observe_play
    _rg_observe, _rg_observe_play = observe, observe_play
    observe(*args)


def _rg_observe_play(*args) -> None:  # noqa: ANN002
    global _rg_observe, _rg_observe_play
    from croupier.protection.markers import observe, observe_play
    _rg_observe, _rg_observe_play = observe, observe_play
    observe_play(*args)


def rebuild(player_id: str, events: Iterable[tuple[int, Event]], config: FeatureConfig,
            rules: RulesInForce | None = None, previous: PlayerState | None = None) -> PlayerState:
    """Refold a player's whole log in `occurred_at` order (equal times by event id), leaving
    out what rollbacks undid: the state an in-order delivery would have built.

    The earliest registration's time zone and currency are known up front, so play before
    the registration is attributed to the right local hours and wallet currency.
    What is not in the log but in `previous`, the state being replaced (the gate's count of
    promotional messages already let through today), carries over.
    """
    logged = list(events)
    timed = [(micros(e.occurred_at), e.event_id, seq, e) for seq, e in logged]
    ordered = sorted(timed, key=lambda item: (item[0], item[1]))
    undone = {e.ref_event_id for _, e in logged if isinstance(e, Rollback)}
    present = {e.event_id for _, e in logged}
    skipped = {e.event_id for _, e in logged
               if e.event_id in undone and e.__struct_config__.tag in ROLLBACKABLE}
    state = new_state(player_id)
    registration = next((e for _, _, _, e in ordered if isinstance(e, PlayerRegistered)), None)
    if registration is not None:
        if registration.timezone:
            state.profile["timezone"] = registration.timezone
        state.currency = registration.currency
    for at_us, _, seq, e in ordered:
        if e.event_id in skipped:
            if isinstance(e, CasinoBet):  # a win on an undone bet still belongs to its game category
                bet_seen(state, e)
            if isinstance(e, (CasinoBet, CasinoWin)):
                undone_play(state, e, at_us, config, [], rules)
            if not state.registered and type(e) in MONEY_EVENTS:
                _unregistered_currency(state, e, at_us, [])
            state.event_count += 1
            continue
        apply(state, e, seq, config, at_us, rules)
    state.last_seq = max((seq for seq, _ in logged), default=0)
    if [item[2] for item in ordered] != [item[2] for item in timed]:  # runs were counted in time order
        for session in state.sessions.values():
            session.reset_seq = -1
    state.rolled_back = sorted(undone)
    state.unmatched_rollbacks = len(undone - present)
    if state.last_event_us is not None:   # the stage the step keeps after each event (engine.changes)
        state.stage = lifecycle_stage(state, state.last_event_us, config.lifecycle)
    if previous is not None:
        protection.carry_gate_counts(previous.protection, state.protection)
        state.segments = previous.segments   # the step evaluates them again after a rebuild
        state.journeys, state.tags = previous.journeys, previous.tags   # folded by the step, not from the log
        state.contacts, state.held = previous.contacts, previous.held   # the same (engine.contacts)
    return state
