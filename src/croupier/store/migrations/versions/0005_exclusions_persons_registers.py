"""exclusions, person links, national registers, session timers

Revision ID: 0005
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exclusions",
        sa.Column("exclusion_id", sa.String(length=64), nullable=False),
        sa.Column("player_id", sa.String(length=128), nullable=False),
        sa.Column("brand", sa.String(length=128), nullable=False),
        sa.Column("jurisdiction", sa.String(length=256), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=True),
        sa.Column("started_at_us", sa.BigInteger(), nullable=False),
        sa.Column("period_ends_us", sa.BigInteger(), nullable=True),
        sa.Column("until_us", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=128), nullable=True),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("cause_event_id", sa.String(length=128), nullable=True),
        sa.Column("reactivation_requested_us", sa.BigInteger(), nullable=True),
        sa.Column("ended_at_us", sa.BigInteger(), nullable=True),
        sa.Column("ended_by", sa.String(length=128), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("exclusion_id"),
    )
    op.create_index("ix_exclusions_player", "exclusions", ["player_id", "status"])
    op.create_table(
        "player_identities",
        sa.Column("player_id", sa.String(length=128), nullable=False),
        sa.Column("brand", sa.String(length=128), nullable=False),
        sa.Column("jurisdiction", sa.String(length=256), nullable=True),
        sa.Column("national_id_hash", sa.String(length=64), nullable=True),
        sa.Column("email_hash", sa.String(length=64), nullable=True),
        sa.Column("phone_hash", sa.String(length=64), nullable=True),
        sa.Column("name_dob_hash", sa.String(length=64), nullable=True),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.Column("register_status", sa.String(length=16), nullable=True),
        sa.Column("register_checked_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("player_id"),
    )
    op.create_index("ix_identities_national_id", "player_identities", ["national_id_hash"])
    op.create_index("ix_identities_email", "player_identities", ["email_hash"])
    op.create_index("ix_identities_phone", "player_identities", ["phone_hash"])
    op.create_index("ix_identities_name_dob", "player_identities", ["name_dob_hash"])
    op.create_index("ix_identities_register_status", "player_identities", ["register_status"])
    op.create_table(
        "person_links",
        sa.Column("player_id", sa.String(length=128), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("matched_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("player_id"),
    )
    op.create_index("ix_person_links_person", "person_links", ["person_id"])
    op.create_table(
        "register_batches",
        sa.Column("batch_id", sa.String(length=64), nullable=False),
        sa.Column("register", sa.String(length=64), nullable=False),
        sa.Column("imported_at_us", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("batch_id"),
    )
    op.create_index("ix_register_batches_register", "register_batches", ["register", "imported_at_us"])
    op.create_table(
        "register_entries",
        sa.Column("register", sa.String(length=64), nullable=False),
        sa.Column("identifier_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("until_us", sa.BigInteger(), nullable=True),
        sa.Column("batch_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("register", "identifier_hash"),
    )
    op.create_table(
        "session_timers",
        sa.Column("player_id", sa.String(length=128), nullable=False),
        sa.Column("session_id", sa.String(length=128), nullable=False),
        sa.Column("brand", sa.String(length=128), nullable=False),
        sa.Column("started_us", sa.BigInteger(), nullable=False),
        sa.Column("checks_done", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("player_id", "session_id"),
    )
    op.create_table(
        "reality_check_settings",
        sa.Column("player_id", sa.String(length=128), nullable=False),
        sa.Column("interval_minutes", sa.Integer(), nullable=False),
        sa.Column("set_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("player_id"),
    )
    op.create_table(
        "protection_cursor",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("protection_cursor")
    op.drop_table("reality_check_settings")
    op.drop_table("session_timers")
    op.drop_table("register_entries")
    op.drop_table("register_batches")
    op.drop_table("person_links")
    op.drop_table("player_identities")
    op.drop_table("exclusions")
