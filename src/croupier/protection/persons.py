"""One person, many accounts: accounts on different brands are linked into one person when
they share a verified identifier (national-ID hash, email, phone, or name plus birth date).

Identifiers are normalised and hashed (SHA-256 hex) before they are stored or compared, the
same way the national registers' lists are hashed, so matching and register checks share one
representation and no plain identifier is kept. Linking is deterministic: a person's id comes
from the smallest player id among its accounts, so an incremental link and a full rebuild
agree.

Staff decisions (`person_decisions`, made through `protection.person_decisions`) bind the
matcher: a pair linked by hand stays one person (evidence "manual"), and a pair staff
separated is never joined again, by any identifier.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, or_, select, tuple_

from croupier.events import Event, PersonLinked
from croupier.ingest.facts import append_facts
from croupier.players import micros
from croupier.store.schema import person_decisions, person_links, player_identities
from croupier.store.upsert import upsert

EVIDENCE_KINDS = ("national_id_hash", "email", "phone", "name_birth_date")
MANUAL = "manual"    # the evidence of a link staff made by hand
_COLUMN = {"national_id_hash": "national_id_hash", "email": "email_hash", "phone": "phone_hash",
           "name_birth_date": "name_dob_hash"}


# --- normalisation and hashing (pure) ------------------------------------------------------

def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return unicodedata.normalize("NFKC", email).strip().casefold()


def normalise_phone(phone: str) -> str:
    """Digits only, international form: "+46 70-123 45 67" and "0046701234567" -> "46701234567"."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone))
    return digits[2:] if digits.startswith("00") else digits


def normalise_national_id(national_id: str) -> str:
    """Letters and digits only, upper case: "19900517-1234" -> "199005171234"."""
    return re.sub(r"[^0-9A-Z]", "", unicodedata.normalize("NFKC", national_id).upper())


def normalise_name(name: str) -> str:
    """Case, accents, punctuation and spacing do not matter: "  José-María " -> "jose maria"."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


def hash_national_id(national_id: str) -> str:
    return sha256_hex(normalise_national_id(national_id))


def hash_email(email: str) -> str:
    return sha256_hex(normalise_email(email))


def hash_phone(phone: str) -> str:
    return sha256_hex(normalise_phone(phone))


def hash_name_birth_date(first_name: str, last_name: str, birth_date: str) -> str:
    return sha256_hex(f"{normalise_name(first_name)} {normalise_name(last_name)}|{birth_date.strip()}")


@dataclass(frozen=True, slots=True)
class Identity:
    """An account's identifiers, hashed. Any may be missing."""

    national_id_hash: str | None = None
    email_hash: str | None = None
    phone_hash: str | None = None
    name_dob_hash: str | None = None

    @classmethod
    def from_profile(cls, profile: dict[str, Any]) -> Identity:
        """From profile fields as events carry them; `national_id_hash` arrives hashed (by the
        PAM, as SHA-256 hex of the normalised national id), `national_id` is hashed here."""
        nid = profile.get("national_id_hash")
        if isinstance(nid, str) and re.fullmatch(r"[0-9a-fA-F]{64}", nid.strip()):
            nid = nid.strip().lower()
        elif profile.get("national_id"):
            nid = hash_national_id(str(profile["national_id"]))
        else:
            nid = None
        first, last, born = profile.get("first_name"), profile.get("last_name"), profile.get("birth_date")
        return cls(
            national_id_hash=nid,
            email_hash=hash_email(profile["email"]) if profile.get("email") else None,
            phone_hash=hash_phone(profile["phone"]) if profile.get("phone") and normalise_phone(profile["phone"]) else None,
            name_dob_hash=hash_name_birth_date(first, last, born) if first and last and born else None,
        )

    def pairs(self) -> list[tuple[str, str]]:
        """(evidence kind, hash) for each identifier present."""
        return [(kind, value) for kind in EVIDENCE_KINDS
                if (value := getattr(self, _COLUMN[kind])) is not None]

    def merged(self, newer: Identity) -> Identity:
        """An update changes the identifiers it carries and keeps the others."""
        return Identity(**{name: getattr(newer, name) or getattr(self, name) for name in _COLUMN.values()})


def person_id_for(players: Iterable[str]) -> str:
    return "psn_" + sha256_hex(min(players))[:24]


# --- linking (pure over identities) ---------------------------------------------------------

@dataclass(slots=True)
class Link:
    player_id: str
    person_id: str
    evidence: list[dict[str, Any]] = field(default_factory=list)   # [{"kind": "email", "with": ["p2"]}]

    @property
    def kinds(self) -> list[str]:
        return sorted({e["kind"] for e in self.evidence})


def pair(a: str, b: str) -> tuple[str, str]:
    """A pair of accounts in the order `person_decisions` keys it."""
    return (a, b) if a < b else (b, a)


@dataclass(frozen=True, slots=True)
class Decisions:
    """Staff decisions the matcher must respect, as sorted pairs of player ids: accounts linked
    by hand, and accounts kept apart ("do not link")."""

    linked: frozenset[tuple[str, str]] = frozenset()
    separated: frozenset[tuple[str, str]] = frozenset()

    def partners(self) -> set[str]:
        return {p for pr in self.linked | self.separated for p in pr}


def components(identities: dict[str, Identity], brands: dict[str, str],
               decisions: Decisions = Decisions()) -> list[Link]:
    """Group accounts on different brands sharing any identifier into persons; each account's
    evidence names the identifiers it shares and with which accounts. Accounts sharing nothing
    with another brand are left out: duplicate accounts on one brand are a multi-accounting
    matter, and exclusions reach them through their shared identifiers anyway.

    Pairs staff linked are joined first (evidence "manual", whatever their brands); a join
    that would put two accounts staff separated into one person is skipped. With separations
    the shared identifiers are visited in sorted order, so the outcome does not depend on the
    order accounts were loaded in."""
    parent = {pid: pid for pid in identities}
    apart: dict[str, set[str]] = defaultdict(set)
    for a, b in decisions.separated:
        if a in parent and b in parent:
            apart[a].add(b)
            apart[b].add(a)
    members: dict[str, list[str]] = {pid: [pid] for pid in identities} if apart else {}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(one: str, other: str) -> None:
        a, b = find(one), find(other)
        if a == b:
            return
        if apart:
            small, large = (a, b) if len(members[a]) <= len(members[b]) else (b, a)
            if any(find(y) == large for x in members[small] for y in apart.get(x, ())):
                return
        root, child = min(a, b), max(a, b)
        parent[child] = root
        if apart:
            members[root].extend(members.pop(child))

    manual: dict[str, set[str]] = defaultdict(set)
    for a, b in sorted(decisions.linked):
        if a in parent and b in parent:
            manual[a].add(b)
            manual[b].add(a)
            join(a, b)
    by_value: dict[tuple[str, str], list[str]] = defaultdict(list)
    for pid, identity in identities.items():
        for kind_value in identity.pairs():
            by_value[kind_value].append(pid)
    for key in (sorted(by_value) if apart else by_value):
        sharing = sorted(by_value[key]) if apart else by_value[key]
        for i, one in enumerate(sharing):
            for other in sharing[i + 1:]:
                if brands.get(one) != brands.get(other):
                    join(one, other)
    groups: dict[str, list[str]] = defaultdict(list)
    for pid in identities:
        groups[find(pid)].append(pid)
    links = []
    for group in groups.values():
        if len(group) < 2:
            continue
        person = person_id_for(group)
        root = find(group[0])
        for pid in sorted(group):
            evidence = []
            for kind, value in identities[pid].pairs():
                others = sorted(o for o in by_value[(kind, value)]
                                if brands.get(o) != brands.get(pid) and find(o) == root)
                if others:
                    evidence.append({"kind": kind, "with": others})
            hand = sorted(o for o in manual.get(pid, ()) if find(o) == root)
            if hand:
                evidence.append({"kind": MANUAL, "with": hand})
            links.append(Link(pid, person, evidence))
    return links


# --- storage edge ------------------------------------------------------------------------------

def _identity(row: Any) -> Identity:
    return Identity(row.national_id_hash, row.email_hash, row.phone_hash, row.name_dob_hash)


def decision_rows(conn: Connection, players: Iterable[str] | None = None) -> list[Any]:
    """Staff decisions about pairs involving any of `players` (every decision when None)."""
    stmt = select(person_decisions).order_by(person_decisions.c.player_a, person_decisions.c.player_b)
    if players is not None:
        ids = sorted(set(players))
        if not ids:
            return []
        stmt = stmt.where(or_(person_decisions.c.player_a.in_(ids), person_decisions.c.player_b.in_(ids)))
    return list(conn.execute(stmt).all())


def load_decisions(conn: Connection, players: Iterable[str] | None = None) -> Decisions:
    rows = decision_rows(conn, players)
    return Decisions(linked=frozenset((r.player_a, r.player_b) for r in rows if r.decision == "link"),
                     separated=frozenset((r.player_a, r.player_b) for r in rows if r.decision == "separate"))


def separated_from(conn: Connection, player_id: str, candidates: Iterable[str]) -> set[str]:
    """Which of `candidates` staff decided are not the same person as `player_id`."""
    pairs = [pair(player_id, c) for c in set(candidates) if c != player_id]
    if not pairs:
        return set()
    t = person_decisions
    rows = conn.execute(select(t.c.player_a, t.c.player_b).where(
        t.c.decision == "separate", tuple_(t.c.player_a, t.c.player_b).in_(pairs))).all()
    return {b if a == player_id else a for a, b in rows}


def load_identity(conn: Connection, player_id: str) -> tuple[Identity, str, str | None] | None:
    """(identity, brand, jurisdiction) of an account, or None when it never registered here."""
    row = conn.execute(select(player_identities).where(player_identities.c.player_id == player_id)).first()
    return (_identity(row), row.brand, row.jurisdiction) if row is not None else None


def load_identities(conn: Connection, player_ids: Iterable[str]) -> dict[str, tuple[Identity, str, str | None]]:
    """`load_identity` for many accounts in one statement."""
    ids = sorted(set(player_ids))
    rows = conn.execute(select(player_identities).where(player_identities.c.player_id.in_(ids))).all() if ids else []
    return {r.player_id: (_identity(r), r.brand, r.jurisdiction) for r in rows}


def accounts_to_relink(conn: Connection, identities: dict[str, Identity]) -> set[str]:
    """Which of these (already stored) accounts share an identifier with another account or
    already belong to a person: only those need `link_account`. One statement for all the
    identifiers, one for the existing links, instead of several per account."""
    wanted: dict[str, set[str]] = {}
    for identity in identities.values():
        for kind, value in identity.pairs():
            wanted.setdefault(_COLUMN[kind], set()).add(value)
    holders: dict[tuple[str, str], set[str]] = {}
    if wanted:
        t = player_identities
        stmt = select(t.c.player_id, *(t.c[c] for c in _COLUMN.values())).where(
            or_(*(t.c[column].in_(sorted(values)) for column, values in wanted.items())))
        for row in conn.execute(stmt):
            for column in _COLUMN.values():
                value = getattr(row, column)
                if value is not None:
                    holders.setdefault((column, value), set()).add(row.player_id)
    relink = {pid for pid, identity in identities.items()
              if any(holders.get((_COLUMN[kind], value), set()) - {pid} for kind, value in identity.pairs())}
    linked = conn.execute(select(person_links.c.player_id)
                          .where(person_links.c.player_id.in_(sorted(identities)))).scalars()
    return relink | set(linked)


def store_identity(conn: Connection, player_id: str, brand: str, jurisdiction: str | None,
                   identity: Identity, at_us: int, register_status: str | None = None) -> Identity:
    """Upsert an account's identity (an update keeps identifiers it does not carry)."""
    known = load_identity(conn, player_id)
    merged = known[0].merged(identity) if known else identity
    row = {"player_id": player_id, "brand": brand or (known[1] if known else ""),
           "jurisdiction": jurisdiction or (known[2] if known else None),
           "national_id_hash": merged.national_id_hash, "email_hash": merged.email_hash,
           "phone_hash": merged.phone_hash, "name_dob_hash": merged.name_dob_hash,
           "updated_at_us": at_us}
    if register_status is not None:
        row["register_status"] = register_status
    upsert(conn, player_identities, [row], keys=("player_id",))
    return merged


def matching_accounts(conn: Connection, identity: Identity, exclude: str | None = None) -> dict[str, list[str]]:
    """Accounts sharing an identifier with `identity`: player id -> evidence kinds."""
    pairs = identity.pairs()
    if not pairs:
        return {}
    t = player_identities
    rows = conn.execute(select(t).where(or_(*(t.c[_COLUMN[k]] == v for k, v in pairs)))).all()
    out: dict[str, list[str]] = {}
    for row in rows:
        if row.player_id == exclude:
            continue
        other = _identity(row)
        out[row.player_id] = [k for k, v in pairs if getattr(other, _COLUMN[k]) == v]
    return out


def same_person_accounts(conn: Connection, player_id: str) -> list[str]:
    """What exclusions reach: the person's linked accounts on other brands, and any account
    sharing an identifier with this one (a duplicate on the same brand included), unless
    staff decided that account is someone else."""
    accounts = set(accounts_of_person(conn, player_id))
    known = load_identity(conn, player_id)
    if known is not None:
        sharing = set(matching_accounts(conn, known[0], exclude=player_id)) - accounts
        if sharing:
            accounts |= sharing - separated_from(conn, player_id, sharing)
    return sorted(accounts)


def person_of(conn: Connection, player_id: str) -> str | None:
    return conn.execute(select(person_links.c.person_id).where(person_links.c.player_id == player_id)).scalar()


def accounts_of_person(conn: Connection, player_id: str) -> list[str]:
    """Every account of the same person as `player_id` (itself included), for exclusions and
    for limits a jurisdiction sets across operators."""
    person = person_of(conn, player_id)
    if person is None:
        return [player_id]
    members = conn.execute(select(person_links.c.player_id).where(person_links.c.person_id == person)).scalars()
    return sorted(set(members) | {player_id})


def brands_of(conn: Connection, players: Sequence[str]) -> dict[str, str]:
    rows = conn.execute(select(player_identities.c.player_id, player_identities.c.brand)
                        .where(player_identities.c.player_id.in_(list(players)))).all()
    return {r.player_id: r.brand for r in rows}


def person_view(conn: Connection, player_id: str) -> dict[str, Any]:
    """The person behind an account: its accounts with their brands and the evidence (kinds of
    identifier, never the identifiers), and the staff decisions about its accounts."""
    link = conn.execute(select(person_links).where(person_links.c.player_id == player_id)).first()
    if link is None:
        known = load_identity(conn, player_id)
        return {"player_id": player_id, "person_id": None,
                "accounts": [{"player_id": player_id, "brand": known[1] if known else None,
                              "jurisdiction": known[2] if known else None, "evidence": []}],
                "decisions": _decisions_view(conn, [player_id])}
    rows = conn.execute(select(person_links, player_identities.c.brand, player_identities.c.jurisdiction)
                        .join(player_identities, player_identities.c.player_id == person_links.c.player_id,
                              isouter=True)
                        .where(person_links.c.person_id == link.person_id)
                        .order_by(person_links.c.player_id)).all()
    return {"player_id": player_id, "person_id": link.person_id,
            "accounts": [{"player_id": r.player_id, "brand": r.brand, "jurisdiction": r.jurisdiction,
                          "evidence": json.loads(r.evidence), "matched_at": _iso(r.matched_at_us)}
                         for r in rows],
            "decisions": _decisions_view(conn, [r.player_id for r in rows])}


def member_of(conn: Connection, person_id: str) -> str | None:
    """Any one account of a person (the smallest id), to open its view by person id."""
    return conn.execute(select(person_links.c.player_id).where(person_links.c.person_id == person_id)
                        .order_by(person_links.c.player_id).limit(1)).scalar()


def _decisions_view(conn: Connection, players: Sequence[str]) -> list[dict[str, Any]]:
    return [{"players": [r.player_a, r.player_b], "decision": r.decision, "by": r.actor, "reason": r.reason,
             "at": _iso(r.decided_at_us)}
            for r in sorted(decision_rows(conn, players), key=lambda r: r.decided_at_us, reverse=True)]


def _iso(at_us: int) -> str:
    from datetime import timezone

    return datetime.fromtimestamp(at_us / 1_000_000, tz=timezone.utc).isoformat()


def _apply_links(conn: Connection, scope: Sequence[str], links: list[Link], now: datetime,
                 actor: str) -> tuple[list[Event], list[tuple[str, str]]]:
    """Write the links of the accounts in `scope` (accounts no longer linked are unlinked);
    returns PersonLinked facts for what changed, and (player, person) pairs newly joined."""
    now_us = micros(now)
    current = {r.player_id: r for r in conn.execute(
        select(person_links).where(person_links.c.player_id.in_(list(scope)))).all()}
    wanted = {link.player_id: link for link in links}
    brands = brands_of(conn, list(scope))
    facts: list[Event] = []
    joined: list[tuple[str, str]] = []
    for pid in scope:
        link, old = wanted.get(pid), current.get(pid)
        if link is None:
            if old is None:
                continue
            conn.execute(delete(person_links).where(person_links.c.player_id == pid))
            link = Link(pid, person_id_for([pid]), [])
        elif old is not None and old.person_id == link.person_id and json.loads(old.evidence) == link.evidence:
            continue
        else:
            upsert(conn, person_links, [{"player_id": pid, "person_id": link.person_id,
                                         "evidence": json.dumps(link.evidence), "matched_at_us": now_us}],
                   keys=("player_id",))
            if old is None or old.person_id != link.person_id:
                joined.append((pid, link.person_id))
        fact_id = "pl_" + sha256_hex(f"{pid}|{link.person_id}|{link.kinds}|{now_us}")[:40]
        facts.append(PersonLinked(event_id=fact_id, player_id=pid, brand=brands.get(pid, ""),
                                  occurred_at=now, person_id=link.person_id, evidence=link.kinds,
                                  actor=actor, reason=json.dumps(link.evidence)))
    return facts, joined


def link_account(conn: Connection, player_id: str, now: datetime, actor: str = "engine",
                 identity: Identity | None = None) -> tuple[list[Event], list[tuple[str, str]], set[str]]:
    """Re-link `player_id` after its identity changed: it, the accounts it matches, and the
    accounts of their persons are regrouped. Returns (facts to append, newly joined pairs,
    every account related to it); pass the stored `identity` when the caller has it."""
    if identity is None:
        known = load_identity(conn, player_id)
        if known is None:
            return [], [], set()
        identity = known[0]
    direct = matching_accounts(conn, identity, exclude=player_id)
    scope = {player_id, *direct}
    persons: set[str] = set()
    decisions = Decisions()
    frontier = set(scope)
    while frontier:  # the persons of the accounts in scope, and the accounts staff linked to them
        found = set(conn.execute(select(person_links.c.person_id)
                                 .where(person_links.c.player_id.in_(sorted(frontier)))).scalars()) - persons
        if found:
            persons |= found
            scope |= set(conn.execute(select(person_links.c.player_id)
                                      .where(person_links.c.person_id.in_(sorted(found)))).scalars())
        decisions = load_decisions(conn, scope)
        frontier = {p for pr in decisions.linked for p in pr} - scope
        scope |= frontier
    if len(scope) == 1 and not persons:
        return [], [], scope
    rows = conn.execute(select(player_identities).where(player_identities.c.player_id.in_(list(scope)))).all()
    identities = {r.player_id: _identity(r) for r in rows}
    links = components(identities, {r.player_id: r.brand for r in rows}, decisions)
    facts, joined = _apply_links(conn, sorted(scope), links, now, actor)
    return facts, joined, scope


def rebuild_persons(conn: Connection, now: datetime, actor: str = "system"
                    ) -> tuple[list[Event], list[tuple[str, str]], int]:
    """Recompute every person from every account's identity (on demand, or after an import)."""
    rows = conn.execute(select(player_identities)).all()
    identities = {r.player_id: _identity(r) for r in rows}
    links = components(identities, {r.player_id: r.brand for r in rows}, load_decisions(conn))
    linked = set(conn.execute(select(person_links.c.player_id)).scalars())
    scope = sorted(linked | {link.player_id for link in links})
    facts, joined = _apply_links(conn, scope, links, now, actor)
    return facts, joined, len({link.person_id for link in links})


def append_person_facts(conn: Connection, facts: list[Event]) -> list[tuple[int, Event, int]]:
    return append_facts(conn, facts) if facts else []
