"""engine quarantine: events the engine could not process, kept in the log and skipped; the
dashboard's counts widened to 64 bits (they saturate there instead of overflowing)

Revision ID: 0013_quarantine
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

revision = "0013_quarantine"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "engine_quarantine",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("event_id", sa.String(length=128)),
        sa.Column("player_id", sa.String(length=128)),
        sa.Column("type", sa.String(length=48)),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("quarantined_at_us", sa.BigInteger(), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":   # SQLite's INTEGER is 64 bits already
        op.alter_column("daily_totals", "deposit_count", type_=sa.BigInteger())
        op.alter_column("minute_counts", "events", type_=sa.BigInteger())


def downgrade() -> None:
    op.drop_table("engine_quarantine")
