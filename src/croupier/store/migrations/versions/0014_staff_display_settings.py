"""staff display settings and audit recording time: each staff user's time zone and locale
(NULL: the operator's default), and when each audit record was stored (`at_us` is when it
happened; a gate decision carries its event's time, so the two differ)

Revision ID: 0014_staff_display
Revises: 0013_quarantine
"""
from alembic import op
import sqlalchemy as sa

revision = "0014_staff_display"
down_revision = "0013_quarantine"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("locale", sa.String(length=32), nullable=True))
    # Records stored before this revision keep NULL: when they were stored was not kept.
    op.add_column("audit_log", sa.Column("recorded_at_us", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("recorded_at_us")
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("locale")
        batch.drop_column("time_zone")
