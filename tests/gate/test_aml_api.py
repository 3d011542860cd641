"""A player's AML status over the API and the back office, on SQLite and PostgreSQL: who may
set it, the fact and audit entry it writes (once, however often a request is retried), the
gate decisions and wallet refusals that follow with their reasons, and a replay that
rebuilds the same state."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from croupier.store import audit as audit_store, states
from croupier.store.accounts import create_key, create_user, open_session


@pytest.fixture
def aml(ledger_client, make_event):  # noqa: ANN001, ANN201
    """p1 (Sweden, consents to email, a deposit limit set before play; the ledger keeps the
    money) and staff: olga (compliance officer), ann (AML analyst), sam (support agent);
    `.admin` holds an admin key's header."""
    app_client = ledger_client
    assert app_client.post("/v1/events", content=json.dumps([make_event.registered(timedelta(minutes=-5))])
                           ).status_code == 200
    assert app_client.post("/v1/players/p1/limits", json={"kind": "deposit", "period": "day",
                                                          "amount": "5000.00", "currency": "SEK"}).status_code == 200
    runtime = app_client.app.state.runtime
    with runtime.db.engine.begin() as conn:
        app_client.staff = {name: create_user(conn, name, f"{name}-password-01", role) for name, role in
                            (("olga", "compliance_officer"), ("ann", "aml_analyst"), ("sam", "support_agent"))}
        token, _ = create_key(conn, "aml tooling", ["admin", "read"])
    app_client.admin = {"Authorization": f"Bearer {token}"}
    return app_client


def _set(api, status: str, who: str = "olga", **extra):  # noqa: ANN001, ANN003, ANN202
    body = {"status": status, "reason": f"{status}: source of funds", **extra}
    return api.post("/v1/players/p1/aml-status", json=body, headers={**api.admin, "X-Croupier-Actor": who})


def _wallet(api, what: str, tx: str, amount: str = "100.00"):  # noqa: ANN001, ANN202
    return api.post(f"/v1/wallet/p1/{what}", json={"transaction_id": tx, "amount": amount, "currency": "SEK"})


def test_who_may_set_it_and_what_is_refused(aml) -> None:  # noqa: ANN001
    refused = _set(aml, "review", who="sam")
    assert refused.status_code == 403 and "aml.edit" in refused.json()["detail"]
    assert _set(aml, "frozen").status_code == 422
    no_reason = aml.post("/v1/players/p1/aml-status", json={"status": "review", "reason": ""},
                         headers={**aml.admin, "X-Croupier-Actor": "olga"})
    assert no_reason.status_code == 422
    unknown = aml.post("/v1/players/nobody/aml-status", json={"status": "review", "reason": "x"},
                       headers={**aml.admin, "X-Croupier-Actor": "olga"})
    assert unknown.status_code == 404
    ingest_only = aml.post("/v1/players/p1/aml-status", json={"status": "review", "reason": "x"},
                           headers={"X-Croupier-Actor": "olga"})     # the fixture's ingest/read key
    assert ingest_only.status_code == 403
    assert aml.get("/v1/players/p1/aml-status").json()["status"] == "clear"


def test_review_then_blocked_then_clear_end_to_end(aml) -> None:  # noqa: ANN001
    done = _set(aml, "review", who="ann", request_id="req-1", case_id="AML-7")
    assert done.status_code == 200, done.text
    answer = done.json()
    key = "api-key:" + aml.admin["Authorization"].split("_")[1]     # the key that acted, for ann
    assert (answer["status"], answer["previous"], answer["changed"], answer["set_by"], answer["on_behalf_of"]) == \
        ("review", "clear", True, key, "ann")
    again = _set(aml, "review", who="ann", request_id="req-1", case_id="AML-7").json()
    assert again["changed"] is False and again["status"] == "review"
    events = aml.get("/v1/players/p1/events").json()["events"]
    facts = [e["event"] for e in events if e["type"] == "croupier.aml_status_changed"]
    assert len(facts) == 1
    assert {k: facts[0][k] for k in ("status", "source", "actor", "case_id")} == \
        {"status": "review", "source": "staff", "actor": key, "case_id": "AML-7"}
    records = aml.get("/v1/audit", params={"kind": "aml.status_changed"}, headers=aml.admin).json()["records"]
    assert len(records) == 1 and records[0]["actor"] == key
    assert records[0]["body"] == {"status": "review", "previous": "clear", "source": "staff",
                                  "reason": "review: source of funds", "case_id": "AML-7", "on_behalf_of": "ann"}

    # Under review: bonus credits refused by the ledger; deposits pass, and the first-deposit
    # promotion they trigger is suppressed by the gate with the reason named and audited.
    bonus = _wallet(aml, "bonus-credits", "promo-1")
    assert bonus.status_code == 403 and [r["code"] for r in bonus.json()["reasons"]] == ["aml_review"]
    assert _wallet(aml, "deposits", "d1").status_code == 200
    aml.app.state.runtime.engine.process_pending()
    why = aml.get("/v1/players/p1/why", params={"action": "first_deposit_thanks"}).json()
    [decision] = why["decisions"]
    assert decision["allowed"] is False and "aml_review" in decision["reasons"]
    assert decision["config_version"] == aml.app.state.runtime.config.version

    assert _set(aml, "blocked").json()["status"] == "blocked"
    late_retry = _set(aml, "review", who="ann", request_id="req-1", case_id="AML-7").json()
    assert late_retry["changed"] is False and late_retry["status"] == "blocked"   # recorded once, long ago
    for what in ("deposits", "withdrawals", "bonus-credits"):
        refused = _wallet(aml, what, f"{what}-2", "10.00")
        assert refused.status_code == 403 and "aml_blocked" in [r["code"] for r in refused.json()["reasons"]], what
    bet = aml.post("/v1/wallet/p1/bets", json={"transaction_id": "bet-2", "amount": "1.00", "currency": "SEK"})
    assert bet.status_code == 403 and bet.json()["reasons"][0]["code"] == "aml_blocked"

    assert _set(aml, "clear").json()["status"] == "clear"
    assert _wallet(aml, "bonus-credits", "promo-1").status_code == 200
    view = aml.get("/v1/players/p1/aml-status").json()
    assert [h["status"] for h in view["history"]] == ["clear", "blocked", "review"]
    assert aml.get("/v1/players/p1").json()["protection"]["aml"]["status"] == "clear"

    runtime = aml.app.state.runtime
    runtime.engine.process_pending()
    live = states.encode(runtime.engine.state_of("p1"))
    runtime.engine.reset()
    runtime.engine.process_pending()
    assert states.encode(runtime.engine.state_of("p1")) == live
    with runtime.db.engine.connect() as conn:
        assert audit_store.verify(conn)[1] == []                    # the hash chain holds


def test_the_form_on_the_protection_panel(aml) -> None:  # noqa: ANN001
    runtime = aml.app.state.runtime
    with runtime.db.engine.begin() as conn:
        olga_token, olga_csrf = open_session(conn, aml.staff["olga"])
        sam_token, sam_csrf = open_session(conn, aml.staff["sam"])
    browser = {"headers": {"Authorization": ""}, "follow_redirects": False}
    page = aml.get("/players/p1", cookies={"croupier_session": olga_token}, **browser).text
    assert 'id="aml-form"' in page and 'id="aml-status"' in page
    hidden = aml.get("/players/p1", cookies={"croupier_session": sam_token}, **browser).text
    assert 'id="aml-status"' not in hidden and 'id="aml-form"' not in hidden   # no tipping off
    form = {"status": "restricted", "reason": "EDD outstanding", "case_id": ""}
    assert aml.post("/players/p1/protection/aml-status", data=form, cookies={"croupier_session": olga_token},
                    **browser).status_code == 403                                     # no CSRF token
    assert aml.post("/players/p1/protection/aml-status", data={**form, "csrf_token": sam_csrf},
                    cookies={"croupier_session": sam_token}, **browser).status_code == 403
    bad = aml.post("/players/p1/protection/aml-status", data={**form, "reason": " ", "csrf_token": olga_csrf},
                   cookies={"croupier_session": olga_token}, **browser)
    assert bad.status_code == 422 and "reason" in bad.text
    done = aml.post("/players/p1/protection/aml-status", data={**form, "csrf_token": olga_csrf},
                    cookies={"croupier_session": olga_token}, **browser)
    assert done.status_code == 303 and done.headers["location"] == "/players/p1#aml"
    assert runtime.engine.state_of("p1").protection.aml_status == "restricted"
