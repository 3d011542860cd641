"""The engagement layer `croupier bench ingest --segments/--journeys` switches on: journeys made
from the ready-made templates, valid and free of conflicts, with varied triggers."""

from __future__ import annotations

from croupier.bench.engagement import journey_definitions
from croupier.journeys.definition import EventTrigger, SegmentEntered
from croupier.journeys.validate import conflicts, problems


def test_generated_journeys_are_valid_distinct_and_do_not_conflict() -> None:
    made = journey_definitions(50, [7, 8, 9])
    assert len({j.key for j in made}) == 50 and len({(j.group, j.priority) for j in made}) == 50
    for journey in made:
        assert problems(journey) == [], journey.key
    assert conflicts(made) == []
    events = {j.trigger.event for j in made if isinstance(j.trigger, EventTrigger)}
    assert {"payment.deposit", "player.login", "casino.bet", "sports.bet_placed"} <= events
    assert {j.trigger.segment_id for j in made if isinstance(j.trigger, SegmentEntered)} == {7, 8, 9}
    kinds = {type(s).__name__ for j in made for s in j.steps}
    assert {"Wait", "Branch", "Send"} <= kinds, kinds


def test_without_live_segments_an_event_trigger_stands_in() -> None:
    made = journey_definitions(10, [])
    assert all(isinstance(j.trigger, EventTrigger) for j in made)
    assert all(problems(j) == [] for j in made)
