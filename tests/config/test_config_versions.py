"""Configuration versions over the API: validation errors with path and value, four-eyes
approval, activation without a restart (decisions record the new version), rejected and
superseded versions never active, and an audit record for every step."""

from __future__ import annotations

import json

from croupier.compliance import config_store as store

from .conftest import audit_of, decisions, ingest, se_player


def test_proposal_errors_name_the_path_and_the_value(as_staff) -> None:  # noqa: ANN001
    cleo = as_staff("cleo")
    r = cleo.post("/v1/config/versions", {"patch": {"jurisdictions": {"CA-ON": {"limits": {
        "ceilings": {"deposit:month": "1,000"}}}}}})
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "jurisdictions.CA-ON.limits.ceilings.deposit:month", "value": "1,000",
                                   "message": 'an amount as a decimal string with at most 2 decimals, e.g. "1000.00"'}]
    r = cleo.post("/v1/config/versions", {"patch": {"jurisdictions": {"SE": {"min_age": "twenty"}}}})
    assert r.status_code == 422
    assert r.json()["detail"]["field"] == "jurisdictions.SE.min_age"
    assert r.json()["detail"]["value"] == "twenty"
    r = cleo.post("/v1/config/versions", {"patch": {"jurisdictions": {"DK": {"exclusions": {
        "self_exclusion_periods": ["P1M", "one year"]}}}, "features": {"late_night_end_hour": 30}}})
    problem = r.json()["errors"][0]  # schema errors first: one at a time
    assert (problem["field"], problem["value"]) == ("features.late_night_end_hour", 30)
    r = cleo.post("/v1/config/versions", {"patch": {"jurisdictions": {"DK": {"exclusions": {
        "self_exclusion_periods": ["P1M", "one year"]}, "limitz": {}}}}})
    assert r.json()["detail"]["field"] == "jurisdictions.DK.limitz"
    r = cleo.post("/v1/config/versions", {"patch": {"jurisdictions": {"DK": {"exclusions": {
        "self_exclusion_periods": ["P1M", "one year"]}, "sources": {"limits.typo": "x"}}}}})
    assert {(p["field"], json.dumps(p["value"])) for p in r.json()["errors"]} == {
        ("jurisdictions.DK.exclusions.self_exclusion_periods.1", '"one year"'),
        ("jurisdictions.DK.sources.limits.typo", '"x"')}
    r = cleo.post("/v1/config/versions", {"document": {"min_age": {"default": 18, "SE": 20},
                                                       "jurisdictions": {"SE": {"code": "SE", "name": "Sweden",
                                                                                "currency": "SEK"}}}})
    assert r.json()["detail"]["field"] == "min_age.SE" and "jurisdictions.SE.min_age" in r.json()["detail"]["message"]
    assert cleo.post("/v1/config/versions", {"document": {}, "patch": {}}).status_code == 400
    assert audit_of(cleo.client.app, "config.proposed") == []  # nothing invalid was stored


def test_a_register_opt_out_names_a_register_and_says_why(as_staff) -> None:  # noqa: ANN001
    cleo = as_staff("cleo")

    def problems(exclusions: dict) -> set[tuple[str, str]]:  # noqa: ANN001
        r = cleo.post("/v1/config/versions", {"patch": {"jurisdictions": {"GB": {"exclusions": exclusions}}}})
        assert r.status_code == 422
        return {(p["field"], p["message"].split(":")[0]) for p in r.json()["errors"]}

    at = "jurisdictions.GB.exclusions."
    assert problems({"register_opt_out": True, "register_opt_out_reason": "  "}) == {
        (at + "register_opt_out_reason", "required with register_opt_out")}
    assert problems({"register_opt_out_reason": "no opt-out"}) == {
        (at + "register_opt_out_reason", "only with register_opt_out")}
    assert problems({"register_opt_out": True, "register_opt_out_reason": "x" * 1001}) == {
        (at + "register_opt_out_reason", "at most 1000 characters")}
    assert problems({"register": None, "register_opt_out": True, "register_opt_out_reason": "why"}) == {
        (at + "register_opt_out", "the market names no register to opt out of")}
    assert audit_of(cleo.client.app, "config.proposed") == []


def test_four_eyes_activation_without_restart_and_decisions_record_the_version(config_app, as_staff,  # noqa: ANN001
                                                                                 admin_key) -> None:
    from fastapi.testclient import TestClient

    cleo, otto, carl = as_staff("cleo"), as_staff("otto"), as_staff("carl")
    api = TestClient(config_app, headers={"Authorization": f"Bearer {admin_key}"})
    live = config_app.state.runtime.config.version
    ingest(config_app, [se_player("se-before", 19)])
    assert [d["allowed"] for d in decisions(config_app, "se-before")] == [True]

    r = cleo.post("/v1/config/versions", {"patch": {"jurisdictions": {"SE": {"min_age": 20}}},
                                          "comment": "SE minimum age 20 (test)"})
    assert r.status_code == 201, r.text
    version = r.json()["version"]
    assert r.json()["status"] == "proposed" and r.json()["parent_version"] == live
    assert {"path": "jurisdictions.SE.min_age", "change": "changed", "before": 18, "after": 20} in r.json()["diff"]

    # the proposer may not approve; a CRM manager (no config.edit) may not either
    r = cleo.post(f"/v1/config/versions/{version}/approve")
    assert r.status_code == 403 and "four-eyes" in r.json()["detail"]
    assert carl.post(f"/v1/config/versions/{version}/approve").status_code == 403
    assert carl.post("/v1/config/versions", {"patch": {"stale_after_minutes": 5}}).status_code == 403
    # a write through a session needs the CSRF token
    assert otto.client.post(f"/v1/config/versions/{version}/approve").status_code == 403
    assert config_app.state.runtime.config.version == live

    r = otto.post(f"/v1/config/versions/{version}/approve", {"comment": "checked"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and r.json()["approved_by"] == "otto"
    runtime = config_app.state.runtime
    assert runtime.config.version == version == runtime.engine.config.version
    assert api.get("/v1/config").json()["version"] == version
    assert api.get("/v1/config").json()["source"] == "approved"
    assert api.get("/v1/config").json()["config"]["jurisdictions"]["SE"]["min_age"] == 20

    ingest(config_app, [se_player("se-after", 19)])
    [decision] = decisions(config_app, "se-after")
    assert not decision["allowed"] and decision["reasons"] == ["under_age:19<20"]
    assert decision["config_version"] == decision["column_version"] == version
    assert [d["config_version"] for d in decisions(config_app, "se-before")] == [live]

    [proposed] = audit_of(config_app, "config.proposed")
    [approved] = audit_of(config_app, "config.approved")
    assert (proposed.actor, proposed.subject) == ("cleo", version)
    assert (approved.actor, approved.subject, approved.config_version) == ("otto", version, version)
    assert json.loads(approved.body)["previous_version"] == live
    listing = otto.get("/v1/config/versions").json()
    assert listing["active_version"] == version and listing["versions"][0]["status"] == "approved"


def test_rejected_and_superseded_versions_never_activate(config_app, as_staff) -> None:  # noqa: ANN001
    cleo, otto, ada = as_staff("cleo"), as_staff("otto"), as_staff("ada")
    start = config_app.state.runtime.config.version
    a = cleo.post("/v1/config/versions", {"patch": {"stale_after_minutes": 30}}).json()["version"]
    b = cleo.post("/v1/config/versions", {"patch": {"stale_after_minutes": 45}}).json()["version"]
    r = otto.post(f"/v1/config/versions/{a}/reject", {"comment": "too strict"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert config_app.state.runtime.config.version == start
    r = ada.post(f"/v1/config/versions/{a}/approve")
    assert r.status_code == 409 and "rejected" in r.json()["detail"]

    assert ada.post(f"/v1/config/versions/{b}/approve").status_code == 200  # an admin is a second officer too
    c = cleo.post("/v1/config/versions", {"patch": {"stale_after_minutes": 50}}).json()["version"]
    assert otto.post(f"/v1/config/versions/{c}/approve").status_code == 200
    assert otto.get(f"/v1/config/versions/{b}").json()["status"] == "superseded"
    r = otto.post(f"/v1/config/versions/{b}/approve")
    assert r.status_code == 409 and "superseded" in r.json()["detail"]
    assert config_app.state.runtime.config.version == c

    # a proposal made against an older version cannot be approved over a newer one
    d = cleo.post("/v1/config/versions", {"patch": {"stale_after_minutes": 55}}).json()["version"]
    e = otto.post("/v1/config/versions", {"patch": {"stale_after_minutes": 65}}).json()["version"]
    assert ada.post(f"/v1/config/versions/{e}/approve").status_code == 200
    r = otto.post(f"/v1/config/versions/{d}/approve")
    assert r.status_code == 409 and "undo" in r.json()["detail"]
    assert [json.loads(x.body)["version"] for x in audit_of(config_app, "config.rejected")] == [a]

    # a restart keeps the approved version (loaded from the store), not the start config
    from croupier.api.runtime import Runtime

    again = Runtime(config_app.state.runtime.db.url)
    try:
        assert again.config.version == e and again.engine.config.version == e
    finally:
        again.close()


def test_api_keys_propose_with_a_named_actor_but_cannot_approve(config_app, as_staff, admin_key) -> None:  # noqa: ANN001
    from fastapi.testclient import TestClient

    api = TestClient(config_app)
    api.headers["Authorization"] = f"Bearer {admin_key}"
    r = api.post("/v1/config/versions", json={"patch": {"stale_after_minutes": 20}})
    assert r.status_code == 400 and "X-Croupier-Actor" in r.json()["detail"]
    r = api.post("/v1/config/versions", json={"patch": {"stale_after_minutes": 20}},
                 headers={"X-Croupier-Actor": "carl"})
    assert r.status_code == 403 and "config.edit" in r.json()["detail"]
    r = api.post("/v1/config/versions", json={"patch": {"stale_after_minutes": 20}},
                 headers={"X-Croupier-Actor": "cleo"})
    assert r.status_code == 201
    version = r.json()["version"]
    [proposed] = audit_of(config_app, "config.proposed")
    assert proposed.actor == f"api-key:{admin_key.split('_')[1]}"       # the key acted, for cleo
    assert json.loads(proposed.body)["on_behalf_of"] == "cleo" and r.json()["proposed_by"] == "cleo"
    r = api.post(f"/v1/config/versions/{version}/approve", headers={"X-Croupier-Actor": "otto"})
    assert r.status_code == 403 and "session" in r.json()["detail"]
    assert api.get(f"/v1/config/versions/{version}").json()["status"] == "proposed"
    assert as_staff("otto").post(f"/v1/config/versions/{version}/approve").status_code == 200


def test_an_approval_in_another_process_reaches_this_one(config_app, as_staff) -> None:  # noqa: ANN001
    from croupier.api.runtime import Runtime

    other = Runtime(config_app.state.runtime.db.url)  # e.g. a second API process on the database
    try:
        version = as_staff("cleo").post("/v1/config/versions", {"patch": {"stale_after_minutes": 15}}).json()["version"]
        as_staff("otto").post(f"/v1/config/versions/{version}/approve")
        assert other.config.version != version
        other.refresh_config()  # the background loop does this every CONFIG_CHECK_SECONDS
        assert other.config.version == version           # its API and wallet answer with it at once
        # the engines follow the log: the lease holder switched at the activation fact, and
        # whoever takes the lease over resumes with the version in force at its cursor
        assert config_app.state.runtime.engine.config.version == version
        config_app.state.runtime.engine.close()          # hands the lease over, as a stopping server does
        other.engine.process_pending()
        assert other.engine.leader and other.engine.config.version == version
    finally:
        other.close()


def test_a_stored_document_that_was_altered_is_refused(config_app, as_staff) -> None:  # noqa: ANN001
    from croupier.store.schema import config_versions

    version = as_staff("cleo").post("/v1/config/versions", {"patch": {"stale_after_minutes": 25}}).json()["version"]
    db = config_app.state.runtime.db
    with db.engine.begin() as conn:
        doc = json.loads(conn.execute(config_versions.select()).first().document)
        doc["stale_after_minutes"] = 9999
        conn.execute(config_versions.update().values(document=json.dumps(doc)))
        try:
            store.get_version(conn, version).config()
        except RuntimeError as exc:
            assert "altered" in str(exc)
        else:
            raise AssertionError("an altered document was accepted")


def test_the_start_configuration_s_link_leads_to_the_configuration_page(config_app, as_staff) -> None:  # noqa: ANN001
    """Decisions and the risk history name the start configuration (file or defaults) until a
    version is approved; it is no stored version, so its link opens the configuration page."""
    from croupier.api.config_routes import in_force

    cleo = as_staff("cleo")
    start_id = in_force(config_app.state.runtime)[0]
    found = cleo.get(f"/config/versions/{start_id}", follow_redirects=False)
    assert found.status_code == 303 and found.headers["location"] == "/config#active"
    page = cleo.get(f"/config/versions/{start_id}")
    assert page.status_code == 200 and f'id="active-version">{start_id}<' in page.text
    missing = cleo.get("/config/versions/cfg-000000000000")
    assert missing.status_code == 404
    assert "no configuration version cfg-000000000000" in missing.text
    assert "start configuration" in missing.text
