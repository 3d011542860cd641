"""The posting path's statements: built once with SQLAlchemy (one schema for both
dialects), compiled once per dialect and run on the DBAPI cursor (`store.raw`). A posting
runs about a dozen statements inside the wallet lock; through SQLAlchemy's execution layer
they cost several times what the database takes to run them."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite

from croupier.store.raw import RawStatement
from croupier.store.schema import (
    ledger_entries, ledger_sessions, ledger_transfers, ledger_usage, ledger_wallets as wallets,
)

USAGE_COLUMNS = ("deposit", "bonus_credit", "adjustment_in", "stake_cash", "stake_bonus", "win_cash")
COUNTERS = ("cash_debits_posted", "cash_credits_posted", "cash_debits_pending",
            "bonus_debits_posted", "bonus_credits_posted", "bonus_debits_pending")
WALLET_COLUMNS = ("player_id", "currency", "brand", "timezone", "jurisdiction", *COUNTERS)
TRANSFER_COLUMNS = ("transfer_id", "player_id", "currency", "kind", "status", "amount_minor", "request_hash",
                    "result", "resolution", "at_us", "resolved_at_us")
ENTRY_COLUMNS = ("transfer_id", "player_id", "currency", "account", "amount_minor", "at_us")


def _insert(dialect: str):  # noqa: ANN202
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _values(table, columns):  # noqa: ANN001, ANN202
    return table.insert().values({c: bindparam(c) for c in columns})


def _wallet_select(dialect: str):  # noqa: ANN202
    """The wallet row, locked on PostgreSQL (SQLite's BEGIN IMMEDIATE holds the database)."""
    stmt = select(*(wallets.c[c] for c in WALLET_COLUMNS)).where(
        wallets.c.player_id == bindparam("p"), wallets.c.currency == bindparam("c"))
    return stmt.with_for_update() if dialect == "postgresql" else stmt


def _usage_upsert(dialect: str):  # noqa: ANN202
    stmt = _insert(dialect)(ledger_usage).values(
        {c: bindparam(c) for c in ("player_id", "currency", "day", *USAGE_COLUMNS)})
    return stmt.on_conflict_do_update(index_elements=["player_id", "currency", "day"],
                                      set_={c: ledger_usage.c[c] + stmt.excluded[c] for c in USAGE_COLUMNS})


def _session_insert(dialect: str):  # noqa: ANN202
    return _insert(dialect)(ledger_sessions).values(
        {c: bindparam(c) for c in ("player_id", "session_id", "started_at_us", "ended_at_us")}
    ).on_conflict_do_nothing().returning(ledger_sessions.c.session_id)


SELECT_WALLET = RawStatement(_wallet_select)
UPDATE_WALLET = RawStatement(wallets.update().where(
    wallets.c.player_id == bindparam("p"), wallets.c.currency == bindparam("c")).values(
    **{name: bindparam(f"v_{name}") for name in COUNTERS},
    brand=func.coalesce(bindparam("v_brand"), wallets.c.brand),
    timezone=func.coalesce(bindparam("v_timezone"), wallets.c.timezone),
    jurisdiction=func.coalesce(bindparam("v_jurisdiction"), wallets.c.jurisdiction),
    updated_at_us=bindparam("v_now")))
SELECT_TRANSFER = RawStatement(select(*(ledger_transfers.c[c] for c in TRANSFER_COLUMNS)).where(
    ledger_transfers.c.transfer_id == bindparam("t")))
INSERT_TRANSFER = RawStatement(_values(ledger_transfers, TRANSFER_COLUMNS))
INSERT_ENTRIES = RawStatement(_values(ledger_entries, ENTRY_COLUMNS))
# Every currency the player has a wallet in (each usage row has one), so the primary key
# (player_id, currency, day) serves one range per currency rather than the player's whole history.
SELECT_USAGE_ALL = RawStatement(select(ledger_usage.c.currency, ledger_usage.c.day,
                                       *(ledger_usage.c[c] for c in USAGE_COLUMNS)).where(
    ledger_usage.c.player_id == bindparam("p"),
    ledger_usage.c.currency.in_(select(wallets.c.currency).where(wallets.c.player_id == bindparam("p"))),
    ledger_usage.c.day >= bindparam("first")))
SELECT_SESSIONS = RawStatement(select(ledger_sessions.c.started_at_us, ledger_sessions.c.ended_at_us).where(
    ledger_sessions.c.player_id == bindparam("p"), ledger_sessions.c.started_at_us < bindparam("now"),
    (ledger_sessions.c.ended_at_us.is_(None)) | (ledger_sessions.c.ended_at_us > bindparam("start"))))
UPSERT_USAGE = RawStatement(_usage_upsert)
INSERT_SESSION = RawStatement(_session_insert)
