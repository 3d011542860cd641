"""Real-time membership: the segments the log has made live, which of them an event can
change, and the fold step that moves a player in and out of them.

Pure and replay-exact. Which segments are live at a log position follows the log alone
(`croupier.segment_activated` / `croupier.segment_deactivated`, like a configuration
activation). A player's memberships are part of the folded state (`PlayerState.segments`);
`update` re-evaluates, as of the event's own time, the live segments the event can have
changed, and returns the entries and exits for the engine to write to the log as
`croupier.segment_entered` / `croupier.segment_left` facts (journeys trigger on those).

Which segments an event can change: a frequent event type names the identifiers it can
change (`TOUCHES`, prefixes of identifiers); only the segments reading one of them are
evaluated, and only the features they read are computed (`players.features.feature_values`).
Any other event, and any event whose fold reported a fact (a registration, a first deposit,
an RG marker or risk level change, an exclusion...), evaluates every live segment. The RG
identifiers are no frequent type's business either: the step compares what they read before
and after the fold (`rg_mark`), and when the fold moved the risk, the segments reading it are
evaluated too. A test holds `TOUCHES` to the
fold: over simulated runs, every identifier whose value an event changes (at the event's
own time) is one the event's type names.

What time alone changes ("idle 14 days", a window sliding, a limit period rolling over)
is not an event's doing: the scheduled sweep evaluates players and writes a
`croupier.segment_sweep` timer fact for each one whose membership would change; folding it
evaluates every live segment as of the fact's time (so replay makes the same change).

Membership is the definition's match. A promotional segment's batch answers also leave out
the players the gate would hold back; in real time that is the gate's job when a journey
or campaign proposes a contact (it suppresses, and records why).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from croupier.events import SegmentActivated
from croupier.players.config import FeatureConfig
from croupier.players.features import EXTRACTORS, feature_values
from croupier.players.state import PlayerState
from croupier.segments.definition import Node
from croupier.segments.evaluate import Predicate, predicate, reads
from croupier.segments.protection import PROTECTION, protection_values
from croupier.segments.validate import load_json

# What a frequent event type can change, as identifier prefixes ("" would be everything).
_PLAY = ("bet_count_", "stake_", "bonus_stake_", "win_", "ggr_", "rtp_", "late_night_share_", "favourite_category_",
         "active_days_", "days_since_last_bet", "tod_", "peak_local_hour", "rfm_", "lifecycle_stage",
         "bet_to_deposit_ratio_30d", "bonus_stake_share_30d", "currency", "foreign_currency_events",
         "converted_currency_events", "exchange_rates_version", "session_mean_seconds_", "limits.loss.closeness",
         "limits.wager.closeness")
_MONEY = ("deposit_", "withdrawal_", "net_deposit_", "inflow_sum_", "first_deposit_", "last_deposit_",
          "last_withdrawal_", "days_since_first_deposit", "days_since_last_deposit", "active_days_", "rfm_",
          "lifecycle_stage", "bet_to_deposit_ratio_30d", "bonus_to_deposit_ratio_30d", "currency",
          "foreign_currency_events", "converted_currency_events", "exchange_rates_version", "limits.deposit.closeness")
_SESSION = ("session_", "login_count_", "active_days_", "days_since_last_login", "rtp_sensitivity", "rfm_",
            "lifecycle_stage", "device_count", "failed_logins", "limits.session_time.closeness")
TOUCHES: Mapping[str, tuple[str, ...]] = {
    "casino.bet": _PLAY, "casino.win": _PLAY, "sports.bet_placed": _PLAY, "sports.bet_settled": _PLAY,
    "payment.deposit": _MONEY, "payment.withdrawal": _MONEY,
    "session.started": _SESSION, "session.ended": _SESSION, "player.login": _SESSION, "player.logout": _SESSION,
    # front-end signals and feedback change no identifier a segment reads
    "frontend.cashier_opened": (), "frontend.deposit_started": (), "frontend.game_launched": (),
    "frontend.idle": (), "frontend.exit_intent": (), "message.feedback": (),
    "croupier.segment_entered": (), "croupier.segment_left": (),
}
SWEEP = "croupier.segment_sweep"


@dataclass(frozen=True, slots=True)
class LiveSegment:
    """One live segment version, compiled once when the log activates it."""

    segment_id: int
    version: int
    name: str
    purpose: str
    definition: Node
    predicate: Predicate = field(repr=False, compare=False)
    features: tuple[str, ...]      # the catalogue features it reads (computed per evaluation)
    protection: tuple[str, ...]    # the protection identifiers it reads
    reads: frozenset[str]

    @classmethod
    def of(cls, segment_id: int, version: int, name: str, purpose: str, definition: Node) -> LiveSegment:
        names = reads(definition)
        return cls(segment_id, version, name, purpose, definition, predicate(definition),
                   tuple(sorted(n for n in names if n in EXTRACTORS)),
                   tuple(sorted(n for n in names if n in PROTECTION)), names)


@dataclass(frozen=True, slots=True)
class Plan:
    """Segments to evaluate together, and the values they read (worked out once per event type)."""

    segments: tuple[LiveSegment, ...]
    features: tuple[str, ...]
    protection: tuple[str, ...]

    @classmethod
    def of(cls, segments: Iterable[LiveSegment]) -> Plan:
        chosen = tuple(segments)
        return cls(chosen, tuple(sorted({n for s in chosen for n in s.features})),
                   tuple(sorted({n for s in chosen for n in s.protection})))


@dataclass(frozen=True, slots=True)
class Change:
    """A player entered (or left) a live segment at `at_us`, because of `cause_event_id`."""

    segment_id: int
    version: int
    entered: bool
    at_us: int
    cause_event_id: str


class LiveSegments:
    """The live segments at one log position (immutable: an activation makes a new one, so a
    shadow or a replay holding the old one is not disturbed)."""

    __slots__ = ("segments", "_by_tag", "_all")

    def __init__(self, segments: Mapping[int, LiveSegment] | None = None):
        self.segments: dict[int, LiveSegment] = dict(segments or {})
        self._all = Plan.of(self.segments[k] for k in sorted(self.segments))
        self._by_tag: dict[str, Plan] = {}

    def __len__(self) -> int:
        return len(self.segments)

    def __bool__(self) -> bool:
        return bool(self.segments)

    def activated(self, fact: SegmentActivated) -> LiveSegments:
        """With `fact`'s version in force for its segment (a definition that no longer loads,
        say after an identifier was renamed, is refused here, before it is ever live)."""
        definition = load_json(fact.definition)
        segment = LiveSegment.of(fact.segment_id, fact.version, fact.name, fact.purpose, definition)
        return LiveSegments({**self.segments, fact.segment_id: segment})

    def deactivated(self, segment_id: int) -> LiveSegments:
        return LiveSegments({k: v for k, v in self.segments.items() if k != segment_id})

    def all(self) -> Plan:
        return self._all

    def affected(self, tag: str, rg_moved: bool = False) -> Plan:
        """The live segments an event of type `tag` can change (every one for a type
        `TOUCHES` does not name), with what they read; `rg_moved`: the fold also moved the
        RG risk (score, level, markers, interventions), so the segments reading it too."""
        key = tag + "+rg" if rg_moved else tag
        found = self._by_tag.get(key)
        if found is None:
            prefixes = TOUCHES.get(tag)
            if prefixes is None:
                found = self._all
            else:
                prefixes = (*prefixes, "rg.") if rg_moved else prefixes
                found = Plan.of(s for s in self._all.segments if prefixes and any(n.startswith(prefixes) for n in s.reads))
            self._by_tag[key] = found
        return found


EMPTY = LiveSegments()


def values_for(state: PlayerState, plan: Plan, at_us: int, config: FeatureConfig) -> dict[str, Any]:
    """What the plan's segments read of the player at `at_us`, and nothing else."""
    values = feature_values(state, at_us, config, plan.features)
    if plan.protection:
        values.update(protection_values(state, at_us, plan.protection))
    return values


def evaluate(state: PlayerState, plan: Plan, at_us: int, config: FeatureConfig) -> dict[int, bool]:
    """Whether the player matches each of the plan's segments at `at_us` (nothing is changed)."""
    if not plan.segments:
        return {}
    values = values_for(state, plan, at_us, config)
    return {s.segment_id: s.predicate(values) for s in plan.segments}


def rg_mark(state: PlayerState) -> tuple[int, str, int, bool, int]:
    """What the RG identifiers read, compared before and after a fold (`update`'s `rg_moved`)."""
    p = state.protection
    return p.risk_bp, p.risk_level, len(p.markers), p.promotions_paused, len(p.interventions)


def update(state: PlayerState, live: LiveSegments, tag: str, reported: bool, at_us: int, cause_event_id: str,
           config: FeatureConfig, rg_moved: bool = False) -> list[Change]:
    """Move the player in and out of the live segments an event of type `tag` can have
    changed (all of them when the fold `reported` a fact, or for a sweep; with `rg_moved`
    those reading the RG risk too); returns the changes, in segment id order. Memberships of segments no longer live are dropped
    without a change: the segment ended, not the player's match."""
    members = state.segments
    if members and any(k not in live.segments for k in members):
        for k in [k for k in members if k not in live.segments]:
            del members[k]
    if not live:
        return []
    plan = live.all() if reported or tag == SWEEP else live.affected(tag, rg_moved)
    if not plan.segments:
        return []
    changes = []
    for segment_id, now in evaluate(state, plan, at_us, config).items():
        if now == (segment_id in members):
            continue
        if now:
            members[segment_id] = at_us
        else:
            del members[segment_id]
        changes.append(Change(segment_id, live.segments[segment_id].version, now, at_us, cause_event_id))
    return changes


def would_change(state: PlayerState, live: LiveSegments, at_us: int, config: FeatureConfig) -> bool:
    """Whether a sweep at `at_us` would move the player in or out of a live segment (the
    sweep writes a timer fact only for such players)."""
    members = state.segments
    return any(now != (k in members) for k, now in evaluate(state, live.all(), at_us, config).items())
