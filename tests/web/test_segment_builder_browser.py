"""The click-through segment builder in Chromium, over a simulated run served by the real
back office. The test operators' question, "slots players who have not played in 14 days but
whose last 5 sessions averaged more than 45 minutes", is built by choosing identifiers,
operators and values in the builder only (the text editor is never typed in), saved, and its
members, read back from the members CSV, must equal the independent computation over the
simulator's raw events (tests/sim/test_seed_segment_features.py: plain Python over the event
dicts, nothing of croupier.players). Also: the text follows the builder and the builder
follows the text (or says why it cannot), a nested "none of" group holding an "any of"
group, and the builder from the keyboard."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from playwright.sync_api import expect

from conftest import serving
from croupier.segments import parse_valid, summarise
from sim.test_seed_segment_features import IDLE_DAYS, LONG_MINUTES, RUN, raw_values

from .conftest import STAFF, Live
from .test_layout_a11y_browser import _axe

# The module's server ingests a simulated run first (~160,000 events): on a busy machine that
# alone can take minutes, counted against whichever test sets it up.
pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

SEED_TEXT = f"days_since_last_bet_slots >= {IDLE_DAYS} and session_minutes_avg_last5 > {LONG_MINUTES}"


# The seed test's run, smaller: 100 players over 60 days still hold members and, for each
# condition, many slots players on either side of it (the tests below check both counts).
BUILDER_RUN = dataclasses.replace(RUN, seed=6, players=100)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The back office holding one simulated run and nothing else, so the raw computation over
    the run's events covers every player the server has; segments are evaluated as of the
    run's end, as the raw computation is."""
    from croupier.api import create_app
    from croupier.api.segment_routes import batch_of
    from croupier.sim import Simulator
    from croupier.sim.registers import configure_simulated_registers
    from croupier.store.accounts import create_user

    sim = Simulator(BUILDER_RUN)
    events = list(sim.events())
    app = create_app(f"sqlite:///{tmp_path_factory.mktemp('builder') / 'croupier.db'}", None, background=False)
    runtime = app.state.runtime
    with runtime.db.engine.begin() as conn:
        create_user(conn, "carl", STAFF["carl"][1], STAFF["carl"][0])
    configure_simulated_registers(runtime, actor="tests")
    for start in range(0, len(events), 10_000):
        result = runtime.ingest(msgspec.json.encode(events[start:start + 10_000]))
        assert not result.rejected, result.rejected[:3]
    end_us = int(sim.end.timestamp()) * 1_000_000
    batch_of(runtime, clock_us=lambda: end_us)
    with serving(app) as base_url:
        yield Live(base_url, app, extra={"raw": raw_values(events, sim.end)})


def raw_at_end(live: Live) -> dict[str, tuple[int | None, float | None]]:
    """player -> (days since the last slots bet, mean minutes of the last 5 ended sessions),
    from the run's raw events as of its end."""
    return live.extra["raw"]


def condition(page, index: int):  # noqa: ANN001, ANN201
    return page.locator("#segment-builder [data-part=condition]").nth(index)


def group(page, index: int):  # noqa: ANN001, ANN201
    return page.locator("#segment-builder [data-part=group]").nth(index)


def choose(page, index: int, feature: str, op: str, *values: str, find: str | None = None) -> None:  # noqa: ANN001
    """Fill condition `index` (reading order) by choosing, as a CRM manager does."""
    row = condition(page, index)
    if find is not None:
        row.get_by_label("Find").fill(find)
        expect(row.locator(f'select[data-role=feature] option[value="{feature}"]')).to_have_count(1)
    row.get_by_label("Identifier").select_option(feature)
    expect(condition(page, index).get_by_label("Operator")).to_be_visible()
    condition(page, index).get_by_label("Operator").select_option(op)
    labels = {0: (), 1: ("Value",), 2: ("From", "To (inclusive)")}[len(values)]
    for label, value in zip(labels, values):
        field = condition(page, index).get_by_label(label, exact=True)
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def members_csv(page, segment_id: str) -> set[str]:  # noqa: ANN001
    answer = page.request.get(f"/bo/api/segments/{segment_id}/members.csv")
    assert answer.status == 200, answer.text()
    rows = list(csv.reader(io.StringIO(answer.text())))
    assert rows[0] == ["player_id"]
    return {r[0] for r in rows[1:]}


def test_the_seed_segment_built_by_clicking_has_the_raw_events_members(open_page, live: Live) -> None:  # noqa: ANN001
    page = open_page("carl")
    page.goto("/segments/new")
    builder = page.locator("#segment-builder")
    expect(builder).to_have_attribute("data-state", "ok")
    page.get_by_label("Name").fill("Idle slots players with long sessions")
    page.get_by_label("Purpose").select_option("service")     # nobody left out: members are the definition's

    choose(page, 0, "days_since_last_bet_slots", ">=", str(IDLE_DAYS), find="slots days")
    # the identifier's definition shows beside it (the catalogue's words)
    expect(condition(page, 0).locator(".builder-about")).to_contain_text("latest bet in category slots")
    group(page, 0).get_by_role("button", name="Add condition to all conditions").click()
    expect(condition(page, 1).get_by_label("Find")).to_be_focused()
    choose(page, 1, "session_minutes_avg_last5", ">", str(LONG_MINUTES), find="minutes last 5")

    text = page.locator("#segment-text")
    expect(text).to_have_value(SEED_TEXT)                    # the builder wrote the text
    expect(builder).to_have_attribute("data-state", "ok")
    raw = raw_at_end(live)
    wanted = {pid for pid, (idle, minutes) in raw.items()
              if idle is not None and idle >= IDLE_DAYS and minutes is not None and minutes > LONG_MINUTES}
    assert len(wanted) >= 3                                   # not a vacuous run
    expect(page.locator("#preview-count")).to_have_text(str(len(wanted)))
    expect(page.locator("#preview-summary")).to_have_text(summarise(parse_valid(SEED_TEXT)))
    expect(page.locator("#preview-summary")).to_contain_text("at least 14 days ago")
    expect(page.locator("#preview-sample a")).to_have_count(len(wanted))

    page.get_by_role("button", name="Create segment").click()
    expect(page.locator("h1")).to_have_text("Idle slots players with long sessions")
    segment_id = page.url.rstrip("/").rsplit("/", 1)[1]
    expect(page.locator("#segment-text")).to_have_value(SEED_TEXT)
    # the saved segment opens in the builder too
    expect(builder).to_have_attribute("data-state", "ok")
    expect(condition(page, 1).get_by_label("Identifier")).to_have_value("session_minutes_avg_last5")
    expect(condition(page, 1).get_by_label("Value", exact=True)).to_have_value(str(LONG_MINUTES))

    assert members_csv(page, segment_id) == wanted


def test_a_nested_none_of_group_holding_an_any_of_group(open_page, live: Live) -> None:  # noqa: ANN001
    """slots players idle for 14 days or more whose last sessions averaged 45 minutes or less,
    built as: days_since_last_bet_slots is set, and none of (minutes > 45, any of (idle < 14,
    minutes not set)); the preview counts what the raw computation counts."""
    page = open_page("carl")
    page.goto("/segments/new")
    expect(page.locator("#segment-builder")).to_have_attribute("data-state", "ok")
    page.get_by_label("Purpose").select_option("service")
    choose(page, 0, "days_since_last_bet_slots", "is_set")
    group(page, 0).get_by_role("button", name="Add group to all conditions").click()
    expect(group(page, 1).get_by_label("Group 2: players matching")).to_be_focused()
    group(page, 1).get_by_label("Group 2: players matching").select_option("none")
    choose(page, 1, "session_minutes_avg_last5", ">", str(LONG_MINUTES))
    group(page, 1).get_by_role("button", name="Add group to group 2").click()
    choose(page, 2, "days_since_last_bet_slots", "<", str(IDLE_DAYS))
    group(page, 2).get_by_role("button", name="Add condition to group 3").click()
    choose(page, 3, "session_minutes_avg_last5", "is_not_set")

    expected_text = (f"days_since_last_bet_slots is set and not (session_minutes_avg_last5 > {LONG_MINUTES} or "
                     f"(days_since_last_bet_slots < {IDLE_DAYS} or session_minutes_avg_last5 is not set))")
    expect(page.locator("#segment-text")).to_have_value(expected_text)
    expect(group(page, 0)).to_have_attribute("data-mode", "all")
    expect(group(page, 1)).to_have_attribute("data-mode", "none")
    expect(group(page, 2)).to_have_attribute("data-mode", "any")
    wanted = sum(1 for idle, minutes in raw_at_end(live).values()
                 if idle is not None and idle >= IDLE_DAYS and minutes is not None and minutes <= LONG_MINUTES)
    assert wanted >= 3
    expect(page.locator("#preview-count")).to_have_text(str(wanted))
    expect(page.locator("#preview-summary")).to_have_text(summarise(parse_valid(expected_text)))
    expect(page.locator("#preview-summary")).to_contain_text("excluding those")

    # removing the inner "any of" group leaves "none of" one condition
    group(page, 2).get_by_role("button", name="Remove group 3").click()
    expect(page.locator("#segment-text")).to_have_value(
        f"days_since_last_bet_slots is set and not session_minutes_avg_last5 > {LONG_MINUTES}")
    expect(page.locator("#segment-builder [data-part=group]")).to_have_count(2)


def test_the_text_and_the_builder_follow_each_other(open_page, live: Live) -> None:  # noqa: ANN001
    page = open_page("carl")
    page.goto("/segments/new")
    builder = page.locator("#segment-builder")
    expect(builder).to_have_attribute("data-state", "ok")
    text = page.locator("#segment-text")

    # text -> builder: an "or" of a range and a negated group, levels and booleans
    text.fill('deposit_count_30d between 1 and 5 or not (excluded = true or rg.level >= "high")')
    expect(group(page, 0)).to_have_attribute("data-mode", "any")
    expect(group(page, 1)).to_have_attribute("data-mode", "none")
    expect(page.locator("#segment-builder [data-part=condition]")).to_have_count(3)
    expect(condition(page, 0).get_by_label("Identifier")).to_have_value("deposit_count_30d")
    expect(condition(page, 0).get_by_label("Operator")).to_have_value("between")
    expect(condition(page, 0).get_by_label("From")).to_have_value("1")
    expect(condition(page, 0).get_by_label("To (inclusive)")).to_have_value("5")
    expect(condition(page, 1).get_by_label("Value", exact=True)).to_have_value("true")
    expect(condition(page, 2).get_by_label("Identifier")).to_have_value("rg.level")
    expect(condition(page, 2).get_by_label("Value", exact=True)).to_have_value("high")
    # the operators a level offers include the order; a boolean's do not
    expect(condition(page, 1).get_by_label("Operator").locator("option")).to_have_count(4)

    # a text the builder cannot show: it says why and keeps what it showed
    text.fill("deposit_count_30d between 1 and")
    expect(builder).to_have_attribute("data-state", "stale")
    expect(page.locator("#builder-problems")).to_contain_text("The builder cannot show this text")
    expect(page.locator("#segment-builder [data-part=condition]")).to_have_count(3)
    text.fill('deposit_count_30 >= 1')                        # parses, but no such feature
    expect(page.locator("#segment-text-problems")).to_contain_text("did you mean 'deposit_count_30d'")
    expect(builder).to_have_attribute("data-state", "stale")

    # builder -> text: a click replaces the text with the builder's definition
    group(page, 0).get_by_label("Players matching", exact=True).select_option("all")
    expect(text).to_have_value('deposit_count_30d between 1 and 5 and not (excluded = true or rg.level >= "high")')
    expect(builder).to_have_attribute("data-state", "ok")
    expect(page.locator("#segment-text-problems li")).to_have_count(0)
    # a value set by ticking: "one of" on a string with known values
    choose(page, 2, "kyc.status", "in")
    condition(page, 2).get_by_label("verified").check()
    condition(page, 2).get_by_label("pending").check()
    expect(text).to_have_value(
        'deposit_count_30d between 1 and 5 and not (excluded = true or kyc.status in ("pending", "verified"))')
    assert _axe(page) == []      # range fields, true/false and tick boxes, nested groups: no serious violation

    # an incomplete condition is named, and the form is not sent until it is complete
    group(page, 0).get_by_role("button", name="Add condition to all conditions").click()
    expect(builder).to_have_attribute("data-state", "incomplete")
    expect(page.locator("#builder-problems")).to_contain_text("Condition 4: choose what to compare.")
    condition(page, 3).get_by_label("Identifier").select_option("deposit_sum_30d")
    condition(page, 3).get_by_label("Value", exact=True).fill("12.5x")
    expect(page.locator("#builder-problems")).to_contain_text('Condition 4: the value "12.5x" is not a number')
    page.get_by_label("Name").fill("Sync check")
    page.get_by_role("button", name="Create segment").click()
    expect(page.locator("#preview-status")).to_have_text("Not saved: complete the builder's conditions first.")
    expect(page.locator("h1")).to_have_text("New segment")
    # money keeps the digits typed, through the builder's JSON form to the text
    condition(page, 3).get_by_label("Value", exact=True).fill("12.50")
    expect(text).to_have_value('deposit_count_30d between 1 and 5 and not (excluded = true or kyc.status in '
                               '("pending", "verified")) and deposit_sum_30d >= 12.50')
    # a value the vocabulary refuses: the server's words, under the builder too
    condition(page, 0).get_by_label("From").fill("-1")
    expect(page.locator("#builder-problems")).to_contain_text("below the smallest value deposit_count_30d takes")
    expect(builder).to_have_attribute("data-state", "invalid")
    condition(page, 0).get_by_label("From").fill("2")
    expect(builder).to_have_attribute("data-state", "ok")
    # removing a condition
    condition(page, 3).get_by_role("button", name="Remove condition 4").click()
    expect(text).to_have_value('deposit_count_30d between 2 and 5 and not (excluded = true or kyc.status in '
                               '("pending", "verified"))')


def test_the_builder_from_the_keyboard(open_page, live: Live) -> None:  # noqa: ANN001
    """Every control is a labelled form control in tab order: find an identifier by typing,
    pick it with the arrow keys, type the value, add the next condition with Enter."""
    page = open_page("carl")
    page.goto("/segments/new")
    expect(page.locator("#segment-builder")).to_have_attribute("data-state", "ok")
    page.get_by_label("Description").focus()
    page.keyboard.press("Tab")
    expect(group(page, 0).get_by_label("Players matching", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(condition(page, 0).get_by_label("Find")).to_be_focused()
    page.keyboard.type("minutes last 5")
    expect(condition(page, 0).locator("[data-role=find] + span")).to_have_text("1 match")
    page.keyboard.press("Tab")
    expect(condition(page, 0).get_by_label("Identifier")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(condition(page, 0).get_by_label("Identifier")).to_have_value("session_minutes_avg_last5")
    expect(condition(page, 0).get_by_label("Identifier")).to_be_focused()
    page.keyboard.press("Tab")
    expect(condition(page, 0).get_by_label("Operator")).to_be_focused()
    page.keyboard.press("Tab")
    expect(condition(page, 0).get_by_label("Value", exact=True)).to_be_focused()
    page.keyboard.type("45")
    expect(page.locator("#segment-text")).to_have_value("session_minutes_avg_last5 >= 45")
    page.keyboard.press("Tab")
    expect(condition(page, 0).get_by_role("button", name="Remove condition 1")).to_be_focused()
    page.keyboard.press("Tab")
    expect(group(page, 0).get_by_role("button", name="Add condition to all conditions")).to_be_focused()
    page.keyboard.press("Enter")
    expect(condition(page, 1).get_by_label("Find")).to_be_focused()
    expect(page.locator("#builder-problems")).to_contain_text("Condition 2: choose what to compare.")
