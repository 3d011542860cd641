"""Per-player state: what `apply` folds events into, and what features are read from.

Windowed aggregates live in per-day buckets keyed by the UTC day of `occurred_at`, so a late
event lands in the day it happened and every window (1, 7, 30, 90 days) stays exact. Values
that are "the latest" or "the last N" are kept by `occurred_at` too, so the state does not
depend on the order events arrive in (docs/protocol.md#order-per-player lists the exceptions).
"""

from __future__ import annotations

from typing import Any

from msgspec import Struct, field

from croupier.contact import ContactMemory
from croupier.players.contact_state import HeldContact
from croupier.players.journey_state import JourneyState
from croupier.players.protection_state import ProtectionState, RgTrack

# Core metric slots of a day bucket (and of the lifetime totals).
DEP_N, DEP_SUM, WD_N, WD_SUM, WD_CANCELLED_N, DEP_DECLINED_N, BET_N, STAKE, WIN, BONUS_STAKE, \
    SESS_N, SESS_SECONDS, LOGIN_N, LATE_BET_N, CHARGEBACK_N, CHARGEBACK_SUM = range(16)
METRICS = 16
# A day bucket has one more slot after the metrics: the day's first activity time (an
# extreme, not a sum: never added across days), which lets a rollback prove it cannot
# open a lapse without refolding.
FIRST_ACTIVITY = METRICS

# Money the ledger moves that is not play (bonus credits, conversions, staff adjustments):
# rare, so kept in sparse day buckets of its own instead of widening every day bucket.
BONUS_N, BONUS_SUM, CONV_N, CONV_SUM, ADJ_N, ADJ_IN, ADJ_OUT = range(7)
WALLET_METRICS = 7

CATEGORIES = ("slots", "live_casino", "table", "crash", "bingo", "poker", "other", "sports")
CATEGORY_INDEX = {name: i for i, name in enumerate(CATEGORIES)}
N_CATS = len(CATEGORIES)
# Slots of a category bucket.
C_BETS, C_STAKE, C_WIN = range(3)

DAY_US = 86_400_000_000
KEEP_DAYS = 100            # day buckets older than this (vs the newest) fold into lifetime only
RECENT_SESSIONS = 100      # latest ended sessions (by end time) kept for the median and last-5 features
RECENT_BETS = 64           # bet ids remembered to attribute wins to a game category (and wins awaiting their bet)
RECENT_GAMES = 32          # games remembered to attribute wins whose bet id is no longer recent
RECENT_TIMES = 8           # latest bet / deposit times kept so a rollback can restore the previous one
PENDING_LIMIT = 512        # open sports bets / withdrawals remembered per player


class OpenSession(Struct, array_like=True):
    started_us: int
    losing_streak: int = 0        # losing bets since the last win (the current losing run)
    reset_seq: int = 0            # log position of the win that last reset the run; -1 unknown
    streak_before_reset: int = 0  # the run that win ended, so undoing the win can restore it
    # The session's last bet, for stake chasing (protection.chasing): stakes raised right
    # after a lost bet. Counted per bet in apply: a few int comparisons.
    last_stake: int = 0           # its stake (minor units); 0: no bet yet
    last_won: int = 0             # what it has won so far (a loss: less than its stake)
    last_bet: str = ""            # its bet id (its wins find it by this)
    chain: int = 0                # chase steps in a row ending at it (a martingale-like progression)
    chain_from: int = 0           # the stake before the first step of that chain


class PlayerState(Struct, omit_defaults=True):
    player_id: str
    brand: str = ""
    registered: bool = False
    profile: dict[str, Any] = field(default_factory=dict)
    consents: dict[str, bool] = field(default_factory=dict)
    currency: str | None = None
    kyc_status: str | None = None
    kyc_level: str | None = None
    registered_us: int | None = None     # the earliest registration's occurred_at
    first_event_us: int | None = None
    last_event_us: int | None = None
    last_seq: int = 0
    event_count: int = 0
    first_deposit_us: int | None = None
    first_deposit_minor: int | None = None
    last_deposit_us: int | None = None
    last_deposit_minor: int | None = None
    last_withdrawal_us: int | None = None
    last_withdrawal_minor: int | None = None
    last_login_us: int | None = None
    last_bet_us: int | None = None
    # UTC day of the latest bet per category (index as CATEGORIES; -1: none), by occurred_at.
    # Empty until the first bet: eight small ints, not a list of bets (see `last_category_days`).
    last_cat_bet_day: list[int] = field(default_factory=list)
    last_activity_us: int | None = None
    first_activity_us: int | None = None
    last_session_us: int | None = None
    recent_bet_us: list[int] = field(default_factory=list)          # newest RECENT_TIMES bet times, ascending
    recent_deposits: list[list[int]] = field(default_factory=list)  # newest [at_us, minor], ascending
    reactivated_us: int | None = None
    balance: str | None = None
    bonus_balance: str | None = None
    balance_at_us: int | None = None
    days: dict[int, list[int]] = field(default_factory=dict)
    cats: dict[int, list[int]] = field(default_factory=dict)   # key: day * N_CATS + category
    life: list[int] = field(default_factory=lambda: [0] * METRICS)
    life_cats: list[int] = field(default_factory=lambda: [0] * (N_CATS * 3))
    hours: list[int] = field(default_factory=lambda: [0] * 24)  # bets per local hour of day
    sessions: dict[str, OpenSession] = field(default_factory=dict)
    session_durations: list[int] = field(default_factory=list)  # seconds, ordered by (end time, seconds)
    session_ends: list[int] = field(default_factory=list)       # their end times (us), ascending
    sessions_ended: int = 0
    sessions_after_losing_run: int = 0
    recent_bets: dict[str, int] = field(default_factory=dict)      # casino bet id -> category
    orphan_wins: dict[str, list[int]] = field(default_factory=dict)  # bet id not seen yet -> [day, minor, category]*
    games: dict[str, int] = field(default_factory=dict)            # game id -> category (last RECENT_GAMES)
    open_sports: dict[str, list[int]] = field(default_factory=dict)  # bet id -> [stake, day]
    withdrawals: dict[str, list[Any]] = field(default_factory=dict)  # tx -> [status, day, minor]
    approved_deposits: list[str] = field(default_factory=list)        # latest RECENT_BETS approved tx ids
    foreign_currency_events: int = 0               # in another currency, no rate: counted, not summed
    converted_currency_events: int = 0             # in another currency, converted and summed
    exchange_version: str | None = None            # the configuration whose rates converted the latest
    rolled_back: list[str] = field(default_factory=list)
    unmatched_rollbacks: int = 0
    limit_changes: int = 0
    exclusion_requests: int = 0
    support_messages: int = 0
    failed_logins: int = 0
    devices: list[str] = field(default_factory=list)
    # When a value in force was written (occurred_at, us), for last-writer-wins by occurred_at:
    # profile fields and "consent:<channel>" written after the earliest registration (whose
    # own values are stamped by `registered_us`), "kyc_status", "kyc_level", "bonus_balance",
    # and "currency" while an unregistered player's wallet currency comes from a money event.
    stamps: dict[str, int] = field(default_factory=dict)
    wallet_days: dict[int, list[int]] = field(default_factory=dict)  # UTC day -> WALLET_METRICS slots
    wallet_life: list[int] = field(default_factory=list)            # lifetime WALLET_METRICS; empty until used
    last_bonus_us: int | None = None
    protection: ProtectionState = field(default_factory=ProtectionState)
    rg: RgTrack = field(default_factory=RgTrack)   # evidence for the RG risk markers (protection.markers)
    # Live segments the player matches: segment id -> when they entered (us). Folded by the
    # engine's step from the live segments at each log position (segments.live).
    segments: dict[int, int] = field(default_factory=dict)
    # Where the player is in the live journeys and what is kept of those they left
    # (journeys.run: the interpreter folds it), and the tags journeys set: tag -> when (us).
    journeys: JourneyState = field(default_factory=JourneyState)
    tags: dict[str, int] = field(default_factory=dict)
    # The player's recent promotional contacts (what the contact arbiter counts caps and
    # fatigue on) and the messages it told to wait, ordered by (until, message id): folded by
    # the engine's step (engine.contacts). A state saved before either existed loads empty.
    contacts: ContactMemory = field(default_factory=ContactMemory)
    held: list[HeldContact] = field(default_factory=list)
    # The lifecycle stage the step last saw ("" before the first), so a change is noticed once
    # (engine.changes writes `croupier.stage_changed` for it).
    stage: str = ""

    def __post_init__(self) -> None:
        if len(self.session_ends) < len(self.session_durations):
            # A state saved before session end times were kept: its sessions rank oldest.
            self.session_ends[:0] = [0] * (len(self.session_durations) - len(self.session_ends))
        if not self.last_cat_bet_day and any(self.life_cats[C_BETS::3]):
            # A state saved before the per-category last bet day was kept: derived from the buckets.
            self.last_cat_bet_day = last_category_days(self)


def last_category_days(state: PlayerState) -> list[int]:
    """Per category, the latest UTC day with a bet in the kept day buckets. A category with
    lifetime bets but none in the kept days last saw one before the horizon: it gets the day
    before the oldest kept day, so its "days since" is a lower bound (at least KEEP_DAYS),
    exact enough for any idle threshold up to KEEP_DAYS. Only for states saved before
    `last_cat_bet_day` existed; the fold keeps that field exact."""
    out = [-1] * N_CATS
    for key, bucket in state.cats.items():
        cat, day = key % N_CATS, key // N_CATS
        if bucket[C_BETS] > 0 and day > out[cat]:
            out[cat] = day
    horizon = (min(state.days) - 1) if state.days else -1
    for cat in range(N_CATS):
        if out[cat] < 0 and state.life_cats[cat * 3 + C_BETS] > 0:
            out[cat] = horizon
    return out


def new_state(player_id: str) -> PlayerState:
    return PlayerState(player_id=player_id)


def inflow(state: PlayerState, first_day: int, last_day: int) -> int:
    """What deposit limits count over UTC days first..last: approved deposits, bonus credits
    and adjustments that add funds (the ledger counts the same three, in the player's time zone)."""
    total = 0
    for day, bucket in state.days.items():
        if first_day <= day <= last_day:
            total += bucket[DEP_SUM]
    for day, bucket in state.wallet_days.items():
        if first_day <= day <= last_day:
            total += bucket[BONUS_SUM] + bucket[ADJ_IN]
    return total
