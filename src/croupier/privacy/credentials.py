"""Secrets: argon2 for staff passwords; API keys as random tokens stored as SHA-256 (they are
high-entropy, so a slow hash buys nothing); HMAC-SHA256 request signatures for providers."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# ingest: events, wallet postings and a player's own protection requests relayed by the
# operator's platform; read: reads; protection: staff decisions on a player's protection
# (imposed limits and exclusions, ending them, persons, AML status, RG cases); admin: all.
SCOPES = ("ingest", "read", "protection", "admin")
SIGNATURE_TOLERANCE_S = 300
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class NewKey:
    key_id: str
    token: str            # shown once: crp_<key_id>_<secret>
    secret_hash: str
    signing_secret: str | None


def new_api_key(signing: bool) -> NewKey:
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    return NewKey(key_id, f"crp_{key_id}_{secret}", sha256_hex(secret),
                  secrets.token_urlsafe(32) if signing else None)


def split_token(token: str) -> tuple[str, str] | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "crp" or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def check_scopes(scopes: list[str]) -> list[str]:
    bad = [s for s in scopes if s not in SCOPES]
    if bad or not scopes:
        raise ValueError(f"scopes must be among {', '.join(SCOPES)}; got {', '.join(scopes) or 'none'}")
    return scopes


def has_scope(granted: frozenset[str], needed: str) -> bool:
    return needed in granted or "admin" in granted


# The staff permissions whose decisions an API key may make with the `protection` scope (a
# tool acting for a named staff member); every other staff write over a key needs `admin`.
_PROTECTION_PERMISSIONS = frozenset({"protection.edit", "persons.manage", "aml.edit", "rg.review", "rg.assign"})


def scope_for_staff_write(permission: str) -> str:
    """The scope an API key needs to make a staff decision that takes `permission`."""
    return "protection" if permission in _PROTECTION_PERMISSIONS else "admin"


def sign(signing_secret: str, timestamp: str, body: bytes) -> str:
    """The value of X-Croupier-Signature for a body sent at `timestamp` (Unix seconds)."""
    mac = hmac.new(signing_secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signature_problem(signing_secret: str, timestamp: str | None, signature: str | None,
                      body: bytes, now_s: int) -> str | None:
    """None when the signature is valid; otherwise what is wrong with it."""
    if not timestamp or not signature:
        return "X-Croupier-Timestamp and X-Croupier-Signature headers are required for this key"
    try:
        sent = int(timestamp)
    except ValueError:
        return f"X-Croupier-Timestamp must be Unix seconds, got {timestamp!r}"
    if abs(now_s - sent) > SIGNATURE_TOLERANCE_S:
        return f"X-Croupier-Timestamp is more than {SIGNATURE_TOLERANCE_S} s from the server clock"
    if not hmac.compare_digest(sign(signing_secret, timestamp, body), signature):
        return "signature does not match the body (HMAC-SHA256 of '<timestamp>.<body>')"
    return None
