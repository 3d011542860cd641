"""segments: definitions over the feature catalogue, the latest version of each in
`segments` and every version (each edit, archiving too) in `segment_versions`

Revision ID: 0017_segments
Revises: 0016_player_risk_score
"""
from alembic import op
import sqlalchemy as sa

revision = "0017_segments"
down_revision = "0016_player_risk_score"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "segments",
        sa.Column("segment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_segments_name", "segments", ["name"])
    op.create_table(
        "segment_versions",
        sa.Column("segment_id", sa.BigInteger(), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("edited_by", sa.String(length=128), nullable=False),
        sa.Column("edited_at_us", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("segment_versions")
    op.drop_index("ix_segments_name", table_name="segments")
    op.drop_table("segments")
