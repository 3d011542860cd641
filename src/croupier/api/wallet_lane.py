"""The wallet's hot endpoints without the framework in the way.

A deposit, withdrawal, bet or win is the one request a casino sends on every spin, and the
wallet budget (p99 < 10 ms at 1,000 requests/s) is spent mostly outside the posting: FastAPI
and Starlette cost about 0.3 ms of CPU per request here, more than the posting itself
(BENCHMARKS.md). This ASGI layer answers well-formed, authenticated requests to those four
endpoints directly: the body validated by the documented models themselves (`api.wallet`),
the key checked as `require_scope` does, and the posting made by the same `respond`.
Anything else, an invalid body, a missing or bad key, a signed request, goes on to the
FastAPI route, which answers it (errors included) exactly as documented. The lane only takes
requests the route would accept, and answers them with the route's own code. The input
guard (`api.guard`) stands in front of it: its body limit and NUL checks hold here too."""

from __future__ import annotations

import re
from typing import Any

from fastapi import HTTPException
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from croupier.api import wallet
from croupier.api.auth import key_with_scope
from croupier.api.errors import error_response

_PATH = re.compile(r"^/v1/wallet/([^/]+)/(deposits|withdrawals|bets|wins)$")
_KINDS = {"deposits": "deposit", "withdrawals": "withdrawal", "bets": "bet", "wins": "win"}
_MAX_BODY = 64 * 1024
answered = 0   # requests this process answered in the lane (the rest went to the routes)

# The documented request models themselves: the lane accepts exactly what the routes accept.
_MODELS = {"deposits": wallet.DepositBody, "withdrawals": wallet.DepositBody, "bets": wallet.BetBody,
           "wins": wallet.WinBody}


def _authorised(runtime: Any, headers: dict[bytes, bytes]) -> bool:
    """True when the key may post (`ingest` scope) and no signature is involved; every other
    case goes to the route, whose dependency says precisely what is wrong."""
    if b"x-croupier-signature" in headers:
        return False
    auth = headers.get(b"authorization", b"").decode("latin-1")
    token = auth[7:].strip() if auth[:7].lower() == "bearer " else headers.get(b"x-api-key", b"").decode("latin-1")
    try:
        return not key_with_scope(runtime, token, "ingest").require_signature
    except HTTPException:
        return False


class WalletLane:
    """ASGI middleware (`app.add_middleware(WalletLane)`); the runtime is the app's."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _PATH.match(scope.get("path", "")) if scope["type"] == "http" and scope["method"] == "POST" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        body, messages = await _read(receive)
        if body is None or not await self._answer(scope, match, body, send):
            await self.app(scope, _replay(messages, receive), send)

    async def _answer(self, scope: Scope, match: re.Match, raw: bytes, send: Send) -> bool:
        runtime = scope["app"].state.runtime
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"application/json").split(b";")[0].strip()
        if content_type != b"application/json" or not _authorised(runtime, headers):
            return False
        player_id, endpoint = match.group(1), match.group(2)
        try:
            body = _MODELS[endpoint].model_validate_json(raw)
        except ValidationError:   # the route answers with the documented 422
            return False
        try:
            req = wallet.transfer_of(player_id, body, _KINDS[endpoint], **wallet.play_fields(body))
            response: Any = await wallet.respond(runtime, req, body.brand)
        except HTTPException as exc:   # rendered as the app's exception handlers render the route's
            response = error_response(exc.status_code, exc.detail, exc.headers)
        await response(scope, _no_body, send)
        global answered
        answered += 1
        return True


async def _read(receive: Receive) -> tuple[bytes | None, list[Message]]:
    """The whole body (None when it is too big for the lane), and the messages read."""
    messages, chunks, size = [], [], 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return None, messages
        chunk = message.get("body", b"")
        size += len(chunk)
        chunks.append(chunk)
        if size > _MAX_BODY:
            return None, messages
        if not message.get("more_body", False):
            return b"".join(chunks), messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def again() -> Message:
        return pending.pop(0) if pending else await receive()

    return again


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}
