"""No tipping off: staff whose role lacks `aml.view` (a CRM manager) see a neutral
`compliance_hold` where the gate suppressed a promotion for AML reasons, in "why" and in the
player's decisions (API and back office), and no AML status or AML record; staff with
`aml.view` see the true reasons, and the audit log and its export for a regulator keep them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from croupier.store.accounts import create_key, create_user, open_session


@pytest.fixture
def held(app_client, make_event):  # noqa: ANN001, ANN201
    """p1 (Sweden) under AML review makes a first deposit: its thank-you is suppressed for
    `aml_review`. Staff: olga (compliance officer) and cris (CRM manager)."""
    runtime = app_client.app.state.runtime
    with runtime.db.engine.begin() as conn:
        ids = {name: create_user(conn, name, f"{name}-password-01", role)
               for name, role in (("olga", "compliance_officer"), ("cris", "crm_manager"))}
        app_client.sessions = {name: open_session(conn, user_id)[0] for name, user_id in ids.items()}
        token, _ = create_key(conn, "tooling", ["admin", "read"])
    app_client.admin = {"Authorization": f"Bearer {token}"}
    assert app_client.post("/v1/events", content=json.dumps([make_event.registered(timedelta(minutes=-5))])
                           ).status_code == 200
    assert app_client.post("/v1/players/p1/aml-status", json={"status": "review", "reason": "source of funds asked"},
                           headers={**app_client.admin, "X-Croupier-Actor": "olga"}).status_code == 200
    deposit = make_event("payment.deposit", timedelta(minutes=-1), transaction_id="t1", amount="50.00",
                         currency="SEK", status="approved")
    assert app_client.post("/v1/events", content=json.dumps([deposit])).status_code == 200
    return app_client


def _why(client, **headers):  # noqa: ANN001, ANN003, ANN202
    return client.get("/v1/players/p1/why", params={"action": "first_deposit_thanks"}, headers=headers).json()


def test_why_over_the_api_masks_aml_reasons_for_staff_without_aml_view(held) -> None:  # noqa: ANN001
    crm = _why(held, **{"X-Croupier-Actor": "cris"})
    assert [d["reasons"] for d in crm["decisions"]] == [["compliance_hold"]]
    assert "compliance_hold" in crm["summary"] and "aml" not in json.dumps(crm)
    officer = _why(held, **{"X-Croupier-Actor": "olga"})
    assert [d["reasons"] for d in officer["decisions"]] == [["aml_review"]] and "aml_review" in officer["summary"]
    # an integration's key naming nobody reads the AML status itself, and sees the reasons too
    assert [d["reasons"] for d in _why(held)["decisions"]] == [["aml_review"]]


def test_the_player_view_over_the_api_leaves_aml_out_for_staff_without_aml_view(held) -> None:  # noqa: ANN001
    crm = held.get("/v1/players/p1", headers={"X-Croupier-Actor": "cris"}).json()
    text = json.dumps(crm)
    assert "aml_review" not in text and "aml_status_changed" not in text and "source of funds" not in text
    assert crm["protection"]["aml"] is None
    thanks = [d for d in crm["decisions"] if d.get("name") == "first_deposit_thanks"]
    assert [d["reasons"] for d in thanks] == [["compliance_hold"]]
    officer = held.get("/v1/players/p1", headers={"X-Croupier-Actor": "olga"}).json()
    assert officer["protection"]["aml"]["status"] == "review"
    assert [d["reasons"] for d in officer["decisions"] if d.get("name") == "first_deposit_thanks"] == [["aml_review"]]


def test_the_back_office_masks_them_by_permission(held) -> None:  # noqa: ANN001
    browser = {"headers": {"Authorization": ""}}
    page = "/audit/why?player_id=p1&action=first_deposit_thanks"
    crm = held.get(page, cookies={"croupier_session": held.sessions["cris"]}, **browser)
    assert crm.status_code == 200 and "compliance_hold" in crm.text and "aml_review" not in crm.text
    player = held.get("/players/p1", cookies={"croupier_session": held.sessions["cris"]}, **browser).text
    assert 'id="decisions"' in player and "compliance_hold" in player
    assert "aml_review" not in player and "aml_status_changed" not in player and "source of funds" not in player
    officer = held.get(page, cookies={"croupier_session": held.sessions["olga"]}, **browser).text
    assert "aml_review" in officer and "compliance_hold" not in officer
    assert "aml_review" in held.get("/players/p1", cookies={"croupier_session": held.sessions["olga"]}, **browser).text


def test_the_audit_log_and_its_export_keep_the_true_reasons(held) -> None:  # noqa: ANN001
    exported = json.loads(held.get("/v1/audit/export", params={"format": "json", "player_id": "p1"},
                                   headers=held.admin).text)
    thanks = [r["body"] for r in exported if r["kind"] == "gate.decision" and r["body"]["name"] == "first_deposit_thanks"]
    assert [b["reasons"] for b in thanks] == [["aml_review"]]


def test_shadow_findings_mask_aml_reasons_for_staff_without_aml_view(held) -> None:  # noqa: ANN001
    """A proposal that bans marketing in Sweden changes the reasons of p1's held thank-you:
    the CRM manager reviewing it sees `compliance_hold` on both sides, the officer the truth."""
    as_olga = {**held.admin, "X-Croupier-Actor": "olga"}
    proposed = held.post("/v1/config/versions", headers=as_olga,
                         json={"patch": {"jurisdictions": {"SE": {"marketing": {"banned": True}}}}})
    assert proposed.status_code == 201, proposed.text
    version = proposed.json()["version"]
    assert held.post(f"/v1/config/versions/{version}/shadow", json={"last_events": 100},
                     headers=as_olga).status_code == 200

    def thanks(viewer: str) -> dict:
        shadow = held.get(f"/v1/config/versions/{version}/shadow",
                          headers={**held.admin, "X-Croupier-Actor": viewer}).json()
        found = [d for d in shadow["flips"] if d["name"] == "first_deposit_thanks"]
        assert len(found) == 1, shadow
        return found[0]

    officer, crm = thanks("olga"), thanks("cris")
    assert "aml_review" in officer["live"]["reasons"] and "aml_review" in officer["shadow"]["reasons"]
    assert crm["live"]["reasons"] == ["compliance_hold"] and "compliance_hold" in crm["shadow"]["reasons"]
    assert "aml_" not in json.dumps(held.get(f"/v1/config/versions/{version}",
                                             headers={**held.admin, "X-Croupier-Actor": "cris"}).json())
