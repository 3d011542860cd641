"""operator-trained RG models: each model `croupier models train rg` fitted, with its report
(the model card's figures) and the configuration version it was proposed as

Revision ID: 0015_rg_models
Revises: 0014_staff_display
"""
from alembic import op
import sqlalchemy as sa

revision = "0015_rg_models"
down_revision = "0014_staff_display"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rg_models",
        sa.Column("version", sa.String(length=64), primary_key=True),
        sa.Column("trained_at_us", sa.BigInteger(), nullable=False),
        sa.Column("trained_by", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("auc", sa.Float()),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("proposed_as", sa.String(length=64)),
        sa.Column("proposed_by", sa.String(length=128)),
        sa.Column("proposed_at_us", sa.BigInteger()),
    )
    op.create_index("ix_rg_models_trained", "rg_models", ["trained_at_us"])


def downgrade() -> None:
    op.drop_index("ix_rg_models_trained", table_name="rg_models")
    op.drop_table("rg_models")
