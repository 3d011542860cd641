"""API keys: 401 for a missing, malformed, unknown or revoked key, 403 naming a missing scope,
and HMAC request signatures for keys that require them."""

from __future__ import annotations

import json
import time

import pytest

from croupier.privacy import sign
from croupier.store.accounts import create_key, revoke_key

EVENTS = b"[]"


def _key(client, scopes: list[str], signing: bool = False) -> tuple[str, str | None]:  # noqa: ANN001
    with client.app.state.runtime.db.engine.begin() as conn:
        return create_key(conn, "t", scopes, signing=signing)


def _post(client, token: str | None, content: bytes = EVENTS, **headers: str):  # noqa: ANN001, ANN202
    sent = {k.replace("_", "-"): v for k, v in headers.items()}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    client.headers.pop("Authorization", None)
    return client.post("/v1/events", content=content, headers=sent)


@pytest.mark.parametrize(("token", "words"), [
    (None, "API key is required"),
    ("", "API key is required"),
    ("not-a-key", "malformed API key"),
    ("crp_only-two", "malformed API key"),
    ("crp__secret", "malformed API key"),
    ("crp_abcdef123456_wrongsecret", "unknown API key"),
])
def test_missing_malformed_and_unknown_keys_are_401(app_client, token, words):
    response = _post(app_client, token)
    assert response.status_code == 401
    assert words in response.json()["detail"]
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_known_key_id_with_the_wrong_secret_is_unknown(app_client):
    token, _ = _key(app_client, ["ingest"])
    prefix, key_id, _ = token.split("_", 2)
    response = _post(app_client, f"{prefix}_{key_id}_guessed")
    assert response.status_code == 401
    assert response.json()["detail"] == "unknown API key"


def test_a_revoked_key_is_401_naming_the_key(app_client):
    token, _ = _key(app_client, ["ingest"])
    key_id = token.split("_", 2)[1]
    with app_client.app.state.runtime.db.engine.begin() as conn:
        assert revoke_key(conn, key_id)
    response = _post(app_client, token)
    assert response.status_code == 401
    assert key_id in response.json()["detail"] and "revoked" in response.json()["detail"]


def test_the_x_api_key_header_works_too(app_client):
    token, _ = _key(app_client, ["ingest"])
    app_client.headers.pop("Authorization", None)
    assert app_client.post("/v1/events", content=EVENTS, headers={"X-API-Key": token}).status_code == 200


def test_a_missing_scope_is_403_naming_it(app_client):
    read_only, _ = _key(app_client, ["read"])
    response = _post(app_client, read_only)
    assert response.status_code == 403
    assert "'ingest' scope" in response.json()["detail"] and "read" in response.json()["detail"]
    ingest_only, _ = _key(app_client, ["ingest"])
    app_client.headers["Authorization"] = f"Bearer {ingest_only}"
    response = app_client.get("/v1/players")
    assert response.status_code == 403 and "'read' scope" in response.json()["detail"]
    admin, _ = _key(app_client, ["admin"])
    assert _post(app_client, admin).status_code == 200         # admin implies every scope


def test_signed_keys(app_client, make_event):
    token, secret = _key(app_client, ["ingest"], signing=True)
    assert secret
    content = json.dumps([make_event.registered()]).encode()
    now = str(int(time.time()))

    unsigned = _post(app_client, token, content)
    assert unsigned.status_code == 401 and "required for this key" in unsigned.json()["detail"]

    wrong = _post(app_client, token, content, X_Croupier_Timestamp=now,
                  X_Croupier_Signature=sign("not-the-secret", now, content))
    assert wrong.status_code == 401 and "does not match" in wrong.json()["detail"]

    stale_ts = str(int(time.time()) - 360)   # the window is 5 minutes; a minute of margin for a slow machine
    stale = _post(app_client, token, content, X_Croupier_Timestamp=stale_ts,
                  X_Croupier_Signature=sign(secret, stale_ts, content))
    assert stale.status_code == 401 and "from the server clock" in stale.json()["detail"]

    future_ts = str(int(time.time()) + 360)
    assert _post(app_client, token, content, X_Croupier_Timestamp=future_ts,
                 X_Croupier_Signature=sign(secret, future_ts, content)).status_code == 401

    garbled = _post(app_client, token, content, X_Croupier_Timestamp="yesterday",
                    X_Croupier_Signature=sign(secret, "yesterday", content))
    assert garbled.status_code == 401 and "Unix seconds" in garbled.json()["detail"]

    altered = content.replace(b"Anna", b"Otto")
    tampered = _post(app_client, token, altered, X_Croupier_Timestamp=now,
                     X_Croupier_Signature=sign(secret, now, content))
    assert tampered.status_code == 401 and "does not match" in tampered.json()["detail"]

    good = _post(app_client, token, content, X_Croupier_Timestamp=now,
                 X_Croupier_Signature=sign(secret, now, content))
    assert good.status_code == 200, good.text
    assert good.json()["accepted"] == 1
    # nothing from the refused requests was stored
    assert good.json()["duplicates"] == 0


def test_a_signature_on_a_key_without_a_secret_is_refused(app_client):
    token, secret = _key(app_client, ["ingest"])
    assert secret is None
    now = str(int(time.time()))
    response = _post(app_client, token, EVENTS, X_Croupier_Timestamp=now, X_Croupier_Signature="sha256=00")
    assert response.status_code == 401 and "no signing secret" in response.json()["detail"]


def test_a_key_revoked_after_use_stops_working(app_client, monkeypatch):
    """Revoked in this process (the back office evicts the cached key): refused at once.
    Revoked elsewhere (another process, the CLI): refused once the short cache expires."""
    from croupier.api import runtime as runtime_module

    runtime = app_client.app.state.runtime
    here, _ = _key(app_client, ["ingest"])
    elsewhere, _ = _key(app_client, ["ingest"])
    for token in (here, elsewhere):
        assert _post(app_client, token).status_code == 200         # now cached
        with runtime.db.engine.begin() as conn:
            assert revoke_key(conn, token.split("_", 2)[1])
    runtime.forget_key(here.split("_", 2)[1])
    assert _post(app_client, here).status_code == 401
    later = time.monotonic() + runtime_module.KEY_CACHE_SECONDS + 0.01
    monkeypatch.setattr(runtime_module.time, "monotonic", lambda: later)
    assert runtime_module.KEY_CACHE_SECONDS <= 5
    response = _post(app_client, elsewhere)
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
