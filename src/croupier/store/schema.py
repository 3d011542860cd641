"""Tables, as SQLAlchemy Core metadata. Migrations (Alembic) create them; code reads them here.

Times are stored as integer microseconds since the epoch (UTC): portable across SQLite and
PostgreSQL, sortable, and free of driver time-zone surprises. Money is integer minor units.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger, Boolean, Column, Index, Integer, LargeBinary, MetaData, String, Table, Text,
)

metadata = MetaData()

# SQLite only auto-assigns INTEGER PRIMARY KEY (the rowid); PostgreSQL gets a BIGINT identity.
SeqType = BigInteger().with_variant(Integer(), "sqlite")

events = Table(
    "events", metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("event_id", String(128), nullable=False, unique=True),
    Column("player_id", String(128), nullable=False),
    Column("brand", String(128), nullable=False),
    Column("type", String(48), nullable=False),
    Column("occurred_at_us", BigInteger, nullable=False),
    Column("received_at_us", BigInteger, nullable=False),
    Column("payload", Text, nullable=False),
    Index("ix_events_player_seq", "player_id", "seq"),
)

# The engine's position in the log, and its lease: one engine per database processes the
# log; others (a CLI import beside a running server) only append and leave it to the owner.
engine_cursor = Table(
    "engine_cursor", metadata,
    Column("name", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("owner", String(128)),
    Column("lease_until_us", BigInteger),
)

player_state = Table(
    "player_state", metadata,
    Column("player_id", String(128), primary_key=True),
    Column("state", LargeBinary, nullable=False),
    Column("seq", BigInteger, nullable=False),
)

# The searchable face of each player, kept in step with player_state by the engine.
players = Table(
    "players", metadata,
    Column("player_id", String(128), primary_key=True),
    Column("brand", String(128), nullable=False),
    Column("registered", Boolean, nullable=False),
    Column("jurisdiction", String(256)),
    Column("country", String(2)),
    Column("currency", String(3)),
    Column("email", String(256)),
    Column("phone", String(256)),
    Column("first_name", String(256)),
    Column("last_name", String(256)),
    Column("lifecycle_stage", String(32)),
    Column("registered_at_us", BigInteger),
    Column("last_event_at_us", BigInteger),
    Index("ix_players_email", "email"),
    Index("ix_players_last_name", "last_name"),
)

# Per-day and per-minute totals for the dashboard, updated once per engine batch.
daily_totals = Table(
    "daily_totals", metadata,
    Column("day", Integer, primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("deposits_minor", BigInteger, nullable=False, default=0),
    Column("deposit_count", Integer, nullable=False, default=0),
    Column("stakes_minor", BigInteger, nullable=False, default=0),
    Column("wins_minor", BigInteger, nullable=False, default=0),
)

minute_counts = Table(
    "minute_counts", metadata,
    Column("minute", BigInteger, primary_key=True),
    Column("events", Integer, nullable=False, default=0),
)

audit_log = Table(
    "audit_log", metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("at_us", BigInteger, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("player_id", String(128)),
    Column("subject", String(256)),
    Column("config_version", String(64)),
    Column("body", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
    Index("ix_audit_player", "player_id", "seq"),
    Index("ix_audit_kind", "kind", "seq"),
)

audit_head = Table(
    "audit_head", metadata,
    Column("id", Integer, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

outbox = Table(
    "outbox", metadata,
    Column("action_id", String(64), primary_key=True),
    Column("player_id", String(128), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("channel", String(32)),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    Column("audit_hash", String(64), nullable=False),
    Index("ix_outbox_status", "status", "created_at_us"),
    Index("ix_outbox_player", "player_id", "created_at_us"),
)

api_keys = Table(
    "api_keys", metadata,
    Column("key_id", String(32), primary_key=True),
    Column("secret_hash", String(128), nullable=False),
    Column("name", String(128), nullable=False),
    Column("scopes", String(256), nullable=False),
    Column("signing_secret", String(128)),
    Column("require_signature", Boolean, nullable=False, default=False),
    Column("created_at_us", BigInteger, nullable=False),
    Column("revoked_at_us", BigInteger),
)

staff_users = Table(
    "staff_users", metadata,
    Column("user_id", SeqType, primary_key=True, autoincrement=True),
    Column("username", String(128), nullable=False, unique=True),
    Column("password_hash", String(256), nullable=False),
    Column("role", String(32), nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
)

staff_sessions = Table(
    "staff_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", BigInteger, nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    Column("expires_at_us", BigInteger, nullable=False),
)
