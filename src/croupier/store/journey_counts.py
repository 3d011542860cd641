"""Per-step journey counts and a player's journeys, read from the audit log.

Counts: the journey decisions and the gate's verdicts are folded (`croupier.journeys.counts`)
from the audit log in its order, and the fold is kept between requests: each request reads
only the records appended since the last (the `(kind, seq)` index), so the cost of a request
follows what happened since, not the log's length; the first request of a process reads the
journey records once. Its memory holds a few integers per journey step and reason, and one
small entry per player waiting in a journey or inside a goal window. No player state is
decoded: who waits where follows from the entries' `waiting`, `resumed` and `exited` records.

A player's journeys: their current runs come from their state (`PlayerState.journeys`),
what happened from their own audit records (the `(player_id, seq)` index)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, func, select

from croupier.compliance import explain
from croupier.journeys import from_json
from croupier.journeys.counts import CONTACT, KINDS, RECORD, Tally, journey_view
from croupier.store import journeys as journey_store
from croupier.store.journeys import StoredJourney
from croupier.store.schema import audit_log

BATCH = 5_000
PLAYER_RECORDS = 200       # the newest journey records and verdicts a player's page shows


class JourneyCounts:
    """The fold of one database's audit log, brought up to date on every read."""

    def __init__(self) -> None:
        self._tally = Tally()
        self._lock = threading.Lock()

    def _catch_up(self, conn: Connection) -> Tally:
        newest = conn.execute(select(func.max(audit_log.c.seq))).scalar() or 0
        if newest < self._tally.seq:       # the log was emptied (a test, a restore): start over
            self._tally = Tally()
        while True:
            rows = conn.execute(select(audit_log.c.seq, audit_log.c.kind, audit_log.c.body, audit_log.c.at_us)
                                .where(audit_log.c.kind.in_(KINDS), audit_log.c.seq > self._tally.seq)
                                .order_by(audit_log.c.seq).limit(BATCH)).all()
            if not rows:
                return self._tally
            self._tally.fold_all(_parsed(rows))

    def journey(self, conn: Connection, stored: StoredJourney, version: int | None = None) -> dict[str, Any]:
        """One journey's counts (of `version`, or every version added up), its steps in the
        order of the version asked for (else the live one, else the latest)."""
        shown = version or stored.live_version or stored.latest_version
        found = journey_store.version(conn, stored.journey_id, shown)
        steps = [(s.id, str(type(s).__struct_config__.tag)) for s in from_json(found.definition).steps] \
            if found is not None else []
        with self._lock:
            tally = self._catch_up(conn)
            merged = tally.merged(stored.key, version)
            versions = tally.versions(stored.key)
            as_of = tally.seq
        return {"journey_id": stored.journey_id, "key": stored.key, "name": stored.name, "version": version,
                "steps_of_version": shown if found is not None else None, "versions_counted": versions,
                "as_of_audit_seq": as_of, **journey_view(merged, steps)}


def _parsed(rows: Any) -> Iterator[tuple[int, str, dict[str, Any], int]]:
    for seq, kind, body, at_us in rows:
        if kind != RECORD and '"journey"' not in body:     # a verdict on something no journey proposed
            yield seq, kind, {}, at_us
            continue
        yield seq, kind, json.loads(body), at_us


_shared: dict[str, JourneyCounts] = {}
_shared_lock = threading.Lock()


def counts_of(runtime: Any) -> JourneyCounts:  # noqa: ANN401 - api.runtime.Runtime
    """The runtime's fold (one per database, made on first use)."""
    found = getattr(runtime, "journey_counts", None)
    if found is None:
        with _shared_lock:
            found = getattr(runtime, "journey_counts", None)
            if found is None:
                found = runtime.journey_counts = JourneyCounts()
    return found


# -- a player's journeys ---------------------------------------------------------------------

def player_journeys(conn: Connection, state: Any, player_id: str,  # noqa: ANN401 - PlayerState or None
                    limit: int = PLAYER_RECORDS) -> dict[str, Any]:
    """The player's journeys: where they are now (`runs`), what is kept of every journey they
    entered (`journeys`: entries, held out, goals reached), and what happened, newest first
    (`happened`: every journey decision with its reason in words, and the gate's verdict on
    every message or bonus a journey step proposed)."""
    runs: list[dict[str, Any]] = []
    kept: list[dict[str, Any]] = []
    if state is not None:
        js = state.journeys
        for key, r in sorted(js.runs.items()):
            runs.append({"journey": key, "version": r.version, "entry_id": r.entry_id, "step": r.step,
                         "entered_us": r.entered_us, "until_us": r.until_us or None, "awaits": r.event or None,
                         "variants": dict(r.variants)})
        for key, h in sorted(js.history.items()):
            kept.append({"journey": key, "entries": h.entries, "last_version": h.last_version,
                         "last_entry_id": h.last_entry_id, "last_entered_us": h.last_entered_us,
                         "last_exit_us": h.last_exit_us, "held_out": h.holdout,
                         "goal_window_until_us": h.window_until_us or None,
                         "converted": [{"goal": g, "at_us": at} for g, at in h.converted],
                         "in_journey": key in js.runs})
    rows = conn.execute(select(audit_log.c.seq, audit_log.c.at_us, audit_log.c.kind, audit_log.c.body)
                        .where(audit_log.c.player_id == player_id, audit_log.c.kind.in_(KINDS))
                        .order_by(audit_log.c.seq.desc()).limit(limit * 5)).all()
    happened: list[tuple[tuple[int, int], dict[str, Any]]] = []
    step_of_cause: dict[str, int] = {}     # a step's cause -> its record's seq: its verdict shows right after
    for seq, at_us, kind, text in rows:
        if kind != RECORD and '"journey"' not in text:
            continue
        body = json.loads(text)
        if kind == RECORD:
            if body.get("kind") == "ignored":
                continue
            cause = (body.get("detail") or {}).get("cause_id")
            if cause:
                step_of_cause[cause] = seq
            happened.append(((seq, 0), {
                "seq": seq, "at_us": at_us, "journey": body.get("journey"), "version": body.get("version"),
                "step": body.get("step") or None, "what": body.get("kind"), "reason": body.get("reason"),
                "words": body.get("words"), "entry_id": body.get("entry_id") or None}))
        else:   # the gate's decision, or the contact arbiter's wait or drop
            params = body.get("params") or {}
            if not params.get("journey"):
                continue
            reasons = [str(c) for c in body.get("reasons") or ()]
            what = ("allowed" if body.get("allowed") else "suppressed" if kind != CONTACT
                    else "held" if body.get("outcome") == "wait" else "dropped")
            happened.append(((seq, 0), {
                "seq": seq, "at_us": at_us, "journey": params["journey"], "version": params.get("version"),
                "step": params.get("step"), "what": what,
                "proposal": {"kind": body.get("kind"), "name": body.get("name"), "channel": body.get("channel"),
                             "action_id": body.get("action_id"), "cause_event_id": body.get("cause_event_id")},
                "reasons": [explain(c).as_dict() for c in reasons],
                "words": "; ".join(explain(c).text for c in reasons),
                "entry_id": params.get("entry_id")}))
        if len(happened) >= limit:
            break
    # The gate decides before the batch's journey records are written: show each verdict after
    # the step that proposed it, newest first.
    ordered = sorted(((step_of_cause.get(row["proposal"]["cause_event_id"], order[0]), 1) if "proposal" in row
                      else order, row) for order, row in happened)
    rows_out = [row for _, row in sorted(ordered, key=lambda pair: pair[0], reverse=True)]
    keys = {r["journey"] for r in runs} | {k["journey"] for k in kept} | {h["journey"] for h in rows_out}
    stored = {key: found for key in sorted(k for k in keys if k)
              if (found := journey_store.by_key(conn, key)) is not None}
    for row in (*runs, *kept, *rows_out):
        found = stored.get(row["journey"])
        row["journey_id"] = found.journey_id if found is not None else None
        row["journey_name"] = found.name if found is not None else None
    return {"player_id": player_id, "runs": runs, "journeys": kept, "happened": rows_out}
