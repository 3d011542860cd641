"""The REST API, version 1."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from croupier import __version__
from croupier.analytics import dashboard
from croupier.api.auth import require_scope, sees_aml
from croupier.api.player_view import count_matches, player_360, search, timeline
from croupier.api.rg_routes import case_queue
from croupier.events import MAX_BATCH, BatchError, BatchTooLarge, event_json_schema, fact_json_schema
from croupier.players import CATALOGUE, STAGES, WINDOWS
from croupier.privacy import has_scope
from croupier.store.schema import MAX_SEQ

router = APIRouter(prefix="/v1")

_EVENTS_EXAMPLE = [{"event_id": "evt-1", "type": "payment.deposit", "player_id": "p1",
                    "brand": "aurora", "occurred_at": "2026-11-21T10:15:00+00:00",
                    "transaction_id": "tx-1", "amount": "50.00", "currency": "EUR",
                    "status": "approved", "method": "card"}]


def _runtime(request: Request):  # noqa: ANN202
    return request.app.state.runtime


@router.post(
    "/events",
    summary="Send a batch of events",
    description=(
        f"A JSON array of up to {MAX_BATCH} events (protocol v1, schema at GET /v1/schema/events). "
        "The answer comes once the valid events are durably stored and processed. Duplicates "
        "(same event_id) are accepted once and reported; each rejected event is reported by "
        "index, field, value and reason while the valid ones are stored."),
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"type": "array", "maxItems": MAX_BATCH, "items": {"$ref": "#/components/schemas/Event"}},
        "example": _EVENTS_EXAMPLE}}}},
    responses={200: {"description": "Stored; see accepted / duplicates / rejected (money events of a brand whose "
                                    "money_of_record is the ledger are rejected: move that money through /v1/wallet)"},
               400: {"description": "The body is not a JSON array of objects"},
               413: {"description": "More than 10,000 events"}},
)
async def post_events(request: Request, key=Depends(require_scope("ingest"))) -> Any:  # noqa: ANN001
    body = await request.body()
    runtime = _runtime(request)
    relayed_by = None if has_scope(key.scopes, "protection") else ", ".join(sorted(key.scopes))
    try:
        result = await run_in_threadpool(runtime.ingest, body, relayed_by)
    except BatchTooLarge as exc:
        return JSONResponse({"detail": str(exc)}, status_code=413)
    except BatchError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=400)
    return result.as_dict()


@router.get("/schema/events", summary="JSON Schema of event protocol v1")
async def get_event_schema() -> dict[str, Any]:
    return event_json_schema()


@router.get("/schema/facts", summary="JSON Schema of Croupier's own facts (in the log beside the events)")
async def get_fact_schema() -> dict[str, Any]:
    return fact_json_schema()


@router.get("/features", summary="The feature catalogue")
async def get_features() -> dict[str, Any]:
    return {"windows": [w for w, _ in WINDOWS], "lifecycle_stages": list(STAGES),
            "features": [f.as_dict() for f in CATALOGUE]}


@router.get("/players", summary="Search players by id, email or last name prefix",
            description="Players whose id, email or last name starts with `q` (case-insensitive), most "
                        "recently active first; without `q`, every player. One page of `limit` players "
                        "from `offset`; `total` is how many match in all, so a client pages with "
                        "`offset += limit` while `offset < total`.")
def get_players(request: Request, q: str = "", limit: int = Query(50, ge=1, le=500),
                offset: int = Query(0, ge=0, le=10_000_000, description="matches to skip (paging)"),
                _key=Depends(require_scope("read"))) -> dict[str, Any]:  # noqa: ANN001
    with _runtime(request).fresh() as conn:
        return {"players": search(conn, q, limit, offset=offset), "total": count_matches(conn, q),
                "offset": offset, "limit": limit}


@router.get("/players/{player_id}", summary="Player 360: profile, balances, KYC, consents, "
            "lifecycle stage, every feature, the event timeline, messages and gate decisions")
def get_player(player_id: str, request: Request, timeline_limit: int = Query(50, ge=0, le=1000),
               key=Depends(require_scope("read"))) -> dict[str, Any]:  # noqa: ANN001
    view = player_360(_runtime(request), player_id, timeline_limit=timeline_limit, aml=sees_aml(request, key))
    if view is None:
        raise HTTPException(404, detail=f"no events for player {player_id!r}")
    return view


@router.get("/players/{player_id}/events", summary="A player's event timeline, newest first")
def get_player_events(player_id: str, request: Request, limit: int = Query(100, ge=1, le=1000),
                      before_seq: int | None = Query(None, ge=1, le=MAX_SEQ,
                                                     description="only events before this log position"),
                      _key=Depends(require_scope("read"))) -> dict[str, Any]:  # noqa: ANN001
    with _runtime(request).db.reader.connect() as conn:
        return {"events": timeline(conn, player_id, limit, before_seq)}


@router.get("/rg/queue", summary="The RG officer's queue: players at or above a risk level, each open RG "
            "case with its assignee",
            description="Each row's `case` is the player's open RG case (id, opened at, level, assignee, by whom "
                        "and when), or null. `assigned`: empty for every player at `min_level` or above, `none` "
                        "for open cases nobody works, or a staff username for that officer's open cases "
                        "whatever the level now.",
            responses={400: {"description": "`assigned=me` names nobody over an API key"},
                       422: {"description": "`assigned` names no staff user"}})
def get_rg_queue(request: Request, min_level: Literal["low", "medium", "high", "severe"] = "medium",
                 assigned: str = Query("", max_length=128), limit: int = Query(100, ge=1, le=1000),
                 _key=Depends(require_scope("read"))) -> dict[str, Any]:  # noqa: ANN001
    officer = assigned.strip()
    if officer not in ("", "none", "me"):
        from croupier.store.accounts import find_user

        with _runtime(request).db.reader.connect() as conn:
            if find_user(conn, officer) is None:   # a typo would read as "nothing assigned"
                raise HTTPException(422, detail={"field": "assigned", "value": assigned,
                                                 "message": "no staff user by this name: send a staff username, "
                                                            "none (open cases nobody works) or nothing"})
    try:
        rows = case_queue(_runtime(request), min_level=min_level, assigned=officer, limit=limit)
    except ValueError as exc:
        raise HTTPException(400, detail={"error": str(exc), "field": "assigned", "value": assigned}) from None
    return {"min_level": min_level, "assigned": assigned, "players": rows}


@router.get("/rg/population", summary="Percentiles of the absolute RG measures over this operator's active "
            "players, and the configuration patch that would make the markers grade against them",
            description="Computed from the stored player states (players with a bet in the 30 days before now), "
                        "per jurisdiction. Nothing changes: propose `patch` as a configuration version "
                        "(`POST /v1/config/versions`, or `croupier rg percentiles --propose`) for a second "
                        "officer to approve. `jurisdictions` lists every jurisdiction found; `skipped` why one "
                        "is not in the patch (too few players, not in the configuration).",
            responses={404: {"description": "`jurisdiction` is not a jurisdiction of the configuration in force"}})
def get_rg_population(request: Request, jurisdiction: str | None = Query(None, max_length=32),
                      min_players: int = Query(200, ge=1, le=1_000_000),
                      _key=Depends(require_scope("read"))) -> dict[str, Any]:  # noqa: ANN001
    import time

    from croupier.compliance.document import in_force_document
    from croupier.protection import population

    runtime = _runtime(request)
    known = in_force_document(runtime.config).jurisdictions
    if jurisdiction is not None and jurisdiction not in known:
        raise HTTPException(404, detail={"field": "jurisdiction", "value": jurisdiction,
                                         "message": f"not a jurisdiction of configuration {runtime.config.version}"})
    now_us = time.time_ns() // 1000
    with runtime.fresh() as conn:
        found = population.compute(conn, now_us, runtime.config.features, jurisdiction)
    return {"config_version": runtime.config.version, **population.report(found, now_us, known, min_players)}


@router.get("/stats/dashboard", summary="Live figures: events/s, active players, deposits and GGR today")
def get_dashboard(request: Request, _key=Depends(require_scope("read"))) -> dict[str, Any]:  # noqa: ANN001
    with _runtime(request).fresh() as conn:
        return dashboard(conn)


@router.get("/config", summary="The engine configuration in force and its version")
def get_config(request: Request, _key=Depends(require_scope("read"))) -> dict[str, Any]:  # noqa: ANN001
    import msgspec

    from croupier.compliance.document import ConfigDocument, in_force_document

    config = _runtime(request).config
    if isinstance(config, ConfigDocument):  # an approved version from the store (docs/configuration.md)
        return {"version": config.version, "source": "approved",
                "config": msgspec.to_builtins(in_force_document(config))}
    return {"version": config.version, "source": "start", "config": msgspec.to_builtins(config)}


@router.get("/health", summary="Liveness, version, and whether the engine is advancing",
            description="`status` is `ok`, or `degraded` while the engine cannot get past its saved "
                        "cursor (`engine.stalled` names the cause). `engine.failures_total` and "
                        "`engine.quarantined_total` are counters that only grow; `engine.last_quarantined` "
                        "is the latest event set aside (all of them: GET /v1/quarantine). `log_head` and the "
                        "quarantine figures are read at most once a second (health is polled often).")
def get_health(request: Request) -> dict[str, Any]:
    runtime = _runtime(request)
    engine = runtime.health()
    return {"status": "ok" if engine["advancing"] else "degraded", "version": __version__,
            "engine_cursor": runtime.engine.cursor, "database": runtime.db.engine.dialect.name, "engine": engine}


@router.get("/quarantine", summary="Events the engine set aside: kept in the log, skipped by the engine and replay",
            description="Each entry: the log position (`seq`), `event_id`, `player_id`, `type`, the `error` it "
                        "failed with, and `quarantined_at` (Unix seconds). In log order, after `after_seq`.")
def get_quarantine(request: Request, after_seq: int = Query(0, ge=0, le=2**63 - 1),
                   limit: int = Query(100, ge=1, le=1000),
                   _key=Depends(require_scope("read"))) -> dict[str, Any]:  # noqa: ANN001
    from croupier.store import quarantine

    with _runtime(request).db.reader.connect() as conn:
        rows = quarantine.listing(conn, limit, after_seq)
    return {"events": rows}
