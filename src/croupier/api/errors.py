"""One shape per error, the same whichever layer found it, and declared in the OpenAPI document.

Every 422 of the API is `{"detail": Problem, "errors": [Problem, …]}`: FastAPI's request
validation, a route's own checks and the input guard (`api.guard`) all answer it, so a client
reads `detail.field`, `detail.message` and `detail.value` the same way everywhere. Every other
error is `{"detail": text or object}`. `declare_errors` writes the statuses each operation can
answer, with these bodies, into the OpenAPI document, so the contract says what the server does.
The back office (paths outside /v1) keeps FastAPI's own answers: its forms render pages."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

API_PREFIX = "/v1/"
# Operations anyone may call without a key (everything else answers 401 / 403 without one).
PUBLIC = frozenset({"/v1/health", "/v1/schema/events", "/v1/schema/facts", "/v1/features"})


class Problem(BaseModel):
    """What is wrong with one part of a request. Some routes add context (e.g. `allowed`)."""

    model_config = ConfigDict(extra="allow")
    field: str | None = Field(description="the offending field: a dotted path into the JSON body, or the "
                                          "name of the query or path parameter; null for the request as a whole")
    message: str = Field(description="what is wrong and what to send instead")
    value: Any = Field(None, description="the offending value, when there is one")


class InvalidInput(BaseModel):
    """The body of every 422."""

    detail: Problem = Field(description="the first problem found")
    errors: list[Problem] = Field(description="every problem found, `detail` first")


class Error(BaseModel):
    """The body of every other error (400, 401, 403, 404, 409, 413, 503)."""

    model_config = ConfigDict(extra="allow")
    detail: str | dict[str, Any] = Field(description="what went wrong: a sentence, or an object naming the "
                                                     "field and the reason")


def invalid(problems: list[dict[str, Any]], headers: dict[str, str] | None = None) -> JSONResponse:
    """The 422 response for `problems` (each with field, message and value)."""
    problems = [{"field": p.get("field"), "message": p.get("message", ""), "value": _jsonable(p.get("value")),
                 **{k: _jsonable(v) for k, v in p.items() if k not in ("field", "message", "value")}}
                for p in problems]
    return JSONResponse({"detail": problems[0], "errors": problems}, status_code=422, headers=headers)


def problem_of(detail: Any) -> dict[str, Any]:
    """A route's HTTPException(422) detail as a Problem: a sentence becomes the message, an
    object keeps its field and value (`error` is the older name of `message`)."""
    if isinstance(detail, dict):
        rest = {k: v for k, v in detail.items() if k not in ("field", "message", "error", "value")}
        message = detail.get("message", detail.get("error", ""))
        return {"field": detail.get("field"), "message": str(message), "value": detail.get("value"), **rest}
    return {"field": None, "message": str(detail), "value": None}


def error_response(status: int, detail: Any, headers: dict[str, str] | None = None) -> JSONResponse:
    """How the API renders an HTTP error (also used by the wallet lane, which bypasses routing)."""
    if status == 422:
        return invalid([problem_of(detail)], headers)
    return JSONResponse(_jsonable({"detail": detail}), status_code=status, headers=headers)


def _field_of(loc: tuple[Any, ...]) -> str | None:
    """FastAPI's ("body", "consents", "email") -> "consents.email"; ("query", "limit") -> "limit"."""
    parts = loc[1:] if loc and loc[0] in ("body", "query", "path", "header", "cookie") else loc
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or None


def _validation_problem(error: dict[str, Any]) -> dict[str, Any]:
    kind = error.get("type", "")
    if kind == "json_invalid":
        reason = (error.get("ctx") or {}).get("error", "")
        return {"field": None, "message": f"the body is not valid JSON: {reason}".rstrip(": "), "value": None}
    field = _field_of(tuple(error.get("loc", ())))
    if kind == "missing":
        return {"field": field, "message": "is required" if field else "a JSON body is required", "value": None}
    value = error.get("input")
    return {"field": field, "message": explain_invalid(kind, field, value, error.get("ctx") or {},
                                                       str(error.get("msg", ""))), "value": value}


# Decimal-string money fields and currency codes, worded as the event protocol words them
# (events.validate), so a wallet call and an event say the same thing about the same mistake.
MONEY_FIELDS = frozenset({"amount", "bonus_amount", "payout", "balance", "bonus_balance"})
_MONEY_EXAMPLE = 'a decimal string such as "10.50"'


def _json_kind(value: Any) -> str:
    """What a JSON value is, in words: an array, a string, a number, true or false, null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    return "an object" if isinstance(value, dict) else type(value).__name__


def _choices(ctx: dict[str, Any]) -> str:
    expected = str(ctx.get("expected", ""))
    return expected.replace(" or ", ", ")


def explain_invalid(kind: str, field: str | None, value: Any, ctx: dict[str, Any], fallback: str) -> str:
    """A request-validation error in words a developer can act on: what was wrong, with which
    value, and what to send instead (pydantic's own wording, such as "Input should be a valid
    dictionary", names its internals, not the fix)."""
    leaf = (field or "").rsplit(".", 1)[-1]
    if field is None and isinstance(value, (bytes, bytearray)):
        return ("the body must be a JSON object sent with Content-Type: application/json; this one was not JSON "
                "(a form or plain text)")
    if field is None and kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"the body must be a JSON object with the fields this operation documents, not {_json_kind(value)}"
    if leaf in MONEY_FIELDS and kind in ("string_type", "string_pattern_mismatch"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return (f"must be {_MONEY_EXAMPLE}, not a JSON number (binary floats cannot hold money exactly)")
        if isinstance(value, str) and value.lstrip().startswith("-"):
            return f"must not be negative: send the amount as {_MONEY_EXAMPLE}"
        if isinstance(value, str):
            return (f"must be {_MONEY_EXAMPLE}: digits, then a point and decimals if any (up to 12 digits "
                    f"before the point and 8 after), got {value[:40]!r}")
        return f"must be {_MONEY_EXAMPLE}, not {_json_kind(value)}"
    if leaf == "currency" and kind in ("string_type", "string_pattern_mismatch"):
        return "must be a three-letter ISO 4217 code in capitals such as 'EUR'" + (
            f", got {value[:40]!r}" if isinstance(value, str) else f", not {_json_kind(value)}")
    if kind == "string_type":
        return f"must be a string, not {_json_kind(value)}"
    if kind == "string_too_short":
        least = ctx.get("min_length", 1)
        return "must not be empty" if least == 1 else f"must be at least {least} characters"
    if kind == "string_too_long":
        got = f"; this one has {len(value):,}" if isinstance(value, str) else ""
        return f"must be at most {ctx.get('max_length')} characters{got}"
    if kind == "string_pattern_mismatch":
        return f"does not have the form this field takes (the pattern {ctx.get('pattern')})"
    if kind in ("literal_error", "enum"):
        got = f", got {value[:40]!r}" if isinstance(value, str) else f", not {_json_kind(value)}"
        return f"must be one of {_choices(ctx)}{got}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false, not {_json_kind(value)}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be a whole number, not {_json_kind(value)}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = next(iter(ctx.values()), "")
        words = {"greater_than_equal": "at least", "greater_than": "more than", "less_than_equal": "at most",
                 "less_than": "less than"}[kind]
        return f"must be {words} {bound}"
    if kind in ("dict_type", "model_type"):
        return f"must be a JSON object, not {_json_kind(value)}"
    if kind == "list_type":
        return f"must be a JSON array, not {_json_kind(value)}"
    if kind == "extra_forbidden":
        return "is not a field this operation takes"
    if kind == "value_error":   # a validator's own sentence, without pydantic's prefix
        return fallback.removeprefix("Value error, ")
    return fallback


def _jsonable(value: Any) -> Any:
    """`value` as JSON can carry it (an echoed input may be bytes or an object)."""
    try:
        return jsonable_encoder(value)
    except (TypeError, ValueError):
        return repr(value)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if not request.url.path.startswith(API_PREFIX):
        return await request_validation_exception_handler(request, exc)
    return invalid([_validation_problem(e) for e in exc.errors()] or [{"field": None, "message": "invalid request"}])


async def _on_http_error(request: Request, exc: Exception) -> Any:
    assert isinstance(exc, StarletteHTTPException)
    if not request.url.path.startswith(API_PREFIX) or exc.status_code != 422:
        return await http_exception_handler(request, exc)
    return invalid([problem_of(exc.detail)], dict(exc.headers or {}) or None)


def install(app: FastAPI) -> None:
    """Answer every 422 of the API in the one shape."""
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)


_DESCRIPTIONS = {
    400: "The request cannot be read as sent (e.g. a body that is not UTF-8 JSON): `detail` says why",
    401: "No API key, or an unknown, malformed or revoked one (`WWW-Authenticate: Bearer`)",
    403: "The key (or the staff member named) lacks the scope or permission this operation needs",
    404: "Not found: `detail` names what",
    409: "Conflicts with the current state: `detail` says why",
    413: "The body is larger than this route class accepts (docs/integration.md, \"Request limits\")",
    422: "A field is invalid: `detail.field` names it, `detail.message` says why, `detail.value` echoes it; "
         "`errors` lists every problem",
    503: "A dependency (a national register) did not answer: try again later",
}


def declare_errors(spec: dict[str, Any]) -> None:
    """Declare in `spec` every error status each /v1 operation can answer, with its body.

    All operations: 422 (the input guard refuses NUL characters in any query or path, and
    control characters in paths). Operations that are not GETs: 413; those that take a body:
    400 too. Every operation except the PUBLIC ones: 401 and 403. Those with a path parameter:
    404. A status a route declared itself keeps its description and gets the body shape."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for model in (Problem, InvalidInput, Error):
        body = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in body.pop("$defs", {}).items():
            schemas[name] = sub
        schemas[model.__name__] = body
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for path, operations in spec.get("paths", {}).items():
        if not path.startswith(API_PREFIX):
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            wanted = {422}
            if method != "get":
                wanted.add(413)
            if "requestBody" in operation:   # FastAPI's answer to a body it cannot parse (not UTF-8)
                wanted.add(400)
            if path not in PUBLIC:
                wanted |= {401, 403}
            if "{" in path:   # nothing under that id (or an id with '/', which no route matches)
                wanted.add(404)
            for status in wanted:
                responses.setdefault(str(status), {})
            for status, response in responses.items():
                code = int(status) if status.isdigit() else 0
                if code < 400:
                    continue
                response.setdefault("description", _DESCRIPTIONS.get(code, "Error"))
                if code == 422 and response["description"] == "Validation Error":
                    response["description"] = _DESCRIPTIONS[422]
                model = "InvalidInput" if code == 422 else "Error"
                response["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}}
