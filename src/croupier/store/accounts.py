"""Staff users, their sessions, and API keys."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from sqlalchemy import Connection, select

from croupier.privacy import ROLES, check_scopes, hash_password, new_api_key, sha256_hex
from croupier.store.schema import api_keys, staff_sessions, staff_users

SESSION_HOURS = 12


def _now_us() -> int:
    return time.time_ns() // 1000


@dataclass(frozen=True)
class StaffUser:
    user_id: int
    username: str
    role: str
    password_hash: str
    disabled: bool
    time_zone: str | None = None   # IANA name; None: the operator's default
    locale: str | None = None      # e.g. "sv", "en_GB"; None: the operator's default


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    scopes: frozenset[str]
    secret_hash: str
    signing_secret: str | None
    require_signature: bool
    revoked: bool


def create_user(conn: Connection, username: str, password: str, role: str) -> int:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    if not username.strip():
        raise ValueError("username must not be empty")
    if conn.execute(select(staff_users.c.user_id).where(staff_users.c.username == username)).first():
        raise ValueError(f"a user named {username!r} already exists")
    result = conn.execute(staff_users.insert().values(
        username=username, password_hash=hash_password(password), role=role,
        created_at_us=_now_us(), disabled=False))
    return result.inserted_primary_key[0]


def find_user(conn: Connection, username: str) -> StaffUser | None:
    row = conn.execute(select(staff_users).where(staff_users.c.username == username)).first()
    return _user(row) if row else None


def list_users(conn: Connection) -> list[StaffUser]:
    return [_user(r) for r in conn.execute(select(staff_users).order_by(staff_users.c.username))]


def _user(row) -> StaffUser:  # noqa: ANN001
    return StaffUser(row.user_id, row.username, row.role, row.password_hash, row.disabled,
                     row.time_zone, row.locale)


def set_display(conn: Connection, user_id: int, time_zone: str | None, locale: str | None) -> None:
    """Store a user's time zone and locale (validated by the caller; None: the operator's default)."""
    conn.execute(staff_users.update().where(staff_users.c.user_id == user_id)
                 .values(time_zone=time_zone, locale=locale))


def open_session(conn: Connection, user_id: int) -> tuple[str, str]:
    """Start a session; returns (token for the cookie, CSRF token). Only hashes are stored."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    now = _now_us()
    conn.execute(staff_sessions.insert().values(
        token_hash=sha256_hex(token), user_id=user_id, csrf_token=csrf, created_at_us=now,
        expires_at_us=now + SESSION_HOURS * 3_600_000_000))
    return token, csrf


def session_user(conn: Connection, token: str) -> tuple[StaffUser, str] | None:
    """The live session's user and CSRF token, or None (unknown, expired, user disabled)."""
    row = conn.execute(
        select(staff_users, staff_sessions.c.csrf_token, staff_sessions.c.expires_at_us)
        .join(staff_sessions, staff_sessions.c.user_id == staff_users.c.user_id)
        .where(staff_sessions.c.token_hash == sha256_hex(token))).first()
    if row is None or row.expires_at_us < _now_us() or row.disabled:
        return None
    return _user(row), row.csrf_token


def close_session(conn: Connection, token: str) -> None:
    conn.execute(staff_sessions.delete().where(staff_sessions.c.token_hash == sha256_hex(token)))


def create_key(conn: Connection, name: str, scopes: list[str], signing: bool = False) -> tuple[str, str | None]:
    """Create an API key; returns (token, signing secret). Neither is retrievable later
    except the signing secret, which the server needs to verify signatures."""
    check_scopes(scopes)
    key = new_api_key(signing)
    conn.execute(api_keys.insert().values(
        key_id=key.key_id, secret_hash=key.secret_hash, name=name, scopes=",".join(scopes),
        signing_secret=key.signing_secret, require_signature=signing, created_at_us=_now_us()))
    return key.token, key.signing_secret


def find_key(conn: Connection, key_id: str) -> ApiKey | None:
    row = conn.execute(select(api_keys).where(api_keys.c.key_id == key_id)).first()
    if row is None:
        return None
    return ApiKey(row.key_id, row.name, frozenset(row.scopes.split(",")), row.secret_hash,
                  row.signing_secret, row.require_signature, row.revoked_at_us is not None)


def list_keys(conn: Connection) -> list[dict]:
    rows = conn.execute(select(api_keys.c.key_id, api_keys.c.name, api_keys.c.scopes,
                               api_keys.c.require_signature, api_keys.c.created_at_us,
                               api_keys.c.revoked_at_us).order_by(api_keys.c.created_at_us))
    return [dict(r._mapping) for r in rows]


def revoke_key(conn: Connection, key_id: str) -> bool:
    result = conn.execute(api_keys.update().where(api_keys.c.key_id == key_id,
                                                  api_keys.c.revoked_at_us.is_(None))
                          .values(revoked_at_us=_now_us()))
    return result.rowcount == 1
