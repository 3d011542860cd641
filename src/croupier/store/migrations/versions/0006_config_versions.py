"""config versions: versioned configuration documents with four-eyes approval, and shadow runs

Revision ID: 0006
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0003"
branch_labels = None
depends_on = None

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "config_versions",
        sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
        sa.Column("version_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("parent_version", sa.String(length=64)),
        sa.Column("proposed_by", sa.String(length=128), nullable=False),
        sa.Column("proposed_at_us", sa.BigInteger(), nullable=False),
        sa.Column("comment", sa.Text()),
        sa.Column("approved_by", sa.String(length=128)),
        sa.Column("approved_at_us", sa.BigInteger()),
        sa.Column("rejected_by", sa.String(length=128)),
        sa.Column("rejected_at_us", sa.BigInteger()),
        sa.Column("review_comment", sa.Text()),
        sa.Column("superseded_at_us", sa.BigInteger()),
        sa.Column("superseded_by", sa.String(length=64)),
    )
    op.create_index("ix_config_versions_version", "config_versions", ["version_id", "seq"])
    op.create_index("ix_config_versions_status", "config_versions", ["status", "seq"])
    op.create_table(
        "config_shadow_runs",
        sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
        sa.Column("version_id", sa.String(length=64), nullable=False),
        sa.Column("run_at_us", sa.BigInteger(), nullable=False),
        sa.Column("run_by", sa.String(length=128), nullable=False),
        sa.Column("live_version", sa.String(length=64)),
        sa.Column("result", sa.Text(), nullable=False),
    )
    op.create_index("ix_config_shadow_runs_version", "config_shadow_runs", ["version_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_config_shadow_runs_version", table_name="config_shadow_runs")
    op.drop_table("config_shadow_runs")
    op.drop_index("ix_config_versions_status", table_name="config_versions")
    op.drop_index("ix_config_versions_version", table_name="config_versions")
    op.drop_table("config_versions")
