"""Every back-office page on any screen and for every user, in real Chromium:

- at phone, tablet, laptop and desktop widths no page scrolls sideways, Log out is visible
  and clickable, the navigation is reachable (behind the Menu button on narrow screens), and
  every data table keeps all its columns, scrolling inside its own box;
- axe-core (vendored in tests/web/vendor, run inside each page) finds no serious or critical
  WCAG 2.1 A/AA violation on any page;
- the keyboard works: the skip link, the menu, the player-360 tabs (arrow keys, deep links).

PAGES is the one list of pages: add a new page there and every check here covers it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from croupier.api.config_routes import Actor, do_propose
from croupier.api.campaign_routes import create_now as campaign_create_now
from croupier.api.journey_routes import create_now as journey_create_now
from croupier.api.segment_routes import create_now

pytestmark = pytest.mark.browser

AXE_VERSION = "4.14.1"
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = {"phone": (390, 844), "tablet": (768, 1024), "laptop": (1366, 768), "desktop": (1920, 1080)}
NARROW = 900   # at or below this width the navigation sits behind the Menu button (croupier.css)

# Every back-office page: (name, user signed in or None, path). "{version}" is a configuration
# version the module proposes, "{segment}" a segment it creates, "{journey}" a journey, "{live_journey}" a live one a player is in. The player-360 appears once per tab (the hash opens it).
PAGES: list[tuple[str, str | None, str]] = [
    ("login", None, "/login"),
    ("dashboard", "ada", "/"),
    ("players", "ada", "/players"),
    ("player search", "carl", "/players?q=anna"),
    ("player-360 profile", "ada", "/players/se-anna-1#tab-profile"),
    ("player-360 activity", "ada", "/players/se-anna-1#tab-activity"),
    ("player-360 protection", "ada", "/players/se-anna-1#tab-protection"),
    ("player-360 messages", "ada", "/players/se-anna-1#tab-messages"),
    ("player-360 aml", "ada", "/players/se-anna-1#tab-aml"),
    ("player-360 audit", "ada", "/players/se-anna-1#tab-audit"),
    ("player-360 tasks", "ada", "/players/se-anna-1#tab-tasks"),
    ("player-360 journeys", "ada", "/players/se-anna-1#tab-journeys"),
    ("player-360 unregistered", "aud", "/players/ghost-7"),
    ("player-360 rg officer", "rita", "/players/se-anna-1#tab-protection"),
    ("player-360 older events", "ada", "/players/busy-3?before_seq=999999#timeline"),
    ("person", "ada", "/players/se-anna-1/person"),
    ("rg queue", "rita", "/rg?min_level=low"),
    ("why", "ada", "/audit/why?player_id=se-anna-1&action=welcome"),
    ("audit", "ada", "/audit"),
    ("config", "ada", "/config"),
    ("config version", "ada", "/config/versions/{version}"),
    ("config settings form", "ada", "/config?market=GB"),
    ("reports", "rita", "/reports/rg-effectiveness"),
    ("rg models", "ada", "/models/rg"),
    ("rg models officer", "rita", "/models/rg"),
    ("segments", "carl", "/segments"),
    ("new segment", "carl", "/segments/new"),
    ("segment", "carl", "/segments/{segment}"),
    ("segment read-only", "aud", "/segments/{segment}"),
    ("segment dry run", "carl", "/segments/{segment}?dry_since=2020-01-01T00:00&dry_until=2020-01-03T00:00#dry-run"),
    ("segment dry run refused", "aud", "/segments/{segment}?dry_since=2020-01-01T00:00#dry-run"),
    ("journeys", "carl", "/journeys"),
    ("new journey from a ready-made one", "carl", "/journeys/new?template_key=welcome"),
    ("journey", "carl", "/journeys/{journey}"),
    ("journey read-only", "aud", "/journeys/{journey}"),
    ("journey dry run", "carl", "/journeys/{journey}?dry_since=2020-01-01T00:00&dry_until=2020-01-03T00:00#dry-run"),
    ("journey dry run refused", "aud", "/journeys/{journey}?dry_since=2020-01-01T00:00#dry-run"),
    ("campaigns", "carl", "/campaigns"),
    ("new campaign", "carl", "/campaigns/new"),
    ("campaign", "carl", "/campaigns/{campaign}"),
    ("campaign read-only", "aud", "/campaigns/{campaign}"),
    ("journey with counts", "carl", "/journeys/{live_journey}"),
    ("journey results", "carl", "/journeys/{journey}/results"),
    ("global holdout", "carl", "/reports/global-holdout"),
    ("tasks", "carl", "/tasks"),
    ("tasks every status", "sam", "/tasks?status=all"),
    ("my settings", "sam", "/settings"),
    ("help", "sam", "/help"),
    ("help document", "sam", "/help/integration"),
    ("users", "ada", "/users"),
    ("keys", "ada", "/keys"),
    ("404 signed in", "carl", "/no-such-page"),
    ("404 signed out", None, "/no-such-page"),
    ("player not found", "ada", "/players/does-not-exist"),
    ("403", "sam", "/audit"),
    ("500", "ada", "/test-only/fail"),
]


@pytest.fixture(scope="module")
def site(live) -> Any:  # noqa: ANN001
    """The module's server with what PAGES needs: a proposed configuration version, and a
    test-only route that fails (the product has no such route)."""
    def fail() -> None:
        raise RuntimeError("a test-only failure")

    live.app.add_api_route("/test-only/fail", fail, include_in_schema=False)
    runtime = live.app.state.runtime
    version = do_propose(runtime, Actor("ada", "admin", "session"), comment="layout test",
                         patch={"jurisdictions": {"SE": {"min_age": 20}}})
    live.extra["version"] = version.version_id
    segment = create_now(runtime, Actor("carl", "crm_manager", "session"),
                         {"name": "Recent depositors", "purpose": "promotional", "text": "deposit_sum_30d >= 1"})
    live.extra["segment"] = str(segment.segment_id)
    journey = journey_create_now(runtime, Actor("carl", "crm_manager", "session"), {"template": "second_deposit"})
    live.extra["journey"] = str(journey.journey_id)
    campaign = campaign_create_now(runtime, Actor("carl", "crm_manager", "session"), {
        "name": "Winter reload", "segment_id": segment.segment_id, "control_percent": 10,
        "message": {"channel": "email", "template": "winter_reload", "expires_after": "P2D"},
        "send_at": "2099-12-24T10:00", "local_time": True, "timezone": "Europe/Malta"})
    live.extra["campaign"] = str(campaign.journey_id)
    live.extra["live_journey"] = _live_journey(live)
    _tasks(runtime)
    _trained_model(runtime)
    return live


def _live_journey(live) -> str:  # noqa: ANN001
    """A published journey a player is in (its counts on the page, the player's Journeys tab)."""
    from datetime import timedelta

    from conftest import EventFactory
    from croupier.api.journey_routes import publish_now
    from croupier.journeys import template, to_builtins

    runtime, carl = live.app.state.runtime, Actor("carl", "crm_manager", "session")
    definition = to_builtins(template("second_deposit")) | {"key": "layout_counts", "group": "layout", "priority": 1,
                                                            "trigger": {"kind": "event", "event": "payment.deposit"},
                                                            "holdout_percent": 0}
    made = journey_create_now(runtime, carl, {"definition": definition})
    publish_now(runtime, carl, made.journey_id, 1)
    anna = EventFactory(player_id="se-anna-1")
    live.ingest([anna("payment.deposit", timedelta(minutes=-1), transaction_id="layout-counts", amount="5.00",
                      currency="SEK", status="approved", method="card")])
    return str(made.journey_id)


def _tasks(runtime) -> None:  # noqa: ANN001
    """Tasks for the queue and the player's Tasks tab: overdue and open, taken, done."""
    import time

    from croupier.tasks import Source, service

    now = time.time_ns() // 1000
    with runtime.db.engine.begin() as conn:
        made = [service.create_task(conn, origin_id=f"layout-{i}", queue=queue, player_id="se-anna-1", title=title,
                                    detail="from the layout test", priority=priority, due_at_us=now + hours * 3_600_000_000,
                                    source=Source.journey("vip_escalation", 1, "host"), now_us=now)[0]
                for i, (queue, title, priority, hours) in enumerate((
                    ("vip_host", "Welcome call", "high", -2), ("support", "Call back about the bonus", "normal", 4),
                    ("retention", "Win back offer", "low", 24)))]
        service.take(conn, made[1].task_id, actor="carl", role="crm_manager", now_us=now)
        service.take(conn, made[2].task_id, actor="sam", role="support_agent", now_us=now)
        service.complete(conn, made[2].task_id, outcome="offer_made", note="10% reload", actor="sam",
                         role="support_agent", now_us=now)


def _trained_model(runtime) -> None:  # noqa: ANN001
    """A model and its card for the RG models page (trained in memory, kept in the store)."""
    import time

    from croupier.models.rg import service
    from croupier.models.rg.train import train_on_events
    from croupier.players import EngineConfig
    from rg.training_history import constructed_log

    result = train_on_events(constructed_log(), EngineConfig(), seed=1)
    with runtime.db.engine.begin() as conn:
        service.store(conn, result, actor="ada", now_us=time.time_ns() // 1000)


def _path(site, path: str) -> str:  # noqa: ANN001
    return path.replace("{version}", site.extra["version"]).replace("{segment}", site.extra["segment"]) \
        .replace("{journey}", site.extra["journey"]).replace("{live_journey}", site.extra["live_journey"]) \
        .replace("{campaign}", site.extra["campaign"])


FAILING = "/test-only/"   # pages that answer 500 on purpose


class Pages:
    """One browser page per user (a signed-out one for None), reused across PAGES. Pages
    that answer 500 on purpose open in a context of their own: `open_page` rightly fails a
    test on a 5xx in the console, so that context checks the rest itself (no CSP refusal,
    no script error, no request leaving the machine)."""

    def __init__(self, open_page, browser, site, width: int = 1280, height: int = 900):  # noqa: ANN001
        self.open_page, self.browser, self.site = open_page, browser, site
        self.size, self.pages, self.contexts, self.problems = {"width": width, "height": height}, {}, [], []

    def __call__(self, user: str | None, path: str = ""):  # noqa: ANN204
        failing = path.startswith(FAILING)
        if (user, failing) not in self.pages:
            if failing:
                if user is not None:
                    self.open_page(user)   # signs in once; its cookies are kept per module
                context = self.browser.new_context(
                    base_url=self.site.base_url, viewport=self.size,
                    storage_state=self.site.extra["sessions"][user] if user else None)
                self.contexts.append(context)
                page = context.new_page()
                page.on("console", lambda m: self.problems.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda exc: self.problems.append(str(exc)))
                page.on("request", lambda r: self.problems.append("foreign request " + r.url)
                        if not r.url.startswith((self.site.base_url, "about:", "data:")) else None)
            else:
                page = self.open_page(user)
                page.set_viewport_size(self.size)
            self.pages[(user, failing)] = page
        return self.pages[(user, failing)]

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        assert [p for p in self.problems if "status of 500" not in p] == []


@pytest.fixture
def pages(open_page, browser, site) -> Any:  # noqa: ANN001
    made = Pages(open_page, browser, site)
    yield made
    made.close()


def _goto(page, path: str) -> None:  # noqa: ANN001
    # Only the hash differing, a goto would merely scroll: load the page for real each time.
    if page.url.split("#")[0].endswith(path.split("#")[0]):
        page.goto("about:blank")
    page.goto(path)
    if path.startswith("/segments/"):   # the builder is drawn by script: check it as drawn
        expect(page.locator("#segment-builder [data-part=condition]").first).to_be_attached()
        expect(page.locator("#segment-builder")).to_have_attribute("data-state", "ok")


TABLE_PROBLEMS = """() => {
  // Every visible data table sits in its scrolling box, and nothing around that box clips it.
  const problems = [];
  for (const table of document.querySelectorAll("table.data")) {
    if (!table.offsetParent) continue;   // in a closed tab or details
    const box = table.parentElement;
    const name = table.id || box.getAttribute("aria-label") || "a table";
    if (!box.classList.contains("table-scroll")) { problems.push(name + ": not in a .table-scroll box"); continue; }
    const style = getComputedStyle(box);
    if (table.offsetWidth > box.clientWidth + 1 && !["auto", "scroll"].includes(style.overflowX))
      problems.push(name + ": wider than its box, which does not scroll");
    if (box.scrollWidth + 1 < table.offsetWidth) problems.push(name + ": columns cut off");
    const scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
    if (scrolls && box.tabIndex !== 0) problems.push(name + ": scrolls but cannot be reached by keyboard");
    let node = box.parentElement;
    const right = box.getBoundingClientRect().right;
    while (node && node !== document.body) {
      const s = getComputedStyle(node);
      if (["hidden", "clip"].includes(s.overflowX) && node.getBoundingClientRect().right + 1 < right)
        problems.push(name + ": clipped by " + node.tagName + "." + node.className);
      node = node.parentElement;
    }
    const head = table.querySelector("thead th");
    if (head && getComputedStyle(head).position !== "sticky") problems.push(name + ": header does not stick");
  }
  return problems;
}"""


STACKED = """() => {
  const problems = [];
  for (const grid of document.querySelectorAll(".grid-2, .grid-4, .grid-glance")) {
    if (!grid.offsetParent) continue;
    const lefts = new Set([...grid.children].filter(c => c.offsetParent).map(c => Math.round(c.getBoundingClientRect().left)));
    if (lefts.size > 1) problems.push((grid.id || grid.className) + ": " + lefts.size + " columns");
  }
  return problems;
}"""


@pytest.mark.parametrize("size", list(WIDTHS), ids=list(WIDTHS))
def test_every_page_fits_the_screen_and_keeps_log_out_and_navigation(pages, site, size: str) -> None:  # noqa: ANN001
    width, height = WIDTHS[size]
    pages.size = {"width": width, "height": height}
    for name, user, path in PAGES:
        page = pages(user, path)
        _goto(page, _path(site, path))
        where = f"{name} at {width} px"
        overflow = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        assert overflow[0] <= overflow[1], f"{where}: the page scrolls sideways ({overflow[0]} > {overflow[1]} px)"
        assert page.evaluate(TABLE_PROBLEMS) == [], where
        if width <= NARROW:   # side-by-side panels stack into one column
            assert page.evaluate(STACKED) == [], where
        if user is None:
            expect(page.locator("#logout")).to_have_count(0)
            continue
        logout = page.locator("#logout")
        expect(logout, where).to_be_visible()
        logout.click(trial=True)            # nothing covers it: it would receive the click
        box = logout.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, f"{where}: Log out is cut off"
        first_link = page.locator("nav.sidebar a").first
        toggle = page.locator("#nav-toggle")
        if width <= NARROW:
            expect(toggle, where).to_be_visible()
            expect(toggle).to_have_attribute("aria-expanded", "false")
            expect(first_link, where).to_be_hidden()
            toggle.click()
            expect(toggle).to_have_attribute("aria-expanded", "true")
            expect(first_link, where).to_be_visible()
            first_link.click(trial=True)
            assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), where
            toggle.click()
            expect(first_link).to_be_hidden()
        else:
            expect(toggle, where).to_be_hidden()
            expect(first_link, where).to_be_visible()
            first_link.click(trial=True)


def test_the_layout_without_scripts_keeps_everything_reachable(browser, open_page, site) -> None:  # noqa: ANN001
    """No script: the navigation stays open above the content on a phone, and the
    player-360's sections all show, one after the other, with in-page links above them."""
    open_page("ada")   # signs in once for the module
    context = browser.new_context(base_url=site.base_url, java_script_enabled=False,
                                  viewport={"width": 390, "height": 844},
                                  storage_state=site.extra["sessions"]["ada"])
    try:
        page = context.new_page()
        page.goto("/players/se-anna-1")
        expect(page.locator("nav.sidebar a").first).to_be_visible()
        expect(page.locator("#nav-toggle")).to_be_hidden()
        expect(page.locator("#logout")).to_be_visible()
        panels = page.locator(".tab-panel")
        expect(panels).to_have_count(8)
        for i in range(8):
            expect(panels.nth(i)).to_be_visible()
        expect(page.locator("[role=tab]")).to_have_count(0)
        expect(page.locator(".tab-list a")).to_have_count(8)
        assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()


def _axe(page) -> list[dict[str, Any]]:  # noqa: ANN001
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it is now. It
    is evaluated in the page (the page's CSP refuses an injected script tag, as it should)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    assert page.evaluate("axe.version") == AXE_VERSION
    violations = page.evaluate("""async (tags) => {
      const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
      return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 6).map(n => n.target.join(" ") + " :: " + (n.failureSummary || "").replace(/\\s+/g, " "))}));
    }""", WCAG_TAGS)
    return [v for v in violations if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("name, user, path", PAGES, ids=[p[0] for p in PAGES])
def test_no_serious_accessibility_violations(pages, site, name: str, user: str | None, path: str) -> None:  # noqa: ANN001
    page = pages(user, path)
    _goto(page, _path(site, path))
    assert _axe(page) == [], name
    if user is not None and name in ("dashboard", "player-360 profile"):
        page.set_viewport_size({"width": 390, "height": 844})   # the phone layout, menu open
        page.locator("#nav-toggle").click()
        assert _axe(page) == [], f"{name}, phone width, menu open"


def test_the_skip_link_moves_focus_to_the_content(open_page) -> None:  # noqa: ANN001
    page = open_page("carl")
    page.goto("/players")
    page.keyboard.press("Tab")
    skip = page.locator("#skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"   # focus shows
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    page.keyboard.press("Tab")   # the next stop is in the content, not the navigation again
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


def test_the_menu_works_from_the_keyboard(open_page) -> None:  # noqa: ANN001
    page = open_page("carl")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/players")
    page.keyboard.press("Tab")   # the skip link
    page.keyboard.press("Tab")   # the Menu button, first in the top bar
    toggle = page.locator("#nav-toggle")
    expect(toggle).to_be_focused()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard")).to_be_visible()
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard")).to_be_hidden()


def test_player_tabs_are_accessible_tabs(open_page, site) -> None:  # noqa: ANN001
    page = open_page("ada")
    page.goto("/players/se-anna-1")
    tabs = page.get_by_role("tablist").get_by_role("tab")
    expect(tabs).to_have_text(["Profile", "Activity", "Protection", "Tasks", "Journeys", "Messages", "AML", "Audit"])
    profile, activity = tabs.nth(0), tabs.nth(1)
    expect(profile).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel")).to_have_count(1)            # only the open one is shown
    expect(page.get_by_role("tabpanel")).to_have_attribute("id", "tab-profile")
    expect(page.locator("#summary [data-summary=balance]")).to_have_text("SEK 170.00")   # the summary stays on top
    # arrow keys move between tabs (roving tabindex), and the URL names the open one
    profile.focus()
    page.keyboard.press("ArrowRight")
    expect(activity).to_be_focused()
    expect(activity).to_have_attribute("aria-selected", "true")
    expect(profile).to_have_attribute("tabindex", "-1")
    expect(page.locator("#timeline")).to_be_visible()
    expect(page.locator("#profile")).to_be_hidden()
    assert page.url.endswith("#tab-activity")
    page.keyboard.press("End")
    expect(tabs.nth(7)).to_be_focused()
    expect(page.locator("#player-audit")).to_be_visible()
    page.keyboard.press("ArrowRight")   # wraps around
    expect(profile).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(tabs.nth(7)).to_be_focused()
    page.keyboard.press("Home")
    expect(profile).to_be_focused()
    # Tab from the selected tab goes into its panel
    page.keyboard.press("Tab")
    expect(page.locator("#tab-profile")).to_be_focused()
    # a click opens a tab; a reload keeps it (the hash)
    tabs.nth(2).click()
    expect(page.locator("#protection")).to_be_visible()
    page.reload()
    expect(tabs.nth(2)).to_have_attribute("aria-selected", "true")
    # deep links: to a tab, and to anything inside one
    page.goto("/players/se-anna-1#tab-aml")
    expect(page.locator("#aml-summary")).to_be_visible()
    page.goto("/players/se-anna-1#timeline")
    expect(activity).to_have_attribute("aria-selected", "true")
    expect(page.locator("#timeline")).to_be_in_viewport()
    page.goto("/players/se-anna-1#decisions")
    expect(tabs.nth(5)).to_have_attribute("aria-selected", "true")
    # an in-page link to a section in another tab opens that tab
    page.goto("/players/busy-3?before_seq=999999#timeline")
    page.get_by_role("link", name="Back to the newest events").click()
    expect(page.locator("#timeline")).to_be_visible()
    expect(page.get_by_role("tab", name="Activity")).to_have_attribute("aria-selected", "true")


def test_roles_see_only_their_tabs(open_page) -> None:  # noqa: ANN001
    sam = open_page("sam")   # support agent: no decisions, no AML, no audit, no RG
    sam.goto("/players/se-anna-1")
    expect(sam.get_by_role("tab")).to_have_text(["Profile", "Activity", "Protection", "Tasks", "Journeys"])
    expect(sam.locator("[data-summary=risk]")).to_have_count(0)
    expect(sam.locator("[data-summary=aml]")).to_have_count(0)
    rita = open_page("rita")   # RG officer: risk, but no AML or audit
    rita.goto("/players/se-anna-1")
    expect(rita.get_by_role("tab")).to_have_text(["Profile", "Activity", "Protection", "Tasks", "Journeys"])
    expect(rita.locator("[data-summary=risk]")).to_contain_text("none")
    aud = open_page("aud")
    aud.goto("/players/se-anna-1#tab-audit")
    expect(aud.get_by_role("tab")).to_have_text(["Profile", "Activity", "Protection", "Tasks", "Journeys", "Messages", "AML", "Audit"])
    rows = aud.locator("#player-audit-table tbody tr[data-kind]")
    assert rows.count() >= 1
    expect(aud.locator("#player-audit-link")).to_have_attribute("href", "/audit?player_id=se-anna-1")
    aud.locator("#player-audit-link").click()
    expect(aud.locator("#audit-table tbody tr[data-kind]").first).to_be_visible()


def test_the_timeline_pages_visibly(open_page) -> None:  # noqa: ANN001
    page = open_page("ada")
    page.goto("/players/busy-3#tab-activity")
    expect(page.locator("#timeline-range")).to_contain_text("50 events shown")
    expect(page.locator("#timeline-end")).to_be_hidden()
    older = page.locator("#load-older")
    expect(older).to_be_visible()
    next_page = older.get_attribute("href") or ""
    older.click()
    expect(page.locator("#timeline-shown")).to_have_text("62")
    expect(page.locator("#timeline-end")).to_be_visible()
    expect(older).to_be_hidden()
    # without scripts the button is a link to the next page of the timeline
    page.goto(next_page)
    expect(page.locator("#timeline-body tr")).to_have_count(12)
    expect(page.locator("#timeline-range")).to_contain_text("from before seq")
    expect(page.locator("#timeline-end")).to_be_visible()
