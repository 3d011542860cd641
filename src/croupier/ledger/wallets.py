"""The wallet row: the lock every posting takes first, and the player's two accounts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from croupier.ledger import sql
from croupier.ledger.legs import Balances
from croupier.store.schema import ledger_wallets as wallets
from croupier.store.upsert import insert_ignore

_COUNTERS = sql.COUNTERS


def lock(conn: Connection, player_id: str, currency: str, now_us: int, defaults: dict[str, Any]) -> Any:
    """The wallet row, created if new, locked until the transaction ends (SELECT ... FOR
    UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already holds the database write lock).
    Concurrent postings for the player wait here, so the limit sums they read are final."""
    params = {"p": player_id, "c": currency}
    row = sql.SELECT_WALLET.first(conn, params)
    if row is None:
        insert_ignore(conn, wallets, [{"player_id": player_id, "currency": currency,
                                       "created_at_us": now_us, "updated_at_us": now_us,
                                       **{c: 0 for c in _COUNTERS}, **defaults}])
        row = sql.SELECT_WALLET.first(conn, params)
    return row


def peek(conn: Connection, player_id: str, currency: str | None = None) -> list[Any]:
    """Wallet rows without locking (reads, authorize)."""
    stmt = select(wallets).where(wallets.c.player_id == player_id)
    if currency is not None:
        stmt = stmt.where(wallets.c.currency == currency)
    return conn.execute(stmt.order_by(wallets.c.currency)).all()


def balances(row: Any) -> Balances:
    if row is None:
        return Balances()
    return Balances(row.cash_credits_posted, row.cash_debits_posted, row.cash_debits_pending,
                    row.bonus_credits_posted, row.bonus_debits_posted)


def apply_legs(conn: Connection, row: Any, legs: list[tuple[str, str, int]], reserve: int, now_us: int,
               profile: dict[str, Any]) -> Balances:
    """Add the legs to the player's counters (and the pending reservation); returns the new
    balances. Operator accounts keep no counters: their balance is the sum of entries."""
    values = {c: getattr(row, c) for c in _COUNTERS}
    for debit, credit, amount in legs:
        if debit in ("cash", "bonus"):
            values[f"{debit}_debits_posted"] += amount
        if credit in ("cash", "bonus"):
            values[f"{credit}_credits_posted"] += amount
    values["cash_debits_pending"] += reserve
    changed = any(v != getattr(row, c) for c, v in values.items()) or \
        any(v is not None and getattr(row, k) != v for k, v in profile.items())
    if changed:
        sql.UPDATE_WALLET.execute(conn, {"p": row.player_id, "c": row.currency, "v_now": now_us,
                                         **{f"v_{c}": v for c, v in values.items()},
                                         **{f"v_{k}": profile.get(k) for k in ("brand", "timezone", "jurisdiction")}
                                         }).close()
    return Balances(values["cash_credits_posted"], values["cash_debits_posted"], values["cash_debits_pending"],
                    values["bonus_credits_posted"], values["bonus_debits_posted"])
