"""Facts `apply` returns: what an event changed that detectors may react to."""

REGISTERED = "registered"
FIRST_DEPOSIT = "first_deposit"
DEPOSIT = "deposit"
DEPOSIT_DECLINED = "deposit_declined"
WITHDRAWAL_CANCELLED = "withdrawal_cancelled"
REACTIVATED = "reactivated"
REBUILD = "rebuild"
SKIPPED = "skipped"   # the event was rolled back before it arrived
ROLLBACK = "rollback"  # a rollback to carry out: the engine finds the event and undoes it
EXCLUDED = "excluded"  # an exclusion started: pending promotions must not go out
# Facts the engine greets with a promotional lifecycle message. While the national register
# check is pending or unavailable the gate holds such messages back and the fold keeps the
# facts; the register's clear answer releases them as RELEASED + fact (e.g. "released:registered").
LIFECYCLE = frozenset({REGISTERED, FIRST_DEPOSIT, REACTIVATED})
RELEASED = "released:"
