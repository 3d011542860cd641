"""What staff see before they end an exclusion: the jurisdiction's reactivation rule in
words, the earliest end, and the outcome at the player's and at the operator's request
(pure), and the same over the API on SQLite and PostgreSQL; an end records who asked."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select

import msgspec

from croupier.protection.exclusions_rules import ExclusionFacts, ending_rules, imposed_by_staff, plan_end
from croupier.store.schema import audit_log

from . import RULES, UTC, same_person

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def facts(kind: str, period: str | None, started: datetime, ends: datetime | None,
          until: datetime | None = None) -> ExclusionFacts:
    return ExclusionFacts(kind, started, period, ends, until)


def test_a_self_exclusion_before_its_period_is_over_cannot_end_in_a_market_without_early_end():
    x = facts("self_exclusion", "P3M", NOW - timedelta(days=10), NOW + timedelta(days=80), NOW + timedelta(days=80))
    rules = ending_rules(x, RULES["SE"], NOW)
    assert rules.reactivation == "lifts by itself when the period is over; never before"
    assert rules.earliest_end == NOW + timedelta(days=80) and rules.early_end_allowed is False
    for who in ("player", "operator"):
        assert not rules.options[who].allowed
        assert "SE does not allow ending a self-exclusion before its period (P3M) is over" in rules.options[who].reason


def test_after_the_period_a_cooling_off_market_reopens_a_day_after_the_request():
    x = facts("self_exclusion", "P6M", NOW - timedelta(days=200), NOW - timedelta(days=17))
    rules = ending_rules(x, RULES["GB"], NOW)
    assert rules.reactivation == "ends on the player's request, not before the period is over, then a 24 h cooling-off"
    assert rules.options["player"].allowed and rules.options["player"].effective_at == NOW + timedelta(hours=24)
    assert rules.as_dict()["options"]["player"] == {
        "allowed": True, "reason": "reactivation on request after a 24h cooling-off (GB)",
        "effective_at": (NOW + timedelta(hours=24)).isoformat()}


def test_an_operator_exclusion_is_the_operators_to_lift_and_a_panic_lock_nobodys():
    operator = ending_rules(facts("operator", "P30D", NOW, NOW + timedelta(days=30)), RULES["SE"], NOW)
    assert operator.reactivation == "lifted only by the operator" and operator.earliest_end is None
    assert not operator.options["player"].allowed and operator.options["operator"].allowed
    panic = ending_rules(facts("panic", "PT24H", NOW, NOW + timedelta(hours=24), NOW + timedelta(hours=24)),
                         RULES["DE"], NOW)
    assert not panic.options["player"].allowed and not panic.options["operator"].allowed
    assert "cannot be lifted early" in panic.options["operator"].reason
    early = ending_rules(facts("timeout", "P7D", NOW, NOW + timedelta(days=7), NOW + timedelta(days=7)),
                         RULES["XE"], NOW)
    assert early.early_end_allowed and early.options["player"].allowed


def test_a_players_request_never_ends_an_exclusion_staff_imposed():
    timeout = facts("timeout", "P7D", NOW, NOW + timedelta(days=7), NOW + timedelta(days=7))
    imposed = ExclusionFacts("timeout", NOW, "P7D", NOW + timedelta(days=7), NOW + timedelta(days=7), imposed=True)
    assert plan_end(timeout, RULES["XE"], NOW, "player").allowed          # early end allowed in XE
    refused = plan_end(imposed, RULES["XE"], NOW, "player")
    assert not refused.allowed and "imposed by staff" in refused.reason
    assert plan_end(imposed, RULES["XE"], NOW, "operator").allowed
    assert ending_rules(imposed, RULES["XE"], NOW).reactivation == (
        "ends by itself at the end of its period; early only by the operator (imposed by staff)")
    assert [imposed_by_staff(kind, source) for kind, source in (
        ("timeout", "player"), ("self_exclusion", "pam:aurora"), ("timeout", "operator"),
        ("operator", "player"), ("register", "GAMSTOP"))] == [False, False, True, True, True]


def test_a_players_request_never_ends_a_self_exclusion_within_the_jurisdictions_minimum():
    early = msgspec.structs.replace(RULES["XE"], exclusions=msgspec.structs.replace(
        RULES["XE"].exclusions, self_exclusion_periods=["P6M", "P1Y"], min_self_exclusion="P6M"))
    x = facts("self_exclusion", "P1Y", NOW, NOW + timedelta(days=365))
    refused = plan_end(x, early, NOW + timedelta(days=30), "player")
    assert not refused.allowed
    assert refused.reason == ("a self-exclusion in XE lasts at least P6M; a player's request cannot end it "
                              "before 2026-09-01T12:00:00+00:00")
    assert plan_end(x, early, NOW + timedelta(days=200), "player").allowed   # past the minimum: early end


def test_the_api_shows_the_rules_and_an_end_records_who_asked(runtime, client):
    same_person(runtime, jurisdiction="SE")
    selfx = client.post("/v1/players/a1/exclusions", json={"kind": "self_exclusion", "period": "P1M"}).json()["exclusion"]
    ending = client.get(f"/v1/players/b1/exclusions/{selfx['exclusion_id']}/ending")
    assert ending.status_code == 200, ending.text
    body = ending.json()
    assert body["via"] == "a1" and body["ending"]["jurisdiction"] == "SE"
    assert body["ending"]["options"]["player"]["allowed"] is False
    assert body["ending"]["earliest_end"] == selfx["period_ends_at"]
    assert client.get("/v1/players/b1/exclusions/x_nope/ending").status_code == 404

    op = client.post("/v1/players/a1/exclusions", json={"kind": "operator", "period": "P30D"}).json()["exclusion"]
    options = client.get(f"/v1/players/a1/exclusions/{op['exclusion_id']}/ending").json()["ending"]["options"]
    assert options == {"player": {"allowed": False, "effective_at": None,
                                  "reason": "an operator-imposed exclusion can only be lifted by the operator"},
                       "operator": {"allowed": True, "effective_at": options["operator"]["effective_at"],
                                    "reason": "lifted by the operator"}}
    done = client.post(f"/v1/players/a1/exclusions/{op['exclusion_id']}/end",
                       json={"requested_by": "operator", "actor": "olga", "reason": "review done"})
    assert done.status_code == 200, done.text
    with runtime.db.reader.connect() as conn:
        record = conn.execute(select(audit_log).where(audit_log.c.kind == "protection.exclusion_ended")).first()
    key_id = client.headers["Authorization"].split("_")[1]
    assert record.actor == f"api-key:{key_id}"            # the key that acted; the name it gave, beside it
    assert json.loads(record.body)["requested_by"] == "operator" and json.loads(record.body)["claimed_actor"] == "olga"
