"""The API reference pages, /docs (Swagger UI) and /redoc, served with no internet.

FastAPI's own pages load their scripts and styles from a CDN and a favicon from the
framework's site, so offline (an operator's closed network, a laptop on a train) they are
blank. Here the same pages are built from copies shipped in the package
(`web/static/vendor/swagger-ui`, `web/static/vendor/redoc`, each with its licence and a
note of the npm release it came from), and each page carries a Content-Security-Policy
that lets the browser load nothing from anywhere but this server: Swagger UI's validator
badge (which would send the spec's URL to validator.swagger.io) is switched off, and
ReDoc's Google Fonts link is never written."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

STATIC = "/static"
SWAGGER_JS = f"{STATIC}/vendor/swagger-ui/swagger-ui-bundle.js"
SWAGGER_CSS = f"{STATIC}/vendor/swagger-ui/swagger-ui.css"
REDOC_JS = f"{STATIC}/vendor/redoc/redoc.standalone.js"
FAVICON = f"{STATIC}/favicon.svg"

# Swagger UI's defaults, less the one that calls out: `validatorUrl` null removes the badge
# that asks validator.swagger.io about the spec (and tells it the spec's address).
SWAGGER_PARAMETERS = {
    "dom_id": "#swagger-ui",
    "layout": "BaseLayout",
    "deepLinking": True,
    "showExtensions": True,
    "showCommonExtensions": True,
    "validatorUrl": None,
}

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def _csp(html: str) -> str:
    """Everything from this server only. The pages' one inline script (Swagger UI's start-up
    call, written by FastAPI) is allowed by its hash, not by 'unsafe-inline'. Styles may be
    inline: both renderers style their components by injecting <style> elements; a style
    cannot fetch anything that img-src, font-src and connect-src do not allow. ReDoc runs
    its search index in a worker built from a blob: URL of its own code, hence worker-src."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html))
    return ("default-src 'self'; "
            f"script-src 'self'{' ' + hashes if hashes else ''}; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
            "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'")


def _page(response: HTMLResponse) -> HTMLResponse:
    html = bytes(response.body).decode()
    response.headers["Content-Security-Policy"] = _csp(html)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def swagger_page(openapi_url: str, title: str) -> HTMLResponse:
    return _page(get_swagger_ui_html(
        openapi_url=openapi_url, title=f"{title} - API reference", swagger_js_url=SWAGGER_JS,
        swagger_css_url=SWAGGER_CSS, swagger_favicon_url=FAVICON,
        swagger_ui_parameters=SWAGGER_PARAMETERS))


def redoc_page(openapi_url: str, title: str) -> HTMLResponse:
    return _page(get_redoc_html(
        openapi_url=openapi_url, title=f"{title} - API reference", redoc_js_url=REDOC_JS,
        redoc_favicon_url=FAVICON, with_google_fonts=False))


def install(app: FastAPI, *, mount_static: bool) -> None:
    """Add /docs and /redoc (kept out of the OpenAPI document itself). The app must be built
    with `docs_url=None, redoc_url=None`. `mount_static`: serve /static here, for an app
    without the back office (which otherwise mounts it)."""
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return swagger_page(openapi_url, app.title)

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return redoc_page(openapi_url, app.title)

    if mount_static:
        from starlette.staticfiles import StaticFiles

        from croupier.web.render import STATIC_DIR

        app.mount(STATIC, StaticFiles(directory=STATIC_DIR), name="static")
