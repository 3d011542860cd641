"""Campaigns over the API, on SQLite and PostgreSQL: the form is stored as a journey with a
one-off trigger, problems come back at the form's fields, a campaign is edited while a draft,
launched (published, audited; refused when its send time has passed) and cancelled."""

from __future__ import annotations

from typing import Any

import pytest

from croupier.journeys import Once, from_json
from croupier.store.accounts import create_key, create_user


@pytest.fixture
def world(app_client):  # noqa: ANN001, ANN201
    runtime = app_client.app.state.runtime
    with runtime.db.engine.begin() as conn:
        create_user(conn, "cleo", "cleo-password-1", "crm_manager")
        token, _ = create_key(conn, "crm tool", ["admin"])
        reader, _ = create_key(conn, "reports", ["read"])
    return app_client, {"Authorization": f"Bearer {token}", "X-Croupier-Actor": "cleo"}, \
        {"Authorization": f"Bearer {reader}"}


def form(**changes: Any) -> dict[str, Any]:
    return {"name": "Winter reload", "condition": "deposit_count_90d >= 1", "control_percent": 20,
            "message": {"channel": "email", "template": "winter_reload", "expires_after": "P2D"},
            "goal": {"name": "deposit", "event": "payment.deposit", "window": "P7D"}, **changes}


def test_create_read_edit_launch_cancel(world) -> None:  # noqa: ANN001
    client, staff, reader = world
    made = client.post("/v1/campaigns", headers=staff, json=form())
    assert made.status_code == 201, made.text
    body = made.json()
    cid = body["campaign_id"]
    assert (body["key"], body["group"], body["status"]) == ("campaign_winter_reload", "campaign_winter_reload", "draft")
    assert body["campaign"]["message"] == {"channel": "email", "template": "winter_reload", "expires_after": "P2D"}
    assert body["links"]["results"] == f"/v1/journeys/{cid}/results"

    # it is a journey with a one-off trigger, its control group the holdout
    journey = client.get(f"/v1/journeys/{cid}", headers=reader).json()
    definition = from_json(journey["versions"][-1]["definition"])
    assert isinstance(definition.trigger, Once) and definition.holdout_percent == 20
    assert [s.id for s in definition.steps] == ["message", "done"]

    # a second campaign with the same name gets the next free key
    again = client.post("/v1/campaigns", headers=staff, json=form())
    assert again.json()["key"] == "campaign_winter_reload_2"

    edited = client.put(f"/v1/campaigns/{cid}", headers=staff, json=form(throttle_per_minute=500))
    assert edited.status_code == 200 and edited.json()["changed"] is True
    assert edited.json()["latest_version"] == 2 and edited.json()["campaign"]["throttle_per_minute"] == 500

    listed = client.get("/v1/campaigns", headers=reader).json()["campaigns"]
    assert sorted(c["key"] for c in listed) == ["campaign_winter_reload", "campaign_winter_reload_2"]
    # a plain journey is not a campaign, nor an id nothing has
    plain = client.post("/v1/journeys", headers=staff, json={"template": "welcome"})
    assert plain.status_code == 201, plain.text
    assert client.get(f"/v1/campaigns/{plain.json()['journey_id']}", headers=reader).status_code == 404
    assert client.get(f"/v1/campaigns/{cid + 100}", headers=reader).status_code == 404

    launched = client.post(f"/v1/campaigns/{cid}/launch", headers=staff)
    assert launched.status_code == 200, launched.text
    assert (launched.json()["status"], launched.json()["live_version"]) == ("live", 2)
    cancelled = client.post(f"/v1/campaigns/{cid}/cancel", headers=staff)
    assert cancelled.json()["status"] == "archived"
    assert [c["key"] for c in client.get("/v1/campaigns", headers=reader).json()["campaigns"]] == \
        ["campaign_winter_reload_2"]


def test_problems_at_the_forms_fields(world) -> None:  # noqa: ANN001
    client, staff, _ = world
    bad = client.post("/v1/campaigns", headers=staff, json=form(
        control_percent=70, send_at="2026-12-24T25:00", throttle_per_minute=0, condition=None,
        message={"channel": "pigeon", "template": "x"}))
    assert bad.status_code == 422
    fields = {e["field"]: e for e in bad.json()["errors"]}
    assert set(fields) >= {"campaign.control_percent", "campaign.send_at", "campaign.throttle_per_minute",
                           "campaign.message.channel", "campaign.segment_id"}
    assert fields["campaign.control_percent"]["value"] == 70
    assert "control group" in fields["campaign.control_percent"]["message"]
    assert fields["campaign.message.channel"]["value"] == "pigeon"
    nothing = client.post("/v1/campaigns", headers=staff, json={"name": "Empty", "segment_id": 1})
    assert nothing.status_code == 422 and nothing.json()["errors"][0]["field"] == "campaign.message"
    unknown = client.post("/v1/campaigns", headers=staff, json=form(mesage={}))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "campaign.mesage"


def test_a_passed_send_time_is_refused_at_launch(world) -> None:  # noqa: ANN001
    client, staff, _ = world
    cid = client.post("/v1/campaigns", headers=staff, json=form(send_at="2020-01-01T10:00")).json()["campaign_id"]
    refused = client.post(f"/v1/campaigns/{cid}/launch", headers=staff)
    assert refused.status_code == 422
    assert refused.json()["detail"]["field"] == "campaign.send_at" and "has passed" in refused.json()["detail"]["message"]
    later = client.post("/v1/campaigns", headers=staff, json=form(send_at="2099-12-24T10:00", local_time=True,
                                                                  timezone="Europe/Malta"))
    assert client.post(f"/v1/campaigns/{later.json()['campaign_id']}/launch", headers=staff).json()["status"] == "live"


def test_the_read_key_cannot_write(world) -> None:  # noqa: ANN001
    client, _, reader = world
    assert client.post("/v1/campaigns", headers=reader, json=form()).status_code == 403
