"""The campaign form, pure: written as a journey with a one-off trigger and read back, every
problem at the form's own field, keys from names in any script, when a one-off send fires
(at publication, at a moment in a zone, at a wall-clock time in each player's zone, across a
clock change) and how a throttle spreads entries."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given, settings, strategies as st

from croupier.campaigns import Campaign, from_journey, from_json, key_from, passed, problems, to_journey
from croupier.journeys import Bonus, Exit, Once, Send, once_at, problems as journey_problems, throttled, wall_clock

UTC = timezone.utc


def form(**changes: object) -> Campaign:
    return from_json({"name": "Winter reload", "segment_id": 4, "message": {"channel": "email", "template": "winter"},
                      **changes})


def test_a_campaign_is_a_journey_with_a_one_off_trigger_and_back() -> None:
    c = form(bonus={"template": "reload_20"}, control_percent=20, throttle_per_minute=600,
             send_at="2026-12-24T10:00", local_time=True, timezone="Europe/Malta",
             goal={"name": "deposit", "event": "payment.deposit", "window": "P7D"})
    j = to_journey(c)
    assert isinstance(j.trigger, Once) and (j.trigger.at, j.trigger.local, j.trigger.throttle_per_minute) == \
        ("2026-12-24T10:00", True, 600)
    assert [type(s) for s in j.steps] == [Send, Bonus, Exit] and j.steps[0].next == "bonus"
    assert j.holdout_percent == 20 and j.group == j.key == "campaign_winter_reload"
    assert j.reentry.policy == "never" and journey_problems(j) == []
    assert from_journey(j) == form(bonus={"template": "reload_20"}, control_percent=20, throttle_per_minute=600,
                                   send_at="2026-12-24T10:00", local_time=True, timezone="Europe/Malta",
                                   goal={"name": "deposit", "event": "payment.deposit", "window": "P7D"},
                                   key="campaign_winter_reload")


def test_a_journey_not_in_a_campaigns_shape_is_not_a_campaign() -> None:
    from msgspec.structs import replace

    j = to_journey(form())
    assert from_journey(replace(j, group="other")) is None
    assert from_journey(replace(j, steps=(Exit(id="done"),))) is None


def test_problems_are_at_the_forms_fields() -> None:
    c = form(control_percent=70, send_at="24/12/2026 10:00", timezone="Europe/Malt", throttle_per_minute=0,
             message={"channel": "fax", "template": "x"}, bonus={"template": "Bad Key"}, condition="deposits >= 1")
    found = {p.path: p for p in problems(c)}
    assert set(found) == {"$.control_percent", "$.send_at", "$.timezone", "$.throttle_per_minute",
                          "$.message.channel", "$.bonus.template", "$.condition"}
    assert "control group 70 %" in found["$.control_percent"].message
    assert found["$.timezone"].suggestions[0] == "Europe/Malta"
    assert found["$.condition"].line == 1 and found["$.condition"].column == 1
    assert [p.path for p in problems(from_json({"name": "x", "segment_id": 1}))] == ["$.message"]
    assert [p.path for p in problems(from_json({"name": "x", "message": {"channel": "sms", "template": "t"}}))] == \
        ["$.segment_id"]


@pytest.mark.parametrize(("name", "key"), [
    ("Winter reload!", "campaign_winter_reload"), ("Ünïcödé Ñame", "campaign_unicode_name"),
    ("Новогодний бонус", "campaign"), ("x" * 200, "campaign_" + "x" * 55)])
def test_keys_from_names(name: str, key: str) -> None:
    assert key_from(name) == key


def test_when_a_one_off_send_fires() -> None:
    published = datetime(2026, 12, 20, 8, 30, tzinfo=UTC)
    assert once_at(Once(segment_id=1), published) == published
    moment = Once(at="2026-12-24T10:00", timezone="Europe/Malta", segment_id=1)
    assert once_at(moment, published) == datetime(2026, 12, 24, 9, 0, tzinfo=UTC)
    assert once_at(moment, published, player_timezone="Asia/Tokyo") == datetime(2026, 12, 24, 9, 0, tzinfo=UTC)
    local = Once(at="2026-12-24T10:00", timezone="Europe/Malta", local=True, segment_id=1)
    assert once_at(local, published, player_timezone="Asia/Tokyo") == datetime(2026, 12, 24, 1, 0, tzinfo=UTC)
    assert once_at(local, published, player_timezone=None) == datetime(2026, 12, 24, 9, 0, tzinfo=UTC)
    # 02:30 does not exist in Malta on 29 March 2026: the first minute after the jump
    gap = Once(at="2026-03-29T02:30", timezone="Europe/Malta", segment_id=1)
    assert once_at(gap, published) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="YYYY-MM-DDTHH:MM"):
        wall_clock("2026-12-24 25:00")


def test_a_send_time_has_passed_only_when_it_has_everywhere() -> None:
    now = int(datetime(2026, 12, 24, 12, 0, tzinfo=UTC).timestamp() * 1_000_000)
    assert passed(form(send_at="2026-12-24T10:00"), now) is not None
    assert passed(form(send_at="2026-12-24T10:00", local_time=True), now) is None   # not yet in UTC-12
    assert passed(form(send_at="2026-12-23T10:00", local_time=True), now) is not None
    assert passed(form(), now) is None


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=10_000), st.integers(min_value=0, max_value=100_000))
def test_a_throttle_lets_at_most_n_a_minute_in_order(per_minute: int, place: int) -> None:
    start = 1_000_000_000
    due = throttled(start, place, per_minute)
    assert (due - start) % 60_000_000 == 0 and (due - start) // 60_000_000 == place // per_minute
    assert throttled(start, place + 1, per_minute) >= due
    assert throttled(start, place, None) == start
