"""the RG risk score beside the level in the players table, for the RG officer's queue
(basis points, as `protection.risk_bp`; NULL until the player's state is next written)

Revision ID: 0016_player_risk_score
Revises: 0015_rg_models
"""
from alembic import op
import sqlalchemy as sa

revision = "0016_player_risk_score"
down_revision = "0015_rg_models"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("players", sa.Column("risk_bp", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("players") as batch:
        batch.drop_column("risk_bp")
