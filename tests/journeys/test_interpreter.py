"""The journey interpreter (croupier.journeys.run): every step kind, conditions checked
against the player's values at the moment of the step (the issue's stale-trigger case),
goals and their window, exits, timers, and the ids that make a replay take the same steps.
Players are real: their events are folded into a PlayerState and the interpreter reads
features and protection values from it, as the engine will."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest

from croupier.compliance import Proposal
from croupier.journeys import assign, template
from croupier.journeys.run import (
    NOTHING, BonusAction, History, JourneyState, Occurrence, Run, SendAction, TagAction, TaskAction, Timer,
    TimerAction, advance, entry_id,
)
from croupier.players import micros
from croupier.tasks import Source, origin_id
from tests.journeys.journey_player import DAY, HOUR, START, Player, journey, live_of, reasons, treated_id

US = 1_000_000


def welcome_player() -> Player:
    return Player(live_of("welcome"), treated_id("welcome", 10))


# -- a ready-made journey from end to end -----------------------------------------------------

def test_welcome_runs_its_steps_in_order_with_waits_as_timers() -> None:
    p = welcome_player()
    out = p.register()
    assert [s.template for s in out.of(SendAction)] == ["welcome"]
    (timer,) = out.of(TimerAction)
    assert (timer.step_id, timer.due_us) == ("wait-1d", micros(START + DAY))
    assert p.journeys.runs["welcome"].step == "wait-1d"
    p.until(START + DAY - HOUR)
    assert p.templates_sent() == ["welcome"]               # nothing before the timer
    p.until(START + 5 * DAY)
    assert p.templates_sent() == ["welcome", "welcome_first_deposit_offer", "welcome_reminder"]
    assert [b.template for b in p.actions(BonusAction)] == ["first_deposit_match"]
    offer = p.sends[1]
    assert offer.expires_at_us == micros(START + DAY) + 3 * 86_400 * US
    assert offer.channel == "push" and offer.purpose == "promotional" and offer.priority == 50
    (exit_,) = p.kinds("exited")
    assert exit_.reason == "exit_step" and exit_.step_id == "done"
    assert "welcome" not in p.journeys.runs and p.journeys.history["welcome"].last_exit_us == micros(START + 4 * DAY)


def test_a_deposit_during_the_first_day_ends_welcome_as_its_goal() -> None:
    p = welcome_player()
    p.register()
    out = p.deposit(START + 6 * HOUR)
    assert reasons(out.records) == ["goal:first_deposit", "goal:first_deposit"]
    assert [r.kind for r in out.records] == ["converted", "exited"]
    p.until(START + 10 * DAY)
    assert p.templates_sent() == ["welcome"]
    assert p.journeys.history["welcome"].converted == (("first_deposit", micros(START + 6 * HOUR)),)


# -- the stale-trigger case -----------------------------------------------------------

WE_MISS_YOU = journey(
    key="first_deposit_welcome", name="Welcome after the first deposit", group="onboarding", priority=45,
    trigger={"kind": "event", "event": "payment.deposit",
             "condition": 'event.status = "approved" and deposit_count_lifetime = 1'},
    steps=[{"kind": "send", "id": "thanks", "channel": "email", "template": "first_deposit_thanks"},
           {"kind": "wait", "id": "wait", "duration": "P2DT5H"},
           {"kind": "send", "id": "miss-you", "channel": "push", "template": "we_miss_you",
            "when": "days_since_last_deposit >= 2"},
           {"kind": "exit", "id": "done"}])


def test_a_second_deposit_two_days_later_stops_we_miss_you_that_afternoon() -> None:
    """Deposit Monday 09:00, welcome; deposit again Wednesday 10:00; the step due Wednesday
    14:00 reads the player's values at 14:00 (last deposit 4 hours ago), not at entry."""
    p = Player(live_of(WE_MISS_YOU))
    p.deposit(START)
    p.deposit(START + 2 * DAY + HOUR)
    p.until(START + 2 * DAY + 5 * HOUR)
    assert p.templates_sent() == ["first_deposit_thanks"]
    (skipped,) = p.kinds("skipped")
    assert skipped.step_id == "miss-you" and skipped.reason == "when_false:days_since_last_deposit >= 2"
    assert skipped.at_us == micros(START + 2 * DAY + 5 * HOUR)
    assert "does not hold for the player now" in skipped.words()


def test_without_the_second_deposit_we_miss_you_goes_out() -> None:
    p = Player(live_of(WE_MISS_YOU))
    p.deposit(START)
    p.until(START + 2 * DAY + 5 * HOUR)
    assert p.templates_sent() == ["first_deposit_thanks", "we_miss_you"]


def test_an_exit_condition_on_depositing_again_ends_the_journey_before_the_step() -> None:
    j = journey(**{**msgspec.structs.asdict(WE_MISS_YOU), "trigger": WE_MISS_YOU.trigger,
                   "steps": WE_MISS_YOU.steps, "exit_when": ("deposit_count_lifetime >= 2",)})
    p = Player(live_of(j))
    p.deposit(START)
    p.deposit(START + 2 * DAY + HOUR)
    p.until(START + 3 * DAY)
    assert p.templates_sent() == ["first_deposit_thanks"]
    (left,) = p.kinds("exited")
    assert left.reason == "exit_when:deposit_count_lifetime >= 2" and left.step_id == "miss-you"


def test_a_stale_segment_entry_does_not_start_we_miss_you() -> None:
    """A segment fact ("no deposit for 2 days") computed before the player deposited again
    reaches the interpreter after the deposit: the trigger's condition is read now."""
    j = journey(key="miss_you", trigger={"kind": "segment_entered", "segment_id": 7,
                                         "condition": "days_since_last_deposit >= 2"},
                steps=[{"kind": "send", "id": "miss-you", "channel": "push", "template": "we_miss_you"},
                       {"kind": "exit", "id": "done"}])
    p = Player(live_of(j))
    p.deposit(START)
    p.deposit(START + 2 * DAY + HOUR)
    out = p.fact("croupier.segment_entered", START + 2 * DAY + 5 * HOUR, segment_id=7, version=1)
    assert out.of(SendAction) == [] and reasons(out.records) == ["trigger_condition"]
    other = Player(live_of(j), "p2")
    other.deposit(START)
    assert other.fact("croupier.segment_entered", START + 2 * DAY + 5 * HOUR, segment_id=7, version=1) \
        .of(SendAction)[0].template == "we_miss_you"
    assert other.fact("croupier.segment_entered", START + 3 * DAY, segment_id=8, version=1) is NOTHING


def test_the_second_deposit_template_stops_at_the_second_deposit() -> None:
    pid = treated_id("second_deposit", 10)
    p = Player(live_of("second_deposit"), pid)
    p.register(START - DAY)
    p.deposit(START)
    p.until(START + DAY + HOUR)
    assert len(p.sends) == 1                                # the nudge, on the player's variant's channel
    p.deposit(START + 2 * DAY)
    p.until(START + 10 * DAY)
    assert len(p.sends) == 1 and p.actions(BonusAction) == []
    assert [r.reason for r in p.kinds("exited")] == ["goal:second_deposit"]


# -- steps ------------------------------------------------------------------------------------

def test_branch_reads_the_value_at_the_step() -> None:
    p = welcome_player()
    p.register()
    p.deposit(START + 2 * HOUR, status="declined")         # no goal: not approved
    p.until(START + DAY)
    branch = next(r for r in p.kinds("step") if r.step_id == "deposited")
    assert branch.reason == "branch_else:first_deposit_at is set"


WAIT_FOR = journey(
    key="cashier", trigger={"kind": "event", "event": "frontend.deposit_started"},
    steps=[{"kind": "wait_for_event", "id": "deposit", "event": "payment.deposit",
            "condition": 'event.status = "approved" and event.amount >= 20', "timeout": "PT10M",
            "on_event": "thanks", "on_timeout": "help"},
           {"kind": "send", "id": "thanks", "channel": "inbox", "template": "thanks", "next": "done"},
           {"kind": "send", "id": "help", "channel": "popup", "template": "help", "expires_after": "PT15M"},
           {"kind": "exit", "id": "done"}])


def _cashier(p: Player, at: timedelta) -> None:
    p.event("frontend.deposit_started", at, transaction_id="t-started")


def test_wait_for_event_goes_on_when_the_event_arrives() -> None:
    p = Player(live_of(WAIT_FOR))
    _cashier(p, timedelta(0))
    assert p.journeys.runs["cashier"].event == "payment.deposit"
    p.deposit(timedelta(minutes=3), amount="10.00")          # does not match the condition: still waiting
    assert "cashier" in p.journeys.runs
    p.deposit(timedelta(minutes=4), amount="25.00")
    assert p.templates_sent() == ["thanks"]
    p.until(START + HOUR)                                     # the timeout timer comes and is ignored
    assert p.templates_sent() == ["thanks"] and reasons(p.kinds("ignored")) == ["stale_timer"]


def test_wait_for_event_times_out() -> None:
    p = Player(live_of(WAIT_FOR))
    _cashier(p, timedelta(0))
    p.until(START + HOUR)
    assert p.templates_sent() == ["help"]
    assert [r.reason for r in p.kinds("resumed")] == ["timeout"]
    assert p.sends[0].expires_at_us == micros(START + timedelta(minutes=25))


def test_an_awaited_event_after_the_timeout_does_not_count() -> None:
    """The timeout timer may reach the log after a later event: the timeout still decides."""
    p = Player(live_of(WAIT_FOR))
    _cashier(p, timedelta(0))
    (timer,) = p.timers
    p.timers.clear()                                          # the timer fact is late
    p.deposit(timedelta(minutes=11), amount="30.00")
    assert p.templates_sent() == [] and reasons(p.kinds("ignored")) == ["late_event"]
    p._advance(Timer(timer.journey_key, timer.entry_id, timer.step_id, timer.due_us, timer.timer_id),
               timer.due_us)
    assert p.templates_sent() == ["help"]


def test_split_gives_each_player_their_variant_and_remembers_it() -> None:
    j = template("second_deposit")
    live = live_of(j)
    seen = set()
    for i in range(40):
        pid = f"s{i}"
        p = Player(live, pid)
        p.deposit(START)
        p.until(START + DAY)
        expected = assign("second_deposit", "channel-test", pid, j.steps[1].variants)  # type: ignore[union-attr]
        if p.kinds("held_out"):
            continue
        assert p.journeys.runs["second_deposit"].variants == (("channel-test", expected.name),)
        assert p.sends[0].channel == expected.name and p.sends[0].variants == (("channel-test", expected.name),)
        assert p.kinds("step")[0].reason == f"split:{expected.name}"
        seen.add(expected.name)
    assert seen == {"email", "push"}


def test_tag_and_task_steps() -> None:
    j = template("vip_escalation")
    p = Player(live_of(j))
    p.register(START - DAY)
    p.deposit(START, amount="6000.00")
    (tag,) = p.actions(TagAction)
    assert (tag.tag, tag.set) == ("vip_candidate", True)
    (task,) = p.actions(TaskAction)
    assert (task.queue, task.due_at_us) == ("vip_host", micros(START) + 2 * 86_400 * US)
    run_entry = p.kinds("entered")[0].entry_id
    assert task.origin_id == origin_id("vip_escalation", 1, "host-call", run_entry, task.seq)
    assert task.source == Source.journey("vip_escalation", 1, "host-call")
    assert [r.reason for r in p.kinds("exited")] == ["exit_step"]


def test_a_tag_step_clears() -> None:
    j = journey(steps=[{"kind": "tag", "id": "untag", "tag": "vip_candidate", "action": "clear"},
                       {"kind": "exit", "id": "done", "outcome": "cleared"}])
    p = Player(live_of(j))
    p.event("player.login", timedelta(0))
    assert p.actions(TagAction)[0].set is False
    assert p.kinds("exited")[0].detail["outcome"] == "cleared"


def test_a_send_proposes_to_the_gate_and_asks_the_arbiter() -> None:
    j = journey(purpose="service", steps=[
        {"kind": "send", "id": "info", "channel": "email", "template": "account_info",
         "personalise": ["deposit_count_lifetime"]}, {"kind": "exit", "id": "done"}])
    p = Player(live_of(j))
    p.deposit(START - HOUR)
    (send,) = p.event("player.login", timedelta(0)).of(SendAction)
    assert send.personalise == {"deposit_count_lifetime": 1}
    proposal = send.proposal("p1")
    assert isinstance(proposal, Proposal)
    assert (proposal.kind, proposal.name, proposal.purpose, proposal.channel) == (
        "message", "account_info", "transactional", "email")
    assert proposal.cause_event_id == send.cause_id and proposal.params["personalise"] == {"deposit_count_lifetime": 1}
    request = send.contact_request("p1")
    assert (request.source, request.step, request.purpose, request.message_id) == (
        "journey:demo", "info", "transactional", proposal.action_id)


# -- goals ------------------------------------------------------------------------------------

GOAL = journey(key="goal_demo", goals=[{"name": "deposit", "event": "payment.deposit",
                                        "condition": 'event.status = "approved"', "window": "P7D",
                                        "ends_journey": False}],
               steps=[{"kind": "wait", "id": "long", "duration": "P30D"}, {"kind": "exit", "id": "done"}])


@pytest.mark.parametrize(("after", "converted"), [(6 * DAY, True), (7 * DAY, True), (7 * DAY + HOUR, False)])
def test_a_goal_counts_within_its_window_only(after: timedelta, converted: bool) -> None:
    p = Player(live_of(GOAL))
    p.event("player.login", timedelta(0))
    p.deposit(after)
    assert bool(p.kinds("converted")) is converted
    assert "goal_demo" in p.journeys.runs                    # ends_journey false: the player stays


def test_a_goal_counts_once_per_entry() -> None:
    p = Player(live_of(GOAL))
    p.event("player.login", timedelta(0))
    p.deposit(DAY)
    p.deposit(2 * DAY)
    assert len(p.kinds("converted")) == 1


# -- pause, new versions, timers, replay ------------------------------------------------------

def test_a_paused_journey_lets_nobody_in_and_players_leave_at_their_next_step() -> None:
    p = welcome_player()
    p.register()
    p.live = p.live.deactivated("welcome")
    p.until(START + 2 * DAY)
    assert p.templates_sent() == ["welcome"]
    (left,) = p.kinds("exited")
    assert left.reason == "paused" and left.step_id == "deposited"
    other = Player(p.live, treated_id("welcome", 10, "q"))
    assert other.register() is NOTHING


def test_a_paused_journey_published_again_before_the_step_goes_on() -> None:
    p = welcome_player()
    p.register()
    live = p.live
    p.live = live.deactivated("welcome")
    p.until(START + HOUR)
    p.live = live.deactivated("welcome").activated(template("welcome"))
    p.until(START + 2 * DAY)
    assert p.templates_sent()[:2] == ["welcome", "welcome_first_deposit_offer"]


def test_players_finish_on_the_version_they_entered_and_new_entries_take_the_new_one() -> None:
    from tests.journeys.journey_player import variant_of
    v2 = variant_of("welcome", version=2, steps=[
        {"kind": "send", "id": "welcome", "channel": "email", "template": "welcome_v2"},
        {"kind": "wait", "id": "wait-1d", "duration": "P1D"},
        {"kind": "send", "id": "offer-message", "channel": "push", "template": "offer_v2"},
        {"kind": "exit", "id": "done"}])
    first = welcome_player()
    first.register()
    live2 = first.live.activated(v2)
    first.live = live2
    first.until(START + 5 * DAY)
    assert first.templates_sent() == ["welcome", "welcome_first_deposit_offer", "welcome_reminder"]
    assert {r.version for r in first.records} == {1}
    second = Player(live2, treated_id("welcome", 10, "n"))
    second.register(START + DAY)
    second.until(START + 5 * DAY)
    assert second.templates_sent() == ["welcome_v2", "offer_v2"]
    assert {r.version for r in second.records} == {2}


def test_a_restart_loses_no_timer() -> None:
    """The state survives encoding (as the engine stores it) mid-wait; the timer fact then
    moves the player on from where they were."""
    p = welcome_player()
    p.register()
    encoded = msgspec.msgpack.encode(p.journeys)
    p.journeys = msgspec.msgpack.decode(encoded, type=JourneyState)
    assert isinstance(p.journeys.runs["welcome"], Run) and isinstance(p.journeys.history["welcome"], History)
    p.until(START + 5 * DAY)
    assert p.templates_sent() == ["welcome", "welcome_first_deposit_offer", "welcome_reminder"]
    assert len(encoded) < 200


def _scenario(live: object, pid: str) -> tuple[list[object], JourneyState]:
    p = Player(live, pid)  # type: ignore[arg-type]
    p.register()
    p.deposit(START + 2 * DAY)
    p.deposit(START + 3 * DAY)
    p.until(START + 20 * DAY)
    return p.outcomes, p.journeys  # type: ignore[return-value]


def test_a_replay_takes_every_step_again_the_same_way() -> None:
    live = live_of("welcome", "second_deposit", "vip_escalation")
    pid = treated_id("welcome", 10)
    first, state1 = _scenario(live, pid)
    second, state2 = _scenario(live_of("welcome", "second_deposit", "vip_escalation"), pid)
    assert first == second and state1 == state2
    causes = [a.cause_id for o in first for a in o.actions if hasattr(a, "cause_id")]   # type: ignore[attr-defined]
    assert len(causes) == len(set(causes))                    # every step its own id


def test_ids_derive_from_the_cause() -> None:
    p = welcome_player()
    out = p.register()
    entry = p.kinds("entered")[0]
    assert entry.entry_id == entry_id("welcome", 1, p.player_id, entry.cause_id)
    assert out.of(SendAction)[0].cause_id.startswith("js_")
    assert entry_id("welcome", 1, "p1", "e1") != entry_id("welcome", 2, "p1", "e1")


def test_a_stale_timer_is_ignored() -> None:
    p = welcome_player()
    p.register()
    run = p.journeys.runs["welcome"]
    out = advance(p.live, p.journeys, Timer("welcome", run.entry_id, "wait-1d", run.until_us + 1), lambda n: {},
                  run.until_us + 1, p.player_id)
    assert reasons(out.records) == ["stale_timer"] and out.actions == ()
    assert p.journeys.runs["welcome"] is run


def test_an_event_no_journey_reads_costs_nothing() -> None:
    live = live_of("welcome")
    state = JourneyState()
    calls = []
    out = advance(live, state, Occurrence("casino.bet", "b1", {}), lambda n: calls.append(n) or {}, 1, "p1")
    assert out is NOTHING and calls == [] and state == JourneyState()


def test_values_are_read_once_per_pass_and_only_those_needed() -> None:
    asked: list[frozenset[str]] = []
    live = live_of(WE_MISS_YOU)
    state = JourneyState()
    fields = {"status": "approved", "amount": "50.00"}

    def values_of(names: frozenset[str]) -> dict[str, object]:
        asked.append(names)
        return {"deposit_count_lifetime": 1}

    advance(live, state, Occurrence("payment.deposit", "d1", fields), values_of, 1_000, "p1")
    assert asked == [frozenset({"deposit_count_lifetime"})]


def test_a_player_who_takes_a_time_out_leaves_a_promotional_journey_at_the_next_step() -> None:
    """The ready-made exit condition reads the protection state at the step: a time-out
    taken after entering ends the journey before the offer."""
    p = welcome_player()
    p.register()
    p.event("exclusion.requested", 2 * HOUR, kind="timeout", duration="P7D")
    p.until(START + 5 * DAY)
    assert p.templates_sent() == ["welcome"] and p.actions(BonusAction) == []
    (left,) = p.kinds("exited")
    assert left.reason.startswith("exit_when:excluded = true") and left.step_id == "deposited"


def test_an_exit_condition_that_holds_at_entry_keeps_the_player_out() -> None:
    p = Player(live_of("vip_escalation"))
    p.register(START - DAY)
    p.event("exclusion.requested", START - HOUR, kind="timeout", duration="P7D")
    out = p.deposit(START, amount="6000.00")
    assert out.actions == () and [r.reason.split(":")[0] for r in out.records] == ["exit_when"]
    assert "vip_escalation" not in p.journeys.history      # a refused entry is not an entry


def test_every_reason_reads_as_a_sentence() -> None:
    from croupier.journeys.run import REASONS, Record
    for code in REASONS:
        words = Record("exited", "welcome", f"{code}:x", 0, "e1", 1, step_id="s").words()
        assert words.startswith("welcome v1 at step 's': exited, because ") and "{" not in words


def test_an_event_or_fact_becomes_an_occurrence_and_starts_a_segment_journey() -> None:
    from croupier.events import SegmentEntered
    from croupier.journeys.run import concerns, occurrence_of
    fact = SegmentEntered(event_id="se1", player_id="p1", brand="aurora", occurred_at=START, segment_id=7,
                          version=2, cause_event_id="e9")
    o = occurrence_of(fact)
    assert (o.type, o.event_id, o.fields["segment_id"], o.fields.get("version"), o.fields.get("nope")) == (
        "croupier.segment_entered", "se1", 7, 2, None)
    j = journey(key="seg", trigger={"kind": "segment_entered", "segment_id": 7})
    live = live_of(j)
    assert concerns(live, JourneyState(), "croupier.segment_entered")
    assert not concerns(live, JourneyState(), "casino.bet")
    out = advance(live, JourneyState(), o, lambda names: {}, micros(START), "p1")
    assert [s.template for s in out.of(SendAction)] == ["hello"]
