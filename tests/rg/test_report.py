"""The RG effectiveness report on a scripted scenario: two players given a soft
intervention; one sets a deposit limit and calms down, the other keeps chasing (Sweden at
the scripted score levels, where one declined-deposits marker's steps reach low and medium)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from croupier.analytics import rg_effectiveness
from croupier.protection.interventions import variant_for

from . import Player, at, scripted_config

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US


def declines(p: Player, day: float, n: int) -> None:
    for i in range(n):
        p.deposit(at(day, minutes=10 * i), "100.00", status="declined")


def scenario() -> tuple[Player, Player]:
    calm, chaser = Player("calm", config=scripted_config()), Player("chaser", config=scripted_config())
    for p in (calm, chaser):
        p.register()
        declines(p, 1, 3)                                 # alert: low at day 1 + 20 min
        declines(p, 1 + 1 / 24, 2)                        # medium at 1 h 10 min: soft intervention
    calm.send("limit.changed", at(1, hours=6), kind="deposit", period="week", amount="500.00", currency="SEK")
    calm.session(at(9), 10)                               # quiet since: decayed by day 9
    for d in (3, 5, 7, 9):                                # the chaser keeps being declined
        declines(chaser, d, 5)
    return calm, chaser


def test_effectiveness_rows_per_kind_and_variant():
    calm, chaser = scenario()
    now = int(at(20).timestamp() * 1_000_000)
    rows = rg_effectiveness([calm.state, chaser.state], now, follow_days=7)
    by_key = {(r.kind, r.variant): r for r in rows}
    vc, vh = variant_for("calm", ["A", "B"]), variant_for("chaser", ["A", "B"])
    soft_calm = calm.state.protection.interventions[0]
    assert soft_calm.kind == "soft" and soft_calm.at_us - soft_calm.alert_us == 50 * 60_000_000
    if vc == vh:
        row = by_key[("soft", vc)]
        assert (row.interventions, row.players, row.followed_up) == (3, 2, 3)
    else:
        row = by_key[("soft", vc)]
        assert (row.interventions, row.players, row.followed_up, row.de_escalated, row.acted) == (1, 1, 1, 1, 1)
        assert row.de_escalated_share == 1.0 and row.acted_share == 1.0
        assert row.median_hours_alert_to_intervention == round(50 / 60, 2)
        assert row.median_hours_to_player_action == round(6 - 70 / 60, 2)
        other = by_key[("soft", vh)]
        assert other.interventions == 2              # day 1, and again after the 7-day window
        assert other.de_escalated == 0 and other.acted == 0
    assert all(r.messages_allowed is None for r in rows)


def test_recent_interventions_are_not_judged_yet_and_decisions_are_counted():
    calm, chaser = scenario()
    now = int(at(5).timestamp() * 1_000_000)               # less than 7 days after day 1
    decisions = [d.as_dict() for p in (calm, chaser) for d in p.decisions()]
    rows = rg_effectiveness([calm.state, chaser.state], now, follow_days=7, decisions=decisions)
    assert sum(r.followed_up for r in rows) == 0
    assert all(r.de_escalated_share is None for r in rows)
    assert sum(r.messages_allowed for r in rows) == sum(1 for d in decisions if d["purpose"] == "safer_play")


@pytest.fixture
def scripted_client(db_url: str):  # noqa: ANN201
    """The app with Sweden at the scripted score levels."""
    from tests.conftest import client_for

    yield from client_for(db_url, scripted_config())


def test_report_over_the_api(scripted_client):  # noqa: ANN001
    import json

    app_client = scripted_client
    calm, chaser = scenario()
    shift = datetime.now(timezone.utc) - timedelta(days=60) - at(0)
    events = []
    for e in calm.raw + chaser.raw:
        e = dict(e, occurred_at=(datetime.fromisoformat(e["occurred_at"]) + shift).isoformat())
        events.append(e)
    events.sort(key=lambda e: e["occurred_at"])
    response = app_client.post("/v1/events", content=json.dumps(events))
    assert response.status_code == 200, response.text
    body = app_client.get("/v1/reports/rg-effectiveness", params={"follow_days": 7}).json()
    assert body["follow_days"] == 7
    soft = [r for r in body["rows"] if r["kind"] == "soft"]
    assert sum(r["interventions"] for r in soft) == 3
    # a level comes down only after 30 calm days: nobody is lower a week later
    assert sum(r["acted"] for r in soft) == 1 and sum(r["de_escalated"] for r in soft) == 0
    # 31 days on, the calm player (last scored at medium on day 1.25) is down a step; the chaser,
    # declined until day 9, is still held at medium 31 days after the first message (not after the second)
    month = app_client.get("/v1/reports/rg-effectiveness", params={"follow_days": 31}).json()
    soft = [r for r in month["rows"] if r["kind"] == "soft"]
    assert sum(r["followed_up"] for r in soft) == 3 and sum(r["de_escalated"] for r in soft) == 2
    assert sum(r["messages_allowed"] for r in soft) == 3
    assert app_client.get("/v1/reports/rg-effectiveness", headers={"Authorization": ""}).status_code == 401
