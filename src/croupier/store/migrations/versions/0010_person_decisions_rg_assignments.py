"""staff decisions on persons (manual links, "do not link") and RG case assignments

Revision ID: 0010
Revises: 0005, 0008
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = ("0005", "0008")
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_decisions",
        sa.Column("player_a", sa.String(length=128), primary_key=True),
        sa.Column("player_b", sa.String(length=128), primary_key=True),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_at_us", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_person_decisions_b", "person_decisions", ["player_b"])
    op.create_table(
        "rg_case_assignments",
        sa.Column("case_id", sa.String(length=64), primary_key=True),
        sa.Column("player_id", sa.String(length=128), nullable=False),
        sa.Column("assignee", sa.String(length=128)),
        sa.Column("assigned_by", sa.String(length=128), nullable=False),
        sa.Column("assigned_at_us", sa.BigInteger(), nullable=False),
        sa.Column("opened_at_us", sa.BigInteger(), nullable=False),
        sa.Column("closed_at_us", sa.BigInteger()),
        sa.Column("closed_by", sa.String(length=128)),
    )
    op.create_index("ix_rg_case_assignments_player", "rg_case_assignments", ["player_id"])
    op.create_index("ix_rg_case_assignments_assignee", "rg_case_assignments", ["assignee", "closed_at_us"])


def downgrade() -> None:
    op.drop_index("ix_rg_case_assignments_assignee", table_name="rg_case_assignments")
    op.drop_index("ix_rg_case_assignments_player", table_name="rg_case_assignments")
    op.drop_table("rg_case_assignments")
    op.drop_index("ix_person_decisions_b", table_name="person_decisions")
    op.drop_table("person_decisions")
