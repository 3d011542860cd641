"""The event protocol v1: types, validation with precise errors, JSON Schema export."""

from croupier.events.money import (
    CURRENCY_EXPONENT, AmountError, bounded_minor, exponent, format_amount, max_amount, max_minor, to_decimal, to_minor,
)
from croupier.events.schema import event_json_schema, fact_json_schema
from croupier.events.types import (
    CONFIG_STREAM, JOURNEY_STREAM, LOG_STREAMS, SEGMENT_STREAM, ConfigActivated, ContactDue, JourneyActivated,
    JourneyDeactivated, JourneyFired, JourneyTimer, RgLevelChanged, SegmentActivated, SegmentDeactivated,
    SegmentEntered, SegmentLeft, SegmentMembership, SegmentSweep, StageChanged,
    FACT_NAMES, INTERNAL_TYPES, AmlStatusChanged, AnyFact, BonusConverted, BonusCredited, LedgerFact,
    WalletAdjusted, ExclusionEnded, ExclusionStarted, Fact, LimitSet, PersonLinked, RealityCheck, RgReviewed,
    RegisterScreened, StoredEvent, ROLLBACKABLE, TYPE_NAMES, AnyEvent, CasinoBet, CasinoWin, Chargeback, ConsentChanged,
    Deposit, Event, ExchangeUsed, ExclusionRequested, KycStatusChanged, LimitChanged, MessageFeedback,
    PlayerLogin, PlayerLogout, PlayerRegistered, PlayerUpdated, Reported, Rollback, SessionEnded,
    SessionStarted, SportsBetPlaced, SportsBetSettled, SupportMessage, Withdrawal,
    FRONTEND_TYPES, CashierOpened, DepositStarted, ExitIntent, FrontendSignal, GameLaunched, Idle,
)
from croupier.events.validate import (
    MAX_BATCH, MAX_DEPTH, BatchError, BatchTooLarge, EventError, ParsedBatch, Rejection, decode_stored, encode_fact,
    json_depth, parse_batch, parse_event, player_id_problem,
)

__all__ = [
    "FRONTEND_TYPES", "CashierOpened", "DepositStarted", "ExitIntent", "FrontendSignal", "GameLaunched", "Idle",
    "CONFIG_STREAM", "ContactDue", "JOURNEY_STREAM", "JourneyActivated", "JourneyDeactivated", "JourneyFired",
    "JourneyTimer", "LOG_STREAMS",
    "SEGMENT_STREAM", "ConfigActivated", "SegmentActivated", "SegmentDeactivated", "SegmentEntered",
    "SegmentLeft", "SegmentMembership", "SegmentSweep", "RgLevelChanged", "StageChanged",
    "FACT_NAMES", "INTERNAL_TYPES", "AmlStatusChanged", "AnyFact", "BonusConverted", "BonusCredited",
    "LedgerFact", "WalletAdjusted", "fact_json_schema", "ExclusionEnded", "ExclusionStarted", "Fact", "LimitSet", "PersonLinked",
    "RealityCheck", "RegisterScreened", "RgReviewed", "StoredEvent", "encode_fact",
    "CURRENCY_EXPONENT", "MAX_BATCH", "MAX_DEPTH", "ROLLBACKABLE", "TYPE_NAMES", "AmountError", "AnyEvent",
    "BatchError", "BatchTooLarge", "bounded_minor", "CasinoBet", "CasinoWin", "Chargeback", "ConsentChanged", "Deposit", "Event", "ExchangeUsed",
    "EventError", "ExclusionRequested", "KycStatusChanged", "LimitChanged", "MessageFeedback",
    "ParsedBatch", "PlayerLogin", "PlayerLogout", "PlayerRegistered", "PlayerUpdated",
    "Rejection", "Reported", "Rollback", "SessionEnded", "SessionStarted", "SportsBetPlaced",
    "SportsBetSettled", "SupportMessage", "Withdrawal", "decode_stored", "event_json_schema",
    "exponent", "format_amount", "json_depth", "max_amount", "max_minor", "parse_batch", "parse_event", "player_id_problem",
    "to_decimal", "to_minor",
]
