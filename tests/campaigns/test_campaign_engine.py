"""One-off campaigns through the real engine (a journey with a `once` trigger): at its moment
the audience enters, a throttle lets at most N a minute in (in the order of the player ids),
a restart in the middle neither doubles nor loses a player, cancelling stops what is left,
and a send at a wall-clock time in each player's own zone reaches each at their moment and
skips a player whose moment had passed at launch. A replay reproduces every entry. The clock
is the moment handed to the scheduler, as the schedule tests hand it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from conftest import EventFactory
from croupier.journeys.scheduler import run_due
from croupier.players import micros
from tests.journeys.test_engine_journeys import staff  # noqa: F401 - the fixture
from tests.journeys.test_engine_triggers import _entries, _facts, _live_segment, _post, _replays_the_same

MINUTE = 60_000_000
HOUR = 60 * MINUTE


def _campaign(client: Any, headers: dict[str, str], **form: Any) -> tuple[int, str]:
    made = client.post("/v1/campaigns", headers=headers, json={
        "name": "Winter reload", "purpose": "service", "message": {"channel": "inbox", "template": "winter"}, **form})
    assert made.status_code == 201, made.text
    launched = client.post(f"/v1/campaigns/{made.json()['campaign_id']}/launch", headers=headers)
    assert launched.status_code == 200, launched.text
    return made.json()["campaign_id"], made.json()["key"]


def _wall(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def test_a_throttled_send_lets_n_a_minute_in_and_survives_a_restart(staff) -> None:  # noqa: ANN001, F811
    client, headers = staff
    engine = client.app.state.runtime.engine
    segment_id = _live_segment(client, "deposit_count_lifetime >= 1")
    players = [EventFactory(player_id=f"m{i}") for i in range(5)]
    outsider = EventFactory(player_id="outsider")
    _post(client, [p.registered(timedelta(days=-2)) for p in players] + [outsider.registered(timedelta(days=-2))])
    _post(client, [p("payment.deposit", timedelta(hours=-3), transaction_id=f"t{i}", amount="20.00", currency="SEK",
                     status="approved", method="card") for i, p in enumerate(players)])
    send = (datetime.now(timezone.utc) + timedelta(hours=2)).replace(second=0, microsecond=0)
    _, key = _campaign(client, headers, segment_id=segment_id, send_at=_wall(send, "Europe/Malta"),
                       timezone="Europe/Malta", throttle_per_minute=2)
    at = micros(send)

    assert run_due(engine, at - 1) == 0                     # not yet
    assert run_due(engine, at) == 2                         # the first minute: two, in the order of the ids
    assert [p for p, _ in _entries(client, key)] == ["m0", "m1"]
    assert run_due(engine, at + MINUTE - 1) == 0
    assert run_due(engine, at + MINUTE) == 2
    assert sorted(p for p, _ in _entries(client, key)) == ["m0", "m1", "m2", "m3"]
    del engine.journey_scheduler                            # a restart in the middle of the send
    assert run_due(engine, at + MINUTE + 1) == 1            # the one left, nobody twice
    assert sorted(p for p, _ in _entries(client, key)) == ["m0", "m1", "m2", "m3", "m4"]
    fired = [p for p, f in _facts(client, "croupier.journey_fired") if f["trigger"] == "once"]
    assert sorted(fired[:4]) == ["m0", "m1", "m2", "m3"] and fired[4:] == ["m4", "croupier.journeys"]
    del engine.journey_scheduler                            # done is in the log: nothing more after a restart
    assert run_due(engine, at + 10 * MINUTE) == 0
    _replays_the_same(client)


def test_cancelling_stops_what_is_left(staff) -> None:  # noqa: ANN001, F811
    client, headers = staff
    engine = client.app.state.runtime.engine
    players = [EventFactory(player_id=f"c{i}") for i in range(3)]
    _post(client, [p.registered(timedelta(days=-1)) for p in players])
    send = (datetime.now(timezone.utc) + timedelta(hours=2)).replace(second=0, microsecond=0)
    cid, key = _campaign(client, headers, condition="deposit_count_lifetime = 0", throttle_per_minute=1,
                         send_at=_wall(send, "UTC"))
    at = micros(send)
    assert run_due(engine, at) == 1                         # the first minute's one
    assert client.post(f"/v1/campaigns/{cid}/cancel", headers=headers).json()["status"] == "archived"
    assert run_due(engine, at + 10 * MINUTE) == 0           # the rest get nothing
    assert [p for p, _ in _entries(client, key)] == ["c0"]


def test_a_local_time_send_reaches_each_player_at_their_own_moment(staff) -> None:  # noqa: ANN001, F811
    client, headers = staff
    engine = client.app.state.runtime.engine
    london_at = (datetime.now(timezone.utc) + timedelta(hours=3)).replace(second=0, microsecond=0)
    wall = _wall(london_at, "Europe/London")
    zones = {"lon": "Europe/London", "tok": "Asia/Tokyo", "mal": None}
    _post(client, [EventFactory(player_id=pid).registered(timedelta(days=-1), **({"timezone": z} if z else {}))
                   for pid, z in zones.items()])
    _, key = _campaign(client, headers, condition="deposit_count_lifetime = 0", send_at=wall, local_time=True,
                       timezone="Europe/Malta")

    def instant(zone: str) -> int:
        return micros(datetime.fromisoformat(wall).replace(tzinfo=ZoneInfo(zone)))

    malta, london, tokyo = instant("Europe/Malta"), instant("Europe/London"), instant("Asia/Tokyo")
    assert tokyo < micros(datetime.now(timezone.utc)) < malta < london   # Tokyo's moment had passed at launch
    assert run_due(engine, malta - 1) == 0
    assert run_due(engine, malta) == 1 and [p for p, _ in _entries(client, key)] == ["mal"]
    assert run_due(engine, london) == 1 and [p for p, _ in _entries(client, key)] == ["mal", "lon"]
    assert run_due(engine, london + 2 * HOUR) == 0
    fired = [p for p, f in _facts(client, "croupier.journey_fired") if f["trigger"] == "once"]
    assert fired == ["mal", "lon"]                          # not done until the last zone has passed
    last = micros(datetime.fromisoformat(wall).replace(tzinfo=ZoneInfo("Etc/GMT+12")))
    assert run_due(engine, last) == 0
    assert [p for p, f in _facts(client, "croupier.journey_fired") if f["trigger"] == "once"] == \
        ["mal", "lon", "croupier.journeys"]
    _replays_the_same(client)
