"""What every route refuses before it runs, so that no route, old or new, has to remember it:

- a body over its route class's limit: 413, decided from `Content-Length` before anything is
  read, or, for a chunked body, as soon as the bytes counted pass the limit;
- the NUL character anywhere in the path, a query parameter or the body (a JSON `\\u0000`
  escape, a form's `%00`, a raw NUL byte): 422. PostgreSQL text cannot hold it (the request
  failed with a 500 there) and SQLite stored it; no identifier, name or message needs it.
  In the path also other control characters, `\\` and `.` or `..` as a segment (decoded from
  `%2E`): ids in URLs never hold them (docs/protocol.md, "Player ids"), and a write must not
  create a record no URL can reach;
- JSON nested deeper than MAX_DEPTH levels: 422 (a recursive decoder would fail on it);
- a JSON number that is not finite: the `NaN` and `Infinity` literals Python's decoder takes
  though JSON has none, and numbers beyond a double's range such as `1e400`: 422 naming the
  field (a route that echoed the value in its answer failed with a 500, and one that stored it
  kept a value no JSON answer can carry).

POST /v1/events keeps its own rule for bodies: an event with a NUL or nested too deep is
rejected alone and the rest of the batch is stored (events.validate); its size is capped here.
It is the outermost layer of the app, in front of the wallet lane (`api.wallet_lane`), which
answers wallet postings without routing: the limits hold there too."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from croupier.api.errors import invalid
from croupier.events import MAX_DEPTH, json_depth
from croupier.events.validate import MAX_BODY_BYTES

KIB, MIB = 1024, 2**20
EVENTS_PATH = "/v1/events"
DEFAULT_LIMIT = 64 * KIB
EVENTS_LIMIT = ("event batches (POST /v1/events)", MAX_BODY_BYTES)
CONFIG_LIMIT = ("configuration documents (/v1/config/…, /config/…)", 1 * MIB)
DEFAULT = ("every other route", DEFAULT_LIMIT)
_CONFIG_PREFIXES = ("/v1/config/", "/config/")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")
_DOT_SEGMENT = re.compile(r"/\.\.?(?:/|$)")
# `\u0000` preceded by an even number of backslashes: the escape itself, not an escaped backslash.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_NUL_MESSAGE = "must not contain the NUL character (\\u0000)"
# What a non-finite number can look like in a body: a literal, or an exponent of 3+ digits.
_NON_FINITE = re.compile(rb"NaN|Infinity|[eE][+-]?0*[1-9][0-9]{2,}")
_NON_FINITE_MESSAGE = ("must be a finite number: JSON has no NaN or Infinity, and this number is beyond the range "
                       "of a double")


def body_limit(path: str) -> tuple[str, int]:
    """(route class, maximum body bytes) for a request to `path`."""
    if path == EVENTS_PATH:
        return EVENTS_LIMIT
    return CONFIG_LIMIT if path.startswith(_CONFIG_PREFIXES) else DEFAULT


def _size(n: int) -> str:
    return f"{n // MIB} MiB" if n >= MIB and n % MIB == 0 else f"{n // KIB} KiB"


class InputGuard:
    """ASGI middleware; add it last (`add_middleware`) so that it is the outermost layer."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        problem = _path_problem(path) or _query_problem(scope.get("query_string", b""))
        if problem is not None:
            await _answer(_invalid(problem), scope, send)
            return
        route_class, limit = body_limit(path)
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await _answer(_too_large(route_class, limit, int(declared)), scope, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":   # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _answer(_too_large(route_class, limit, None), scope, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and path != EVENTS_PATH:
            problem = _body_problem(body, headers.get(b"content-type", b""))
            if problem is not None:
                await _answer(_invalid(problem), scope, send)
                return
        await self.app(scope, _replay(body, receive), send)


def _path_problem(path: str) -> dict[str, Any] | None:
    bad = _CONTROL.search(path)
    if bad is not None and bad.group() != "\\":
        return {"field": "path", "message": f"the URL path must not contain control characters (found "
                                           f"U+{ord(bad.group()):04X}); ids never contain them", "value": path}
    if bad is not None or ("/." in path and _DOT_SEGMENT.search(path)):
        return {"field": "path", "message": "the URL path must not contain '\\' or a '.' or '..' segment "
                                           "(also as %5C or %2E): ids never do", "value": path}
    return None


def _query_problem(query: bytes) -> dict[str, Any] | None:
    if not query or (b"%00" not in query and b"\x00" not in query):
        return None
    for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if "\x00" in key or "\x00" in value:
            return {"field": key.replace("\x00", "") or None, "message": _NUL_MESSAGE, "value": value}
    return None


def _body_problem(body: bytes, content_type: bytes) -> dict[str, Any] | None:
    kind = content_type.split(b";")[0].strip().lower()
    if kind in (b"application/x-www-form-urlencoded", b"multipart/form-data"):
        if b"\x00" in body or (kind != b"multipart/form-data" and b"%00" in body):
            found = None
            if kind == b"application/x-www-form-urlencoded":
                found = next(((k, v) for k, v in parse_qsl(body.decode("latin-1"), keep_blank_values=True)
                              if "\x00" in k or "\x00" in v), None)
            return {"field": found[0] if found else None, "message": _NUL_MESSAGE,
                    "value": found[1] if found else None}
        return None
    # Anything else may be read as JSON (a route can call request.json() whatever the type).
    if b"\x00" in body:
        return {"field": None, "message": "the body " + _NUL_MESSAGE, "value": None}
    if body.count(b"{") + body.count(b"[") > MAX_DEPTH and json_depth(body) > MAX_DEPTH:
        return {"field": None, "message": f"the JSON body nests objects and arrays more than {MAX_DEPTH} "
                                          "levels deep", "value": None}
    if b"\\u0000" in body and _JSON_NUL.search(body):
        field, value = _json_nul(body)
        return {"field": field, "message": _NUL_MESSAGE, "value": value}
    if _NON_FINITE.search(body):
        found = _json_non_finite(body)
        if found is not None:
            return {"field": found[0], "message": _NON_FINITE_MESSAGE, "value": found[1]}
    return None


class _NonFinite(str):
    """The text of a non-finite number, kept where the decoder met it."""


def _non_finite_float(text: str) -> Any:
    value = float(text)
    return value if value - value == 0 else _NonFinite(text)   # inf - inf and nan - nan are nan


def _json_non_finite(body: bytes) -> tuple[str | None, str] | None:
    """(path, text) of the first non-finite number in a JSON body; None if there is none or
    the body is not JSON (the route says so)."""
    import json

    try:
        root = json.loads(body, parse_constant=_NonFinite, parse_float=_non_finite_float)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    stack: list[tuple[str, Any]] = [("", root)]
    while stack:
        path, obj = stack.pop()
        if isinstance(obj, _NonFinite):
            return path or None, str(obj)
        if isinstance(obj, dict):
            stack.extend((f"{path}.{key}" if path else key, value) for key, value in reversed(list(obj.items())))
        elif isinstance(obj, list):
            stack.extend((f"{path}[{i}]", value) for i, value in reversed(list(enumerate(obj))))
    return None


def _json_nul(body: bytes) -> tuple[str | None, Any]:
    """(path, string) of the first NUL in a JSON body, keys included; (None, None) if it is not JSON."""
    try:
        root = msgspec.json.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return None, None
    stack: list[tuple[str, Any]] = [("", root)]
    while stack:
        path, obj = stack.pop()
        if isinstance(obj, str):
            if "\x00" in obj:
                return path or None, obj
        elif isinstance(obj, dict):
            for key, value in reversed(list(obj.items())):
                where = f"{path}.{key}" if path else key
                if "\x00" in key:
                    return where, key
                stack.append((where, value))
        elif isinstance(obj, list):
            stack.extend((f"{path}[{i}]", value) for i, value in reversed(list(enumerate(obj))))
    return None, None


def _invalid(problem: dict[str, Any]) -> Response:
    return invalid([problem])


def _too_large(route_class: str, limit: int, declared: int | None) -> Response:
    has = f"this one has {declared:,} bytes" if declared is not None else "this one is larger"
    return JSONResponse({"detail": f"request bodies to {route_class} are limited to {_size(limit)} "
                                   f"({limit:,} bytes); {has}: split or shorten it"},
                        status_code=413, headers={"Connection": "close"})


async def _answer(response: Response, scope: Scope, send: Send) -> None:
    await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body read, as one message; then the client's own messages (a disconnect)."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again
