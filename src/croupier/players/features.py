"""The feature catalogue: every feature's name, type, window and definition, and the one
function that computes them all from a player's state as of a moment.

State is updated on every event; windows are evaluated at read time against UTC calendar
days of `occurred_at` (window "7d" = the as-of day and the six days before it), so late
events count in the day they happened.
"""

from __future__ import annotations

import statistics
from datetime import datetime, timezone
from dataclasses import asdict, dataclass
from typing import Any

from croupier.events import exponent, format_amount
from croupier.players.config import FeatureConfig
from croupier.players.lifecycle import lifecycle_stage
from croupier.players.state import (
    ADJ_IN, ADJ_N, ADJ_OUT, BET_N, BONUS_N, BONUS_STAKE, BONUS_SUM, C_BETS, C_STAKE, C_WIN, CATEGORIES,
    CHARGEBACK_N, CONV_N, CONV_SUM, DAY_US, DEP_DECLINED_N, DEP_N, DEP_SUM, LATE_BET_N, LOGIN_N, METRICS,
    N_CATS, SESS_N, SESS_SECONDS, STAKE, WALLET_METRICS, WD_CANCELLED_N, WD_N, WD_SUM, WIN, PlayerState,
)

WINDOWS: tuple[tuple[str, int | None], ...] = (("1d", 1), ("7d", 7), ("30d", 30), ("90d", 90),
                                              ("lifetime", None))


@dataclass(frozen=True)
class Feature:
    name: str
    type: str          # integer | money | ratio | seconds | minutes | days | timestamp | string
    window: str | None
    definition: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _catalogue() -> list[Feature]:
    out: list[Feature] = []
    per_window = [
        ("deposit_count", "integer", "approved deposits"),
        ("deposit_sum", "money", "sum of approved deposits"),
        ("deposit_avg", "money", "average approved deposit (null without deposits)"),
        ("deposit_declined_count", "integer", "deposits declined or failed"),
        ("withdrawal_count", "integer", "approved withdrawals, less those later cancelled or reversed"),
        ("withdrawal_sum", "money", "sum of approved withdrawals, less those later cancelled or reversed"),
        ("withdrawal_avg", "money", "average approved withdrawal (null without withdrawals)"),
        ("withdrawal_cancelled_count", "integer", "withdrawals cancelled or reversed (counted on the day of the cancellation)"),
        ("net_deposit", "money", "deposit_sum minus withdrawal_sum (may be negative)"),
        ("chargeback_count", "integer", "payment chargebacks"),
        ("bet_count", "integer", "casino bets and sports bets placed"),
        ("stake_sum", "money", "total stakes, cash and bonus funds"),
        ("bonus_stake_sum", "money", "part of the stakes paid with bonus funds"),
        ("win_sum", "money", "casino wins and sports payouts (void refunds included), on the day paid"),
        ("ggr", "money", "gross gaming revenue: stake_sum minus win_sum"),
        ("session_count", "integer", "sessions started"),
        ("session_mean_seconds", "seconds", "mean duration of the sessions started in the window that have ended"),
        ("login_count", "integer", "successful logins"),
        ("late_night_share", "ratio", "share of bets placed in the late-night hours of the player's local time (default 00:00-06:00)"),
        ("rtp", "ratio", "return to player: win_sum / stake_sum (null without stakes)"),
        ("bonus_credit_count", "integer", "bonus credits posted by the wallet (promotions)"),
        ("bonus_credit_sum", "money", "bonus funds credited by the wallet"),
        ("bonus_conversion_count", "integer", "bonus balances converted to cash (wagering met)"),
        ("bonus_conversion_sum", "money", "bonus funds converted to cash"),
        ("adjustment_count", "integer", "manual wallet adjustments by staff, credits and debits"),
        ("adjustment_net", "money", "manual adjustments: credits minus debits, cash and bonus (may be negative)"),
        ("inflow_sum", "money", "what deposit limits count: deposit_sum + bonus_credit_sum + adjustments that add funds"),
    ]
    for wname, _ in WINDOWS:
        for name, kind, text in per_window:
            out.append(Feature(f"{name}_{wname}", kind, wname, text))
        if wname != "lifetime":
            out.append(Feature(f"active_days_{wname}", "integer", wname,
                               "days with a bet, an approved deposit, a session or a login"))
        for cat in CATEGORIES:
            out.append(Feature(f"bet_count_{cat}_{wname}", "integer", wname, f"bets in category {cat}"))
            out.append(Feature(f"stake_{cat}_{wname}", "money", wname, f"stakes in category {cat}"))
            out.append(Feature(f"win_{cat}_{wname}", "money", wname, f"wins in category {cat}"))
            out.append(Feature(f"ggr_{cat}_{wname}", "money", wname, f"stakes minus wins in category {cat}"))
        out.append(Feature(f"favourite_category_{wname}", "string", wname,
                           "game category with the largest stake (sports counts as a category)"))
    scalars = [
        ("currency", "string", "the player's wallet currency; every money feature is in it"),
        ("registered_at", "timestamp", "time of player.registered (null: events arrived before registration)"),
        ("first_deposit_at", "timestamp", "time of the first approved deposit"),
        ("first_deposit_amount", "money", "amount of the first approved deposit"),
        ("last_deposit_at", "timestamp", "time of the latest approved deposit"),
        ("last_deposit_amount", "money", "amount of the latest approved deposit"),
        ("last_withdrawal_at", "timestamp", "time of the latest approved withdrawal"),
        ("last_withdrawal_amount", "money", "amount of the latest approved withdrawal"),
        ("days_since_registration", "days", "whole days since registration"),
        ("days_since_first_deposit", "days", "whole days since the first deposit"),
        ("days_since_last_login", "days", "whole days since the latest successful login"),
        ("days_since_last_bet", "days", "whole days since the latest bet (elapsed 24-hour periods since its occurred_at)"),
        *((f"days_since_last_bet_{cat}", "days",
           f"UTC calendar days from the day of the latest bet in category {cat} (by occurred_at, rolled-back "
           f"bets left out) to the as-of day: 0 the same day, 1 the day after (null: never bet in {cat})")
          for cat in CATEGORIES),
        ("days_since_last_deposit", "days", "whole days since the latest approved deposit"),
        ("session_median_seconds", "seconds", "median duration of the 100 sessions that ended last (by the end's occurred_at)"),
        ("session_last5_mean_seconds", "seconds", "mean duration of the 5 sessions that ended last (by the end's occurred_at; equal end times: the longer counts as later)"),
        ("session_minutes_avg_last5", "minutes", "mean duration in minutes, 2 decimals, of the 5 sessions that ended last "
         "(fewer if fewer; null: none ended). A session's duration is the whole seconds from its session.started to its "
         "session.ended occurred_at; \"last\" is by the end's occurred_at (equal end times: the longer counts as later); "
         "a session whose start never arrived is not counted"),
        ("bet_to_deposit_ratio_30d", "ratio", "average stake over 30 days divided by average deposit over 30 days"),
        ("bonus_stake_share_30d", "ratio", "bonus_stake_sum_30d / stake_sum_30d: how much play runs on bonus funds (bonus uptake)"),
        ("tod_night_share", "ratio", "share of lifetime bets placed 00:00-06:00 local time"),
        ("tod_morning_share", "ratio", "share of lifetime bets placed 06:00-12:00 local time"),
        ("tod_afternoon_share", "ratio", "share of lifetime bets placed 12:00-18:00 local time"),
        ("tod_evening_share", "ratio", "share of lifetime bets placed 18:00-24:00 local time"),
        ("peak_local_hour", "integer", "local hour of day with the most bets"),
        ("rfm_recency", "integer", "1-5: days since the last activity against rfm.recency_days"),
        ("rfm_frequency", "integer", "1-5: active_days_30d against rfm.frequency_days"),
        ("rfm_monetary", "integer", "1-5: net_deposit_90d in major units against rfm.monetary (scaled per currency)"),
        ("rfm_score", "string", "recency, frequency and monetary scores joined, e.g. \"545\""),
        ("rtp_sensitivity", "ratio", "share of ended sessions that ended right after a losing run (losing_run_bets losing bets in a row)"),
        ("lifecycle_stage", "string", "prospect, new_depositor, active, at_risk, lapsed or reactivated (rules in docs/features.md)"),
        ("failed_logins", "integer", "failed login attempts, lifetime"),
        ("device_count", "integer", "distinct devices seen, up to 10"),
        ("foreign_currency_events", "integer", "money events in a currency other than the wallet's with no exchange rate in the configuration (counted, not summed)"),
        ("converted_currency_events", "integer", "money events in a currency other than the wallet's, converted at the configuration's exchange rate and summed"),
        ("exchange_rates_version", "string", "the configuration version whose exchange rates converted the latest foreign-currency event"),
        ("unmatched_rollbacks", "integer", "rollbacks whose referenced event has not (yet) arrived"),
        ("last_bonus_credit_at", "timestamp", "time of the latest bonus credit"),
        ("days_since_last_bonus_credit", "days", "whole days since the latest bonus credit"),
        ("bonus_to_deposit_ratio_30d", "ratio", "bonus_credit_sum_30d / deposit_sum_30d: bonus cost per unit deposited (null without deposits)"),
        ("bonus_conversion_share_90d", "ratio", "bonus_conversion_sum_90d / bonus_credit_sum_90d: how much of the bonus credited became cash (null without bonus credits)"),
    ]
    windows = tuple(w for w, _ in WINDOWS)
    out.extend(Feature(name, kind, next((w for w in windows if name.endswith("_" + w)), None), text)
               for name, kind, text in scalars)
    return out


CATALOGUE: tuple[Feature, ...] = tuple(_catalogue())


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _ts(us: int | None) -> str | None:
    if us is None:
        return None
    return datetime.fromtimestamp(us / 1_000_000, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def _days_since(us: int | None, as_of_us: int) -> int | None:
    return None if us is None else max(0, (as_of_us - us) // DAY_US)


_CATEGORY_IDLE = tuple(f"days_since_last_bet_{cat}" for cat in CATEGORIES)


def _days_since_category_bets(state: PlayerState, today: int) -> dict[str, int | None]:
    """Calendar days (UTC) since each category's last bet day: a whole day boundary, so an
    "idle 14 days" condition changes only at midnight UTC and a daily sweep sees it exactly."""
    last = state.last_cat_bet_day
    if not last:
        return dict.fromkeys(_CATEGORY_IDLE)
    return {name: (max(0, today - day) if day >= 0 else None) for name, day in zip(_CATEGORY_IDLE, last)}


def _minutes_avg(seconds: list[int]) -> float | None:
    """Mean of whole-second durations in minutes, rounded half-even to 2 decimals (exact:
    the rounding is done on the integer seconds, not on a float quotient)."""
    if not seconds:
        return None
    hundredths, rest = divmod(sum(seconds) * 100, len(seconds) * 60)
    twice = 2 * rest
    if twice > len(seconds) * 60 or (twice == len(seconds) * 60 and hundredths % 2):
        hundredths += 1
    return hundredths / 100


def _score(value: float, cuts: list[int], higher_is_better: bool = True) -> int:
    """1..5 from four ascending cut points."""
    if higher_is_better:
        return 1 + sum(value >= c for c in cuts)
    return 1 + sum(value <= c for c in cuts)


# The day windows, shortest first (WINDOWS lists them so, then lifetime).
_SPANS: tuple[tuple[str, int], ...] = tuple((w, span) for w, span in WINDOWS if span is not None)
# For a bucket `age` days before the as-of day, the shortest window that holds it.
_SHORTEST: tuple[int, ...] = tuple(next(k for k, (_, span) in enumerate(_SPANS) if age < span)
                                   for age in range(_SPANS[-1][1]))


def _window_sums(state: PlayerState, today: int) -> tuple[dict[str, list[int]], dict[str, list[int]], dict[str, int]]:
    """Each window's sums of the day buckets, of the category buckets, and its active days,
    in one pass: a bucket is added to the shortest window holding it, and each window then
    adds the one inside it (the windows are nested, all ending today)."""
    n, longest = len(_SPANS), _SPANS[-1][1]
    vecs = [[0] * METRICS for _ in range(n)]
    cvecs = [[0] * (N_CATS * 3) for _ in range(n)]
    days_active = [0] * n
    shortest = _SHORTEST
    for day, bucket in state.days.items():
        age = today - day
        if 0 <= age < longest:
            k = shortest[age]
            vec = vecs[k]
            for i in range(METRICS):
                vec[i] += bucket[i]
            if bucket[BET_N] or bucket[DEP_N] or bucket[SESS_N] or bucket[LOGIN_N]:
                days_active[k] += 1
    for key, bucket in state.cats.items():
        age = today - key // N_CATS
        if 0 <= age < longest:
            cvec, base = cvecs[shortest[age]], (key % N_CATS) * 3
            cvec[base] += bucket[0]
            cvec[base + 1] += bucket[1]
            cvec[base + 2] += bucket[2]
    for k in range(1, n):
        vecs[k] = [a + b for a, b in zip(vecs[k], vecs[k - 1])]
        cvecs[k] = [a + b for a, b in zip(cvecs[k], cvecs[k - 1])]
        days_active[k] += days_active[k - 1]
    sums = {w: vecs[k] for k, (w, _) in enumerate(_SPANS)}
    cat_sums = {w: cvecs[k] for k, (w, _) in enumerate(_SPANS)}
    sums["lifetime"], cat_sums["lifetime"] = list(state.life), list(state.life_cats)
    return sums, cat_sums, {w: days_active[k] for k, (w, _) in enumerate(_SPANS)}


def compute_features(state: PlayerState, as_of_us: int, config: FeatureConfig) -> dict[str, Any]:
    """Every catalogue feature for `state` as of `as_of_us` (microseconds since the epoch, UTC)."""
    currency = state.currency
    money = (lambda m: format_amount(m, currency)) if currency else (lambda m: None if m is None else str(m))
    today = as_of_us // DAY_US
    sums, cat_sums, active = _window_sums(state, today)
    wallet = _wallet_sums(state, today)

    f: dict[str, Any] = {}
    for wname, _ in WINDOWS:
        v, c = sums[wname], cat_sums[wname]
        f[f"deposit_count_{wname}"] = v[DEP_N]
        f[f"deposit_sum_{wname}"] = money(v[DEP_SUM])
        f[f"deposit_avg_{wname}"] = money(v[DEP_SUM] // v[DEP_N]) if v[DEP_N] else None
        f[f"deposit_declined_count_{wname}"] = v[DEP_DECLINED_N]
        f[f"withdrawal_count_{wname}"] = v[WD_N]
        f[f"withdrawal_sum_{wname}"] = money(v[WD_SUM])
        f[f"withdrawal_avg_{wname}"] = money(v[WD_SUM] // v[WD_N]) if v[WD_N] else None
        f[f"withdrawal_cancelled_count_{wname}"] = v[WD_CANCELLED_N]
        f[f"net_deposit_{wname}"] = _signed(money, v[DEP_SUM] - v[WD_SUM])
        f[f"chargeback_count_{wname}"] = v[CHARGEBACK_N]
        f[f"bet_count_{wname}"] = v[BET_N]
        f[f"stake_sum_{wname}"] = money(v[STAKE])
        f[f"bonus_stake_sum_{wname}"] = money(v[BONUS_STAKE])
        f[f"win_sum_{wname}"] = money(v[WIN])
        f[f"ggr_{wname}"] = _signed(money, v[STAKE] - v[WIN])
        f[f"session_count_{wname}"] = v[SESS_N]
        f[f"session_mean_seconds_{wname}"] = None  # filled below from ended sessions
        f[f"login_count_{wname}"] = v[LOGIN_N]
        f[f"late_night_share_{wname}"] = _ratio(v[LATE_BET_N], v[BET_N])
        f[f"rtp_{wname}"] = _ratio(v[WIN], v[STAKE])
        w = wallet[wname]
        f[f"bonus_credit_count_{wname}"] = w[BONUS_N]
        f[f"bonus_credit_sum_{wname}"] = money(w[BONUS_SUM])
        f[f"bonus_conversion_count_{wname}"] = w[CONV_N]
        f[f"bonus_conversion_sum_{wname}"] = money(w[CONV_SUM])
        f[f"adjustment_count_{wname}"] = w[ADJ_N]
        f[f"adjustment_net_{wname}"] = _signed(money, w[ADJ_IN] - w[ADJ_OUT])
        f[f"inflow_sum_{wname}"] = money(v[DEP_SUM] + w[BONUS_SUM] + w[ADJ_IN])
        if wname in active:
            f[f"active_days_{wname}"] = active[wname]
        best, best_stake = None, 0
        for i, cat in enumerate(CATEGORIES):
            bets, stake, win = c[i * 3 + C_BETS], c[i * 3 + C_STAKE], c[i * 3 + C_WIN]
            f[f"bet_count_{cat}_{wname}"] = bets
            f[f"stake_{cat}_{wname}"] = money(stake)
            f[f"win_{cat}_{wname}"] = money(win)
            f[f"ggr_{cat}_{wname}"] = _signed(money, stake - win)
            if stake > best_stake:
                best, best_stake = cat, stake
        f[f"favourite_category_{wname}"] = best
        ended = v[SESS_N] - _open_sessions_started(state, wname, today)
        f[f"session_mean_seconds_{wname}"] = (v[SESS_SECONDS] // ended) if ended > 0 else None

    durations = state.session_durations
    v30, v90 = sums["30d"], sums["90d"]
    bets_total = sum(state.hours)
    night = sum(state.hours[0:6]); morning = sum(state.hours[6:12])
    afternoon = sum(state.hours[12:18]); evening = sum(state.hours[18:24])
    last_activity_days = _days_since(state.last_activity_us, as_of_us)
    scale = config.rfm.monetary_scale.get(currency or "", 1)
    net90_major = (v90[DEP_SUM] - v90[WD_SUM]) / (10 ** exponent(currency)) / scale if currency else 0
    recency = 1 if last_activity_days is None else _score(last_activity_days, config.rfm.recency_days, False)
    frequency = _score(active["30d"], config.rfm.frequency_days)
    monetary = _score(net90_major, config.rfm.monetary)
    f.update({
        "currency": currency,
        "registered_at": _ts(state.registered_us),
        "first_deposit_at": _ts(state.first_deposit_us),
        "first_deposit_amount": money(state.first_deposit_minor) if state.first_deposit_minor is not None else None,
        "last_deposit_at": _ts(state.last_deposit_us),
        "last_deposit_amount": money(state.last_deposit_minor) if state.last_deposit_minor is not None else None,
        "last_withdrawal_at": _ts(state.last_withdrawal_us),
        "last_withdrawal_amount": money(state.last_withdrawal_minor) if state.last_withdrawal_minor is not None else None,
        "days_since_registration": _days_since(state.registered_us, as_of_us),
        "days_since_first_deposit": _days_since(state.first_deposit_us, as_of_us),
        "days_since_last_login": _days_since(state.last_login_us, as_of_us),
        "days_since_last_bet": _days_since(state.last_bet_us, as_of_us),
        **_days_since_category_bets(state, today),
        "days_since_last_deposit": _days_since(state.last_deposit_us, as_of_us),
        "session_median_seconds": int(statistics.median(durations)) if durations else None,
        "session_last5_mean_seconds": sum(durations[-5:]) // len(durations[-5:]) if durations else None,
        "session_minutes_avg_last5": _minutes_avg(durations[-5:]),
        "bet_to_deposit_ratio_30d": (
            round((v30[STAKE] / v30[BET_N]) / (v30[DEP_SUM] / v30[DEP_N]), 4)
            if v30[BET_N] and v30[DEP_N] and v30[DEP_SUM] else None),
        "bonus_stake_share_30d": _ratio(v30[BONUS_STAKE], v30[STAKE]),
        "tod_night_share": _ratio(night, bets_total),
        "tod_morning_share": _ratio(morning, bets_total),
        "tod_afternoon_share": _ratio(afternoon, bets_total),
        "tod_evening_share": _ratio(evening, bets_total),
        "peak_local_hour": max(range(24), key=lambda h: state.hours[h]) if bets_total else None,
        "rfm_recency": recency,
        "rfm_frequency": frequency,
        "rfm_monetary": monetary,
        "rfm_score": f"{recency}{frequency}{monetary}",
        "rtp_sensitivity": _ratio(state.sessions_after_losing_run, state.sessions_ended),
        "lifecycle_stage": lifecycle_stage(state, as_of_us, config.lifecycle),
        "failed_logins": state.failed_logins,
        "device_count": len(state.devices),
        "foreign_currency_events": state.foreign_currency_events,
        "converted_currency_events": state.converted_currency_events,
        "exchange_rates_version": state.exchange_version,
        "unmatched_rollbacks": state.unmatched_rollbacks,
        "last_bonus_credit_at": _ts(state.last_bonus_us),
        "days_since_last_bonus_credit": _days_since(state.last_bonus_us, as_of_us),
        "bonus_to_deposit_ratio_30d": _ratio(wallet["30d"][BONUS_SUM], v30[DEP_SUM]),
        "bonus_conversion_share_90d": _ratio(wallet["90d"][CONV_SUM], wallet["90d"][BONUS_SUM]),
    })
    return f


def _wallet_sums(state: PlayerState, today: int) -> dict[str, list[int]]:
    """Bonus, conversion and adjustment totals per window (usually no buckets at all)."""
    out: dict[str, list[int]] = {}
    for wname, span in WINDOWS:
        if span is None:
            out[wname] = list(state.wallet_life) or [0] * WALLET_METRICS
            continue
        vec = [0] * WALLET_METRICS
        first = today - span + 1
        for day, bucket in state.wallet_days.items():
            if first <= day <= today:
                for i in range(WALLET_METRICS):
                    vec[i] += bucket[i]
        out[wname] = vec
    return out


def _signed(money, minor: int) -> str | None:  # noqa: ANN001
    return money(minor) if minor >= 0 else "-" + money(-minor)


def _open_sessions_started(state: PlayerState, wname: str, today: int) -> int:
    """Sessions started in the window that have not ended: excluded from the mean."""
    span = dict(WINDOWS)[wname]
    return sum(1 for s in state.sessions.values()
               if s.started_us >= 0 and (span is None or today - span < s.started_us // DAY_US <= today))
