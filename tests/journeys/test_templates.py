"""The ready-made journeys: every one is valid and round-trips, and each does what the
issue asks of it."""

from __future__ import annotations

import pytest

from croupier.journeys import (
    TEMPLATE_KEYS, Bonus, Branch, EventTrigger, Exit, Journey, Schedule, Send, Split, Task, WaitForEvent, from_json,
    is_planned, problems, seconds, template, templates, to_json,
)


@pytest.mark.parametrize("key", TEMPLATE_KEYS)
def test_every_template_is_valid_and_round_trips(key: str) -> None:
    j = template(key)
    assert j.key == key and j.version == 1
    assert problems(j) == []
    assert from_json(to_json(j)) == j


def test_the_set_of_templates() -> None:
    assert TEMPLATE_KEYS == ("welcome", "second_deposit", "abandoned_deposit", "reactivation_7d", "vip_escalation",
                             "milestone_anniversary", "safer_play")
    assert set(templates()) == set(TEMPLATE_KEYS)
    with pytest.raises(KeyError, match="no ready-made journey 'nope': there are welcome"):
        template("nope")


def _kinds(j: Journey, cls: type) -> list:
    return [s for s in j.steps if isinstance(s, cls)]


@pytest.mark.parametrize("key", [k for k in TEMPLATE_KEYS if k != "safer_play"])
def test_promotions_leave_when_marketing_must_stop(key: str) -> None:
    j = template(key)
    assert j.purpose == "promotional"
    text = " ".join(c for c in j.exit_when if isinstance(c, str))
    for guard in ("excluded = true", "rg.level >= medium", "aml.status != clear", "rg.promotions_paused = true"):
        assert guard in text, (key, guard)


def test_welcome_aims_at_the_first_deposit() -> None:
    j = template("welcome")
    assert isinstance(j.trigger, EventTrigger) and j.trigger.event == "player.registered"
    assert [g.name for g in j.goals] == ["first_deposit"] and j.goals[0].ends_journey
    assert _kinds(j, Bonus) and j.reentry.policy == "never" and 0 < j.holdout_percent <= 50


def test_second_deposit_starts_at_the_first_and_tests_the_channel() -> None:
    j = template("second_deposit")
    assert isinstance(j.trigger, EventTrigger) and "deposit_count_lifetime = 1" in str(j.trigger.condition)
    split, = _kinds(j, Split)
    assert sorted(v.weight for v in split.variants) == [50, 50]


def test_abandoned_deposit_waits_ten_minutes_for_the_deposit() -> None:
    j = template("abandoned_deposit")
    assert isinstance(j.trigger, EventTrigger) and j.trigger.event == "frontend.deposit_started"
    assert not is_planned(j.trigger.event)                       # a protocol type (docs/protocol.md)
    wait, = _kinds(j, WaitForEvent)
    assert wait.event == "payment.deposit" and seconds(wait.timeout) == 600
    popup, = _kinds(j, Send)
    assert wait.on_timeout == popup.id and popup.channel == "popup" and seconds(popup.expires_after) == 900
    assert isinstance(next(s for s in j.steps if s.id == wait.on_event), Exit)


def test_reactivation_after_seven_idle_days_by_category_and_never_with_an_rg_marker() -> None:
    j = template("reactivation_7d")
    assert isinstance(j.trigger, Schedule) and "days_since_last_bet between 7 and 13" in str(j.trigger.condition)
    assert "rg.markers >= 1" in j.exit_when
    assert all("favourite_category_90d" in s.personalise for s in _kinds(j, Send))
    assert "favourite_category_90d" in str(_kinds(j, Branch)[0].condition)
    assert j.reentry.policy == "after" and seconds(j.reentry.cooldown) == 30 * 86400


def test_vip_escalation_gives_a_host_a_task() -> None:
    task, = _kinds(template("vip_escalation"), Task)
    assert task.queue == "vip_host"


def test_the_safer_play_journey_replaces_promotions() -> None:
    j = template("safer_play")
    assert j.purpose == "safer_play" and j.holdout_percent == 0
    assert j.priority == max(t.priority for t in templates().values())
    assert not _kinds(j, Bonus) and all(s.purpose in (None, "safer_play") for s in _kinds(j, Send))
    assert isinstance(j.trigger, EventTrigger) and j.trigger.event == "croupier.rg_level_changed"
    assert [t.queue for t in _kinds(j, Task)] == ["rg_officer"]
