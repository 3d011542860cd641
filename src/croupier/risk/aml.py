"""A player's AML status: what compliance has decided about the account while money
laundering risk is looked into.

| status | meaning | the gate suppresses | the ledger refuses |
| --- | --- | --- | --- |
| clear | nothing open (the default) | - | - |
| review | under AML review (e.g. source of funds asked for) | promotional messages, bonuses, rewards | bonus credits |
| restricted | risk confirmed, the relationship continues under conditions | every promotion | bonus credits |
| blocked | frozen (e.g. a sanctions match, a report awaiting consent) | every promotion | deposits, bets, bonus credits, withdrawal requests |

Transactional and safer-play messages always pass. A change is a `croupier.aml_status_changed`
fact in the log (the engine folds it into the protection state; replay rebuilds it) and an
audit entry with who, why and the status before, written in one transaction. Staff set it
over the API and the back office; monitoring and screening will call `set_aml_status` too.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import Connection

from croupier.events import AmlStatusChanged
from croupier.ingest import append_facts
from croupier.store.audit import Entry, append

AML_STATUSES = ("clear", "review", "restricted", "blocked")
SOURCES = ("staff", "monitoring", "screening")
MAX_REASON = 2_000


class AmlRefused(ValueError):
    """The change cannot be recorded as asked; `field` names what to fix."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class AmlOutcome:
    """`changed` is False when the player already had the status (nothing was written) or
    the same `request_id` was recorded before."""

    player_id: str
    status: str
    previous: str
    changed: bool
    event_id: str | None = None
    stored: list = field(default_factory=list)     # (seq, fact, received_us) for Engine.submit


def aml_fact(player_id: str, brand: str, status: str, *, actor: str, reason: str, at_us: int,
             source: str = "staff", request_id: str | None = None, case_id: str | None = None) -> AmlStatusChanged:
    """The fact for one change (pure). Its id derives from the request id when there is one, so
    a retried request cannot record it twice; else from who set what when."""
    if status not in AML_STATUSES:
        raise AmlRefused(f"status must be one of {', '.join(AML_STATUSES)}; got {status!r}", "status")
    if source not in SOURCES:
        raise AmlRefused(f"source must be one of {', '.join(SOURCES)}; got {source!r}", "source")
    reason = (reason or "").strip()
    if not reason:
        raise AmlRefused("an AML status change needs a reason (it is audited and shown to compliance staff)",
                         "reason")
    if len(reason) > MAX_REASON:
        raise AmlRefused(f"reason is {len(reason)} characters; at most {MAX_REASON}", "reason")
    key = f"{player_id}|request|{request_id}" if request_id else f"{player_id}|{status}|{actor}|{at_us}"
    return AmlStatusChanged(
        event_id="aml:" + hashlib.sha256(key.encode()).hexdigest()[:32], player_id=player_id, brand=brand,
        occurred_at=datetime.fromtimestamp(at_us / 1_000_000, tz=timezone.utc), actor=actor, reason=reason,
        status=status, source=source, case_id=case_id)


def set_aml_status(conn: Connection, player_id: str, brand: str, *, status: str, previous: str, actor: str,
                   reason: str, source: str = "staff", request_id: str | None = None,
                   case_id: str | None = None, now_us: int | None = None,
                   attribution: Mapping[str, str] | None = None) -> AmlOutcome:
    """Record a change from `previous` (the status the engine holds) to `status`, inside the
    caller's transaction. Setting the status the player already has writes nothing. `actor`
    is the authenticated party; `attribution` (`on_behalf_of`) goes beside it in the audit."""
    now_us = now_us or time.time_ns() // 1000
    fact = aml_fact(player_id, brand, status, actor=actor, reason=reason, at_us=now_us, source=source,
                    request_id=request_id, case_id=case_id)
    if status == previous:
        return AmlOutcome(player_id, status, previous, changed=False)
    stored = append_facts(conn, [fact], now_us)
    if not stored:   # the same request_id was recorded before
        return AmlOutcome(player_id, status, previous, changed=False, event_id=fact.event_id)
    append(conn, [Entry(now_us, actor=actor, kind="aml.status_changed", player_id=player_id, subject=fact.event_id,
                        body={"status": status, "previous": previous, "source": source, "reason": fact.reason,
                              "case_id": case_id, **(attribution or {})})])
    return AmlOutcome(player_id, status, previous, changed=True, event_id=fact.event_id, stored=stored)
