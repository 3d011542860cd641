"""The Configuration pages: the version in force with its jurisdictions (and the source of
every value), proposing a change or saving it as a draft (with the common settings' form
fields, web/config_form.py, or as JSON), editing and submitting a draft, the versions with
their diff against the version they replaced, shadow runs over a window and the shadow on
the live stream, and the second officer's approve / reject. Forms are CSRF-checked; the workflow's own rules
(four-eyes, drafts only their author edits, stale proposals, rejected versions) live in
compliance/config_store and are shown to the officer with their reasons."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

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
from croupier.web import config_form
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
                 error: str = "", form: dict[str, str] | None = None, flash: str = "",
                 market: str | None = None, settings: config_form.FormView | None = None,
                 settings_error: str = "") -> Response:
    runtime = _runtime(request)
    active_id, active_doc = in_force(runtime)
    if settings is None and staff.can("config.edit"):
        settings = config_form.view(active_doc, market)
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
                  can_edit=staff.can("config.edit"), register_markets=register_markets(runtime.engine),
                  settings=settings, settings_groups=config_form.GROUPS, settings_error=settings_error)


@router.get("/config")
def config_page(request: Request, flash: str = "", market: str = "",
                staff: Staff = Depends(require("config.view"))) -> Response:
    return _config_page(request, staff, flash=flash[:200], market=market[:16] or None)


async def _settings_document(request: Request, base: dict[str, Any]) -> tuple[str, dict[str, Any], str,
                                                                              dict[str, Any] | None,
                                                                              config_form.FormView | None]:
    """The posted settings form read against `base`: (market, inputs, comment, the new whole
    document or None, the form to show again with its problems or None)."""
    posted = await request.form()
    market = str(posted.get("market", ""))[:16]
    comment = str(posted.get("comment", ""))
    inputs = config_form.submitted(posted)
    try:
        document = config_form.apply(base, market, inputs)
    except config_form.FormInvalid as exc:
        return market, inputs, comment, None, config_form.view(base, market, inputs=inputs, problems=exc.problems,
                                                               comment=comment)
    return market, inputs, comment, document, None


def _refused_settings(base: dict[str, Any], market: str, inputs: dict[str, Any], comment: str,
                      exc: store.ConfigRefused) -> config_form.FormView | None:
    problems = [config_form.FieldProblem(config_form.field_for(p.path, market), p.path, p.value, p.message)
                for p in exc.problems]
    return config_form.view(base, market, inputs=inputs, problems=problems, comment=comment)


@router.post("/config/settings")
async def propose_settings(request: Request, csrf_token: str = Form(""), draft: str = Form(""),
                           staff: Staff = Depends(require("config.edit"))) -> Response:
    """The settings form on the version in force: the whole document it gives is proposed
    (or saved as a draft) exactly as the JSON editor's would be: same checks, same audit."""
    check_csrf(staff, csrf_token)
    runtime = _runtime(request)
    runtime.refresh_config()
    base = in_force(runtime)[1]
    what = "saved" if draft else "proposed"
    market, inputs, comment, document, invalid = await _settings_document(request, base)
    if invalid is not None:
        return _config_page(request, staff, status=422, settings=invalid,
                            settings_error=f"Some settings are invalid; nothing was {what}. Fix the fields marked below.")
    try:
        version = await run_in_threadpool(do_propose, runtime, _actor(staff), comment=comment, draft=bool(draft),
                                          document=document)
    except store.ConfigRefused as exc:
        return _config_page(request, staff, status=exc.status, settings=_refused_settings(
            base, market, inputs, comment, exc), settings_error=exc.message if not exc.problems else
            f"Some settings are invalid; nothing was {what}. Fix the fields marked below.")
    flash = "drafted" if draft else "proposed"
    return RedirectResponse(f"/config/versions/{version.version_id}?flash={flash}", status_code=303)


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
                  form: dict[str, str] | None = None, market: str | None = None,
                  settings: config_form.FormView | None = None, settings_error: str = "") -> Response:
    detail = shadow_for_viewer(version_detail(_runtime(request), version_id), staff.can("aml.view"))
    if detail is None:
        if version_id == in_force(_runtime(request))[0]:
            # the start configuration (file or defaults) is in force but is no stored version:
            # decisions and the risk history link to it, and the configuration page shows it
            return RedirectResponse("/config#active", status_code=303)
        return render(request, "error.html", staff, status=404, title="Not found", heading="No such version",
                      message=f"There is no configuration version {version_id}. Decisions made before the first "
                              "approved version name the start configuration (a file or the defaults), which is "
                              "not stored as a version.")
    if settings is None and detail["status"] == "draft" and detail["proposed_by"] == staff.username:
        settings = config_form.view(detail["document"], market, comment=detail["comment"])
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
                  document_pretty=pretty, register_markets=register_markets(_runtime(request).engine),
                  settings=settings, settings_groups=config_form.GROUPS, settings_error=settings_error)


@router.get("/config/versions/{version_id}")
def version_page(request: Request, version_id: str, flash: str = "", market: str = "",
                 staff: Staff = Depends(require("config.view"))) -> Response:
    return _version_page(request, staff, version_id[:64], flash=flash[:40], market=market[:16] or None)


@router.post("/config/versions/{version_id}/settings")
async def edit_settings(request: Request, version_id: str, csrf_token: str = Form(""),
                        staff: Staff = Depends(require("config.edit"))) -> Response:
    """The settings form on a draft: the draft's whole document with the market's settings
    changed, saved as the JSON editor saves it (its author only, validated, audited)."""
    check_csrf(staff, csrf_token)
    runtime = _runtime(request)
    with runtime.db.reader.connect() as conn:
        version = store.get_version(conn, version_id[:64])
    if version is None:
        return _version_page(request, staff, version_id[:64], status=404)
    market, inputs, comment, document, invalid = await _settings_document(request, version.document)
    if invalid is not None:
        return _version_page(request, staff, version_id, status=422, settings=invalid,
                             settings_error="Some settings are invalid; the draft was not changed. "
                                            "Fix the fields marked below.")
    try:
        saved = await run_in_threadpool(do_edit, runtime, _actor(staff), version_id, document=document,
                                        comment=comment)
    except store.ConfigRefused as exc:
        if not exc.problems:  # not the author's, not a draft any more, a duplicate: the page's own alert
            return _version_page(request, staff, version_id, status=exc.status, error=exc.message)
        return _version_page(request, staff, version_id, status=exc.status, settings=_refused_settings(
            version.document, market, inputs, comment, exc),
            settings_error="Some settings are invalid; the draft was not changed. Fix the fields marked below.")
    return RedirectResponse(f"/config/versions/{saved.version_id}?flash=draft_saved&market={quote(market)}#settings",
                            status_code=303)


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
