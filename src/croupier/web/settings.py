""""My settings": the signed-in staff member's own time zone and locale, which decide how
every page writes figures and times for them. Any signed-in user may change their own
(no permission beyond signing in); the change is CSRF-checked and audited like other staff
account changes, in the same transaction."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from decimal import Decimal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from croupier.store.accounts import set_display
from croupier.store.audit import Entry, append
from croupier.web import formatting as fmt
from croupier.web.render import display_defaults, reader_for, render
from croupier.web.staff import Staff, check_csrf, signed_in

router = APIRouter(include_in_schema=False)
SAMPLE_AMOUNT, SAMPLE_COUNT, SAMPLE_SHARE = Decimal("-462850.50"), 533_189, Decimal("0.8333")


def _page(request: Request, staff: Staff, *, status: int = 200, error: str = "", saved: bool = False,
          form: dict[str, str] | None = None) -> Response:
    defaults = display_defaults(request)
    reader = reader_for(request, staff)
    now = datetime.now(timezone.utc)
    return render(request, "settings.html", staff, status=status, page="/settings", title="My settings",
                  error=error, saved=saved, defaults=defaults, zones=fmt.time_zones(),
                  locales=[(name, fmt.locale_label(name)) for name in fmt.COMMON_LOCALES],
                  form=form or {"time_zone": staff.user.time_zone or "", "locale": staff.user.locale or ""},
                  sample={"money": fmt.money(SAMPLE_AMOUNT, "SEK", reader),
                          "money_gbp": fmt.money(Decimal("250"), "GBP", reader),
                          "count": fmt.count(SAMPLE_COUNT, reader), "percent": fmt.percent(SAMPLE_SHARE, reader),
                          "now": fmt.moment_text(now, reader)})


@router.get("/settings")
def settings_page(request: Request, saved: str = "", staff: Staff = Depends(signed_in)) -> Response:
    return _page(request, staff, saved=saved == "1")


@router.post("/settings")
def save_settings(request: Request, time_zone: str = Form(""), locale: str = Form(""),
                  csrf_token: str = Form(""), staff: Staff = Depends(signed_in)) -> Response:
    """Blank fields mean the operator's default; anything else must be an IANA zone name
    and a locale Babel knows, or nothing is saved and the form says why."""
    check_csrf(staff, csrf_token)
    form = {"time_zone": time_zone.strip()[:64], "locale": locale.strip()[:32]}
    try:
        zone = fmt.valid_time_zone(form["time_zone"]) if form["time_zone"] else None
        lang = fmt.valid_locale(form["locale"]) if form["locale"] else None
    except ValueError as exc:
        return _page(request, staff, status=422, error=str(exc), form=form)
    previous = {"time_zone": staff.user.time_zone, "locale": staff.user.locale}
    with request.app.state.runtime.db.engine.begin() as conn:
        set_display(conn, staff.user.user_id, zone, lang)
        append(conn, [Entry(time.time_ns() // 1000, actor=staff.username, kind="staff.settings_changed",
                            body={"time_zone": zone, "locale": lang, "previous": previous},
                            subject=staff.username)])
    return RedirectResponse("/settings?saved=1", status_code=303)
