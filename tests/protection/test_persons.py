"""One person, many accounts: matching on each kind of evidence with normalisation, no false
link on a namesake born another day, links visible with their evidence, rebuild on demand."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from croupier.protection.persons import (
    Identity, components, hash_name_birth_date, normalise_email, normalise_name, normalise_national_id,
    normalise_phone,
)
from croupier.store.schema import events as events_table, person_links

from . import event, registration, send


def test_normalisation_ignores_case_spacing_accents_and_punctuation():
    assert normalise_email("  Anna.Berg@Example.SE ") == "anna.berg@example.se"
    assert normalise_phone("+46 70-123 45 67") == normalise_phone("0046 (70) 1234567") == "46701234567"
    assert normalise_national_id("19900517-1234") == normalise_national_id(" 199005171234 ") == "199005171234"
    assert normalise_name("  José-María  ÖSTERGÅRD ") == "jose maria ostergard"
    assert hash_name_birth_date("Zoë", "Ångström", "1990-05-17") == hash_name_birth_date("zoe", " angstrom", "1990-05-17")
    assert hash_name_birth_date("Zoë", "Ångström", "1990-05-17") != hash_name_birth_date("Zoë", "Ångström", "1990-05-18")


def test_components_link_across_brands_only_and_name_a_person_deterministically():
    ids = {"a": Identity(email_hash="e"), "b": Identity(email_hash="e", phone_hash="p"),
           "c": Identity(phone_hash="p"), "d": Identity(email_hash="e"), "z": Identity(email_hash="other")}
    brands = {"a": "aurora", "b": "borealis", "c": "cosmos", "d": "aurora", "z": "cosmos"}
    links = {link.player_id: link for link in components(ids, brands)}
    assert set(links) == {"a", "b", "c", "d"}
    assert len({link.person_id for link in links.values()}) == 1
    assert links["a"].evidence == [{"kind": "email", "with": ["b"]}]      # d is on the same brand
    assert links["b"].kinds == ["email", "phone"]
    assert components(ids, brands)[0].person_id == components(dict(reversed(ids.items())), brands)[0].person_id


def person(client, player_id: str) -> dict:  # noqa: ANN001
    return client.get(f"/v1/players/{player_id}/person").json()


NATIONAL_ID_HASH = hashlib.sha256(b"199005171234").hexdigest()


@pytest.mark.parametrize(("first", "second", "evidence"), [
    ({"email": "Anna.Berg@Example.se"}, {"email": "  anna.berg@example.SE "}, ["email"]),
    ({"phone": "+46 70-123 45 67"}, {"phone": "0046701234567"}, ["phone"]),
    ({"national_id_hash": NATIONAL_ID_HASH}, {"national_id_hash": NATIONAL_ID_HASH.upper()}, ["national_id_hash"]),
    ({"first_name": "José", "last_name": "Müller-Öst", "birth_date": "1985-02-03"},
     {"first_name": "jose ", "last_name": "MULLER OST", "birth_date": "1985-02-03"}, ["name_birth_date"]),
])
def test_each_kind_of_evidence_links_accounts_on_two_brands(runtime, client, first, second, evidence):
    blank = {"email": None, "first_name": None, "last_name": None, "birth_date": None}
    send(runtime, registration("a1", "aurora", "SE", **(blank | first)),
         registration("b1", "borealis", "SE", **(blank | second)))
    view = person(client, "b1")
    assert view["person_id"] is not None
    assert [a["player_id"] for a in view["accounts"]] == ["a1", "b1"]
    assert [e["kind"] for e in view["accounts"][1]["evidence"]] == evidence
    assert view["accounts"][1]["evidence"][0]["with"] == ["a1"]
    assert view["accounts"][0]["brand"] == "aurora"
    state = runtime.engine.state_of("a1")
    assert state.protection.person_id == view["person_id"] and state.protection.person_evidence == evidence


def test_a_namesake_born_on_another_day_is_not_linked(runtime, client):
    send(runtime, registration("a1", "aurora", "SE", first_name="Anna", last_name="Berg", birth_date="1990-05-17"),
         registration("b1", "borealis", "SE", first_name="Anna", last_name="Berg", birth_date="1991-05-17"))
    assert person(client, "b1")["person_id"] is None
    with runtime.db.engine.connect() as conn:
        assert conn.execute(select(person_links)).all() == []
        assert conn.execute(select(events_table).where(events_table.c.type == "croupier.person_linked")).all() == []


def test_an_update_that_adds_a_shared_phone_links_later_and_facts_are_in_the_log(runtime, client):
    send(runtime, registration("a1", "aurora", "SE", phone="+46701234567"), registration("b1", "borealis", "SE"))
    assert person(client, "b1")["person_id"] is None
    send(runtime, event("player.updated", "b1", "borealis", phone="070 (46) ...", language="sv"))
    assert person(client, "b1")["person_id"] is None
    send(runtime, event("player.updated", "b1", "borealis", phone="0046 70 123 45 67"))
    view = person(client, "b1")
    assert view["person_id"] is not None and view["accounts"][1]["evidence"][0]["kind"] == "phone"
    with runtime.db.engine.connect() as conn:
        linked = conn.execute(select(events_table.c.player_id).where(
            events_table.c.type == "croupier.person_linked")).scalars().all()
    assert sorted(linked) == ["a1", "b1"]


def test_rebuild_recomputes_links_from_the_stored_identities(runtime, client):
    send(runtime, registration("a1", "aurora", "SE", email="x@example.com"),
         registration("b1", "borealis", "SE", email="x@example.com"),
         registration("c1", "cosmos", "SE", email="other@example.com"))
    before = person(client, "a1")
    with runtime.db.engine.begin() as conn:
        conn.execute(person_links.delete())
    rebuilt = client.post("/v1/persons/rebuild").json()
    assert rebuilt["persons"] == 1 and rebuilt["changed_links"] == 2
    assert person(client, "a1") | {"accounts": None} == before | {"accounts": None}
    assert [a["evidence"] for a in person(client, "a1")["accounts"]] == [a["evidence"] for a in before["accounts"]]
    assert client.post("/v1/persons/rebuild").json()["changed_links"] == 0
    assert person(client, "c1")["person_id"] is None


def test_a_duplicate_account_on_the_same_brand_is_reached_by_an_exclusion_without_a_link(runtime, client):
    send(runtime, registration("a1", "aurora", "SE", email="dup@example.com"),
         registration("a2", "aurora", "SE", email="DUP@example.com"))
    assert person(client, "a2")["person_id"] is None
    assert client.post("/v1/players/a1/exclusions", json={"kind": "timeout", "period": "P7D"}).status_code == 201
    verdict = client.post("/v1/players/a2/access-check", json={"action": "login"}).json()
    assert verdict["allowed"] is False and verdict["reasons"] == ["excluded:timeout:national"]
