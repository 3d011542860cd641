"""The player's protection panel as the API and the back office show it: limits in force with
pending changes and usage, active exclusions, all folded from Croupier's own facts."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from croupier.events import ExclusionStarted, LimitSet
from croupier.ingest import append_facts


def _facts(make_event):  # noqa: ANN001, ANN202
    now = make_event.now
    common = {"player_id": "p1", "brand": "aurora", "occurred_at": now}
    return [
        LimitSet(event_id="lim-1", kind="deposit", period="day", amount="500.00", currency="SEK",
                 effective_at=now, **common),
        LimitSet(event_id="lim-2", kind="deposit", period="day", amount="900.00", currency="SEK",
                 effective_at=now + timedelta(hours=72), change="increase", **common),
        ExclusionStarted(event_id="exc-1", exclusion_id="x-1", kind="timeout", scope="operator",
                         until=now + timedelta(days=7), source="player", **common),
    ]


def test_the_panel_shows_limits_pending_changes_usage_and_exclusions(app_client, make_event) -> None:  # noqa: ANN001
    events = [make_event.registered(timedelta(minutes=-5)),
              make_event("payment.deposit", timedelta(minutes=-4), transaction_id="t1", amount="300.00",
                         currency="SEK", status="approved")]
    assert app_client.post("/v1/events", content=json.dumps(events)).status_code == 200
    runtime = app_client.app.state.runtime
    with runtime.db.engine.begin() as conn:
        stored = append_facts(conn, _facts(make_event))
    runtime.engine.submit(stored)

    protection = app_client.get("/v1/players/p1").json()["protection"]
    [limit] = protection["limits"]
    assert limit["key"] == "deposit:day"
    assert limit["current"]["amount"] == "500.00" and limit["current"]["used"] == "300.00"
    assert limit["pending"]["amount"] == "900.00" and limit["pending"]["removal"] is False
    assert limit["pending"]["takes_effect_at"] > limit["current"]["in_force_since"]
    [exclusion] = protection["exclusions"]
    assert exclusion["kind"] == "timeout" and exclusion["scope"] == "operator" and not exclusion["indefinite"]

    page = app_client.get("/v1/players/p1/why", params={"action": "first_deposit_thanks"}).json()
    assert page["received"] is True  # sent before the time-out began


def test_the_back_office_panel(app_client, make_event) -> None:  # noqa: ANN001
    from croupier.store.accounts import create_user, open_session

    app_client.post("/v1/events", content=json.dumps([make_event.registered()]))
    runtime = app_client.app.state.runtime
    with runtime.db.engine.begin() as conn:
        stored = append_facts(conn, _facts(make_event))
        user_id = create_user(conn, "olga", "olga-password-1", "compliance_officer")
        token, _ = open_session(conn, user_id)
    runtime.engine.submit(stored)
    html = app_client.get("/players/p1", cookies={"croupier_session": token}, headers={"Authorization": ""}).text
    assert 'id="protection"' in html and 'id="excluded-badge"' in html
    assert 'data-limit="deposit:day"' in html and "SEK\xa0900.00 from" in re.sub(r"<[^>]+>", "", html)   # Babel: code, no-break space
    assert 'id="risk-level"' in html  # a compliance officer sees the risk level
    # and the score, on the same 0-1 scale as the thresholds the levels begin at
    from croupier.compliance.rules import RgRules

    score = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html.split('id="risk-score"')[1].split('id="risk-peak"')[0]))
    cuts = " / ".join(f"{bp / 10_000:.2f}" for bp in RgRules().levels)
    assert f"levels begin at {cuts};" in score and "basis points" not in score
    # each change of risk level names the configuration version that produced it
    assert '<th scope="col">Config version</th>' in html.split('id="risk-history"')[1].split("</table>")[0]


def test_the_panel_shows_the_national_register_check(db_url, make_event) -> None:  # noqa: ANN001
    """Sweden names Spelpaus. Asked over HTTP while it cannot be reached, the check is
    unavailable (promotions held, the welcome waiting); nobody configured at all, it is
    not_configured (promotions held too, the welcome waiting for a register to answer)."""
    from fastapi.testclient import TestClient

    from croupier.api import create_app
    from croupier.store.accounts import create_key

    app = create_app(db_url, background=False)     # no register list imported
    with app.state.runtime.db.engine.begin() as conn:
        key, _ = create_key(conn, "tests", ["ingest", "read"])
    with TestClient(app, headers={"Authorization": f"Bearer {key}"}) as app_client:
        _panel_shows_the_register_check(app_client, make_event)


def _panel_shows_the_register_check(app_client, make_event) -> None:  # noqa: ANN001
    from croupier.compliance.rules import rules_for
    from croupier.protection.exclusions_hook import screener_for
    from croupier.protection.registers import HttpRegister, Policy
    from croupier.store.accounts import create_user, open_session

    runtime = app_client.app.state.runtime
    runtime.engine.protection_policy = Policy(runtime.db, rules_for, {
        "SPELPAUS": HttpRegister("SPELPAUS", "http://127.0.0.1:9/lookup", 0.5)})     # nothing listens there
    app_client.post("/v1/events", content=json.dumps([make_event.registered(timedelta(minutes=-5))]))
    assert screener_for(runtime.engine).wait(10)
    with runtime.db.engine.begin() as conn:
        token, _ = open_session(conn, create_user(conn, "cris", "cris-password-1", "crm_manager"))
    page = {"cookies": {"croupier_session": token}, "headers": {"Authorization": ""}}
    view = app_client.get("/v1/players/p1").json()["protection"]["register_check"]
    assert (view["register"], view["status"], view["holds_promotions"], view["waiting"]) == \
        ("SPELPAUS", "unavailable", True, ["welcome"])
    html = app_client.get("/players/p1", **page).text
    assert 'data-register-check="unavailable"' in html and 'id="register-badge"' in html
    assert "register_unavailable" in html and "Waiting for the answer: welcome" in html

    runtime.engine.protection_policy = Policy(runtime.db, rules_for, {})       # no register configured
    other = make_event.__class__(now=make_event.now, player_id="p2")
    app_client.post("/v1/events", content=json.dumps([other.registered(timedelta(minutes=-1))]))
    view = app_client.get("/v1/players/p2").json()["protection"]["register_check"]
    assert (view["status"], view["holds_promotions"], view["waiting"]) == ("not_configured", True, ["welcome"])
    html = app_client.get("/players/p2", **page).text
    assert 'data-register-check="not_configured"' in html and 'id="register-badge"' in html
    assert "<code>register_not_configured</code>" in html and "Waiting for the answer: welcome" in html


def test_a_pending_change_whose_time_has_come_shows_as_the_limit_in_force(app_client, make_event) -> None:  # noqa: ANN001
    """The fold promotes a pending change at the player's next limit event; until then the
    panel must still show it as the limit (the checks count against it), not as pending."""
    now = make_event.now
    app_client.post("/v1/events", content=json.dumps([make_event.registered(timedelta(days=-5))]))
    common = {"player_id": "p1", "brand": "aurora"}
    facts = [
        LimitSet(event_id="lim-1", kind="deposit", period="week", amount="500.00", currency="SEK",
                 effective_at=now - timedelta(days=4), occurred_at=now - timedelta(days=4), **common),
        LimitSet(event_id="lim-2", kind="deposit", period="week", amount="900.00", currency="SEK",
                 effective_at=now - timedelta(hours=1), change="increase", occurred_at=now - timedelta(days=3),
                 **common),
        LimitSet(event_id="lim-3", kind="loss", period="day", amount="50.00", currency="SEK",
                 effective_at=now - timedelta(days=4), occurred_at=now - timedelta(days=4), **common),
        LimitSet(event_id="lim-4", kind="loss", period="day", change="removal",
                 effective_at=now - timedelta(hours=1), occurred_at=now - timedelta(days=3), **common),
    ]
    runtime = app_client.app.state.runtime
    with runtime.db.engine.begin() as conn:
        stored = append_facts(conn, facts)
    runtime.engine.submit(stored)

    [limit] = app_client.get("/v1/players/p1").json()["protection"]["limits"]   # the removed one is gone
    assert limit["key"] == "deposit:week" and limit["pending"] is None
    assert limit["current"]["amount"] == "900.00"
    assert limit["current"]["in_force_since"].startswith((now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
