"""The FastAPI application: REST API under /v1, the back office under /."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from croupier import __version__
from croupier.api import aml_routes, audit_routes, config_routes, protection, reports, rg_routes, routes, wallet
from croupier.api import campaign_routes, docs, errors, journey_routes, model_routes, person_routes, segment_routes, task_routes
from croupier.api import journey_count_routes
from croupier.api.guard import InputGuard
from croupier.api.runtime import Runtime
from croupier.api.wallet_lane import WalletLane
from croupier.events import event_json_schema
from croupier.players import EngineConfig


def create_app(db_url: str | None = None, config: EngineConfig | None = None, *,
               runtime: Runtime | None = None, background: bool = True, web: bool = True,
               wallet_lane: bool = True, trusted_proxies: list[str] | None = None) -> FastAPI:
    """`wallet_lane`: answer well-formed wallet postings without the framework's routing
    (`api.wallet_lane`); off only to compare the two paths. `trusted_proxies`: the only peers
    whose X-Forwarded-For / -Proto are believed (default: CROUPIER_TRUSTED_PROXIES, else none)."""
    runtime = runtime or Runtime(db_url, config)

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # noqa: ANN202
        if background:
            runtime.start()
        yield
        runtime.close()

    # /docs and /redoc are served from the package's own copies (api.docs), not FastAPI's CDN.
    app = FastAPI(title="Croupier", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Self-hosted iGaming CRM with player protection built in. "
                              "Authenticate with `Authorization: Bearer crp_…` (create keys with "
                              "`croupier keys create --scope ingest|read|protection|admin`).")
    app.state.runtime = runtime
    # Routers are matched in order: the hot paths (wallet, event ingest) first.
    for module in (wallet, routes, protection, config_routes, audit_routes, rg_routes, aml_routes, reports):
        app.include_router(module.router)
    app.include_router(person_routes.router)
    app.include_router(model_routes.router)
    app.include_router(segment_routes.router)
    app.include_router(journey_routes.router)
    app.include_router(campaign_routes.router)
    app.include_router(journey_count_routes.router)
    app.include_router(task_routes.router)
    if wallet_lane:
        app.add_middleware(WalletLane)
    app.add_middleware(InputGuard)   # added last: the outermost layer, in front of the wallet lane
    errors.install(app)
    if web:
        from croupier.web import mount_back_office

        mount_back_office(app)
    docs.install(app, mount_static=not web)
    from croupier.web.security import trusted_proxies as proxy_setting

    proxies = proxy_setting(trusted_proxies)
    if proxies:   # outermost: every route, the login throttle included, sees the forwarded client
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
    _add_event_schema(app)
    return app


def app_from_environment() -> FastAPI:
    """The app a worker process builds (`croupier serve --workers N`): the database from
    CROUPIER_DATABASE_URL, the start configuration from CROUPIER_CONFIG."""
    import os
    from pathlib import Path

    from croupier.players import load_config

    path = os.environ.get("CROUPIER_CONFIG")
    return create_app(None, load_config(Path(path).read_bytes() if path else None))


def _add_event_schema(app: FastAPI) -> None:
    """Put protocol v1's schema into the OpenAPI components so /docs shows every event type,
    and declare every error status each operation can answer (`errors.declare_errors`)."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = original()
        schema = event_json_schema()
        defs = schema.pop("$defs", {})
        components = spec.setdefault("components", {}).setdefault("schemas", {})
        for name, body in defs.items():
            components.setdefault(name, body)
        components["Event"] = {k: v for k, v in schema.items() if k != "$schema"}
        errors.declare_errors(spec)
        text = __import__("json").dumps(spec).replace("#/$defs/", "#/components/schemas/")
        app.openapi_schema = __import__("json").loads(text)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
