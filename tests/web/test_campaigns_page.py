"""The Campaigns pages through FastAPI's TestClient: the list, the form (new, problems shown
at their fields with what was typed kept), a saved campaign shown as its form, an edit, Launch
and Cancel (each audited as the journey it is), and a read-only view for a role that cannot
edit."""

from __future__ import annotations

import re

from croupier.api.auth import Actor
from croupier.api.segment_routes import create_now as segment_create_now

from .test_journeys_page import audit_kinds, signed


def fields(segment_id: int, **changes: str) -> dict[str, str]:
    return {"name": "Winter reload", "purpose": "promotional", "segment_id": str(segment_id), "condition": "",
            "channel": "email", "template": "winter_reload", "expires_after": "P2D", "bonus_template": "",
            "send_mode": "local", "send_at": "2099-12-24T10:00", "timezone": "Europe/Malta",
            "throttle_per_minute": "600", "control_percent": "20", "goal_event": "payment.deposit",
            "goal_condition": "", "goal_window": "P7D", **changes}


def test_create_edit_launch_cancel_through_the_pages(app) -> None:  # noqa: ANN001
    segment = segment_create_now(app.state.runtime, Actor("carl", "crm_manager", "session"),
                                 {"name": "Recent depositors", "purpose": "promotional", "text": "deposit_sum_30d >= 1"})
    carl, csrf = signed(app, "carl")
    assert 'id="campaigns-empty"' in carl.get("/campaigns").text
    form = carl.get("/campaigns/new").text
    assert "Recent depositors" in form and 'name="send_mode"' in form

    bad = carl.post("/campaigns/new", data={"csrf_token": csrf, **fields(segment.segment_id, control_percent="70",
                                                                         channel="email", timezone="Europe/Malt")})
    assert bad.status_code == 422
    assert 'data-field="campaign.control_percent"' in bad.text and 'data-field="campaign.timezone"' in bad.text
    assert "Europe/Malta" in bad.text and 'value="Europe/Malt"' in bad.text   # a suggestion; what was typed is kept
    assert 'aria-invalid="true" aria-describedby="problem-control_percent-1"' in bad.text

    made = carl.post("/campaigns/new", data={"csrf_token": csrf, **fields(segment.segment_id)}, follow_redirects=False)
    assert made.status_code == 303, made.text
    path = made.headers["location"]
    cid = path.rsplit("/", 1)[1]
    page = carl.get(path).text
    assert 'id="campaign-status">draft' in page and 'value="winter_reload"' in page and 'value="600"' in page
    assert f'href="/journeys/{cid}"' in page and 'id="launch-campaign"' in page
    assert re.search(r'value="local" checked', page)
    row = re.search(rf'<tr data-campaign-id="{cid}" data-status="draft">.*?</tr>', carl.get("/campaigns").text, re.S)
    assert row is not None and "in each player" in row.group(0) and "20 %" in row.group(0)

    edited = carl.post(path, data={"csrf_token": csrf, **fields(segment.segment_id, throttle_per_minute="300")},
                       follow_redirects=False)
    assert edited.status_code == 303
    assert 'value="300"' in carl.get(path).text
    assert carl.post(f"{path}/launch", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    live = carl.get(path).text
    assert 'id="campaign-status">live' in live and 'id="launch-campaign"' not in live
    assert 'fieldset disabled' in live                        # a launched campaign is not edited
    assert carl.post(f"{path}/cancel", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert 'id="campaign-status">cancelled' in carl.get(path).text
    kinds = [k for k in audit_kinds(app, cid) if k.startswith("journey.")]
    assert kinds[:1] == ["journey.created"] and "journey.published" in kinds and "journey.archived" in kinds


def test_read_only_without_the_permission_and_csrf_needed(app) -> None:  # noqa: ANN001
    segment = segment_create_now(app.state.runtime, Actor("carl", "crm_manager", "session"),
                                 {"name": "Depositors", "purpose": "promotional", "text": "deposit_sum_30d >= 1"})
    carl, csrf = signed(app, "carl")
    path = carl.post("/campaigns/new", data={"csrf_token": csrf, **fields(segment.segment_id)},
                     follow_redirects=False).headers["location"]
    aud, aud_csrf = signed(app, "aud")
    page = aud.get(path).text
    assert 'id="save-campaign"' not in page and 'id="launch-campaign"' not in page and 'fieldset disabled' in page
    assert aud.post(f"{path}/launch", data={"csrf_token": aud_csrf}).status_code == 403
    assert carl.post(f"{path}/launch", data={"csrf_token": "wrong"}).status_code == 403
