"""An RG officer's review of a player: closes open RG cases and may lift a hard stop.
Recorded as a `croupier.rg_reviewed` fact in the log (so replay folds it) and in the audit
log with who decided what, in one transaction; the cases' assignments close with it."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone

from sqlalchemy import Connection

from croupier.events import Event, RgReviewed
from croupier.ingest import append_facts
from croupier.protection.rg_cases import close_cases
from croupier.store.audit import Entry, append

OUTCOMES = ("no_concern", "contacted_player", "limits_agreed", "exclusion_agreed", "hard_stop_kept",
            "referred_to_support", "harm_confirmed")
# Outcomes in which the officer confirms gambling harm: labels for the operator's RG model.
HARM_OUTCOMES = frozenset({"harm_confirmed", "exclusion_agreed"})


class ReviewRefused(ValueError):
    """The review cannot be recorded as asked (unknown player, unknown outcome)."""


def record_review(conn: Connection, player_id: str, brand: str, *, actor: str, outcome: str, note: str = "",
                  lift_hard_stop: bool = False, now_us: int | None = None,
                  cases: Sequence[str] = (), attribution: Mapping[str, str] | None = None,
                  ) -> list[tuple[int, Event, int]]:
    """Write the review fact and its audit entry (naming the open `cases` it closes); returns
    the stored fact for Engine.submit. `actor` is the authenticated party; `attribution`
    (`on_behalf_of`) goes beside it in the audit."""
    if outcome not in OUTCOMES:
        raise ReviewRefused(f"outcome must be one of {', '.join(OUTCOMES)}; got {outcome!r}")
    now_us = now_us or time.time_ns() // 1000
    digest = hashlib.sha256(f"{player_id}|{actor}|{now_us}".encode()).hexdigest()[:24]
    fact = RgReviewed(event_id=f"rg-review-{digest}", player_id=player_id, brand=brand,
                      occurred_at=datetime.fromtimestamp(now_us / 1_000_000, tz=timezone.utc),
                      actor=actor, reason=note or None, outcome=outcome, lift_hard_stop=lift_hard_stop)
    stored = append_facts(conn, [fact], now_us)
    append(conn, [Entry(now_us, actor=actor, kind="protection.rg_reviewed", player_id=player_id,
                        subject=fact.event_id, body={"outcome": outcome, "note": note,
                                                     "lift_hard_stop": lift_hard_stop, "cases": list(cases),
                                                     **(attribution or {})})])
    close_cases(conn, player_id, actor, now_us)
    return stored
