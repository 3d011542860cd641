"""The task queue in Chromium: a journey's task appears in the queue (overdue, marked), a
support agent takes it, completes it with an outcome and a note, and it shows done; the
player's Tasks tab lists it. A task made by hand from the page's form lands in its queue."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from croupier.tasks import Source, service

pytestmark = pytest.mark.browser
HOUR = 3_600_000_000


def test_take_complete_and_see_it_on_the_player_page(open_page, live) -> None:  # noqa: ANN001
    now = time.time_ns() // 1000
    due = (now // 1_000_000 - 7_200) * 1_000_000      # two hours ago, on a whole second
    with live.app.state.runtime.db.engine.begin() as conn:
        task, _ = service.create_task(conn, origin_id="browser-vip-1", queue="vip_host", player_id="se-anna-1",
                                      title="Welcome call for Anna", detail="three deposits this week",
                                      priority="high", due_at_us=due,
                                      source=Source.journey("vip_escalation", 1, "host"), now_us=now - 3 * HOUR)
    page = open_page("sam")
    page.goto("/players")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tasks").click()
    row = page.locator(f"#task-{task.task_id}")
    expect(row).to_contain_text("Welcome call for Anna")
    expect(row).to_have_class("task-overdue")
    expect(row.locator(".badge", has_text="overdue")).to_be_visible()
    due_time = row.locator("td").first.locator("time")      # on the reader's clock (UTC for sam)
    expect(due_time).to_have_attribute("datetime", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(due // 1_000_000)))
    expect(due_time).to_have_text(time.strftime("%-d %b %Y, %H:%M:%S UTC", time.gmtime(due // 1_000_000)))
    expect(row).to_contain_text("journey vip_escalation/v1/host")

    row.get_by_role("button", name="Take").click()
    expect(row.locator(".task-status")).to_have_text("taken by sam")
    page.get_by_label("Only tasks I have taken").check()
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#tasks-table tbody tr[data-task-id]")).to_have_count(1)
    row.get_by_label("Outcome").select_option("no_answer")
    row.get_by_label("Note").fill("voicemail, will try tomorrow")
    row.get_by_role("button", name=f"Complete task {task.task_id}").click()

    # done tasks leave the active list; every status shows it, done with its outcome
    expect(page.locator(f"#task-{task.task_id}")).to_have_count(0)
    page.get_by_label("Status").select_option("all")
    page.get_by_role("button", name="Show").click()
    done = page.locator(f"#task-{task.task_id}")
    expect(done).to_have_attribute("data-status", "done")
    expect(done.locator(".task-status")).to_contain_text("done no answer by sam")
    expect(done.locator(".task-status")).to_contain_text("voicemail, will try tomorrow")
    expect(done).not_to_have_class("task-overdue")
    expect(done.get_by_role("button")).to_have_count(0)

    done.get_by_role("link", name="se-anna-1").click()
    expect(page.get_by_role("tab", name="Tasks")).to_have_attribute("aria-selected", "true")
    listed = page.locator(f'#player-tasks tr[data-task-id="{task.task_id}"]')
    expect(listed).to_contain_text("Welcome call for Anna")
    expect(listed.locator(".task-status")).to_contain_text("done no answer by sam")


def test_a_task_made_by_hand_lands_in_its_queue(open_page) -> None:  # noqa: ANN001
    page = open_page("carl")
    page.goto("/tasks")
    form = page.locator("#new-task")
    form.get_by_label("Queue").select_option("retention")
    form.get_by_label("Player id").fill("busy-3")
    form.get_by_label("Title").fill("Win back Bo")
    form.get_by_label("Priority").select_option("urgent")
    form.get_by_label("Why (recorded in the audit log)").fill("asked by the retention lead")
    form.get_by_role("button", name="Create the task").click()
    expect(page.get_by_label("Queue", exact=True).first).to_have_value("retention")
    made = page.locator("#tasks-table tbody tr[data-task-id]", has_text="Win back Bo")
    expect(made).to_have_count(1)
    expect(made).to_contain_text("by carl")
    expect(made.locator(".badge", has_text="urgent")).to_be_visible()
    expect(made).not_to_have_class("task-overdue")
