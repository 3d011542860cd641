"""The wallet's hot endpoints without the framework in the way.

A deposit, withdrawal, bet or win is the one request a casino sends on every spin, and the
wallet budget (p99 < 10 ms at 1,000 requests/s) is spent mostly outside the posting: FastAPI
and Starlette cost about 0.3 ms of CPU per request here, more than the posting itself
(BENCHMARKS.md). This ASGI layer answers well-formed, authenticated requests to those four
endpoints directly: the body decoded by msgspec into the same constraints as the documented
models (`api.wallet`), the key checked as `require_scope` does, and the posting made by the
same `respond`. Anything else, an invalid body, a missing or bad key, a signed request, goes
on to the FastAPI route, which answers it (errors included) exactly as documented. The lane
only takes requests the route would accept, and answers them with the route's own code."""

from __future__ import annotations

import hmac
import re
from typing import Annotated, Any, Literal

import msgspec
from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from croupier.api import wallet
from croupier.ledger import TransferRequest
from croupier.privacy import has_scope, sha256_hex, split_token

_PATH = re.compile(r"^/v1/wallet/([^/]+)/(deposits|withdrawals|bets|wins)$")
_KINDS = {"deposits": "deposit", "withdrawals": "withdrawal", "bets": "bet", "wins": "win"}
_MAX_BODY = 64 * 1024
answered = 0   # requests this process answered in the lane (the rest went to the routes)

Amount = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,12}(\.[0-9]{1,8})?$")]
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]
TxId = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
Short = Annotated[str, msgspec.Meta(max_length=128)]


class _Money(msgspec.Struct):
    transaction_id: TxId
    amount: Amount
    currency: Currency
    brand: Short | None = None


class _Deposit(_Money):
    method: Short | None = None
    instrument_id: Short | None = None


class _Bet(_Money):
    bonus_amount: Amount | None = None
    bet_id: Short | None = None
    session_id: Short | None = None
    game_id: Short | None = None
    game_category: Literal["slots", "live_casino", "table", "crash", "bingo", "poker", "other"] | None = None


class _Win(_Money):
    bet_id: Short | None = None
    bonus_amount: Amount | None = None
    game_id: Short | None = None


_DECODERS = {"deposits": msgspec.json.Decoder(_Deposit), "withdrawals": msgspec.json.Decoder(_Deposit),
             "bets": msgspec.json.Decoder(_Bet), "wins": msgspec.json.Decoder(_Win)}


def _extra(body: Any, endpoint: str) -> dict[str, Any]:
    """The posting's fields beyond the common ones, as the route passes them."""
    if endpoint in ("deposits", "withdrawals"):
        return {"method": body.method, "instrument_id": body.instrument_id}
    bonus = wallet._minor(body.bonus_amount, body.currency, "bonus_amount")
    if endpoint == "bets":
        return {"bonus_amount": bonus, "bet_id": body.bet_id, "session_id": body.session_id,
                "game_id": body.game_id, "game_category": body.game_category}
    return {"bonus_amount": bonus, "bet_id": body.bet_id, "game_id": body.game_id}


def _authorised(runtime: Any, headers: dict[bytes, bytes]) -> bool:
    """True when the key may post (`ingest` scope) and no signature is involved; every other
    case goes to the route, whose dependency says precisely what is wrong."""
    if b"x-croupier-signature" in headers:
        return False
    auth = headers.get(b"authorization", b"").decode("latin-1")
    token = auth[7:].strip() if auth[:7].lower() == "bearer " else headers.get(b"x-api-key", b"").decode("latin-1")
    parts = split_token(token) if token else None
    if parts is None:
        return False
    key = runtime.api_key(parts[0])
    return (key is not None and hmac.compare_digest(key.secret_hash, sha256_hex(parts[1])) and not key.revoked
            and has_scope(key.scopes, "ingest") and not key.require_signature)


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
            body = _DECODERS[endpoint].decode(raw)
        except msgspec.DecodeError:
            return False
        try:
            minor = wallet._minor(body.amount, body.currency, "amount") or 0
            req = TransferRequest(transfer_id=body.transaction_id, player_id=player_id, kind=_KINDS[endpoint],
                                  currency=body.currency, amount=minor, **_extra(body, endpoint))
            response: Any = await wallet.respond(runtime, req, body.brand)
        except HTTPException as exc:   # FastAPI's own rendering of the route's errors
            from fastapi.responses import JSONResponse

            response = JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
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
