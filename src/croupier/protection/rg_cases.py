"""RG cases and who works them.

A case is a player's "human" intervention (a call from an RG officer), open until a review
closes it (`protection.reviews`). Its id derives from the player and the intervention, so
the log alone names it. Who works it is staff workflow, not player state: it lives in
`rg_case_assignments` and every change is a staff action in the audit log
(`protection.rg_case_assigned`, subject the case id), which is also the case's history.

Who may do what (`plan_assignment`, pure): an officer with `rg.review` takes an unassigned
case or releases their own; a lead with `rg.assign` assigns, reassigns and unassigns any
case, to enabled staff whose role has `rg.review`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, select

from croupier.players.protection_state import InterventionView, ProtectionState
from croupier.privacy import can
from croupier.store import audit as audit_store
from croupier.store.accounts import find_user, list_users
from croupier.store.schema import audit_log, rg_case_assignments
from croupier.store.upsert import upsert

ASSIGNED = "protection.rg_case_assigned"
REVIEWED = "protection.rg_reviewed"


class AssignmentRefused(ValueError):
    """An assignment the rules do not allow; `status` is the HTTP answer, `field`/`value` the
    part of the request at fault."""

    def __init__(self, message: str, *, status: int = 409, field: str | None = None,
                 value: Any = None):  # noqa: ANN401
        super().__init__(message)
        self.message, self.status, self.field, self.value = message, status, field, value

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.message}
        if self.field:
            out |= {"field": self.field, "value": self.value}
        return out


def _iso(at_us: int | None) -> str | None:
    return None if at_us is None else datetime.fromtimestamp(at_us / 1_000_000, tz=timezone.utc).isoformat()


def case_id_for(player_id: str, case: InterventionView) -> str:
    return "rgc_" + hashlib.sha256(f"{player_id}|{case.cause_event_id}|{case.at_us}".encode()).hexdigest()[:24]


def human_cases(p: ProtectionState) -> list[InterventionView]:
    """The player's RG cases, newest first (open ones and reviewed ones still in the state)."""
    return [i for i in reversed(p.interventions) if i.kind == "human"]


def open_case(p: ProtectionState) -> InterventionView | None:
    """The player's open case: the rules keep at most one open at a time."""
    return next((i for i in human_cases(p) if i.status == "open"), None)


# --- the rules (pure) ---------------------------------------------------------------------------

def plan_assignment(current: str | None, assignee: str | None, *, actor: str, may_assign: bool,
                    assignee_role: str | None) -> str:
    """Which change this is ("take", "assign", "reassign" or "unassign"), or why not.
    `assignee_role` is the role of the enabled staff user named (None: no such user)."""
    if assignee == current:
        raise AssignmentRefused("the case is already unassigned" if assignee is None
                                else f"the case is already assigned to {assignee}", field="assignee", value=assignee)
    if assignee is not None:
        if assignee_role is None:
            raise AssignmentRefused(f"{assignee!r} is not an enabled staff user", status=422, field="assignee",
                                    value=assignee)
        if not can(assignee_role, "rg.review"):
            raise AssignmentRefused(f"{assignee} ({assignee_role}) cannot work RG cases: the role lacks rg.review",
                                    status=422, field="assignee", value=assignee)
    if assignee is None:
        action = "unassign"
    elif current is None:
        action = "take" if assignee == actor else "assign"
    else:
        action = "reassign"
    own = action == "take" or (action == "unassign" and current == actor)
    if not own and not may_assign:
        raise AssignmentRefused(
            f"{actor} may take an unassigned case or release their own; assigning a case to someone else, "
            "taking it from a colleague or releasing theirs needs rg.assign (an RG lead)", status=403)
    return action


# --- storage edge -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Assignment:
    case_id: str
    player_id: str
    assignee: str | None
    assigned_by: str
    assigned_at_us: int
    closed_at_us: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "player_id": self.player_id, "assignee": self.assignee,
                "assigned_by": self.assigned_by, "assigned_at": _iso(self.assigned_at_us),
                "closed_at": _iso(self.closed_at_us)}


def _assignment(row: Any) -> Assignment:  # noqa: ANN401
    return Assignment(row.case_id, row.player_id, row.assignee, row.assigned_by, row.assigned_at_us, row.closed_at_us)


def assignments_for(conn: Connection, case_ids: Iterable[str]) -> dict[str, Assignment]:
    ids = sorted(set(case_ids))
    if not ids:
        return {}
    rows = conn.execute(select(rg_case_assignments).where(rg_case_assignments.c.case_id.in_(ids))).all()
    return {r.case_id: _assignment(r) for r in rows}


def players_assigned_to(conn: Connection, assignee: str) -> list[str]:
    """Players whose open case is assigned to `assignee`."""
    t = rg_case_assignments
    return list(conn.execute(select(t.c.player_id).where(t.c.assignee == assignee, t.c.closed_at_us.is_(None))
                             .order_by(t.c.player_id)).scalars())


def officers(conn: Connection) -> list[str]:
    """Enabled staff whose role may work RG cases: who a case can be assigned to."""
    return [u.username for u in list_users(conn) if not u.disabled and can(u.role, "rg.review")]


def assign(conn: Connection, player_id: str, case: InterventionView, assignee: str | None, *, actor: str,
           actor_role: str, now_us: int, reason: str = "", principal: str | None = None) -> Assignment:
    """Take, assign, reassign or unassign a player's open case; audited in the same
    transaction. `AssignmentRefused` says why not. `actor` is the staff member (who "takes"
    a case); `principal`, when another party authenticated for them (an API key), is the
    audit's actor and `actor` is kept beside it as `on_behalf_of`."""
    if case.status != "open":
        raise AssignmentRefused("the case has been reviewed and is closed")
    case_id = case_id_for(player_id, case)
    known = assignments_for(conn, [case_id]).get(case_id)
    current = known.assignee if known is not None and known.closed_at_us is None else None
    user = find_user(conn, assignee) if assignee is not None else None
    action = plan_assignment(current, assignee, actor=actor, may_assign=can(actor_role, "rg.assign"),
                             assignee_role=user.role if user is not None and not user.disabled else None)
    row = {"case_id": case_id, "player_id": player_id, "assignee": assignee, "assigned_by": actor,
           "assigned_at_us": now_us, "opened_at_us": case.at_us, "closed_at_us": None, "closed_by": None}
    upsert(conn, rg_case_assignments, [row], keys=("case_id",))
    on_behalf = {"on_behalf_of": actor} if principal and principal != actor else {}
    audit_store.append(conn, [audit_store.Entry(
        at_us=now_us, actor=principal or actor, kind=ASSIGNED, player_id=player_id, subject=case_id,
        body={"case_id": case_id, "action": action, "assignee": assignee, "previous": current,
              "reason": reason.strip() or None, **on_behalf})])
    return Assignment(case_id, player_id, assignee, actor, now_us)


def close_cases(conn: Connection, player_id: str, actor: str, now_us: int) -> list[str]:
    """A review closed the player's open cases: their assignments end with it."""
    t = rg_case_assignments
    open_ids = list(conn.execute(select(t.c.case_id).where(t.c.player_id == player_id, t.c.closed_at_us.is_(None)))
                    .scalars())
    if open_ids:
        conn.execute(t.update().where(t.c.case_id.in_(open_ids)).values(closed_at_us=now_us, closed_by=actor))
    return open_ids


def summary(player_id: str, case: InterventionView, held: dict[str, Assignment]) -> dict[str, Any]:
    """A case's line in the queue: when it opened, at what level, on which markers, who works
    it since when."""
    case_id = case_id_for(player_id, case)
    work = held.get(case_id)
    return {"case_id": case_id, "status": case.status, "opened_at": _iso(case.at_us), "level": case.level,
            "markers": list(case.markers), "assignee": work.assignee if work is not None else None,
            "assigned_by": work.assigned_by if work is not None else None,
            "assigned_at": _iso(work.assigned_at_us) if work is not None else None}


def case_view(conn: Connection, player_id: str, case: InterventionView) -> dict[str, Any]:
    """One case as staff see it: status, who works it, and its history (opened, every change
    of assignee, the review that closed it) from the audit log."""
    case_id = case_id_for(player_id, case)
    return {"player_id": player_id, **summary(player_id, case, assignments_for(conn, [case_id])),
            "history": history(conn, player_id, case_id, case)}


def history(conn: Connection, player_id: str, case_id: str, case: InterventionView) -> list[dict[str, Any]]:
    opened = {"at": _iso(case.at_us), "actor": "engine", "action": "opened",
              "detail": f"{case.level} risk: {', '.join(case.markers) or 'the score alone, no marker (how much and how the player plays)'}"}
    rows = conn.execute(select(audit_log).where(audit_log.c.player_id == player_id,
                                                audit_log.c.kind.in_((ASSIGNED, REVIEWED)),
                                                audit_log.c.at_us >= case.at_us)
                        .order_by(audit_log.c.seq)).all()
    out = [opened]
    for r in rows:
        body = json.loads(r.body)
        on_behalf = {"on_behalf_of": body["on_behalf_of"]} if body.get("on_behalf_of") else {}
        if r.kind == ASSIGNED and r.subject == case_id:
            out.append({"at": _iso(r.at_us), "actor": r.actor, **on_behalf, "action": body["action"],
                        "assignee": body["assignee"], "previous": body["previous"], "detail": body.get("reason")})
        elif r.kind == REVIEWED and case_id in body.get("cases", ()):
            out.append({"at": _iso(r.at_us), "actor": r.actor, **on_behalf, "action": "reviewed",
                        "detail": f"{body['outcome']}: {body.get('note') or ''}".rstrip(": ")})
    return out


__all__ = ["ASSIGNED", "Assignment", "AssignmentRefused", "assign", "assignments_for", "case_id_for",
           "case_view", "close_cases", "human_cases", "officers", "open_case", "plan_assignment",
           "players_assigned_to", "summary"]
