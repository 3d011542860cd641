"""Staff set an operator limit and impose an exclusion from the player's protection panel:
the same rules, history, facts and audit as the API; refused without the permission or
the CSRF token, and refused with the rules' reason when the rules say no."""

from __future__ import annotations

import json
from datetime import timedelta

from croupier.players import micros
from croupier.players.protection_state import active_exclusions, limits_in_force
from croupier.store.accounts import create_user, open_session


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
