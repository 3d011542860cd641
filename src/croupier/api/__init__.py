"""The HTTP edge: FastAPI app, routes, API-key auth, the runtime it serves."""

from croupier.api.app import create_app
from croupier.api.runtime import Runtime

__all__ = ["Runtime", "create_app"]
