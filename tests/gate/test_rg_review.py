"""An RG officer's review closes the player's open case and, if they decide so, lifts the
hard stop; it is audited, folded through the log, and survives a replay."""

from __future__ import annotations

import json

from croupier.models.rg.default import VERSION
from croupier.store import states
from croupier.store.accounts import create_key, create_user


def test_a_review_lifts_the_hard_stop_and_closes_the_case(app_client, make_event) -> None:  # noqa: ANN001
    assert app_client.post("/v1/events", content=json.dumps(make_event.at_severe_risk())).status_code == 200
    before = app_client.get("/v1/players/p1").json()["protection"]
    assert before["risk_level"] == "severe" and before["deposits_blocked"] is True
    assert before["open_cases"] == 1
    risk = before["risk"]                                    # the score, the peak and what raised it
    assert (risk["level"], risk["score_level"], risk["peak_level"], risk["held"]) == ("severe", "severe", "severe", None)
    assert risk["score"] >= 0.8 and risk["score_text"] == f"{risk['score']:.2f}"
    assert risk["model_version"] == VERSION and risk["config_version"]
    odds = [c["log_odds"] for c in risk["contributions"]]
    assert odds and odds == sorted(odds, reverse=True) and abs(sum(c["share"] for c in risk["contributions"]) - 1) < 0.01
    assert any(c["input"] == "marker:distress" and c["text"].startswith("marker distress at severity")
               for c in risk["contributions"])
    assert before["risk_history"][0]["model_version"] == VERSION
    assert before["risk_history"][0]["cause"] == "score"
    assert {i["model_version"] for i in before["interventions"]} == {VERSION}

    runtime = app_client.app.state.runtime
    with runtime.db.engine.begin() as conn:
        create_user(conn, "olga", "olga-password-1", "compliance_officer")
        create_user(conn, "sam", "sam-password-01", "support_agent")
        token, _ = create_key(conn, "rg tooling", ["protection"])
        audit_token, _ = create_key(conn, "audit", ["admin"])
    admin = {"Authorization": f"Bearer {token}"}
    key = f"api-key:{token.split('_')[1]}"
    body = {"outcome": "limits_agreed", "note": "called; weekly limit 500 SEK agreed", "lift_hard_stop": True}
    refused = app_client.post("/v1/players/p1/rg-review", json=body, headers={**admin, "X-Croupier-Actor": "sam"})
    assert refused.status_code == 403 and "rg.review" in refused.json()["detail"]
    bad = app_client.post("/v1/players/p1/rg-review", json={**body, "outcome": "shrug"},
                          headers={**admin, "X-Croupier-Actor": "olga"})
    assert bad.status_code == 422 and "outcome must be one of" in bad.json()["detail"]["message"]

    done = app_client.post("/v1/players/p1/rg-review", json=body, headers={**admin, "X-Croupier-Actor": "olga"})
    assert done.status_code == 200, done.text
    assert done.json() == {"player_id": "p1", "reviewed_by": key, "on_behalf_of": "olga", "outcome": "limits_agreed",
                           "deposits_blocked": False, "risk_level": "severe", "open_cases": 0}
    after = app_client.get("/v1/players/p1").json()["protection"]
    assert after["deposits_blocked"] is False
    assert [i["status"] for i in after["interventions"] if i["kind"] == "human"] == ["reviewed"]
    record = app_client.get("/v1/audit", params={"kind": "protection.rg_reviewed"},
                            headers={"Authorization": f"Bearer {audit_token}"}).json()["records"]
    assert record[0]["actor"] == key and record[0]["body"]["on_behalf_of"] == "olga"
    assert record[0]["body"]["lift_hard_stop"] is True

    live = states.encode(runtime.engine.state_of("p1"))
    runtime.engine.reset()
    runtime.engine.process_pending()
    assert states.encode(runtime.engine.state_of("p1")) == live


def test_the_review_form_on_the_player_page(app_client, make_event) -> None:  # noqa: ANN001
    from croupier.store.accounts import open_session

    app_client.post("/v1/events", content=json.dumps(make_event.at_severe_risk()))
    runtime = app_client.app.state.runtime
    with runtime.db.engine.begin() as conn:
        olga = create_user(conn, "olga", "olga-password-1", "compliance_officer")
        carl = create_user(conn, "carl", "carl-password-1", "crm_manager")
        olga_token, olga_csrf = open_session(conn, olga)
        carl_token, carl_csrf = open_session(conn, carl)
    no_key = {"Authorization": ""}
    page = app_client.get("/players/p1", cookies={"croupier_session": olga_token}, headers=no_key).text
    assert 'id="rg-review-form"' in page and 'id="open-cases"' in page and 'id="lift_hard_stop"' in page
    form = {"outcome": "contacted_player", "note": "spoke to the player", "lift_hard_stop": "1"}
    missing = app_client.post("/players/p1/rg-review", data=form, cookies={"croupier_session": olga_token},
                              headers=no_key)
    assert missing.status_code == 403  # no CSRF token
    crm = app_client.post("/players/p1/rg-review", data={**form, "csrf_token": carl_csrf},
                          cookies={"croupier_session": carl_token}, headers=no_key)
    assert crm.status_code == 403      # a CRM manager may not review
    done = app_client.post("/players/p1/rg-review", data={**form, "csrf_token": olga_csrf},
                           cookies={"croupier_session": olga_token}, headers=no_key, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/players/p1#protection"
    assert runtime.engine.state_of("p1").protection.deposits_blocked is False
    page = app_client.get("/players/p1", cookies={"croupier_session": olga_token}, headers=no_key).text
    assert 'id="open-cases"' not in page and 'id="lift_hard_stop"' not in page


def test_why_a_promotion_was_held_for_risk_explains_the_risk(app_client, make_event) -> None:  # noqa: ANN001
    from datetime import timedelta

    events = make_event.at_severe_risk()
    events.append(make_event("payment.deposit", timedelta(minutes=-30), transaction_id="p1-ok", amount="100.00",
                             currency="SEK", status="approved", method="card"))
    assert app_client.post("/v1/events", content=json.dumps(events)).status_code == 200
    got = app_client.get("/v1/players/p1/why", params={"action": "first_deposit_thanks"}).json()
    assert got["received"] is False and "promotions_paused" in got["decisions"][0]["reasons"]
    risk = got["risk"]
    assert risk["level"] == "severe" and risk["score"] >= 0.8 and risk["peak_level"] == "severe"
    assert any(c["input"] == "marker:distress" for c in risk["contributions"])
    # an action held for no RG reason carries no risk section
    from conftest import EventFactory

    calm = EventFactory(player_id="p2")
    assert app_client.post("/v1/events", content=json.dumps([calm.registered()])).status_code == 200
    welcome = app_client.get("/v1/players/p2/why", params={"action": "welcome"}).json()
    assert welcome["decisions"] and not any(r.startswith(("rg_risk", "promotions_paused"))
                                            for d in welcome["decisions"] for r in d["reasons"])
    assert welcome.get("risk") is None
