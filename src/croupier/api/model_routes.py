"""The operator's RG models over the API: train on the log, list, read a model's card, and
propose one for activation (a configuration proposal: four-eyes approval, shadow and
activation follow on /v1/config/versions).

Reads need `rg.view` (a session, or a `read` key). Training and proposing need
`config.edit`, as any configuration proposal does: a back-office session with its CSRF
token, or an `admin` key with `X-Croupier-Actor` naming the staff member.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from croupier.api.answers import now_us as _now_us
from croupier.api.auth import Actor, actor
from croupier.api.config_routes import refused
from croupier.compliance.config_store import ConfigRefused

router = APIRouter(prefix="/v1/models", tags=["models"])
TRAIN_KEYS = {"seed", "gap_days", "controls_per_positive", "split_at", "propose", "comment"}
_TRAIN_BODY = {"requestBody": {"required": False, "content": {"application/json": {"schema": {
    "type": "object", "additionalProperties": False,
    "properties": {"seed": {"type": "integer"}, "gap_days": {"type": "integer", "minimum": 1},
                   "controls_per_positive": {"type": "integer", "minimum": 1, "maximum": 20},
                   "split_at": {"type": "string", "format": "date",
                                "description": "validation split date (UTC): train before, validate after"},
                   "propose": {"type": "boolean", "description": "also propose it for activation"},
                   "comment": {"type": "string"}}}}}}}


async def _body(request: Request, allowed: set[str]) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = await request.json()
    except ValueError as exc:
        raise HTTPException(400, detail=f"the body is not valid JSON ({exc}); send a JSON object") from None
    if not isinstance(body, dict):
        raise HTTPException(400, detail="the body must be a JSON object")
    unknown = set(body) - allowed
    if unknown:
        raise HTTPException(400, detail=f"unknown keys {sorted(unknown)}; this operation takes {sorted(allowed)}")
    return body


def _int(body: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = body.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise HTTPException(422, detail={"field": key, "message": f"must be an integer from {low} to {high}",
                                         "value": value})
    return value


def _bool(body: dict[str, Any], key: str) -> bool:
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise HTTPException(422, detail={"field": key, "message": "must be true or false", "value": value})
    return value


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise HTTPException(422, detail={"field": key, "message": "must be a string", "value": value})
    return value or ""


def train_now(runtime: Any, who: Actor, body: dict[str, Any]) -> dict[str, Any]:
    """Train on the log, keep the model; with `propose`, propose it too. Shared with the back office."""
    from croupier.models.rg import service
    from croupier.models.rg.train import TrainingRefused

    seed = _int(body, "seed", 0, 0, 2**31 - 1)
    gap_days = _int(body, "gap_days", 1, 1, 365)
    controls = _int(body, "controls_per_positive", 3, 1, 20)
    propose, comment = _bool(body, "propose"), _text(body, "comment")
    split_us = None
    if body.get("split_at") is not None:
        try:
            text = body["split_at"]
            if not isinstance(text, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):   # not 20260301, 2026-W09-1
                raise ValueError(text)
            day = date.fromisoformat(text)
        except ValueError:
            raise HTTPException(422, detail={"field": "split_at", "message": "must be a date YYYY-MM-DD",
                                             "value": body["split_at"]}) from None
        split_us = int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()) * 1_000_000
    runtime.refresh_config()
    now_us = _now_us()
    with runtime.db.engine.begin() as conn:
        try:
            result = service.train(conn, runtime.config, actor=who.principal, now_us=now_us, seed=seed,
                                   gap_days=gap_days, controls_per_positive=controls, split_at_us=split_us)
        except TrainingRefused as exc:
            raise HTTPException(422, detail=str(exc)) from None
    version = result.model.version
    if propose:
        propose_now(runtime, who, version, comment)
    with runtime.db.reader.connect() as conn:
        return service.get_model(conn, version)


def propose_now(runtime: Any, who: Actor, version: str, comment: str = "") -> str:
    from croupier.models.rg import service

    runtime.refresh_config()
    with runtime.db.engine.begin() as conn:
        try:
            return service.propose(conn, version, actor=who.username, in_force=runtime.config, now_us=_now_us(),
                                   comment=comment, via=who.via).version_id
        except service.ModelNotFound as exc:
            raise HTTPException(404, detail=str(exc)) from None


@router.get("/rg", summary="The RG models trained on this operator's log, newest first",
            description="Each with its kind (the better-validated fit), validation AUC (and both fits'), Brier score, "
                        "the share of unlabelled players flagged at each level, its top inputs and the "
                        "configuration version it was proposed as. Needs rg.view.")
async def list_rg_models(request: Request) -> Any:
    from croupier.models.rg import service

    await actor(request, "rg.view")

    def read() -> list[dict[str, Any]]:
        with request.app.state.runtime.db.reader.connect() as conn:
            return service.list_models(conn)
    return {"models": await run_in_threadpool(read)}


@router.get("/rg/{version}", summary="One RG model: the model (live format) and its report (the model card)",
            responses={404: {"description": "No such model"}})
async def get_rg_model(version: str, request: Request) -> Any:
    from croupier.models.rg import service

    await actor(request, "rg.view")

    def read() -> dict[str, Any]:
        with request.app.state.runtime.db.reader.connect() as conn:
            try:
                return service.get_model(conn, version)
            except service.ModelNotFound as exc:
                raise HTTPException(404, detail=str(exc)) from None
    return await run_in_threadpool(read)


@router.post("/rg/train", status_code=201, openapi_extra=_TRAIN_BODY,
             responses={400: {"description": "The body is not a JSON object, or has unknown keys"},
                        409: {"description": "propose: the same configuration is already pending"},
                        422: {"description": "Refused: too few labelled players, a bad split, bad parameters"}},
             summary="Train the RG model on the log now (optionally propose it for activation)",
             description="Labels: gambling-harm exclusions and harm-confirming RG reviews; features as of a "
                         "cut-off before each label, with tenure-matched controls; validated on a time split. "
                         "Needs config.edit: a session with X-CSRF-Token, or an `admin` key with X-Croupier-Actor.")
async def train_rg_model(request: Request) -> Any:
    who = await actor(request, "config.edit")
    body = await _body(request, TRAIN_KEYS)
    try:
        return await run_in_threadpool(train_now, request.app.state.runtime, who, body)
    except ConfigRefused as exc:
        return refused(exc)


@router.post("/rg/{version}/propose", status_code=201,
             responses={404: {"description": "No such model"},
                        409: {"description": "The same configuration is already pending, or already in force"}},
             summary="Propose the configuration in force with this RG model: four-eyes approval, shadow and "
                     "activation follow on /v1/config/versions",
             description="Needs config.edit: a session with X-CSRF-Token, or an `admin` key with X-Croupier-Actor.")
async def propose_rg_model(version: str, request: Request) -> Any:
    who = await actor(request, "config.edit")
    comment = _text(await _body(request, {"comment"}), "comment")
    try:
        proposed = await run_in_threadpool(propose_now, request.app.state.runtime, who, version, comment)
    except ConfigRefused as exc:
        return refused(exc)
    return JSONResponse({"model": version, "config_version": proposed, "status": "proposed"}, status_code=201)
