"""Absolute measures of a player's play as of a moment: the intensity, frequency,
variability, trajectory and breadth the research on harmed online gamblers points to
(LaBrie et al. 2007; Braverman & Shaffer 2012; docs/rg-markers.md).

The relative markers (protection.markers) compare a player with their own recent past; a
player who has bet heavily every day for months never rises above their own baseline.
These measures do not compare: they describe play in absolute terms, so the absolute
markers can grade them against jurisdiction thresholds and population percentiles, the
scorecard can weigh them, and an operator's model can be trained on exactly what the live
fold computes (the training pipeline folds each player's log up to a cut-off and calls
`measures` there, as live).

Pure: reads the state's day buckets (kept KEEP_DAYS days), category buckets and RG
evidence. Money is in euro-equivalent major units (the minor amount over the currency's
minor digits, divided by `RfmConfig.monetary_scale` for currencies worth about a tenth of a
euro), so one threshold or one model serves every currency an operator takes; it is a
scale, not an exchange rate, and never touches money of record.
"""

from __future__ import annotations

import math

from croupier.events import exponent
from croupier.players.config import FeatureConfig
from croupier.players.state import (
    BET_N, C_BETS, DAY_US, DEP_DECLINED_N, DEP_N, DEP_SUM, LATE_BET_N, N_CATS, SESS_SECONDS, STAKE,
    WD_CANCELLED_N, WIN, PlayerState,
)

MEASURES: dict[str, str] = {
    "tenure_days": "days since the player's first bet (0 on the first day)",
    "active_days_30": "days with at least one bet in the last 30 days",
    "active_share_30": "share of the last 30 days (or of the tenure, if shorter) with a bet",
    "active_share_90": "share of the last 90 days (or of the tenure, if shorter) with a bet",
    "active_days_90": "days with at least one bet in the last 90 days",
    "bets_per_active_day_30": "bets per betting day over the last 30 days",
    "bets_per_active_day_90": "bets per betting day over the last 90 days",
    "stake_per_active_day_30": "stakes per betting day over the last 30 days (EUR-equivalent)",
    "stake_per_active_day_90": "stakes per betting day over the last 90 days (EUR-equivalent)",
    "stake_per_bet_30": "mean stake over the last 30 days (EUR-equivalent)",
    "stake_cv_30": "coefficient of variation of single stakes over the last 30 days",
    "stake_trend_30": "log ratio of stakes in the last 15 days to the 15 days before them "
                      "(of the tenure's two halves when shorter); > 0 rising",
    "stakes_later_half_30": "stakes in the later half of the (tenure-capped) 30 days (EUR-equivalent)",
    "active_days_earlier_half_30": "days with a bet in the earlier half of the (tenure-capped) 30 days",
    "stakes_30": "total stakes over the last 30 days (EUR-equivalent)",
    "stakes_90": "total stakes over the last 90 days (EUR-equivalent)",
    "net_loss_30": "stakes minus wins over the last 30 days (EUR-equivalent; negative: player ahead)",
    "net_loss_90": "stakes minus wins over the last 90 days (EUR-equivalent; negative: player ahead)",
    "deposits_30": "approved deposits over the last 30 days (EUR-equivalent)",
    "deposits_90": "approved deposits over the last 90 days (EUR-equivalent)",
    "deposit_count_30": "approved deposits in the last 30 days",
    "loss_to_deposit_30": "net loss over deposits in the last 30 days (0 without deposits, capped at 2)",
    "loss_to_deposit_90": "net loss over deposits in the last 90 days (0 without deposits, capped at 2)",
    "products_30": "game categories (sports counts as one) with a bet in the last 30 days",
    "late_share_30": "share of the last 30 days' bets placed in the late-night window, local time",
    "session_minutes_per_active_day_30": "minutes in sessions per betting day over the last 30 days",
    "withdrawal_cancels_30": "withdrawals cancelled or reversed in the last 30 days",
    "declined_deposits_30": "deposits declined or failed in the last 30 days",
}
MEASURE_NAMES = tuple(MEASURES)
LOSS_RATIO_CAP = 2.0


def eur_scale(state: PlayerState, features: FeatureConfig) -> float:
    """Minor units of the player's currency per euro-equivalent major unit."""
    currency = state.currency
    if not currency:
        return 100.0
    try:
        digits = exponent(currency)
    except ValueError:
        digits = 2
    return float(10 ** digits * features.rfm.monetary_scale.get(currency, 1))


def measures(state: PlayerState, at_us: int, features: FeatureConfig | None = None) -> dict[str, float]:
    """Every measure in MEASURES as of `at_us` (UTC days; the as-of day counts as the last
    day of each window, like the feature catalogue's windows)."""
    features = features or FeatureConfig()
    today = at_us // DAY_US
    first = state.first_activity_us
    tenure = max(0, today - first // DAY_US) if first is not None and first <= at_us else 0
    span30, span90 = min(30, tenure + 1), min(90, tenure + 1)
    start30, start90 = today - 29, today - 89
    half = today - (span30 // 2) + 1            # the later half of the (tenure-capped) 30 days
    active30 = active90 = 0
    bets30 = bets90 = stake30 = win30 = stake90 = win90 = dep30 = dep90 = ndep30 = late30 = sess30 = 0
    cancels30 = declines30 = early = late_half = early_days = 0
    for day, b in state.days.items():
        if day > today or day < start90:
            continue
        if b[BET_N]:
            active90 += 1
        bets90 += b[BET_N]
        stake90 += b[STAKE]
        win90 += b[WIN]
        dep90 += b[DEP_SUM]
        if day >= start30:
            if b[BET_N]:
                active30 += 1
            bets30 += b[BET_N]
            stake30 += b[STAKE]
            win30 += b[WIN]
            dep30 += b[DEP_SUM]
            ndep30 += b[DEP_N]
            late30 += b[LATE_BET_N]
            sess30 += b[SESS_SECONDS]
            cancels30 += b[WD_CANCELLED_N]
            declines30 += b[DEP_DECLINED_N]
            if day >= half:
                late_half += b[STAKE]
            elif day > today - span30:
                early += b[STAKE]
                early_days += b[BET_N] > 0
    products = set()
    for key, c in state.cats.items():
        if start30 <= key // N_CATS <= today and c[C_BETS]:
            products.add(key % N_CATS)
    scale = eur_scale(state, features)
    n = total = squares = 0
    for day, s in state.rg.stakes.items():
        if start30 <= day <= today:
            n, total, squares = n + s[0], total + s[1], squares + s[2]
    mean = total / n if n else 0.0
    cv = math.sqrt(max(0.0, squares / n - mean * mean)) / mean if n and mean else 0.0
    return {
        "tenure_days": float(tenure),
        "active_days_30": float(active30),
        "active_share_30": active30 / span30,
        "active_share_90": active90 / span90,
        "active_days_90": float(active90),
        "bets_per_active_day_30": bets30 / active30 if active30 else 0.0,
        "bets_per_active_day_90": bets90 / active90 if active90 else 0.0,
        "stake_per_active_day_30": stake30 / scale / active30 if active30 else 0.0,
        "stake_per_active_day_90": stake90 / scale / active90 if active90 else 0.0,
        "stake_per_bet_30": stake30 / scale / bets30 if bets30 else 0.0,
        "stake_cv_30": cv,
        "stake_trend_30": math.log((late_half / scale + 1) / (early / scale + 1)) if span30 >= 2 else 0.0,
        "stakes_later_half_30": late_half / scale,
        "active_days_earlier_half_30": float(early_days),
        "stakes_30": stake30 / scale,
        "stakes_90": stake90 / scale,
        "net_loss_30": (stake30 - win30) / scale,
        "net_loss_90": (stake90 - win90) / scale,
        "deposits_30": dep30 / scale,
        "deposits_90": dep90 / scale,
        "deposit_count_30": float(ndep30),
        "loss_to_deposit_30": _ratio(stake30 - win30, dep30),
        "loss_to_deposit_90": _ratio(stake90 - win90, dep90),
        "products_30": float(len(products)),
        "late_share_30": late30 / bets30 if bets30 else 0.0,
        "session_minutes_per_active_day_30": sess30 / 60 / active30 if active30 else 0.0,
        "withdrawal_cancels_30": float(cancels30),
        "declined_deposits_30": float(declines30),
    }


def _ratio(loss: int, deposits: int) -> float:
    if deposits <= 0:
        return 0.0
    return max(-LOSS_RATIO_CAP, min(LOSS_RATIO_CAP, loss / deposits))
