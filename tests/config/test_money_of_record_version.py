"""A brand's money of record is versioned configuration: proposed by one officer, approved by
a second, in force at once for the wallet and for ingest (SQLite and PostgreSQL)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from conftest import EventFactory  # tests/conftest.py

from .conftest import make_config_app, signed_in


def test_an_approved_version_moves_a_brand_to_the_ledger(db_url: str) -> None:
    from croupier.store.accounts import create_key

    app = make_config_app(db_url)
    try:
        with app.state.runtime.db.engine.begin() as conn:
            token, _ = create_key(conn, "pam", ["ingest", "read"])
        api = TestClient(app, headers={"Authorization": f"Bearer {token}"})
        events = EventFactory(player_id="m1", brand="casino-uk")
        gb = {"jurisdiction": "GB", "country": "GB", "currency": "GBP", "timezone": "Europe/London"}
        assert api.post("/v1/events", json=[events.registered(**gb)]).json()["accepted"] == 1
        deposit = {"transaction_id": "w1", "amount": "10.00", "currency": "GBP"}
        assert api.post("/v1/wallet/m1/deposits", json=deposit).json()["detail"]["field"] == "brand"   # the default

        cleo, otto = signed_in(app, "cleo"), signed_in(app, "otto")
        r = cleo.post("/v1/config/versions", {"patch": {"money_of_record": {"casino-uk": "ledger"}},
                                              "comment": "casino-uk moves to Croupier's wallet"})
        assert r.status_code == 201, r.text
        version = r.json()["version"]
        assert {"path": "money_of_record.casino-uk", "change": "added", "before": None, "after": "ledger"} \
            in r.json()["diff"]
        assert cleo.post(f"/v1/config/versions/{version}/approve").status_code == 403       # four eyes
        assert otto.post(f"/v1/config/versions/{version}/approve").status_code == 200

        assert api.post("/v1/wallet/m1/deposits", json=deposit).status_code == 200
        sent = api.post("/v1/events", json=[events("payment.deposit", transaction_id="t1", amount="5.00",
                                                   currency="GBP", status="approved")]).json()
        assert sent["accepted"] == 0 and sent["rejected"][0]["field"] == "type"
        assert api.get("/v1/config").json()["config"]["money_of_record"] == {"default": "platform",
                                                                             "casino-uk": "ledger"}
    finally:
        app.state.runtime.close()
