"""staff task queue: `staff_tasks`, work for a person (a VIP host, an RG officer...) that a
journey's task step or a staff member puts in a queue, taken and closed with an outcome

Revision ID: 0019_staff_tasks
Revises: 0018_journeys
"""
from alembic import op
import sqlalchemy as sa

revision = "0019_staff_tasks"
down_revision = "0018_journeys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_tasks",
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("origin_id", sa.String(length=128), nullable=False, unique=True),
        sa.Column("queue", sa.String(length=32), nullable=False),
        sa.Column("player_id", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("due_at_us", sa.BigInteger()),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=256), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("taken_by", sa.String(length=128)),
        sa.Column("taken_at_us", sa.BigInteger()),
        sa.Column("completed_by", sa.String(length=128)),
        sa.Column("completed_at_us", sa.BigInteger()),
        sa.Column("outcome", sa.String(length=32)),
        sa.Column("note", sa.Text()),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_staff_tasks_status_due", "staff_tasks", ["status", "due_at_us"])
    op.create_index("ix_staff_tasks_player", "staff_tasks", ["player_id", "created_at_us"])
    op.create_index("ix_staff_tasks_taken_by", "staff_tasks", ["taken_by", "status"])


def downgrade() -> None:
    op.drop_index("ix_staff_tasks_taken_by", table_name="staff_tasks")
    op.drop_index("ix_staff_tasks_player", table_name="staff_tasks")
    op.drop_index("ix_staff_tasks_status_due", table_name="staff_tasks")
    op.drop_table("staff_tasks")
