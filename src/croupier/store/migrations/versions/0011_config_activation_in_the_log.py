"""configuration activations in the log: a database approved a version before approvals were
logged gets that version's `croupier.config_activated` fact, at the end of its log, so the
engine (which now follows the log) keeps deciding with it

Revision ID: 0011
Revises: 0006
"""
import json
import time
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    row = conn.execute(sa.text(
        "SELECT seq, version_id, parent_version, proposed_by, approved_by, approved_at_us, review_comment "
        "FROM config_versions WHERE status = 'approved' ORDER BY seq DESC LIMIT 1")).first()
    if row is None:
        return
    event_id = f"config:{row.seq}:{row.version_id}"  # as config_store.activation_fact names it
    if conn.execute(sa.text("SELECT 1 FROM events WHERE event_id = :id"), {"id": event_id}).first():
        return
    occurred = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=row.approved_at_us)
    payload = {"type": "croupier.config_activated", "event_id": event_id, "player_id": "croupier.config",
               "brand": "croupier", "occurred_at": occurred.isoformat(), "actor": row.approved_by,
               "reason": row.review_comment or None, "version": row.version_id,
               "previous_version": row.parent_version, "proposed_by": row.proposed_by}
    conn.execute(sa.text(
        "INSERT INTO events (event_id, player_id, brand, type, occurred_at_us, received_at_us, payload) "
        "VALUES (:event_id, 'croupier.config', 'croupier', 'croupier.config_activated', :at, :now, :payload)"),
        {"event_id": event_id, "at": row.approved_at_us, "now": time.time_ns() // 1000,
         "payload": json.dumps(payload)})


def downgrade() -> None:
    """The fact stays: the log is append-only."""
