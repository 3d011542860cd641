"""Tables, as SQLAlchemy Core metadata. Migrations (Alembic) create them; code reads them here.

Times are stored as integer microseconds since the epoch (UTC): portable across SQLite and
PostgreSQL, sortable, and free of driver time-zone surprises. Money is integer minor units.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger, Boolean, Column, Float, Index, Integer, LargeBinary, MetaData, SmallInteger, String, Table, Text,
    UniqueConstraint,
)

metadata = MetaData()

# SQLite only auto-assigns INTEGER PRIMARY KEY (the rowid); PostgreSQL gets a BIGINT identity.
SeqType = BigInteger().with_variant(Integer(), "sqlite")
MAX_SEQ = 2**63 - 1   # the largest log position either database can hold (a query beyond it fails)

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
    Column("risk_rank", Integer),           # 0 none .. 4 severe, for the RG officer's queue
    Column("risk_since_us", BigInteger),
    Column("risk_bp", Integer),             # the RG risk score in basis points (protection.risk_bp)
    Index("ix_players_email", "email"),
    Index("ix_players_risk", "risk_rank", "risk_since_us"),
    Index("ix_players_last_name", "last_name"),
)

# Per-day and per-minute totals for the dashboard, updated once per engine snapshot; they
# saturate at the 64-bit bound instead of overflowing (store/upsert.py, reported as such).
daily_totals = Table(
    "daily_totals", metadata,
    Column("day", Integer, primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("deposits_minor", BigInteger, nullable=False, default=0),
    Column("deposit_count", BigInteger, nullable=False, default=0),
    Column("stakes_minor", BigInteger, nullable=False, default=0),
    Column("wins_minor", BigInteger, nullable=False, default=0),
)

minute_counts = Table(
    "minute_counts", metadata,
    Column("minute", BigInteger, primary_key=True),
    Column("events", BigInteger, nullable=False, default=0),
)

# Events the engine could not process (an event that fails to decode or fold, or whose
# figures the database cannot hold), by log position. They stay in the log; the engine and
# a replay skip them, so one bad event cannot stall every player (docs/architecture.md).
engine_quarantine = Table(
    "engine_quarantine", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", String(128)),
    Column("player_id", String(128)),
    Column("type", String(48)),
    Column("error", Text, nullable=False),
    Column("quarantined_at_us", BigInteger, nullable=False),
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
    # When this database stored the record (at_us is when it happened, e.g. the event's time
    # for a gate decision). Outside the hash: the order is the chain's, by seq.
    Column("recorded_at_us", BigInteger),
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
    # How the back office shows figures and times to this user; NULL: the operator's default.
    Column("time_zone", String(64)),
    Column("locale", String(32)),
)

staff_sessions = Table(
    "staff_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", BigInteger, nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    Column("expires_at_us", BigInteger, nullable=False),
)

# --- Ledger and limits (issue 3) ---------------------------------------------------------
# One wallet per player and currency: the lock every posting takes first, and the two player
# accounts (cash, bonus) with TigerBeetle's counters. Operator-side accounts (settlement,
# house, bonus pool, adjustments, chargeback loss) carry no running balance: they are the
# sum of their entries, so no hot row serialises every player's postings.
ledger_wallets = Table(
    "ledger_wallets", metadata,
    Column("player_id", String(128), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("brand", String(128)),
    Column("timezone", String(64)),
    Column("jurisdiction", String(64)),
    Column("cash_debits_posted", BigInteger, nullable=False, default=0),
    Column("cash_credits_posted", BigInteger, nullable=False, default=0),
    Column("cash_debits_pending", BigInteger, nullable=False, default=0),
    Column("bonus_debits_posted", BigInteger, nullable=False, default=0),
    Column("bonus_credits_posted", BigInteger, nullable=False, default=0),
    Column("bonus_debits_pending", BigInteger, nullable=False, default=0),
    Column("created_at_us", BigInteger, nullable=False),
    Column("updated_at_us", BigInteger, nullable=False),
)

# Every request that moved (or reserved) money, by its transaction id: the idempotency record.
ledger_transfers = Table(
    "ledger_transfers", metadata,
    Column("transfer_id", String(128), primary_key=True),
    Column("player_id", String(128), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),      # posted, pending, settled, voided
    Column("amount_minor", BigInteger, nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("result", Text, nullable=False),
    Column("resolution", Text),                        # settle/void result of a pending transfer
    Column("at_us", BigInteger, nullable=False),
    Column("resolved_at_us", BigInteger),
    Index("ix_ledger_transfers_player", "player_id", "at_us"),
)

# The double-entry journal: every leg of a transfer is two rows (debit -, credit +); the
# entries of a transfer, and of the whole ledger, sum to zero.
ledger_entries = Table(
    "ledger_entries", metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("transfer_id", String(128), nullable=False),
    Column("player_id", String(128), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("account", String(24), nullable=False),    # cash, bonus | settlement, house, bonus_pool, ...
    Column("amount_minor", BigInteger, nullable=False),
    Column("at_us", BigInteger, nullable=False),
    Index("ix_ledger_entries_account", "player_id", "currency", "account"),
    Index("ix_ledger_entries_transfer", "transfer_id"),
)

# What counts against limits, per player, currency and LOCAL day (date ordinal in the
# player's time zone at posting time); a period's usage is the sum of its days.
ledger_usage = Table(
    "ledger_usage", metadata,
    Column("player_id", String(128), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("day", Integer, primary_key=True),
    Column("deposit", BigInteger, nullable=False, default=0),
    Column("bonus_credit", BigInteger, nullable=False, default=0),
    Column("adjustment_in", BigInteger, nullable=False, default=0),
    Column("stake_cash", BigInteger, nullable=False, default=0),
    Column("stake_bonus", BigInteger, nullable=False, default=0),
    Column("win_cash", BigInteger, nullable=False, default=0),
)

# Wallet play sessions (session-time limits count these, open ones up to now).
ledger_sessions = Table(
    "ledger_sessions", metadata,
    Column("player_id", String(128), primary_key=True),
    Column("session_id", String(128), primary_key=True),
    Column("started_at_us", BigInteger, nullable=False),
    Column("ended_at_us", BigInteger),
    Index("ix_ledger_sessions_open", "player_id", "ended_at_us"),
)

# Limit history: one row per change (append-only); the limits in force are folded from it.
limits = Table(
    "limits", metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("player_id", String(128), nullable=False),
    Column("brand", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("period", String(8), nullable=False),
    Column("source", String(16), nullable=False),
    Column("change", String(16), nullable=False),       # new, decrease, increase, removal
    Column("amount_minor", BigInteger),
    Column("currency", String(3)),
    Column("minutes", Integer),
    Column("set_at_us", BigInteger, nullable=False),
    Column("effective_at_us", BigInteger, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("reason", Text),
    Column("event_id", String(128), nullable=False, unique=True),
    Index("ix_limits_player", "player_id", "id"),
)

# --- Exclusions, persons, national registers, session timers (protection) ---------------
# The authoritative exclusion records; the engine folds the same starts and ends as facts.
exclusions = Table(
    "exclusions", metadata,
    Column("exclusion_id", String(64), primary_key=True),
    Column("player_id", String(128), nullable=False),
    Column("brand", String(128), nullable=False),
    Column("jurisdiction", String(256)),
    Column("kind", String(32), nullable=False),         # self_exclusion, timeout, cooling_off, panic, closure, register, operator
    Column("scope", String(16), nullable=False),        # brand, operator, national
    Column("period", String(32)),                       # ISO 8601 duration, "indefinite", or None
    Column("started_at_us", BigInteger, nullable=False),
    Column("period_ends_us", BigInteger),               # the chosen period's end (None: indefinite)
    Column("until_us", BigInteger),                     # when it lifts by itself (None: only by an end)
    Column("status", String(16), nullable=False),       # active, ended
    Column("source", String(128)),
    Column("actor", String(128), nullable=False),
    Column("reason", Text),
    Column("cause_event_id", String(128)),
    Column("reactivation_requested_us", BigInteger),
    Column("ended_at_us", BigInteger),
    Column("ended_by", String(128)),
    Column("end_reason", Text),
    Index("ix_exclusions_player", "player_id", "status"),
)

# Each account's identity as hashes of normalised values (SHA-256 hex): what person matching
# and the national registers compare. No plain identifiers are kept here.
player_identities = Table(
    "player_identities", metadata,
    Column("player_id", String(128), primary_key=True),
    Column("brand", String(128), nullable=False),
    Column("jurisdiction", String(256)),
    Column("national_id_hash", String(64)),
    Column("email_hash", String(64)),
    Column("phone_hash", String(64)),
    Column("name_dob_hash", String(64)),
    Column("updated_at_us", BigInteger, nullable=False),
    Column("register_status", String(16)),              # pending, clear, hit, unavailable, not_configured, opted_out
    Column("register_checked_us", BigInteger),
    Index("ix_identities_national_id", "national_id_hash"),
    Index("ix_identities_email", "email_hash"),
    Index("ix_identities_phone", "phone_hash"),
    Index("ix_identities_name_dob", "name_dob_hash"),
    Index("ix_identities_register_status", "register_status"),
)

person_links = Table(
    "person_links", metadata,
    Column("player_id", String(128), primary_key=True),
    Column("person_id", String(64), nullable=False),
    Column("evidence", Text, nullable=False),           # JSON: [{"kind": "email", "with": ["p2"]}, ...]
    Column("matched_at_us", BigInteger, nullable=False),
    Index("ix_person_links_person", "person_id"),
)

# Staff decisions about pairs of accounts (player_a < player_b) that the matcher must respect:
# "link" (one person although no identifier matched) or "separate" (never one person, and
# exclusions do not reach across the pair). The latest decision per pair; history is audited.
person_decisions = Table(
    "person_decisions", metadata,
    Column("player_a", String(128), primary_key=True),
    Column("player_b", String(128), primary_key=True),
    Column("decision", String(16), nullable=False),     # link, separate
    Column("actor", String(128), nullable=False),
    Column("reason", Text, nullable=False),
    Column("decided_at_us", BigInteger, nullable=False),
    Index("ix_person_decisions_b", "player_b"),
)

register_batches = Table(
    "register_batches", metadata,
    Column("batch_id", String(64), primary_key=True),
    Column("register", String(64), nullable=False),
    Column("imported_at_us", BigInteger, nullable=False),
    Column("source", Text),
    Column("content_sha256", String(64)),
    Column("entries", Integer, nullable=False),
    Index("ix_register_batches_register", "register", "imported_at_us"),
)

register_entries = Table(
    "register_entries", metadata,
    Column("register", String(64), primary_key=True),
    Column("identifier_hash", String(64), primary_key=True),
    Column("kind", String(16)),                         # national_id, email, phone, or None (any)
    Column("until_us", BigInteger),
    Column("batch_id", String(64), nullable=False),
)

# Open sessions the reality-check timer watches, and each player's chosen interval.
session_timers = Table(
    "session_timers", metadata,
    Column("player_id", String(128), primary_key=True),
    Column("session_id", String(128), primary_key=True),
    Column("brand", String(128), nullable=False),
    Column("started_us", BigInteger, nullable=False),
    Column("checks_done", Integer, nullable=False, default=0),
)

reality_check_settings = Table(
    "reality_check_settings", metadata,
    Column("player_id", String(128), primary_key=True),
    Column("interval_minutes", Integer, nullable=False),
    Column("set_at_us", BigInteger, nullable=False),
)

# How far the protection hooks have looked at the log (separate from the engine's cursor,
# so a replay does not re-run side effects such as register look-ups).
protection_cursor = Table(
    "protection_cursor", metadata,
    Column("name", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
)

# Who works an RG case (an open "human" intervention, protection/rg_cases.py). A row exists
# once a case has been assigned; `assignee` None means released. Closed by the review.
rg_case_assignments = Table(
    "rg_case_assignments", metadata,
    Column("case_id", String(64), primary_key=True),
    Column("player_id", String(128), nullable=False),
    Column("assignee", String(128)),
    Column("assigned_by", String(128), nullable=False),
    Column("assigned_at_us", BigInteger, nullable=False),
    Column("opened_at_us", BigInteger, nullable=False),
    Column("closed_at_us", BigInteger),
    Column("closed_by", String(128)),
    Index("ix_rg_case_assignments_player", "player_id"),
    Index("ix_rg_case_assignments_assignee", "assignee", "closed_at_us"),
)

# --- Configuration versions (issue 3: jurisdictions as configuration) --------------------
# Versioned configuration documents with four-eyes approval (compliance/config_store.py).
# version_id is the content hash the gate records on decisions; the same content may be
# proposed again after a rejection, so seq (not version_id) is the key.
config_versions = Table(
    "config_versions", metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("version_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),       # draft, proposed, approved, rejected, superseded
    Column("document", Text, nullable=False),
    Column("parent_version", String(64)),
    Column("proposed_by", String(128), nullable=False),
    Column("proposed_at_us", BigInteger, nullable=False),
    Column("comment", Text),
    Column("approved_by", String(128)),
    Column("approved_at_us", BigInteger),
    Column("rejected_by", String(128)),
    Column("rejected_at_us", BigInteger),
    Column("review_comment", Text),
    Column("superseded_at_us", BigInteger),
    Column("superseded_by", String(64)),
    Index("ix_config_versions_version", "version_id", "seq"),
    Index("ix_config_versions_status", "status", "seq"),
)

# Shadow runs of a proposed version over recent events (compliance/shadow.py).
config_shadow_runs = Table(
    "config_shadow_runs", metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("version_id", String(64), nullable=False),
    Column("run_at_us", BigInteger, nullable=False),
    Column("run_by", String(128), nullable=False),
    Column("live_version", String(64)),
    Column("result", Text, nullable=False),
    Index("ix_config_shadow_runs_version", "version_id", "seq"),
)

# A proposed version evaluated beside the live one on the running stream (engine/shadow.py):
# one row per start, and its differences keyed by (shadow, kind, subject) so a batch the
# engine processes again after a crash writes nothing twice.
config_shadows = Table(
    "config_shadows", metadata,
    Column("shadow_id", SeqType, primary_key=True, autoincrement=True),
    Column("version_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),            # running, stopped
    Column("started_by", String(128), nullable=False),
    Column("started_at_us", BigInteger, nullable=False),
    Column("from_seq", BigInteger, nullable=False),           # events after this log position are evaluated
    Column("live_version", String(64)),                       # the version in force when it started
    Column("to_seq", BigInteger, nullable=False),             # the last log position evaluated
    Column("events", BigInteger, nullable=False),
    Column("players_folded", Integer, nullable=False),        # players with a shadow state of their own
    Column("players_skipped", Integer, nullable=False),       # beyond the lane's player cap
    Column("updated_at_us", BigInteger, nullable=False),
    Column("stopped_by", String(128)),
    Column("stopped_at_us", BigInteger),
    Column("stop_reason", String(256)),
    Index("ix_config_shadows_version", "version_id", "shadow_id"),
    Index("ix_config_shadows_status", "status"),
)

config_shadow_diffs = Table(
    "config_shadow_diffs", metadata,
    Column("shadow_id", BigInteger, primary_key=True),
    Column("kind", String(16), primary_key=True),             # decision, risk
    Column("subject", String(128), primary_key=True),         # the action id, or the player id
    Column("version_id", String(64), nullable=False),
    Column("player_id", String(128), nullable=False),
    Column("change", String(32), nullable=False),             # now_suppressed, ..., newly_flagged, unflagged
    Column("level", String(16)),                              # risk: the level flagged at (or the live one unflagged)
    Column("body", Text, nullable=False),                     # JSON: both sides and what they concern
    Column("event_seq", BigInteger, nullable=False),
    Column("at_us", BigInteger, nullable=False),
    Index("ix_config_shadow_diffs_seq", "shadow_id", "event_seq"),
)

# Operator-trained RG models (models/rg/service.py): the model in the live format, its
# report (the model card's figures), and the configuration version it was proposed as.
rg_models = Table(
    "rg_models", metadata,
    Column("version", String(64), primary_key=True),
    Column("trained_at_us", BigInteger, nullable=False),
    Column("trained_by", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("auc", Float),
    Column("model", Text, nullable=False),          # JSON: the RgModel
    Column("report", Text, nullable=False),         # JSON: the training report
    Column("proposed_as", String(64)),              # the configuration version proposed with it
    Column("proposed_by", String(128)),
    Column("proposed_at_us", BigInteger),
    Index("ix_rg_models_trained", "trained_at_us"),
)

# --- Segments (issue 10): definitions over the feature catalogue (croupier.segments) -------
# One row per segment, its latest version; every edit (archiving too) adds a row to
# segment_versions, so a segment's id stays while its history is kept whole.
segments = Table(
    "segments", metadata,
    Column("segment_id", SeqType, primary_key=True, autoincrement=True),
    Column("version", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("purpose", String(16), nullable=False),           # promotional, service, safer_play
    Column("definition", Text, nullable=False),              # the JSON form (croupier.segments.to_json)
    Column("text", Text, nullable=False),                    # the canonical text (croupier.segments.to_text)
    Column("created_by", String(128), nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    Column("updated_by", String(128), nullable=False),
    Column("updated_at_us", BigInteger, nullable=False),
    Column("archived", Boolean, nullable=False),
    Index("ix_segments_name", "name"),
)

segment_versions = Table(
    "segment_versions", metadata,
    Column("segment_id", BigInteger, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("definition", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("archived", Boolean, nullable=False),
    Column("edited_by", String(128), nullable=False),
    Column("edited_at_us", BigInteger, nullable=False),
)

# --- Journeys (issue 10): lifecycle journey definitions at rest (croupier.journeys) ----------
# One row per journey (its key never changes); every saved definition is a row of
# journey_versions. `status` is draft (never published), live, paused or archived;
# `live_version` is the version the engine runs while live (and the one paused, kept).
journeys = Table(
    "journeys", metadata,
    Column("journey_id", SeqType, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False),
    Column("name", String(200), nullable=False),             # of the latest version
    Column("purpose", String(16), nullable=False),           # of the latest version
    Column("group", String(64), nullable=False),             # of the latest version
    Column("priority", Integer, nullable=False),             # of the latest version
    Column("status", String(16), nullable=False),            # draft, live, paused, archived
    Column("latest_version", Integer, nullable=False),
    Column("live_version", Integer, nullable=True),
    Column("created_by", String(128), nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    Column("updated_by", String(128), nullable=False),
    Column("updated_at_us", BigInteger, nullable=False),
    UniqueConstraint("key", name="uq_journeys_key"),
)

journey_versions = Table(
    "journey_versions", metadata,
    Column("journey_id", BigInteger, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("definition", Text, nullable=False),              # the JSON form (croupier.journeys.to_json)
    Column("created_by", String(128), nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    Column("note", Text, nullable=False),                    # what changed, in the editor's words
)


# --- Staff task queue (issue 10): work for a person (croupier.tasks) -------------------------
# A journey's task step or a staff member puts a task in a queue; staff take it and close it
# with an outcome. `origin_id` is deterministic from the cause, unique: creating the same
# task again (a replay, a retry) finds the one there. Every change is also in the audit log.
staff_tasks = Table(
    "staff_tasks", metadata,
    Column("task_id", SeqType, primary_key=True, autoincrement=True),
    Column("origin_id", String(128), nullable=False, unique=True),
    Column("queue", String(32), nullable=False),             # croupier.journeys.QUEUES
    Column("player_id", String(128), nullable=False),
    Column("title", String(200), nullable=False),
    Column("detail", Text, nullable=False),
    Column("priority", SmallInteger, nullable=False),         # rank in croupier.tasks.PRIORITIES
    Column("due_at_us", BigInteger),
    Column("status", String(16), nullable=False),             # open, taken, done, cancelled
    Column("source_kind", String(16), nullable=False),        # journey, manual
    Column("source_id", String(256), nullable=False),         # "key/vN/step", or the staff member
    Column("created_by", String(128), nullable=False),        # the audit's actor for task.created
    Column("created_at_us", BigInteger, nullable=False),
    Column("taken_by", String(128)),
    Column("taken_at_us", BigInteger),
    Column("completed_by", String(128)),                      # who closed it (done or cancelled)
    Column("completed_at_us", BigInteger),
    Column("outcome", String(32)),                            # done: one of the queue's outcomes
    Column("note", Text),                                     # done: the note; cancelled: the reason
    Column("updated_at_us", BigInteger, nullable=False),
    Index("ix_staff_tasks_status_due", "status", "due_at_us"),
    Index("ix_staff_tasks_player", "player_id", "created_at_us"),
    Index("ix_staff_tasks_taken_by", "taken_by", "status"),
)
