"""Real-time membership's pure rules (segments.live): which live segments an event can change,
entering and leaving in the fold, and features computed on demand equal to the catalogue's."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import msgspec
import pytest

from croupier.engine import step
from croupier.events import SegmentActivated, parse_event
from croupier.players import EngineConfig, compute_features, micros, new_state
from croupier.players.features import feature_values
from croupier.segments import parse_valid, protection_values, to_builtins
from croupier.segments.live import EMPTY, SWEEP, TOUCHES, LiveSegments, evaluate, rg_mark, update, would_change
from croupier.sim import SimConfig, Simulator
from tests.sim.test_seed_segment_features import PlayerLog

START = datetime(2025, 9, 1, tzinfo=timezone.utc)
CONFIG = EngineConfig()


def activation(segment_id: int, text: str, version: int = 1) -> SegmentActivated:
    return SegmentActivated(event_id=f"a{segment_id}.{version}", player_id="croupier.segments", brand="croupier",
                            occurred_at=START, segment_id=segment_id, version=version, name=f"s{segment_id}",
                            definition=to_builtins(parse_valid(text)))


def live_of(*texts: str) -> LiveSegments:
    live = EMPTY
    for i, text in enumerate(texts, 1):
        live = live.activated(activation(i, text))
    return live


def _values(state: Any, at_us: int) -> dict[str, Any]:
    return {**compute_features(state, at_us, CONFIG.features), **protection_values(state, at_us)}


def _copy(state: Any) -> Any:
    return msgspec.msgpack.decode(msgspec.msgpack.encode(state), type=type(state))


@pytest.fixture(scope="module")
def folded() -> dict[str, Any]:
    """A simulated run (late events and rollbacks included) folded event by event. For every
    third event of a type TOUCHES names whose fold reported no fact: the identifiers whose
    value it changed as of its own time. And some states along the way."""
    sim = Simulator(SimConfig(seed=4, players=30, days=20, start=START, late_share=0.02, rollback_share=0.01))
    states: dict[str, Any] = {}
    logs: dict[str, PlayerLog] = {}
    changed: list[tuple[str, set[str]]] = []
    kept = []
    for seq, raw in enumerate(sim.events(), 1):
        event = parse_event(raw)
        pid, tag = event.player_id, event.__struct_config__.tag
        state = states.setdefault(pid, new_state(pid))
        log = logs.setdefault(pid, PlayerLog())
        log.items.append((seq, event))
        at_us = micros(event.occurred_at)
        checked = tag in TOUCHES and seq % 3 == 0
        before = _values(state, at_us) if checked else None
        mark = rg_mark(state)
        result = step(state, event, seq, at_us, CONFIG, log)
        states[pid] = result.state
        if before is not None and not result.facts:
            after = _values(result.state, at_us)
            changed.append((tag, {k for k in after if before.get(k) != after[k]}, rg_mark(result.state) != mark))
        if seq % 97 == 0:
            kept.append(_copy(result.state))
    return {"changed": changed, "states": kept}


def test_an_event_type_names_every_identifier_its_fold_can_change(folded) -> None:  # noqa: ANN001
    """TOUCHES is what lets an event evaluate only some segments: over a simulated run (late
    events and rollbacks included), every identifier whose value an event changed, as of the
    event's own time, is one its type names, or an RG identifier when the fold moved the RG
    risk, unless its fold reported a fact (then every segment is evaluated)."""
    seen: set[str] = set()
    moved = 0
    for tag, changed, rg_moved in folded["changed"]:
        prefixes = (*TOUCHES[tag], "rg.") if rg_moved else TOUCHES[tag]
        moved += rg_moved
        missed = sorted(k for k in changed if not (prefixes and k.startswith(prefixes)))
        assert not missed, f"{tag} changed {missed} but TOUCHES[{tag!r}] does not name them"
        seen |= changed
    assert len(folded["changed"]) > 2_000 and moved > 0
    assert {"bet_count_slots_1d", "days_since_last_bet_slots", "session_minutes_avg_last5", "login_count_7d"} <= seen


def test_features_on_demand_equal_the_catalogue(folded) -> None:  # noqa: ANN001
    from croupier.players import CATALOGUE

    names = [f.name for f in CATALOGUE]
    for i, state in enumerate(folded["states"]):
        at_us = micros(START) + i * 3_600_000_000 * 7
        full = compute_features(state, at_us, CONFIG.features)
        assert list(full) == names
        subset = names[i % 7::7] + ["days_since_last_bet_slots", "session_minutes_avg_last5"]
        assert feature_values(state, at_us, CONFIG.features, subset) == {n: full[n] for n in subset}
        assert feature_values(state, at_us, CONFIG.features, ["not_a_feature"]) == {}
    assert len(folded["states"]) > 50


def test_an_event_evaluates_only_the_segments_reading_what_it_can_change() -> None:
    live = live_of("bet_count_slots_1d >= 1", "deposit_count_30d >= 1", "excluded = true",
                   "session_count_7d >= 1 and deposit_count_30d >= 1", "rg.level >= low")
    ids = lambda plan: [s.segment_id for s in plan.segments]  # noqa: E731
    # A bet cannot exclude anyone, and a risk level it raises is a fact its fold reports
    # (then every segment is evaluated, whatever the type).
    assert ids(live.affected("casino.bet")) == [1]
    assert ids(live.affected("payment.deposit")) == [2, 4]
    assert ids(live.affected("session.started")) == [4]
    assert ids(live.affected("frontend.idle")) == []
    assert ids(live.affected("player.updated")) == [1, 2, 3, 4, 5]   # not named: every segment
    plan = live.affected("payment.deposit")
    assert (plan.features, plan.protection) == (("deposit_count_30d", "session_count_7d"), ())
    assert live.all().protection == ("excluded", "rg.level")


def test_players_enter_and_leave_as_their_values_change() -> None:
    live = live_of("deposit_count_lifetime >= 2", "deposit_count_lifetime < 2")
    state = new_state("p1")
    at = micros(START)
    assert update(state, live, SWEEP, False, at, "s0", CONFIG.features) == [
        _change(2, True, at, "s0")]                               # nothing deposited: in the second
    state.life[0] = 2                                             # two deposits (DEP_N)
    changes = update(state, live, "payment.deposit", False, at + 1, "d2", CONFIG.features)
    assert changes == [_change(1, True, at + 1, "d2"), _change(2, False, at + 1, "d2")]
    assert state.segments == {1: at + 1}
    assert update(state, live, "payment.deposit", False, at + 2, "d3", CONFIG.features) == []
    assert state.segments == {1: at + 1}                          # entered at the first match, kept


def test_a_segment_switched_off_drops_its_members_without_an_exit() -> None:
    live = live_of("deposit_count_lifetime >= 0")
    state = new_state("p1")
    update(state, live, SWEEP, False, 1, "s", CONFIG.features)
    assert 1 in state.segments
    assert update(state, live.deactivated(1), "casino.bet", False, 2, "b", CONFIG.features) == []
    assert state.segments == {}


def test_a_new_version_is_evaluated_and_would_change_sees_it() -> None:
    live = live_of("deposit_count_lifetime >= 0")
    state = new_state("p1")
    update(state, live, SWEEP, False, 1, "s", CONFIG.features)
    narrower = live.activated(activation(1, "deposit_count_lifetime >= 1", version=2))
    assert narrower.segments[1].version == 2 and live.segments[1].version == 1   # the old set is untouched
    assert would_change(state, narrower, 2, CONFIG.features)
    assert not would_change(state, live, 2, CONFIG.features)
    assert evaluate(state, narrower.all(), 2, CONFIG.features) == {1: False}


def _change(segment_id: int, entered: bool, at_us: int, cause: str) -> Any:
    from croupier.segments.live import Change

    return Change(segment_id, 1, entered, at_us, cause)
