"""Jurisdiction rules as data: one versioned document per jurisdiction (presets in
`compliance/presets/*.json`, sources in docs/jurisdictions.md). Everything that depends on
a market (cooling periods, exclusion scope, reality checks, bonus bans, marketing caps,
AML thresholds, retention) reads it from here, never from code."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import msgspec
from msgspec import Meta, Struct

from croupier.compliance.rates import NO_RATES, ExchangeRules, RateTable
from croupier.models.rg.scorecard import RgModel

if TYPE_CHECKING:
    from croupier.players.config import EngineConfig

PRESETS = Path(__file__).with_name("presets")
Hours = Annotated[int, Meta(ge=0, le=24 * 3660)]
Period = Literal["day", "week", "month"]


class LimitRules(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Deposit, loss, wager and session-time limits."""

    mandatory: list[Literal["deposit", "loss", "wager", "session_time"]] = msgspec.field(default_factory=list)
    # Ceilings a player may not exceed, e.g. {"deposit:month": "1000.00"} (in the rules' currency)
    ceilings: dict[str, str] = msgspec.field(default_factory=dict)
    increase_cooling_hours: Hours = 24      # an increase or removal takes effect after this
    increase_after_period_end: bool = False  # ...and not before the current period ends (SE)
    decrease_immediate: bool = True
    operator_contact_above: dict[str, str] = msgspec.field(default_factory=dict)  # e.g. {"deposit:month": "10000.00"}
    # Added with the presets (config versions); all optional, defaults keep earlier behaviour.
    set_before_play: bool = False           # mandatory limits must be set before the first deposit/play
    defaults: dict[str, str] = msgspec.field(default_factory=dict)  # limits in force until the player sets one (ES)
    cross_operator: bool = False            # a regulator-held limit across every operator (DE LUGAS, ES)
    increase_min_interval_days: int | None = None  # at most one increase per this many days (ES: 90)
    review_prompt_days: int | None = None   # prompt the player to review limits this often (GB: 182)
    ceilings_young: dict[str, str] = msgspec.field(default_factory=dict)  # ceilings below `young_adult_under`
    # Net deposits that require an affordability / financial-vulnerability check, e.g. {"net_deposit:30d": "150.00"}
    affordability_check_above: dict[str, str] = msgspec.field(default_factory=dict)
    affordability_check_above_young: dict[str, str] = msgspec.field(default_factory=dict)


class ExclusionRules(Struct, forbid_unknown_fields=True, omit_defaults=True):
    register: str | None = None             # national register: GAMSTOP, SPELPAUS, OASIS, CRUKS, ROFUS, RGIAJ, NJ_DGE
    scope: Literal["brand", "operator", "national"] = "operator"
    self_exclusion_periods: list[str] = msgspec.field(default_factory=list)  # ISO 8601 durations, "indefinite"
    min_self_exclusion: str | None = None   # ISO 8601 duration
    timeout_periods: list[str] = msgspec.field(default_factory=list)
    panic_button_hours: Hours | None = None  # DE: 24
    early_end_allowed: bool = False
    reactivation: Literal["automatic", "on_request", "on_request_after_cooling"] = "on_request"
    reactivation_cooling_hours: Hours = 24
    check_at: list[Literal["registration", "login", "deposit", "bet", "marketing"]] = msgspec.field(
        default_factory=lambda: ["registration", "login", "deposit", "bet", "marketing"])
    # Added with the presets (config versions); all optional.
    indefinite_min: str | None = None       # an indefinite exclusion cannot be lifted before this (ISO 8601)
    third_party_min: str | None = None      # exclusions imposed by a third party / the regulator
    fail_closed: bool = False               # register unreachable -> refuse registration/login, not allow
    register_refresh_hours: Hours | None = None         # imported register lists refreshed at least this often
    marketing_check_max_age_hours: Hours | None = None  # a register check older than this before marketing is stale
    # Promotions wait for the register's answer, and a register nobody configured never
    # answers: they stay held (register_not_configured) unless the operator opts the market
    # out here, saying why; a configuration change, so a second person approves it.
    register_opt_out: bool = False
    register_opt_out_reason: str | None = None


class RealityCheckRules(Struct, forbid_unknown_fields=True, omit_defaults=True):
    interval_minutes: int | None = None     # None: no mandated interval
    player_sets_interval: bool = False
    session_limit_minutes: int | None = None
    # Added with the presets (config versions); all optional.
    inactivity_logout_minutes: int | None = None
    session_clock: bool = False             # elapsed session time visible at all times
    show_previous_login: bool = False
    login_summary_days: int | None = None   # show deposits, wins and losses of the last N days at login
    login_message: str | None = None        # shown at login and logout (e.g. a helpline)


class GameRules(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Product rules that constrain play (stakes, speed, autoplay). Added with the presets."""

    max_stake: dict[str, str] = msgspec.field(default_factory=dict)        # game category -> amount per game
    max_stake_young: dict[str, str] = msgspec.field(default_factory=dict)  # below `young_adult_under`
    min_game_seconds: dict[str, int] = msgspec.field(default_factory=dict)
    autoplay_banned: bool = False
    reverse_withdrawals_banned: bool = False
    parallel_play_banned: bool = False      # one operator at a time (DE)
    operator_switch_wait_minutes: int | None = None


class BonusRules(Struct, forbid_unknown_fields=True, omit_defaults=True):
    allowed: bool = True
    max_wagering_multiple: int | None = None
    max_value: str | None = None            # in the rules' currency
    first_deposit_only: bool = False
    banned_for_risk_levels: list[str] = msgspec.field(default_factory=list)
    banned_under_age: int | None = None     # no bonuses/promotions to players younger than this
    # Added with the presets (config versions); all optional.
    wagering_base: Literal["bonus", "deposit_plus_bonus"] = "bonus"
    min_days_to_meet_terms: int | None = None
    cashback_banned: bool = False
    one_product_per_offer: bool = False
    advertising_banned: bool = False        # public advertising of bonuses/inducements (CA-ON)
    terms_filing_days: int | None = None    # terms filed with the regulator this many business days ahead


class MarketingRules(Struct, forbid_unknown_fields=True, omit_defaults=True):
    consent_required: bool = True
    max_messages_per_day: int | None = None
    quiet_hours: list[int] | None = None    # [start_hour, end_hour) local time, may cross midnight
    banned: bool = False                    # no direct marketing at all
    safer_play_disclaimer: str | None = None
    # Added with the presets (config versions); all optional.
    consent_per_product: bool = False       # separate opt-in per product (betting/casino/bingo) and channel
    soft_opt_in: bool = True                # False: existing-customer soft opt-in not accepted
    opt_out_in_every_message: bool = True
    suspension_blocks_marketing_hours: Hours | None = None  # no marketing during a suspension this long or longer
    young_adults_banned: bool = False       # no direct marketing to players below `young_adult_under`
    advertising_banned_hours: list[int] | None = None       # [start, end) local: no broadcast/online ads (DE 6-21)


class AmlRules(Struct, forbid_unknown_fields=True, omit_defaults=True):
    cdd_threshold: str | None = None        # in the rules' currency
    record_retention_years: int = 5
    # Added with the presets (config versions); all optional.
    threshold_currency: str | None = None   # when a threshold is fixed in another currency (GB: EUR 2,000)
    report_threshold: str | None = None     # e.g. CA-ON FINTRAC large cash / EFT reports
    low_risk_below: str | None = None       # e.g. SE: deposits below this over 12 months = low risk


RiskLevel = Literal["low", "medium", "high", "severe"]

# The measures (protection.measures) the absolute markers grade against population percentiles.
POPULATION_MEASURES = ("stake_per_active_day_30", "bets_per_active_day_30", "active_share_30", "net_loss_30")
PERCENTILES = (90.0, 98.0, 99.5)   # severity 1, 2, 3


class PopulationCuts(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """The operator's own players' percentiles of some measures, computed by
    `croupier rg percentiles` from the stored states (players active in the 90 days before
    `as_of`) and approved like any configuration: the fold grades against them, so a replay
    grades against the same cuts. `cuts`: measure -> [p90, p98, p99.5] (EUR-equivalent
    for money, a share 0..1 for active_share_30)."""

    as_of: str                                  # ISO date the states were read
    players: Annotated[int, Meta(ge=1)]         # players the percentiles are over
    cuts: dict[str, list[float]] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, values in self.cuts.items():
            if name not in POPULATION_MEASURES:
                raise msgspec.ValidationError(
                    f"rg.markers.population.cuts names {name!r}, not one of {', '.join(POPULATION_MEASURES)}")
            if len(values) != 3 or any(v < 0 for v in values) or values != sorted(values):
                raise msgspec.ValidationError(
                    f"rg.markers.population.cuts needs three rising values >= 0 (p90, p98, p99.5) "
                    f"for {name}, got {values}")


Cuts = Annotated[list[int], Meta(min_length=3, max_length=3)]
# Where low, medium, high and severe begin on the default scorecard's score, in basis points:
# the probabilities the old marker points 2, 5, 9 and 14 give an ordinary player
# (models.rg.default; docs/rg-markers.md, "Levels").
DEFAULT_SCORE_LEVELS = (600, 1500, 4000, 8000)
Cuts3 = tuple[int, int, int]


class MarkerConfig(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """RG detector thresholds (three cut points = severity 1, 2, 3), per jurisdiction as
    `rg.markers` (absent: these defaults). Defaults are what BENCHMARKS.md measured;
    docs/rg-markers.md explains each."""

    baseline_days: int = 30            # the player's own baseline: up to this many days ...
    recent_days: int = 3               # ... before the recent window of this many (UTC) days
    min_baseline_days: int = 3         # relative detectors stay silent on a shorter history
    # loss chasing
    chase_minutes: int = 30            # a deposit this soon after the last bet ...
    chase_loss_pct: int = 50           # ... having lost at least this % of the previous deposit since it
    chase_hours: int = 24              # chase deposits counted over this window
    chase_counts: Cuts = msgspec.field(default_factory=lambda: [2, 3, 5])
    chase_rise_pct: int = 150          # rising sizes ending at >= this % of the median: one step more
    # deposit spike: a deposit (or 24 h of deposits) against the baseline median
    spike_min_deposits: int = 3
    spike_ratios_pct: Cuts = msgspec.field(default_factory=lambda: [300, 500, 1000])
    # session escalation: play time per day (and session length / frequency) against the baseline
    session_ratios_pct: Cuts = msgspec.field(default_factory=lambda: [200, 300, 500])
    session_min_minutes_per_day: int = 60
    session_both_pct: int = 150        # and both frequency and length up by at least this %
    # withdrawals cancelled or reversed
    cancel_days: int = 30
    cancel_counts: Cuts = msgspec.field(default_factory=lambda: [2, 3, 5])
    # declined or failed deposits
    decline_hours: int = 24
    decline_counts: Cuts = msgspec.field(default_factory=lambda: [3, 5, 8])
    # late-night play (the window is FeatureConfig.late_night_*_hour, local time)
    late_min_bets: int = 50
    late_min_days: int = 2             # late play on at least this many of the recent days
    late_shares_pct: Cuts = msgspec.field(default_factory=lambda: [40, 60, 80])
    late_over_baseline_pct: int = 20   # and at least this many points above the baseline share
    # stake variability: coefficient of variation (and mean) against the baseline
    stake_min_bets: int = 100
    stake_min_days: int = 2            # recent bets on at least this many days
    stake_cv_ratios_pct: Cuts = msgspec.field(default_factory=lambda: [150, 200, 300])
    stake_mean_ratios_pct: Cuts = msgspec.field(default_factory=lambda: [200, 300, 500])
    # requested limit increases (and removals)
    limit_days: int = 30
    limit_counts: Cuts = msgspec.field(default_factory=lambda: [1, 2, 3])
    # chasing within play (protection.chasing, docs/rg-markers.md "Chasing within play")
    stake_chase_pct: int = 200         # a stake >= this % of the previous bet's, which lost, is a chase step
    stake_chase_gap_minutes: int = 30  # bets outside a session: the previous bet this recent is the same play
    stake_chase_sports_minutes: int = 30  # sports: a bet this soon after a settled losing bet follows it
    stake_chase_days: int = 7          # chase steps counted over this many UTC days
    # (cut points added later are tuples: a default tuple is left out of the stored document,
    # so a configuration that states rg.markers keeps its version id)
    stake_chase_counts: Cuts3 = (3, 6, 12)
    stake_chase_share_pct: Cuts3 = (5, 10, 20)  # ... and as a % of the bets placed after a lost bet
    stake_chase_run: int = 3           # this many steps in a row in one losing run (martingale): one step more
    redeposit_minutes: int = 15        # loss chasing: a deposit this soon after a losing run ...
    redeposit_balance_pct: int = 10    # ... or after the balance was played down below this % of the previous deposit
    restake_hours: int = 24            # a cancelled / reversed withdrawal staked again this soon: one step more
    # distress in support messages (models.sentiment)
    distress_threshold_pct: int = 50
    distress_days: int = 30
    # --- absolute markers (protection.intensity): play in absolute terms, not against the
    # player's own past. Money in EUR-equivalent major units (protection.measures), so one
    # threshold serves every currency. Sources of each default: docs/rg-markers.md, "Absolute
    # markers" (the 2007 cohort's median sports bettor: 23 % of days, 2.5 bets and ~10 EUR per
    # betting day; the cuts sit far above it, at the heavy tail, LaBrie et al. 2007).
    # intensity: stakes (or bets) per betting day over 30 and over 90 days
    intensity_min_active_days: int = 4          # betting days in the window before it is graded
    intensity_stake_eur: Cuts = msgspec.field(default_factory=lambda: [300, 1000, 3000])
    intensity_bets: Cuts = msgspec.field(default_factory=lambda: [300, 800, 1500])
    # frequency: share of days with a bet over 30 (tenure-capped) and 90 days
    frequency_min_tenure_days: int = 14         # younger accounts are not graded at all ...
    frequency_full_tenure_days: int = 30        # ... and at most 1 before this tenure
    frequency_share_pct: Cuts = msgspec.field(default_factory=lambda: [60, 80, 93])
    frequency_min_stake_eur: int = 20           # per betting day, for severity 2 and above
    # net loss (stakes minus wins) over 30 and 90 days, and its share of the deposits
    net_loss_30_eur: Cuts = msgspec.field(default_factory=lambda: [500, 2000, 5000])
    net_loss_90_eur: Cuts = msgspec.field(default_factory=lambda: [1000, 4000, 10000])
    net_loss_min_share_pct: int = 50            # lost less than this % of the deposits: one step less
    # stake trajectory: stakes in the later half of the (tenure-capped) 30 days against the
    # earlier half, one step more with highly variable stakes (Braverman & Shaffer 2012)
    trajectory_ratio_pct: Cuts = msgspec.field(default_factory=lambda: [300, 500, 1000])
    trajectory_min_stakes_eur: int = 500        # in the later half
    trajectory_min_tenure_days: int = 14
    trajectory_min_early_days: int = 3          # betting days in the earlier half
    trajectory_cv_pct: int = 150                # coefficient of variation of stakes x 100
    # product breadth: game categories (sports one) with a bet in 30 days; 1 alone, 2 with intensity
    breadth_products: Cuts = msgspec.field(default_factory=lambda: [4, 5, 7])
    # the operator's own population percentiles, graded beside the thresholds (None: not used)
    population: PopulationCuts | None = None
    # decay: severity drops one step per this many days without new evidence
    decay_days: dict[str, int] = msgspec.field(default_factory=lambda: {
        "default": 7, "distress": 14, "limit_increase": 14, "withdrawal_reversal": 14,
        "intensity": 30, "frequency": 30, "net_loss": 30, "stake_trajectory": 30, "product_breadth": 30})
    # the risk score adds weight x effective severity per marker: money chased or clawed back
    # counts 3, play time 2, context (late hours, stake swings) 1, words of distress 4; the
    # absolute markers 1 each: they raise a level together with other evidence (a high roller
    # is intensive, not harmed; docs/rg-markers.md measures what weight 2 would cost)
    weights: dict[str, int] = msgspec.field(default_factory=lambda: {
        "default": 3, "session_escalation": 2, "late_night": 1, "stake_variability": 1, "distress": 4,
        "intensity": 1, "frequency": 1, "net_loss": 1, "stake_trajectory": 1, "product_breadth": 1})



class RgRules(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """RG risk levels and the interventions each one triggers (docs/rg-markers.md).

    `score_levels` are the risk scores (probabilities in basis points, 1/10,000: 1500 is
    0.15) at which low, medium, high and severe begin. A level comes down only after
    `calm_days` of normal behaviour (no score at or above the level's threshold), one level
    at a time; an open RG case holds the player at its level until an officer reviews it.
    Each intervention names the lowest level that triggers it (None: never, in this market).

    Heavy play alone is bounded in the score (models.rg.default), so a player among the
    heaviest (an absolute marker of volume at `look_severity`) is put at least at low: worth
    a look, no intervention.

    `level_scores` (integer marker points) is deprecated: levels are cut from the score. It
    is kept, still validated, so stored documents that set it parse with their version ids
    unchanged; it sets nothing now."""

    level_scores: list[int] = msgspec.field(default_factory=lambda: [2, 5, 9, 14])   # deprecated, ignored
    soft_at: RiskLevel | None = "medium"       # safer-play message + a suggested deposit limit
    firm_at: RiskLevel | None = "high"         # promotions paused, reality check forced, limit required
    human_at: RiskLevel | None = "high"        # a case for an RG officer to call the player
    hard_stop_at: RiskLevel | None = "severe"  # deposits blocked pending review
    repeat_after_days: Annotated[int, Meta(ge=1, le=365)] = 7  # the same intervention at most this often
    variants: list[str] = msgspec.field(default_factory=lambda: ["A", "B"])  # safer-play message variants
    markers: MarkerConfig | None = None        # detector thresholds; None: MarkerConfig's defaults
    # The score (basis points) at which low, medium, high and severe begin; None (and the
    # defaults written out, which read back as None so the version id does not move):
    # DEFAULT_SCORE_LEVELS. Read it through `levels`.
    score_levels: list[int] | None = None
    # A level comes down one step after this many days without a score at or above its threshold.
    calm_days: Annotated[int, Meta(ge=1, le=365)] = 30
    # An absolute marker of volume (intensity, frequency, net loss: LOOK_MARKERS) at this
    # severity or above puts the player at least at "low", worth a look, whatever the score
    # (severity 2 is the top 2 % of the population, or the absolute thresholds); None: off.
    look_severity: Annotated[int, Meta(ge=1, le=3)] | None = 2

    def __post_init__(self) -> None:
        cuts = self.level_scores
        if len(cuts) != 4 or any(c < 1 for c in cuts) or cuts != sorted(set(cuts)):
            raise msgspec.ValidationError(
                f"rg.level_scores needs four rising scores >= 1 (low, medium, high, severe), got {cuts}")
        levels = self.score_levels
        if levels is None:
            levels = list(DEFAULT_SCORE_LEVELS)
        elif levels == list(DEFAULT_SCORE_LEVELS):
            self.score_levels = None
        if len(levels) != 4 or any(not 1 <= c <= 10_000 for c in levels) or levels != sorted(set(levels)):
            raise msgspec.ValidationError(
                f"rg.score_levels needs four rising scores in basis points from 1 to 10000 (low, medium, high, "
                f"severe; 1500 is a probability of 0.15), got {levels}")
        if not self.variants or len(set(self.variants)) != len(self.variants):
            raise msgspec.ValidationError(f"rg.variants needs at least one name and no repeats, got {self.variants}")

    @property
    def levels(self) -> list[int]:
        """The score (basis points) at which low, medium, high and severe begin."""
        return self.score_levels if self.score_levels is not None else list(DEFAULT_SCORE_LEVELS)


class JurisdictionRules(Struct, forbid_unknown_fields=True, omit_defaults=True):
    code: str
    name: str
    currency: str
    min_age: int = 18
    limits: LimitRules = msgspec.field(default_factory=LimitRules)
    exclusions: ExclusionRules = msgspec.field(default_factory=ExclusionRules)
    reality_check: RealityCheckRules = msgspec.field(default_factory=RealityCheckRules)
    bonuses: BonusRules = msgspec.field(default_factory=BonusRules)
    marketing: MarketingRules = msgspec.field(default_factory=MarketingRules)
    aml: AmlRules = msgspec.field(default_factory=AmlRules)
    rg: RgRules = msgspec.field(default_factory=RgRules)
    data_residency: str | None = None
    record_retention_years: int = 5
    # Added with the presets (config versions); all optional.
    regulator: str | None = None
    reviewed: str | None = None             # date the values were last checked against sources
    young_adult_under: int | None = None    # "young adult" band for *_young values (GB 25, NL 24, ES 26)
    games: GameRules = msgspec.field(default_factory=GameRules)
    # field path -> source id or note (docs/jurisdictions.md lists the sources); "⚠" marks doubt
    sources: dict[str, str] = msgspec.field(default_factory=dict)


DEFAULT = JurisdictionRules(code="default", name="Default (no jurisdiction-specific rules)", currency="EUR")


@cache
def presets() -> dict[str, JurisdictionRules]:
    """The shipped presets, by code (e.g. "SE", "GB", "CA-ON")."""
    out = {"default": DEFAULT}
    for path in sorted(PRESETS.glob("*.json")):
        rules = msgspec.json.decode(path.read_bytes(), type=JurisdictionRules)
        out[rules.code] = rules
    return out


def rules_for(code: str | None, table: Mapping[str, JurisdictionRules] | None = None) -> JurisdictionRules:
    """The rules of a jurisdiction (from `table`, else the presets), or the default ones."""
    table = table if table is not None else presets()
    return table.get(code or "default") or table.get("default") or DEFAULT


@dataclass(frozen=True, slots=True)
class RulesInForce:
    """The jurisdiction table and exchange rates of one configuration version, with the
    version's id. Built once per version and handed down the fold, so RG levels,
    interventions and currency conversions follow the version in force at each log position
    (and record it), at no extra cost per event."""

    version: str
    table: Mapping[str, JurisdictionRules]
    rates: RateTable = NO_RATES
    rg_model: RgModel | None = None   # an operator-trained RG model in force; None: the scorecard

    def of(self, code: str | None) -> JurisdictionRules:
        return rules_for(code, self.table)


_IN_FORCE: dict[int, tuple[object, RulesInForce]] = {}


def rules_in_force(config: EngineConfig) -> RulesInForce:
    """The rules table of `config`: an approved document's own table, else the shipped
    presets (a start configuration from a file or the defaults). Cached per config object."""
    cached = _IN_FORCE.get(id(config))
    if cached is not None and cached[0] is config:
        return cached[1]
    exchange: ExchangeRules | None = getattr(config, "exchange", None)
    found = RulesInForce(config.version, getattr(config, "jurisdictions", None) or presets(),
                         RateTable(exchange, config.version) if exchange is not None else NO_RATES,
                         getattr(config, "rg_model", None))
    if len(_IN_FORCE) >= 64:  # versions are few; shadow runs and tests make more, briefly
        _IN_FORCE.clear()
    _IN_FORCE[id(config)] = (config, found)
    return found


@cache
def default_rules() -> RulesInForce:
    """The presets under the default configuration: for folds run without a configuration
    (benchmarks, unit tests)."""
    from croupier.players.config import EngineConfig

    return RulesInForce(EngineConfig().version, presets())


def to_json(rules: JurisdictionRules) -> str:
    return json.dumps(msgspec.to_builtins(rules), indent=2, ensure_ascii=False)
