"""The wallet row: the lock every posting takes first, and the player's two accounts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from croupier.ledger.legs import Balances
from croupier.store.schema import ledger_wallets as wallets
from croupier.store.upsert import insert_ignore

_COUNTERS = ("cash_debits_posted", "cash_credits_posted", "cash_debits_pending",
             "bonus_debits_posted", "bonus_credits_posted", "bonus_debits_pending")


def lock(conn: Connection, player_id: str, currency: str, now_us: int, defaults: dict[str, Any]) -> Any:
    """The wallet row, created if new, locked until the transaction ends (SELECT ... FOR
    UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already holds the database write lock).
    Concurrent postings for the player wait here, so the limit sums they read are final."""
    stmt = select(wallets).where(wallets.c.player_id == player_id, wallets.c.currency == currency)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        insert_ignore(conn, wallets, [{"player_id": player_id, "currency": currency,
                                       "created_at_us": now_us, "updated_at_us": now_us,
                                       **{c: 0 for c in _COUNTERS}, **defaults}])
        row = conn.execute(stmt).first()
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
    changed = {c: v for c, v in values.items() if v != getattr(row, c)}
    changed.update({k: v for k, v in profile.items() if v is not None and getattr(row, k) != v})
    if changed:
        changed["updated_at_us"] = now_us
        conn.execute(wallets.update().where(wallets.c.player_id == row.player_id,
                                            wallets.c.currency == row.currency).values(**changed))
    return Balances(values["cash_credits_posted"], values["cash_debits_posted"], values["cash_debits_pending"],
                    values["bonus_credits_posted"], values["bonus_debits_posted"])
