"""Inbound `limit.changed` events from an operator's PAM go through `set_limit` too.

Croupier's wallet/protection API is authoritative for limits. When a PAM reports a limit
change as an event, the event itself only counts a feature (`limit_changes`); this hook turns
it into the same `set_limit` call the API makes, so the cooling period, history, fact and
audit entry are identical. Idempotent: the request id derives from the event id, so a
redelivered event changes nothing. The caller (the ingest path, after the batch is stored)
hands the returned items to `Engine.submit`."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

from croupier.compliance.rates import NO_RATES, RateTable
from croupier.compliance.rules import rules_for
from croupier.events import Event, LimitChanged
from croupier.protection.limits import LimitError, LimitRequest, set_limit
from croupier.store import Database

log = logging.getLogger("croupier.limits")

# player_id -> (time zone, jurisdiction) as the engine knows them
ProfileOf = Callable[[str], tuple[str | None, str | None]]


def request_from_event(e: LimitChanged) -> LimitRequest:
    rid = f"pam:{e.event_id}"
    if len(rid) > 100:
        rid = "pam:#" + hashlib.sha256(e.event_id.encode()).hexdigest()[:40]
    return LimitRequest(kind=e.kind, period=e.period, amount=e.amount, currency=e.currency, minutes=e.minutes,
                        source=e.source, actor="player" if e.source == "player" else f"pam:{e.source}",
                        reason=f"reported by the operator's PAM in event {e.event_id}", request_id=rid)


def apply_inbound_limit_changes(db: Database, stored: Sequence[tuple[int, Event, int]],
                                profile_of: ProfileOf, rules_of: Callable[[str | None], Any] = rules_for,
                                rates: RateTable = NO_RATES,
                                ) -> tuple[list[tuple[int, Event, int]], list[dict[str, Any]]]:
    """Run each stored `limit.changed` through `set_limit` at the event's own time, under the
    jurisdiction rules `rules_of` gives (the approved table's, by default the presets) and the
    exchange `rates` in force (a ceiling caps a limit in any currency); returns the facts for
    the engine and the changes refused (e.g. removing a mandatory limit)."""
    items: list[tuple[int, Event, int]] = []
    refused: list[dict[str, Any]] = []
    for _, event, _ in stored:
        if not isinstance(event, LimitChanged):
            continue
        tz, jurisdiction = profile_of(event.player_id)
        try:
            with db.engine.begin() as conn:
                outcome = set_limit(conn, event.player_id, event.brand, request_from_event(event),
                                    now=event.occurred_at, rules=rules_of(jurisdiction), timezone_name=tz,
                                    rates=rates)
        except LimitError as exc:
            log.info("limit.changed %s not applied: %s", event.event_id, exc)
            refused.append({"event_id": event.event_id, "field": exc.field, "message": str(exc)})
            continue
        items.extend(outcome.items)
    return items, refused
