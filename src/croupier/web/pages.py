"""Read-only pages: the live dashboard, player search, player-360 and the audit log,
plus the JSON their scripts poll (same session, same permission as the page)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select

from croupier.analytics import dashboard
from croupier.api.audit_routes import audit_filter, codes_of, export_response, why
from croupier.api.player_view import count_matches, player_360, search, timeline
from croupier.api.rg_routes import ReviewRequest, case_queue, review_player
from croupier.protection.exclusions_hook import register_markets
from croupier.protection.reviews import OUTCOMES, ReviewRefused
from croupier.protection.rg_cases import officers
from croupier.web.protection_forms import EXCLUSION_KINDS
from croupier.store import audit as audit_store
from croupier.store.schema import MAX_SEQ, audit_log
from croupier.privacy.tipping_off import timeline_for_viewer
from croupier.web.player_page import feature_groups, glance, timeline_rows
from croupier.web.protection_panel import panel_context
from croupier.web import formatting as fmt
from croupier.web.player_clock import player_clock
from croupier.web.player_journeys import player_journeys
from croupier.web.task_pages import player_tasks
from croupier.web.render import path_segment, reader_for, render
from croupier.web.staff import Staff, check_csrf, require

router = APIRouter(include_in_schema=False)
TIMELINE_PAGE = 50
SEARCH_PAGE = 50
PLAYER_AUDIT = 20
AUDIT_PAGE = 100
_NO_STORE = {"Cache-Control": "no-store"}


def _db(request: Request):  # noqa: ANN202
    return request.app.state.runtime.db


def _fresh(request: Request):  # noqa: ANN202
    """A connection that sees every event processed so far: search rows and dashboard
    totals are otherwise snapshotted by the engine at most every second."""
    return request.app.state.runtime.fresh()


# -- dashboard ----------------------------------------------------------------------------
@router.get("/")
def dashboard_page(request: Request, staff: Staff = Depends(require("dashboard.view"))) -> Response:
    with _fresh(request) as conn:
        figures = dashboard(conn)
    return render(request, "dashboard.html", staff, page="/", title="Dashboard", figures=figures,
                  register_markets=register_markets(request.app.state.runtime.engine),
                  backfill=request.app.state.runtime.backfill.snapshot())


DASHBOARD_COUNTS = ("events_last_minute", "active_players_24h", "players_total", "events_total")
TODAY_MONEY = ("deposits", "stakes", "wins", "ggr")


def dashboard_display(figures: dict[str, Any], reader: fmt.Reader) -> dict[str, Any]:
    """The dashboard's figures in the reader's words, beside the raw ones in the JSON, so
    the live script shows exactly what the server renders (it formats nothing itself)."""
    as_of = fmt.to_moment(int(figures["as_of"] * 1_000_000))
    out: dict[str, Any] = {name: fmt.count(figures.get(name), reader) for name in DASHBOARD_COUNTS}
    out["events_per_second"] = fmt.count(float(figures.get("events_per_second") or 0), reader)
    out["as_of"] = fmt.moment_text(as_of, reader) if as_of else ""
    out["as_of_title"] = fmt.exact_text(as_of, reader) if as_of else ""
    out["as_of_iso"] = fmt.iso(as_of) if as_of else ""
    out["today"] = {currency: {**{k: fmt.money(t.get(k), currency, reader) for k in TODAY_MONEY},
                               **{f"{k}_negative": fmt.is_negative(t.get(k)) for k in TODAY_MONEY},
                               "deposit_count": fmt.count(t.get("deposit_count"), reader)}
                    for currency, t in figures.get("today", {}).items()}
    return out


@router.get("/bo/api/dashboard")
def dashboard_json(request: Request, staff: Staff = Depends(require("dashboard.view"))) -> Response:
    with _fresh(request) as conn:
        figures = dashboard(conn)
    # a running backfill (the demo's) explains why the figures are still climbing
    figures["backfill"] = request.app.state.runtime.backfill.snapshot()
    return JSONResponse({**figures, "display": dashboard_display(figures, reader_for(request, staff))},
                        headers=_NO_STORE)


# -- players ------------------------------------------------------------------------------
@router.get("/players")
def players_page(request: Request, q: str = "", page: int = Query(1, ge=1, le=200_000),
                 staff: Staff = Depends(require("players.view"))) -> Response:
    """Search, one page of SEARCH_PAGE players at a time, saying how many matched in all."""
    q = q.strip()[:200]
    with _fresh(request) as conn:
        total = count_matches(conn, q)
        pages = max(1, -(-total // SEARCH_PAGE))
        page = min(page, pages)
        found = search(conn, q, SEARCH_PAGE, pii=staff.can("players.pii"), offset=(page - 1) * SEARCH_PAGE)
    return render(request, "players.html", staff, page="/players", title="Players", q=q, players=found,
                  total=total, page_number=page, pages=pages, first=(page - 1) * SEARCH_PAGE + 1)


@router.get("/players/{player_id:path}")
def player_page(request: Request, player_id: str, before_seq: int | None = Query(None, ge=1, le=MAX_SEQ),
                staff: Staff = Depends(require("players.view"))) -> Response:
    pii = staff.can("players.pii")
    view = player_360(request.app.state.runtime, player_id, pii=pii, timeline_limit=TIMELINE_PAGE,
                      aml=staff.can("aml.view"))
    if view is None:
        return render(request, "error.html", staff, status=404, page="/players", title="Player not found",
                      heading="Player not found",
                      message=f"No events have arrived for player {player_id!r}. Check the id, or "
                              "search by email or last name.")
    events = view["timeline"]
    if before_seq is not None and staff.can("events.view"):
        with _db(request).reader.connect() as conn:
            events = timeline_for_viewer(timeline(conn, player_id, TIMELINE_PAGE, before_seq), staff.can("aml.view"))
    currency = view["balances"]["currency"] or view["features"].get("currency")
    reader = reader_for(request, staff)
    audit_rows: list[dict[str, Any]] = []
    if staff.can("audit.view"):   # the player-360's audit tab: the latest records, the log has the rest
        with _db(request).reader.connect() as conn:
            audit_rows = [r for r in _audit_rows(conn, player_id, "", None, PLAYER_AUDIT)
                          if staff.can("aml.view") or not r["kind"].startswith("aml.")]
    return render(
        request, "player.html", staff, page="/players", title=f"Player {player_id}", view=view, pii=pii,
        review_outcomes=OUTCOMES, exclusion_kinds=EXCLUSION_KINDS,
        currency=currency, glance=glance(view["features"], currency, reader),
        groups=feature_groups(view["features"], currency, reader),
        timeline=timeline_rows(events, pii, reader) if staff.can("events.view") else [],
        clock=player_clock(request.app.state.runtime, view, reader),
        timeline_page=TIMELINE_PAGE, before_seq=before_seq, audit_rows=audit_rows,
        tasks=player_tasks(request.app.state.runtime, staff, player_id),
        pj=player_journeys(request.app.state.runtime, staff, player_id),
        **panel_context(request.app.state.runtime, staff, player_id))


@router.get("/bo/api/events")
def player_events_json(request: Request, player_id: str, before_seq: int | None = Query(None, ge=1, le=MAX_SEQ),
                       limit: int = Query(TIMELINE_PAGE, ge=1, le=500),
                       staff: Staff = Depends(require("events.view"))) -> Response:
    """Older timeline rows for the "load older" button, already shaped for display."""
    if not staff.can("players.view"):
        return JSONResponse({"detail": "missing permission players.view"}, status_code=403)
    with _db(request).reader.connect() as conn:
        events = timeline_for_viewer(timeline(conn, player_id, limit, before_seq), staff.can("aml.view"))
    return JSONResponse({"events": timeline_rows(events, staff.can("players.pii"), reader_for(request, staff)),
                         "more": len(events) == limit}, headers=_NO_STORE)


# -- RG officer's queue ---------------------------------------------------------------------
@router.get("/rg")
def rg_page(request: Request, min_level: str = "medium", assigned: str = "",
            staff: Staff = Depends(require("rg.view"))) -> Response:
    """The queue by risk, each open case with who works it; `assigned` filters: "me",
    "none" (unassigned) or an officer's username."""
    level = min_level if min_level in ("low", "medium", "high", "severe") else "medium"
    assigned = assigned.strip()[:128]
    runtime = request.app.state.runtime
    rows = case_queue(runtime, min_level=level, assigned=assigned, me=staff.username, pii=staff.can("players.pii"))
    with _db(request).reader.connect() as conn:
        names = officers(conn)
    return render(request, "rg.html", staff, page="/rg", title="RG queue", rows=rows, min_level=level,
                  assigned=assigned, officers=names, here=str(request.url.path) + (
                      "?" + request.url.query if request.url.query else ""))


@router.post("/players/{player_id:path}/rg-review")
def rg_review_form(request: Request, player_id: str, outcome: str = Form(""), note: str = Form(""),
                   lift_hard_stop: str = Form(""), csrf_token: str = Form(""),
                   staff: Staff = Depends(require("rg.review"))) -> Response:
    """An RG officer's review from the player's protection panel (audited, folded by the engine)."""
    check_csrf(staff, csrf_token)
    try:
        review_player(request.app.state.runtime, player_id, staff.username,
                      ReviewRequest(outcome=outcome, note=note, lift_hard_stop=bool(lift_hard_stop)))
    except (ReviewRefused, ValueError) as exc:
        return render(request, "error.html", staff, status=422, page="/rg", title="Review refused",
                      heading="Review refused", message=str(exc))
    return RedirectResponse(f"/players/{path_segment(player_id)}#protection", status_code=303)


# -- audit log ----------------------------------------------------------------------------
def _audit_rows(conn, player_id: str, kind: str, before_seq: int | None,  # noqa: ANN001
                limit: int = AUDIT_PAGE) -> list[dict[str, Any]]:
    stmt = select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit)
    if player_id:
        stmt = stmt.where(audit_log.c.player_id == player_id)
    if kind:
        stmt = stmt.where(audit_log.c.kind == kind)
    if before_seq:
        stmt = stmt.where(audit_log.c.seq < before_seq)
    rows = []
    for r in conn.execute(stmt):
        row = dict(r._mapping)
        try:
            body = json.loads(row["body"])
            row["body_pretty"] = json.dumps(body, indent=2, ensure_ascii=False)
        except ValueError:
            body, row["body_pretty"] = {}, row["body"]
        # beside the actor (who authenticated): whom an API key acted for, or a name the request gave
        row["on_behalf_of"] = body.get("on_behalf_of") if isinstance(body, dict) else None
        row["claimed_actor"] = body.get("claimed_actor") if isinstance(body, dict) else None
        # how long after it happened the log stored it (a gate decision carries its event's time)
        recorded = row.get("recorded_at_us")
        row["recorded_lag_s"] = (recorded - row["at_us"]) / 1_000_000 if recorded is not None else None
        row["reasons"], row["notes"] = codes_of(body)   # shown in words above the body
        rows.append(row)
    return rows


@router.get("/audit")
def audit_page(request: Request, player_id: str = "", kind: str = "",
               before_seq: int | None = Query(None, ge=1, le=MAX_SEQ),
               staff: Staff = Depends(require("audit.view"))) -> Response:
    player_id, kind = player_id.strip(), kind.strip()
    with _db(request).reader.connect() as conn:
        rows = _audit_rows(conn, player_id, kind, before_seq)
        kinds = sorted(conn.execute(select(audit_log.c.kind).distinct()).scalars())
    older = rows[-1]["seq"] if len(rows) == AUDIT_PAGE else None
    return render(request, "audit.html", staff, page="/audit", title="Audit log", rows=rows,
                  kinds=kinds, player_id=player_id, kind=kind, before_seq=before_seq, older=older)


@router.get("/audit/export.{fmt}")
def audit_export(request: Request, fmt: str, player_id: str = "", kind: str = "",
                 staff: Staff = Depends(require("audit.view"))) -> Response:
    """The regulator's export of what the filters select, in chain order with hashes;
    the export is itself an audited staff action."""
    if fmt not in ("csv", "json"):
        return render(request, "error.html", staff, status=404, title="Not found", heading="No such export",
                      message=f"exports come as .csv or .json, not .{fmt}")
    return export_response(_db(request), audit_filter(player_id=player_id, kind=kind), fmt, staff.username)


@router.get("/audit/why")
def audit_why(request: Request, player_id: str, action: str,
              staff: Staff = Depends(require("decisions.view"))) -> Response:
    answer = why(_db(request), player_id.strip(), action.strip(), aml=staff.can("aml.view"))
    return render(request, "why.html", staff, page="/audit", title=f"Why: {answer['action']}", answer=answer)


@router.get("/bo/api/audit/verify")
def audit_verify_json(request: Request, staff: Staff = Depends(require("audit.view"))) -> Response:
    """Walk the whole hash chain; the audit page shows the answer as its integrity indicator
    (`checked_text`: the count in the reader's words)."""
    with _db(request).reader.connect() as conn:
        checked, breaks = audit_store.verify(conn)
    return JSONResponse({"checked": checked, "checked_text": fmt.count(checked, reader_for(request, staff)),
                         "ok": not breaks,
                         "breaks": [{"seq": b.seq, "reason": b.reason} for b in breaks[:20]],
                         "break_count": len(breaks)}, headers=_NO_STORE)
