"""The results pages through FastAPI's TestClient: a journey with an A/B split and a holdout
shows every arm (both variants and the control) with the same figures as
GET /v1/journeys/{id}/results, each comparison's verdict in words; the programme against the
global holdout says plainly when no global holdout is set; both need `config.view`. And
`croupier journeys results` prints the same figures."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import EventFactory
from croupier.api.journey_routes import create_now, publish_now
from croupier.api.auth import Actor
from croupier.cli import app as cli
from croupier.cli import journeys as _commands  # noqa: F401  registers the commands
from croupier.store.accounts import create_key

from .conftest import session_for

JOURNEY = {
    "key": "ab_welcome", "name": "A/B welcome", "version": 1, "purpose": "promotional",
    "trigger": {"kind": "event", "event": "player.registered"},
    "steps": [{"kind": "split", "id": "ab", "variants": [{"name": "short", "weight": 50, "next": "short-mail"},
                                                         {"name": "long", "weight": 50, "next": "long-mail"}]},
              {"kind": "send", "id": "short-mail", "channel": "email", "template": "welcome_short", "next": "done"},
              {"kind": "send", "id": "long-mail", "channel": "email", "template": "welcome_long", "next": "done"},
              {"kind": "exit", "id": "done"}],
    "goals": [{"name": "first_deposit", "event": "payment.deposit", "condition": "event.status = \"approved\"",
               "window": "P7D"}],
    "holdout_percent": 20,
}


def signed(app, username: str) -> TestClient:  # noqa: ANN001
    client = TestClient(app)
    token, _ = session_for(app, username)
    client.cookies.set("croupier_session", token)
    return client


def _cells(page: str, arm: str) -> dict[str, str]:
    row = re.search(rf'<tr data-arm="{arm}">(.*?)</tr>', page, re.S)
    assert row is not None, arm
    return dict(re.findall(r'data-figure="(\w+)">(.*?)</td>', row.group(1), re.S))


def test_a_journey_results_page_shows_every_arm_as_the_api_does(app) -> None:  # noqa: ANN001
    runtime = app.state.runtime
    made = create_now(runtime, Actor("carl", "crm_manager", "session"), {"definition": JOURNEY})
    publish_now(runtime, Actor("ada", "admin", "session"), made.journey_id, 1)
    now = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=2)
    events = []
    for i in range(90):
        ev = EventFactory(now=now, player_id=f"ab-{i}")
        events.append(ev.registered(jurisdiction="MT", country="MT", currency="EUR", timezone="Europe/Malta",
                                    language="en", email=f"ab{i}@example.mt"))
        if i % 3 == 0:
            events.append(ev("payment.deposit", timedelta(minutes=30), transaction_id=f"ab-{i}-d", amount="25.00",
                             currency="EUR", status="approved", method="card"))
    assert not runtime.ingest(json.dumps(events).encode()).rejected

    with runtime.db.engine.begin() as conn:
        token, _ = create_key(conn, "results", ["read"])
    api = TestClient(app).get(f"/v1/journeys/{made.journey_id}/results",
                              headers={"Authorization": f"Bearer {token}"}).json()
    assert {a["arm"] for a in api["arms"]} == {"short", "long", "control"} and api["players"] == 90
    assert api["weights"] == {"short": 40.0, "long": 40.0, "control": 20.0}
    assert sum(a["conversions"] for a in api["arms"]) == 30
    assert sum(a["deposits_minor"] for a in api["arms"]) == 30 * 2500

    page = signed(app, "carl").get(f"/journeys/{made.journey_id}/results")
    assert page.status_code == 200, page.text
    for arm in api["arms"]:
        cells = _cells(page.text, arm["arm"])
        assert cells["players"] == str(arm["players"]) and cells["conversions"] == str(arm["conversions"])
    verdicts = re.findall(r'data-verdict="([^"]+)"', page.text)
    assert sorted(verdicts) == sorted(c["verdict"] for c in api["comparisons"]) and len(verdicts) == 2
    assert all(c["significant"] is False for c in api["comparisons"])        # 90 players cannot tell yet
    assert "Not yet significant" in page.text and 'href="/help/measurement"' in page.text
    assert f'href="/journeys/{made.journey_id}/results"' in signed(app, "carl").get(
        f"/journeys/{made.journey_id}").text

    assert signed(app, "sam").get(f"/journeys/{made.journey_id}/results").status_code == 403

    # the command line reads the same figures from the database
    url = str(runtime.db.engine.url)
    printed = CliRunner().invoke(cli, ["journeys", "results", str(made.journey_id), "--json", "--db", url])
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout)["arms"] == api["arms"]
    said = CliRunner().invoke(cli, ["journeys", "results", str(made.journey_id), "--db", url])
    assert said.exit_code == 0 and "short against control: " in said.output and "(control)" in said.output
    unknown = CliRunner().invoke(cli, ["journeys", "results", str(made.journey_id), "--goal", "vip", "--db", url])
    assert unknown.exit_code == 2 and "no goal 'vip'" in unknown.output


def test_a_journey_without_a_control_or_a_goal_says_what_cannot_be_measured(app) -> None:  # noqa: ANN001
    runtime = app.state.runtime
    carl = Actor("carl", "crm_manager", "session")
    no_control = create_now(runtime, carl, {"definition": {**JOURNEY, "key": "no_control", "holdout_percent": 0}})
    no_goal = create_now(runtime, carl, {"definition": {**JOURNEY, "key": "no_goal", "goals": []}})
    page = signed(app, "carl").get(f"/journeys/{no_control.journey_id}/results")
    assert page.status_code == 200 and "No control group" in page.text and 'data-arm="short"' in page.text
    page = signed(app, "carl").get(f"/journeys/{no_goal.journey_id}/results")
    assert page.status_code == 200 and "Nothing to measure" in page.text


def test_the_global_holdout_page_says_when_none_is_set(app) -> None:  # noqa: ANN001
    page = signed(app, "carl").get("/reports/global-holdout?days=14")
    assert page.status_code == 200 and 'id="results-verdict"' in page.text
    assert "No global holdout is set" in page.text
