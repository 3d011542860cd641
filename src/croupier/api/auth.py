"""API authentication: `Authorization: Bearer crp_…` (or `X-API-Key`) with scopes, and
HMAC-SHA256 signatures for keys that require them (or whenever a signature is sent)."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request

from croupier.privacy import has_scope, sha256_hex, signature_problem, split_token
from croupier.store.accounts import ApiKey


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key")


def require_scope(scope: str) -> Callable[[Request], Coroutine[Any, Any, ApiKey]]:
    async def dependency(request: Request) -> ApiKey:
        token = _token(request)
        if not token:
            raise _unauthorized("an API key is required: send 'Authorization: Bearer crp_…'")
        parts = split_token(token)
        if parts is None:
            raise _unauthorized("malformed API key: expected crp_<key id>_<secret>")
        key = request.app.state.runtime.api_key(parts[0])
        if key is None or not hmac.compare_digest(key.secret_hash, sha256_hex(parts[1])):
            raise _unauthorized("unknown API key")
        if key.revoked:
            raise _unauthorized(f"API key {key.key_id} has been revoked")
        if not has_scope(key.scopes, scope):
            raise HTTPException(403, detail=f"API key {key.key_id} lacks the '{scope}' scope "
                                            f"(it has: {', '.join(sorted(key.scopes))})")
        signature = request.headers.get("x-croupier-signature")
        if key.require_signature or signature is not None:
            if not key.signing_secret:
                raise _unauthorized(f"API key {key.key_id} has no signing secret; send no signature")
            problem = signature_problem(key.signing_secret, request.headers.get("x-croupier-timestamp"),
                                        signature, await request.body(), int(time.time()))
            if problem:
                raise _unauthorized(f"bad request signature: {problem}")
        return key

    return dependency
