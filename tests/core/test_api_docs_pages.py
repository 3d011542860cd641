"""/docs and /redoc without a browser: served from the package's vendored copies for every app
(the back office's or an API-only one), and each page's CSP admits its one inline script by
hash and nothing from another origin. The browser half is tests/web/test_api_docs_offline.py."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize("web", [True, False], ids=["with back office", "API only"])
def test_docs_pages_and_their_assets_are_served_locally(tmp_path, web: bool) -> None:  # noqa: ANN001
    from croupier.api import create_app

    app = create_app(f"sqlite:///{tmp_path / 'c.db'}", background=False, web=web)
    with TestClient(app) as client:
        for page in ("/docs", "/redoc"):
            answer = client.get(page)
            assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
            assets = re.findall(r'(?:src|href)="([^"]+)"', answer.text)
            assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets), assets
            for asset in assets:
                assert client.get(asset).status_code == 200, asset
            csp = answer.headers["content-security-policy"]
            scripts = re.findall(r"<script>(.*?)</script>", answer.text, re.S)
            for body in scripts:   # Swagger UI's start-up call: allowed by its hash only
                digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
                assert f"'sha256-{digest}'" in csp
            assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
        assert client.get("/openapi.json").status_code == 200
        assert "/docs" not in app.openapi()["paths"]
