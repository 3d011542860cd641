"""Absolute RG markers: how much, how often, how much lost, how fast rising and how broadly a
player plays, in absolute terms rather than against their own past.

The relative markers (protection.markers) compare a player with their recent baseline, so a
player who has bet heavily every day for months never rises above it. These detectors grade
the absolute measures of play (protection.measures: EUR-equivalent, so one threshold serves
every currency) against the jurisdiction's thresholds (`MarkerConfig`, `rg.markers`) and, when
the configuration carries them, against the operator's own population percentiles
(`rg.markers.population`, computed by `croupier rg percentiles` and approved like any
configuration, so a replay grades against the same cuts). Sources of every default:
docs/rg-markers.md, "Absolute markers".

Severity 3 takes two kinds of evidence: intensity alone (a high roller's stake size) stops at 2
unless the player also plays on most days, and frequency alone (a small daily habit) stops at 1
unless the daily stakes are more than small, and at 2 unless they are intensive.

Pure detectors `(state, event, at_us, cfg, features) -> Hit | None`, run where the play
detectors run (the day's first bet, session ends) and on approved deposits.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from croupier.compliance.rules import PERCENTILES, MarkerConfig
from croupier.events import CasinoBet, Event, SportsBetPlaced
from croupier.players.config import FeatureConfig
from croupier.players.state import DAY_US, PlayerState
from croupier.protection.detecting import Detector, Hit, grade, money
from croupier.protection.measures import eur_scale, measures

ABSOLUTE = ("intensity", "frequency", "net_loss", "stake_trajectory", "product_breadth")

# The last measures computed: the five detectors run on the same (state, event, moment) and
# share one `measures` call. Keyed on the state object itself (held, so its id cannot be
# reused), its event count and log position, and the moment: a later event or another state
# recomputes.
_last: tuple = (None, -1, -1, -1, None, {})


def play_measures(state: PlayerState, event: Event, at_us: int, features: FeatureConfig) -> dict[str, float]:
    """The measures the detectors grade. On a day's first bet they are taken as of the end of
    the day before: the day that has just begun holds one bet, and counting it as a betting
    day would understate every per-betting-day measure at the very moment (for feeds without
    sessions, the only moment) they are checked. Otherwise as of the event."""
    global _last
    if isinstance(event, (CasinoBet, SportsBetPlaced)):
        at_us = at_us // DAY_US * DAY_US - 1
    held = _last
    if (held[0] is state and held[1] == state.event_count and held[2] == state.last_seq and held[3] == at_us
            and held[4] is features):
        return held[5]
    found = measures(state, at_us, features)
    _last = (state, state.event_count, state.last_seq, at_us, features, found)
    return found


def _eur(value: float, state: PlayerState, features: FeatureConfig) -> str:
    """An EUR-equivalent amount in the player's currency (and in EUR-equivalent beside it)."""
    currency = state.currency
    if currency in (None, "EUR"):
        return f"{value:,.0f} EUR"
    return f"{money(round(value * eur_scale(state, features)), state)} (≈{value:,.0f} EUR)"


def _count(n: float) -> str:
    return f"{n:,.1f}" if n < 10 else f"{n:,.0f}"


def _top(cfg: MarkerConfig, measure: str, value: float, shown: Callable[[float], str]) -> tuple[int, str]:
    """The severity of `value` against the population percentiles of `measure` (0 without
    them), with the words: 'top 2 % of this operator's players (98th percentile 300 EUR, ...)'."""
    population = cfg.population
    cuts = population.cuts.get(measure) if population is not None else None
    if not cuts or value <= 0:
        return 0, ""
    level = sum(1 for c in cuts if 0 < c <= value)
    if not level:
        return 0, ""
    pct = PERCENTILES[level - 1]
    return level, (f"top {100 - pct:g} % of this operator's players ({pct:g}th percentile "
                   f"{shown(cuts[level - 1])}, {population.players:,} players, as of {population.as_of})")


def _frequent(m: dict[str, float], cfg: MarkerConfig) -> bool:
    return (m["tenure_days"] >= cfg.frequency_min_tenure_days
            and 100 * m["active_share_30"] >= cfg.frequency_share_pct[0])


def _intensive(m: dict[str, float], cfg: MarkerConfig) -> bool:
    return (m["active_days_30"] >= cfg.intensity_min_active_days
            and m["stake_per_active_day_30"] >= cfg.intensity_stake_eur[0])


# --- detectors -------------------------------------------------------------------------------
def intensity(state: PlayerState, event: Event, at_us: int, cfg: MarkerConfig,
              features: FeatureConfig) -> Hit | None:
    """Stakes or bets per betting day over 30 and 90 days above the jurisdiction's cuts (or
    the operator's percentiles). Severity 3 only when the player also plays on most days."""
    m = play_measures(state, event, at_us, features)
    severity, parts, tops = 0, [], []
    for window in (30, 90):
        days = m[f"active_days_{window}"]
        if days < cfg.intensity_min_active_days or (window == 90 and m["tenure_days"] < 30):
            continue
        stake, bets = m[f"stake_per_active_day_{window}"], m[f"bets_per_active_day_{window}"]
        severity = max(severity, grade(stake, cfg.intensity_stake_eur), grade(bets, cfg.intensity_bets))
        parts.append(f"{_eur(stake, state, features)} staked and {_count(bets)} bets per betting day over the last "
                     f"{window} days ({days:.0f} betting days)")
        if window == 30:
            for what, measure, value, shown in (
                    ("stakes", "stake_per_active_day_30", stake, lambda c: _eur(c, state, features)),
                    ("bets", "bets_per_active_day_30", bets, lambda c: f"{c:,.0f} bets")):
                level, words = _top(cfg, measure, value, shown)
                if level:
                    severity = max(severity, level)
                    tops.append(f"{what} per betting day: {words}")
    if not severity:
        return None
    text = "; ".join(parts + tops)
    if severity == 3 and not _frequent(m, cfg):
        severity = 2
        text += " (at most severity 2 without frequent play)"
    elif _frequent(m, cfg):
        text += f"; on {100 * m['active_share_30']:.0f} % of days"
    return Hit(severity, text)


def frequency(state: PlayerState, event: Event, at_us: int, cfg: MarkerConfig,
              features: FeatureConfig) -> Hit | None:
    """The share of days with a bet over 30 days (90 beside it), for accounts at least
    `frequency_min_tenure_days` old; at most 1 in the first month or when the daily stakes
    are small, at most 2 unless the stakes per betting day are intensive too."""
    m = play_measures(state, event, at_us, features)
    tenure = m["tenure_days"]
    if tenure < cfg.frequency_min_tenure_days:
        return None
    share = 100 * m["active_share_30"]
    severity = grade(share, cfg.frequency_share_pct)
    level, top = _top(cfg, "active_share_30", m["active_share_30"], lambda c: f"{100 * c:.0f} % of days")
    severity = max(severity, level)
    if not severity:
        return None
    span = min(30, int(tenure) + 1)
    text = f"bet on {m['active_days_30']:.0f} of the last {span} days ({share:.0f} %)"
    if tenure >= 30:
        span90 = min(90, int(tenure) + 1)
        text += f", {m['active_days_90']:.0f} of the last {span90} ({100 * m['active_share_90']:.0f} %)"
    stake = m["stake_per_active_day_30"]
    text += f"; {_eur(stake, state, features)} staked per betting day; account {tenure:.0f} days old"
    if top:
        text += f"; days active: {top}"
    if tenure < cfg.frequency_full_tenure_days and severity > 1:
        severity = 1
        text += f" (at most severity 1 before {cfg.frequency_full_tenure_days} days)"
    elif stake < cfg.frequency_min_stake_eur and severity > 1:
        severity = 1
        text += f" (at most severity 1 below {cfg.frequency_min_stake_eur} EUR a betting day)"
    elif severity == 3 and not _intensive(m, cfg):
        severity = 2
        text += " (at most severity 2 without intensive stakes)"
    return Hit(severity, text)


def net_loss(state: PlayerState, event: Event, at_us: int, cfg: MarkerConfig,
             features: FeatureConfig) -> Hit | None:
    """Stakes minus wins over 30 and 90 days above the cuts (or the percentiles); one step
    less when the player lost less than `net_loss_min_share_pct` of what they deposited."""
    m = play_measures(state, event, at_us, features)
    n30, n90 = m["net_loss_30"], m["net_loss_90"]
    severity = max(grade(n30, cfg.net_loss_30_eur), grade(n90, cfg.net_loss_90_eur))
    level, top = _top(cfg, "net_loss_30", n30, lambda c: _eur(c, state, features))
    severity = max(severity, level)
    if not severity:
        return None
    text = f"net loss {_eur(n30, state, features)} over the last 30 days, {_eur(n90, state, features)} over 90 days"
    deposits = m["deposits_90"]
    if deposits > 0:
        share = 100 * m["loss_to_deposit_90"]
        text += f"; {share:.0f} % of the {_eur(deposits, state, features)} deposited in 90 days"
        if share < cfg.net_loss_min_share_pct:
            severity -= 1
            text += f" (under {cfg.net_loss_min_share_pct} %: one step less)"
    if top:
        text += f"; {top}"
    return Hit(severity, text) if severity > 0 else None


def stake_trajectory(state: PlayerState, event: Event, at_us: int, cfg: MarkerConfig,
                     features: FeatureConfig) -> Hit | None:
    """Stakes rising: the later half of the last 30 days (of the tenure, in the first weeks)
    against the earlier half; one step more with highly variable stakes (the increasing,
    variable first month of Braverman & Shaffer 2012). Severity 3 takes both."""
    m = play_measures(state, event, at_us, features)
    tenure = m["tenure_days"]
    later = m["stakes_later_half_30"]
    if (tenure < cfg.trajectory_min_tenure_days or later < cfg.trajectory_min_stakes_eur
            or m["active_days_earlier_half_30"] < cfg.trajectory_min_early_days):
        return None
    ratio = 100 * math.exp(m["stake_trend_30"])
    severity = min(2, grade(ratio, cfg.trajectory_ratio_pct))
    if not severity:
        return None
    cv = m["stake_cv_30"]
    span = min(30, int(tenure) + 1)
    first = " (the account's first weeks)" if tenure < 30 else ""
    text = (f"stakes in the later half of the last {span} days{first} {ratio / 100:.1f}× the earlier half "
            f"({_eur(later, state, features)} in the later half); stake variation (CV) {cv:.2f}")
    if 100 * cv >= cfg.trajectory_cv_pct:
        severity += 1
        text += f" ≥ {cfg.trajectory_cv_pct / 100:.2f}: rising and variable"
    return Hit(severity, text)


def product_breadth(state: PlayerState, event: Event, at_us: int, cfg: MarkerConfig,
                    features: FeatureConfig) -> Hit | None:
    """Many products (game categories, sports one) in 30 days: 1 alone, 2 with intensive
    stakes too (Braverman et al. 2013), never more."""
    m = play_measures(state, event, at_us, features)
    products = m["products_30"]
    severity = grade(products, cfg.breadth_products)
    if not severity:
        return None
    intensive = _intensive(m, cfg)
    severity = min(severity, 2 if intensive else 1)
    text = f"{products:.0f} products played in the last 30 days"
    if intensive:
        text += f", with {_eur(m['stake_per_active_day_30'], state, features)} staked per betting day"
    return Hit(severity, text)


DETECTORS: dict[str, Detector] = {
    "intensity": intensity, "frequency": frequency, "net_loss": net_loss,
    "stake_trajectory": stake_trajectory, "product_breadth": product_breadth,
}
