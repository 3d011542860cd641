"""Staff correct who is the same person and end exclusions, in real Chromium: the person page
with the evidence of each link, a manual link that carries an exclusion to the other brand at
once, an unlink with its reason, and ending an exclusion as the jurisdiction's rules allow."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from conftest import EventFactory

pytestmark = pytest.mark.browser


def _player(player_id: str, brand: str, **fields: str) -> dict:
    make = EventFactory(now=datetime.now(timezone.utc).replace(microsecond=0), player_id=player_id, brand=brand)
    return make.registered(timedelta(hours=-1), **fields)


def test_a_manual_link_carries_the_exclusion_and_an_unlink_takes_it_back(open_page, live) -> None:  # noqa: ANN001
    live.ingest([_player("pp-anna-1", "aurora", email="anna.k@example.se", first_name="Anna", last_name="Krook"),
                 _player("pp-anna-2", "borealis", email="annak77@example.org", first_name="Annie",
                         last_name="Krook")])
    page = open_page("ada")
    page.goto("/players/pp-anna-1#protection")
    page.locator("#exclusion_kind").select_option("self_exclusion")
    page.locator("#exclusion_period").fill("P3M")
    page.locator("#exclusion_reason").fill("asked on the phone")
    page.get_by_role("button", name="Start exclusion").click()
    expect(page.locator("#excluded-badge")).to_be_visible()

    page.goto("/players/pp-anna-2#protection")
    expect(page.locator("#excluded-badge")).to_have_count(0)
    expect(page.locator("#person-link")).to_contain_text("Not linked")
    page.locator("#person-page-link").click()
    expect(page.locator("#person-id")).to_have_text("Not linked to a person")
    page.locator("#other_player_id").fill("pp-anna-1")
    page.locator("#link_reason").fill("same ID document at KYC")
    page.get_by_role("button", name="Link accounts").click()
    expect(page.locator("#person-id")).to_contain_text("Person psn_")
    row = page.locator('#person-accounts tr[data-account="pp-anna-2"]')
    expect(row.locator('[data-evidence="manual"]')).to_be_visible()
    expect(row).to_contain_text("borealis")
    expect(row).to_contain_text("with pp-anna-1")
    expect(page.locator("#person-accounts")).not_to_contain_text("annak77")     # kinds of evidence, never PII
    expect(page.locator('#person-decisions tr[data-decision="link"]')).to_contain_text("same ID document at KYC")

    page.goto("/players/pp-anna-2#protection")
    expect(page.locator("#excluded-badge")).to_be_visible()                       # the exclusion followed the link
    expect(page.locator("#exclusions-table")).to_contain_text("self exclusion")
    expect(page.locator("#person-link")).to_contain_text("evidence: manual")

    page.locator("#person-page-link").click()
    unlink = page.locator('form[data-unlink="pp-anna-2"]')
    unlink.get_by_label("Reason").fill("KYC mix-up: a namesake")
    unlink.get_by_role("button", name="Unlink pp-anna-2").click()
    expect(page.locator("#person-id")).to_have_text("Not linked to a person")
    expect(page.locator('#person-decisions tr[data-decision="separate"]')).to_contain_text("KYC mix-up")
    page.goto("/players/pp-anna-2#protection")
    expect(page.locator("#excluded-badge")).to_have_count(0)

    page.goto("/audit?kind=protection.person_unlinked")
    expect(page.locator("#audit-table tbody tr").first).to_contain_text("ada")


def test_ending_an_exclusion_shows_the_rules_and_their_refusal(open_page, live) -> None:  # noqa: ANN001
    live.ingest([_player("pp-erik-3", "aurora", email="erik@example.se", first_name="Erik", last_name="Sand")])
    page = open_page("ada")
    page.goto("/players/pp-erik-3#protection")
    for kind, period in (("self_exclusion", "P1M"), ("operator", "P30D")):
        page.locator("#exclusion_kind").select_option(kind)
        page.locator("#exclusion_period").fill(period)
        page.get_by_role("button", name="Start exclusion").click()
        expect(page.locator("#exclusion-endings")).to_contain_text(kind.replace("_", " "))

    endings = page.locator("#exclusion-endings li")
    selfx = endings.filter(has_text="self exclusion")
    expect(selfx).to_contain_text("lifts by itself when the period is over; never before")
    expect(selfx.locator('[data-option="player"]')).to_contain_text("not allowed")
    operator = endings.filter(has_text="lifted only by the operator")
    expect(operator.locator('[data-option="operator"]')).to_contain_text("allowed")

    page.locator("#end_exclusion_id").select_option(selfx.get_attribute("data-ending"))
    page.locator("#end_requested_by").select_option("player")
    page.locator("#end_reason").fill("player insists")
    page.get_by_role("button", name="End exclusion").click()     # staff started it: only the operator ends it
    expect(page.locator("#error-message")).to_contain_text("was imposed by staff, so it ends only by the operator")

    page.goto("/players/pp-erik-3#protection")
    page.locator("#end_exclusion_id").select_option(operator.get_attribute("data-ending"))
    page.locator("#end_requested_by").select_option("operator")
    page.locator("#end_reason").fill("payment dispute settled")
    page.get_by_role("button", name="End exclusion").click()
    expect(page.locator("#exclusion-endings li")).to_have_count(1)
    expect(page.locator("#exclusions-table tbody tr")).to_have_count(1)
    page.goto("/audit?kind=protection.exclusion_ended")
    expect(page.locator("#audit-table tbody tr").first).to_contain_text("payment dispute settled")
