"""A proposed version in shadow on the live stream: the running engine evaluates it beside
the version in force on every batch posted to `POST /v1/events`, the differences accumulate
(decisions it would suppress or allow, players it would flag at another RG level), and
nothing live changes. Drafts are their author's to edit and submit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from conftest import EventFactory
from croupier.store.schema import audit_log, outbox

from .conftest import audit_of, decisions, make_config_app, se_player, signed_in

# Sweden at 18 -> 20, and RG score levels low enough that one declined-deposits marker step
# (7 bp under the shipped scorecard) is medium
PROPOSAL = {"jurisdictions": {"SE": {"min_age": 20, "rg": {"score_levels": [5, 6, 3000, 7000]}}}}


@pytest.fixture
def live_app(db_url: str) -> Iterator[Any]:
    app = make_config_app(db_url)
    yield app
    app.state.runtime.close()


@pytest.fixture
def api(live_app) -> TestClient:  # noqa: ANN001
    from croupier.store.accounts import create_key

    with live_app.state.runtime.db.engine.begin() as conn:
        token, _ = create_key(conn, "shadow-tests", ["ingest", "read"])
    return TestClient(live_app, headers={"Authorization": f"Bearer {token}"})


def _post(api: TestClient, events: list[dict[str, Any]]) -> None:
    r = api.post("/v1/events", json=events)
    assert r.status_code == 200 and r.json()["accepted"] == len(events), r.text


def _declines(player_id: str, n: int) -> list[dict[str, Any]]:
    f = EventFactory(now=datetime.now(timezone.utc).replace(microsecond=0), player_id=player_id)
    return [f("payment.deposit", timedelta(minutes=-30 + i), transaction_id=f"{player_id}-{i}", amount="100.00",
              currency="SEK", method="card", status="declined") for i in range(n)]


def test_a_live_shadow_accumulates_differences_on_the_running_stream(live_app, api) -> None:  # noqa: ANN001
    cleo, otto = signed_in(live_app, "cleo"), signed_in(live_app, "otto")
    _post(api, [se_player("se-early", 19)])                   # before the shadow starts: not evaluated
    version = cleo.post("/v1/config/versions", {"patch": PROPOSAL}).json()["version"]
    assert api.get(f"/v1/config/versions/{version}/shadow/results").status_code == 404
    r = otto.post(f"/v1/config/versions/{version}/shadow/start")
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "running" and r.json()["events"] == 0
    assert otto.post(f"/v1/config/versions/{version}/shadow/start").status_code == 409

    _post(api, [se_player("se-young", 19), se_player("se-older", 30)])
    first = api.get(f"/v1/config/versions/{version}/shadow/results").json()
    assert first["events"] >= 2                                # the two, and the facts they caused
    assert first["counts"]["decisions"]["now_suppressed"] == 1
    [flip] = [d for d in first["decisions"] if d["change"] == "now_suppressed"]
    assert (flip["player_id"], flip["name"], flip["change"]) == ("se-young", "welcome", "now_suppressed")
    assert flip["live"] == {"allowed": True, "reasons": ["all_checks_passed"]}
    assert flip["shadow"] == {"allowed": False, "reasons": ["under_age:19<20"]}

    _post(api, _declines("se-older", 3))   # 3 declines: 7 bp, "none" live, "medium" under the proposal
    second = api.get(f"/v1/config/versions/{version}/shadow/results").json()
    assert second["events"] >= first["events"] + 3
    assert {k: second["counts"]["decisions"].get(k) for k in ("now_suppressed", "now_allowed", "only_shadow")} == {
        "now_suppressed": 1, "now_allowed": None, "only_shadow": 1}
    assert second["counts"]["players"] == {"newly_flagged": {"medium": 1}, "unflagged": {}}
    [player] = second["players"]
    assert (player["player_id"], player["live"], player["shadow"]) == ("se-older", "none", "medium")
    safer = next(d for d in second["decisions"] if d["change"] == "only_shadow")
    assert (safer["player_id"], safer["name"], safer["live"]) == ("se-older", "rg_safer_play", None)
    detail = otto.get(f"/v1/config/versions/{version}").json()
    assert detail["live_shadow"]["counts"] == second["counts"]

    # nothing live changed: the live engine decided with the version in force, alone
    runtime = live_app.state.runtime
    live = [d for pid in ("se-young", "se-older") for d in decisions(live_app, pid)]
    assert {d["config_version"] for d in live} == {runtime.config.version} != {version}
    assert any(d["name"] == "welcome" and d["allowed"] for d in decisions(live_app, "se-young"))
    assert "rg_safer_play" not in {d["name"] for d in live}
    older = runtime.engine.state_of("se-older").protection
    assert older.risk_level == "none" and older.interventions == []
    with runtime.db.engine.connect() as conn:                  # nothing audited or queued under the proposal
        assert conn.execute(select(audit_log.c.seq).where(audit_log.c.kind == "gate.decision",
                                                          audit_log.c.config_version == version)).all() == []
        assert conn.execute(select(outbox.c.action_id).where(outbox.c.action_id == safer["action_id"])).all() == []

    r = cleo.post(f"/v1/config/versions/{version}/shadow/stop")
    assert r.status_code == 200 and r.json()["status"] == "stopped" and "cleo" in r.json()["stop_reason"]
    _post(api, [se_player("se-after-stop", 19)])
    assert api.get(f"/v1/config/versions/{version}/shadow/results").json()["events"] == second["events"]
    assert [a.actor for a in audit_of(live_app, "config.shadow_started")] == ["otto"]
    assert [a.actor for a in audit_of(live_app, "config.shadow_stopped")] == ["cleo"]

    # started again, it ends when the version is approved: it is the live one then
    assert otto.post(f"/v1/config/versions/{version}/shadow/start").status_code == 201
    assert otto.post(f"/v1/config/versions/{version}/approve").status_code == 200
    after = api.get(f"/v1/config/versions/{version}/shadow/results").json()
    assert after["status"] == "stopped" and after["stop_reason"].startswith("approved")
    assert runtime.engine.shadows == []


def test_drafts_are_edited_and_submitted_by_their_author(live_app) -> None:  # noqa: ANN001
    cleo, otto = signed_in(live_app, "cleo"), signed_in(live_app, "otto")
    r = cleo.post("/v1/config/versions", {"patch": {"jurisdictions": {"SE": {"min_age": 20}}}, "draft": True,
                                          "comment": "SE 20+"})
    assert r.status_code == 201 and r.json()["status"] == "draft"
    draft = r.json()["version"]
    r = cleo.client.put(f"/v1/config/versions/{draft}", json={"patch": {"jurisdictions": {"SE": {
        "limits": {"ceilings": {"deposit:month": "1,000"}}}}}}, headers={"X-CSRF-Token": cleo.csrf})
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "jurisdictions.SE.limits.ceilings.deposit:month", "value": "1,000",
                                   "message": "an amount as a decimal string with at most 2 decimals, "
                                              "e.g. \"1000.00\""}]
    assert otto.client.put(f"/v1/config/versions/{draft}", json={"patch": {"stale_after_minutes": 5}},
                           headers={"X-CSRF-Token": otto.csrf}).status_code == 403
    r = cleo.client.put(f"/v1/config/versions/{draft}", json={"patch": {"jurisdictions": {"SE": {
        "limits": {"ceilings": {"deposit:month": "1000.00"}}}}}}, headers={"X-CSRF-Token": cleo.csrf})
    assert r.status_code == 200, r.text
    edited = r.json()["version"]
    assert edited != draft and r.json()["status"] == "draft" and r.json()["comment"] == "SE 20+"
    paths = {c["path"] for c in r.json()["diff"]}
    assert {"jurisdictions.SE.min_age", "jurisdictions.SE.limits.ceilings.deposit:month"} <= paths
    assert otto.get(f"/v1/config/versions/{draft}").status_code == 404
    [edit] = audit_of(live_app, "config.draft_edited")
    assert edit.actor == "cleo" and edit.subject == edited
    assert otto.post(f"/v1/config/versions/{edited}/propose").status_code == 403
    r = cleo.post(f"/v1/config/versions/{edited}/propose")
    assert r.status_code == 200 and r.json()["status"] == "proposed" and r.json()["proposed_by"] == "cleo"
    assert cleo.post(f"/v1/config/versions/{edited}/approve").status_code == 403   # four eyes
    assert otto.post(f"/v1/config/versions/{edited}/approve").status_code == 200
