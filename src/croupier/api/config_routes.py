"""Configuration versions over the API: propose (or draft, edit and submit), review
(four-eyes), shadow over a window or continuously on the live stream, activate.

Who acts matters here, so every write names a staff member:
- a back-office session (the `croupier_session` cookie) plus its CSRF token in
  `X-CSRF-Token`; or
- for proposals and shadow runs only, an API key with the `admin` scope plus
  `X-Croupier-Actor: <staff username>` naming an enabled staff user whose role has
  `config.edit` (the key vouches for the name: the staff member is the proposer the
  four-eyes rule counts; the audit records the key as the actor and the staff member as
  `on_behalf_of`).
Approvals and rejections accept only a back-office session: an API key cannot prove which
person is approving, and the four-eyes rule is about persons. Reads take a `read` key or a
session with `config.view`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from croupier.api.answers import now_us as _now_us
from croupier.api.auth import Actor, actor, sees_aml
from croupier.api.errors import invalid
from croupier.compliance import config_store as store
from croupier.compliance.document import diff, in_force_document, to_builtins
from croupier.compliance.shadow import MAX_EVENTS, run_shadow
from croupier.privacy.tipping_off import shadow_for_viewer
from croupier.store import shadows

router = APIRouter(prefix="/v1/config", tags=["configuration"])


def _runtime(request: Request):  # noqa: ANN202
    return request.app.state.runtime


def refused(exc: store.ConfigRefused) -> JSONResponse:
    """A refusal as the API answers it: an invalid document is a 422 naming each problem's
    path (as `field`) and value; the other refusals say why in `detail`."""
    if exc.status == 422:
        return invalid([{"field": p.path or None, "message": p.message, "value": p.value} for p in exc.problems]
                       or [{"field": None, "message": exc.message}])
    return JSONResponse({"detail": exc.message, "problems": [p.as_dict() for p in exc.problems]},
                        status_code=exc.status)


_BAD_BODY = {400: {"description": "The body is not a JSON object, or has keys this operation does not take"}}
_NO_VERSION = {404: {"description": "No such configuration version"}}
_CONFLICT = {409: {"description": "The version's state does not allow it (e.g. not a draft, already decided, "
                                  "identical to the configuration in force)"}}
_INVALID = {422: {"description": "The resulting configuration is invalid: each problem's `field` is its path "
                                 "in the configuration document, with the `value` found there"}}
_NOT_YOURS = {403: {"description": "Only the draft's author may do this, or the staff member lacks config.edit"}}
_DOCUMENT = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "additionalProperties": False,
    "properties": {"document": {"type": "object", "description": "the whole configuration"},
                   "patch": {"type": "object", "description": "a JSON merge patch (RFC 7396)"},
                   "comment": {"type": "string"}, "draft": {"type": "boolean"}}}}}}}


# -- operations shared with the back office ---------------------------------------------------
def in_force(runtime: Any) -> tuple[str, dict[str, Any]]:
    """(version id, document) of the configuration in force."""
    return runtime.config.version, to_builtins(in_force_document(runtime.config))


def do_propose(runtime: Any, who: Actor, *, document: Any = None, patch: Any = None, comment: str = "",
               draft: bool = False) -> store.ConfigVersion:
    runtime.refresh_config()
    with runtime.db.engine.begin() as conn:
        return store.propose(conn, actor=who.username, in_force=runtime.config, now_us=_now_us(),
                             document=document, patch=patch, comment=comment, draft=draft, via=who.via)


def do_submit(runtime: Any, who: Actor, version_id: str) -> store.ConfigVersion:
    with runtime.db.engine.begin() as conn:
        return store.submit(conn, version_id, actor=who.username, in_force=runtime.config, now_us=_now_us(),
                            via=who.via)


def do_edit(runtime: Any, who: Actor, version_id: str, *, document: Any = None, patch: Any = None,
            comment: str | None = None) -> store.ConfigVersion:
    runtime.refresh_config()
    with runtime.db.engine.begin() as conn:
        version = store.edit_draft(conn, version_id, actor=who.username, in_force=runtime.config,
                                   now_us=_now_us(), document=document, patch=patch, comment=comment, via=who.via)
    runtime.engine.load_shadows()
    return version


def do_live_shadow(runtime: Any, who: Actor, version_id: str, action: str) -> dict[str, Any]:
    """Start or stop a version's shadow on the live stream; the engine takes it up (or drops
    it) before its next batch."""
    fn = store.start_shadow if action == "start" else store.stop_shadow
    with runtime.db.engine.begin() as conn:
        fn(conn, version_id, actor=who.username, in_force=runtime.config, now_us=_now_us(), via=who.via)
    runtime.engine.load_shadows()
    return live_shadow_results(runtime, version_id) or {}


def live_shadow_results(runtime: Any, version_id: str) -> dict[str, Any] | None:
    """What the version's latest shadow on the live stream found so far (the engine writes
    it with each snapshot; one is taken first, so the answer is current)."""
    runtime.engine.flush()
    with runtime.db.reader.connect() as conn:
        return shadows.results(conn, version_id)


def do_review(runtime: Any, who: Actor, version_id: str, verdict: str, comment: str = "") -> store.ConfigVersion:
    """Approve (in force at once: the engine processes the activation fact before this
    returns, so the next batch of events is decided with it) or reject."""
    runtime.refresh_config()
    fn = store.approve if verdict == "approve" else store.reject
    with runtime.db.engine.begin() as conn:
        version = fn(conn, version_id, actor=who.username, role=who.role, in_force=runtime.config,
                     now_us=_now_us(), comment=comment)
    runtime.engine.load_shadows()  # its shadow stopped with the review
    if verdict == "approve":
        runtime.use_config(version.config())
        runtime.engine.process_pending()
    return version


def do_shadow(runtime: Any, who: Actor, version_id: str, *, last_events: int | None = None,
              since_minutes: int | None = None) -> dict[str, Any]:
    with runtime.db.reader.connect() as conn:
        version = store.get_version(conn, version_id)
    if version is None:
        raise store.ConfigRefused(404, f"no configuration version {version_id!r}")
    if version.status not in ("draft", "proposed"):
        raise store.ConfigRefused(409, f"version {version_id} is {version.status}: shadow runs are for "
                                       "versions awaiting approval")
    since_us = _now_us() - since_minutes * 60_000_000 if since_minutes else None
    result = run_shadow(runtime.db, runtime.config, version.config(),
                        last_events=None if since_us else (last_events or 1000), since_us=since_us)
    with runtime.db.engine.begin() as conn:
        store.save_shadow_run(conn, version_id, actor=who.username, now_us=_now_us(), result=result, via=who.via)
    with runtime.db.reader.connect() as conn:
        return store.latest_shadow_run(conn, version_id) or result


def version_detail(runtime: Any, version_id: str) -> dict[str, Any] | None:
    runtime.engine.flush()  # the live shadow's latest findings
    with runtime.db.reader.connect() as conn:
        version = store.get_version(conn, version_id)
        if version is None:
            return None
        shadow = store.latest_shadow_run(conn, version_id)
        live_shadow = shadows.results(conn, version_id)
        parent_doc = _parent_document(runtime, conn, version)
    active_id, active_doc = in_force(runtime)
    return {**version.as_dict(), "active_version": active_id, "document": version.document,
            "diff": diff(active_doc, version.document),
            "parent_diff": diff(parent_doc, version.document) if parent_doc is not None else None,
            "shadow": shadow, "live_shadow": live_shadow}


def _parent_document(runtime: Any, conn: Any, version: store.ConfigVersion) -> dict[str, Any] | None:
    """The document of the version `version` was proposed against (the one its approval
    replaced): a stored version, or the start configuration (file or defaults) before any
    approval. Its diff stays meaningful after approval or rejection, when the diff against
    the version in force is empty or about something else. None when it cannot be found (a
    start configuration this process was not started with)."""
    parent = version.parent_version
    if parent is None:
        return None
    stored = store.get_version(conn, parent)
    if stored is not None:
        return stored.document
    if runtime.start_config.version == parent:
        return to_builtins(in_force_document(runtime.start_config))
    return None


def _for(request: Request, findings: Any) -> Any:
    """Shadow findings as the caller may see them (no tipping off: AML reasons read
    `compliance_hold` for a staff member without `aml.view`; see `sees_aml`)."""
    return shadow_for_viewer(findings, sees_aml(request))


# -- routes -----------------------------------------------------------------------------------
@router.get("/versions", summary="Configuration versions, newest first, and the one in force")
async def list_versions(request: Request, limit: int = Query(100, ge=1, le=1000)) -> dict[str, Any]:
    await actor(request, "config.view")
    runtime = _runtime(request)
    with runtime.db.reader.connect() as conn:
        versions = store.list_versions(conn, limit)
    return {"active_version": runtime.config.version, "versions": [v.as_dict() for v in versions]}


async def _document_body(request: Request, allowed: set[str]) -> dict[str, Any] | JSONResponse:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return JSONResponse({"detail": "the body must be a JSON object", "problems": []}, status_code=400)
    unknown = set(body) - allowed
    if unknown:
        return JSONResponse({"detail": f"unknown keys {sorted(unknown)}: send document or patch, "
                                       + ", ".join(sorted(allowed - {"document", "patch"})), "problems": []},
                            status_code=400)
    return body


@router.post("/versions", status_code=201, responses={**_BAD_BODY, **_CONFLICT, **_INVALID}, openapi_extra=_DOCUMENT,
             summary="Propose a configuration: a whole document or a JSON merge patch against the active one",
             description="Body: `{\"document\": {...}}` or `{\"patch\": {...}}`, with optional `comment` and "
                         "`draft` (store without proposing). Errors name the path and value of each problem. "
                         "Needs config.edit: a session with X-CSRF-Token, or an `admin` key with "
                         "X-Croupier-Actor.")
async def post_version(request: Request) -> Any:
    who = await actor(request, "config.edit")
    body = await _document_body(request, {"document", "patch", "comment", "draft"})
    if isinstance(body, JSONResponse):
        return body
    try:
        version = await run_in_threadpool(do_propose, _runtime(request), who, document=body.get("document"),
                                          patch=body.get("patch"), comment=str(body.get("comment") or ""),
                                          draft=bool(body.get("draft")))
    except store.ConfigRefused as exc:
        return refused(exc)
    return await run_in_threadpool(version_detail, _runtime(request), version.version_id)


@router.get("/versions/{version_id}", summary="One version: document, status, diff against the active one, shadow",
            responses=_NO_VERSION,
            description="`diff`: changes against the version in force now (empty once this one is approved); "
                        "`parent_diff`: changes against the version it was proposed against, the one its "
                        "approval replaced (kept after approval or rejection; null when that version is unknown).")
async def get_version(version_id: str, request: Request) -> Any:
    await actor(request, "config.view")
    detail = await run_in_threadpool(version_detail, _runtime(request), version_id)
    if detail is None:
        raise HTTPException(404, detail=f"no configuration version {version_id!r}")
    return _for(request, detail)


@router.put("/versions/{version_id}", summary="Edit a draft (its author only): a whole document or a merge patch",
            responses={**_BAD_BODY, **_NOT_YOURS, **_NO_VERSION, **_CONFLICT, **_INVALID}, openapi_extra=_DOCUMENT,
            description="Body: `{\"document\": {...}}` or `{\"patch\": {...}}` (a JSON merge patch against the "
                        "draft), optional `comment`. The draft's id follows its new content; errors name the "
                        "path and value of each problem (422).")
async def put_version(version_id: str, request: Request) -> Any:
    who = await actor(request, "config.edit")
    body = await _document_body(request, {"document", "patch", "comment"})
    if isinstance(body, JSONResponse):
        return body
    comment = body.get("comment")
    try:
        version = await run_in_threadpool(do_edit, _runtime(request), who, version_id[:64],
                                          document=body.get("document"), patch=body.get("patch"),
                                          comment=None if comment is None else str(comment))
    except store.ConfigRefused as exc:
        return refused(exc)
    return await run_in_threadpool(version_detail, _runtime(request), version.version_id)


@router.post("/versions/{version_id}/propose", summary="Submit a draft for approval (its author only)",
             responses={**_NOT_YOURS, **_NO_VERSION, **_CONFLICT, **_INVALID})
async def propose_draft(version_id: str, request: Request) -> Any:
    who = await actor(request, "config.edit")
    try:
        version = await run_in_threadpool(do_submit, _runtime(request), who, version_id)
    except store.ConfigRefused as exc:
        return refused(exc)
    return version.as_dict()


async def _review(version_id: str, request: Request, verdict: str) -> Any:
    who = await actor(request, "config.edit", session_only=True)
    try:
        body = await request.json() if await request.body() else {}
    except ValueError:
        body = {}
    comment = str(body.get("comment") or "") if isinstance(body, dict) else ""
    try:
        version = await run_in_threadpool(do_review, _runtime(request), who, version_id, verdict, comment)
    except store.ConfigRefused as exc:
        return refused(exc)
    return {**version.as_dict(), "active_version": _runtime(request).config.version}


@router.post("/versions/{version_id}/approve", responses={**_NO_VERSION, **_CONFLICT},
             summary="Approve a proposed version (a second officer; back-office session only): in force at once")
async def approve(version_id: str, request: Request) -> Any:
    return await _review(version_id, request, "approve")


@router.post("/versions/{version_id}/reject", summary="Reject a proposed version (a second officer; session only)",
             responses={**_NO_VERSION, **_CONFLICT})
async def reject(version_id: str, request: Request) -> Any:
    return await _review(version_id, request, "reject")


@router.post("/versions/{version_id}/shadow", responses={**_BAD_BODY, **_NO_VERSION, **_CONFLICT},
             summary="Run a proposed version in shadow over recent events (nothing is written but the report)",
             description="Body (optional): `{\"last_events\": N}` (default 1000, at most "
                         f"{MAX_EVENTS}) or `{{\"since_minutes\": M}}`.")
async def post_shadow(version_id: str, request: Request) -> Any:
    who = await actor(request, "config.edit")
    try:
        body = await request.json() if await request.body() else {}
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    last_events, since = body.get("last_events"), body.get("since_minutes")
    for name, value in (("last_events", last_events), ("since_minutes", since)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_EVENTS):
            return JSONResponse({"detail": f"{name} must be a whole number from 1 to {MAX_EVENTS}, got {value!r}",
                                 "problems": []}, status_code=400)
    try:
        return _for(request, await run_in_threadpool(do_shadow, _runtime(request), who, version_id,
                                                 last_events=last_events, since_minutes=since))
    except store.ConfigRefused as exc:
        return refused(exc)


@router.post("/versions/{version_id}/shadow/start", status_code=201, responses={**_NO_VERSION, **_CONFLICT},
             summary="Run a draft or proposal in shadow beside the live configuration on every event from now on")
async def start_live_shadow(version_id: str, request: Request) -> Any:
    who = await actor(request, "config.edit")
    try:
        return _for(request, await run_in_threadpool(do_live_shadow, _runtime(request), who, version_id[:64], "start"))
    except store.ConfigRefused as exc:
        return refused(exc)


@router.post("/versions/{version_id}/shadow/stop", summary="Stop a version's shadow on the live stream",
             responses={**_NO_VERSION, **_CONFLICT})
async def stop_live_shadow(version_id: str, request: Request) -> Any:
    who = await actor(request, "config.edit")
    try:
        return _for(request, await run_in_threadpool(do_live_shadow, _runtime(request), who, version_id[:64], "stop"))
    except store.ConfigRefused as exc:
        return refused(exc)


@router.get("/versions/{version_id}/shadow/results", responses={404: {"description": "The version has not run "
                                                                                   "in shadow on the live stream"}},
            summary="What the version's shadow on the live stream found so far: decisions it would have "
                    "suppressed or allowed, players it would flag or unflag at each RG level")
async def get_live_shadow(version_id: str, request: Request) -> Any:
    await actor(request, "config.view")
    result = await run_in_threadpool(live_shadow_results, _runtime(request), version_id[:64])
    if result is None:
        raise HTTPException(404, detail=f"version {version_id!r} has not run in shadow on the live stream: "
                                        "POST …/shadow/start")
    return _for(request, result)


@router.get("/versions/{version_id}/shadow", summary="The latest shadow run of a version",
            responses={404: {"description": "The version has no shadow run yet"}})
async def get_shadow(version_id: str, request: Request) -> Any:
    await actor(request, "config.view")
    runtime = _runtime(request)
    with runtime.db.reader.connect() as conn:
        result = store.latest_shadow_run(conn, version_id)
    if result is None:
        raise HTTPException(404, detail=f"no shadow run of version {version_id!r} yet: POST to this URL to run one")
    return _for(request, result)
