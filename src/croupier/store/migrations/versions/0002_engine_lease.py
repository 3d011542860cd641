"""engine lease: owner and lease expiry on engine_cursor

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("engine_cursor") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("lease_until_us", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("engine_cursor") as batch:
        batch.drop_column("lease_until_us")
        batch.drop_column("owner")
