"""The staff task queue's rules, pure: the queues, the outcomes each queue records, the
priorities, and who may move a task from one status to the next.

A task is `open` (waiting in its queue), `taken` (one staff member works it), `done` (closed
with an outcome) or `cancelled` (closed without one, with a reason). Only these moves exist:

    open ──take──► taken ──complete──► done
     ▲  ◄─release─┘  │
     └──cancel───────┴──cancel──► cancelled

Taking needs `tasks.work` and, for the queues that hold protected work, the permission that
work needs (`rg_officer`: `rg.review`; `aml_analyst`: `aml.view`, so nobody else learns of
an AML task: no tipping off). Completing or releasing a task someone else took, and
cancelling one, needs `tasks.supervise` (a team lead); the taker completes and releases their
own. The storage and the audit are `croupier.tasks.service`'s."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from croupier.journeys.definition import QUEUES
from croupier.privacy import can

STATUSES = ("open", "taken", "done", "cancelled")
ACTIVE = ("open", "taken")                      # still in a queue: what staff work
PRIORITIES = ("low", "normal", "high", "urgent")  # stored as their rank, 0 to 3
DEFAULT_PRIORITY = "normal"
SOURCE_KINDS = ("journey", "manual")

# What a closed task records happened, per queue: the words a team lead reports on.
OUTCOMES: dict[str, tuple[str, ...]] = {
    "vip_host": ("contacted", "no_answer", "offer_made", "not_needed", "escalated"),
    "rg_officer": ("contacted", "no_answer", "limits_agreed", "not_needed", "escalated"),
    "aml_analyst": ("documents_requested", "cleared", "not_needed", "escalated"),
    "support": ("resolved", "contacted", "no_answer", "not_needed", "escalated"),
    "retention": ("contacted", "no_answer", "offer_made", "not_needed", "escalated"),
}
assert set(OUTCOMES) == set(QUEUES), "every journey queue has its outcomes"

# The permission a queue's work needs beyond tasks.work (the others need none).
QUEUE_PERMISSIONS = {"rg_officer": "rg.review", "aml_analyst": "aml.view"}
WORK = "tasks.work"
SUPERVISE = "tasks.supervise"

MAX_TITLE = 200
MAX_DETAIL = 4_000
MAX_NOTE = 2_000
MAX_ORIGIN = 128


class TaskRefused(ValueError):
    """A move the rules do not allow: `status` is the HTTP answer (409 a conflict with the
    task's state, 403 a permission, 422 a bad value), `field`/`value` the part at fault."""

    def __init__(self, message: str, *, status: int = 409, field: str | None = None,
                 value: Any = None) -> None:  # noqa: ANN401
        super().__init__(message)
        self.message, self.status, self.field, self.value = message, status, field, value


@dataclass(frozen=True, slots=True)
class Source:
    """Where a task came from: a journey's step (`id` = "key/vVERSION/step") or a staff
    member by hand (`id` = their username)."""

    kind: str
    id: str

    @classmethod
    def journey(cls, key: str, version: int, step_id: str) -> Source:
        return cls("journey", f"{key}/v{version}/{step_id}")

    @classmethod
    def manual(cls, username: str) -> Source:
        return cls("manual", username)


def origin_id(*parts: object) -> str:
    """A deterministic task origin from its cause's parts (a journey's key, version, step id,
    the player and the entry): the same cause always names the same task, so creating it
    again (a replay, a retry) finds the one already made."""
    return "tsk_" + hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]


def priority_rank(priority: str) -> int:
    if priority not in PRIORITIES:
        raise TaskRefused(f"unknown priority {priority!r}: use one of {', '.join(PRIORITIES)}", status=422,
                          field="priority", value=priority)
    return PRIORITIES.index(priority)


def check_new(*, origin: str, queue: str, player_id: str, title: str, detail: str, priority: str,
              source: Source) -> None:
    """Every field of a new task in bounds, or TaskRefused (422) naming the first one that is not."""
    def bad(field: str, message: str, value: Any) -> TaskRefused:  # noqa: ANN401
        return TaskRefused(message, status=422, field=field, value=value)

    if not origin or len(origin) > MAX_ORIGIN:
        raise bad("origin_id", f"an origin id is 1 to {MAX_ORIGIN} characters", origin)
    if queue not in QUEUES:
        raise bad("queue", f"unknown queue {queue!r}: use one of {', '.join(QUEUES)}", queue)
    if not player_id or len(player_id) > 128:
        raise bad("player_id", "a player id is 1 to 128 characters", player_id)
    if not title.strip() or len(title) > MAX_TITLE:
        raise bad("title", f"a title is 1 to {MAX_TITLE} characters and not blank", title)
    if len(detail) > MAX_DETAIL:
        raise bad("detail", f"the detail may have at most {MAX_DETAIL:,} characters; this one has "
                            f"{len(detail):,}", None)
    priority_rank(priority)
    if source.kind not in SOURCE_KINDS:
        raise bad("source", f"unknown source kind {source.kind!r}: use one of {', '.join(SOURCE_KINDS)}",
                  source.kind)
    if not source.id or len(source.id) > 256:
        raise bad("source", "a source id is 1 to 256 characters", source.id)


def may_see(queue: str, role: str | None) -> bool:
    """Whether a role sees a queue's tasks at all: an AML task only with `aml.view`. None: an
    integration naming nobody, which reads everything (as it reads AML status)."""
    return role is None or queue != "aml_analyst" or can(role, "aml.view")


def _may_work(queue: str, role: str) -> str | None:
    """The permission the role lacks to work this queue, or None."""
    if not can(role, WORK):
        return WORK
    needed = QUEUE_PERMISSIONS.get(queue)
    return needed if needed and not can(role, needed) else None


def plan(action: str, *, status: str, queue: str, taken_by: str | None, actor: str, role: str,
         outcome: str | None = None) -> str:
    """The status after `action` ("take", "release", "complete", "cancel") by `actor` (with
    `role`) on a task in `status`, or TaskRefused saying why not."""
    lacking = _may_work(queue, role)
    if lacking:
        raise TaskRefused(f"{actor} ({role}) cannot work {queue} tasks: the role lacks {lacking}", status=403)
    supervisor = can(role, SUPERVISE)
    if status in ("done", "cancelled"):
        raise TaskRefused(f"the task is {status}: it is closed")
    if action == "take":
        if status == "taken":
            raise TaskRefused(f"the task is already taken by {taken_by}" if taken_by != actor
                              else "you have already taken this task")
        return "taken"
    if action in ("release", "complete"):
        if status != "taken":
            raise TaskRefused(f"take the task before you {action} it: nobody has taken it")
        if taken_by != actor and not supervisor:
            raise TaskRefused(f"the task is {taken_by}'s: only its taker may {action} it, or a lead with "
                              f"{SUPERVISE}", status=403)
        if action == "release":
            return "open"
        allowed = OUTCOMES[queue]
        if outcome not in allowed:
            raise TaskRefused(f"unknown outcome {outcome!r} for a {queue} task: use one of {', '.join(allowed)}",
                              status=422, field="outcome", value=outcome)
        return "done"
    if action == "cancel":
        if not supervisor and taken_by != actor:
            raise TaskRefused(f"cancelling a task needs {SUPERVISE} (a lead), unless you have taken it yourself",
                              status=403)
        return "cancelled"
    raise ValueError(f"unknown action {action!r}")
