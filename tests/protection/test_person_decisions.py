"""Staff correct the matcher, on SQLite and PostgreSQL: a manual link joins accounts no
identifier matched, an unlink separates accounts for good (the matcher, an update and a
rebuild all respect it), exclusions follow both at once, every change is a fact in the log
and a staff action in the audit log, and bad requests name the field and the value."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from croupier.players import micros
from croupier.players.protection_state import active_exclusions
from croupier.protection import exclusions as ex
from croupier.protection.persons import Decisions, Identity, components
from croupier.store import states
from croupier.store.accounts import create_user
from croupier.store.schema import audit_log, events as events_table

from . import event, now, registration, rules, same_person, send


# --- the matcher with staff decisions (pure) ----------------------------------------------------

def _groups(links) -> list[list[str]]:  # noqa: ANN001
    by_person: dict[str, list[str]] = {}
    for link in links:
        by_person.setdefault(link.person_id, []).append(link.player_id)
    return sorted(sorted(members) for members in by_person.values())


def test_a_manual_link_joins_accounts_that_share_nothing_and_says_so():
    ids = {"a": Identity(email_hash="e1"), "b": Identity(email_hash="e2")}
    links = {link.player_id: link for link in components(ids, {"a": "aurora", "b": "borealis"},
                                                          Decisions(linked=frozenset({("a", "b")})))}
    assert links["a"].person_id == links["b"].person_id
    assert links["a"].evidence == [{"kind": "manual", "with": ["b"]}]
    assert components(ids, {"a": "aurora", "b": "borealis"}) == []


def test_a_separation_holds_against_a_shared_identifier_and_against_a_chain_of_them():
    ids = {"a": Identity(email_hash="e"), "b": Identity(email_hash="e", phone_hash="p"), "c": Identity(phone_hash="p")}
    brands = {"a": "aurora", "b": "borealis", "c": "cosmos"}
    assert _groups(components(ids, brands)) == [["a", "b", "c"]]
    apart = Decisions(separated=frozenset({("a", "c")}))
    groups = _groups(components(ids, brands, apart))
    assert ["a", "c"] not in groups and not any({"a", "c"} <= set(g) for g in groups)
    again = _groups(components(dict(reversed(ids.items())), brands, apart))
    assert again == groups                         # the load order does not decide the outcome
    alone = {link.player_id: link for link in components(ids, brands, Decisions(separated=frozenset({("a", "b")})))}
    assert "a" not in alone or all("a" not in e["with"] for link in alone.values() for e in link.evidence)


# --- end to end ---------------------------------------------------------------------------------

@pytest.fixture
def staff(runtime):  # noqa: ANN001, ANN201
    """`headers(name)`: the client's key (it has the protection scope through admin) plus
    X-Croupier-Actor naming a staff user."""
    with runtime.db.engine.begin() as conn:
        create_user(conn, "olga", "olga-password-1", "compliance_officer")
        create_user(conn, "rita", "rita-password-1", "rg_officer")
    return lambda name: {"X-Croupier-Actor": name}


def _two_strangers(runtime) -> None:  # noqa: ANN001
    send(runtime, registration("a1", "aurora", "SE", email="anna@example.com", phone="+46700000001"),
         registration("b1", "borealis", "SE", email="a.berg@example.org", phone="+46700000002",
                      first_name="Anna", last_name="Berg"))


def _audit(runtime, kind: str) -> list:  # noqa: ANN001
    with runtime.db.reader.connect() as conn:
        return conn.execute(select(audit_log).where(audit_log.c.kind == kind).order_by(audit_log.c.seq)).all()


def test_a_manual_link_makes_one_person_and_an_exclusion_follows_it_at_once(runtime, client, staff):
    _two_strangers(runtime)
    x = client.post("/v1/players/a1/exclusions", json={"kind": "self_exclusion", "period": "P3M"}).json()["exclusion"]
    assert client.post("/v1/players/b1/access-check", json={"action": "deposit"}).json()["allowed"] is True

    linked = client.post("/v1/persons/link", headers=staff("olga"),
                         json={"player_id": "b1", "other_player_id": "a1", "reason": "same passport at KYC"})
    assert linked.status_code == 200, linked.text
    person = linked.json()["person"]
    assert [a["player_id"] for a in person["accounts"]] == ["a1", "b1"]
    assert person["accounts"][1]["evidence"] == [{"kind": "manual", "with": ["a1"]}]
    key = "api-key:" + client.headers["Authorization"].split("_")[1]     # the key acted, for olga
    assert person["decisions"][0] | {"at": None} == {"players": ["a1", "b1"], "decision": "link", "by": key,
                                                     "reason": "same passport at KYC", "at": None}
    assert client.get(f"/v1/persons/{person['person_id']}").json() == person | {"player_id": "a1"}

    verdict = client.post("/v1/players/b1/access-check", json={"action": "deposit"}).json()
    assert verdict["allowed"] is False and verdict["reasons"] == ["excluded:self_exclusion:national"]
    state = runtime.engine.state_of("b1")
    assert [e.exclusion_id for e in active_exclusions(state.protection, micros(now()))] == [x["exclusion_id"]]
    assert state.protection.person_id == person["person_id"] and state.protection.person_evidence == ["manual"]

    with runtime.db.reader.connect() as conn:
        facts = conn.execute(select(events_table.c.player_id, events_table.c.payload)
                             .where(events_table.c.type == "croupier.person_linked")).all()
    assert sorted(pid for pid, _ in facts) == ["a1", "b1"]
    assert {json.loads(payload)["actor"] for _, payload in facts} == {key}
    record = _audit(runtime, "protection.person_linked")[-1]
    body = json.loads(record.body)
    assert record.actor == key and body["on_behalf_of"] == "olga"
    assert record.player_id == "b1" and record.subject == person["person_id"]
    assert body["reason"] == "same passport at KYC" and body["other_player_id"] == "a1"


def test_a_manual_link_survives_an_update_and_a_rebuild(runtime, client, staff):
    _two_strangers(runtime)
    client.post("/v1/persons/link", headers=staff("olga"),
                json={"player_id": "a1", "other_player_id": "b1", "reason": "confirmed by phone"})
    send(runtime, event("player.updated", "a1", "aurora", email="anna.new@example.com"))
    assert client.get("/v1/players/b1/person").json()["person_id"] is not None
    assert client.post("/v1/persons/rebuild").json()["changed_links"] == 0
    assert [a["player_id"] for a in client.get("/v1/players/a1/person").json()["accounts"]] == ["a1", "b1"]


def test_an_unlink_separates_for_good_and_takes_the_exclusion_back(runtime, client, staff):
    same_person(runtime, jurisdiction="SE")                 # a1 and b1 share an email
    x = client.post("/v1/players/a1/exclusions", json={"kind": "self_exclusion", "period": "P3M"}).json()["exclusion"]
    assert client.post("/v1/players/b1/access-check", json={"action": "login"}).json()["allowed"] is False

    done = client.post("/v1/persons/unlink", headers=staff("olga"),
                       json={"player_id": "b1", "reason": "shared family email, different people"})
    assert done.status_code == 200, done.text
    assert done.json()["person"]["person_id"] is None
    assert client.post("/v1/players/b1/access-check", json={"action": "login"}).json()["allowed"] is True
    assert client.post("/v1/players/a1/access-check", json={"action": "login"}).json()["allowed"] is False
    state = runtime.engine.state_of("b1")
    assert active_exclusions(state.protection, micros(now())) == [] and state.protection.person_id is None
    with runtime.db.reader.connect() as conn:
        assert [r["exclusion_id"] for r in ex.exclusions_of(conn, "b1", now())] == []

    send(runtime, event("player.updated", "b1", "borealis", email="A1.anna@example.com"))   # the matcher again
    assert client.post("/v1/persons/rebuild").json()["persons"] == 0
    assert client.get("/v1/players/b1/person").json()["person_id"] is None
    assert client.post("/v1/players/b1/access-check", json={"action": "login"}).json()["allowed"] is True
    record = _audit(runtime, "protection.person_unlinked")[-1]
    key = "api-key:" + client.headers["Authorization"].split("_")[1]
    assert record.actor == key and json.loads(record.body)["on_behalf_of"] == "olga"
    assert json.loads(record.body)["separated_from"] == ["a1"]
    decisions = client.get("/v1/players/a1/person").json()["decisions"]
    assert [(d["players"], d["decision"], d["by"]) for d in decisions] == [(["a1", "b1"], "separate", key)]

    relinked = client.post("/v1/persons/link", headers=staff("olga"),
                           json={"player_id": "b1", "other_player_id": "a1", "reason": "it was the same person"})
    assert relinked.status_code == 200, relinked.text
    assert client.post("/v1/players/b1/access-check", json={"action": "login"}).json()["allowed"] is False
    assert [e.exclusion_id for e in active_exclusions(runtime.engine.state_of("b1").protection,
                                                      micros(now()))] == [x["exclusion_id"]]


def test_a_link_that_would_undo_another_separation_is_refused(runtime, client, staff):
    send(runtime, registration("a1", "aurora", "SE", email="x@example.com"),
         registration("b1", "borealis", "SE", email="x@example.com"),
         registration("c1", "cosmos", "SE", email="c@example.com"))
    client.post("/v1/persons/unlink", headers=staff("olga"), json={"player_id": "b1", "reason": "not the same"})
    send(runtime, registration("d1", "dawn", "SE", email="x@example.com"))    # joins a1 by email
    refused = client.post("/v1/persons/link", headers=staff("olga"),
                          json={"player_id": "b1", "other_player_id": "d1", "reason": "looks alike"})
    assert refused.status_code == 409
    assert refused.json()["detail"]["field"] == "other_player_id" and "a1 and b1" in refused.json()["detail"]["error"]


def test_bad_requests_name_the_field_and_the_value(runtime, client, staff):
    _two_strangers(runtime)
    body = {"player_id": "a1", "other_player_id": "b1", "reason": "same person"}
    blank = client.post("/v1/persons/link", headers=staff("olga"), json=body | {"reason": "   "})
    assert blank.status_code == 422
    problem = blank.json()["detail"]
    assert problem["field"] == "reason" and problem["value"] == "   "
    unknown = client.post("/v1/persons/link", headers=staff("olga"), json=body | {"other_player_id": "zz9"})
    assert unknown.status_code == 404
    assert unknown.json()["detail"] | {"error": None} == {"error": None, "field": "other_player_id", "value": "zz9"}
    itself = client.post("/v1/persons/link", headers=staff("olga"), json=body | {"other_player_id": "a1"})
    assert itself.status_code == 422 and itself.json()["detail"]["field"] == "other_player_id"
    alone = client.post("/v1/persons/unlink", headers=staff("olga"), json={"player_id": "a1", "reason": "wrong"})
    assert alone.status_code == 409 and alone.json()["detail"] == {
        "error": "a1 is not linked to a person", "field": "player_id", "value": "a1"}
    officer = client.post("/v1/persons/link", headers=staff("rita"), json=body)
    assert officer.status_code == 403 and "persons.manage" in officer.json()["detail"]
    assert client.post("/v1/persons/link", json=body).status_code == 400          # nobody named
    assert client.post("/v1/persons/link", headers=staff("olga"), json=body).status_code == 200
    again = client.post("/v1/persons/link", headers=staff("olga"), json=body)
    assert again.status_code == 409 and "already one person" in again.json()["detail"]["error"]
    assert client.get("/v1/persons/psn_nobody").status_code == 404


def test_live_links_and_a_replay_of_the_log_agree(runtime, client, staff):
    _two_strangers(runtime)
    send(runtime, registration("c1", "cosmos", "SE", email="anna@example.com"))
    client.post("/v1/players/a1/exclusions", json={"kind": "self_exclusion", "period": "P1M"})
    client.post("/v1/persons/link", headers=staff("olga"),
                json={"player_id": "a1", "other_player_id": "b1", "reason": "same person"})
    client.post("/v1/persons/unlink", headers=staff("olga"), json={"player_id": "c1", "reason": "namesake"})
    live = {pid: states.encode(runtime.engine.state_of(pid)) for pid in ("a1", "b1", "c1")}
    runtime.engine.reset()
    runtime.engine.process_pending()
    assert {pid: states.encode(runtime.engine.state_of(pid)) for pid in ("a1", "b1", "c1")} == live
    with runtime.db.reader.connect() as conn:
        assert not ex.check_access(conn, "b1", "bet", now(), rules=rules).allowed
        assert ex.check_access(conn, "c1", "bet", now(), rules=rules).allowed
