"""ledger (wallets, transfers, entries, usage, sessions) and limit history

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _counter(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=False, server_default="0")


def upgrade() -> None:
    op.create_table(
        "ledger_wallets",
        sa.Column("player_id", sa.String(128), primary_key=True),
        sa.Column("currency", sa.String(3), primary_key=True),
        sa.Column("brand", sa.String(128)),
        sa.Column("timezone", sa.String(64)),
        sa.Column("jurisdiction", sa.String(64)),
        _counter("cash_debits_posted"), _counter("cash_credits_posted"), _counter("cash_debits_pending"),
        _counter("bonus_debits_posted"), _counter("bonus_credits_posted"), _counter("bonus_debits_pending"),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "ledger_transfers",
        sa.Column("transfer_id", sa.String(128), primary_key=True),
        sa.Column("player_id", sa.String(128), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("resolution", sa.Text()),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("resolved_at_us", sa.BigInteger()),
    )
    op.create_index("ix_ledger_transfers_player", "ledger_transfers", ["player_id", "at_us"])
    op.create_table(
        "ledger_entries",
        sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
        sa.Column("transfer_id", sa.String(128), nullable=False),
        sa.Column("player_id", sa.String(128), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("account", sa.String(24), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_ledger_entries_account", "ledger_entries", ["player_id", "currency", "account"])
    op.create_index("ix_ledger_entries_transfer", "ledger_entries", ["transfer_id"])
    op.create_table(
        "ledger_usage",
        sa.Column("player_id", sa.String(128), primary_key=True),
        sa.Column("currency", sa.String(3), primary_key=True),
        sa.Column("day", sa.Integer(), primary_key=True),
        _counter("deposit"), _counter("bonus_credit"), _counter("adjustment_in"),
        _counter("stake_cash"), _counter("stake_bonus"), _counter("win_cash"),
    )
    op.create_table(
        "ledger_sessions",
        sa.Column("player_id", sa.String(128), primary_key=True),
        sa.Column("session_id", sa.String(128), primary_key=True),
        sa.Column("started_at_us", sa.BigInteger(), nullable=False),
        sa.Column("ended_at_us", sa.BigInteger()),
    )
    op.create_index("ix_ledger_sessions_open", "ledger_sessions", ["player_id", "ended_at_us"])
    op.create_table(
        "limits",
        sa.Column("id", _SEQ, primary_key=True, autoincrement=True),
        sa.Column("player_id", sa.String(128), nullable=False),
        sa.Column("brand", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("change", sa.String(16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger()),
        sa.Column("currency", sa.String(3)),
        sa.Column("minutes", sa.Integer()),
        sa.Column("set_at_us", sa.BigInteger(), nullable=False),
        sa.Column("effective_at_us", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("event_id", sa.String(128), nullable=False, unique=True),
    )
    op.create_index("ix_limits_player", "limits", ["player_id", "id"])


def downgrade() -> None:
    for name in ("limits", "ledger_sessions", "ledger_usage", "ledger_entries", "ledger_transfers",
                 "ledger_wallets"):
        op.drop_table(name)
