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
from functools import lru_cache
from collections.abc import Callable, Iterable
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


def _window_sums(state: PlayerState, today: int, upto: int = len(_SPANS) - 1
                 ) -> tuple[dict[str, list[int]], dict[str, list[int]], dict[str, int]]:
    """Each day window's sums of the day buckets, of the category buckets, and its active
    days, up to window `upto` (an index into _SPANS), in one pass: a bucket is added to the
    shortest window holding it, and each window then adds the one inside it (the windows are
    nested, all ending today). Lifetime needs no pass: the state keeps its totals."""
    n, longest = upto + 1, _SPANS[upto][1]
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
    names = [w for w, _ in _SPANS[:n]]
    return dict(zip(names, vecs)), dict(zip(names, cvecs)), dict(zip(names, days_active))


_SPAN_INDEX = {w: k for k, (w, _) in enumerate(_SPANS)}


# Most money values a player's features hold are a few amounts (zero above all) repeated
# over windows and categories: formatting each once is most of the catalogue's cost.
_amount = lru_cache(maxsize=1 << 16)(format_amount)


class _Sums(dict):  # type: ignore[type-arg]
    """Window -> sums, filled on first use: a present window is a plain dict look-up."""

    def __init__(self, reading: _Reading, part: int):
        super().__init__()
        self.reading, self.part = reading, part

    def __missing__(self, wname: str) -> Any:
        self.reading.run_pass(wname)
        return dict.__getitem__(self, wname)


class _Reading:
    """What the features of one state as of one moment share, each computed at most once
    and only when a feature asks for it: the window sums (the costly pass over the day
    buckets, run over the longest window asked for), the wallet sums, the ended sessions
    per window and the RFM scores."""

    __slots__ = ("state", "as_of_us", "config", "today", "money", "v", "c", "a", "_wallet", "_rfm", "_ended")

    def __init__(self, state: PlayerState, as_of_us: int, config: FeatureConfig):
        self.state, self.as_of_us, self.config = state, as_of_us, config
        self.today = as_of_us // DAY_US
        currency = state.currency
        self.money = (lambda m: _amount(m, currency)) if currency else (lambda m: None if m is None else str(m))
        self.v, self.c, self.a = _Sums(self, 0), _Sums(self, 1), _Sums(self, 2)
        dict.__setitem__(self.v, "lifetime", state.life)
        dict.__setitem__(self.c, "lifetime", state.life_cats)
        self._wallet: dict[str, list[int]] | None = None
        self._rfm: tuple[int, int, int] | None = None
        self._ended: dict[str, int] = {}

    def run_pass(self, wname: str) -> None:
        for target, found in zip((self.v, self.c, self.a), _window_sums(self.state, self.today, _SPAN_INDEX[wname])):
            target.update(found)

    def wallet(self, wname: str) -> list[int]:
        if self._wallet is None:
            self._wallet = _wallet_sums(self.state, self.today)
        return self._wallet[wname]

    def ended(self, wname: str) -> int:
        """Sessions started in the window that have ended (the mean's denominator)."""
        n = self._ended.get(wname)
        if n is None:
            n = self._ended[wname] = self.v[wname][SESS_N] - _open_sessions_started(self.state, wname, self.today)
        return n

    def rfm(self) -> tuple[int, int, int]:
        if self._rfm is None:
            state, config = self.state, self.config
            currency = state.currency
            v90 = self.v["90d"]
            scale = config.rfm.monetary_scale.get(currency or "", 1)
            net90_major = (v90[DEP_SUM] - v90[WD_SUM]) / (10 ** exponent(currency)) / scale if currency else 0
            last_activity_days = _days_since(state.last_activity_us, self.as_of_us)
            recency = 1 if last_activity_days is None else _score(last_activity_days, config.rfm.recency_days, False)
            self._rfm = (recency, _score(self.a["30d"], config.rfm.frequency_days),
                         _score(net90_major, config.rfm.monetary))
        return self._rfm


Extract = Callable[[_Reading], Any]


def _money_or_none(r: _Reading, minor: int | None) -> str | None:
    return r.money(minor) if minor is not None else None


def _window_extractors(w: str) -> dict[str, Extract]:
    """Every feature of window `w`, by name."""
    out: dict[str, Extract] = {
        f"deposit_count_{w}": lambda r: r.v[w][DEP_N],
        f"deposit_sum_{w}": lambda r: r.money(r.v[w][DEP_SUM]),
        f"deposit_avg_{w}": lambda r: r.money(r.v[w][DEP_SUM] // r.v[w][DEP_N]) if r.v[w][DEP_N] else None,
        f"deposit_declined_count_{w}": lambda r: r.v[w][DEP_DECLINED_N],
        f"withdrawal_count_{w}": lambda r: r.v[w][WD_N],
        f"withdrawal_sum_{w}": lambda r: r.money(r.v[w][WD_SUM]),
        f"withdrawal_avg_{w}": lambda r: r.money(r.v[w][WD_SUM] // r.v[w][WD_N]) if r.v[w][WD_N] else None,
        f"withdrawal_cancelled_count_{w}": lambda r: r.v[w][WD_CANCELLED_N],
        f"net_deposit_{w}": lambda r: _signed(r.money, r.v[w][DEP_SUM] - r.v[w][WD_SUM]),
        f"chargeback_count_{w}": lambda r: r.v[w][CHARGEBACK_N],
        f"bet_count_{w}": lambda r: r.v[w][BET_N],
        f"stake_sum_{w}": lambda r: r.money(r.v[w][STAKE]),
        f"bonus_stake_sum_{w}": lambda r: r.money(r.v[w][BONUS_STAKE]),
        f"win_sum_{w}": lambda r: r.money(r.v[w][WIN]),
        f"ggr_{w}": lambda r: _signed(r.money, r.v[w][STAKE] - r.v[w][WIN]),
        f"session_count_{w}": lambda r: r.v[w][SESS_N],
        f"session_mean_seconds_{w}": lambda r: (r.v[w][SESS_SECONDS] // r.ended(w)) if r.ended(w) > 0 else None,
        f"login_count_{w}": lambda r: r.v[w][LOGIN_N],
        f"late_night_share_{w}": lambda r: _ratio(r.v[w][LATE_BET_N], r.v[w][BET_N]),
        f"rtp_{w}": lambda r: _ratio(r.v[w][WIN], r.v[w][STAKE]),
        f"bonus_credit_count_{w}": lambda r: r.wallet(w)[BONUS_N],
        f"bonus_credit_sum_{w}": lambda r: r.money(r.wallet(w)[BONUS_SUM]),
        f"bonus_conversion_count_{w}": lambda r: r.wallet(w)[CONV_N],
        f"bonus_conversion_sum_{w}": lambda r: r.money(r.wallet(w)[CONV_SUM]),
        f"adjustment_count_{w}": lambda r: r.wallet(w)[ADJ_N],
        f"adjustment_net_{w}": lambda r: _signed(r.money, r.wallet(w)[ADJ_IN] - r.wallet(w)[ADJ_OUT]),
        f"inflow_sum_{w}": lambda r: r.money(r.v[w][DEP_SUM] + r.wallet(w)[BONUS_SUM] + r.wallet(w)[ADJ_IN]),
    }
    if w != "lifetime":
        out[f"active_days_{w}"] = lambda r: r.a[w]
    for i, cat in enumerate(CATEGORIES):
        b, s, n = i * 3 + C_BETS, i * 3 + C_STAKE, i * 3 + C_WIN
        out[f"bet_count_{cat}_{w}"] = lambda r, b=b: r.c[w][b]
        out[f"stake_{cat}_{w}"] = lambda r, s=s: r.money(r.c[w][s])
        out[f"win_{cat}_{w}"] = lambda r, n=n: r.money(r.c[w][n])
        out[f"ggr_{cat}_{w}"] = lambda r, s=s, n=n: _signed(r.money, r.c[w][s] - r.c[w][n])
    out[f"favourite_category_{w}"] = lambda r: _favourite(r.c[w])
    return out


def _favourite(c: list[int]) -> str | None:
    best, best_stake = None, 0
    for i, cat in enumerate(CATEGORIES):
        stake = c[i * 3 + C_STAKE]
        if stake > best_stake:
            best, best_stake = cat, stake
    return best


def _hours_share(first: int, last: int) -> Extract:
    return lambda r: _ratio(sum(r.state.hours[first:last]), sum(r.state.hours))


def _bet_to_deposit(r: _Reading) -> float | None:
    v30 = r.v["30d"]
    if v30[BET_N] and v30[DEP_N] and v30[DEP_SUM]:
        return round((v30[STAKE] / v30[BET_N]) / (v30[DEP_SUM] / v30[DEP_N]), 4)
    return None


def _category_idle(index: int) -> Extract:
    def idle(r: _Reading) -> int | None:
        last = r.state.last_cat_bet_day
        day = last[index] if last else -1
        return max(0, r.today - day) if day >= 0 else None
    return idle


def _rfm_score(r: _Reading) -> str:
    recency, frequency, monetary = r.rfm()
    return f"{recency}{frequency}{monetary}"


def _scalar_extractors() -> dict[str, Extract]:
    def since(attr: str) -> Extract:
        return lambda r: _days_since(getattr(r.state, attr), r.as_of_us)

    return {
        "currency": lambda r: r.state.currency,
        "registered_at": lambda r: _ts(r.state.registered_us),
        "first_deposit_at": lambda r: _ts(r.state.first_deposit_us),
        "first_deposit_amount": lambda r: _money_or_none(r, r.state.first_deposit_minor),
        "last_deposit_at": lambda r: _ts(r.state.last_deposit_us),
        "last_deposit_amount": lambda r: _money_or_none(r, r.state.last_deposit_minor),
        "last_withdrawal_at": lambda r: _ts(r.state.last_withdrawal_us),
        "last_withdrawal_amount": lambda r: _money_or_none(r, r.state.last_withdrawal_minor),
        "days_since_registration": since("registered_us"),
        "days_since_first_deposit": since("first_deposit_us"),
        "days_since_last_login": since("last_login_us"),
        "days_since_last_bet": since("last_bet_us"),
        **{name: _category_idle(i) for i, name in enumerate(_CATEGORY_IDLE)},
        "days_since_last_deposit": since("last_deposit_us"),
        "session_median_seconds": lambda r: (int(statistics.median(r.state.session_durations))
                                             if r.state.session_durations else None),
        "session_last5_mean_seconds": lambda r: (sum(r.state.session_durations[-5:]) // len(r.state.session_durations[-5:])
                                                 if r.state.session_durations else None),
        "session_minutes_avg_last5": lambda r: _minutes_avg(r.state.session_durations[-5:]),
        "bet_to_deposit_ratio_30d": _bet_to_deposit,
        "bonus_stake_share_30d": lambda r: _ratio(r.v["30d"][BONUS_STAKE], r.v["30d"][STAKE]),
        "tod_night_share": _hours_share(0, 6),
        "tod_morning_share": _hours_share(6, 12),
        "tod_afternoon_share": _hours_share(12, 18),
        "tod_evening_share": _hours_share(18, 24),
        "peak_local_hour": lambda r: (max(range(24), key=lambda h: r.state.hours[h]) if sum(r.state.hours) else None),
        "rfm_recency": lambda r: r.rfm()[0],
        "rfm_frequency": lambda r: r.rfm()[1],
        "rfm_monetary": lambda r: r.rfm()[2],
        "rfm_score": _rfm_score,
        "rtp_sensitivity": lambda r: _ratio(r.state.sessions_after_losing_run, r.state.sessions_ended),
        "lifecycle_stage": lambda r: lifecycle_stage(r.state, r.as_of_us, r.config.lifecycle),
        "failed_logins": lambda r: r.state.failed_logins,
        "device_count": lambda r: len(r.state.devices),
        "foreign_currency_events": lambda r: r.state.foreign_currency_events,
        "converted_currency_events": lambda r: r.state.converted_currency_events,
        "exchange_rates_version": lambda r: r.state.exchange_version,
        "unmatched_rollbacks": lambda r: r.state.unmatched_rollbacks,
        "last_bonus_credit_at": lambda r: _ts(r.state.last_bonus_us),
        "days_since_last_bonus_credit": since("last_bonus_us"),
        "bonus_to_deposit_ratio_30d": lambda r: _ratio(r.wallet("30d")[BONUS_SUM], r.v["30d"][DEP_SUM]),
        "bonus_conversion_share_90d": lambda r: _ratio(r.wallet("90d")[CONV_SUM], r.wallet("90d")[BONUS_SUM]),
    }


def _extractors() -> dict[str, Extract]:
    found: dict[str, Extract] = {}
    for wname, _ in WINDOWS:
        found.update(_window_extractors(wname))
    found.update(_scalar_extractors())
    return {f.name: found[f.name] for f in CATALOGUE}   # exactly the catalogue, in its order


# Every catalogue feature's extractor: one definition each, read by both functions below.
EXTRACTORS: dict[str, Extract] = _extractors()


def compute_features(state: PlayerState, as_of_us: int, config: FeatureConfig) -> dict[str, Any]:
    """Every catalogue feature for `state` as of `as_of_us` (microseconds since the epoch, UTC)."""
    reading = _Reading(state, as_of_us, config)
    reading.run_pass("90d")   # every window is read: one pass over the longest
    return {name: extract(reading) for name, extract in EXTRACTORS.items()}


def feature_values(state: PlayerState, as_of_us: int, config: FeatureConfig,
                   names: Iterable[str]) -> dict[str, Any]:
    """Only the named catalogue features (unknown names are left out): what real-time segment
    membership reads on an event, at a fraction of `compute_features`' cost, since the
    window pass covers only the longest window named and the rest runs only when a named
    feature needs it. Each value equals `compute_features(...)[name]`."""
    reading = _Reading(state, as_of_us, config)
    extractors = EXTRACTORS
    return {name: extractors[name](reading) for name in names if name in extractors}


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
