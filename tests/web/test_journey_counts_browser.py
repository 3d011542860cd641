"""Journey counts in Chromium: a published journey's diagram badge shows how many players
wait at its wait step, and keeps showing it as the editor redraws the diagram; the
player-360's Journeys tab lists the player's run and links to the journey."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from conftest import NOW, EventFactory, noon_zone
from croupier.api.auth import Actor
from croupier.api.journey_routes import create_now, publish_now

pytestmark = pytest.mark.browser

WAITING = {
    "key": "badge_wait", "name": "Badge wait", "version": 1, "purpose": "service", "group": "badges", "priority": 5,
    "trigger": {"kind": "event", "event": "payment.deposit", "condition": 'event.status = "approved"'},
    "steps": [{"kind": "send", "id": "receipt", "channel": "email", "template": "badge_receipt"},
              {"kind": "wait", "id": "pause", "duration": "P2D"},
              {"kind": "exit", "id": "done"}],
}


@pytest.fixture(scope="module")
def waiting(live) -> str:  # noqa: ANN001
    runtime = live.app.state.runtime
    carl = Actor("carl", "crm_manager", "session")
    made = create_now(runtime, carl, {"definition": WAITING})
    publish_now(runtime, carl, made.journey_id, 1)
    events = []
    for pid in ("badge-1", "badge-2"):
        ev = EventFactory(now=NOW, player_id=pid)
        events += [ev.registered(timedelta(hours=-2), email=f"{pid}@example.se", last_name=pid, timezone=noon_zone()),
                   ev("payment.deposit", timedelta(minutes=-5), transaction_id=f"{pid}-d", amount="20.00",
                      currency="SEK", status="approved", method="card")]
    live.ingest(events)
    return str(made.journey_id)


def test_the_wait_steps_badge_shows_who_waits_there(open_page, waiting) -> None:  # noqa: ANN001
    page = open_page("carl")
    page.goto(f"/journeys/{waiting}")
    badge = page.locator('#journey-diagram .step-badge[data-badge-for="pause"]')
    expect(badge).to_have_text("2 waiting")
    expect(page.locator('#journey-diagram .step-badge[data-badge-for="receipt"]')).to_have_text("2 passed")
    row = page.locator('#journey-step-counts tr[data-step="pause"]')
    expect(row.locator('[data-count="waiting"]')).to_have_text("2")
    # the editor redraws the diagram from the text as typed: the counts stay on their steps
    text = page.locator("#journey-definition")
    text.fill(text.input_value().replace('"Badge wait"', '"Badge wait, renamed"'))
    expect(page.locator("#journey-problems-status")).to_have_text("No problems: this definition can be published.")
    expect(badge).to_have_text("2 waiting")


def test_the_player_360_journeys_tab_links_to_the_journey(open_page, waiting) -> None:  # noqa: ANN001
    page = open_page("ada")
    page.goto("/players/badge-1")
    page.get_by_role("tab", name="Journeys").click()
    runs = page.locator("#player-journey-runs tbody tr")
    expect(runs).to_have_count(1)
    expect(runs).to_contain_text("pause")
    expect(page.locator('#player-journey-history tr[data-what="waiting"]')).to_contain_text("waiting")
    runs.get_by_role("link", name="Badge wait").click()
    expect(page.locator("h1")).to_contain_text("Badge wait")
    expect(page.locator('#journey-diagram .step-badge[data-badge-for="pause"]')).to_have_text("2 waiting")
