"""The staff task queue: work for a person (a VIP host calls a player, an RG officer checks
in) that a journey's task step or a staff member puts in a queue, which staff take and close
with an outcome.

The face exports the pure rules only (queues, outcomes, priorities, who may make which
move, deterministic origins), so pure modules can import them without a database. The
service that owns the SQL and the audit is imported from its own module:
`croupier.tasks.service` (create_task, take, release, complete, cancel)."""

from croupier.tasks.rules import (
    ACTIVE, DEFAULT_PRIORITY, OUTCOMES, PRIORITIES, QUEUE_PERMISSIONS, QUEUES, SOURCE_KINDS, STATUSES, SUPERVISE,
    WORK, Source, TaskRefused, check_new, may_see, origin_id, plan, priority_rank,
)

__all__ = ["ACTIVE", "DEFAULT_PRIORITY", "OUTCOMES", "PRIORITIES", "QUEUES", "QUEUE_PERMISSIONS", "SOURCE_KINDS",
           "STATUSES", "SUPERVISE", "WORK", "Source", "TaskRefused", "check_new", "may_see", "origin_id", "plan",
           "priority_rank"]
