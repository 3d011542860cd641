"""The back office: server-rendered pages for staff, signed in with a session cookie.

Pages and their JSON live at `/`, `/login`, `/players`, `/rg`, `/reports`, `/config`, `/audit`,
`/segments`, `/journeys`, `/campaigns`, `/tasks`, `/users`, `/keys`, `/settings`, `/help` (the documentation) and `/bo/api/…`; scripts, styles and images at `/static`. Nothing is loaded from elsewhere."""

from __future__ import annotations

import os
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from croupier.api import errors as api_errors

from croupier.privacy import PERMISSIONS
from croupier.web import admin, aml_forms, config_pages, login, pages, protection_forms
from croupier.web import help_pages, journey_pages, model_pages, person_pages, report_pages, rg_forms, segment_pages, settings
from croupier.web import campaign_pages, results_pages, task_pages
from croupier.web.formatting import DEFAULT_LOCALE, DEFAULT_TIME_ZONE, Reader, valid_locale, valid_time_zone
from croupier.web.render import STATIC_DIR, render
from croupier.web.security import LoginThrottle
from croupier.web.staff import CsrfRefused, Forbidden, LoginRequired, current_staff

__all__ = ["LOCALE_ENV", "TIME_ZONE_ENV", "is_browser_route", "mount_back_office", "operator_display"]
JSON_PREFIX = "/bo/api/"
TIME_ZONE_ENV, LOCALE_ENV = "CROUPIER_TIME_ZONE", "CROUPIER_LOCALE"
# Paths whose errors stay machine-readable (JSON, or the framework's own answer for files
# and the API documentation); every other path is a page a person opened in a browser.
NOT_PAGES = ("/v1", "/bo/api", "/static", "/docs", "/redoc", "/openapi.json")


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
    app.include_router(model_pages.router)
    app.include_router(segment_pages.router)
    app.include_router(results_pages.router)   # before journey_pages: /journeys/{id}/results
    app.include_router(journey_pages.router)
    app.include_router(campaign_pages.router)
    app.include_router(task_pages.router)
    app.include_router(pages.router)
    app.include_router(config_pages.router)
    app.include_router(help_pages.router)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Exception, _server_error)


def is_browser_route(path: str) -> bool:
    """Whether an error at `path` is answered with a page (else JSON, as the API documents)."""
    return not any(path == p or path.startswith(p + "/") for p in NOT_PAGES)


def _staff_or_none(request: Request):  # noqa: ANN202
    """The signed-in staff member for an error page's navigation; None when the session
    cannot be read (the failure being reported may be the database itself)."""
    try:
        return current_staff(request)
    except Exception:  # noqa: BLE001 - an error page must render whatever failed
        return None


_HTTP_PAGES = {
    404: ("Page not found", "There is no page at this address. It may have moved, or the link may be "
                            "mistyped: use the navigation, or go back to the start page."),
    405: ("Not possible here", "This address does not accept that kind of request. Go back and use the "
                               "page's own buttons and forms."),
}


async def _http_error(request: Request, exc: Exception) -> Response:
    """Browser routes get a page with a way back (signed in or not); the API, the back
    office's JSON, static files and the API documentation keep their JSON answers."""
    assert isinstance(exc, StarletteHTTPException)
    if not is_browser_route(request.url.path):
        return await api_errors._on_http_error(request, exc)
    heading, message = _HTTP_PAGES.get(exc.status_code, ("Request refused", str(exc.detail)))
    response = render(request, "error.html", _staff_or_none(request), status=exc.status_code,
                      title=heading, heading=heading, message=message, status_code=exc.status_code)
    for name, value in (exc.headers or {}).items():
        response.headers.setdefault(name, value)
    return response


async def _invalid_request(request: Request, exc: Exception) -> Response:
    """A page's address with a value it cannot use (`?page=0`, `?before_seq=x`): a page
    naming the parameter, not the framework's JSON."""
    assert isinstance(exc, RequestValidationError)
    if not is_browser_route(request.url.path):
        return await api_errors._on_validation(request, exc)
    names = sorted({str(e.get("loc", ("", ""))[-1]) for e in exc.errors()})
    heading = "This address cannot be opened"
    message = (f"The address has a value this page cannot use ({', '.join(names)}). Follow the page's "
               "own links and forms rather than editing the address.")
    return render(request, "error.html", _staff_or_none(request), status=422, title=heading,
                  heading=heading, message=message, status_code=422)


async def _server_error(request: Request, exc: Exception) -> Response:
    """An unexpected failure, never shown in detail (a traceback tells a visitor about the
    code and nothing useful to staff). Starlette re-raises it after this answer, so the
    server logs it in full for the operator."""
    if not is_browser_route(request.url.path):
        return JSONResponse({"detail": "internal server error: the failure is logged on the server"},
                            status_code=500)
    heading = "Something went wrong"
    message = ("The page could not be shown because of an unexpected error on the server. Try again in "
               "a moment; if it keeps happening, tell your administrator when it happened: the details "
               "are in the server's log.")
    try:
        return render(request, "error.html", _staff_or_none(request), status=500, title=heading,
                      heading=heading, message=message, status_code=500)
    except Exception:  # noqa: BLE001 - the template itself failed: a plain page, still no traceback
        return HTMLResponse(f"<!doctype html><title>{heading}</title><h1>{heading}</h1><p>{message}</p>"
                            "<p><a href=\"/\">Back to the start page</a></p>", status_code=500)


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
