"""The back office: server-rendered pages for staff, signed in with a session cookie.

Pages and their JSON live at `/`, `/login`, `/players`, `/rg`, `/reports`, `/config`, `/audit`,
`/users`, `/keys`, `/settings`, `/help` (the documentation) and `/bo/api/…`; scripts, styles and images at `/static`. Nothing is loaded from elsewhere."""

from __future__ import annotations

import os
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from croupier.privacy import PERMISSIONS
from croupier.web import admin, aml_forms, config_pages, login, pages, protection_forms
from croupier.web import help_pages, person_pages, report_pages, rg_forms, settings
from croupier.web.formatting import DEFAULT_LOCALE, DEFAULT_TIME_ZONE, Reader, valid_locale, valid_time_zone
from croupier.web.render import STATIC_DIR, render
from croupier.web.security import LoginThrottle
from croupier.web.staff import CsrfRefused, Forbidden, LoginRequired

__all__ = ["LOCALE_ENV", "TIME_ZONE_ENV", "mount_back_office", "operator_display"]
JSON_PREFIX = "/bo/api/"
TIME_ZONE_ENV, LOCALE_ENV = "CROUPIER_TIME_ZONE", "CROUPIER_LOCALE"


def operator_display(time_zone: str | None = None, locale: str | None = None) -> Reader:
    """The operator's default time zone and locale for staff who chose none: the arguments,
    else $CROUPIER_TIME_ZONE / $CROUPIER_LOCALE, else UTC and en. A name that is not an IANA
    zone or a locale Babel knows is refused (ValueError) when the server starts."""
    zone = time_zone or os.environ.get(TIME_ZONE_ENV) or DEFAULT_TIME_ZONE
    lang = locale or os.environ.get(LOCALE_ENV) or DEFAULT_LOCALE
    return Reader.of(valid_locale(lang), valid_time_zone(zone))


def mount_back_office(app: FastAPI, display: Reader | None = None) -> None:
    app.state.login_throttle = LoginThrottle()
    app.state.display_defaults = display or operator_display()
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(login.router)
    app.include_router(admin.router)
    app.include_router(settings.router)
    app.include_router(protection_forms.router)
    app.include_router(aml_forms.router)
    app.include_router(person_pages.router)   # before pages: /players/{id}/person
    app.include_router(rg_forms.router)
    app.include_router(report_pages.router)
    app.include_router(pages.router)
    app.include_router(config_pages.router)
    app.include_router(help_pages.router)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(CsrfRefused, _csrf_refused)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(JSON_PREFIX)


async def _login_required(request: Request, _exc: Exception) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": "sign in first: the session is missing or has expired"},
                            status_code=401)
    target = request.url.path
    if request.method == "GET" and request.url.query:
        target += "?" + request.url.query
    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)


async def _forbidden(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Forbidden)
    what = PERMISSIONS.get(exc.permission, "")
    message = (f"This page needs the permission {exc.permission} ({what}). "
               f"Your role, {exc.staff.role}, does not have it; an administrator can change your role.")
    if _wants_json(request):
        return JSONResponse({"detail": message, "missing_permission": exc.permission}, status_code=403)
    return render(request, "error.html", exc.staff, status=403, title="Not allowed",
                  heading="You may not open this page", message=message,
                  missing_permission=exc.permission)


async def _csrf_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CsrfRefused)
    return render(request, "error.html", exc.staff, status=403, title="Form refused",
                  heading="Form refused",
                  message="The form's security token is missing or out of date, so nothing was "
                          "changed. Reload the page and submit it again.")
