"""The Configuration pages: the version in force with its jurisdictions (and the source of
every value), proposing a change or saving it as a draft, editing and submitting a draft,
the versions with their diff, shadow runs over a window and the shadow on the live stream,
and the second officer's approve / reject. Forms are CSRF-checked; the workflow's own rules
(four-eyes, drafts only their author edits, stale proposals, rejected versions) live in
compliance/config_store and are shown to the officer with their reasons."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from croupier.api.config_routes import (
    Actor, do_edit, do_live_shadow, do_propose, do_review, do_shadow, do_submit, in_force, version_detail,
)
from croupier.compliance import config_store as store
from croupier.compliance.document import expanded
from croupier.privacy.tipping_off import shadow_for_viewer
from croupier.protection.exclusions_hook import register_markets
from croupier.web.render import render
from croupier.web.staff import Staff, check_csrf, require

router = APIRouter(include_in_schema=False)


def _runtime(request: Request):  # noqa: ANN202
    return request.app.state.runtime


def _actor(staff: Staff) -> Actor:
    return Actor(staff.username, staff.role, "session")


def _rows(value: Any, prefix: str, sources: dict[str, str], out: list[dict[str, Any]]) -> None:
    """Flatten a jurisdiction's rules into (field, value, source) rows for a readable table."""
    if isinstance(value, dict) and value and prefix not in ("sources",):
        for key, inner in value.items():
            _rows(inner, f"{prefix}.{key}" if prefix else key, sources, out)
        return
    source = sources.get(prefix)
    if source is None and "." in prefix:  # e.g. limits.ceilings.deposit:month -> limits.ceilings
        source = sources.get(prefix.rsplit(".", 1)[0])
    out.append({"field": prefix, "value": value, "source": source or "",
                "uncertain": "⚠" in (source or "")})


def _jurisdictions(doc: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for code, rules in sorted(doc.get("jurisdictions", {}).items()):
        sources = rules.get("sources", {})
        rows: list[dict[str, Any]] = []
        _rows({k: v for k, v in rules.items() if k not in ("sources", "code", "name")}, "", sources, rows)
        # Sourced notes about fields left at their defaults (e.g. "no statutory cap found")
        shown = {r["field"] for r in rows}
        for path, note in sorted(sources.items()):
            if path not in shown and not any(f.startswith(path + ".") for f in shown):
                rows.append({"field": path, "value": None, "source": note, "uncertain": "⚠" in note})
        out.append({"code": code, "name": rules.get("name", code), "rows": rows,
                    "uncertain": sum(r["uncertain"] for r in rows)})
    return out


def _config_page(request: Request, staff: Staff, *, status: int = 200, problems: list[dict[str, Any]] | None = None,
                 error: str = "", form: dict[str, str] | None = None, flash: str = "") -> Response:
    runtime = _runtime(request)
    active_id, active_doc = in_force(runtime)
    active_doc = expanded(active_doc)  # every value, defaults included, for reading
    with runtime.db.reader.connect() as conn:
        versions = store.list_versions(conn, 100)
        stored = store.active_version(conn)
    engine_rows: list[dict[str, Any]] = []
    _rows({k: v for k, v in active_doc.items() if k != "jurisdictions"}, "", {}, engine_rows)
    pretty = json.dumps(in_force(runtime)[1], indent=2, ensure_ascii=False)
    return render(request, "config.html", staff, status=status, page="/config", title="Configuration",
                  active_id=active_id, stored=stored if stored and stored.version_id == active_id else None,
                  jurisdictions=_jurisdictions(active_doc), engine_rows=engine_rows, versions=versions,
                  problems=problems or [], error=error, flash=flash,
                  form=form or {"document": pretty, "mode": "document", "comment": ""},
                  can_edit=staff.can("config.edit"), register_markets=register_markets(runtime.engine))


@router.get("/config")
def config_page(request: Request, flash: str = "", staff: Staff = Depends(require("config.view"))) -> Response:
    return _config_page(request, staff, flash=flash[:200])


def _parsed(document: str, mode: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The text area as `document=` or `patch=` arguments, or the JSON syntax problem."""
    try:
        parsed = json.loads(document)
    except json.JSONDecodeError as exc:
        return {}, [{"path": "", "value": None,
                     "message": f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"}]
    return ({"patch": parsed} if mode == "patch" else {"document": parsed}), []


@router.post("/config/versions")
async def propose_form(request: Request, document: str = Form(""), mode: str = Form("document"),
                       comment: str = Form(""), draft: str = Form(""), csrf_token: str = Form(""),
                       staff: Staff = Depends(require("config.edit"))) -> Response:
    check_csrf(staff, csrf_token)
    form = {"document": document, "mode": mode if mode in ("document", "patch") else "document", "comment": comment}
    what = "saved" if draft else "proposed"
    kwargs, problems = _parsed(document, form["mode"])
    if problems:
        return _config_page(request, staff, status=422, problems=problems, form=form,
                            error=f"The document is not valid JSON; nothing was {what}.")
    try:
        version = await run_in_threadpool(do_propose, _runtime(request), _actor(staff), comment=comment,
                                          draft=bool(draft), **kwargs)
    except store.ConfigRefused as exc:
        return _config_page(request, staff, status=exc.status, form=form, error=exc.message if not exc.problems
                            else f"The configuration is invalid; nothing was {what}. Fix the values below.",
                            problems=[p.as_dict() for p in exc.problems])
    flash = "drafted" if draft else "proposed"
    return RedirectResponse(f"/config/versions/{version.version_id}?flash={flash}", status_code=303)


def _version_page(request: Request, staff: Staff, version_id: str, *, status: int = 200, error: str = "",
                  flash: str = "", problems: list[dict[str, Any]] | None = None,
                  form: dict[str, str] | None = None) -> Response:
    detail = shadow_for_viewer(version_detail(_runtime(request), version_id), staff.can("aml.view"))
    if detail is None:
        return render(request, "error.html", staff, status=404, title="Not found", heading="No such version",
                      message=f"There is no configuration version {version_id}.")
    own = detail["proposed_by"] == staff.username
    reviewable = detail["status"] == "proposed"
    may_review = staff.can("config.edit") and staff.role in store.APPROVER_ROLES
    pretty = json.dumps(detail["document"], indent=2, ensure_ascii=False)
    return render(request, "config_version.html", staff, status=status, page="/config",
                  title=f"Configuration {version_id}", v=detail, error=error, flash=flash,
                  own=own, reviewable=reviewable, may_review=may_review,
                  can_edit=staff.can("config.edit"), awaiting=detail["status"] in ("draft", "proposed"),
                  problems=problems or [], form=form or {"document": pretty, "mode": "document",
                                                         "comment": detail["comment"]},
                  document_pretty=pretty, register_markets=register_markets(_runtime(request).engine))


@router.get("/config/versions/{version_id}")
def version_page(request: Request, version_id: str, flash: str = "",
                 staff: Staff = Depends(require("config.view"))) -> Response:
    return _version_page(request, staff, version_id[:64], flash=flash[:40])


@router.post("/config/versions/{version_id}/edit")
async def edit_form(request: Request, version_id: str, document: str = Form(""), mode: str = Form("document"),
                    comment: str = Form(""), csrf_token: str = Form(""),
                    staff: Staff = Depends(require("config.edit"))) -> Response:
    """Save a draft's new content; problems are listed under the editor, which keeps the text."""
    check_csrf(staff, csrf_token)
    form = {"document": document, "mode": mode if mode in ("document", "patch") else "document", "comment": comment}
    kwargs, problems = _parsed(document, form["mode"])
    if problems:
        return _version_page(request, staff, version_id, status=422, problems=problems, form=form,
                             error="The document is not valid JSON; the draft was not changed.")
    try:
        version = await run_in_threadpool(do_edit, _runtime(request), _actor(staff), version_id, comment=comment,
                                          **kwargs)
    except store.ConfigRefused as exc:
        return _version_page(request, staff, version_id, status=exc.status, form=form, error=exc.message
                             if not exc.problems else "The configuration is invalid; the draft was not changed. "
                                                      "Fix the values below.",
                             problems=[p.as_dict() for p in exc.problems])
    return RedirectResponse(f"/config/versions/{version.version_id}?flash=draft_saved", status_code=303)


@router.post("/config/versions/{version_id}/{verdict}")
async def review_form(request: Request, version_id: str, verdict: str, comment: str = Form(""),
                      last_events: str = Form(""), csrf_token: str = Form(""),
                      staff: Staff = Depends(require("config.edit"))) -> Response:
    check_csrf(staff, csrf_token)
    runtime = _runtime(request)
    try:
        if verdict in ("approve", "reject"):
            await run_in_threadpool(do_review, runtime, _actor(staff), version_id, verdict, comment)
            flash = "approved" if verdict == "approve" else "rejected"
        elif verdict == "shadow":
            n = int(last_events) if last_events.strip().isdigit() else 1000
            await run_in_threadpool(do_shadow, runtime, _actor(staff), version_id, last_events=max(1, n))
            flash = "shadow"
        elif verdict == "submit":
            await run_in_threadpool(do_submit, runtime, _actor(staff), version_id)
            flash = "proposed"
        elif verdict in ("shadow-start", "shadow-stop"):
            await run_in_threadpool(do_live_shadow, runtime, _actor(staff), version_id, verdict.split("-")[1])
            flash = "live_shadow_started" if verdict == "shadow-start" else "live_shadow_stopped"
        else:
            return _version_page(request, staff, version_id, status=404, error=f"unknown action {verdict!r}")
    except store.ConfigRefused as exc:
        return _version_page(request, staff, version_id, status=exc.status, error=exc.message)
    return RedirectResponse(f"/config/versions/{version_id}?flash={flash}", status_code=303)
