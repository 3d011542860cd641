"""players: the RG risk rank and since-when, for the RG officer's queue

Revision ID: 0008
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("players") as batch:
        batch.add_column(sa.Column("risk_rank", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("risk_since_us", sa.BigInteger(), nullable=True))
        batch.create_index("ix_players_risk", ["risk_rank", "risk_since_us"])


def downgrade() -> None:
    with op.batch_alter_table("players") as batch:
        batch.drop_index("ix_players_risk")
        batch.drop_column("risk_since_us")
        batch.drop_column("risk_rank")
