"""The journey editor in Chromium: a CRM manager opens Journeys from the navigation, starts
from a ready-made journey, creates it, breaks the JSON and sees the problem listed at its line
and column (its button puts the cursor there), fixes it, watches the flow diagram follow
(boxes and arrows for a new branch), saves a new version and publishes it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_ready_made_edit_fix_diagram_publish(open_page) -> None:  # noqa: ANN001
    page = open_page("carl")
    page.goto("/")
    page.get_by_role("link", name="Journeys").click()
    expect(page.locator("h1")).to_have_text("Journeys")
    page.get_by_label("Ready-made journey").select_option("abandoned_deposit")
    page.get_by_role("button", name="Open in the editor").click()
    expect(page.locator("h1")).to_have_text("New journey")
    diagram = page.locator("#journey-diagram svg")
    expect(diagram.locator("g[data-step]")).to_have_count(3)
    expect(page.locator("#journey-problems-status")).to_have_text("No problems: this definition can be published.")
    page.get_by_role("button", name="Create journey").click()

    expect(page.locator("#journey-status")).to_have_text("draft")
    text = page.locator("#journey-definition")
    original = text.input_value()
    assert '"channel": "popup"' in original

    # a typo: the problem is listed at its place, and its button puts the cursor there
    text.fill(original.replace('"channel": "popup"', '"channel": "popop"'))
    problems = page.locator("#journey-problem-list li")
    expect(problems).to_have_count(1)
    expect(problems).to_contain_text("$.steps[1].channel: unknown channel 'popop'")
    expect(text).to_have_attribute("aria-invalid", "true")
    place = problems.locator("button.go-to")
    line, column = int(place.get_attribute("data-line")), int(place.get_attribute("data-column"))
    expect(place).to_have_text(f"line {line}, column {column}")
    place.click()
    at = page.evaluate("() => document.getElementById('journey-definition').selectionStart")
    assert text.input_value()[at:].startswith('"popop"')
    assert text.input_value().split("\n")[line - 1][column - 1:].startswith('"popop"')

    # broken JSON: the problem where the parser stopped; the last diagram stays, dimmed
    text.fill(original[:-2])
    expect(problems).to_have_count(1)
    expect(problems).to_contain_text("not valid JSON")
    expect(page.locator("#journey-diagram")).to_have_class("diagram-scroll stale")

    # fixed, and a branch added before the help pop-up: the diagram follows
    changed = original.replace('"on_timeout": "help"', '"on_timeout": "still-here"').replace(
        '    {\n      "kind": "send",\n      "id": "help"',
        '    {\n      "kind": "branch",\n      "id": "still-here",\n      "condition": "rg.level < medium",\n'
        '      "then": "help",\n      "else": "done"\n    },\n    {\n      "kind": "send",\n      "id": "help"', 1)
    assert changed.count('"still-here"') == 2, changed
    text.fill(changed)
    expect(problems).to_have_count(0)
    expect(page.locator("#journey-diagram")).to_have_class("diagram-scroll")
    expect(diagram.locator("g[data-step]")).to_have_count(4)
    expect(diagram.locator('g[data-step="still-here"][data-kind="branch"]')).to_contain_text("still-here")
    expect(diagram.locator('g.edge[data-from="still-here"][data-to="help"][data-label="then"]')).to_have_count(1)
    expect(diagram.locator('g.edge[data-from="still-here"][data-to="done"][data-label="else"]')).to_have_count(1)
    expect(diagram.locator('g.edge[data-from="completed"][data-to="still-here"][data-label="timeout"]')) \
        .to_have_count(1)
    expect(diagram.locator('g.exit[data-step="done"]')).to_have_count(1)

    page.get_by_label("What this version changes").fill("a branch before the pop-up")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator("#latest-version")).to_have_text("2")
    page.get_by_role("button", name="Publish version 2", exact=True).click()
    expect(page.locator("#journey-status")).to_have_text("live")
    expect(page.locator("#versions-table tbody tr")).to_have_count(2)
    expect(page.get_by_role("button", name="Pause")).to_be_visible()

    page.get_by_role("link", name="All journeys").click()
    row = page.locator("#journeys-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("abandoned_deposit")
    expect(row).to_contain_text("live")
