"""The posting path's statements, built once. A posting runs about a dozen statements
inside the writer's lock; building and cache-keying SQLAlchemy expressions per call cost
more than SQLite executing them, so the hot ones are module constants with bind parameters."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite

from croupier.store.schema import (
    ledger_entries, ledger_sessions, ledger_transfers, ledger_usage, ledger_wallets as wallets, limits,
)

USAGE_COLUMNS = ("deposit", "bonus_credit", "adjustment_in", "stake_cash", "stake_bonus", "win_cash")
COUNTERS = ("cash_debits_posted", "cash_credits_posted", "cash_debits_pending",
            "bonus_debits_posted", "bonus_credits_posted", "bonus_debits_pending")

SELECT_WALLET = select(wallets).where(wallets.c.player_id == bindparam("p"), wallets.c.currency == bindparam("c"))
SELECT_WALLET_FOR_UPDATE = SELECT_WALLET.with_for_update()
UPDATE_WALLET = wallets.update().where(
    wallets.c.player_id == bindparam("p"), wallets.c.currency == bindparam("c")).values(
    **{name: bindparam(f"v_{name}") for name in COUNTERS},
    brand=func.coalesce(bindparam("v_brand"), wallets.c.brand),
    timezone=func.coalesce(bindparam("v_timezone"), wallets.c.timezone),
    jurisdiction=func.coalesce(bindparam("v_jurisdiction"), wallets.c.jurisdiction),
    updated_at_us=bindparam("v_now"))
SELECT_TRANSFER = select(ledger_transfers).where(ledger_transfers.c.transfer_id == bindparam("t"))
INSERT_TRANSFER = ledger_transfers.insert()
INSERT_ENTRIES = ledger_entries.insert()
SELECT_LIMIT_HISTORY = select(limits).where(limits.c.player_id == bindparam("p")).order_by(limits.c.id)
SELECT_USAGE = select(ledger_usage.c.day, *(ledger_usage.c[c] for c in USAGE_COLUMNS)).where(
    ledger_usage.c.player_id == bindparam("p"), ledger_usage.c.currency == bindparam("c"),
    ledger_usage.c.day >= bindparam("first"))
SELECT_SESSIONS = select(ledger_sessions.c.started_at_us, ledger_sessions.c.ended_at_us).where(
    ledger_sessions.c.player_id == bindparam("p"), ledger_sessions.c.started_at_us < bindparam("now"),
    (ledger_sessions.c.ended_at_us.is_(None)) | (ledger_sessions.c.ended_at_us > bindparam("start")))


def _insert(dialect: str):  # noqa: ANN202
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


@cache
def _usage_upsert(dialect: str):  # noqa: ANN202
    stmt = _insert(dialect)(ledger_usage)
    return stmt.on_conflict_do_update(index_elements=["player_id", "currency", "day"],
                                      set_={c: ledger_usage.c[c] + stmt.excluded[c] for c in USAGE_COLUMNS})


@cache
def _session_insert(dialect: str):  # noqa: ANN202
    return _insert(dialect)(ledger_sessions).on_conflict_do_nothing().returning(ledger_sessions.c.session_id)


def usage_upsert(conn: Connection):  # noqa: ANN201
    return _usage_upsert(conn.dialect.name)


def session_insert(conn: Connection):  # noqa: ANN201
    return _session_insert(conn.dialect.name)
