"""The compliance gate: one pure function every player-facing action passes.

This is the skeleton's gate: it checks that the player is known, old enough, has consented
to the channel and that the data it would act on is fresh. Exclusions, limits, RG risk and
jurisdiction rules join it with the protection issue; every check states its reason.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from croupier.compliance.actions import _SEAL, ACTION_KINDS, Decision, Proposal
from croupier.players.config import EngineConfig
from croupier.players.protection_state import active_exclusions
from croupier.players.state import PlayerState

MINUTE_US = 60_000_000


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@lru_cache(maxsize=1024)
def _zone(name: str | None) -> ZoneInfo | timezone:
    try:
        return ZoneInfo(name) if name else timezone.utc
    except (ValueError, KeyError):
        return timezone.utc


def _local_date(now_us: int, tz: str | None) -> date:
    """The player's calendar date at `now_us` (UTC when the zone is unknown): a player comes
    of age at midnight where they live, never by the clock of the server deciding."""
    return (_EPOCH + timedelta(microseconds=now_us)).astimezone(_zone(tz)).date()


def _age(birth_date: str, on: date) -> int | None:
    try:
        born = date.fromisoformat(birth_date)
    except ValueError:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def decide(proposal: Proposal, state: PlayerState, config: EngineConfig, now_us: int,
           event_at_us: int | None = None) -> Decision:
    """Allow or suppress `proposal`; `now_us` is when the decision is taken (for replays, the
    time the triggering event was received, so a replay decides exactly as live did)."""
    reasons: list[str] = []
    if proposal.kind not in ACTION_KINDS:
        reasons.append(f"unknown_action_kind:{proposal.kind}")
    if not state.registered:
        reasons.append("player_not_registered")
    jurisdiction = state.profile.get("jurisdiction", "default")
    min_age = config.min_age.get(jurisdiction, config.min_age.get("default", 18))
    birth = state.profile.get("birth_date")
    today = _local_date(now_us, state.profile.get("timezone"))
    age = _age(birth, today) if birth else None
    if age is None:
        reasons.append("age_unknown")
    elif age < min_age:
        reasons.append(f"under_age:{age}<{min_age}")
    if proposal.kind == "message" and proposal.purpose != "transactional":
        if proposal.channel is None:
            reasons.append("no_channel")
        elif not state.consents.get(proposal.channel, False):
            reasons.append(f"no_consent:{proposal.channel}")
    if proposal.purpose != "safer_play":  # safer-play messages are never suppressed by RG rules
        for exclusion in active_exclusions(state.protection, now_us):
            reasons.append(f"excluded:{exclusion.kind}:{exclusion.scope}")
    if proposal.purpose == "promotional" and event_at_us is not None:
        lag_minutes = (now_us - event_at_us) // MINUTE_US
        if lag_minutes > config.stale_after_minutes:
            reasons.append(f"stale_data:{lag_minutes}min>{config.stale_after_minutes}min")
    allowed = not reasons
    return Decision(_SEAL, proposal, allowed, tuple(reasons) or ("all_checks_passed",),
                    config.version, now_us)
