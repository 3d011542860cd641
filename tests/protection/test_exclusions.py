"""Exclusions end to end on SQLite and PostgreSQL: scope across brands per jurisdiction, the
panic button, indefinite, early end and reactivation per rules, marketing suppressed on a
linked account through the gate, PAM requests through the engine, audit entries."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from croupier.compliance import Proposal, decide
from croupier.players import micros
from croupier.protection import exclusions as ex
from croupier.protection.exclusions_hook import tick
from croupier.protection.exclusions_rules import ExclusionRefused
from croupier.store.schema import audit_log, events as events_table, exclusions

from . import event, now, registration, rules, same_person, send


def access(runtime, player_id: str, action: str, at=None) -> ex.Verdict:  # noqa: ANN001
    with runtime.db.engine.connect() as conn:
        return ex.check_access(conn, player_id, action, at or now(), rules=rules)


def exclude(client, player_id: str, **body) -> dict:  # noqa: ANN001, ANN003
    response = client.post(f"/v1/players/{player_id}/exclusions", json=body)
    assert response.status_code == 201, response.text
    return response.json()["exclusion"]


def promotion(player_id: str, purpose: str = "promotional") -> Proposal:
    return Proposal(kind="message", name="reload-bonus", player_id=player_id, cause_event_id="cause-1",
                    purpose=purpose, channel="email")


def test_a_national_exclusion_on_one_brand_blocks_the_other_brand_at_once(runtime, client):
    same_person(runtime, jurisdiction="SE")
    assert access(runtime, "b1", "deposit").allowed
    x = exclude(client, "a1", kind="self_exclusion", period="P3M")
    assert x["scope"] == "national"
    for action in ("login", "deposit", "bet", "marketing"):
        verdict = access(runtime, "b1", action)
        assert not verdict.allowed and verdict.reasons == ("excluded:self_exclusion:national",), action
        assert verdict.exclusions[0]["via"] == "a1"
    api = client.post("/v1/players/b1/access-check", json={"action": "login"}).json()
    assert api["allowed"] is False and api["reasons"] == ["excluded:self_exclusion:national"]
    listed = client.get("/v1/players/b1/exclusions").json()["exclusions"]
    assert [x_["exclusion_id"] for x_ in listed] == [x["exclusion_id"]]


def test_the_linked_account_on_another_brand_gets_no_marketing_but_safer_play_passes(runtime, client):
    same_person(runtime, jurisdiction="SE")
    exclude(client, "a1", kind="self_exclusion", period="P1M")
    state = runtime.engine.state_of("b1")          # the engine folded the facts for b1 too
    assert [x.kind for x in state.protection.exclusions] == ["self_exclusion"]
    at = micros(now())
    promo = decide(promotion("b1"), state, runtime.config, at, at)
    assert not promo.allowed and "excluded:self_exclusion:national" in promo.reasons
    assert any(r.startswith("excluded:") for r in promo.reasons)
    safer = decide(promotion("b1", "safer_play"), state, runtime.config, at, at)
    assert safer.allowed, safer.reasons


def test_a_brand_scope_jurisdiction_leaves_the_other_brand_open(runtime, client):
    same_person(runtime, jurisdiction="XB")
    exclude(client, "a1", kind="self_exclusion", period="P1M")
    assert not access(runtime, "a1", "login").allowed
    assert access(runtime, "b1", "login").allowed
    assert access(runtime, "b1", "marketing").allowed
    assert runtime.engine.state_of("b1").protection.exclusions == []


def test_a_requested_period_is_validated_with_the_allowed_values(runtime, client):
    same_person(runtime, jurisdiction="SE")
    response = client.post("/v1/players/a1/exclusions", json={"kind": "self_exclusion", "period": "P2M"})
    assert response.status_code == 422
    assert response.json()["detail"] == {"field": None, "message": "P2M is not a self-exclusion period offered in SE",
                                         "value": None, "allowed": ["P1M", "P3M", "P6M", "indefinite"]}
    unknown = client.post("/v1/players/nobody/exclusions", json={"kind": "panic"})
    assert unknown.status_code == 422 and "unknown" in unknown.json()["detail"]["message"]


def test_the_panic_button_locks_for_24_hours_then_lifts(runtime, client):
    same_person(runtime, jurisdiction="DE")
    x = exclude(client, "b1", kind="panic")
    start = now()
    assert not access(runtime, "a1", "bet", start + timedelta(hours=23)).allowed
    assert access(runtime, "a1", "bet", start + timedelta(hours=24, minutes=1)).allowed
    early = client.post(f"/v1/players/b1/exclusions/{x['exclusion_id']}/end", json={})
    assert early.status_code == 409 and "cannot be lifted early" in early.json()["detail"]["error"]
    report = tick(runtime.engine, start + timedelta(hours=25), force=True)
    assert report.ended == 1
    with runtime.db.engine.connect() as conn:
        row = conn.execute(select(exclusions)).one()
        kinds = list(conn.execute(select(audit_log.c.kind).where(audit_log.c.subject == x["exclusion_id"])).scalars())
    assert row.status == "ended" and row.ended_by == "system"
    assert kinds == ["protection.exclusion_started", "protection.exclusion_ended"]
    assert runtime.engine.state_of("a1").protection.exclusions == []
    assert tick(runtime.engine, start + timedelta(hours=26), force=True).ended == 0


def test_an_indefinite_self_exclusion_never_lifts_by_itself(runtime, client):
    same_person(runtime, jurisdiction="SE")
    exclude(client, "a1", kind="self_exclusion", period="indefinite")
    assert not access(runtime, "b1", "login", now() + timedelta(days=3650)).allowed
    tick(runtime.engine, now() + timedelta(days=3650), force=True)
    assert not access(runtime, "b1", "login", now() + timedelta(days=3650)).allowed


def test_early_end_is_refused_with_the_reason_or_allowed_per_rules(runtime, client):
    same_person(runtime, "a1", "b1", jurisdiction="SE")
    same_person(runtime, "e1", "f1", jurisdiction="XE")
    se = exclude(client, "a1", kind="self_exclusion", period="P6M")
    refused = client.post(f"/v1/players/a1/exclusions/{se['exclusion_id']}/end", json={"requested_by": "player"})
    assert refused.status_code == 409
    assert "SE does not allow ending a self-exclusion before its period (P6M) is over" in \
        refused.json()["detail"]["error"]
    xe = exclude(client, "e1", kind="self_exclusion", period="P6M")
    ended = client.post(f"/v1/players/e1/exclusions/{xe['exclusion_id']}/end", json={"requested_by": "player"})
    assert ended.status_code == 200 and ended.json()["exclusion"]["status"] == "ended"
    assert access(runtime, "f1", "deposit").allowed and access(runtime, "e1", "deposit").allowed
    assert runtime.engine.state_of("f1").protection.exclusions == []


def test_reactivation_after_the_period_waits_out_the_cooling_off(runtime):
    same_person(runtime, jurisdiction="GB")
    started = now() - timedelta(days=200)
    with runtime.db.engine.begin() as conn:
        x = ex.start_exclusion(conn, "a1", "self_exclusion", "P6M", started, actor="player", rules=rules)
    runtime.engine.submit(x.stored)
    assert x.exclusion["until"] is None                     # on request: it does not lift by itself
    assert not access(runtime, "b1", "login").allowed        # the period is over, no request yet
    with runtime.db.engine.begin() as conn:
        with pytest.raises(ExclusionRefused, match="earliest end"):
            ex.end_exclusion(conn, x.exclusion["exclusion_id"], started + timedelta(days=30), actor="player",
                             rules=rules)
    asked = now()
    with runtime.db.engine.begin() as conn:
        lifted = ex.end_exclusion(conn, x.exclusion["exclusion_id"], asked, actor="player", rules=rules)
    runtime.engine.submit(lifted.stored)
    assert lifted.exclusion["reactivation_requested_at"] is not None
    assert not access(runtime, "b1", "login", asked + timedelta(hours=23)).allowed
    assert access(runtime, "b1", "login", asked + timedelta(hours=24, seconds=1)).allowed
    view = runtime.engine.state_of("b1").protection.exclusions[0]
    assert view.until_us == micros(asked + timedelta(hours=24)) and view.started_us == micros(started)


def test_operator_exclusion_is_lifted_only_by_the_operator(runtime, client):
    same_person(runtime, jurisdiction="SE")
    key = "api-key:" + client.headers["Authorization"].split("_")[1]
    x = exclude(client, "a1", kind="operator", reason="affordability review", actor="officer.olsson")
    assert x["scope"] == "national" and x["actor"] == key and x["source"] == "operator"
    end = f"/v1/players/a1/exclusions/{x['exclusion_id']}/end"
    assert client.post(end, json={"requested_by": "player"}).status_code == 409
    ok = client.post(end, json={"requested_by": "operator", "actor": "officer.olsson", "reason": "reviewed"})
    assert ok.status_code == 200 and ok.json()["exclusion"]["ended_by"] == key
    assert access(runtime, "b1", "bet").allowed
    with runtime.db.engine.connect() as conn:
        actors = conn.execute(select(audit_log.c.kind, audit_log.c.actor, audit_log.c.body)
                              .where(audit_log.c.subject == x["exclusion_id"]).order_by(audit_log.c.seq)).all()
    assert [(kind, actor, json.loads(body)["claimed_actor"]) for kind, actor, body in actors] == [
        ("protection.exclusion_started", key, "officer.olsson"), ("protection.exclusion_ended", key, "officer.olsson")]


def test_a_pam_request_goes_through_the_same_function_once(runtime):
    same_person(runtime, jurisdiction="SE")
    request = event("exclusion.requested", "b1", "borealis", kind="timeout", duration="P7D")
    send(runtime, request)
    assert not access(runtime, "a1", "deposit").allowed
    with runtime.db.engine.connect() as conn:
        rows = conn.execute(select(exclusions)).all()
    assert len(rows) == 1 and rows[0].cause_event_id == request["event_id"] and rows[0].kind == "timeout"
    assert rows[0].actor == "player" and rows[0].source == "pam:borealis"
    # the same event again, and a full replay of the log, start nothing new
    runtime.ingest(json.dumps([request]).encode())
    runtime.engine.reset()
    runtime.engine.process_pending()
    with runtime.db.engine.connect() as conn:
        assert len(conn.execute(select(exclusions)).all()) == 1
        started = conn.execute(select(events_table.c.event_id)
                               .where(events_table.c.type == "croupier.exclusion_started")).all()
    assert len(started) == 2                                 # one per account of the person
    assert [x.kind for x in runtime.engine.state_of("a1").protection.exclusions] == ["timeout"]


def test_a_pam_request_the_rules_cannot_honour_is_audited_not_dropped_silently(runtime):
    same_person(runtime, jurisdiction="SE")
    send(runtime, event("exclusion.requested", "a1", "aurora", kind="self_exclusion", duration="P2M"))
    with runtime.db.engine.connect() as conn:
        row = conn.execute(select(exclusions)).one()
    assert row.period == "P3M" and "applied P3M" in row.reason
    send(runtime, event("exclusion.requested", "a1", "aurora", kind="timeout", duration="soon"))
    with runtime.db.engine.connect() as conn:
        refused = conn.execute(select(audit_log.c.body)
                               .where(audit_log.c.kind == "protection.exclusion_request_refused")).scalars().all()
    assert len(refused) == 1 and "ISO 8601" in json.loads(refused[0])["error"]


def test_a_new_account_of_an_excluded_person_is_refused_and_inherits_the_exclusion(runtime, client):
    send(runtime, registration("a1", "aurora", "SE", email="anna@example.com"))
    exclude(client, "a1", kind="self_exclusion", period="P6M")
    applicant = {"action": "registration", "brand": "borealis", "jurisdiction": "SE",
                 "identity": {"email": " Anna@Example.com"}}
    verdict = client.post("/v1/players/new1/access-check", json=applicant).json()
    assert verdict["allowed"] is False and verdict["reasons"] == ["excluded:self_exclusion:national"]
    send(runtime, registration("b2", "borealis", "SE", email="anna@example.com"))
    assert not access(runtime, "b2", "login").allowed
    assert [x.kind for x in runtime.engine.state_of("b2").protection.exclusions] == ["self_exclusion"]


def test_a_pam_request_for_gambling_harm_carries_its_reason_into_the_exclusion_and_its_fact(runtime):
    """The reason labels the operator's RG model (models.rg.dataset): the started
    exclusion's fact must say gambling_harm, as the request did."""
    from croupier.events import decode_stored
    from croupier.models.rg.dataset import find_labels

    same_person(runtime, jurisdiction="SE")
    request = event("exclusion.requested", "a1", "aurora", kind="self_exclusion", duration="P6M",
                    reason="gambling_harm")
    send(runtime, request)
    with runtime.db.engine.connect() as conn:
        row = conn.execute(select(exclusions)).one()
        facts = [decode_stored(p) for p in conn.execute(
            select(events_table.c.payload).where(events_table.c.type == "croupier.exclusion_started")).scalars()]
    assert row.reason.split(";")[0] == "gambling_harm"
    assert facts and all(f.reason.split(";")[0] == "gambling_harm" for f in facts)
    labels = find_labels(facts)
    assert sorted(labels) == ["a1", "b1"] and {lab.source for lab in labels.values()} == {"croupier.exclusion_started"}
