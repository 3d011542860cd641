"""The contact arbiter: caps per local day and week and per channel, quiet hours (a wait, not
a drop, across midnight and on the days the clocks change), fatigue, the bypass for
safer-play and transactional messages, expiry, and the order `choose` settles requests in."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

import msgspec
import pytest

from croupier.contact import (
    EMPTY, MAX_CONTACTS, Contact, ContactMemory, ContactPolicy, ContactRequest, Fatigue, QuietHours, arbitrate,
    choose, contact_of, engaged, record,
)

HOUR = 3_600_000_000
DAY = 24 * HOUR
MALTA = "Europe/Malta"
# Nothing but what a test turns on.
BARE = ContactPolicy(per_day=None, per_week=None, per_channel_day={}, quiet_hours=None, fatigue=None)


def us(text: str) -> int:
    """'2026-12-01T22:30Z' -> microseconds since the epoch."""
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()) * 1_000_000


def at(moment_us: int) -> str:
    return datetime.fromtimestamp(moment_us / 1_000_000, timezone.utc).strftime("%Y-%m-%dT%H:%MZ")


def policy(**changes: object) -> ContactPolicy:
    return msgspec.structs.replace(BARE, **changes)


def ask(channel: str = "email", purpose: str = "promotional", source_id: str = "welcome", **more: object) -> ContactRequest:
    return ContactRequest("journey", source_id, "s1", channel, purpose, **more)


def sent(*times: str, channel: str = "email", engaged_too: bool = False) -> ContactMemory:
    memory = EMPTY
    for i, text in enumerate(times):
        memory = record(memory, Contact(us(text), channel, "journey:welcome", 10, f"m{i}", engaged_too))
    return memory


# -- caps in the player's local day and week -------------------------------------------------
def test_a_day_is_the_players_local_day() -> None:
    """23:30 UTC on 1 December is already 2 December in Malta (UTC+1 in winter)."""
    one_a_day = policy(per_day=1)
    memory = sent("2026-12-01T22:30Z")                                  # 23:30 on 1 Dec in Malta
    late = us("2026-12-01T23:30Z")                                       # 00:30 on 2 Dec in Malta
    assert arbitrate(ask(), memory, one_a_day, late, MALTA).reasons == ("contact.clear",)
    in_utc = arbitrate(ask(), memory, one_a_day, late, "UTC")
    assert (in_utc.outcome, in_utc.reasons, at(in_utc.until_us)) == ("wait", ("contact.cap_day:1",), "2026-12-02T00:00Z")
    # ...and the other way round: a contact at 00:30 Malta time counts for Malta's 2 December
    memory = sent("2026-12-01T23:30Z")
    noon = us("2026-12-02T10:00Z")
    in_malta = arbitrate(ask(), memory, one_a_day, noon, MALTA)
    assert (in_malta.outcome, at(in_malta.until_us)) == ("wait", "2026-12-02T23:00Z")   # midnight in Malta
    assert arbitrate(ask(), memory, one_a_day, noon, "UTC").sends


def test_the_default_time_zone_serves_a_player_without_one() -> None:
    memory = sent("2026-12-01T23:30Z")
    noon = us("2026-12-02T10:00Z")
    assert not arbitrate(ask(), memory, policy(per_day=1, default_timezone=MALTA), noon, None).sends
    assert arbitrate(ask(), memory, policy(per_day=1, default_timezone="UTC"), noon, None).sends


def test_a_week_runs_monday_to_sunday_in_local_time() -> None:
    twice_a_week = policy(per_week=2)
    memory = sent("2026-11-30T10:00Z", "2026-12-01T10:00Z")            # Monday and Tuesday
    sunday_night = us("2026-12-06T23:30Z")                                # Monday 00:30 in Malta
    assert arbitrate(ask(), memory, twice_a_week, sunday_night, MALTA).sends
    in_utc = arbitrate(ask(), memory, twice_a_week, sunday_night, "UTC")
    assert (in_utc.outcome, in_utc.reasons, at(in_utc.until_us)) == ("wait", ("contact.cap_week:2",), "2026-12-07T00:00Z")


def test_a_week_cap_that_would_keep_a_message_too_long_drops_it() -> None:
    """Wednesday: the week's cap resets on Monday, past the 48 hours a held message may wait."""
    memory = sent("2026-11-30T10:00Z", "2026-12-01T10:00Z")
    verdict = arbitrate(ask(), memory, policy(per_week=2), us("2026-12-02T10:00Z"), MALTA)
    assert (verdict.outcome, verdict.reasons, verdict.until_us) == ("drop", ("contact.cap_week:2",), None)
    patient = arbitrate(ask(), memory, policy(per_week=2, max_wait_hours=24 * 7), us("2026-12-02T10:00Z"), MALTA)
    assert (patient.outcome, at(patient.until_us)) == ("wait", "2026-12-06T23:00Z")


def test_a_waiting_message_keeps_its_first_request_time() -> None:
    """Asked again at the end of its wait, a message still held is dropped once it has waited
    max_wait_hours since it was first proposed: it never waits forever."""
    memory = sent("2026-12-02T08:00Z")
    capped = policy(per_day=1, max_wait_hours=30)
    first = us("2026-12-02T09:00Z")
    assert arbitrate(ask(), memory, capped, first, "UTC").outcome == "wait"
    again = ask(requested_at_us=first - 20 * HOUR)      # the reset at midnight is 35 h after it
    assert arbitrate(again, memory, capped, first, "UTC").outcome == "drop"


def test_a_channel_has_its_own_daily_cap() -> None:
    caps = policy(per_day=3, per_channel_day={"sms": 1})
    memory = sent("2026-12-01T09:00Z", channel="sms")
    noon = us("2026-12-01T12:00Z")
    held = arbitrate(ask("sms"), memory, caps, noon, "UTC")
    assert (held.outcome, held.reasons, at(held.until_us)) == ("wait", ("contact.cap_channel_day:sms:1",),
                                                               "2026-12-02T00:00Z")
    assert arbitrate(ask("email"), memory, caps, noon, "UTC").sends


def test_every_source_counts_against_the_same_caps() -> None:
    memory = record(sent("2026-12-01T09:00Z"), Contact(us("2026-12-01T10:00Z"), "push", "campaign:xmas", 0, "c1"))
    campaign = ContactRequest("campaign", "xmas", "blast", "inbox")
    assert arbitrate(campaign, memory, policy(per_day=2), us("2026-12-01T12:00Z"), "UTC").reasons == ("contact.cap_day:2",)


# -- quiet hours: a wait, never a drop -------------------------------------------------------
NIGHT = policy(quiet_hours=QuietHours("21:00", "09:00"))


@pytest.mark.parametrize(("moment", "until"), [
    ("2026-12-01T22:00Z", "2026-12-02T08:00Z"),    # 23:00 in Malta: to 09:00 the next day
    ("2026-12-02T02:00Z", "2026-12-02T08:00Z"),    # 03:00: to 09:00 the same day
    ("2026-12-01T20:00Z", "2026-12-02T08:00Z"),    # 21:00 exactly: quiet
])
def test_quiet_hours_across_midnight_make_a_message_wait(moment: str, until: str) -> None:
    verdict = arbitrate(ask(), EMPTY, NIGHT, us(moment), MALTA)
    assert (verdict.outcome, verdict.reasons, at(verdict.until_us)) == ("wait", ("contact.quiet_hours:21:00-09:00",),
                                                                        until)
    assert arbitrate(ask(), EMPTY, NIGHT, verdict.until_us, MALTA).sends


@pytest.mark.parametrize("moment", ["2026-12-01T19:59Z", "2026-12-02T08:00Z", "2026-12-02T12:00Z"])
def test_outside_quiet_hours_a_message_goes(moment: str) -> None:
    assert arbitrate(ask(), EMPTY, NIGHT, us(moment), MALTA).sends


@pytest.mark.parametrize(("moment", "until"), [
    ("2026-03-28T22:00Z", "2026-03-29T07:00Z"),    # 23:00 CET; the clocks go forward at 02:00; 09:00 CEST
    ("2026-10-24T21:30Z", "2026-10-25T08:00Z"),    # 23:30 CEST; the clocks go back at 03:00; 09:00 CET
])
def test_quiet_hours_end_at_local_nine_on_the_days_the_clocks_change(moment: str, until: str) -> None:
    verdict = arbitrate(ask(), EMPTY, NIGHT, us(moment), MALTA)
    assert (verdict.outcome, at(verdict.until_us)) == ("wait", until)


def test_quiet_hours_ending_in_the_hour_the_clocks_skip() -> None:
    """02:30 never happens in Malta on 29 March 2026: the wait ends after the jump, in CEST, and
    the message then goes."""
    early = policy(quiet_hours=QuietHours("01:00", "02:30"))
    verdict = arbitrate(ask(), EMPTY, early, us("2026-03-29T00:30Z"), MALTA)     # 01:30 CET
    assert verdict.outcome == "wait" and us("2026-03-29T01:00Z") <= verdict.until_us <= us("2026-03-29T01:30Z")
    assert arbitrate(ask(), EMPTY, early, verdict.until_us, MALTA).sends


def test_quiet_hours_in_the_hour_the_clocks_repeat() -> None:
    """On 25 October 2026 Malta's clocks show 02:00-03:00 twice; 02:15 the second time is quiet
    again (01:00-02:30), and the wait ends at 02:30 of that second pass, not the first."""
    early = policy(quiet_hours=QuietHours("01:00", "02:30"))
    assert arbitrate(ask(), EMPTY, early, us("2026-10-25T00:45Z"), MALTA).sends              # 02:45 CEST
    verdict = arbitrate(ask(), EMPTY, early, us("2026-10-25T01:15Z"), MALTA)              # 02:15 CET
    assert (verdict.outcome, at(verdict.until_us)) == ("wait", "2026-10-25T01:30Z")


def test_quiet_hours_hold_only_their_channels() -> None:
    sms_only = policy(quiet_hours=QuietHours("21:00", "09:00", ["sms", "push"]))
    late = us("2026-12-01T22:00Z")
    assert arbitrate(ask("email"), EMPTY, sms_only, late, MALTA).sends
    assert arbitrate(ask("sms"), EMPTY, sms_only, late, MALTA).outcome == "wait"


def test_the_markets_quiet_hours_make_a_message_wait_instead_of_being_suppressed() -> None:
    verdict = arbitrate(ask(), EMPTY, BARE, us("2026-12-01T22:30Z"), "Europe/London", market_quiet_hours=[22, 8])
    assert (verdict.outcome, verdict.reasons, at(verdict.until_us)) == ("wait", ("contact.quiet_hours:22:00-08:00",),
                                                                        "2026-12-02T08:00Z")


def test_quiet_hours_never_drop_a_message_however_long_it_waited() -> None:
    """max_wait_hours bounds waits for caps and fatigue, not for quiet hours."""
    old = ask(requested_at_us=us("2026-11-01T00:00Z"))
    verdict = arbitrate(old, EMPTY, msgspec.structs.replace(NIGHT, max_wait_hours=0), us("2026-12-01T22:00Z"), MALTA)
    assert verdict.outcome == "wait"


def test_a_capped_message_whose_reset_falls_in_quiet_hours_waits_for_both() -> None:
    both = msgspec.structs.replace(NIGHT, per_day=1)
    verdict = arbitrate(ask(), sent("2026-12-01T09:00Z"), both, us("2026-12-01T15:00Z"), MALTA)
    assert verdict.reasons == ("contact.cap_day:1", "contact.quiet_hours:21:00-09:00")
    assert at(verdict.until_us) == "2026-12-02T08:00Z"            # midnight is quiet: 09:00 Malta time


# -- expiry ------------------------------------------------------------------------------------
def test_an_offer_that_expires_during_quiet_hours_is_dropped_as_expired() -> None:
    tonight = us("2026-12-01T22:00Z")
    short = ask(expires_at_us=tonight + 2 * HOUR)
    verdict = arbitrate(short, EMPTY, NIGHT, tonight, MALTA)
    assert (verdict.outcome, verdict.reasons) == ("drop", ("contact.expired", "contact.quiet_hours:21:00-09:00"))
    long = ask(expires_at_us=tonight + 24 * HOUR)
    assert arbitrate(long, EMPTY, NIGHT, tonight, MALTA).outcome == "wait"


def test_an_expired_message_is_never_sent_whatever_its_purpose() -> None:
    noon = us("2026-12-01T12:00Z")
    for purpose in ("promotional", "transactional", "safer_play"):
        verdict = arbitrate(ask(purpose=purpose, expires_at_us=noon), EMPTY, BARE, noon, "UTC")
        assert (verdict.outcome, verdict.reasons) == ("drop", ("contact.expired",))
    assert arbitrate(ask(expires_at_us=noon + 1), EMPTY, BARE, noon, "UTC").sends


# -- fatigue -------------------------------------------------------------------------------------
IGNORED = ("2026-11-10T10:00Z", "2026-11-12T10:00Z", "2026-11-14T10:00Z", "2026-11-16T10:00Z", "2026-11-18T10:00Z")
REDUCE = policy(per_week=7, fatigue=Fatigue(after_ignored=5, judged_after_hours=72, reduce_to_per_week=1),
                max_wait_hours=24 * 7)


def test_five_ignored_contacts_reduce_the_player_to_one_a_week() -> None:
    memory = sent(*IGNORED)
    tuesday = us("2026-12-01T10:00Z")
    assert arbitrate(ask(), memory, REDUCE, tuesday, "UTC").sends           # none this week yet
    memory = record(memory, contact_of(ask(), tuesday, "this-week"))
    verdict = arbitrate(ask(), memory, REDUCE, us("2026-12-02T10:00Z"), "UTC")
    assert (verdict.outcome, verdict.reasons, at(verdict.until_us)) == ("wait", ("contact.fatigue:5",),
                                                                        "2026-12-07T00:00Z")
    # one open among the last five and the player is no longer fatigued
    woke = engaged(memory, "m4")
    assert arbitrate(ask(), woke, REDUCE, us("2026-12-02T10:00Z"), "UTC").sends


def test_contacts_too_recent_to_judge_are_not_yet_ignored() -> None:
    recent = sent("2026-11-29T10:00Z", "2026-11-29T12:00Z", "2026-11-30T10:00Z", "2026-11-30T11:00Z",
                  "2026-11-30T12:00Z")
    reduce = msgspec.structs.replace(REDUCE, per_week=None)
    assert arbitrate(ask(), recent, reduce, us("2026-12-01T10:00Z"), "UTC").sends        # judged after 72 h
    later = arbitrate(ask(), recent, reduce, us("2026-12-03T13:00Z"), "UTC")               # now they are
    assert later.reasons == ("contact.fatigue:5",)


def test_a_fatigue_pause_holds_promotions_for_its_days_after_the_latest_contact() -> None:
    pause = policy(fatigue=Fatigue(after_ignored=5, reduce_to_per_week=None, pause_days=14))
    memory = sent(*IGNORED)                                             # the latest on 18 November
    dropped = arbitrate(ask(), memory, pause, us("2026-11-25T10:00Z"), "UTC")
    assert (dropped.outcome, dropped.reasons) == ("drop", ("contact.fatigue:5",))   # 7 more days: past 48 h
    waits = arbitrate(ask(), memory, pause, us("2026-12-01T12:00Z"), "UTC")
    assert (waits.outcome, at(waits.until_us)) == ("wait", "2026-12-02T10:00Z")
    probe_at = us("2026-12-02T10:00Z")
    assert arbitrate(ask(), memory, pause, probe_at, "UTC").sends       # one probe after the pause
    memory = record(memory, contact_of(ask(), probe_at, "probe"))
    again = arbitrate(ask(), memory, pause, us("2026-12-10T10:00Z"), "UTC")
    assert again.reasons == ("contact.fatigue:5",)                      # ignored: paused again from the probe


def test_a_fatigue_cut_to_zero_drops_rather_than_waits_for_ever() -> None:
    none = policy(fatigue=Fatigue(after_ignored=5, reduce_to_per_week=0), max_wait_hours=24 * 14)
    verdict = arbitrate(ask(), sent(*IGNORED), none, us("2026-12-01T10:00Z"), "UTC")
    assert (verdict.outcome, verdict.reasons) == ("drop", ("contact.fatigue:5",))


# -- safer play and transactional messages bypass -------------------------------------------------
def test_safer_play_and_transactional_messages_bypass_caps_fatigue_and_quiet_hours() -> None:
    everything = ContactPolicy(per_day=1, per_week=1, per_channel_day={"sms": 1}, quiet_hours=QuietHours(),
                               fatigue=Fatigue(after_ignored=5, reduce_to_per_week=None, pause_days=30))
    memory = sent(*IGNORED, "2026-12-01T20:00Z", channel="sms")
    night = us("2026-12-01T23:00Z")
    assert arbitrate(ask("sms"), memory, everything, night, MALTA).outcome in ("wait", "drop")
    for purpose in ("safer_play", "transactional", "service"):
        verdict = arbitrate(ask("sms", purpose), memory, everything, night, MALTA)
        assert (verdict.outcome, verdict.reasons) == ("send", (f"contact.bypass:{purpose}",))


# -- several at once: who goes, who waits, who drops -----------------------------------------------
def test_the_highest_priority_takes_the_last_place_and_the_rest_say_why() -> None:
    noon = us("2026-12-01T12:00Z")
    low = ask(source_id="retention", priority=10, message_id="a")
    high = ask(source_id="vip_offer", priority=50, message_id="b")
    urgent = ask(source_id="flash", priority=50, expires_at_us=noon + 2 * HOUR, message_id="c")
    chosen = choose([low, high, urgent], sent("2026-12-01T08:00Z"), policy(per_day=2), noon, "UTC")
    assert [r.message_id for r, _ in chosen.go] == ["c"]             # as high, and expiring sooner
    assert [(r.message_id, v.reasons) for r, v in chosen.wait] == [
        ("b", ("contact.lower_priority", "contact.cap_day:2")), ("a", ("contact.lower_priority", "contact.cap_day:2"))]
    assert chosen.drop == ()


def test_the_choice_does_not_depend_on_the_order_requests_came_in() -> None:
    noon = us("2026-12-01T12:00Z")
    requests = [ask(source_id=name, priority=p, channel=ch, message_id=name)
                for name, p, ch in (("b", 5, "sms"), ("a", 5, "sms"), ("c", 1, "email"), ("d", 9, "push"))]
    caps = policy(per_day=2, per_channel_day={"sms": 1})
    outcomes = {tuple((r.message_id, v) for r, v in choose(order, EMPTY, caps, noon, "UTC").settled)
                for order in itertools.permutations(requests)}
    assert len(outcomes) == 1
    (settled,) = outcomes
    assert [(m, v.outcome) for m, v in settled] == [("d", "send"), ("a", "send"), ("b", "wait"), ("c", "wait")]
    assert settled[2][1].reasons == ("contact.lower_priority", "contact.cap_day:2", "contact.cap_channel_day:sms:1")


def test_safer_play_in_a_batch_takes_no_place_under_the_caps() -> None:
    noon = us("2026-12-01T12:00Z")
    chosen = choose([ask(message_id="promo"), ask("sms", "safer_play", message_id="rg")], EMPTY, policy(per_day=1),
                    noon, "UTC")
    assert sorted(r.message_id for r, _ in chosen.go) == ["promo", "rg"]
    assert chosen.settled[0][0].message_id == "rg"                     # bypassing purposes settle first


# -- the memory --------------------------------------------------------------------------------------
def test_the_memory_stays_bounded_and_keeps_the_newest() -> None:
    memory = EMPTY
    for i in range(MAX_CONTACTS * 4):
        memory = record(memory, Contact(i * HOUR, "email", "journey:j", 1, f"m{i:03d}"))
    assert len(memory.contacts) == MAX_CONTACTS
    assert [c.message_id for c in memory.contacts] == [f"m{i:03d}" for i in range(MAX_CONTACTS * 3, MAX_CONTACTS * 4)]
    # a late record lands in its place by time; one older than everything kept falls out at once
    late = record(memory, Contact((MAX_CONTACTS * 4 - 2) * HOUR + 1, "sms", "campaign:x", 0, "late"))
    assert late.contacts[-2].message_id == "late" and len(late.contacts) == MAX_CONTACTS
    assert record(memory, Contact(0, "sms", "campaign:x", 0, "ancient")) == memory


def test_record_and_engaged_are_idempotent_and_replay_exact() -> None:
    memory = sent("2026-12-01T09:00Z", "2026-12-01T10:00Z")
    assert record(memory, Contact(us("2026-12-01T09:00Z"), "email", "journey:welcome", 10, "m0")) is memory
    marked = engaged(memory, "m1")
    assert [c.engaged for c in marked.contacts] == [False, True]
    assert engaged(marked, "m1") is marked and engaged(marked, "unknown") is marked
    encoded = msgspec.msgpack.encode(marked)
    assert msgspec.msgpack.decode(encoded, type=ContactMemory) == marked
    full = EMPTY
    for i in range(MAX_CONTACTS):
        full = record(full, Contact(us("2026-12-01T09:00Z") + i, "email", "journey:" + "j" * 24, 1000, "f" * 32 + str(i)))
    assert len(msgspec.msgpack.encode(full)) < 100 * MAX_CONTACTS    # bounded bytes in PlayerState


@pytest.mark.parametrize(("field", "value"), [("source_kind", "newsletter"), ("purpose", "marketing")])
def test_a_request_says_what_it_is(field: str, value: str) -> None:
    with pytest.raises(ValueError, match=value):
        ContactRequest(**{"source_kind": "journey", "source_id": "j", "step": "s", "channel": "email", field: value})
