"""A message and the response to it: nothing changes unless a response is configured and
the player is of its archetype; messages cannot go to the past or to unknown ids."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest

from croupier.sim import Response, SimConfig, Simulator, true_effect

START = datetime(2026, 5, 4, tzinfo=timezone.utc)


def _digest(sim: Simulator, contacts: list[str], at: datetime) -> str:
    h = hashlib.sha256()
    for e in sim.events_until(at):
        h.update(json.dumps(e, sort_keys=True).encode())
    for pid in contacts:
        sim.contact(pid, at)
    for e in sim.events():
        h.update(json.dumps(e, sort_keys=True).encode())
    h.update(json.dumps(sim.labels(), sort_keys=True).encode())
    return h.hexdigest()


def test_messages_change_nothing_without_a_response() -> None:
    config = SimConfig(seed=3, players=150, days=6, start=START)
    at = START + timedelta(days=3)
    everybody = [f"p{i:07d}" for i in range(150)]
    assert _digest(Simulator(config), everybody, at) == _digest(Simulator(config), [], at)


def test_messages_change_nothing_for_other_archetypes() -> None:
    base = SimConfig(seed=3, players=150, days=6, start=START, mix=(("sports_bettor", 1.0),))
    responsive = SimConfig(seed=3, players=150, days=6, start=START, mix=(("sports_bettor", 1.0),),
                           response=Response("casual_slots", lift=1.0, window_days=2))
    at = START + timedelta(days=3)
    everybody = [f"p{i:07d}" for i in range(150)]
    assert _digest(Simulator(responsive), everybody, at) == _digest(Simulator(base), [], at)


def test_a_sure_response_brings_lapsed_players_back_to_deposit() -> None:
    config = SimConfig(seed=9, players=200, days=10, start=START, mix=(("casual_slots", 1.0),),
                       response=Response("casual_slots", lift=1.0, window_days=3))
    at = START + timedelta(days=6)
    sim = Simulator(config)
    for _ in sim.events_until(at):
        pass
    ids = [label["player_id"] for label in sim.labels()]
    truth = true_effect(config, ids, at)
    assert truth.effect > 0.5
    # A response adds a deposit; it costs one only when the cashier declines the response's
    # deposit and the life it changed then skips one the player would have made.
    lost = sum(1 for pid in ids if truth.untreated[pid] and not truth.treated[pid])
    assert lost <= len(ids) // 50


def test_contacts_are_checked() -> None:
    sim = Simulator(SimConfig(seed=1, players=20, days=3, start=START))
    for _ in sim.events_until(START + timedelta(days=1)):
        pass
    with pytest.raises(ValueError, match="past"):
        sim.contact("p0000001", START)
    with pytest.raises(ValueError, match="not a simulated player id"):
        sim.contact("player-1", START + timedelta(days=2))
    sim.contact("p0099999", START + timedelta(days=2))  # never registers: reaches nobody
    list(sim.events())
    assert sim.responses() == [{"player_id": "p0099999", "contacted_at": START + timedelta(days=2),
                                "delivered": False, "responded": False, "respond_by": None}]


def test_response_config_is_checked() -> None:
    with pytest.raises(ValueError, match="unknown archetype"):
        Response("whale", 0.1)
    with pytest.raises(ValueError, match="probability"):
        Response("churner", 1.5)
    with pytest.raises(ValueError, match="window"):
        Response("churner", 0.2, window_days=0)
    with pytest.raises(ValueError, match="window"):
        true_effect(SimConfig(seed=1, players=5, days=2, start=START), ["p0000000"], START)
