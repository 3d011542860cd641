"""Reads: a wallet with its limits and usage, and `authorize` (the posting's checks, no posting)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Connection, select

from croupier.events import format_amount
from croupier.ledger import wallets
from croupier.ledger.guards import protection_refusals
from croupier.ledger.legs import Balances, plan
from croupier.ledger.model import PlayerContext, TransferRequest
from croupier.ledger.fx import Exchange, money_limits
from croupier.ledger.post import UsageSource, _validate, balance_dict, limit_refusals, usage_for
from croupier.players import micros
from croupier.players.protection_state import limits_in_force
from croupier.protection import limits as limit_store
from croupier.protection.limits_check import Usage, counted, remaining
from croupier.store.schema import ledger_transfers


def authorize(conn: Connection, req: TransferRequest, *, now: datetime,
              context: PlayerContext | None = None, usage_source: UsageSource | None = None) -> dict[str, Any]:
    """Would `req` be posted now? The same checks as `post` (balances, protection, every
    limit), without locking or writing: the answer can change before the money moves. With
    a `usage_source` (the platform is the brand's wallet and reports the money it moved as
    events) limits count what it gives, and the balances are the platform's to check."""
    _validate(req)
    ctx = context or PlayerContext()
    rows = wallets.peek(conn, req.player_id, req.currency)
    wallet = rows[0] if rows else None
    tz = ctx.timezone or (wallet.timezone if wallet is not None else None)
    brand = ctx.brand or (wallet.brand if wallet is not None else None) or "default"
    balances = wallets.balances(wallet) if usage_source is None else \
        Balances(cash_credits=req.amount, bonus_credits=req.bonus_amount or 0)   # as if they carry it
    p = plan(req, balances)
    refusals = list(p.refusals)
    refusals += protection_refusals(ctx.protection, req.kind, brand, micros(now))
    fx = Exchange(ctx.rates, ctx.currency)
    if p.delta.inflow > 0 or req.kind == "bet":
        refusals += limit_refusals(conn, req, p.delta, now, tz,
                                   ctx.rules(wallet.jurisdiction if wallet is not None else None), fx,
                                   usage_source=usage_source)
    answer = {"decision": "deny" if refusals else "allow", "player_id": req.player_id, "kind": req.kind,
              "currency": req.currency, "amount": format_amount(req.amount, req.currency),
              "reasons": [msgspec.to_builtins(r) for r in refusals]}
    exchange = fx.records(req.amount, req.currency)
    if exchange:
        answer["exchange"] = exchange
    return answer


def wallet_view(conn: Connection, player_id: str, *, now: datetime, context: PlayerContext | None = None,
                usage_source: UsageSource | None = None) -> dict[str, Any]:
    """Balances per currency, limits in force with usage (counted, remaining), pending changes.
    A money limit counts usage in every currency, converted into its own (`exchange` names the
    rates; without one, `missing_rates` names the pair and nothing remains). `usage_source`
    replaces the ledger's usage where the platform is the brand's wallet."""
    ctx = context or PlayerContext()
    rows = wallets.peek(conn, player_id)
    state = limit_store.load(conn, player_id)
    views = limits_in_force(state, micros(now))
    tz = ctx.timezone or next((r.timezone for r in rows if r.timezone), None)
    currencies = [r.currency for r in rows] or sorted({v.currency for v in views.values() if v.currency})
    out_wallets = [{"currency": cur, **balance_dict(wallets.balances(next((r for r in rows if r.currency == cur), None)),
                                                    cur)} for cur in currencies]
    usage_rows = []
    if views:
        windows, by_currency, sessions = (usage_source or usage_for)(conn, player_id, views, now, tz)
        totals = {}
        for currency, mine in money_limits(views).items():
            fx = Exchange(ctx.rates, ctx.currency)
            periods = {v.period: windows[v.period] for v in mine.values()}
            totals[currency] = (*fx.total(by_currency, currency, periods), fx.records())
        for key, view in sorted(views.items()):
            w = windows[view.period]
            item: dict[str, Any] = {"limit": key, "period_start": _utc(w.start), "period_end": _utc(w.end),
                                    "timezone": w.timezone}
            if view.kind == "session_time":
                u = sessions.get(view.period) or Usage()
                item.update(used_minutes=counted(view, u) // 60, remaining_minutes=(remaining(view, u) or 0) // 60,
                            limit_minutes=view.minutes)
            elif view.currency in totals:
                cur = view.currency
                usage, missing, exchange = totals[cur]
                u = usage[view.period]
                c = counted(view, u)
                item.update(currency=cur, limit_amount=format_amount(view.amount_minor or 0, cur),
                            counted=None if missing else ("-" if c < 0 else "") + format_amount(abs(c), cur),
                            remaining=format_amount(0 if missing else remaining(view, u) or 0, cur))
                if exchange:
                    item["exchange"] = exchange
                if missing:
                    item["missing_rates"] = [{"from": m, "to": cur} for m in missing]
            else:
                continue
            usage_rows.append(item)
    pending = limit_store.pending_changes(state, now)
    return {"player_id": player_id, "timezone": tz or "UTC", "wallets": out_wallets,
            "limits": [limit_store.view_dict(v) for _, v in sorted(views.items())],
            "pending_changes": [limit_store.view_dict(v) for _, v in sorted(pending.items())],
            "usage": usage_rows}


def transfer(conn: Connection, transfer_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(ledger_transfers).where(ledger_transfers.c.transfer_id == transfer_id)).first()
    if row is None:
        return None
    return json.loads(row.resolution or row.result)


def _utc(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
