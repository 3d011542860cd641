"""The dry-run panel of a segment's page: a window sent as the page's query, the report
rendered on the server (entries by day, held back by reason, the first entries), and the
API's refusals said in the panel."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from .test_segments_page import create, signed


def test_the_segment_page_dry_runs_the_segment_over_a_window(app) -> None:  # noqa: ANN001
    carl, csrf = signed(app, "carl")
    path = create(carl, csrf, "Slots today", "bet_count_slots_1d >= 1", purpose="promotional").headers["location"]
    page = carl.get(path).text
    assert 'id="dry-run-form"' in page and 'id="dry-run-report"' not in page   # asked for nothing yet
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    since = (today - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    answer = carl.get(path, params={"dry_since": since, "dry_until": ""})
    assert answer.status_code == 200
    report = re.search(r'<div id="dry-run-report">(.*?)</section>', answer.text, re.S).group(1)
    entered = re.search(r'id="dry-run-entered">(\d+) \(1 player\)', report)   # se-anna-1 bet on slots today
    assert entered and int(entered.group(1)) >= 1
    assert 'href="/players/se-anna-1"' in report and "ghost" not in report     # ghost-7 played crash
    days = dict(re.findall(r'<tr><th scope="row">(\d{4}-\d\d-\d\d)</th><td class="num">(\d+)</td>', report))
    assert {(today - timedelta(days=i)).date().isoformat() for i in (2, 1, 0)} <= set(days)
    assert int(days[today.date().isoformat()]) >= 1 and days[(today - timedelta(days=2)).date().isoformat()] == "0"
    assert 'id="dry-run-held"' in report and f'value="{since}"' in answer.text


def test_a_bad_window_is_refused_in_the_panel(app) -> None:  # noqa: ANN001
    carl, csrf = signed(app, "carl")
    path = create(carl, csrf, "Anyone", "bet_count_30d >= 0").headers["location"]
    far = carl.get(path, params={"dry_since": "2020-01-01T00:00"}).text
    problems = re.search(r'id="dry-run-problems"[^>]*>(.*?)</ul>', far, re.S).group(1)
    assert "Since starts" in problems and "at most 90 days" in problems
    assert 'id="dry-run-report"' not in far
    garbled = carl.get(path, params={"dry_since": "last week"}).text
    assert "is not an RFC 3339 time" in re.search(r'id="dry-run-problems"[^>]*>(.*?)</ul>', garbled, re.S).group(1)
    backwards = carl.get(path, params={"dry_since": "2020-01-02T00:00", "dry_until": "2020-01-01T00:00"}).text
    assert "must be before until" in backwards
