"""Fixtures shared by the protection tests: a runtime on each database and an API client."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from croupier.api import create_app
from croupier.store.accounts import create_key

from . import make_runtime


@pytest.fixture
def runtime(db_url):  # noqa: ANN001, ANN201
    runtime = make_runtime(db_url)
    yield runtime
    runtime.close()


@pytest.fixture
def client(runtime):  # noqa: ANN001, ANN201
    app = create_app(runtime=runtime, background=False, web=False)
    with runtime.db.engine.begin() as conn:
        token, _ = create_key(conn, "tests", ["ingest", "read", "admin"])
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client
