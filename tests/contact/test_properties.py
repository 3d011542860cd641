"""Properties of the contact arbiter over random policies, time zones and request streams:
no local day, week or channel-day ever gets more than its cap, nothing goes out in quiet
hours or after its expiry, quiet hours alone never drop a message, a wait is honest (asked
again at its time, the message goes), and `choose` does not depend on input order."""

from __future__ import annotations

import heapq
from collections import Counter
from datetime import timedelta

import msgspec
from hypothesis import Phase, given, settings, strategies as st

from croupier.contact import (
    EMPTY, CHANNELS, Contact, ContactMemory, ContactPolicy, ContactRequest, Fatigue, QuietHours, arbitrate, choose,
    contact_of, engaged, record,
)
from croupier.contact.arbiter import local, zone_of
from croupier.contact.policy import minute_of

HOUR = 3_600_000_000
DAY = 24 * HOUR
# Two weeks around a change of the clocks (Europe: 29 March 2026), and one with none.
STARTS = (1_774_224_000_000_000, 1_796_083_200_000_000)   # 2026-03-23T00:00Z (a Monday), 2026-11-30T00:00Z
ZONES = ("Europe/Malta", "UTC", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Chatham")
# No "explain" phase: reading the test's source to explain a failure can take minutes here.
PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink)
CLOCKS = st.sampled_from(["00:00", "06:30", "08:00", "09:00", "20:00", "21:00", "21:30", "22:00", "23:45"])


@st.composite
def policies(draw: st.DrawFn) -> ContactPolicy:
    per_day = draw(st.none() | st.integers(0, 4))
    per_week = draw(st.none() | st.integers(per_day or 0, 10))
    channel_caps = draw(st.dictionaries(st.sampled_from(CHANNELS), st.integers(0, 3), max_size=3))
    quiet = None
    if draw(st.booleans()):
        start, end = draw(CLOCKS), draw(CLOCKS)
        if minute_of(start) != minute_of(end):
            quiet = QuietHours(start, end, draw(st.none() | st.just(["sms", "push"])))
    fatigue = draw(st.none() | st.builds(
        lambda n, h, reduce, pause: Fatigue(n, h, None if pause else reduce, pause),
        st.integers(1, 6), st.integers(1, 96), st.integers(0, 3), st.none() | st.integers(1, 10)))
    return ContactPolicy(per_day, per_week, channel_caps, quiet, fatigue, draw(st.sampled_from(ZONES)),
                         draw(st.integers(0, 24 * 10)))


@st.composite
def streams(draw: st.DrawFn) -> tuple[int, list[tuple[int, ContactRequest]], set[int]]:
    start = draw(st.sampled_from(STARTS))
    n = draw(st.integers(1, 60))
    offsets = sorted(draw(st.lists(st.integers(0, 14 * DAY), min_size=n, max_size=n)))
    out = []
    for i, offset in enumerate(offsets):
        expires = draw(st.none() | st.integers(1, 3 * DAY))
        out.append((start + offset, ContactRequest(
            draw(st.sampled_from(("journey", "campaign", "mission", "vip"))), f"src{draw(st.integers(0, 3))}", "s",
            draw(st.sampled_from(CHANNELS)), draw(st.sampled_from(("promotional",) * 6 + ("safer_play", "transactional"))),
            draw(st.integers(0, 100)), None if expires is None else start + offset + expires, message_id=f"r{i}")))
    opened = set(draw(st.lists(st.integers(0, n - 1), max_size=n // 3)))
    return start, out, opened


def _quiet(policy: ContactPolicy, channel: str, at_us: int, zone: str) -> bool:
    q = policy.quiet_hours
    if q is None or (q.channels is not None and channel not in q.channels):
        return False
    moment = local(at_us, zone_of(zone))
    m, start, end = moment.hour * 60 + moment.minute, minute_of(q.start), minute_of(q.end)
    return start <= m < end if start < end else (m >= start or m < end)


def _run(policy: ContactPolicy, zone: str | None, stream: list[tuple[int, ContactRequest]],
         opened: set[int]) -> tuple[list[tuple[int, ContactRequest]], list[tuple[ContactRequest, tuple[str, ...]]]]:
    """Live-like: requests arrive in time order; a waiting one is asked again at its time
    (keeping its first request time); a sent promotional one is remembered, and some are opened."""
    memory: ContactMemory = EMPTY
    queue = [(at, i, request) for i, (at, request) in enumerate(stream)]
    heapq.heapify(queue)
    sends, drops = [], []
    steps = 0
    while queue:
        steps += 1
        assert steps < 20 * len(stream) + 10, "a message waited in circles"
        at, i, request = heapq.heappop(queue)
        verdict = arbitrate(request, memory, policy, at, zone)
        if verdict.outcome == "send":
            sends.append((at, request))
            if request.purpose == "promotional":
                memory = record(memory, contact_of(request, at))
                if i in opened:
                    memory = engaged(memory, request.message_id)
        elif verdict.outcome == "wait":
            assert verdict.until_us is not None and verdict.until_us > at
            first = request.requested_at_us if request.requested_at_us is not None else at
            heapq.heappush(queue, (verdict.until_us, i, msgspec.structs.replace(request, requested_at_us=first)))
        else:
            drops.append((request, verdict.reasons))
    return sends, drops


@settings(max_examples=200, deadline=None, phases=PHASES)
@given(policies(), st.sampled_from(ZONES + (None,)), streams())
def test_no_local_day_week_or_channel_gets_more_than_its_cap(policy: ContactPolicy, zone: str | None,
                                                             stream: tuple) -> None:
    _, requests, opened = stream
    sends, drops = _run(policy, zone, requests, opened)
    tz = zone_of(zone or policy.default_timezone)
    days, weeks, channel_days = Counter(), Counter(), Counter()
    for at, request in sends:
        if request.expires_at_us is not None:
            assert at < request.expires_at_us, "sent after its expiry"
        if request.purpose != "promotional":
            continue
        assert not _quiet(policy, request.channel, at, zone or policy.default_timezone), "sent in quiet hours"
        day = local(at, tz).date()
        days[day] += 1
        weeks[day - timedelta(days=day.weekday())] += 1
        channel_days[(day, request.channel)] += 1
    if policy.per_day is not None:
        assert max(days.values(), default=0) <= policy.per_day
    if policy.per_week is not None:
        assert max(weeks.values(), default=0) <= policy.per_week
    for (_, channel), n in channel_days.items():
        assert n <= policy.per_channel_day.get(channel, n)
    for request, reasons in drops:
        assert request.purpose == "promotional" or reasons == ("contact.expired",)
        assert not all(r.startswith("contact.quiet_hours:") for r in reasons), "dropped for quiet hours alone"


@st.composite
def memories(draw: st.DrawFn, now: int) -> ContactMemory:
    memory = EMPTY
    for i in range(draw(st.integers(0, 30))):
        memory = record(memory, Contact(now - draw(st.integers(0, 20 * DAY)), draw(st.sampled_from(CHANNELS)),
                                        "journey:j", 0, f"m{i}", draw(st.booleans())))
    return memory


NOW = STARTS[0] + 6 * DAY   # Sunday 29 March 2026, the day Europe's clocks go forward


@settings(max_examples=200, deadline=None, phases=PHASES)
@given(policies(), st.sampled_from(ZONES), memories(NOW), st.integers(0, 2 * DAY), st.sampled_from(CHANNELS),
       st.none() | st.integers(1, 3 * DAY))
def test_a_wait_is_honest_and_quiet_hours_alone_never_drop(policy: ContactPolicy, zone: str, memory: ContactMemory,
                                                           shift: int, channel: str, expires_in: int | None) -> None:
    at = NOW + shift
    request = ContactRequest("campaign", "c", "s", channel, expires_at_us=None if expires_in is None else at + expires_in)
    verdict = arbitrate(request, memory, policy, at, zone)
    if verdict.outcome == "wait":
        assert verdict.until_us > at
        assert request.expires_at_us is None or verdict.until_us < request.expires_at_us
        assert arbitrate(request, memory, policy, verdict.until_us, zone).sends   # asked again then, it goes
    if verdict.outcome == "drop":
        assert not all(r.startswith("contact.quiet_hours:") for r in verdict.reasons)
    # with nothing but quiet hours (nothing sent yet, no wait allowed for a cap), a message
    # without expiry always goes, now or later
    quiet_only = ContactPolicy(None, None, {}, policy.quiet_hours, None, policy.default_timezone, 0)
    alone = arbitrate(msgspec.structs.replace(request, expires_at_us=None), EMPTY, quiet_only, at, zone)
    assert alone.outcome in ("send", "wait")


@settings(max_examples=200, deadline=None, phases=PHASES)
@given(policies(), st.sampled_from(ZONES), memories(NOW), st.randoms(use_true_random=False),
       st.lists(st.tuples(st.sampled_from(CHANNELS), st.integers(0, 3), st.sampled_from(("promotional", "safer_play")),
                          st.none() | st.integers(1, DAY)), min_size=1, max_size=8))
def test_choose_is_the_same_in_any_order_and_never_overfills_a_cap(policy: ContactPolicy, zone: str,
                                                                    memory: ContactMemory, rnd, specs: list) -> None:
    at = NOW + 12 * HOUR
    requests = [ContactRequest("journey", f"j{i % 3}", f"s{i}", ch, purpose, prio, None if exp is None else at + exp,
                               message_id=f"x{i}") for i, (ch, prio, purpose, exp) in enumerate(specs)]
    first = choose(requests, memory, policy, at, zone)
    shuffled = list(requests)
    rnd.shuffle(shuffled)
    assert choose(shuffled, memory, policy, at, zone) == first
    # what goes together fits the caps with what was already sent
    after = memory
    for request, _ in first.go:
        if request.purpose == "promotional":
            after = record(after, contact_of(request, at))
    tz = zone_of(zone)
    today = local(at, tz).date()
    count = sum(1 for c in after.contacts if local(c.at_us, tz).date() == today)
    promoted = sum(1 for r, _ in first.go if r.purpose == "promotional")
    if policy.per_day is not None and promoted:
        assert count <= policy.per_day
    ranks = [(r.purpose == "promotional", -r.priority) for r, _ in first.settled]
    assert ranks == sorted(ranks)
