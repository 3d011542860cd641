"""What a posting asks for and what it answers: plain values, no storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from croupier.compliance.rates import NO_RATES, RateTable
from croupier.compliance.rules import JurisdictionRules, rules_for
from croupier.players.protection_state import ProtectionState
from croupier.protection.limits_check import Refusal

TransferKind = Literal["deposit", "withdrawal", "settle", "void", "bet", "win", "bonus_credit",
                       "bonus_conversion", "adjustment", "chargeback"]
KINDS: tuple[str, ...] = ("deposit", "withdrawal", "settle", "void", "bet", "win", "bonus_credit",
                          "bonus_conversion", "adjustment", "chargeback")
PLAYER_ACCOUNTS = ("cash", "bonus")
# Operator-side accounts, per currency: the other side of every player posting.
SETTLEMENT = "settlement"          # payment providers: deposits in, withdrawals and chargebacks out
HOUSE = "house"                    # games: stakes in, wins out
BONUS_POOL = "bonus_pool"          # promotions: bonus credits out, conversions and forfeits back
ADJUSTMENTS = "adjustments"        # staff corrections
CHARGEBACK_LOSS = "chargeback_loss"  # the part of a chargeback the player's balance could not cover
OPERATOR_ACCOUNTS = (SETTLEMENT, HOUSE, BONUS_POOL, ADJUSTMENTS, CHARGEBACK_LOSS)


class LedgerError(ValueError):
    """A request the ledger cannot accept as sent; `field` names what to fix."""

    status = 422

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class IdConflict(LedgerError):
    """The transaction id was used before with a different body (or another player)."""

    status = 409


class NotFound(LedgerError):
    status = 404


@dataclass(frozen=True, slots=True)
class TransferRequest:
    """One money movement, amounts in minor units of `currency`.

    - bet: `amount` is the whole stake; `bonus_amount` its bonus part (None: cash first, then bonus).
    - win: `amount` is the whole payout; `bonus_amount` the part credited to the bonus balance.
    - adjustment: `account` (cash or bonus) and `direction` (credit adds, debit takes away).
    - settle / void: `pending_id` is the withdrawal's transaction id.
    """

    transfer_id: str
    player_id: str
    kind: str
    currency: str
    amount: int = 0
    bonus_amount: int | None = None
    account: str = "cash"
    direction: str = "credit"
    pending_id: str | None = None
    bet_id: str | None = None
    session_id: str | None = None
    game_id: str | None = None
    game_category: str | None = None
    method: str | None = None
    instrument_id: str | None = None
    actor: str | None = None             # the authenticated party (an API key, a staff user)
    reason: str | None = None
    claimed_actor: str | None = None     # a name the request supplied, kept beside the actor

    def canonical(self) -> dict[str, Any]:
        """The fields that make a request what it is (for the idempotency check)."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in ("actor", "claimed_actor")}


@dataclass(slots=True)
class PlayerContext:
    """What the ledger needs to know about the player beyond the wallet: time zone (for
    period boundaries), jurisdiction, brand, and the protection state the engine folded
    (exclusions, deposit blocks). Unknown values fall back to the wallet's stored ones.
    `currency` is the player's own (the features' currency); `rates` the exchange rates of
    the configuration in force (none: a posting that needs a conversion is refused)."""

    brand: str | None = None
    timezone: str | None = None
    jurisdiction: str | None = None
    protection: ProtectionState | None = None
    rules_table: dict[str, JurisdictionRules] | None = None   # the approved config's; None: presets
    currency: str | None = None
    rates: RateTable = NO_RATES

    def rules(self, fallback_jurisdiction: str | None = None) -> JurisdictionRules:
        return rules_for(self.jurisdiction or fallback_jurisdiction, self.rules_table)


@dataclass(slots=True)
class PostResult:
    """`status`: posted, pending, settled, voided, or refused (with `refusals`)."""

    status: str
    body: dict[str, Any]
    refusals: list[Refusal] = field(default_factory=list)
    items: list = field(default_factory=list)       # (seq, event, received_us) for Engine.submit
    replayed: bool = False

    @property
    def refused(self) -> bool:
        return self.status == "refused"
