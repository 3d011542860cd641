"""continuous shadow: a proposed configuration version evaluated beside the live one on the
running stream, and the differences it found

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "config_shadows",
        sa.Column("shadow_id", _SEQ, primary_key=True, autoincrement=True),
        sa.Column("version_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_by", sa.String(length=128), nullable=False),
        sa.Column("started_at_us", sa.BigInteger(), nullable=False),
        sa.Column("from_seq", sa.BigInteger(), nullable=False),
        sa.Column("live_version", sa.String(length=64)),
        sa.Column("to_seq", sa.BigInteger(), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("players_folded", sa.Integer(), nullable=False),
        sa.Column("players_skipped", sa.Integer(), nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.Column("stopped_by", sa.String(length=128)),
        sa.Column("stopped_at_us", sa.BigInteger()),
        sa.Column("stop_reason", sa.String(length=256)),
    )
    op.create_index("ix_config_shadows_version", "config_shadows", ["version_id", "shadow_id"])
    op.create_index("ix_config_shadows_status", "config_shadows", ["status"])
    op.create_table(
        "config_shadow_diffs",
        sa.Column("shadow_id", sa.BigInteger(), primary_key=True),
        sa.Column("kind", sa.String(length=16), primary_key=True),
        sa.Column("subject", sa.String(length=128), primary_key=True),
        sa.Column("version_id", sa.String(length=64), nullable=False),
        sa.Column("player_id", sa.String(length=128), nullable=False),
        sa.Column("change", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=16)),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("event_seq", sa.BigInteger(), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_config_shadow_diffs_seq", "config_shadow_diffs", ["shadow_id", "event_seq"])


def downgrade() -> None:
    op.drop_index("ix_config_shadow_diffs_seq", table_name="config_shadow_diffs")
    op.drop_table("config_shadow_diffs")
    op.drop_index("ix_config_shadows_status", table_name="config_shadows")
    op.drop_index("ix_config_shadows_version", table_name="config_shadows")
    op.drop_table("config_shadows")
