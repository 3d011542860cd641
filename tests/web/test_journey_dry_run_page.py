"""The dry-run panel of a journey's page: a window and a version sent as the page's query, the
report rendered on the server (entries by day, the steps, what would have been proposed and
suppressed, the first entrants with what they would have received), the API's refusals said
in the panel, and nothing written."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from croupier.store.schema import audit_log, events as events_table, outbox

from .test_journeys_page import signed

# A service message: a promotion would wait out the contact arbiter's quiet hours at the hours
# the seeded players' evening falls in, and this test is about the panel, not the arbiter.
SLOTS_TIP = {
    "key": "slots_tip", "name": "Slots tip", "version": 1, "purpose": "service",
    "trigger": {"kind": "event", "event": "casino.bet", "condition": 'event.game_category = "slots"'},
    "steps": [{"kind": "send", "id": "tip", "channel": "email", "template": "slots_tip"},
              {"kind": "exit", "id": "done"}],
}


def _rows(app) -> tuple[int, ...]:  # noqa: ANN001
    with app.state.runtime.db.reader.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (events_table, audit_log, outbox))


def _create(carl, csrf: str) -> str:  # noqa: ANN001
    made = carl.post("/journeys/new", data={"csrf_token": csrf, "definition": json.dumps(SLOTS_TIP), "note": ""},
                     follow_redirects=False)
    assert made.status_code == 303, made.text
    return made.headers["location"]


def test_the_journey_page_dry_runs_a_version_over_a_window(app) -> None:  # noqa: ANN001
    carl, csrf = signed(app, "carl")
    path = _create(carl, csrf)
    page = carl.get(path).text
    assert 'id="dry-run-form"' in page and 'id="dry-run-report"' not in page   # asked for nothing yet
    assert '<option value="1" selected>1</option>' in page
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    since = (today - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    before = _rows(app)
    answer = carl.get(path, params={"dry_since": since, "dry_until": "", "dry_version": "1"})
    assert answer.status_code == 200
    report = re.search(r'<div id="dry-run-report">(.*?)</section>', answer.text, re.S).group(1)
    assert re.search(r'id="dry-run-entered">1<', report)          # se-anna-1 bet on slots twice: enters once
    assert 'href="/players/se-anna-1"' in report and "ghost" not in report     # ghost-7 played crash
    assert re.search(r'id="dry-run-proposed">1: ', report)
    assert "slots_tip by email" in report and "refused entry" in report      # the second bet: never again
    steps = dict(re.findall(r'<tr data-step="([a-z-]+)"><th scope="row"><code>[^<]*</code></th><td>[^<]*</td>'
                            r'<td class="num">(\d+)</td>', report))
    assert steps == {"tip": "1", "done": "1"}
    days = dict(re.findall(r'<tr><th scope="row">(\d{4}-\d\d-\d\d)</th><td class="num">(\d+)</td>', report))
    assert {(today - timedelta(days=i)).date().isoformat() for i in (2, 1, 0)} <= set(days)
    assert f'value="{since}"' in answer.text
    assert _rows(app) == before                                      # nothing sent or written


def test_a_bad_window_or_version_is_refused_in_the_panel(app) -> None:  # noqa: ANN001
    carl, csrf = signed(app, "carl")
    definition = {**SLOTS_TIP, "key": "slots_tip_two"}
    made = carl.post("/journeys/new", data={"csrf_token": csrf, "definition": json.dumps(definition), "note": ""},
                     follow_redirects=False)
    path = made.headers["location"]

    def problems(**query: str) -> str:
        page = carl.get(path, params=query).text
        assert 'id="dry-run-report"' not in page
        return re.search(r'id="dry-run-problems"[^>]*>(.*?)</ul>', page, re.S).group(1)

    assert "Since starts" in problems(dry_since="2020-01-01T00:00") and "at most 90 days" in problems(
        dry_since="2020-01-01T00:00")
    assert "is not an RFC 3339 time" in problems(dry_since="last week")
    assert "must be before until" in problems(dry_since="2020-01-02T00:00", dry_until="2020-01-01T00:00")
    assert "Version is not a version of journey" in problems(dry_since="2020-01-01T00:00",
                                                             dry_until="2020-01-02T00:00", dry_version="9")
