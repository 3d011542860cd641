"""Reality checks and session limits: timers over open sessions that raise `RealityCheck`
facts at the jurisdiction's (or the player's chosen) interval and end a session at its limit.

Timers are events too: each check is a fact in the log with a deterministic id (session and
elapsed interval), so a tick that runs twice, or a retry after a crash, never doubles one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Connection, delete, select, tuple_

from croupier.compliance.rules import JurisdictionRules, rules_for
from croupier.events import Event, RealityCheck
from croupier.ingest.facts import append_facts
from croupier.players import PlayerState, micros
from croupier.players.protection_state import limits_in_force
from croupier.store.schema import reality_check_settings, session_timers
from croupier.store.upsert import insert_ignore, upsert

MINUTE_US = 60_000_000
ABANDONED_AFTER_US = 48 * 3_600 * 1_000_000   # a session never ended by its PAM stops being timed
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class Timer:
    player_id: str
    session_id: str
    brand: str
    started_us: int
    checks_done: int = 0


def interval_for(rules: JurisdictionRules, chosen_minutes: int | None) -> int | None:
    """The player's own interval where the rules let them choose (or mandate none), else the
    jurisdiction's; None: no reality checks."""
    mandated = rules.reality_check.interval_minutes
    if chosen_minutes and (rules.reality_check.player_sets_interval or mandated is None):
        return chosen_minutes
    return mandated


def session_limit_for(rules: JurisdictionRules, state: PlayerState | None, now_us: int) -> int | None:
    """The shortest of the jurisdiction's session limit and the player's session-time limits in
    force (a session may not run longer than the player's own limit allows)."""
    candidates = [rules.reality_check.session_limit_minutes] if rules.reality_check.session_limit_minutes else []
    if state is not None:
        candidates += [v.minutes for v in limits_in_force(state.protection, now_us).values()
                       if v.kind == "session_time" and v.minutes]
    return min(candidates) if candidates else None


def _at(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _id(timer: Timer, label: str) -> str:
    return "rc_" + hashlib.sha256(f"{timer.player_id}|{timer.session_id}|{label}".encode()).hexdigest()[:40]


def due_reality_checks(timer: Timer, interval: int | None, limit: int | None, now_us: int) -> tuple[list[Event], int, bool]:
    """Pure: the facts due for one open session at `now_us` -> (facts, checks done, ended).
    Only the latest interval is raised when several passed unseen (one prompt, not a burst)."""
    elapsed = (now_us - timer.started_us) // MINUTE_US
    if limit is not None and elapsed >= limit:
        return [RealityCheck(event_id=_id(timer, "end"), player_id=timer.player_id, brand=timer.brand,
                             occurred_at=_at(timer.started_us + limit * MINUTE_US), session_id=timer.session_id,
                             elapsed_minutes=limit, session_ended=True, actor="engine",
                             reason=f"session limit of {limit} minutes reached")], timer.checks_done, True
    if not interval:
        return [], timer.checks_done, False
    n = elapsed // interval
    if n <= timer.checks_done:
        return [], timer.checks_done, False
    minutes = n * interval
    return [RealityCheck(event_id=_id(timer, str(minutes)), player_id=timer.player_id, brand=timer.brand,
                         occurred_at=_at(timer.started_us + minutes * MINUTE_US), session_id=timer.session_id,
                         elapsed_minutes=minutes, actor="engine",
                         reason=f"reality check every {interval} minutes")], n, False


# --- storage edge ------------------------------------------------------------------------------

def session_opened(conn: Connection, player_id: str, session_id: str, brand: str, started_us: int) -> None:
    insert_ignore(conn, session_timers, [{"player_id": player_id, "session_id": session_id, "brand": brand,
                                          "started_us": started_us, "checks_done": 0}])


def session_closed(conn: Connection, player_id: str, session_id: str) -> None:
    conn.execute(delete(session_timers).where(session_timers.c.player_id == player_id,
                                              session_timers.c.session_id == session_id))


def sessions_changed(conn: Connection, opened: list[dict], closed: set[tuple[str, str]]) -> None:
    """One batch's session starts and ends, in two statements (an end may arrive first)."""
    insert_ignore(conn, session_timers, opened)
    if closed:
        conn.execute(delete(session_timers).where(
            tuple_(session_timers.c.player_id, session_timers.c.session_id).in_(sorted(closed))))


def set_interval(conn: Connection, player_id: str, minutes: int, now: datetime) -> None:
    upsert(conn, reality_check_settings, [{"player_id": player_id, "interval_minutes": minutes,
                                           "set_at_us": micros(now)}], keys=("player_id",))


def chosen_interval(conn: Connection, player_id: str) -> int | None:
    return conn.execute(select(reality_check_settings.c.interval_minutes)
                        .where(reality_check_settings.c.player_id == player_id)).scalar()


def run_reality_checks(conn: Connection, now: datetime, state_of: Callable[[str], PlayerState | None],
                       rules: Callable[[str | None], JurisdictionRules] = rules_for) -> list[tuple[int, Event, int]]:
    """Append the reality checks and session ends due at `now` for every open session, in the
    caller's transaction; returns what was stored, for `Engine.submit` after commit."""
    now_us = micros(now)
    rows = conn.execute(select(session_timers).order_by(session_timers.c.started_us)).all()
    settings = dict(conn.execute(select(reality_check_settings.c.player_id,
                                        reality_check_settings.c.interval_minutes)).all())
    facts: list[Event] = []
    for row in rows:
        timer = Timer(row.player_id, row.session_id, row.brand, row.started_us, row.checks_done)
        if now_us - timer.started_us > ABANDONED_AFTER_US:
            session_closed(conn, timer.player_id, timer.session_id)
            continue
        state = state_of(timer.player_id)
        jrules = rules(state.profile.get("jurisdiction") if state is not None else None)
        new, done, ended = due_reality_checks(timer, interval_for(jrules, settings.get(timer.player_id)),
                                              session_limit_for(jrules, state, now_us), now_us)
        facts.extend(new)
        if ended:
            session_closed(conn, timer.player_id, timer.session_id)
        elif done != timer.checks_done:
            conn.execute(session_timers.update().where(session_timers.c.player_id == timer.player_id,
                                                       session_timers.c.session_id == timer.session_id)
                         .values(checks_done=done))
    return append_facts(conn, facts) if facts else []
