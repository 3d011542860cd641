"""Where protection meets the engine: what runs after each processed batch and on each idle
tick of the engine loop.

After a batch (`after_batch`): `exclusion.requested` from a PAM starts an exclusion through
the same function as the API; `player.registered` / `player.updated` store the account's
hashed identity, link it to its person and screen it against the national register;
`session.started` / `ended` open and close reality-check timers. A cursor of its own
(`protection_cursor`) makes each event's side effects happen once, even when the engine
retries a batch or replays the log.

On a tick (`tick`, at most every TICK_SECONDS): automatic ends are recorded, reality checks
raised, due register lists refreshed (and every identity re-screened against a changed list),
accounts follow a market whose register was configured or whose opt-out was approved or
withdrawn, and registrations whose register could not be asked are screened again.

Every answer a register gives about an account (and "nothing to ask" where the rules name a
register nobody configured: `not_configured`, or `opted_out` where the approved rules opt the
market out) that changes the account's register status is also a `croupier.register_screened`
fact: the state folds it, so the gate holds promotions until a clear answer (or an opt-out),
and the welcome waits for it.

Facts appended here are handed to `engine.submit`, so states (and the gate) see them at once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, select

from croupier.compliance.rules import presets, rules_for, rules_in_force
from croupier.events import (
    Event, ExclusionRequested, LimitChanged, PlayerRegistered, PlayerUpdated, RegisterScreened, SessionEnded,
    SessionStarted,
)
from croupier.ingest.facts import append_facts
from croupier.players import micros
from croupier.protection import exclusions as ex
from croupier.protection.exclusions_rules import ExclusionRefused
from croupier.protection.limits_inbound import apply_inbound_limit_changes
from croupier.protection.persons import Identity, accounts_to_relink, link_account, load_identities, load_identity
from croupier.protection.reality import run_reality_checks, sessions_changed
from croupier.protection.registers import (
    FileRegister, Policy, RegisterHit, RegisterUnavailable, lookup, market_registers, refresh_due,
)
from croupier.store import audit as audit_store
from croupier.store.schema import events as events_table, player_identities, protection_cursor, session_timers
from croupier.store.upsert import upsert

log = logging.getLogger("croupier.protection")
TICK_SECONDS = 15.0
UNCONFIGURED = ("not_configured", "opted_out")
_TYPES = (PlayerRegistered, PlayerUpdated, ExclusionRequested, SessionStarted, SessionEnded, LimitChanged)
_IDENTITY_FIELDS = ("email", "phone", "first_name", "last_name", "birth_date")
Stored = list[tuple[int, Event, int]]
Account = tuple[str, str | None, datetime | None]   # to screen: player, jurisdiction, the registration's time


def policy_for(engine: Any) -> Policy:
    """The engine's protection policy (rules and registers); tests and embedders may set
    `engine.protection_policy` to their own."""
    policy = getattr(engine, "protection_policy", None)
    if policy is None:
        def rules(code: str | None) -> Any:  # the approved config version's table, else the presets
            return rules_for(code, getattr(engine.config, "jurisdictions", None) or None)

        policy = engine.protection_policy = Policy.from_config(engine.db, rules=rules)
    return policy


def _limits_reported(engine: Any, policy: Policy, reported: list[tuple[int, Event]]) -> Stored:
    """A PAM's `limit.changed` goes through the same `set_limit` as the API (cooling periods,
    history, fact, audit). It runs before this hook's cursor moves, in transactions of its
    own; a retry repeats nothing, as each request id derives from its event id."""
    if not reported:
        return []
    with engine.db.reader.connect() as conn:
        done = _cursor(conn, f"{engine.name}:hooks")
    todo = [(seq, e, 0) for seq, e in reported if seq > done]

    def profile_of(player_id: str) -> tuple[str | None, str | None]:
        state = engine.states.get(player_id)
        profile = state.profile if state is not None else {}
        return profile.get("timezone"), profile.get("jurisdiction")

    facts, refused = apply_inbound_limit_changes(engine.db, todo, profile_of, policy.rules,
                                                 rules_in_force(engine.config).rates)
    for problem in refused:
        log.info("limit.changed %s refused: %s", problem["event_id"], problem["message"])
    return facts


def _now() -> datetime:
    return datetime.now(timezone.utc)


# --- live register screening -----------------------------------------------------------------

@dataclass(slots=True)
class Screening:
    register: str | None = None
    hit: RegisterHit | None = None
    unavailable: str | None = None       # the problem, when the register could not be asked
    configured: bool = True


def screen(policy: Policy, identity: Identity, jurisdiction: str | None) -> Screening:
    """Ask the jurisdiction's register about an identity (no database connection is held
    while a remote register is asked)."""
    name, register = policy.register_for(jurisdiction)
    if name is None:
        return Screening(configured=False)
    if register is None:
        return Screening(name, configured=False)
    try:
        return Screening(name, register.check(identity))
    except RegisterUnavailable as exc:
        return Screening(name, unavailable=exc.problem)


def _screened_fact(player_id: str, brand: str, register: str, status: str, checked: datetime,
                   at: datetime, cause: str) -> RegisterScreened:
    digest = hashlib.sha256(f"{player_id}|{register}|{status}|{cause}".encode()).hexdigest()[:40]
    return RegisterScreened(event_id="rs_" + digest, player_id=player_id, brand=brand, occurred_at=at,
                            register=register, status=status, checked_at=checked, actor="engine")


def record_status(conn: Connection, player_id: str, register: str, status: str, now: datetime,
                  at: datetime | None = None, brand: str | None = None) -> Stored:
    """Record the account's register status. A change (checked and set in one statement, so
    two screenings of one account cannot both see it) appends a `croupier.register_screened`
    fact, its id derived from the account, register, status and the time of the check: a
    retried transaction cannot double it, and the same answer again (a register still down
    when the tick asks) adds nothing. `at` is the fact's time: its cause's (the registration)
    when it has one, else the check's."""
    now_us = micros(now)
    c = player_identities.c
    changed = conn.execute(player_identities.update()
                           .where(c.player_id == player_id, c.register_status.is_distinct_from(status))
                           .values(register_status=status, register_checked_us=now_us)).rowcount
    if not changed:
        conn.execute(player_identities.update().where(c.player_id == player_id).values(register_checked_us=now_us))
        return []
    brand = brand or conn.execute(select(c.brand).where(c.player_id == player_id)).scalar()
    return append_facts(conn, [_screened_fact(player_id, brand, register, status, now, at or now, str(now_us))])


def _record_screening(conn: Connection, player_id: str, result: Screening, now: datetime, policy: Policy,
                      at: datetime | None = None) -> Stored:
    status = "unavailable" if result.unavailable else "hit" if result.hit else "clear"
    stored = record_status(conn, player_id, result.register or "", status, now, at)
    if result.hit is not None:
        outcome = ex.record_register_hit(conn, player_id, result.hit, now, policy.rules_of)
        return stored + (outcome.stored if outcome else [])
    if result.register and not result.unavailable:
        return stored + ex.clear_register(conn, player_id, result.register, now, policy.rules_of)
    if result.unavailable:
        audit_store.append(conn, [audit_store.Entry(
            at_us=micros(now), actor="engine", kind="protection.register_unavailable", player_id=player_id,
            subject=result.register, body={"register": result.register, "problem": result.unavailable})])
    return stored


def access_check(engine: Any, player_id: str, action: str, now: datetime | None = None, *,
                 identity: Identity | None = None, brand: str | None = None,
                 jurisdiction: str | None = None) -> ex.Verdict:
    """The full check the API answers: recorded exclusions of the person, and at registration
    and login a live look-up in the jurisdiction's register, failing closed when the register
    cannot be asked. A hit is recorded (so marketing stops too) when the account exists."""
    now = now or _now()
    policy = policy_for(engine)
    with engine.db.reader.connect() as conn:
        known = load_identity(conn, player_id)
    if known is not None:
        identity = known[0] if identity is None else known[0].merged(identity)
        brand, jurisdiction = brand or known[1], jurisdiction or known[2]
    notes: list[str] = []
    extra: list[str] = []
    stored: Stored = []
    if action in ("registration", "login") and identity is not None:
        result = screen(policy, identity, jurisdiction)
        if result.register and not result.configured:
            notes.append(f"register_{unconfigured_status(policy, jurisdiction)}:{result.register}")
        elif result.unavailable:
            extra.append(f"register_unavailable:{result.register}")
            notes.append(f"{result.register} could not be asked ({result.unavailable}); "
                         f"{action} is refused until it can (fail closed)")
        elif result.hit is not None and known is None:
            extra.append(f"register:{result.register}")
        if known is not None and result.register and result.configured:
            with engine.db.engine.begin() as conn:
                stored = _record_screening(conn, player_id, result, now, policy)
    with engine.db.reader.connect() as conn:
        verdict = ex.check_access(conn, player_id, action, now, identity=identity, brand=brand,
                                  jurisdiction=jurisdiction, rules=policy.rules_of)
    if stored:
        engine.submit(stored)
    reasons = [r for r in verdict.reasons if r != "all_checks_passed"]
    reasons += [r for r in extra if r not in reasons]
    return ex.Verdict(not reasons, tuple(reasons) or ("all_checks_passed",), verdict.exclusions,
                      (*verdict.notes, *notes))


# --- after each batch --------------------------------------------------------------------------

def _cursor(conn: Connection, name: str) -> int:
    return conn.execute(select(protection_cursor.c.seq).where(protection_cursor.c.name == name)).scalar() or 0


def _raw_payloads(conn: Connection, seqs: Sequence[int]) -> dict[int, dict[str, Any]]:
    if not seqs:
        return {}
    rows = conn.execute(select(events_table.c.seq, events_table.c.payload).where(events_table.c.seq.in_(list(seqs))))
    return {seq: json.loads(payload) for seq, payload in rows}


def after_batch(engine: Any, items: Sequence[tuple[int, Event, int]]) -> None:
    """Run protection's side effects for the events of a processed batch (once each)."""
    relevant = [(seq, e) for seq, e, _ in items if type(e) in _TYPES]
    if not relevant:
        return
    policy = policy_for(engine)
    now = _now()
    stored: Stored = _limits_reported(engine, policy, [(seq, e) for seq, e in relevant if isinstance(e, LimitChanged)])
    to_screen: list[Account] = []
    name = f"{engine.name}:hooks"
    with engine.db.engine.begin() as conn:
        done = _cursor(conn, name)
        todo = [(seq, e) for seq, e in relevant if seq > done]
        if not todo:
            return
        raw = _raw_payloads(conn, [seq for seq, e in todo if isinstance(e, (PlayerRegistered, PlayerUpdated))])
        opened: dict[tuple[str, str], dict[str, Any]] = {}
        closed: set[tuple[str, str]] = set()
        # Facts take their time from the event that caused them, so a retry or a replay
        # produces the very same facts.
        to_screen = _identities_changed(conn, engine, [(seq, e) for seq, e in todo
                                                       if isinstance(e, (PlayerRegistered, PlayerUpdated))],
                                        raw, policy, stored)
        for seq, event in todo:
            if isinstance(event, ExclusionRequested):
                _exclusion_requested(conn, engine, event, event.occurred_at, policy, stored)
            elif isinstance(event, SessionStarted):
                key = (event.player_id, event.session_id)
                opened[key] = {"player_id": key[0], "session_id": key[1], "brand": event.brand,
                               "started_us": micros(event.occurred_at), "checks_done": 0}
            elif isinstance(event, SessionEnded):
                closed.add((event.player_id, event.session_id))
        sessions_changed(conn, [row for key, row in opened.items() if key not in closed], closed)
        upsert(conn, protection_cursor, [{"name": name, "seq": todo[-1][0]}], keys=("name",))
    remote = []
    for account in to_screen:
        player_id, jurisdiction, at = account
        _, register = policy.register_for(jurisdiction)
        if register is not None and register.remote:
            remote.append(account)
        else:   # a list in the database: as quick as the rest of the batch
            stored += _screen_account(engine, policy, player_id, jurisdiction, now, at)
    if stored:
        engine.submit(sorted(stored, key=lambda item: item[0]))
    if remote:
        screener_for(engine).put(remote)


class RemoteScreener:
    """Asks remote registers off the engine's thread. A look-up can take its whole timeout;
    the batch behind it must not wait. The account stays `pending` until the answer is
    recorded (and the tick retries what a crash or an outage left pending), and its facts go
    to the engine like any other."""

    def __init__(self, engine: Any):
        self.engine = engine
        self._queue: queue.SimpleQueue[Account] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    def put(self, accounts: list[Account]) -> None:
        with self._lock:
            self._idle.clear()
            for account in accounts:
                self._queue.put(account)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="croupier-register-screener", daemon=True)
                self._thread.start()

    def wait(self, timeout: float = 30.0) -> bool:
        """Until every queued account has been screened (tests, shutdown)."""
        return self._idle.wait(timeout)

    def _loop(self) -> None:
        while True:
            with self._lock:
                if self._queue.empty():
                    self._thread = None
                    self._idle.set()
                    return
                player_id, jurisdiction, at = self._queue.get()
            try:
                stored = _screen_account(self.engine, policy_for(self.engine), player_id, jurisdiction, _now(), at)
                if stored:
                    self.engine.submit(sorted(stored, key=lambda item: item[0]))
            except Exception:  # left pending: the tick screens it again
                log.exception("screening %s against its register failed; the tick will retry", player_id)


def screener_for(engine: Any) -> RemoteScreener:
    screener = getattr(engine, "register_screener", None)
    if screener is None:
        screener = engine.register_screener = RemoteScreener(engine)
    return screener


def _identities_changed(conn: Connection, engine: Any, changes: list[tuple[int, PlayerRegistered | PlayerUpdated]],
                        raw: dict[int, dict[str, Any]], policy: Policy, stored: Stored) -> list[Account]:
    """Identity work for every registration and update of a batch in a few statements: the
    accounts' known identities are loaded at once, merged with what the events carry (in log
    order) and stored at once; only accounts sharing an identifier with another account, or
    already part of a person, are re-linked one by one (and inherit the person's exclusions).
    Returns the new registrations to screen against their national register; a registration
    whose register nobody configured gets its `not_configured` (or `opted_out`) fact here, as
    of the registration (a retry or a second run of the same log writes the very same fact)."""
    if not changes:
        return []
    known = load_identities(conn, [e.player_id for _, e in changes])
    merged: dict[str, Identity] = {}
    rows: dict[str, dict[str, Any]] = {}
    last_event: dict[str, Event] = {}
    to_screen: list[Account] = []
    unasked: list[RegisterScreened] = []
    for seq, event in changes:
        payload = raw.get(seq, {})
        carried = {k: payload.get(k, getattr(event, k, None)) for k in (*_IDENTITY_FIELDS, "national_id_hash", "national_id")}
        if not any(carried.values()) and not isinstance(event, PlayerRegistered):
            continue
        pid = event.player_id
        state = engine.states.get(pid)
        jurisdiction = getattr(event, "jurisdiction", None) or (state.profile.get("jurisdiction") if state else None)
        if isinstance(event, PlayerUpdated) and state is not None:  # name and birth date pair up across updates
            for k in ("first_name", "last_name", "birth_date"):
                carried[k] = carried[k] or state.profile.get(k)
        name, register = policy.register_for(jurisdiction, conn)
        registration = isinstance(event, PlayerRegistered)
        pending = registration and register is not None
        # the fold held this registration's promotions if the rules in force name a register
        unconfigured = (name or _named_in_force(engine, jurisdiction)) if registration and register is None else None
        before = merged.get(pid) or (known[pid][0] if pid in known else None)
        identity = Identity.from_profile(carried)
        merged[pid] = before.merged(identity) if before is not None else identity
        previous = rows.get(pid) or {}
        brand = event.brand or previous.get("brand") or (known[pid][1] if pid in known else "")
        jur = jurisdiction or previous.get("jurisdiction") or (known[pid][2] if pid in known else None)
        m = merged[pid]
        rows[pid] = {"player_id": pid, "brand": brand, "jurisdiction": jur,
                     "national_id_hash": m.national_id_hash, "email_hash": m.email_hash,
                     "phone_hash": m.phone_hash, "name_dob_hash": m.name_dob_hash,
                     "updated_at_us": micros(event.occurred_at),
                     "register_status": "pending" if pending
                                        else unconfigured_status(policy, jurisdiction) if unconfigured
                                        else previous.get("register_status")}
        last_event[pid] = event
        if pending:
            to_screen.append((pid, jurisdiction, event.occurred_at))
        elif unconfigured:   # nothing to ask: say so (promotions stay held unless the market opted out)
            unasked.append(_screened_fact(pid, brand, unconfigured, rows[pid]["register_status"],
                                          event.occurred_at, event.occurred_at, event.event_id))
    if not rows:
        return []
    with_status = [r for r in rows.values() if r["register_status"] is not None]
    without = [{k: v for k, v in r.items() if k != "register_status"} for r in rows.values()
               if r["register_status"] is None]
    upsert(conn, player_identities, with_status, keys=("player_id",))
    upsert(conn, player_identities, without, keys=("player_id",))
    if unasked:
        stored.extend(append_facts(conn, unasked))
    for pid in sorted(accounts_to_relink(conn, merged), key=lambda p: last_event[p].occurred_at):
        now = last_event[pid].occurred_at
        facts, joined, related = link_account(conn, pid, now, identity=merged[pid])
        if facts:
            stored.extend(ex.append_facts(conn, facts))
        if len(related) > 1:  # the account (and any newly linked one) inherits the person's exclusions
            stored.extend(ex.propagate_to(conn, sorted({pid, *(p for p, _ in joined)}), now))
    return to_screen


def _exclusion_requested(conn: Connection, engine: Any, event: ExclusionRequested, now: datetime, policy: Policy,
                         stored: Stored) -> None:
    state = engine.states.get(event.player_id)
    jurisdiction = state.profile.get("jurisdiction") if state else None
    try:
        outcome = ex.start_exclusion(
            conn, event.player_id, event.kind, event.duration, now, actor="player",
            source=f"pam:{event.brand}", scope=event.scope if event.scope in ("brand", "operator", "national") else None,
            cause_event_id=event.event_id, brand=event.brand, jurisdiction=jurisdiction,
            rules=policy.rules_of, lenient=True, reason=event.reason)
        stored.extend(outcome.stored)
    except ExclusionRefused as exc:
        audit_store.append(conn, [audit_store.Entry(
            at_us=micros(now), actor="engine", kind="protection.exclusion_request_refused",
            player_id=event.player_id, subject=event.event_id, body={"event_id": event.event_id, **exc.as_dict()})])


def _named_in_force(engine: Any, jurisdiction: str | None) -> str | None:
    """The register the engine's rules in force name (what the fold read at registration)."""
    rules = getattr(engine, "rules", None)
    return rules.of(jurisdiction).exclusions.register if rules is not None else None


def _screen_account(engine: Any, policy: Policy, player_id: str, jurisdiction: str | None, now: datetime,
                    at: datetime | None = None) -> Stored:
    with engine.db.reader.connect() as conn:
        known = load_identity(conn, player_id)
    if known is None:
        return []
    result = screen(policy, known[0], jurisdiction)
    with engine.db.engine.begin() as conn:
        if not result.configured:  # nothing to ask: promotions stay held unless the market opted out
            named = result.register or _named_in_force(engine, jurisdiction) or ""
            return record_status(conn, player_id, named, unconfigured_status(policy, jurisdiction), now, at)
        return _record_screening(conn, player_id, result, now, policy, at)


def unconfigured_status(policy: Policy, jurisdiction: str | None) -> str:
    """What an account whose register nobody configured is recorded as: `opted_out` where the
    rules in force opt the market out of its register, else `not_configured` (held)."""
    return "opted_out" if policy.rules_of(jurisdiction).exclusions.register_opt_out else "not_configured"


RECONSIDER_BATCH = 1000   # accounts whose status follows a changed market, per tick and market


def reconsider_unconfigured(engine: Any, policy: Policy, now: datetime) -> int:
    """Accounts recorded `not_configured` or `opted_out` follow their market when it changes:
    once its register is configured they are screened (marked pending, which the tick asks);
    an approved or withdrawn opt-out records `opted_out` or `not_configured` (a fact each,
    which releases or holds their lifecycle messages). Runs when the configuration version
    or the set of configured registers changed, until every account follows; returns how
    many accounts it moved."""
    key = (engine.config.version, tuple(sorted(policy.all_registers())))
    if getattr(engine, "_register_markets_key", None) == key:
        return 0
    c = player_identities.c
    with engine.db.reader.connect() as conn:
        groups = conn.execute(select(c.jurisdiction, c.register_status).distinct()
                              .where(c.register_status.in_(UNCONFIGURED), c.jurisdiction.is_not(None))).all()
    moved, done, stored = 0, True, []
    for jurisdiction, status in groups:
        name, register = policy.register_for(jurisdiction)
        if name is None:
            continue
        in_market = (c.jurisdiction == jurisdiction, c.register_status == status)
        with engine.db.engine.begin() as conn:
            if register is not None:   # configured now: ask it (the pending accounts are screened below)
                moved += conn.execute(player_identities.update().where(*in_market)
                                      .values(register_status="pending")).rowcount
                continue
            target = unconfigured_status(policy, jurisdiction)
            if target == status:
                continue
            rows = conn.execute(select(c.player_id, c.brand).where(*in_market).limit(RECONSIDER_BATCH)).all()
            for player_id, brand in rows:
                stored += record_status(conn, player_id, name, target, now, brand=brand)
        moved += len(rows)
        done = done and len(rows) < RECONSIDER_BATCH
    if stored:
        engine.submit(sorted(stored, key=lambda item: item[0]))
    if done:
        engine._register_markets_key = key
    return moved


def register_markets(engine: Any) -> list[dict[str, Any]]:
    """Every market of the rules in force that names a national register, with its status and
    the accounts held for it (registers.market_registers): what the back office warns about
    and GET /v1/registers/status reports."""
    policy = policy_for(engine)
    codes = list(getattr(engine.config, "jurisdictions", None) or presets())
    with engine.db.reader.connect() as conn:
        return market_registers(conn, policy, codes)


# --- on the engine's idle tick -----------------------------------------------------------------

@dataclass(slots=True)
class TickReport:
    ended: int = 0
    reality_checks: int = 0
    refreshed: list[str] = field(default_factory=list)
    rescreened: int = 0
    reconsidered: int = 0     # accounts that followed a market's changed register or opt-out


def rescreen_register(engine: Any, register: str, now: datetime) -> Stored:
    """After a register list changed: start register exclusions for identities now listed and
    end them for identities no longer listed (file registers, checked in the database)."""
    policy = policy_for(engine)
    now_us = micros(now)
    stored: Stored = []
    with engine.db.engine.begin() as conn:
        jurisdictions = [j for j in conn.execute(select(player_identities.c.jurisdiction).distinct()).scalars()
                         if policy.rules_of(j).exclusions.register == register]
        rows = conn.execute(select(player_identities).where(player_identities.c.jurisdiction.in_(jurisdictions))).all()
        listed = ex.register_exclusion_players(conn, register, now)
        for row in rows:
            identity = Identity(row.national_id_hash, row.email_hash, row.phone_hash, row.name_dob_hash)
            hit = lookup(conn, register, identity, now_us)
            stored += record_status(conn, row.player_id, register, "clear" if hit is None else "hit", now,
                                    brand=row.brand)
            if hit is not None:
                outcome = ex.record_register_hit(conn, row.player_id, hit, now, policy.rules_of)
                stored += outcome.stored if outcome else []
            elif row.player_id in listed:
                stored += ex.clear_register(conn, row.player_id, register, now, policy.rules_of)
    return stored


def tick(engine: Any, now: datetime | None = None, *, force: bool = False) -> TickReport:
    """Protection's timers; rate-limited to every TICK_SECONDS unless `force`."""
    report = TickReport()
    if not force:
        if not engine.leader or time.monotonic() < getattr(engine, "_protection_next_tick", 0.0):
            return report
        engine._protection_next_tick = time.monotonic() + TICK_SECONDS
    now = now or _now()
    policy = policy_for(engine)
    stored: Stored = []
    with engine.db.reader.connect() as conn:
        timed = set(conn.execute(select(session_timers.c.player_id)).scalars())
    states = {pid: engine.state_of(pid) for pid in timed}  # read before the write transaction
    with engine.db.engine.begin() as conn:
        ended = ex.finalise_due(conn, now)
        checks = run_reality_checks(conn, now, states.get, policy.rules_of)
    stored += ended + checks
    report.ended = len({e.exclusion_id for _, e, _ in ended})
    report.reality_checks = len(checks)
    for result in refresh_due(policy):
        if result.changed:
            report.refreshed.append(result.register)
            stored += rescreen_register(engine, result.register, now)
    report.reconsidered = reconsider_unconfigured(engine, policy, now)
    with engine.db.reader.connect() as conn:
        waiting = conn.execute(select(player_identities.c.player_id, player_identities.c.jurisdiction)
                               .where(player_identities.c.register_status.in_(("pending", "unavailable")))
                               .limit(100)).all()
    for player_id, jurisdiction in waiting:
        stored += _screen_account(engine, policy, player_id, jurisdiction, now)
        report.rescreened += 1
    if stored:
        engine.submit(sorted(stored, key=lambda item: item[0]))
    return report


__all__ = ["FileRegister", "RemoteScreener", "Screening", "TickReport", "access_check", "after_batch",
           "policy_for", "reconsider_unconfigured", "record_status", "register_markets", "rescreen_register", "screen",
           "screener_for", "tick", "unconfigured_status"]
