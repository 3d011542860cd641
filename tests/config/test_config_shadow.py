"""Shadow mode on a scripted stream: a proposed version is re-run beside the live one in
memory; what it would change is reported, and nothing live is touched."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from conftest import EventFactory
from croupier.store.schema import audit_log, outbox, player_state

from .conftest import audit_of, decisions, ingest, se_player


def _counts(app) -> tuple[int, int, int]:  # noqa: ANN001
    app.state.runtime.engine.flush()
    with app.state.runtime.db.engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()  # type: ignore[return-value]
                     for t in (audit_log, outbox, player_state))


def test_raising_a_minimum_age_flips_a_welcome_in_shadow_only(config_app, as_staff) -> None:  # noqa: ANN001
    now = datetime.now(timezone.utc).replace(microsecond=0)
    quiet = EventFactory(now=now, player_id="se-quiet", brand="aurora")
    ingest(config_app, [se_player("se-young", 19), se_player("se-older", 25),
                        quiet.registered(timedelta(days=-40)),
                        quiet("payment.deposit", timedelta(days=-20), transaction_id="q-1", amount="10.00",
                              currency="SEK", method="card", status="approved")])
    live = config_app.state.runtime.config.version
    assert [d["allowed"] for d in decisions(config_app, "se-young")] == [True]
    cleo, otto = as_staff("cleo"), as_staff("otto")
    version = cleo.post("/v1/config/versions", {"patch": {
        "jurisdictions": {"SE": {"min_age": 20}},
        "features": {"lifecycle": {"lapsed_days": 15}}}}).json()["version"]
    assert otto.get(f"/v1/config/versions/{version}/shadow").status_code == 404
    before = _counts(config_app)

    r = otto.post(f"/v1/config/versions/{version}/shadow", {"last_events": 100})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["live_version"] == live and report["shadow_version"] == version
    assert report["window"]["events"] == 7 and report["window"]["players"] == 3   # 3 register checks too
    # the welcome is held for Spelpaus' check (suppressed on both sides, the reasons differ),
    # then decided again when the check answers: that decision flips
    [held] = [f for f in report["flips"] if f["change"] == "reasons_changed"]
    assert held["shadow"]["reasons"] == ["under_age:19<20", "register_check_pending"]
    [flip] = [f for f in report["flips"] if f["change"] != "reasons_changed"]
    assert flip["player_id"] == "se-young" and flip["name"] == "welcome" and flip["change"] == "now_suppressed"
    assert flip["live"] == {"allowed": True, "reasons": ["all_checks_passed"]}
    assert flip["shadow"] == {"allowed": False, "reasons": ["under_age:19<20"]}
    assert report["counts"]["now_suppressed"] == 1 and report["counts"]["now_allowed"] == 0
    # a shorter lapse: the quiet depositor is lapsed under the proposal, at risk live
    assert report["players"] == [{"player_id": "se-quiet", "changes": [
        {"what": "lifecycle_stage", "live": "at_risk", "shadow": "lapsed"}]}]
    assert otto.get(f"/v1/config/versions/{version}/shadow").json()["flips"] == report["flips"]

    # nothing live changed: same decisions, states, outbox; only the shadow run is audited
    audit_before, outbox_before, states_before = before
    assert _counts(config_app) == (audit_before + 1, outbox_before, states_before)
    [run] = audit_of(config_app, "config.shadow_run")
    assert run.actor == "otto" and run.subject == version
    assert config_app.state.runtime.config.version == live
    assert [d["allowed"] for d in decisions(config_app, "se-young")] == [True]

    # a shadow window in time, and refusals
    assert otto.post(f"/v1/config/versions/{version}/shadow", {"since_minutes": 60}).json()["window"]["events"] >= 3
    assert otto.post(f"/v1/config/versions/{version}/shadow", {"last_events": 0}).status_code == 400
    assert as_staff("aud").post(f"/v1/config/versions/{version}/shadow").status_code == 403
    otto.post(f"/v1/config/versions/{version}/reject")
    assert otto.post(f"/v1/config/versions/{version}/shadow").status_code == 409
