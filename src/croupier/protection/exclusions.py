"""Exclusions: start, end and enforce them across every account of the same person.

Every start or end writes the `exclusions` row, an audit entry (`protection.exclusion_started`
/ `_ended`, with the actor) and `ExclusionStarted` / `ExclusionEnded` facts for every account
of the person the scope covers, all in the caller's transaction. The engine folds the facts
into each account's state, so the gate suppresses marketing there; `check_access` reads the
rows directly, so login, deposit and bet are refused the moment the transaction commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from sqlalchemy import Connection, or_, select

from croupier.compliance.rules import JurisdictionRules, rules_for
from croupier.events import Event, ExclusionEnded, ExclusionStarted
from croupier.ingest.facts import append_facts
from croupier.players import micros
from croupier.protection.exclusions_rules import (
    ExclusionFacts, ExclusionRefused, covers, ending_rules, imposed_by_staff, plan_end, plan_request,
)
from croupier.protection.persons import (
    Identity, brands_of, load_identity, matching_accounts, same_person_accounts, separated_from,
)
from croupier.protection.registers import RegisterHit
from croupier.store import audit as audit_store
from croupier.store.schema import exclusions, person_links

Action = Literal["registration", "login", "deposit", "bet", "marketing"]
ACTIONS = ("registration", "login", "deposit", "bet", "marketing")
Rules = Callable[[str | None], JurisdictionRules]
Stored = list[tuple[int, Event, int]]


def _dt(at_us: int | None) -> datetime | None:
    return None if at_us is None else datetime.fromtimestamp(at_us / 1_000_000, tz=timezone.utc)


def _hash(text: str, n: int = 32) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


@dataclass(frozen=True, slots=True)
class Verdict:
    """May this account do `action` now? Every reason it may not, with the exclusions behind them."""

    allowed: bool
    reasons: tuple[str, ...]
    exclusions: tuple[dict[str, Any], ...] = ()
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"allowed": self.allowed, "reasons": list(self.reasons), "exclusions": list(self.exclusions),
                "notes": list(self.notes)}


@dataclass(slots=True)
class Outcome:
    """An exclusion change: the record as it now stands and the facts stored for the engine."""

    exclusion: dict[str, Any]
    stored: Stored = field(default_factory=list)
    created: bool = True


def view(row: Any, now_us: int | None = None) -> dict[str, Any]:
    active = row.status == "active" and (row.until_us is None or now_us is None or row.until_us > now_us)
    return {"exclusion_id": row.exclusion_id, "player_id": row.player_id, "brand": row.brand,
            "jurisdiction": row.jurisdiction, "kind": row.kind, "scope": row.scope, "period": row.period,
            "started_at": _iso(row.started_at_us), "period_ends_at": _iso(row.period_ends_us),
            "until": _iso(row.until_us), "active": active, "status": row.status if active else "ended",
            "source": row.source, "actor": row.actor, "reason": row.reason,
            "reactivation_requested_at": _iso(row.reactivation_requested_us),
            "ended_at": _iso(row.ended_at_us or (row.until_us if not active else None)),
            "ended_by": row.ended_by, "end_reason": row.end_reason}


def _iso(at_us: int | None) -> str | None:
    moment = _dt(at_us)
    return moment.isoformat() if moment else None


def facts_of(row: Any) -> ExclusionFacts:
    return ExclusionFacts(row.kind, _dt(row.started_at_us), row.period, _dt(row.period_ends_us), _dt(row.until_us),
                          imposed_by_staff(row.kind, row.source))


def _targets(conn: Connection, row: Any) -> list[tuple[str, str]]:
    """(player, brand) of every account of the person this exclusion covers."""
    accounts = same_person_accounts(conn, row.player_id)
    brands = brands_of(conn, accounts)
    brands.setdefault(row.player_id, row.brand)
    return [(pid, brands[pid]) for pid in accounts
            if pid in brands and (pid == row.player_id or covers(row.scope, row.brand, brands[pid]))]


def _started_facts(row: Any, targets: Sequence[tuple[str, str]], now: datetime, actor: str,
                   version: str = "") -> list[Event]:
    out: list[Event] = []
    for pid, brand in targets:
        source = row.source if pid == row.player_id else f"linked:{row.player_id}"
        out.append(ExclusionStarted(
            event_id="xs_" + _hash(f"{row.exclusion_id}|{pid}|{version}", 40), player_id=pid, brand=brand,
            occurred_at=now, exclusion_id=row.exclusion_id, kind=row.kind, scope=row.scope,
            until=_dt(row.until_us), source=(source or "")[:256] or None, actor=actor[:256], reason=row.reason))
    return out


def _ended_facts(row: Any, targets: Sequence[tuple[str, str]], now: datetime, actor: str, reason: str,
                 version: str = "") -> list[Event]:
    suffix = f"|{version}" if version else ""
    return [ExclusionEnded(event_id="xe_" + _hash(f"{row.exclusion_id}|{pid}{suffix}", 40), player_id=pid,
                           brand=brand, occurred_at=now, exclusion_id=row.exclusion_id, actor=actor[:256],
                           reason=reason)
            for pid, brand in targets]


def _row(conn: Connection, exclusion_id: str) -> Any:
    return conn.execute(select(exclusions).where(exclusions.c.exclusion_id == exclusion_id)).first()


def start_exclusion(conn: Connection, player_id: str, kind: str, period: str | None, now: datetime, *,
                    actor: str, reason: str | None = None, source: str | None = None, scope: str | None = None,
                    until: datetime | None = None, cause_event_id: str | None = None,
                    brand: str | None = None, jurisdiction: str | None = None,
                    rules: Rules = rules_for, lenient: bool = False,
                    attribution: Mapping[str, str] | None = None) -> Outcome:
    """Start an exclusion (validated against the account's jurisdiction; `ExclusionRefused`
    says why not and what is allowed). With `cause_event_id` it is idempotent: the same
    cause never starts two exclusions. `actor` is the authenticated party; `attribution`
    (e.g. a `claimed_actor` the request named) goes into the audit body beside it."""
    known = load_identity(conn, player_id)
    brand = brand or (known[1] if known else None)
    jurisdiction = jurisdiction or (known[2] if known else None)
    if not brand:
        raise ExclusionRefused(f"player {player_id!r} is unknown here (no registration processed); "
                               "send player.registered first")
    now_us = micros(now)
    exclusion_id = "x_" + _hash(f"cause|{cause_event_id}" if cause_event_id else f"{player_id}|{kind}|{now_us}")
    existing = _row(conn, exclusion_id)
    if existing is not None:
        return Outcome(view(existing, now_us), [], created=False)
    jrules = rules(jurisdiction)
    plan = plan_request(kind, period, jrules, now, scope=scope, until=until, lenient=lenient)
    note = "; ".join(x for x in (reason, plan.note) if x) or None
    values = {"exclusion_id": exclusion_id, "player_id": player_id, "brand": brand, "jurisdiction": jurisdiction,
              "kind": plan.kind, "scope": plan.scope, "period": plan.period, "started_at_us": now_us,
              "period_ends_us": micros(plan.period_ends) if plan.period_ends else None,
              "until_us": micros(plan.until) if plan.until else None, "status": "active",
              "source": source or actor, "actor": actor, "reason": note, "cause_event_id": cause_event_id}
    conn.execute(exclusions.insert().values(**values))
    row = _row(conn, exclusion_id)
    targets = _targets(conn, row)
    audit_store.append(conn, [audit_store.Entry(
        at_us=now_us, actor=actor, kind="protection.exclusion_started", player_id=player_id,
        subject=exclusion_id, config_version=jrules.code,
        body=view(row) | {"accounts": [pid for pid, _ in targets]} | dict(attribution or {}))])
    stored = append_facts(conn, _started_facts(row, targets, now, actor))
    return Outcome(view(row, now_us), stored)


def end_exclusion(conn: Connection, exclusion_id: str, now: datetime, *, actor: str, requested_by: str = "player",
                  reason: str | None = None, rules: Rules = rules_for,
                  attribution: Mapping[str, str] | None = None) -> Outcome:
    """End (or ask to end) an exclusion as its jurisdiction's rules allow. `requested_by` is
    "player" (or a PAM on the player's behalf: never one staff imposed, nor within the
    jurisdiction's minimum), "operator" (staff) or "register". A reactivation with a
    cooling-off lifts at its time; until then the account stays excluded."""
    row = _row(conn, exclusion_id)
    if row is None:
        raise LookupError(f"no exclusion {exclusion_id!r}")
    now_us = micros(now)
    if row.status != "active" or (row.until_us is not None and row.until_us <= now_us):
        raise ExclusionRefused(f"exclusion {exclusion_id} has already ended")
    jrules = rules(row.jurisdiction)
    plan = plan_end(facts_of(row), jrules, now, requested_by)
    if not plan.allowed:
        raise ExclusionRefused(plan.reason)
    targets = _targets(conn, row)
    why = "; ".join(x for x in (reason, plan.reason) if x)
    if plan.effective_at is not None and plan.effective_at > now:
        if row.reactivation_requested_us is not None:
            return Outcome(view(row, now_us), [], created=False)
        lifts_us = micros(plan.effective_at)
        conn.execute(exclusions.update().where(exclusions.c.exclusion_id == exclusion_id)
                     .values(reactivation_requested_us=now_us, until_us=lifts_us, end_reason=why))
        row = _row(conn, exclusion_id)
        audit_store.append(conn, [audit_store.Entry(
            at_us=now_us, actor=actor, kind="protection.reactivation_requested", player_id=row.player_id,
            subject=exclusion_id, config_version=jrules.code,
            body=view(row) | {"reason": why, "requested_by": requested_by} | dict(attribution or {}))])
        stored = append_facts(conn, _started_facts(row, targets, now, actor, version=f"lifts@{lifts_us}"))
        return Outcome(view(row, now_us), stored)
    return _close(conn, row, now, actor, why, jrules.code, requested_by, attribution)


def _close(conn: Connection, row: Any, now: datetime, actor: str, why: str, version: str | None,
           requested_by: str | None = None, attribution: Mapping[str, str] | None = None) -> Outcome:
    now_us = micros(now)
    ended_us = min(now_us, row.until_us) if row.until_us is not None else now_us
    conn.execute(exclusions.update().where(exclusions.c.exclusion_id == row.exclusion_id)
                 .values(status="ended", ended_at_us=ended_us, ended_by=actor, end_reason=why))
    row = _row(conn, row.exclusion_id)
    targets = _targets(conn, row)
    audit_store.append(conn, [audit_store.Entry(
        at_us=now_us, actor=actor, kind="protection.exclusion_ended", player_id=row.player_id,
        subject=row.exclusion_id, config_version=version,
        body=view(row, now_us) | {"accounts": [pid for pid, _ in targets]}
        | ({"requested_by": requested_by} if requested_by else {}) | dict(attribution or {}))])
    stored = append_facts(conn, _ended_facts(row, targets, now, actor, why))
    return Outcome(view(row, now_us), stored)


def ending_options(conn: Connection, player_id: str, now: datetime, rules: Rules = rules_for,
                   exclusion_id: str | None = None) -> list[dict[str, Any]]:
    """The active exclusions that apply to an account, each with what its jurisdiction's rules
    allow for ending it now (`ending`: the rule in words, the earliest end, and the outcome at
    the player's and at the operator's request): what staff see before they end one."""
    items = [x for x in exclusions_of(conn, player_id, now, include_ended=False)
             if exclusion_id is None or x["exclusion_id"] == exclusion_id]
    out = []
    for item in items:
        row = _row(conn, item["exclusion_id"])
        out.append(item | {"ending": ending_rules(facts_of(row), rules(row.jurisdiction), now).as_dict()})
    return out


Reach = dict[tuple[str, str], tuple[Any, str]]


def reach(conn: Connection, players: Sequence[str], now: datetime) -> Reach:
    """Which accounts the active exclusions of these accounts' persons cover now:
    (exclusion id, covered player) -> (exclusion row, that player's brand)."""
    accounts: set[str] = set()
    for player_id in players:
        accounts |= set(same_person_accounts(conn, player_id))
    out: Reach = {}
    for row in _active_rows(conn, sorted(accounts), micros(now)):
        for pid, brand in _targets(conn, row):
            out[(row.exclusion_id, pid)] = (row, brand)
    return out


def restate_reach(conn: Connection, players: Sequence[str], before: Reach, now: datetime, actor: str) -> Stored:
    """After staff changed who is the same person: an exclusion that now covers an account it
    did not cover starts there, and one that no longer covers an account ends there (facts
    for the gate; the exclusions' records are unchanged, and `check_access` follows the links
    by itself). Fact ids carry the moment, so linking, unlinking and linking again all count."""
    after = reach(conn, players, now)
    version = f"relink@{micros(now)}"
    facts: list[Event] = []
    for key in sorted(after.keys() - before.keys()):
        row, brand = after[key]
        facts += _started_facts(row, [(key[1], brand)], now, actor, version)
    for key in sorted(before.keys() - after.keys()):
        row, brand = before[key]
        facts += _ended_facts(row, [(key[1], brand)], now, actor,
                              f"no longer the same person as {row.player_id}", version)
    return append_facts(conn, facts) if facts else []


def finalise_due(conn: Connection, now: datetime) -> Stored:
    """Record the end of exclusions whose time has come (lifted by themselves): row, audit,
    ExclusionEnded facts. Access was already allowed from `until`; this keeps the record."""
    now_us = micros(now)
    rows = conn.execute(select(exclusions).where(exclusions.c.status == "active",
                                                 exclusions.c.until_us.is_not(None),
                                                 exclusions.c.until_us <= now_us).limit(1_000)).all()
    stored: Stored = []
    for row in rows:
        stored.extend(_close(conn, row, now, "system", row.end_reason or "the period is over", row.jurisdiction).stored)
    return stored


def propagate_to(conn: Connection, players: Sequence[str], now: datetime) -> Stored:
    """Accounts newly linked to a person inherit the person's active exclusions that cover them."""
    now_us = micros(now)
    facts: list[Event] = []
    for player_id in players:
        accounts = [a for a in same_person_accounts(conn, player_id) if a != player_id]
        if not accounts:
            continue
        for row in _active_rows(conn, accounts, now_us):
            if any(pid == player_id for pid, _ in _targets(conn, row)):
                facts.extend(f for f in _started_facts(row, _targets(conn, row), now, "system")
                             if f.player_id == player_id)
    return append_facts(conn, facts) if facts else []


def _active_rows(conn: Connection, players: Sequence[str], now_us: int) -> list[Any]:
    if not players:
        return []
    return list(conn.execute(select(exclusions).where(
        exclusions.c.player_id.in_(list(players)), exclusions.c.status == "active",
        or_(exclusions.c.until_us.is_(None), exclusions.c.until_us > now_us))
        .order_by(exclusions.c.started_at_us)).all())


def exclusions_of(conn: Connection, player_id: str, now: datetime, include_ended: bool = True) -> list[dict[str, Any]]:
    """The exclusions that apply to an account: its own and those of its person's other
    accounts whose scope covers it (marked `via`)."""
    now_us = micros(now)
    accounts = same_person_accounts(conn, player_id)
    brands = brands_of(conn, accounts)
    rows = conn.execute(select(exclusions).where(exclusions.c.player_id.in_(accounts))
                        .order_by(exclusions.c.started_at_us.desc())).all()
    out = []
    for row in rows:
        if row.player_id != player_id and not covers(row.scope, row.brand, brands.get(player_id, row.brand)):
            continue
        item = view(row, now_us)
        if not include_ended and not item["active"]:
            continue
        if row.player_id != player_id:
            item["via"] = row.player_id
        out.append(item)
    return out


def check_access(conn: Connection, player_id: str, action: str, now: datetime, *,
                 identity: Identity | None = None, brand: str | None = None, jurisdiction: str | None = None,
                 rules: Rules = rules_for) -> Verdict:
    """May `player_id` register, log in, deposit, bet or be marketed to at `now`?

    Reads the exclusion records of every account of the same person (so an exclusion on
    brand A blocks brand B at once where its scope says so), including register hits
    already recorded. Live register look-ups are `screen`'s job (registration and login).
    For a registration not yet processed, pass the applicant's `identity`, `brand` and
    `jurisdiction`: accounts sharing an identifier count as the same person."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    now_us = micros(now)
    known = load_identity(conn, player_id)
    brand = brand or (known[1] if known else None)
    jurisdiction = jurisdiction or (known[2] if known else None)
    accounts = set(same_person_accounts(conn, player_id))
    if identity is not None:
        for other in matching_accounts(conn, identity, exclude=player_id):
            accounts |= set(same_person_accounts(conn, other))
        accounts -= separated_from(conn, player_id, accounts)   # staff decided these are someone else
    jrules = rules(jurisdiction)
    notes: list[str] = []
    if known is None and identity is None:
        notes.append("unknown_player: no registration processed; only its own exclusions are checked")
    if action not in jrules.exclusions.check_at:
        return Verdict(True, ("all_checks_passed",), (), (*notes, f"{jrules.code} does not check exclusions at {action}"))
    reasons: list[str] = []
    found: list[dict[str, Any]] = []
    for row in _active_rows(conn, sorted(accounts), now_us):
        if row.player_id != player_id and brand is not None and not covers(row.scope, row.brand, brand):
            continue
        reason = f"excluded:{row.kind}:{row.scope}"
        if row.kind == "register":
            reason = f"register:{row.source}"
        if reason not in reasons:
            reasons.append(reason)
        item = view(row, now_us)
        if row.player_id != player_id:
            item["via"] = row.player_id
        found.append(item)
    return Verdict(not reasons, tuple(reasons) or ("all_checks_passed",), tuple(found), tuple(notes))


# --- national register hits ------------------------------------------------------------------

def record_register_hit(conn: Connection, player_id: str, hit: RegisterHit, now: datetime,
                        rules: Rules = rules_for) -> Outcome | None:
    """A register lists this person: exclude them (kind "register", national scope) unless an
    exclusion from that register is already active for the person."""
    now_us = micros(now)
    for row in _active_rows(conn, same_person_accounts(conn, player_id), now_us):
        if row.kind == "register" and row.source == hit.register:
            return None
    return start_exclusion(conn, player_id, "register", None, now, actor="register", source=hit.register,
                           until=hit.until, reason=f"listed in {hit.register} (matched on {hit.matched_on})",
                           rules=rules)


def clear_register(conn: Connection, player_id: str, register: str, now: datetime,
                   rules: Rules = rules_for) -> Stored:
    """The register no longer lists this account: end its exclusions from that register."""
    stored: Stored = []
    for row in _active_rows(conn, [player_id], micros(now)):
        if row.kind == "register" and row.source == register:
            stored.extend(end_exclusion(conn, row.exclusion_id, now, actor="register", requested_by="register",
                                        reason=f"no longer listed in {register}", rules=rules).stored)
    return stored


def register_exclusion_players(conn: Connection, register: str, now: datetime) -> set[str]:
    rows = _active_register_rows(conn, register, micros(now))
    return {r.player_id for r in rows}


def _active_register_rows(conn: Connection, register: str, now_us: int) -> list[Any]:
    return list(conn.execute(select(exclusions).where(
        exclusions.c.kind == "register", exclusions.c.source == register, exclusions.c.status == "active",
        or_(exclusions.c.until_us.is_(None), exclusions.c.until_us > now_us))).all())


def linked_players(conn: Connection) -> set[str]:
    return set(conn.execute(select(person_links.c.player_id)).scalars())
