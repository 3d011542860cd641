"""`post`: the one way a balance changes.

Inside the caller's transaction it locks the player's wallet, checks idempotency, plans the
legs, checks balances, protection and every limit in force against usage summed in the same
transaction, then writes the transfer, its double entries, the new counters, the usage and
the protocol event for the engine. A refusal writes nothing but (for deposits) a declined
payment event."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import msgspec
from sqlalchemy import Connection

from croupier.compliance.rules import JurisdictionRules
from croupier.events import Event, ExchangeUsed, format_amount
from croupier.events.money import AmountError, exponent, max_minor, too_large
from croupier.ingest.facts import append_facts
from croupier.ledger import sessions, sql, usage as usage_store, wallets
from croupier.ledger.events import for_transfer
from croupier.ledger.fx import Exchange
from croupier.ledger.guards import mandatory_refusals, protection_refusals
from croupier.ledger.legs import Balances, Plan, plan
from croupier.ledger.model import (
    KINDS, IdConflict, LedgerError, NotFound, PlayerContext, PostResult, TransferRequest,
)
from croupier.players import micros
from croupier.players.protection_state import LimitView, limits_in_force
from croupier.protection import limits as limit_store
from croupier.protection.limits_check import Refusal, Usage, check_limits
from croupier.protection.limits_periods import Window, local_date, window
from croupier.store import audit as audit_store
from croupier.store.schema import ledger_transfers


def post(conn: Connection, req: TransferRequest, *, now: datetime, context: PlayerContext | None = None) -> PostResult:
    """Post `req` at `now` (aware) inside `conn`'s transaction; see the module doc."""
    _validate(req)
    ctx = context or PlayerContext()
    now_us = micros(now)
    if req.kind in ("settle", "void"):
        return _resolve(conn, req, now, ctx)
    wallet = wallets.lock(conn, req.player_id, req.currency, now_us, _profile(ctx))
    existing = sql.SELECT_TRANSFER.first(conn, {"t": req.transfer_id})
    if existing is not None:
        return _replay(existing, req)
    brand = ctx.brand or wallet.brand or "default"
    tz = ctx.timezone or wallet.timezone
    p = plan(req, wallets.balances(wallet))
    refusals = list(p.refusals)
    refusals += protection_refusals(ctx.protection, req.kind, brand, now_us)
    fx = Exchange(ctx.rates, ctx.currency)
    if p.delta.inflow > 0 or req.kind == "bet":
        rules = ctx.rules(wallet.jurisdiction)
        refusals += limit_refusals(conn, req, p.delta, now, tz, rules, fx)
    exchange = fx.records(req.amount, req.currency)
    if refusals:
        refused = _refused(conn, req, brand, now, refusals)
        if exchange:
            refused.body["exchange"] = exchange
        return refused
    balances = wallets.apply_legs(conn, wallet, p.legs, p.reserve, now_us, _profile(ctx))
    _write_entries(conn, req.transfer_id, req.player_id, req.currency, p.legs, now_us)
    usage_store.add(conn, req.player_id, req.currency, local_date(now, tz).toordinal(), p.delta)
    events: list[Event] = []
    if req.kind == "bet" and req.session_id:
        opened = sessions.start(conn, req.player_id, brand, req.session_id, now)
        if opened is not None:
            events.append(opened)
    status = "pending" if req.kind == "withdrawal" else "posted"
    event = for_transfer(req, brand, now, status="requested" if req.kind == "withdrawal" else "",
                         cash=p.cash_part, bonus=p.bonus_part)
    if event is not None and exchange and hasattr(event, "exchange"):
        event = msgspec.structs.replace(event, exchange=[msgspec.convert(x, ExchangeUsed) for x in exchange])
    if event is not None:
        events.append(event)
    body = _body(req, status, p, balances, now, event)
    if exchange:
        body["exchange"] = exchange
    sql.INSERT_TRANSFER.execute(conn, {
        "transfer_id": req.transfer_id, "player_id": req.player_id, "currency": req.currency, "kind": req.kind,
        "status": status, "amount_minor": req.amount, "request_hash": request_hash(req),
        "result": json.dumps(body, separators=(",", ":")), "resolution": None, "at_us": now_us,
        "resolved_at_us": None}).close()
    if req.kind == "adjustment":
        audit_store.append(conn, [audit_store.Entry(
            at_us=now_us, actor=req.actor or "staff", kind="ledger.adjustment", player_id=req.player_id,
            subject=req.transfer_id, body={**body, "reason": req.reason})])
    items = append_facts(conn, events, now_us) if events else []
    return PostResult(status, body, [], items)


def limit_refusals(conn: Connection, req: TransferRequest, delta: Usage, now: datetime,
                   tz: str | None, rules: JurisdictionRules, fx: Exchange | None = None, *,
                   usage_source: UsageSource | None = None) -> list[Refusal]:
    """Every limit in force for the player, checked against usage read in this transaction
    (and the jurisdiction's limits that must exist before play). Money limits count usage
    in every currency, converted at `fx`'s rates into the limit's currency (ledger.fx).
    `usage_source` replaces the ledger's usage where the platform is the brand's wallet
    (`api.money_of_record`)."""
    fx = fx if fx is not None else Exchange()
    in_force = limits_in_force(limit_store.load(conn, req.player_id), micros(now))
    out = mandatory_refusals(rules, in_force, req.kind)
    out += fx.foreign_refusals(req.currency, req.kind, in_force)
    if in_force:
        bet = req.kind == "bet"
        windows, by_currency, sessions = (usage_source or usage_for)(conn, req.player_id, in_force, now, tz, bet=bet)
        out += fx.check(by_currency, in_force, delta, req.currency, windows)
        timed = {k: v for k, v in in_force.items() if v.kind == "session_time"}
        if timed:
            out += check_limits(sessions, timed, delta, req.currency, windows, bet=bet)
    return out


# `usage_for`'s signature: (conn, player_id, views, now, tz, *, bet) -> (windows, usage per
# currency per period, session usage per period).
UsageSource = Callable[..., tuple[dict[str, Window], dict[str, dict[str, Usage]], dict[str, Usage]]]


def usage_for(conn: Connection, player_id: str, views: dict[str, LimitView], now: datetime, tz: str | None, *,
              bet: bool = True) -> tuple[dict[str, Window], dict[str, dict[str, Usage]], dict[str, Usage]]:
    """The windows of `views`, the money used in each per currency it was posted in, and the
    session time in each period with a session-time limit (read for bets only)."""
    windows = {v.period: window(v.period, now, tz) for v in views.values()}
    by_currency = usage_store.read_all(conn, player_id, windows)
    sessions: dict[str, Usage] = {}
    timed = {v.period for v in views.values() if v.kind == "session_time"}
    if timed and bet:
        usage_store.with_sessions(conn, player_id, sessions, windows, timed, micros(now))
    return windows, by_currency, sessions


def request_hash(req: TransferRequest) -> str:
    return hashlib.sha256(json.dumps(req.canonical(), sort_keys=True).encode()).hexdigest()


def _validate(req: TransferRequest) -> None:
    if req.kind not in KINDS:
        raise LedgerError(f"kind must be one of {', '.join(KINDS)}; got {req.kind!r}", field="kind")
    if not req.transfer_id or len(req.transfer_id) > 128:
        raise LedgerError("transaction_id must be 1 to 128 characters", field="transaction_id")
    if req.kind in ("settle", "void"):
        if not req.pending_id:
            raise LedgerError("settle and void name the pending withdrawal (pending_id)", field="pending_id")
        return
    try:
        exponent(req.currency)
    except AmountError as exc:
        raise LedgerError(str(exc), field="currency") from None
    if req.amount <= 0:
        raise LedgerError(f"amount must be positive; got {format_amount(req.amount, req.currency)}", field="amount")
    if req.amount > max_minor(req.currency):   # the protocol's maximum: one bound for events and the wallet
        raise LedgerError(too_large(format_amount(req.amount, req.currency), req.currency), field="amount")
    if req.bonus_amount is not None and req.bonus_amount < 0:
        raise LedgerError("bonus_amount must not be negative", field="bonus_amount")


def _profile(ctx: PlayerContext) -> dict[str, Any]:
    return {"brand": ctx.brand, "timezone": ctx.timezone, "jurisdiction": ctx.jurisdiction}


def _replay(row: Any, req: TransferRequest) -> PostResult:
    """The same id again: the original result if the request is the same, else 409."""
    if row.player_id != req.player_id or row.request_hash != request_hash(req):
        raise IdConflict(f"transaction_id {req.transfer_id!r} was already used for a different request "
                         f"({row.kind} of player {row.player_id!r}); use a new id for a new transaction",
                         field="transaction_id")
    body = json.loads(row.result)
    return PostResult(body["status"], body, [], [], replayed=True)


def _refused(conn: Connection, req: TransferRequest, brand: str, now: datetime, refusals: list[Refusal]) -> PostResult:
    body = {"transaction_id": req.transfer_id, "player_id": req.player_id, "kind": req.kind,
            "status": "refused", "currency": req.currency, "amount": format_amount(req.amount, req.currency),
            "reasons": [msgspec.to_builtins(r) for r in refusals]}
    items = []
    if req.kind == "deposit":   # the engine sees refused deposits (declined-deposit markers)
        event = for_transfer(req, brand, now, status="declined")
        if event is not None:
            items = append_facts(conn, [event], micros(now))
    return PostResult("refused", body, refusals, items)


def _write_entries(conn: Connection, transfer_id: str, player_id: str, currency: str,
                   legs: list[tuple[str, str, int]], now_us: int) -> None:
    rows = []
    for debit, credit, amount in legs:
        rows.append({"transfer_id": transfer_id, "player_id": player_id, "currency": currency,
                     "account": debit, "amount_minor": -amount, "at_us": now_us})
        rows.append({"transfer_id": transfer_id, "player_id": player_id, "currency": currency,
                     "account": credit, "amount_minor": amount, "at_us": now_us})
    if rows:
        sql.INSERT_ENTRIES.executemany(conn, rows)


def balance_dict(b: Balances, currency: str) -> dict[str, str]:
    return {"cash": format_amount(b.cash, currency), "bonus": format_amount(b.bonus, currency),
            "cash_pending": format_amount(b.cash_pending, currency),
            "withdrawable": format_amount(max(b.cash_available, 0), currency)}


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _body(req: TransferRequest, status: str, p: Plan, b: Balances, now: datetime, event: Event | None) -> dict[str, Any]:
    cur = req.currency
    body: dict[str, Any] = {
        "transaction_id": req.transfer_id, "player_id": req.player_id, "kind": req.kind, "status": status,
        "currency": cur, "amount": format_amount(req.amount, cur), "posted_at": _iso(now),
        "postings": [{"debit": d, "credit": c, "amount": format_amount(a, cur)} for d, c, a in p.legs],
        "balance": balance_dict(b, cur)}
    if req.kind in ("bet", "win"):
        body["cash_amount"] = format_amount(p.cash_part, cur)
        body["bonus_amount"] = format_amount(p.bonus_part, cur)
    if req.kind == "chargeback":
        body["recovered"] = format_amount(p.cash_part, cur)
        body["unrecovered"] = format_amount(p.unrecovered, cur)
    if req.kind == "adjustment":
        body.update(account=req.account, direction=req.direction, reason=req.reason, actor=req.actor)
        if req.claimed_actor:
            body["claimed_actor"] = req.claimed_actor
    if event is not None:
        body["event_id"] = event.event_id
    return body


def _resolve(conn: Connection, req: TransferRequest, now: datetime, ctx: PlayerContext) -> PostResult:
    """Settle or void a pending withdrawal (TigerBeetle's post/void of a pending transfer)."""
    pending_id = req.pending_id or ""
    row = _pending_row(conn, pending_id)
    if row is None or row.player_id != req.player_id:
        raise NotFound(f"no withdrawal {pending_id!r} for player {req.player_id!r}", field="transaction_id")
    if row.kind != "withdrawal":
        raise IdConflict(f"transaction {pending_id!r} is a {row.kind}, not a pending withdrawal",
                         field="transaction_id")
    now_us = micros(now)
    wallet = wallets.lock(conn, req.player_id, row.currency, now_us, _profile(ctx))
    row = _pending_row(conn, pending_id)   # re-read under the lock
    wanted = "settled" if req.kind == "settle" else "voided"
    if row.status == wanted:
        body = json.loads(row.resolution)
        return PostResult(body["status"], body, [], [], replayed=True)
    if row.status != "pending":
        raise IdConflict(f"withdrawal {pending_id!r} is already {row.status}; it cannot be {wanted}",
                         field="transaction_id")
    full = TransferRequest(transfer_id=pending_id, player_id=req.player_id, kind=req.kind, currency=row.currency,
                           amount=row.amount_minor, pending_id=pending_id)
    p = plan(full, wallets.balances(wallet), pending_amount=row.amount_minor)
    balances = wallets.apply_legs(conn, wallet, p.legs, p.reserve, now_us, _profile(ctx))
    _write_entries(conn, pending_id, req.player_id, row.currency, p.legs, now_us)
    brand = ctx.brand or wallet.brand or "default"
    event = for_transfer(full, brand, now, status="approved" if req.kind == "settle" else "cancelled")
    body = _body(full, wanted, p, balances, now, event)
    body["transaction_id"] = pending_id
    conn.execute(ledger_transfers.update().where(ledger_transfers.c.transfer_id == pending_id).values(
        status=wanted, resolution=json.dumps(body, separators=(",", ":")), resolved_at_us=now_us))
    items = append_facts(conn, [event], now_us) if event is not None else []
    return PostResult(wanted, body, [], items)


def _pending_row(conn: Connection, transfer_id: str) -> Any:
    return sql.SELECT_TRANSFER.first(conn, {"t": transfer_id})

