"""The operator's RG models in the back office: every model trained on this log with its
validation figures (AUC, calibration, the share of unlabelled players flagged at each level,
the inputs that weigh most), one model's card in detail, and two actions: train now, and
propose a model for activation. Both are the API's own operations (POST
/v1/models/rg/train, /v1/models/rg/{version}/propose), audited the same way; a proposal then
waits for a second officer's approval on the configuration page like any change."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from croupier.api.auth import Actor
from croupier.api.model_routes import propose_now, train_now
from croupier.compliance.config_store import ConfigRefused
from croupier.web.render import path_segment, render
from croupier.web.staff import Staff, check_csrf, require

router = APIRouter(include_in_schema=False)
PAGE = "/models/rg"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def figure(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _page(request: Request, staff: Staff, *, version: str | None = None, status: int = 200,
          error: str | None = None) -> Response:
    from croupier.models.rg import service

    with request.app.state.runtime.db.reader.connect() as conn:
        models = service.list_models(conn)
        chosen = version or (models[0]["version"] if models else None)
        detail = None
        if chosen is not None:
            try:
                detail = service.get_model(conn, chosen)
            except service.ModelNotFound:
                if version is not None:
                    error = error or f"No trained RG model {version!r}."
                    status = 404 if status == 200 else status
    return render(request, "models_rg.html", staff, status=status, page=PAGE, title="RG models", models=models,
                  detail=detail, error=error, can_edit=staff.can("config.edit"), percent=percent, figure=figure)


def _said(detail: object) -> str:
    if isinstance(detail, dict):
        return f"{detail.get('field') or ''} {detail.get('message', '')}".strip()
    return str(detail)


@router.get(PAGE)
def models_page(request: Request, version: str | None = None, staff: Staff = Depends(require("rg.view"))) -> Response:
    return _page(request, staff, version=version)


@router.post(PAGE + "/train")
async def train_form(request: Request, csrf_token: str = Form(""),
                     staff: Staff = Depends(require("config.edit"))) -> Response:
    check_csrf(staff, csrf_token)
    try:
        model = await run_in_threadpool(train_now, request.app.state.runtime,
                                        Actor(staff.username, staff.role, "session"), {})
    except HTTPException as exc:
        return _page(request, staff, status=exc.status_code, error=f"Not trained: {_said(exc.detail)}")
    return RedirectResponse(f"{PAGE}?version={path_segment(model['version'])}", status_code=303)


@router.post(PAGE + "/{version}/propose")
async def propose_form(request: Request, version: str, csrf_token: str = Form(""),
                       staff: Staff = Depends(require("config.edit"))) -> Response:
    check_csrf(staff, csrf_token)
    try:
        proposed = await run_in_threadpool(propose_now, request.app.state.runtime,
                                           Actor(staff.username, staff.role, "session"), version)
    except HTTPException as exc:
        return _page(request, staff, version=None, status=exc.status_code, error=f"Not proposed: {_said(exc.detail)}")
    except ConfigRefused as exc:
        return _page(request, staff, version=version, status=exc.status, error=f"Not proposed: {exc.message}")
    return RedirectResponse(f"/config/versions/{path_segment(proposed)}", status_code=303)
