"""A published journey's page shows what it did, and the player-360 shows the player's
journeys, through FastAPI's TestClient after a real engine run (the run of
tests/journeys/test_journey_counts.py: a wait, a branch, sends, one suppressed)."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from croupier.store.accounts import create_key
from tests.journeys.test_journey_counts import run_counted

from .conftest import session_for


def signed(app, username: str) -> TestClient:  # noqa: ANN001
    client = TestClient(app)
    token, _ = session_for(app, username)
    client.cookies.set("croupier_session", token)
    return client


@pytest.fixture(scope="module")
def counted(app) -> int:  # noqa: ANN001
    with app.state.runtime.db.engine.begin() as conn:
        token, _ = create_key(conn, "crm tool", ["admin"])
    return run_counted(TestClient(app), {"Authorization": f"Bearer {token}", "X-Croupier-Actor": "carl"})


def _row(page: str, step: str) -> str:
    found = re.search(rf'<tr data-step="{step}">.*?</tr>', page, re.S)
    assert found is not None, step
    return found.group(0)


def _cell(row: str, name: str) -> str:
    found = re.search(rf'data-count="{name}">([^<]*)<', row)
    assert found is not None, name
    return found.group(1)


def test_the_journey_page_shows_counts_on_the_badges_and_per_step_with_reasons(app, counted) -> None:  # noqa: ANN001
    page = signed(app, "carl").get(f"/journeys/{counted}")
    assert page.status_code == 200, page.text
    text = page.text
    assert re.search(r'class="step-badge"[^>]*data-badge-for="pause">3 waiting</text>', text)
    assert re.search(r'class="step-badge"[^>]*data-badge-for="hello">4 passed</text>', text)
    assert 'data-badges="' in text and '&#34;pause&#34;: &#34;3 waiting&#34;' in text
    hello = _row(text, "hello")
    assert (_cell(hello, "passed"), _cell(hello, "allowed"), _cell(hello, "suppressed")) == ("4", "3", "1")
    assert "time-out" in html.unescape(hello) and 'data-code="excluded:' in hello
    pause = _row(text, "pause")
    assert (_cell(pause, "waiting"), _cell(pause, "passed"), _cell(pause, "converted")) == ("3", "4", "1")
    totals = re.search(r'<dl class="kv" id="journey-totals">.*?</dl>', text, re.S).group(0)
    assert 'data-total="entered">4<' in totals and 'data-total="waiting">3<' in totals
    assert "first_bet: 1" in totals and "the player is in this journey already" in totals


def test_a_draft_journey_shows_no_counts(app) -> None:  # noqa: ANN001
    carl = signed(app, "carl")
    made = carl.get("/journeys/new?template_key=welcome")
    assert made.status_code == 200 and 'id="journey-counts"' not in made.text


def test_the_player_360_journeys_tab_lists_the_run_and_what_happened(app, counted) -> None:  # noqa: ANN001
    ada = signed(app, "ada")
    page = ada.get("/players/calm")
    assert page.status_code == 200, page.text
    assert '<a href="#tab-journeys">Journeys</a>' in page.text
    runs = re.search(r'<table class="data" id="player-journey-runs">.*?</table>', page.text, re.S).group(0)
    assert f'<a href="/journeys/{counted}">Counted welcome</a>' in runs and "<code>pause</code>" in runs
    history = re.search(r'<table class="data" id="player-journey-history">.*?</table>', page.text, re.S).group(0)
    assert [w for w in re.findall(r'<tr data-what="([a-z_]+)"', history)] == ["waiting", "allowed", "step", "entered"]
    assert "counted_hello" in history
    paused = ada.get("/players/paused").text
    history = re.search(r'<table class="data" id="player-journey-history">.*?</table>', paused, re.S).group(0)
    suppressed = re.search(r'<tr data-what="suppressed".*?</tr>', history, re.S).group(0)
    assert "suppressed by the gate" in suppressed and "time-out" in html.unescape(suppressed)
