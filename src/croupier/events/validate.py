"""Turn request bodies into typed events, or into precise rejections.

A batch is decoded in one C pass when it is clean. When any event is bad, each event is
decoded on its own so that every valid one is kept and every bad one is reported with
its index, field, offending value and a reason a developer can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from croupier.events.money import AmountError, bounded_minor, exponent, to_minor
from croupier.events.types import (
    INBOUND_TYPES, TYPE_NAMES, AnyEvent, CasinoBet, DepositStarted, StoredEvent, Event, LimitChanged, PlayerRegistered,
    PlayerUpdated, Rollback, SportsBetPlaced, SportsBetSettled,
)

MAX_BATCH = 10_000
MAX_FUTURE = timedelta(minutes=5)
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)  # times are stored as microseconds since then
MAX_BODY_BYTES = 64 * 2**20
MAX_DEPTH = 32   # objects and arrays inside one event, the event itself counting as 1
_AMOUNT_FIELDS = {"amount", "bonus_amount", "payout", "balance", "bonus_balance"}
_batch_decoder = msgspec.json.Decoder(list[AnyEvent])
_raw_decoder = msgspec.json.Decoder(list[msgspec.Raw])
_one_decoder = msgspec.json.Decoder(AnyEvent)
_stored_decoder = msgspec.json.Decoder(StoredEvent)
_PATH = re.compile(r" - at `\$(?:\[\d+\])?\.?(?P<path>[^`]*)`$")
# JSON's structure, strings skipped whole: enough to measure nesting and to split an array
# without a recursive decoder (msgspec, like any, stops at Python's recursion limit).
_STRUCTURE = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[{]+|[\]}]+|,', re.DOTALL)
_ID_FORBIDDEN = re.compile(r"[/\\\x00-\x1f\x7f-\x9f]")


class BatchError(ValueError):
    """The request as a whole cannot be read (not JSON, not an array)."""


class BatchTooLarge(BatchError):
    """More events, or more bytes, than one request may carry."""


@dataclass(frozen=True, slots=True)
class Rejection:
    index: int
    event_id: str | None
    field: str | None
    reason: str
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "event_id": self.event_id, "field": self.field,
                "reason": self.reason, "value": self.value}


@dataclass(slots=True)
class ParsedBatch:
    """Valid events with their raw JSON (kept verbatim, unknown fields included)."""

    events: list[Event] = field(default_factory=list)
    raws: list[bytes] = field(default_factory=list)
    indexes: list[int] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


class EventError(ValueError):
    """One event is invalid: `field` names the culprit, `reason` says what to do."""

    def __init__(self, field: str | None, reason: str, value: Any = None):
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field, self.reason, self.value = field, reason, value


def parse_batch(body: bytes, now: datetime | None = None) -> ParsedBatch:
    """Decode a JSON array of events; never raises for a bad event, only for a bad body."""
    now = now or datetime.now(timezone.utc)
    if len(body) > MAX_BODY_BYTES:
        raise BatchTooLarge(f"a request body holds at most {MAX_BODY_BYTES // 2**20} MiB; this one has "
                            f"{len(body) / 2**20:.1f} MiB: split it")
    try:
        raws: list[Any] = _raw_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BatchError(
            f"the body must be a JSON array of event objects: {_plain(str(exc))}"
        ) from None
    except RecursionError:   # some event nests too deep to decode: find the events lexically
        raws = _split_array(body)
    if len(raws) > MAX_BATCH:
        raise BatchTooLarge(f"a batch holds at most {MAX_BATCH} events; this one has {len(raws)}: split it")
    out = ParsedBatch()
    nul = _NUL_ESCAPE in body  # cheap screen; the per-event check confirms
    try:
        typed = _batch_decoder.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        typed = None
    for i, raw in enumerate(raws):
        try:
            _check_depth(raw)
            event = typed[i] if typed is not None else _decode_one(raw)
            check(event, now)
            if nul:
                _check_no_nul(raw)
        except EventError as exc:
            out.rejected.append(Rejection(i, _event_id_of(raw), exc.field, exc.reason, exc.value))
            continue
        out.events.append(event)
        out.raws.append(bytes(raw))
        out.indexes.append(i)
    return out


def parse_event(obj: dict[str, Any], now: datetime | None = None) -> Event:
    """Validate one event given as a dict (file import, tests); raises EventError."""
    if not isinstance(obj, dict):
        raise EventError(None, f"an event must be a JSON object, not {type(obj).__name__}")
    try:
        raw = msgspec.json.encode(obj)
    except RecursionError:
        raise EventError(None, _too_deep()) from None
    except (TypeError, ValueError) as exc:   # not JSON-shaped (a set, bytes, a NaN…)
        raise EventError(None, f"not representable as JSON: {exc}") from None
    _check_depth(raw)
    event = _decode_one(raw)
    check(event, now or datetime.now(timezone.utc))
    _check_no_nul(raw)
    return event


_NUL_ESCAPE = b"\\u0000"


def _too_deep() -> str:
    return (f"nests objects and arrays more than {MAX_DEPTH} levels deep (the event itself is level 1); "
            "flatten the fields you add")


def json_depth(raw: bytes, stop: int = MAX_DEPTH + 1) -> int:
    """How deep objects and arrays nest in `raw` (JSON text), counted up to `stop`; found
    lexically, so any depth is measured without recursion."""
    depth = deepest = 0
    for match in _STRUCTURE.finditer(raw):
        first = raw[match.start()]
        if first in b"[{":
            depth += match.end() - match.start()
            if depth > deepest:
                deepest = depth
                if deepest >= stop:
                    return deepest
        elif first in b"]}":
            depth -= match.end() - match.start()
    return deepest


def _check_depth(raw: bytes) -> None:
    """Refuse an event nested deeper than MAX_DEPTH: decoding, storing and showing it would
    recurse without bound. A count of brackets clears nearly every event at C speed."""
    data = bytes(raw)
    if data.count(b"{") + data.count(b"[") > MAX_DEPTH and json_depth(data) > MAX_DEPTH:
        raise EventError(None, _too_deep())


def _split_array(body: bytes) -> list[bytes]:
    """The elements of a top-level JSON array, found without decoding them (for a body whose
    nesting defeats the decoder); each element is then checked on its own."""
    text = body.strip(b" \t\r\n")
    if not (text.startswith(b"[") and text.endswith(b"]")):
        raise BatchError("the body must be a JSON array of event objects")
    items: list[bytes] = []
    depth, start = 0, 1
    for match in _STRUCTURE.finditer(text, 1, len(text) - 1):
        first = text[match.start()]
        if first in b"[{":
            depth += match.end() - match.start()
        elif first in b"]}":
            depth -= match.end() - match.start()
            if depth < 0:
                raise BatchError("the body must be a JSON array of event objects: unbalanced brackets")
        elif first == ord(",") and depth == 0:
            items.append(text[start:match.start()].strip(b" \t\r\n"))
            start = match.end()
    if depth != 0:
        raise BatchError("the body must be a JSON array of event objects: unbalanced brackets")
    last = text[start:len(text) - 1].strip(b" \t\r\n")
    if last or items:
        items.append(last)
    return items


def player_id_problem(value: str) -> str | None:
    """Why `value` cannot be a player id, or None. A player id is a URL path segment: '/'
    would split it, '\\' and dot segments are rewritten by browsers, control characters
    break logs and headers (docs/protocol.md, "Player ids")."""
    if value in (".", ".."):
        return "must not be '.' or '..': the id appears in URLs, which treat them as path steps (docs/protocol.md)"
    bad = _ID_FORBIDDEN.search(value)
    if bad is not None:
        char = bad.group()
        what = (f"'{char}'" if char in "/\\" else "the NUL character (U+0000)" if char == "\x00"
                else f"the control character U+{ord(char):04X}")
        return (f"must not contain {what}: the id appears in URLs, so '/', '\\' and "
                "control characters are not allowed (docs/protocol.md, \"Player ids\")")
    return None


def _check_no_nul(raw: bytes) -> None:
    """Refuse the NUL character anywhere in an event: PostgreSQL text cannot hold it (the
    whole batch would fail there), and no real identifier, name or message needs it."""
    if _NUL_ESCAPE not in bytes(raw):
        return
    found = _find_nul(msgspec.json.decode(raw), "")
    if found is not None:
        path, value = found
        raise EventError(path or None, "must not contain the NUL character (\\u0000)", value)


def _find_nul(obj: Any, path: str) -> tuple[str, Any] | None:
    """(path, offending string) of the first NUL in a decoded event, keys included."""
    if isinstance(obj, str):
        return (path, obj) if "\x00" in obj else None
    if isinstance(obj, dict):
        for key, value in obj.items():
            where = f"{path}.{key}" if path else key
            found = (where, key) if "\x00" in key else _find_nul(value, where)
            if found is not None:
                return found
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            found = _find_nul(value, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def decode_stored(raw: bytes | str) -> Event:
    """Decode an event already in the log (trusted, no re-checking), Croupier's facts included."""
    return _stored_decoder.decode(raw)


def encode_fact(fact: Event) -> bytes:
    """JSON of one of Croupier's own facts, as the log stores it."""
    return msgspec.json.encode(fact)


def _decode_one(raw: bytes) -> Event:
    try:
        return _one_decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise _explain(str(exc), raw) from None
    except msgspec.DecodeError as exc:
        raise EventError(None, f"not valid JSON: {exc}") from None
    except UnicodeDecodeError as exc:
        raise EventError(None, f"not valid UTF-8 text (byte {exc.start} of the event): send UTF-8 JSON") from None


def _money_fields(cls: type) -> tuple[str, ...]:
    return tuple(f for f in cls.__struct_fields__ if f in _AMOUNT_FIELDS)


_MONEY_FIELDS: dict[type, tuple[str, ...]] = {cls: _money_fields(cls) for cls in INBOUND_TYPES}
_HAS_CURRENCY = frozenset(cls for cls in INBOUND_TYPES if "currency" in cls.__struct_fields__)


def _check_stake(event: CasinoBet | SportsBetPlaced) -> None:
    if event.bonus_amount != "0" and to_minor(event.bonus_amount, event.currency) > to_minor(event.amount, event.currency):
        raise EventError("bonus_amount", "cannot exceed amount (the bonus part of the stake)", event.bonus_amount)


def _check_profile(event: PlayerRegistered | PlayerUpdated) -> None:
    if event.timezone is not None and not _known_zone(event.timezone):
        raise EventError("timezone", "unknown IANA time zone; use a name such as 'Europe/Stockholm'", event.timezone)
    if event.birth_date is not None:
        try:
            date.fromisoformat(event.birth_date)
        except ValueError:
            raise EventError("birth_date", "is not a calendar date (YYYY-MM-DD)", event.birth_date) from None


def _check_limit(event: LimitChanged) -> None:
    if event.kind == "session_time":
        if event.minutes is None:
            raise EventError("minutes", "is required for a session_time limit")
    elif event.amount is None or event.currency is None:
        raise EventError("amount" if event.amount is None else "currency", f"is required for a {event.kind} limit")


def _check_rollback(event: Rollback) -> None:
    if event.ref_event_id == event.event_id:
        raise EventError("ref_event_id", "a rollback cannot undo itself", event.ref_event_id)


def _check_settlement(event: SportsBetSettled) -> None:
    if event.currency is None and (event.payout.strip("0.") or event.balance is not None):
        raise EventError("currency", "is required when payout or balance is given")


def _check_deposit_started(event: DepositStarted) -> None:
    if event.amount is not None and event.currency is None:
        raise EventError("currency", "is required with an amount")


_EXTRA_CHECKS: dict[type, Callable[[Any], None]] = {
    DepositStarted: _check_deposit_started,
    CasinoBet: _check_stake, SportsBetPlaced: _check_stake, PlayerRegistered: _check_profile,
    PlayerUpdated: _check_profile, LimitChanged: _check_limit, Rollback: _check_rollback,
    SportsBetSettled: _check_settlement,
}


def check(event: Event, now: datetime) -> None:
    """Rules beyond the schema: currency precision, future times, cross-field consistency."""
    problem = player_id_problem(event.player_id)
    if problem is not None:
        raise EventError("player_id", problem, event.player_id)
    if event.occurred_at - now > MAX_FUTURE:
        raise EventError("occurred_at", "is in the future (more than 5 minutes ahead of the server clock)",
                         event.occurred_at.isoformat())
    if event.occurred_at < EARLIEST:
        raise EventError("occurred_at", "is before 1970-01-01T00:00:00Z", event.occurred_at.isoformat())
    cls = type(event)
    if cls in _HAS_CURRENCY:
        currency = event.currency  # type: ignore[attr-defined]
        if currency is not None:
            try:
                exponent(currency)
            except AmountError as exc:
                raise EventError("currency", str(exc), currency) from None
            for name in _MONEY_FIELDS[cls]:
                value = getattr(event, name)
                if value is not None:
                    try:
                        bounded_minor(value, currency)
                    except AmountError as exc:
                        raise EventError(name, str(exc), value) from None
    extra = _EXTRA_CHECKS.get(cls)
    if extra is not None:
        extra(event)


@lru_cache(maxsize=1024)
def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):   # OSError: a name too long for a file
        return False
    return True


def _event_id_of(raw: bytes) -> str | None:
    try:
        obj = msgspec.json.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return None
    value = obj.get("event_id") if isinstance(obj, dict) else None
    return value if isinstance(value, str) else None


def _plain(message: str) -> str:
    return message.replace("`", "")


def _explain(message: str, raw: bytes) -> EventError:
    """Rewrite a msgspec message into field + a reason that says what to send instead."""
    match = _PATH.search(message)
    path = match.group("path") if match else ""
    text = _PATH.sub("", message)
    missing = re.match(r"Object missing required field `(?P<f>[^`]+)`", text)
    if missing:
        name = f"{path}.{missing['f']}" if path else missing["f"]
        if name == "type":
            return EventError("type", f"is required; one of: {', '.join(TYPE_NAMES)}")
        return EventError(name, "is required")
    value = _value_at(raw, path)
    leaf = path.rsplit(".", 1)[-1]
    if path == "type":
        return EventError("type", f"unknown event type {value!r}; known types: {', '.join(TYPE_NAMES)}", value)
    if leaf in _AMOUNT_FIELDS or leaf == "odds":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return EventError(path, 'must be a decimal string such as "10.50", not a JSON number '
                                    "(binary floats cannot hold money exactly)", value)
        if isinstance(value, str) and value.lstrip().startswith("-"):
            return EventError(path, "must not be negative; undo money with a `rollback` event", value)
        return EventError(path, 'must be a non-negative decimal string such as "10.50"', value)
    if not path and text.startswith("Expected `object`"):
        kind = text.rsplit("got ", 1)[-1].strip("`") if "got " in text else "something else"
        return EventError(None, f"an event must be a JSON object, not {kind}", value)
    if "datetime" in text or "RFC3339" in text:
        return EventError(path, "must be an RFC 3339 time with a UTC offset, e.g. "
                                "'2026-11-21T10:15:00+00:00'", value)
    if leaf == "currency":
        return EventError(path, "must be a three-letter ISO 4217 code such as 'EUR'", value)
    if leaf == "country":
        return EventError(path, "must be a two-letter ISO 3166-1 code such as 'SE'", value)
    return EventError(path or None, _plain(text), value)


def _value_at(raw: bytes, path: str) -> Any:
    try:
        obj: Any = msgspec.json.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None
    for part in filter(None, path.split(".")):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj
