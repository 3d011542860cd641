"""The compliance gate: one pure function every player-facing action passes.

`decide(proposal, state, config, now_us, ...)` looks only at the proposal, the player's state
(profile, consents, KYC, features and the protection state folded from the log), the engine
configuration and the jurisdiction's rules, and returns a Decision with every reason and
the config version. Nothing else can make a Decision, and the outbox takes nothing else.

Reason codes (docs/gate-and-audit.md lists them all):
- the player: player_not_registered, age_unknown, under_age:<age><<min>
- protection: excluded:<kind>:<scope>, promotions_paused, rg_risk:<level>,
  near_limit:<kind:period>:<pct>% (near_limit:<kind:period>:no_rate: not countable in the limit's currency)
- KYC and AML: kyc:<status>, aml_review, aml_restricted, aml_blocked
- the market: marketing_banned:<code>, bonus_banned:<code>, bonus_first_deposit_only:<code>,
  bonus_banned_for_risk:<level>, promotions_banned_under:<age>, quiet_hours:<start>-<end>,
  message_cap:<n>/day
- the channel: no_channel, no_consent:<channel>
- the message: message_expired (a time-limited offer, `params["expires_at_us"]`, whose expiry
  has come: never sent or honoured after it, whoever asks again, e.g. a dispatcher)
- the data: stale_data:<minutes>min><limit>min
- measurement: holdout.global (the player is in the global holdout: no promotion of any kind
  reaches them; compliance.holdout)
- the national register: register_check_pending, register_unavailable, register_not_configured
  (promotions wait for the register's answer, and a register nobody configured never
  answers); a market the operator opted out of its register passes with the note
  register_opted_out:<NAME>
Safer-play messages are never suppressed by RG rules (exclusion, risk, limits, market
marketing rules); they still need a known, adult player and a channel.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from croupier.compliance.actions import _SEAL, ACTION_KINDS, Decision, Proposal
from croupier.compliance.holdout import in_global_holdout, measurement_of
from croupier.compliance.rates import NO_RATES, RateTable
from croupier.compliance.rules import JurisdictionRules, rules_for, rules_in_force
from croupier.players.config import EngineConfig
from croupier.players.limit_usage import used as used_against_limit
from croupier.players.protection_state import active_exclusions, limits_in_force
from croupier.players.state import DEP_N, PlayerState

MINUTE_US = 60_000_000
RISK_ORDER = ("none", "low", "medium", "high", "severe")
PROMOTION_RISK_CEILING = "medium"   # promotions stop at high risk and above
NEAR_LIMIT_SHARE = 0.8              # promotions stop at 80 % of a money limit
# Under AML review nothing that invites deposits or passes value goes out (promotional
# messages, bonuses, rewards); enrolment in a mission or tournament carries no value itself
# (its prize is a reward, judged when paid). Restricted and blocked stop every promotion.
AML_REVIEW_SUPPRESSES = frozenset({"message", "bonus", "reward"})
# Until the national register has answered (or while it cannot be asked, or nobody configured
# it) nothing promotional goes out: the person may be listed. Transactional and safer-play
# messages pass. A market opted out of its register (exclusions.register_opt_out, approved by
# a second person) lets promotions through with a note instead: fail closed unless decided.
REGISTER_CHECK_REASONS = {"pending": "register_check_pending", "unavailable": "register_unavailable",
                          "not_configured": "register_not_configured", "opted_out": "register_not_configured"}
UNCONFIGURED = frozenset({"not_configured", "opted_out"})
# Every code `decide` can give, as reasons or notes (parameters in <>); compliance.reasons
# says each in words, and tests/gate/test_reasons_catalogue.py holds the two together.
REASON_CODES = (
    "all_checks_passed", "unknown_action_kind:<kind>", "player_not_registered", "age_unknown", "under_age:<age><<min>",
    "excluded:<kind>:<scope>", "promotions_paused", "rg_risk:<level>", "near_limit:<kind>:<period>:<pct>%",
    "kyc:<status>", "aml_review", "aml_restricted", "aml_blocked", "register_check_pending", "register_unavailable",
    "register_not_configured:<NAME>", "register_opted_out:<NAME>", "marketing_banned:<code>", "bonus_banned:<code>",
    "bonus_first_deposit_only:<code>", "bonus_banned_for_risk:<level>", "promotions_banned_under:<age>",
    "quiet_hours:<start>-<end>", "message_cap:<n>/day", "no_channel", "no_consent:<channel>", "message_expired",
    "stale_data:<minutes>min><limit>min", "holdout.global",
)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@lru_cache(maxsize=1024)
def _zone(name: str | None) -> ZoneInfo | timezone:
    try:
        return ZoneInfo(name) if name else timezone.utc
    except (ValueError, KeyError):
        return timezone.utc


def _local(now_us: int, tz: str | None) -> datetime:
    return (_EPOCH + timedelta(microseconds=now_us)).astimezone(_zone(tz))


def _local_date(now_us: int, tz: str | None) -> date:
    """The player's calendar date at `now_us` (UTC when the zone is unknown): a player comes
    of age at midnight where they live, never by the clock of the server deciding."""
    return _local(now_us, tz).date()


def _age(birth_date: str, on: date) -> int | None:
    try:
        born = date.fromisoformat(birth_date)
    except ValueError:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _in_hours(hour: int, window: list[int]) -> bool:
    start, end = window
    return start <= hour < end if start <= end else (hour >= start or hour < end)


def limit_usage(state: PlayerState, kind: str, period: str, now_us: int, currency: str | None = None,
                rates: RateTable = NO_RATES) -> int | None:
    """Money used against a limit over its period (UTC calendar periods of the engine's day
    buckets), counted as the ledger counts: every inflow for a deposit limit (deposits,
    bonus credits, adjustments that add funds), cash stakes less cash wins for a loss limit,
    all stakes for a wager limit; in `currency` (the limit's), converted from the player's at
    `rates`, None without a rate. Where the platform is the wallet this is the figure
    `/v1/authorize` counts too (players.limit_usage)."""
    if kind not in ("deposit", "loss", "wager"):
        return None
    return used_against_limit(state, kind, period, now_us, currency, rates)


def _protection_reasons(state: PlayerState, marketing: bool, now_us: int, rules: JurisdictionRules,
                        rates: RateTable = NO_RATES) -> list[str]:
    p = state.protection
    reasons = [f"excluded:{x.kind}:{x.scope}" for x in active_exclusions(p, now_us)]
    if not marketing:
        return reasons
    if p.promotions_paused:
        reasons.append("promotions_paused")
    if RISK_ORDER.index(p.risk_level) > RISK_ORDER.index(PROMOTION_RISK_CEILING):
        reasons.append(f"rg_risk:{p.risk_level}")
    for key, limit in sorted(limits_in_force(p, now_us).items()):
        if not limit.amount_minor or limit.kind not in ("deposit", "loss", "wager"):
            continue
        used = limit_usage(state, limit.kind, limit.period, now_us, limit.currency, rates)
        if used is None:   # the player's money cannot be counted in the limit's currency: fail closed
            reasons.append(f"near_limit:{key}:no_rate")
        elif used >= NEAR_LIMIT_SHARE * limit.amount_minor:
            reasons.append(f"near_limit:{key}:{min(100, used * 100 // limit.amount_minor)}%")
    return reasons


def _market_reasons(proposal: Proposal, state: PlayerState, rules: JurisdictionRules, age: int | None,
                    now_us: int) -> list[str]:
    reasons: list[str] = []
    code = rules.code
    bonuses, marketing = rules.bonuses, rules.marketing
    if proposal.kind == "bonus":
        if not bonuses.allowed:
            reasons.append(f"bonus_banned:{code}")
        if bonuses.first_deposit_only and state.life[DEP_N] > 1:  # a bonus only on the first occasion
            reasons.append(f"bonus_first_deposit_only:{code}")
        if state.protection.risk_level in bonuses.banned_for_risk_levels:
            reasons.append(f"bonus_banned_for_risk:{state.protection.risk_level}")
    if bonuses.banned_under_age is not None and age is not None and age < bonuses.banned_under_age:
        reasons.append(f"promotions_banned_under:{bonuses.banned_under_age}")
    if proposal.kind == "message":
        if marketing.banned:
            reasons.append(f"marketing_banned:{code}")
        local = _local(now_us, state.profile.get("timezone"))
        if marketing.quiet_hours and _in_hours(local.hour, marketing.quiet_hours):
            reasons.append(f"quiet_hours:{marketing.quiet_hours[0]}-{marketing.quiet_hours[1]}")
        cap = marketing.max_messages_per_day
        if cap is not None and _sent_today(state, now_us) >= cap:
            reasons.append(f"message_cap:{cap}/day")
    return reasons


def _local_day(state: PlayerState, now_us: int) -> int:
    return _local_date(now_us, state.profile.get("timezone")).toordinal()


def _sent_today(state: PlayerState, now_us: int) -> int:
    p = state.protection
    return p.promo_count if p.promo_day == _local_day(state, now_us) else 0


def record_sent(state: PlayerState, decision: Decision) -> None:
    """Count an allowed promotional message against the player's daily cap (the engine calls
    this for every allowed decision, live and in replay alike)."""
    proposal = decision.proposal
    if not decision.allowed or proposal.kind != "message" or proposal.purpose != "promotional":
        return
    p = state.protection
    day = _local_day(state, decision.decided_at_us)
    if p.promo_day != day:
        p.promo_day, p.promo_count = day, 0
    p.promo_count += 1


def decide(proposal: Proposal, state: PlayerState, config: EngineConfig, now_us: int,
           event_at_us: int | None = None, rules: JurisdictionRules | None = None) -> Decision:
    """Allow or suppress `proposal`. `now_us` is when the decision is taken (for replays, the
    time the triggering event was received, so a replay decides exactly as live did);
    `rules` are the player's jurisdiction's (default: from the config's table, else the presets)."""
    jurisdiction = state.profile.get("jurisdiction")
    # An approved configuration document carries its own jurisdiction table; else the presets.
    rules = rules or rules_for(jurisdiction, getattr(config, "jurisdictions", None) or None)
    purpose, kind = proposal.purpose, proposal.kind
    safer_play = kind == "message" and purpose == "safer_play"
    marketing = kind != "message" or purpose == "promotional"   # bonuses, missions, rewards promote too
    reasons: list[str] = []
    if kind not in ACTION_KINDS:
        reasons.append(f"unknown_action_kind:{kind}")
    if not state.registered:
        reasons.append("player_not_registered")
    min_age = max(rules.min_age, config.min_age.get(jurisdiction or "default", config.min_age.get("default", 18)))
    birth = state.profile.get("birth_date")
    age = _age(birth, _local_date(now_us, state.profile.get("timezone"))) if birth else None
    if age is None:
        reasons.append("age_unknown")
    elif age < min_age:
        reasons.append(f"under_age:{age}<{min_age}")
    if not safer_play:  # safer-play messages are never suppressed by RG rules
        reasons.extend(_protection_reasons(state, marketing, now_us, rules, rules_in_force(config).rates))
        if marketing:
            reasons.extend(_market_reasons(proposal, state, rules, age, now_us))
    if kind in ("bonus", "reward") and state.kyc_status in ("failed", "expired"):
        reasons.append(f"kyc:{state.kyc_status}")
    aml = state.protection.aml_status
    if aml != "clear" and marketing and (aml != "review" or kind in AML_REVIEW_SUPPRESSES):
        reasons.append(f"aml_{aml}")
    notes: tuple[str, ...] = ()
    check = state.protection.register_check
    if marketing and check:
        held = REGISTER_CHECK_REASONS.get(check)
        named = rules.exclusions.register
        if check in UNCONFIGURED and named is None:   # the rules in force name no register any more
            held = None
        elif check == "opted_out" and rules.exclusions.register_opt_out:  # recorded, and still in force
            held, notes = None, (f"register_opted_out:{named}",)
        if held == "register_not_configured":   # name it: staff and integrators see which list is missing
            held = f"register_not_configured:{named}"
        if held is not None:
            reasons.append(held)
    if kind == "message":
        if proposal.channel is None:
            reasons.append("no_channel")
        elif purpose == "promotional" and rules.marketing.consent_required and not state.consents.get(proposal.channel, False):
            reasons.append(f"no_consent:{proposal.channel}")
        expires = proposal.params.get("expires_at_us")
        if isinstance(expires, int) and not isinstance(expires, bool) and now_us >= expires:
            reasons.append("message_expired")
    if marketing and event_at_us is not None:
        lag_minutes = (now_us - event_at_us) // MINUTE_US
        if lag_minutes > config.stale_after_minutes:
            reasons.append(f"stale_data:{lag_minutes}min>{config.stale_after_minutes}min")
    if marketing and in_global_holdout(proposal.player_id, measurement_of(config).global_holdout_percent):
        reasons.append("holdout.global")
    obligations: list[str] = []
    if kind == "message" and purpose == "promotional":
        obligations.append("unsubscribe_link")
        if rules.marketing.safer_play_disclaimer:
            obligations.append(f"disclaimer:{rules.marketing.safer_play_disclaimer}")
    allowed = not reasons
    return Decision(_SEAL, proposal, allowed, tuple(reasons) or ("all_checks_passed",),
                    config.version, now_us, tuple(obligations) if allowed else (), notes)
