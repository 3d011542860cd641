"""The cashier: deposits, withdrawals, deposit bonuses, deposit limits, KYC and the
payment-side surprises (declines, reversals, chargebacks, rollbacks).

Every function takes the player and the time it acts at, lets the player's private
timeline catch up first (so balances are right), and returns the time it finished.
"""

from __future__ import annotations

from typing import Any

from croupier.sim.clock import DAY, HOUR, MINUTE, SECOND
from croupier.sim.money import amount, from_eur, nice
from croupier.sim.player import DepositLimit, SimPlayer

WAGERING_MULTIPLE = 10  # wagering requirement as a multiple of the bonus (UKGC cap since 2026)
BONUS_CAP_EUR = 100.0
_PERIODS = {"day": DAY, "week": 7 * DAY, "month": 30 * DAY}
_ROLLBACK_REASONS = {
    "casino.bet": ("game_round_cancelled", "provider_error", "duplicate_transaction"),
    "casino.win": ("provider_error", "game_round_cancelled", "incorrect_payout"),
    "payment.deposit": ("payment_reversed_by_provider", "duplicate_transaction", "technical_error"),
}


# --- limits -----------------------------------------------------------------------------------
def set_deposit_limit(p: SimPlayer, t: int, period: str, limit: int, *, source: str = "player") -> None:
    """A limit decrease applies at once; an increase only after a 24-hour cooling-off."""
    current = p.deposit_limit
    effective = t if current is None or limit <= current.in_force(t).amount else t + DAY
    p.deposit_limit = DepositLimit(period, limit, effective, current)
    p.emit(t, "limit.changed", {"kind": "deposit", "period": period, "amount": amount(limit),
                                "currency": p.currency, "source": source})


def deposit_room(p: SimPlayer, t: int) -> int | None:
    """How much more the player's deposit limit allows now; None when there is no limit."""
    if p.deposit_limit is None:
        return None
    limit = p.deposit_limit.in_force(t)
    window = _PERIODS[limit.period]
    used = sum(a for when, a in p.deposits if when > t - window)
    return max(0, limit.amount - used)


# --- deposits ---------------------------------------------------------------------------------
def pick_instrument(p: SimPlayer) -> tuple[str, str]:
    if p.ring is not None and (not p.deposits or p.rng.random() < 0.85):
        return p.ring.instrument  # the ring's card funds every account it opens
    if len(p.instruments) > 1 and p.rng.random() < 0.2:
        return p.rng.choice(p.instruments)
    return p.instruments[-1] if p.ring is not None else p.instruments[0]


def deposit(p: SimPlayer, t: int, want: int, instrument: tuple[str, str] | None = None) -> tuple[bool, int]:
    """Try to deposit `want`; returns (approved, time after the cashier closes)."""
    p.advance(t)
    rng = p.rng
    room = deposit_room(p, t)
    if room is not None and room < want:
        if room < from_eur(10, p.currency):
            return False, t  # the cashier refuses before any payment is attempted
        want = room
    method, instrument_id = instrument or pick_instrument(p)
    tx = p.next_id("tx")
    base = {"transaction_id": tx, "amount": amount(want), "currency": p.currency,
            "method": method, "instrument_id": instrument_id}
    if method == "bank_transfer":
        p.emit(t, "payment.deposit", {**base, "status": "requested", **p.balances()})
        t += rng.randint(30 * SECOND, 4 * MINUTE)
        p.advance(t)
    _payday(p, t)
    short_of_funds = want > p.funds and p.kind != "money_mule"  # a mule's cards are not theirs
    if short_of_funds or rng.random() < 0.02 + 0.1 * p.harm(t):
        status = "declined" if short_of_funds or rng.random() < 0.7 else "failed"
        p.emit(t, "payment.deposit", {**base, "status": status, **p.balances()})
        return False, t + rng.randint(5 * SECOND, 40 * SECOND)
    p.funds -= want
    p.cash += want
    if p.bonus_offer and p.bonus == 0 and rng.random() < p.archetype.bonus_uptake:
        credit = min(want * p.bonus_offer // 100, from_eur(BONUS_CAP_EUR * p.bonus_offer / 100, p.currency))
        p.bonus = credit
        p.wager_left = WAGERING_MULTIPLE * credit
        p.bonus_offer = 0
    elif p.bonus_offer == 100:
        p.bonus_offer = 0  # the welcome offer is for the first deposit only
    event_id = p.emit(t, "payment.deposit", {**base, "status": "approved", **p.balances()})
    p.deposits.append((t, want))
    p.last_deposit = want
    maybe_rollback(p, t, event_id, "payment.deposit", want)
    if method == "card" and rng.random() < _chargeback_rate(p):
        p.later(t + rng.randint(7 * DAY, 45 * DAY), _chargeback, (tx, want))
    if p.kyc == "none":
        _start_kyc(p, t + rng.randint(2 * SECOND, 30 * SECOND))
    return True, t + rng.randint(5 * SECOND, 30 * SECOND)


def _payday(p: SimPlayer, t: int) -> None:
    while t >= p.payday:
        p.funds += p.salary
        p.payday += p.pay_period


def deposit_amount(p: SimPlayer, t: int) -> int:
    """What the player reaches for: their usual amount, escalating when chasing losses."""
    rng = p.rng
    want = p.deposit_base * rng.uniform(0.7, 1.4)
    escalation = p.harm(t)
    if escalation and "deposit_chasing" in p.tells:
        recent = sum(1 for when, _ in p.deposits if when > t - DAY)
        want *= (1 + escalation) * 1.35 ** min(recent, 8)
    return nice(int(want))


def top_up(p: SimPlayer, t: int) -> int | None:
    """Out of money mid-session: deposit again (returns the time after) or give up (None)."""
    rng = p.rng
    escalation = p.harm(t)
    if "deposit_chasing" not in p.tells:
        escalation = 0.0  # tops up like anybody else
    chance = p.redeposit + (0.95 - p.redeposit) * escalation
    if not p.converts or rng.random() >= chance:
        return None
    approved, t = deposit(p, t, deposit_amount(p, t))
    if not approved and escalation and rng.random() < 0.7:
        if deposit_room(p, t) == 0 and rng.random() < 0.5:  # the limit is in the way: ask for more
            request_limit_increase(p, t)
            t += rng.randint(10 * SECOND, MINUTE)
        other = rng.choice(p.instruments)
        approved, t = deposit(p, t + rng.randint(20 * SECOND, 90 * SECOND), nice(deposit_amount(p, t) // 2), other)
    return t if approved else None


def request_limit_increase(p: SimPlayer, t: int) -> None:
    if p.deposit_limit is not None:
        set_deposit_limit(p, t, p.deposit_limit.period, nice(p.deposit_limit.amount * 2))


def _chargeback_rate(p: SimPlayer) -> float:
    return {"money_mule": 0.25, "multi_account_ring": 0.05}.get(p.kind, 0.002)


def _chargeback(p: SimPlayer, t: int, payload: tuple[str, int]) -> None:
    tx, value = payload
    p.cash = max(0, p.cash - value)
    p.emit(t, "payment.chargeback", {"transaction_id": tx, "amount": amount(value), "currency": p.currency})


# --- withdrawals ------------------------------------------------------------------------------
def request_withdrawal(p: SimPlayer, t: int, want: int, instrument: tuple[str, str] | None = None) -> int:
    """Ask for a payout; the operator decides hours later. Returns the time after."""
    p.advance(t)
    want = min(want, p.cash)
    if p.kyc != "verified" or want < from_eur(10, p.currency):
        return t
    method, instrument_id = instrument or _payout_instrument(p)
    p.cash -= want
    tx = p.next_id("tx")
    p.emit(t, "payment.withdrawal", {"transaction_id": tx, "amount": amount(want), "currency": p.currency,
                                     "method": method, "instrument_id": instrument_id,
                                     "status": "requested", **p.balances()})
    p.open_withdrawals[tx] = (want, method, instrument_id)
    delay = p.rng.randint(HOUR, 36 * HOUR) if p.kind != "money_mule" else p.rng.randint(30 * MINUTE, 6 * HOUR)
    p.later(t + delay, _decide_withdrawal, tx)
    return t + p.rng.randint(10 * SECOND, 60 * SECOND)


def cancel_withdrawal(p: SimPlayer, t: int) -> int:
    """The player takes a pending payout back to keep playing (a classic risk marker)."""
    p.advance(t)
    if not p.open_withdrawals:
        return t
    tx = next(iter(p.open_withdrawals))
    value, method, instrument_id = p.open_withdrawals.pop(tx)
    p.cash += value
    _withdrawal_event(p, t, tx, value, method, instrument_id, "cancelled")
    return t + p.rng.randint(5 * SECOND, 30 * SECOND)


def _payout_instrument(p: SimPlayer) -> tuple[str, str]:
    method, instrument_id = p.instruments[0]
    if method == "apple_pay":  # cannot pay out: the operator sends the money to the bank
        return p.payout_account()
    return method, instrument_id


def _decide_withdrawal(p: SimPlayer, t: int, tx: str) -> None:
    opened = p.open_withdrawals.pop(tx, None)
    if opened is None:
        return  # cancelled by the player meanwhile
    value, method, instrument_id = opened
    if p.rng.random() < 0.97:
        p.funds += value
        _withdrawal_event(p, t, tx, value, method, instrument_id, "approved")
        if p.rng.random() < 0.005:
            p.later(t + p.rng.randint(DAY, 5 * DAY), _reverse_withdrawal, (tx, value, method, instrument_id))
    else:
        p.cash += value
        _withdrawal_event(p, t, tx, value, method, instrument_id, "declined")


def _reverse_withdrawal(p: SimPlayer, t: int, payload: tuple[str, int, str, str]) -> None:
    tx, value, method, instrument_id = payload
    p.cash += value
    p.funds = max(0, p.funds - value)
    _withdrawal_event(p, t, tx, value, method, instrument_id, "reversed")


def _withdrawal_event(p: SimPlayer, t: int, tx: str, value: int, method: str, instrument_id: str,
                      status: str) -> None:
    p.emit(t, "payment.withdrawal", {"transaction_id": tx, "amount": amount(value), "currency": p.currency,
                                     "method": method, "instrument_id": instrument_id, "status": status,
                                     **p.balances()})


# --- KYC --------------------------------------------------------------------------------------
def _start_kyc(p: SimPlayer, t: int) -> None:
    p.kyc = "pending"
    p.later(t, _kyc_event, ("pending", None))
    rng = p.rng
    if p.kind == "money_mule":  # good documents, bought or borrowed
        p.later(t + rng.randint(HOUR, 6 * HOUR), _kyc_event, ("verified", None))
        return
    draw = rng.random()
    if draw < 0.90:
        p.later(t + rng.randint(HOUR, 48 * HOUR), _kyc_event, ("verified", None))
    elif draw < 0.96:
        failed_at = t + rng.randint(6 * HOUR, 48 * HOUR)
        p.later(failed_at, _kyc_event, ("failed", None))
        resubmitted = failed_at + rng.randint(DAY, 3 * DAY)
        p.later(resubmitted, _kyc_event, ("pending", None))
        p.later(resubmitted + rng.randint(HOUR, DAY), _kyc_event, ("verified", None))
    # else: documents never arrive; the account stays pending


def _kyc_event(p: SimPlayer, t: int, payload: tuple[str, Any]) -> None:
    status, _ = payload
    p.kyc = status
    p.emit(t, "kyc.status_changed", {"status": status, "level": "full" if status == "verified" else "basic"})


# --- rollbacks --------------------------------------------------------------------------------
def maybe_rollback(p: SimPlayer, t: int, event_id: str, type_: str, value: int, to_bonus: int = 0) -> None:
    """Some bets, wins and deposits are undone later; call right after emitting the event."""
    if p.rollback_share and p.rng.random() < p.rollback_share:
        schedule_rollback(p, t, event_id, type_, value, to_bonus)


def schedule_rollback(p: SimPlayer, t: int, event_id: str, type_: str, value: int, to_bonus: int = 0) -> None:
    """Undo the event just emitted, a little later."""
    # Never before the original is delivered, even if it was delivered late.
    when = max(t + p.rng.randint(2 * SECOND, 20 * MINUTE), p.sink.last_delivery + SECOND)
    p.later(when, _rollback, (event_id, type_, value, to_bonus))


def _rollback(p: SimPlayer, t: int, payload: tuple[str, str, int, int]) -> None:
    event_id, type_, value, to_bonus = payload
    if type_ == "casino.bet":  # the stake comes back
        p.cash += value - to_bonus
        p.bonus += to_bonus
    elif p.cash >= value:  # a win or deposit is taken back, if the money is still there
        p.cash -= value
    else:
        return
    reason = p.rng.choice(_ROLLBACK_REASONS[type_])
    p.emit(t, "rollback", {"ref_event_id": event_id, "reason": reason, **p.balances()})

