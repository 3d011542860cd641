"""Staff correct the matcher: link two accounts it missed, or unlink an account it linked
wrongly. Each decision is kept (`person_decisions`) so the matcher respects it from then on
(a separated pair is never joined again, by any identifier), written to the log as
`croupier.person_linked` facts (so replay and the engine see the new links), audited with
who, when and why, and followed by the exclusions at once: in the same transaction, every
exclusion that now covers an account starts there and one that no longer does ends there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from croupier.events import Event
from croupier.players import micros
from croupier.protection import exclusions as ex
from croupier.protection.persons import (
    accounts_of_person, decision_rows, link_account, load_identity, pair, person_of, person_view,
)
from croupier.store import audit as audit_store
from croupier.store.schema import person_decisions
from croupier.store.upsert import upsert

MIN_REASON = 3


class PersonRefused(ValueError):
    """A link or unlink that cannot be made as asked; names the field and value at fault."""

    def __init__(self, message: str, *, field: str, value: Any, status: int = 409):  # noqa: ANN401
        super().__init__(message)
        self.message, self.field, self.value, self.status = message, field, value, status

    def as_dict(self) -> dict[str, Any]:
        return {"error": self.message, "field": self.field, "value": self.value}


@dataclass(slots=True)
class PersonChange:
    """The person as it now stands and the facts stored for the engine."""

    person: dict[str, Any]
    stored: list[tuple[int, Event, int]] = field(default_factory=list)


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if len(text) < MIN_REASON:
        raise PersonRefused(f"a reason of at least {MIN_REASON} characters is required: staff decisions about "
                            "who is the same person are audited", field="reason", value=reason, status=422)
    return text


def _known(conn: Connection, player_id: str, field_name: str) -> None:
    if load_identity(conn, player_id) is None:
        raise PersonRefused(f"player {player_id!r} is unknown here (no registration processed)",
                            field=field_name, value=player_id, status=404)


def _decide(conn: Connection, pairs: Sequence[tuple[str, str]], decision: str, actor: str, reason: str,
            now_us: int) -> None:
    upsert(conn, person_decisions, [{"player_a": a, "player_b": b, "decision": decision, "actor": actor,
                                     "reason": reason, "decided_at_us": now_us} for a, b in pairs],
           keys=("player_a", "player_b"))


def link_accounts(conn: Connection, player_id: str, other_id: str, now: datetime, *, actor: str,
                  reason: str, attribution: Mapping[str, str] | None = None) -> PersonChange:
    """Make two accounts one person although no identifier matched (evidence "manual").
    `actor` is the authenticated party; `attribution` (`on_behalf_of`) goes beside it in the audit."""
    why = _reason(reason)
    if player_id == other_id:
        raise PersonRefused("an account cannot be linked with itself", field="other_player_id",
                            value=other_id, status=422)
    _known(conn, player_id, "player_id")
    _known(conn, other_id, "other_player_id")
    mine, theirs = accounts_of_person(conn, player_id), accounts_of_person(conn, other_id)
    if other_id in mine:
        raise PersonRefused(f"{player_id} and {other_id} are already one person ({person_of(conn, player_id)})",
                            field="other_player_id", value=other_id)
    wanted = pair(player_id, other_id)
    for row in decision_rows(conn, [*mine, *theirs]):
        spans = {row.player_a, row.player_b}
        if row.decision == "separate" and (row.player_a, row.player_b) != wanted \
                and spans & set(mine) and spans & set(theirs):
            raise PersonRefused(
                f"{row.actor} decided that {row.player_a} and {row.player_b} are not the same person "
                f"({row.reason}); linking {player_id} with {other_id} would join them. Link that pair "
                "first if that decision was wrong", field="other_player_id", value=other_id)
    involved = sorted({*mine, *theirs})
    before = ex.reach(conn, involved, now)
    now_us = micros(now)
    _decide(conn, [wanted], "link", actor, why, now_us)
    facts, _, related = link_account(conn, player_id, now, actor=actor)
    stored = ex.append_facts(conn, facts) if facts else []
    stored += ex.restate_reach(conn, sorted(related | set(involved)), before, now, actor)
    person = person_view(conn, player_id)
    audit_store.append(conn, [audit_store.Entry(
        at_us=now_us, actor=actor, kind="protection.person_linked", player_id=player_id, subject=person["person_id"],
        body={"player_id": player_id, "other_player_id": other_id, "reason": why, "person_id": person["person_id"],
              "accounts": [a["player_id"] for a in person["accounts"]], "manual": True, **(attribution or {})})])
    return PersonChange(person, stored)


def unlink_account(conn: Connection, player_id: str, now: datetime, *, actor: str, reason: str,
                   attribution: Mapping[str, str] | None = None) -> PersonChange:
    """Take an account out of its person and record "do not link" with each of the person's
    other accounts, so the matcher never joins them again and exclusions stop crossing over."""
    why = _reason(reason)
    _known(conn, player_id, "player_id")
    person_id = person_of(conn, player_id)
    if person_id is None:
        raise PersonRefused(f"{player_id} is not linked to a person", field="player_id", value=player_id)
    others = [p for p in accounts_of_person(conn, player_id) if p != player_id]
    involved = sorted({player_id, *others})
    before = ex.reach(conn, involved, now)
    now_us = micros(now)
    _decide(conn, [pair(player_id, o) for o in others], "separate", actor, why, now_us)
    facts, _, related = link_account(conn, player_id, now, actor=actor)
    stored = ex.append_facts(conn, facts) if facts else []
    stored += ex.restate_reach(conn, sorted(related | set(involved)), before, now, actor)
    audit_store.append(conn, [audit_store.Entry(
        at_us=now_us, actor=actor, kind="protection.person_unlinked", player_id=player_id, subject=person_id,
        body={"player_id": player_id, "person_id": person_id, "separated_from": others, "reason": why,
              "manual": True, **(attribution or {})})])
    return PersonChange(person_view(conn, player_id), stored)


__all__ = ["PersonChange", "PersonRefused", "link_accounts", "unlink_account"]
