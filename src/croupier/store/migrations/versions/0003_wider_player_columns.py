"""players: profile columns as wide as the protocol allows (256 characters)

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_COLUMNS = ("jurisdiction", "phone")


def upgrade() -> None:
    with op.batch_alter_table("players") as batch:
        for name in _COLUMNS:
            batch.alter_column(name, type_=sa.String(length=256))


def downgrade() -> None:
    with op.batch_alter_table("players") as batch:
        batch.alter_column("jurisdiction", type_=sa.String(length=32))
        batch.alter_column("phone", type_=sa.String(length=64))
