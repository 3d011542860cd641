"""National exclusion registers (Spelpaus, GAMSTOP, OASIS, CRUKS, ROFUS, RGIAJ, US state
lists) behind one adapter interface.

Two adapters: `FileRegister` (lists of hashed identifiers imported from a file, refreshed on
a schedule, kept in `register_entries`) and `HttpRegister` (a generic JSON look-up over
HTTP). Identifiers are SHA-256 hex of the normalised value (see `persons`), so a register
never needs a plain identifier. A register that cannot be asked raises `RegisterUnavailable`;
callers decide what that means (registration and login fail closed).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

import httpx
from sqlalchemy import Connection, delete, func, select

from croupier.compliance.rules import JurisdictionRules, rules_for
from croupier.protection.persons import (
    Identity, hash_email, hash_national_id, hash_phone,
)
from croupier.store import Database
from croupier.store.schema import player_identities, register_batches, register_entries

IDENTIFIER_KINDS = ("national_id", "email", "phone")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class RegisterUnavailable(Exception):
    """The register could not be asked (timeout, connection refused, bad answer, stale list)."""

    def __init__(self, register: str, problem: str):
        super().__init__(f"register {register} unavailable: {problem}")
        self.register, self.problem = register, problem


@dataclass(frozen=True, slots=True)
class RegisterHit:
    register: str
    matched_on: str                    # national_id, email or phone
    until: datetime | None = None      # None: indefinite or not told


@dataclass(frozen=True, slots=True)
class RefreshResult:
    register: str
    entries: int
    changed: bool
    batch_id: str | None = None


class Register(Protocol):
    """`remote` registers are asked over the network: the engine never waits for them."""

    name: str
    remote: bool

    def check(self, identity: Identity) -> RegisterHit | None: ...

    def refresh(self) -> RefreshResult | None: ...


def _probes(identity: Identity) -> list[tuple[str, str]]:
    """(identifier kind, hash) in the order registers are asked: national id first."""
    return [(k, v) for k, v in (("national_id", identity.national_id_hash), ("email", identity.email_hash),
                                ("phone", identity.phone_hash)) if v]


# --- file import ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Entry:
    identifier_hash: str
    kind: str | None = None
    until_us: int | None = None


def hash_plain(kind: str, value: str) -> str:
    """Hash a plain identifier the way lists and identities are hashed."""
    return {"national_id": hash_national_id, "email": hash_email, "phone": hash_phone}[kind](value)


def parse_entries(text: str, plain: str | None = None) -> list[Entry]:
    """Parse a register list: one identifier per line, or CSV with a header naming
    `identifier_hash` (and optionally `kind`, `until`). Lines starting with # are comments.
    With `plain` (national_id, email or phone) the values are plain and hashed here."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        return []
    entries: list[Entry] = []
    header = [h.strip().lower() for h in lines[0].split(",")]
    if "identifier_hash" in header or "identifier" in header:
        rows: Iterable[dict[str, str]] = csv.DictReader(io.StringIO("\n".join(lines)))
        column = "identifier_hash" if "identifier_hash" in header else "identifier"
    else:
        rows = ({"identifier_hash": ln.strip()} for ln in lines)
        column = "identifier_hash"
    for n, row in enumerate(rows, start=1):
        raw = (row.get(column) or "").strip()
        kind = (row.get("kind") or plain or "").strip() or None
        if kind is not None and kind not in IDENTIFIER_KINDS:
            raise ValueError(f"entry {n}: kind {kind!r} is not one of {', '.join(IDENTIFIER_KINDS)}")
        value = hash_plain(plain, raw) if plain else raw.lower()
        if not _HEX64.match(value):
            raise ValueError(f"entry {n}: {raw[:80]!r} is not a SHA-256 hex digest (64 hex characters); "
                             "pass --plain KIND to hash plain identifiers on import")
        until = (row.get("until") or "").strip()
        until_us = None
        if until:
            moment = datetime.fromisoformat(until)
            moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
            until_us = int(moment.timestamp() * 1_000_000)
        entries.append(Entry(value, kind, until_us))
    return entries


def import_entries(conn: Connection, register: str, entries: list[Entry], source: str | None,
                   now_us: int, content_sha256: str | None = None) -> str:
    """Replace the register's list with `entries` as one batch; returns the batch id."""
    batch_id = "rb_" + hashlib.sha256(f"{register}|{now_us}|{content_sha256}".encode()).hexdigest()[:32]
    conn.execute(delete(register_entries).where(register_entries.c.register == register))
    unique = {e.identifier_hash: e for e in entries}
    rows = [{"register": register, "identifier_hash": e.identifier_hash, "kind": e.kind,
             "until_us": e.until_us, "batch_id": batch_id} for e in unique.values()]
    for start in range(0, len(rows), 5_000):
        conn.execute(register_entries.insert(), rows[start:start + 5_000])
    conn.execute(register_batches.insert().values(batch_id=batch_id, register=register, imported_at_us=now_us,
                                                  source=source, content_sha256=content_sha256,
                                                  entries=len(rows)))
    global _imports
    _imports += 1
    return batch_id


_imports = 0           # lists imported by this process: a Policy forgets "never imported" at once
ABSENT_SECONDS = 10.0  # and otherwise asks again after this long (an import by another process)


def last_batch(conn: Connection, register: str) -> Any:
    return conn.execute(select(register_batches).where(register_batches.c.register == register)
                        .order_by(register_batches.c.imported_at_us.desc()).limit(1)).first()


def imported_registers(conn: Connection) -> list[str]:
    return sorted(conn.execute(select(register_batches.c.register).distinct()).scalars())


def lookup(conn: Connection, register: str, identity: Identity, now_us: int) -> RegisterHit | None:
    probes = _probes(identity)
    if not probes:
        return None
    rows = conn.execute(select(register_entries).where(
        register_entries.c.register == register,
        register_entries.c.identifier_hash.in_([h for _, h in probes]))).all()
    by_hash = {r.identifier_hash: r for r in rows}
    for kind, value in probes:
        row = by_hash.get(value)
        if row is None or (row.kind is not None and row.kind != kind):
            continue
        if row.until_us is not None and row.until_us <= now_us:
            continue
        until = datetime.fromtimestamp(row.until_us / 1_000_000, tz=timezone.utc) if row.until_us else None
        return RegisterHit(register, kind, until)
    return None


@dataclass
class FileRegister:
    """A register published as a list of hashed identifiers. `path` (optional) is re-imported
    by `refresh` when due and changed; a list older than `max_age_hours` counts as unavailable."""

    name: str
    db: Database
    path: Path | None = None
    remote = False
    refresh_hours: float = 24.0
    max_age_hours: float | None = None
    plain: str | None = None
    clock: Callable[[], float] = time.time

    def _now_us(self) -> int:
        return int(self.clock() * 1_000_000)

    def check(self, identity: Identity) -> RegisterHit | None:
        now_us = self._now_us()
        with self.db.reader.connect() as conn:
            batch = last_batch(conn, self.name)
            if batch is None:
                raise RegisterUnavailable(self.name, "no list has been imported yet")
            if self.max_age_hours is not None and now_us - batch.imported_at_us > self.max_age_hours * 3.6e9:
                raise RegisterUnavailable(self.name, f"the list imported at {_iso(batch.imported_at_us)} is older "
                                                     f"than {self.max_age_hours:g} hours")
            return lookup(conn, self.name, identity, now_us)

    def refresh_due(self) -> bool:
        if self.path is None:
            return False
        with self.db.reader.connect() as conn:
            batch = last_batch(conn, self.name)
        return batch is None or self._now_us() - batch.imported_at_us >= self.refresh_hours * 3.6e9

    def refresh(self) -> RefreshResult | None:
        """Re-import the list from `path` (an unchanged file only records that it was checked)."""
        if self.path is None:
            return None
        data = self.path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        with self.db.engine.begin() as conn:
            batch = last_batch(conn, self.name)
            if batch is not None and batch.content_sha256 == digest:
                conn.execute(register_batches.update().where(register_batches.c.batch_id == batch.batch_id)
                             .values(imported_at_us=self._now_us()))
                return RefreshResult(self.name, batch.entries, False, batch.batch_id)
            entries = parse_entries(data.decode("utf-8-sig"), self.plain)
            batch_id = import_entries(conn, self.name, entries, str(self.path), self._now_us(), digest)
        return RefreshResult(self.name, len({e.identifier_hash for e in entries}), True, batch_id)


# --- HTTP look-up -----------------------------------------------------------------------------

@dataclass
class HttpRegister:
    """A register asked per identifier: POST `url` with {"identifier_hash": "<hex>", "kind":
    "national_id|email|phone"}, answered by {"excluded": bool, "until": RFC 3339 | null}."""

    name: str
    url: str
    remote = True
    timeout_seconds: float = 2.0
    headers: dict[str, str] = field(default_factory=dict)
    transport: httpx.BaseTransport | None = None

    def check(self, identity: Identity) -> RegisterHit | None:
        try:
            with httpx.Client(timeout=self.timeout_seconds, headers=self.headers, transport=self.transport) as client:
                for kind, value in _probes(identity):
                    answer = client.post(self.url, json={"identifier_hash": value, "kind": kind})
                    if answer.status_code != 200:
                        raise RegisterUnavailable(self.name, f"HTTP {answer.status_code} from {self.url}")
                    body = answer.json()
                    if not isinstance(body, dict) or not isinstance(body.get("excluded"), bool):
                        raise RegisterUnavailable(self.name, "answer lacks a boolean 'excluded'")
                    if body["excluded"]:
                        until = body.get("until")
                        moment = datetime.fromisoformat(until) if isinstance(until, str) and until else None
                        if moment is not None and moment.tzinfo is None:
                            moment = moment.replace(tzinfo=timezone.utc)
                        return RegisterHit(self.name, kind, moment)
        except httpx.TimeoutException:
            raise RegisterUnavailable(self.name, f"no answer within {self.timeout_seconds:g} s") from None
        except (httpx.HTTPError, ValueError) as exc:
            raise RegisterUnavailable(self.name, f"{type(exc).__name__}: {exc}") from None
        return None

    def refresh(self) -> RefreshResult | None:
        return None


# --- which registers apply ---------------------------------------------------------------------

@dataclass
class Policy:
    """The jurisdiction rules and the configured register adapters one running Croupier uses."""

    db: Database
    rules: Callable[[str | None], JurisdictionRules] = rules_for
    registers: dict[str, Register] = field(default_factory=dict)
    _absent: dict[str, tuple[int, float]] = field(default_factory=dict, repr=False)

    def rules_of(self, jurisdiction: str | None) -> JurisdictionRules:
        return self.rules(jurisdiction)

    def register_for(self, jurisdiction: str | None, conn: Connection | None = None
                     ) -> tuple[str | None, Register | None]:
        """(register named by the rules, its adapter or None when it is not configured). A
        register with an imported list but no configuration is a FileRegister. Pass the
        connection the caller holds (SQLite allows one writer: never open a second)."""
        name = self.rules_of(jurisdiction).exclusions.register
        if name is None:
            return None, None
        if name not in self.registers:
            if self._known_absent(name):   # every registration asks: not a query each time
                return name, None
            if conn is not None:
                imported = last_batch(conn, name) is not None
            else:
                with self.db.reader.connect() as own:
                    imported = last_batch(own, name) is not None
            if not imported:
                self._absent[name] = (_imports, time.monotonic())
                return name, None
            self.registers[name] = FileRegister(name, self.db)
        return name, self.registers[name]

    def _known_absent(self, name: str) -> bool:
        seen = self._absent.get(name)
        return seen is not None and seen[0] == _imports and time.monotonic() - seen[1] < ABSENT_SECONDS

    def all_registers(self) -> dict[str, Register]:
        with self.db.reader.connect() as conn:
            for name in imported_registers(conn):
                self.registers.setdefault(name, FileRegister(name, self.db))
        return dict(self.registers)

    @classmethod
    def from_config(cls, db: Database, config: dict[str, Any] | None = None,
                    rules: Callable[[str | None], JurisdictionRules] = rules_for) -> Policy:
        """Registers from a document such as
        {"SPELPAUS": {"file": {"path": "/data/spelpaus.csv", "refresh_hours": 24, "max_age_hours": 72}},
         "GAMSTOP": {"http": {"url": "https://…/lookup", "timeout_seconds": 2, "headers": {…}}}};
        default: $CROUPIER_REGISTERS (a path to such a JSON file), else none configured."""
        if config is None:
            path = os.environ.get("CROUPIER_REGISTERS")
            config = json.loads(Path(path).read_text()) if path else {}
        registers: dict[str, Register] = {}
        for name, spec in config.items():
            if "http" in spec:
                h = spec["http"]
                registers[name] = HttpRegister(name, h["url"], float(h.get("timeout_seconds", 2.0)),
                                               dict(h.get("headers", {})))
            elif "file" in spec:
                f = spec["file"]
                registers[name] = FileRegister(name, db, Path(f["path"]) if f.get("path") else None,
                                               float(f.get("refresh_hours", 24)), f.get("max_age_hours"),
                                               f.get("plain"))
            else:
                raise ValueError(f"register {name}: configure either 'file' or 'http'")
        return cls(db, rules, registers)


def refresh_due(policy: Policy) -> list[RefreshResult]:
    """Refresh every file register whose list is due (the runtime's background tick calls this)."""
    results = []
    for register in policy.all_registers().values():
        if isinstance(register, FileRegister) and register.refresh_due():
            result = register.refresh()
            if result is not None:
                results.append(result)
    return results


def market_registers(conn: Connection, policy: Policy, codes: Iterable[str]) -> list[dict[str, Any]]:
    """Each market of `codes` whose rules name a national register, and whether it can be
    asked: `configured` (an adapter or an imported list), `opted_out` (not configured, and the
    approved rules opt the market out) or `missing` (not configured: every promotion there is
    held). `held` counts the accounts recorded as waiting for a register nobody configured."""
    c = player_identities.c
    held = dict(conn.execute(select(c.jurisdiction, func.count()).where(c.register_status == "not_configured")
                             .group_by(c.jurisdiction)).all())
    out = []
    for code in sorted({*codes, *(j for j in held if j is not None)}):
        rules = policy.rules_of(code)
        name = rules.exclusions.register
        if name is None:
            continue
        _, adapter = policy.register_for(code, conn)
        opted_out = rules.exclusions.register_opt_out
        status = "configured" if adapter is not None else "opted_out" if opted_out else "missing"
        out.append({"jurisdiction": code, "name": rules.name, "register": name, "status": status,
                    "held": held.get(code, 0),
                    "opt_out_reason": rules.exclusions.register_opt_out_reason if opted_out else None})
    return out


def register_status(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(register_batches.c.register, func.max(register_batches.c.imported_at_us))
                        .group_by(register_batches.c.register)).all()
    out = []
    for name, _ in rows:
        batch = last_batch(conn, name)
        out.append({"register": name, "batch_id": batch.batch_id, "imported_at": _iso(batch.imported_at_us),
                    "entries": batch.entries, "source": batch.source})
    return out


def _iso(at_us: int) -> str:
    return datetime.fromtimestamp(at_us / 1_000_000, tz=timezone.utc).isoformat()
