"""Planning a transfer: which accounts it debits and credits, what it adds to limit usage,
and whether the player's balances can carry it. Pure: balances in, plan out."""

from __future__ import annotations

from dataclasses import dataclass, field

from croupier.events import format_amount
from croupier.ledger.model import (
    ADJUSTMENTS, BONUS_POOL, CHARGEBACK_LOSS, HOUSE, SETTLEMENT, LedgerError, TransferRequest,
)
from croupier.protection.limits_check import Refusal, Usage, money


@dataclass(frozen=True, slots=True)
class Balances:
    """A wallet's two player accounts (TigerBeetle's counters), minor units."""

    cash_credits: int = 0
    cash_debits: int = 0
    cash_pending: int = 0          # debits reserved by pending withdrawals
    bonus_credits: int = 0
    bonus_debits: int = 0

    @property
    def cash(self) -> int:
        return self.cash_credits - self.cash_debits

    @property
    def cash_available(self) -> int:
        return self.cash - self.cash_pending

    @property
    def bonus(self) -> int:
        return self.bonus_credits - self.bonus_debits


Leg = tuple[str, str, int]    # (debit account, credit account, amount)

# The largest value a wallet counter (a 64-bit column) holds, in minor units. Like
# TigerBeetle's overflows_credits / overflows_debits, a transfer that would pass it is refused
# whole; usage rows only ever add part of what a counter adds, so they cannot pass it either.
COUNTER_MAX = 2**63 - 1
REASON_CODES = ("insufficient_funds", "counter_overflow")   # the refusals a plan can carry (compliance.reasons)


@dataclass(slots=True)
class Plan:
    legs: list[Leg] = field(default_factory=list)
    delta: Usage = field(default_factory=Usage)
    reserve: int = 0               # + reserves cash for a pending withdrawal, - releases it
    refusals: list[Refusal] = field(default_factory=list)
    cash_part: int = 0
    bonus_part: int = 0
    unrecovered: int = 0           # chargeback beyond the cash balance

    @property
    def inflow(self) -> bool:
        return self.delta.inflow > 0


def _short(need: int, have: int, currency: str, account: str, part: str = "",
           detail: str = "") -> Refusal:
    """Not enough money, said in the money of the request: "150.00 GBP available, 500.00 GBP
    needed". `account` is what was counted (cash, bonus, or cash+bonus for a stake that takes
    cash first, then bonus); `part` names the share of the request it was checked for."""
    have = max(have, 0)
    what = {"cash": " in cash", "bonus": " in bonus funds"}.get(account, "")
    message = (f"Refused: {money(have, currency)} available{what}, {money(need, currency)} needed"
               f"{part}; {money(need - have, currency)} short{detail}.")
    return Refusal(code="insufficient_funds", currency=currency, requested=_fmt(need, currency),
                   remaining=_fmt(have, currency), account=account, message=message)


def _fmt(minor: int, currency: str) -> str:
    return format_amount(minor, currency)


def plan(req: TransferRequest, b: Balances, pending_amount: int = 0) -> Plan:
    """The legs of `req` against balances `b` (`pending_amount`: the withdrawal being settled
    or voided). Balance shortfalls come back as refusals, never as a negative balance."""
    p = Plan()
    kind, amount, cur = req.kind, req.amount, req.currency
    if kind == "deposit":
        p.legs.append((SETTLEMENT, "cash", amount))
        p.delta = Usage(deposit=amount)
    elif kind == "bonus_credit":
        p.legs.append((BONUS_POOL, "bonus", amount))
        p.delta = Usage(bonus_credit=amount)
    elif kind == "withdrawal":
        if amount > b.cash_available:
            p.refusals.append(_short(amount, b.cash_available, cur, "cash", detail=_reserved(b, cur)))
        p.reserve = amount
    elif kind == "settle":
        p.reserve = -pending_amount
        p.legs.append(("cash", SETTLEMENT, pending_amount))
    elif kind == "void":
        p.reserve = -pending_amount
    elif kind == "bet":
        _bet(req, b, p)
    elif kind == "win":
        bonus = req.bonus_amount or 0
        if bonus > amount:
            raise LedgerError(f"bonus_amount {_fmt(bonus, cur)} cannot exceed amount {_fmt(amount, cur)}",
                              field="bonus_amount")
        if amount - bonus:
            p.legs.append((HOUSE, "cash", amount - bonus))
        if bonus:
            p.legs.append((HOUSE, "bonus", bonus))
        p.delta = Usage(win_cash=amount - bonus)
        p.cash_part, p.bonus_part = amount - bonus, bonus
    elif kind == "bonus_conversion":
        if amount > b.bonus:
            p.refusals.append(_short(amount, b.bonus, cur, "bonus"))
        p.legs.append(("bonus", "cash", amount))
    elif kind == "adjustment":
        _adjustment(req, b, p)
    elif kind == "chargeback":
        covered = max(0, min(amount, b.cash_available))
        if covered:
            p.legs.append(("cash", SETTLEMENT, covered))
        if amount - covered:
            p.legs.append((CHARGEBACK_LOSS, SETTLEMENT, amount - covered))
        p.cash_part, p.unrecovered = covered, amount - covered
    else:
        raise LedgerError(f"unknown transfer kind {kind!r}", field="kind")
    overflow = _overflowing_counter(p, b)
    if overflow is not None:
        p.refusals.append(Refusal(
            code="counter_overflow", currency=cur, requested=_fmt(amount, cur),
            message=f"Refused: the wallet's {overflow.replace('_', ' ')} would pass "
                    f"{money(COUNTER_MAX, cur)}, the most the ledger can count; no real wallet gets "
                    "there, so check the amounts being sent."))
    return p


def _overflowing_counter(p: Plan, b: Balances) -> str | None:
    """The first player counter that `p` would take past COUNTER_MAX, if any."""
    after = {"cash_credits": b.cash_credits, "cash_debits": b.cash_debits, "bonus_credits": b.bonus_credits,
             "bonus_debits": b.bonus_debits, "cash_pending": b.cash_pending + max(p.reserve, 0)}
    for debit, credit, amount in p.legs:
        if debit in ("cash", "bonus"):
            after[f"{debit}_debits"] += amount
        if credit in ("cash", "bonus"):
            after[f"{credit}_credits"] += amount
    return next((name for name, value in after.items() if value > COUNTER_MAX), None)


def _bet(req: TransferRequest, b: Balances, p: Plan) -> None:
    amount, cur = req.amount, req.currency
    if req.bonus_amount is None:   # cash first, then bonus: one shortfall over both balances
        cash = min(amount, max(b.cash_available, 0))
        bonus = amount - cash
        if bonus > b.bonus:
            have = max(b.cash_available, 0) + max(b.bonus, 0)
            p.refusals.append(_short(amount, have, cur, "cash+bonus",
                                     detail=f" (cash {money(max(b.cash_available, 0), cur)}, bonus "
                                            f"{money(max(b.bonus, 0), cur)}){_reserved(b, cur)}"))
    else:
        if req.bonus_amount > amount:
            raise LedgerError(f"bonus_amount {_fmt(req.bonus_amount, cur)} cannot exceed amount "
                              f"{_fmt(amount, cur)} (it is the bonus part of the stake)", field="bonus_amount")
        bonus, cash = req.bonus_amount, amount - req.bonus_amount
        if cash > b.cash_available:
            p.refusals.append(_short(cash, b.cash_available, cur, "cash", " for the cash part of the stake",
                                     _reserved(b, cur)))
        if bonus > b.bonus:
            p.refusals.append(_short(bonus, b.bonus, cur, "bonus", " for the bonus part of the stake"))
    if cash:
        p.legs.append(("cash", HOUSE, cash))
    if bonus:
        p.legs.append(("bonus", HOUSE, bonus))
    p.delta = Usage(stake_cash=cash, stake_bonus=bonus)
    p.cash_part, p.bonus_part = cash, bonus


def _reserved(b: Balances, currency: str) -> str:
    """What pending withdrawals hold back from the cash balance, when they do."""
    if b.cash_pending <= 0:
        return ""
    return f"; pending withdrawals hold {money(b.cash_pending, currency)} of the cash balance"


def _adjustment(req: TransferRequest, b: Balances, p: Plan) -> None:
    if req.account not in ("cash", "bonus"):
        raise LedgerError(f"account must be cash or bonus; got {req.account!r}", field="account")
    if req.direction not in ("credit", "debit"):
        raise LedgerError(f"direction must be credit or debit; got {req.direction!r}", field="direction")
    if not (req.reason or "").strip():
        raise LedgerError("an adjustment needs a reason (it is audited)", field="reason")
    if req.direction == "credit":
        p.legs.append((ADJUSTMENTS, req.account, req.amount))
        p.delta = Usage(adjustment_in=req.amount)
        return
    cash = req.account == "cash"
    have = b.cash_available if cash else b.bonus
    if req.amount > have:
        p.refusals.append(_short(req.amount, have, req.currency, req.account,
                                 detail=_reserved(b, req.currency) if cash else ""))
    p.legs.append((req.account, ADJUSTMENTS, req.amount))
