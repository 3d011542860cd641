"""Event protocol v1: one msgspec Struct per event type, tagged by `type`.

Validation is declarative here (msgspec checks types, enums, patterns and RFC 3339 times in
C); the few rules msgspec cannot express (known currency, minor-unit precision, future
times) live in `validate.py`. Unknown fields are allowed: the raw JSON is what the log keeps.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Union

import msgspec
from msgspec import Meta, Struct

Id = Annotated[str, Meta(min_length=1, max_length=128, description="producer-chosen identifier")]
# A player id is a URL path segment (/v1/players/{id}, /v1/wallet/{id}/…): validate.py refuses
# '/', '\\', control characters, '.' and '..' in inbound events (the type stays open so that
# events stored before the rule still decode).
PlayerId = Annotated[str, Meta(min_length=1, max_length=128, description=(
    "producer-chosen player identifier; it appears in URLs, so it must not contain '/', '\\' or "
    "control characters (U+0000–U+001F, U+007F–U+009F) and must not be '.' or '..'"))]
Amount = Annotated[
    str,
    Meta(
        pattern=r"^[0-9]{1,12}(\.[0-9]{1,8})?$",
        description="non-negative decimal string, e.g. \"10.50\"; never a JSON number; at most 12 digits "
                    "before the point and 14 digits in the currency's minor units (999999999999.99 EUR, "
                    "9999999999.9999 CLF)",
        examples=["10.50"],
    ),
]
Currency = Annotated[str, Meta(pattern=r"^[A-Z]{3}$", description="ISO 4217 code", examples=["EUR"])]
Timestamp = Annotated[datetime, Meta(tz=True, description="RFC 3339 with a UTC offset")]
Text = Annotated[str, Meta(max_length=10_000)]
Short = Annotated[str, Meta(max_length=256)]

GameCategory = Literal["slots", "live_casino", "table", "crash", "bingo", "poker", "other"]
Channel = Literal["email", "sms", "push"]
DepositStatus = Literal["requested", "approved", "declined", "failed"]
WithdrawalStatus = Literal["requested", "approved", "declined", "cancelled", "reversed"]
SessionChannel = Literal["web", "mobile", "app"]
LimitKind = Literal["deposit", "loss", "wager", "session_time"]
LimitPeriod = Literal["day", "week", "month"]
LimitSource = Literal["player", "operator", "regulator"]
ExclusionKind = Literal["self_exclusion", "timeout", "cooling_off", "panic"]
KycStatus = Literal["pending", "verified", "failed", "expired"]
BetOutcome = Literal["won", "lost", "void", "cashout"]
FeedbackOutcome = Literal["delivered", "opened", "clicked", "bounced", "complained", "unsubscribed"]
AmlStatus = Literal["clear", "review", "restricted", "blocked"]
RegisterStatus = Literal["clear", "hit", "unavailable", "not_configured", "opted_out"]


class Consents(Struct, forbid_unknown_fields=False):
    email: bool = False
    sms: bool = False
    push: bool = False


class Event(Struct, tag_field="type", kw_only=True, forbid_unknown_fields=False):
    """Fields every event carries."""

    event_id: Id
    player_id: PlayerId
    brand: Id
    occurred_at: Timestamp


BirthDate = Annotated[str, Meta(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")]
Country = Annotated[str, Meta(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]


class Profile(Event, kw_only=True):
    """Profile fields a registration carries and an update may change."""

    language: Short | None = None
    timezone: Short | None = None
    birth_date: BirthDate | None = None
    email: Short | None = None
    phone: Short | None = None
    first_name: Short | None = None
    last_name: Short | None = None


class PlayerRegistered(Profile, tag="player.registered", kw_only=True):
    jurisdiction: Short
    country: Country
    currency: Currency
    device_id: Short | None = None
    ip: Short | None = None
    affiliate_id: Short | None = None
    consents: Consents = msgspec.field(default_factory=Consents)


class PlayerUpdated(Profile, tag="player.updated", kw_only=True):
    """Changed profile fields; any registration field may appear."""

    jurisdiction: Short | None = None
    country: Country | None = None
    currency: Currency | None = None


class ConsentChanged(Event, tag="player.consent_changed", kw_only=True):
    channel: Channel
    granted: bool


class PlayerLogin(Event, tag="player.login", kw_only=True):
    device_id: Short | None = None
    ip: Short | None = None
    country: Short | None = None
    success: bool = True


class PlayerLogout(Event, tag="player.logout", kw_only=True):
    device_id: Short | None = None
    ip: Short | None = None
    country: Short | None = None
    success: bool = True


class KycStatusChanged(Event, tag="kyc.status_changed", kw_only=True):
    status: KycStatus
    level: Short | None = None


class ExchangeUsed(Struct, forbid_unknown_fields=False, omit_defaults=True):
    """An exchange rate Croupier's ledger used for a posting in another currency than a limit
    in force or the player's currency: from the configuration version named."""

    source: Currency = msgspec.field(name="from")
    target: Currency = msgspec.field(name="to")
    rate: Annotated[str, Meta(pattern=r"^[0-9]{1,40}(\.[0-9]{1,40})?$", description="units of `to` per unit of `from`")]
    config_version: Short
    as_of: Short = ""
    amount: Amount | None = None        # the posting's amount in `to` (rounded up: it counts against limits)


class Reported(Event, kw_only=True):
    """Optional extension fields: the balance after the event, as the operator's wallet
    reports it (shown as "balances as reported"; the ledger keeps its own), and the exchange
    rates the ledger used when it posted the money in another currency (informational: the
    engine converts at the rates of the configuration in force, never at a rate an event names)."""

    balance: Amount | None = None
    bonus_balance: Amount | None = None
    exchange: list[ExchangeUsed] | None = None


class Payment(Reported, kw_only=True):
    """Fields deposits and withdrawals share; each status change is its own event."""

    transaction_id: Id
    amount: Amount
    currency: Currency
    method: Short | None = None
    instrument_id: Short | None = None


class Deposit(Payment, tag="payment.deposit", kw_only=True):
    status: DepositStatus


class Withdrawal(Payment, tag="payment.withdrawal", kw_only=True):
    status: WithdrawalStatus


class Chargeback(Event, tag="payment.chargeback", kw_only=True):
    transaction_id: Id
    amount: Amount
    currency: Currency


class SessionEvent(Event, kw_only=True):
    session_id: Id
    device_id: Short | None = None
    ip: Short | None = None
    channel: SessionChannel | None = None


class SessionStarted(SessionEvent, tag="session.started", kw_only=True):
    """A playing session began."""


class SessionEnded(SessionEvent, tag="session.ended", kw_only=True):
    """A playing session ended (its duration is the time since its start)."""


class CasinoBet(Reported, tag="casino.bet", kw_only=True):
    bet_id: Id
    amount: Amount
    currency: Currency
    game_category: GameCategory = "other"
    session_id: Short | None = None
    game_id: Short | None = None
    provider: Short | None = None
    bonus_amount: Amount = "0"


class CasinoWin(Reported, tag="casino.win", kw_only=True):
    bet_id: Id
    amount: Amount
    currency: Currency
    game_id: Short | None = None


class SportsBetPlaced(Reported, tag="sports.bet_placed", kw_only=True):
    bet_id: Id
    amount: Amount
    currency: Currency
    odds: Annotated[str, Meta(pattern=r"^[0-9]{1,6}(\.[0-9]{1,4})?$")] | None = None
    sport: Short | None = None
    market: Short | None = None
    live: bool = False
    bonus_amount: Amount = "0"


class SportsBetSettled(Reported, tag="sports.bet_settled", kw_only=True):
    bet_id: Id
    outcome: BetOutcome
    payout: Amount = "0"
    currency: Currency | None = None


class LimitChanged(Event, tag="limit.changed", kw_only=True):
    kind: LimitKind
    period: LimitPeriod
    source: LimitSource = "player"
    amount: Amount | None = None
    currency: Currency | None = None
    minutes: Annotated[int, Meta(ge=0, le=525_600)] | None = None


class ExclusionRequested(Event, tag="exclusion.requested", kw_only=True):
    kind: ExclusionKind
    duration: Short | None = None
    scope: Short | None = None
    reason: Short | None = None         # why: "gambling_harm" when gambling problems are the reason


class SupportMessage(Event, tag="support.message", kw_only=True):
    text: Text
    ticket_id: Short | None = None
    channel: Short | None = None
    language: Short | None = None


class MessageFeedback(Event, tag="message.feedback", kw_only=True):
    message_id: Id
    outcome: FeedbackOutcome


class Rollback(Event, tag="rollback", kw_only=True):
    ref_event_id: Id
    reason: Short | None = None


class FrontendSignal(Event, kw_only=True):
    """A signal from the casino front end, so journeys can react within the session (a
    cashier opened, a deposit started and not completed, a game launched, the player idle or
    about to leave). Signals move no money and no feature of play: they are triggers and
    waits for journeys (docs/journeys.md), kept in the log like every event."""

    page: Short | None = None               # where in the front end: "cashier", "lobby", a game page
    session_id: Id | None = None


class CashierOpened(FrontendSignal, tag="frontend.cashier_opened", kw_only=True):
    pass


class DepositStarted(FrontendSignal, tag="frontend.deposit_started", kw_only=True):
    """The player began a deposit in the cashier. `transaction_id` is the one the payment
    events will carry, so "started and not completed" is a deposit started with no
    `payment.deposit` of that id approved within the journey's wait."""

    transaction_id: Id
    amount: Amount | None = None            # with `currency`, when the player entered one
    currency: Currency | None = None
    method: Short | None = None


class GameLaunched(FrontendSignal, tag="frontend.game_launched", kw_only=True):
    game_id: Id
    game_category: GameCategory | Literal["sports"] | None = None
    provider: Short | None = None


class Idle(FrontendSignal, tag="frontend.idle", kw_only=True):
    idle_seconds: Annotated[int, Meta(ge=0, le=86_400, description="seconds without interaction")]


class ExitIntent(FrontendSignal, tag="frontend.exit_intent", kw_only=True):
    pass


FRONTEND_TYPES: tuple[type[Event], ...] = (CashierOpened, DepositStarted, GameLaunched, Idle, ExitIntent)
INBOUND_TYPES: tuple[type[Event], ...] = (
    PlayerRegistered, PlayerUpdated, ConsentChanged, PlayerLogin, PlayerLogout,
    KycStatusChanged, Deposit, Withdrawal, Chargeback, SessionStarted, SessionEnded,
    CasinoBet, CasinoWin, SportsBetPlaced, SportsBetSettled, LimitChanged,
    ExclusionRequested, SupportMessage, MessageFeedback, Rollback, *FRONTEND_TYPES,
)
AnyEvent = Union[  # noqa: UP007 - msgspec needs a real Union of tagged structs
    PlayerRegistered, PlayerUpdated, ConsentChanged, PlayerLogin, PlayerLogout,
    KycStatusChanged, Deposit, Withdrawal, Chargeback, SessionStarted, SessionEnded,
    CasinoBet, CasinoWin, SportsBetPlaced, SportsBetSettled, LimitChanged,
    ExclusionRequested, SupportMessage, MessageFeedback, Rollback,
    CashierOpened, DepositStarted, GameLaunched, Idle, ExitIntent,
]
TYPE_NAMES: tuple[str, ...] = tuple(t.__struct_config__.tag for t in INBOUND_TYPES)
# Events whose effects a `rollback` may undo.
ROLLBACKABLE = frozenset({"casino.bet", "casino.win", "sports.bet_placed", "sports.bet_settled",
                          "payment.deposit", "payment.withdrawal"})


# --- Croupier's own facts ----------------------------------------------------------------
# Written by Croupier itself (protection API, ledger, engine) into the same log, so replay and
# the audit trail cover them. Producers cannot send these types: POST /v1/events rejects them.

class Fact(Event, kw_only=True):
    actor: Short | None = None          # staff user, "player", "operator", "regulator", "engine"
    reason: Text | None = None


class LimitSet(Fact, tag="croupier.limit_set", kw_only=True):
    """A limit changed: in force from `effective_at` (later than occurred_at for an increase
    or removal waiting out the jurisdiction's cooling period)."""

    kind: LimitKind
    period: LimitPeriod
    source: LimitSource = "player"
    amount: Amount | None = None        # None with minutes None: the limit is removed
    currency: Currency | None = None
    minutes: Annotated[int, Meta(ge=0, le=525_600)] | None = None
    effective_at: Timestamp
    change: Literal["new", "decrease", "increase", "removal"] = "new"


class ExclusionStarted(Fact, tag="croupier.exclusion_started", kw_only=True):
    exclusion_id: Id
    kind: Literal["self_exclusion", "timeout", "cooling_off", "panic", "closure", "register", "operator"]
    scope: Literal["brand", "operator", "national"]
    until: Timestamp | None = None      # None: indefinite
    source: Short | None = None         # player, operator, regulator, register name, linked account


class ExclusionEnded(Fact, tag="croupier.exclusion_ended", kw_only=True):
    exclusion_id: Id


class PersonLinked(Fact, tag="croupier.person_linked", kw_only=True):
    person_id: Id
    evidence: list[Short] = msgspec.field(default_factory=list)   # e.g. ["national_id_hash", "email"]


class RealityCheck(Fact, tag="croupier.reality_check", kw_only=True):
    session_id: Id
    elapsed_minutes: int
    session_ended: bool = False         # the session limit was reached and the session was ended


CONFIG_STREAM = "croupier.config"      # the player_id of configuration facts: they belong to no player


class ConfigActivated(Fact, tag="croupier.config_activated", kw_only=True):
    """A configuration version was put in force (a second officer approved it). A fact of the
    whole log, not of a player (`player_id` is CONFIG_STREAM): the engine switches to `version`
    at this position, so live processing, restarts and replays agree on which version folded
    and decided every event. `actor` is the approver, `reason` their comment."""

    version: Id
    previous_version: Id | None = None
    proposed_by: Short | None = None


class RgReviewed(Fact, tag="croupier.rg_reviewed", kw_only=True):
    """An RG officer reviewed the player: open cases close; a hard stop lifts if they say so."""

    outcome: Short
    lift_hard_stop: bool = False


class LedgerFact(Fact, kw_only=True):
    """Money the ledger moved that has no protocol type: the posting's transaction id, the
    amount and its currency. The fact's id derives from the transaction id
    (`wallet:<transaction_id>`), so a retried posting cannot log it twice."""

    transaction_id: Id
    amount: Amount
    currency: Currency
    exchange: list[ExchangeUsed] | None = None   # as on `Reported`: the rates the ledger used


class BonusCredited(LedgerFact, tag="croupier.bonus_credited", kw_only=True):
    """Bonus funds credited to the player's bonus balance (a promotion); `reason` is what the
    caller gave, e.g. the offer. Deposit limits count it as an inflow."""


class BonusConverted(LedgerFact, tag="croupier.bonus_converted", kw_only=True):
    """Bonus funds converted to cash (wagering met): withdrawable money the operator paid."""


class WalletAdjusted(LedgerFact, tag="croupier.wallet_adjusted", kw_only=True):
    """A manual adjustment by staff (`actor`, `reason` required by the ledger). A credit counts
    as an inflow against deposit limits."""

    account: Literal["cash", "bonus"]
    direction: Literal["credit", "debit"]


class AmlStatusChanged(Fact, tag="croupier.aml_status_changed", kw_only=True):
    """The player's AML status: `clear`, `review` (under AML review: no promotional messages,
    bonuses or rewards), `restricted` (no promotions of any kind, no bonus credits) or `blocked`
    (frozen: no promotions, deposits, bets, bonus credits or withdrawal requests). Set by staff
    (`source` staff) or by monitoring and screening; `actor` and `reason` say who and why."""

    status: AmlStatus
    source: Literal["staff", "monitoring", "screening"] = "staff"
    case_id: Short | None = None        # the AML case or alert behind the change, when there is one


class RegisterScreened(Fact, tag="croupier.register_screened", kw_only=True):
    """The account was screened against its jurisdiction's national exclusion register:
    `clear` (not listed), `hit` (listed: a `register` exclusion starts beside this fact),
    `unavailable` (the register could not be asked; asked again until it answers),
    `not_configured` (the rules name a register nobody configured or imported) or `opted_out`
    (not configured, and the approved rules opt the market out of it). The gate holds every
    promotion until a clear answer (or opted_out); a clear or opted_out answer releases the
    lifecycle messages held."""

    register: Short
    status: RegisterStatus
    checked_at: Timestamp               # when the register was asked (the fact's time is its cause's)


SEGMENT_STREAM = "croupier.segments"  # the player_id of segment activations: they belong to no player
JOURNEY_STREAM = "croupier.journeys"  # the player_id of journey activations
# Streams of the log that belong to no player (what player listings and datasets leave out).
LOG_STREAMS = frozenset({CONFIG_STREAM, SEGMENT_STREAM, JOURNEY_STREAM})
SegmentId = Annotated[int, Meta(ge=1)]


class SegmentActivated(Fact, tag="croupier.segment_activated", kw_only=True):
    """A segment's version went live for real-time membership (or a live segment's new
    version replaced its old one). A fact of the whole log (`player_id` is SEGMENT_STREAM),
    like a configuration activation: which definitions decide membership depends on the
    log position alone, live, after a restart and in replay. `definition` is the segment's
    JSON form (docs/segments.md)."""

    segment_id: SegmentId
    version: Annotated[int, Meta(ge=1)]
    name: Short
    purpose: Literal["promotional", "service", "safer_play"] = "promotional"
    definition: dict[str, Any]


class SegmentDeactivated(Fact, tag="croupier.segment_deactivated", kw_only=True):
    """A live segment was switched off: from this position on nobody is its member, and no
    `croupier.segment_left` is written for that (the segment ended, not the players' match)."""

    segment_id: SegmentId


class SegmentMembership(Fact, kw_only=True):
    segment_id: SegmentId
    version: Annotated[int, Meta(ge=1)]
    cause_event_id: Id                   # the event (or sweep) whose fold changed the match


class SegmentEntered(SegmentMembership, tag="croupier.segment_entered", kw_only=True):
    """The player came to match a live segment, at `occurred_at` (the time of its cause).
    Written by the engine after the fold that changed the match; its id derives from the
    segment, the version, the player and the cause, so a replay or a retry cannot double it.
    Journeys trigger on it."""


class SegmentLeft(SegmentMembership, tag="croupier.segment_left", kw_only=True):
    """The player stopped matching a live segment (see `croupier.segment_entered`)."""


class SegmentSweep(Fact, tag="croupier.segment_sweep", kw_only=True):
    """A timer fact: the player's live segments are evaluated again as of `occurred_at`,
    for conditions that change with time alone ("idle 14 days") or a segment that just went
    live. The scheduled sweep writes one for each player whose membership the evaluation
    would change, and journeys' stage sweep one for each player whose lifecycle stage time
    has moved; folding it makes the change, so a replay makes the same one."""


class JourneyActivated(Fact, tag="croupier.journey_activated", kw_only=True):
    """A journey's version went live (published), on the log's journey stream
    (`player_id` JOURNEY_STREAM): from this position on players enter it. Players already in
    an older version finish on theirs. `definition` is the journey's JSON (docs/journeys.md)."""

    key: Short
    version: Annotated[int, Meta(ge=1)]
    definition: dict[str, Any]


class JourneyDeactivated(Fact, tag="croupier.journey_deactivated", kw_only=True):
    """A live journey was paused or archived: nobody enters it from here on, and players in
    it leave at their next step (docs/journeys.md, How a journey runs)."""

    key: Short


class JourneyTimer(Fact, tag="croupier.journey_timer", kw_only=True):
    """A journey's wait ended for the player: written when due (`occurred_at` is the due
    time), its id derived from the journey, entry and step, so a restart or a retry writes
    it once. A timer for a step the player has left changes nothing."""

    journey_key: Short
    entry_id: Id
    step_id: Short


class ContactDue(Fact, tag="croupier.contact_due", kw_only=True):
    """A message the contact arbiter told to wait is asked again: written when the wait ends
    (`occurred_at` is the verdict's `until`), its id derived from the message and that time,
    so a restart or a retry writes it once. Folding it arbitrates the held message again
    against the player's state and contact memory then (docs/contact-policy.md); a fact for a
    message no longer held changes nothing."""

    message_id: Id


Stage = Literal["prospect", "new_depositor", "active", "at_risk", "lapsed", "reactivated"]
RiskLevel = Literal["none", "low", "medium", "high", "severe"]


class StageChanged(Fact, tag="croupier.stage_changed", kw_only=True):
    """The player's lifecycle stage changed (docs/features.md has the rules), at the time of
    `cause_event_id`: an event of theirs, or a sweep for a change time alone makes ("lapsed"
    after days idle). Written by the engine after the fold that changed it, while a live
    journey can react to it; its id derives from the player, the change and the cause, so a
    replay or a retry cannot double it. Journeys trigger on it (`stage_changed`)."""

    from_: Stage = msgspec.field(name="from")
    to: Stage
    cause_event_id: Id


class RgLevelChanged(Fact, tag="croupier.rg_level_changed", kw_only=True):
    """The player's RG risk level changed in the fold of `cause_event_id` (see
    `croupier.stage_changed` for when it is written); `rising` says it went up. The
    safer-play journeys trigger on it."""

    from_: RiskLevel = msgspec.field(name="from")
    to: RiskLevel
    rising: bool
    cause_event_id: Id


class JourneyFired(Fact, tag="croupier.journey_fired", kw_only=True):
    """A journey's schedule, date or one-off trigger fired for the player (`trigger`
    "schedule", "date" or "once") at `fires_at`, the instant the trigger names: the player is offered an entry when
    it is folded (the trigger's segment and condition checked then). Written by the engine's
    scheduler; its id derives from the journey, the version, the instant and the player, so
    two ticks or a restart write it once. On the journey stream (`player_id` JOURNEY_STREAM)
    it marks a schedule's instant as done, after every player's fact is written."""

    journey_key: Short
    version: Annotated[int, Meta(ge=1)]
    trigger: Literal["schedule", "date", "once"]
    fires_at: Timestamp
    players: Annotated[int, Meta(ge=0)] | None = None   # on the journey stream: how many it fired for


INTERNAL_TYPES: tuple[type[Event], ...] = (ConfigActivated, LimitSet, ExclusionStarted, ExclusionEnded, PersonLinked, RealityCheck,
                                           RgReviewed, BonusCredited, BonusConverted, WalletAdjusted,
                                           AmlStatusChanged, RegisterScreened, SegmentActivated, SegmentDeactivated,
                                           SegmentEntered, SegmentLeft, SegmentSweep, JourneyActivated,
                                           JourneyDeactivated, JourneyTimer, ContactDue, StageChanged,
                                           RgLevelChanged, JourneyFired)
AnyFact = Union[INTERNAL_TYPES]  # noqa: UP007 - every fact, for the JSON Schema export
StoredEvent = Union[  # noqa: UP007
    PlayerRegistered, PlayerUpdated, ConsentChanged, PlayerLogin, PlayerLogout,
    KycStatusChanged, Deposit, Withdrawal, Chargeback, SessionStarted, SessionEnded,
    CasinoBet, CasinoWin, SportsBetPlaced, SportsBetSettled, LimitChanged,
    ExclusionRequested, SupportMessage, MessageFeedback, Rollback,
    CashierOpened, DepositStarted, GameLaunched, Idle, ExitIntent,
    LimitSet, ExclusionStarted, ExclusionEnded, PersonLinked, RealityCheck, RgReviewed, ConfigActivated,
    BonusCredited, BonusConverted, WalletAdjusted, AmlStatusChanged, RegisterScreened,
    SegmentActivated, SegmentDeactivated, SegmentEntered, SegmentLeft, SegmentSweep,
    JourneyActivated, JourneyDeactivated, JourneyTimer, ContactDue, StageChanged, RgLevelChanged, JourneyFired,
]
FACT_NAMES: tuple[str, ...] = tuple(t.__struct_config__.tag for t in INTERNAL_TYPES)
