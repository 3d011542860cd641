"""The events a posting appends to the log, so the engine's features, detectors and gate see
wallet activity: protocol events where the protocol has a type, Croupier's own facts for the
rest (bonus credits, conversions, adjustments). Ids derive from the transaction id: a retry
cannot double them."""

from __future__ import annotations

import hashlib
from datetime import datetime

from croupier.events import (
    BonusConverted, BonusCredited, CasinoBet, CasinoWin, Chargeback, Deposit, Event, SessionEnded, SessionStarted,
    WalletAdjusted, Withdrawal, format_amount,
)
from croupier.ledger.model import TransferRequest

GAME_CATEGORIES = ("slots", "live_casino", "table", "crash", "bingo", "poker", "other")


def event_id(transfer_id: str, suffix: str = "") -> str:
    """'wallet:<transaction id>[:suffix]', hashed when it would exceed the protocol's 128."""
    eid = f"wallet:{transfer_id}{':' + suffix if suffix else ''}"
    if len(eid) <= 128:
        return eid
    digest = hashlib.sha256(transfer_id.encode()).hexdigest()[:40]
    return f"wallet:#{digest}{':' + suffix if suffix else ''}"


def for_transfer(req: TransferRequest, brand: str, now: datetime, *, status: str = "",
                 cash: int = 0, bonus: int = 0, amount: int | None = None) -> Event | None:
    """The event for a posted transfer: every kind that moves money has one (settle and void
    report the withdrawal they resolve)."""
    cur = req.currency
    common = {"player_id": req.player_id, "brand": brand, "occurred_at": now}
    total = format_amount(req.amount if amount is None else amount, cur)
    kind = req.kind
    if kind == "deposit":
        return Deposit(event_id=event_id(req.transfer_id, status if status != "approved" else ""),
                       transaction_id=req.transfer_id, amount=total, currency=cur, status=status or "approved",
                       method=req.method, instrument_id=req.instrument_id, **common)
    if kind in ("withdrawal", "settle", "void"):
        tx = req.pending_id if kind != "withdrawal" else req.transfer_id
        return Withdrawal(event_id=event_id(tx or req.transfer_id, status), transaction_id=tx or req.transfer_id,
                          amount=total, currency=cur, status=status, method=req.method,
                          instrument_id=req.instrument_id, **common)
    if kind == "bet":
        return CasinoBet(event_id=event_id(req.transfer_id), bet_id=req.bet_id or req.transfer_id, amount=total,
                         bonus_amount=format_amount(bonus, cur), currency=cur, session_id=req.session_id,
                         game_id=req.game_id, game_category=req.game_category or "other", **common)
    if kind == "win":
        return CasinoWin(event_id=event_id(req.transfer_id), bet_id=req.bet_id or req.transfer_id, amount=total,
                         currency=cur, game_id=req.game_id, **common)
    if kind == "chargeback":
        return Chargeback(event_id=event_id(req.transfer_id), transaction_id=req.transfer_id, amount=total,
                          currency=cur, **common)
    ledger_fact = {"event_id": event_id(req.transfer_id), "transaction_id": req.transfer_id, "amount": total,
                   "currency": cur, "reason": req.reason, **common}
    if kind == "bonus_credit":
        return BonusCredited(actor=req.actor, **ledger_fact)
    if kind == "bonus_conversion":
        return BonusConverted(actor=req.actor, **ledger_fact)
    if kind == "adjustment":
        return WalletAdjusted(actor=req.actor or "staff", account=req.account, direction=req.direction, **ledger_fact)
    return None


def session_event(player_id: str, brand: str, session_id: str, now: datetime, started: bool) -> Event:
    cls = SessionStarted if started else SessionEnded
    eid = event_id(f"session:{player_id}:{session_id}", "started" if started else "ended")
    return cls(event_id=eid, player_id=player_id, brand=brand, occurred_at=now, session_id=session_id)
