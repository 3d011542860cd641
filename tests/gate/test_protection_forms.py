"""Staff set an operator limit and impose an exclusion from the player's protection panel:
the same rules, history, facts and audit as the API; refused without the permission or
the CSRF token, and refused with the rules' reason when the rules say no."""

from __future__ import annotations

import json
from datetime import timedelta

from croupier.players import micros
from croupier.players.protection_state import active_exclusions, limits_in_force
from croupier.store.accounts import create_key, create_user, open_session


def _sessions(runtime):  # noqa: ANN001, ANN202
    with runtime.db.engine.begin() as conn:
        olga = create_user(conn, "olga", "olga-password-1", "compliance_officer")
        sam = create_user(conn, "sam", "sam-password-01", "support_agent")
        return open_session(conn, olga), open_session(conn, sam)


def test_an_operator_limit_and_an_exclusion_from_the_panel(app_client, make_event) -> None:  # noqa: ANN001
    app_client.post("/v1/events", content=json.dumps([make_event.registered(timedelta(minutes=-5),
                                                                            jurisdiction="XX")]))
    runtime = app_client.app.state.runtime
    (olga, olga_csrf), (sam, sam_csrf) = _sessions(runtime)
    browser = {"headers": {"Authorization": ""}, "follow_redirects": False}
    page = app_client.get("/players/p1", cookies={"croupier_session": olga}, **browser).text
    assert 'id="limit-form"' in page and 'id="exclusion-form"' in page
    assert 'id="limit-form"' not in app_client.get("/players/p1", cookies={"croupier_session": sam}, **browser).text

    limit = {"kind": "deposit", "period": "week", "amount": "750.00", "reason": "affordability"}
    assert app_client.post("/players/p1/protection/limit", data=limit,
                           cookies={"croupier_session": olga}, **browser).status_code == 403   # no CSRF token
    assert app_client.post("/players/p1/protection/limit", data={**limit, "csrf_token": sam_csrf},
                           cookies={"croupier_session": sam}, **browser).status_code == 403   # no permission
    done = app_client.post("/players/p1/protection/limit", data={**limit, "csrf_token": olga_csrf},
                           cookies={"croupier_session": olga}, **browser)
    assert done.status_code == 303 and done.headers["location"] == "/players/p1#protection"
    state = runtime.engine.state_of("p1")
    in_force = limits_in_force(state.protection, micros(make_event.now) + 1_000_000)["deposit:week"]
    assert in_force.amount_minor == 750_00 and in_force.source == "operator"

    bad = app_client.post("/players/p1/protection/exclusion",
                          data={"kind": "timeout", "period": "P3Q", "csrf_token": olga_csrf},
                          cookies={"croupier_session": olga}, **browser)
    assert bad.status_code == 422 and "P3Q" in bad.text
    done = app_client.post("/players/p1/protection/exclusion",
                           data={"kind": "operator", "period": "P30D", "reason": "under review",
                                 "csrf_token": olga_csrf}, cookies={"croupier_session": olga}, **browser)
    assert done.status_code == 303, done.text
    excluded = active_exclusions(runtime.engine.state_of("p1").protection, micros(make_event.now) + 1_000_000)
    assert [x.kind for x in excluded] == ["operator"]
    with runtime.db.reader.connect() as conn:
        kinds = {row[0] for row in conn.exec_driver_sql("SELECT kind FROM audit_log WHERE actor = 'olga'")}
    assert {"protection.limit_changed", "protection.exclusion_started"} <= kinds


def test_ending_an_exclusion_from_the_panel_shows_the_rules_and_refuses_with_their_reason(app_client, make_event):  # noqa: ANN001
    app_client.post("/v1/events", content=json.dumps([make_event.registered(timedelta(minutes=-5))]))   # SE
    runtime = app_client.app.state.runtime
    (olga, olga_csrf), (sam, sam_csrf) = _sessions(runtime)
    browser = {"headers": {"Authorization": ""}, "follow_redirects": False}
    selfx = app_client.post("/v1/players/p1/exclusions", json={"kind": "self_exclusion", "period": "P1M"}).json()
    with runtime.db.engine.begin() as conn:
        staff_key, _ = create_key(conn, "staff tooling", ["protection"])
    operator = app_client.post("/v1/players/p1/exclusions", json={"kind": "operator", "period": "P30D"},
                               headers={"Authorization": f"Bearer {staff_key}"}).json()
    selfx_id, operator_id = selfx["exclusion"]["exclusion_id"], operator["exclusion"]["exclusion_id"]

    page = app_client.get("/players/p1", cookies={"croupier_session": olga}, **browser).text
    assert 'id="end-exclusion-form"' in page and f'data-ending="{selfx_id}"' in page
    assert "lifts by itself when the period is over; never before" in page
    assert 'id="end-exclusion-form"' not in app_client.get("/players/p1", cookies={"croupier_session": sam},
                                                          **browser).text
    end = {"exclusion_id": selfx_id, "requested_by": "player", "reason": "player asked by phone"}
    assert app_client.post("/players/p1/protection/end-exclusion", data=end, cookies={"croupier_session": olga},
                           **browser).status_code == 403                                  # no CSRF token
    assert app_client.post("/players/p1/protection/end-exclusion", data={**end, "csrf_token": sam_csrf},
                           cookies={"croupier_session": sam}, **browser).status_code == 403
    refused = app_client.post("/players/p1/protection/end-exclusion", data={**end, "csrf_token": olga_csrf},
                              cookies={"croupier_session": olga}, **browser)
    assert refused.status_code == 422
    assert "SE does not allow ending a self-exclusion before its period (P1M) is over" in refused.text
    no_reason = app_client.post("/players/p1/protection/end-exclusion", cookies={"croupier_session": olga},
                                data={**end, "exclusion_id": operator_id, "requested_by": "operator",
                                      "reason": " ", "csrf_token": olga_csrf}, **browser)
    assert no_reason.status_code == 422 and "a reason is required" in no_reason.text

    done = app_client.post("/players/p1/protection/end-exclusion", cookies={"croupier_session": olga},
                           data={"exclusion_id": operator_id, "requested_by": "operator",
                                 "reason": "investigation closed", "csrf_token": olga_csrf}, **browser)
    assert done.status_code == 303 and done.headers["location"] == "/players/p1#protection"
    left = active_exclusions(runtime.engine.state_of("p1").protection, micros(make_event.now) + 1_000_000)
    assert [x.exclusion_id for x in left] == [selfx_id]
    with runtime.db.reader.connect() as conn:
        actor, body = conn.exec_driver_sql(
            "SELECT actor, body FROM audit_log WHERE kind = 'protection.exclusion_ended'").one()
    assert actor == "olga" and json.loads(body)["requested_by"] == "operator"
    assert json.loads(body)["end_reason"].startswith("investigation closed")


def test_person_and_rg_case_forms_need_their_permission_and_the_csrf_token(app_client, make_event):  # noqa: ANN001
    from conftest import EventFactory

    other = EventFactory(now=make_event.now, player_id="q1", brand="borealis")
    app_client.post("/v1/events", content=json.dumps([make_event.registered(timedelta(minutes=-5)),
                                                      other.registered(timedelta(minutes=-4), email="q@example.org",
                                                                       first_name="Quinn", last_name="Ek")]))
    runtime = app_client.app.state.runtime
    (olga, olga_csrf), (sam, sam_csrf) = _sessions(runtime)
    browser = {"headers": {"Authorization": ""}, "follow_redirects": False}
    page = app_client.get("/players/p1/person", cookies={"croupier_session": olga}, **browser).text
    assert 'id="person-link-form"' in page and "Not linked to a person" in page
    sam_page = app_client.get("/players/p1/person", cookies={"croupier_session": sam}, **browser)
    assert sam_page.status_code == 200 and 'id="person-link-form"' not in sam_page.text

    link = {"other_player_id": "q1", "reason": "same passport"}
    assert app_client.post("/players/p1/person/link", data=link, cookies={"croupier_session": olga},
                           **browser).status_code == 403
    assert app_client.post("/players/p1/person/link", data={**link, "csrf_token": sam_csrf},
                           cookies={"croupier_session": sam}, **browser).status_code == 403
    unknown = app_client.post("/players/p1/person/link", data={**link, "other_player_id": "zz", "csrf_token": olga_csrf},
                              cookies={"croupier_session": olga}, **browser)
    assert unknown.status_code == 404 and "other_player_id" in unknown.text and "zz" in unknown.text
    done = app_client.post("/players/p1/person/link", data={**link, "csrf_token": olga_csrf},
                           cookies={"croupier_session": olga}, **browser)
    assert done.status_code == 303 and done.headers["location"] == "/players/p1/person"
    page = app_client.get("/players/p1/person", cookies={"croupier_session": olga}, **browser).text
    assert 'data-evidence="manual"' in page and "same passport" in page
    unlink = app_client.post("/players/p1/person/unlink", cookies={"croupier_session": olga}, **browser,
                             data={"account": "q1", "reason": "", "csrf_token": olga_csrf})
    assert unlink.status_code == 422 and "reason" in unlink.text
    assert app_client.post("/players/p1/rg-case/assignment", data={"assignee": "olga", "csrf_token": sam_csrf},
                           cookies={"croupier_session": sam}, **browser).status_code == 403
    nocase = app_client.post("/players/p1/rg-case/assignment", data={"assignee": "olga", "csrf_token": olga_csrf},
                             cookies={"croupier_session": olga}, **browser)
    assert nocase.status_code == 404 and "no RG case" in nocase.text
