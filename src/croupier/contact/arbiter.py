"""The contact arbiter: one pure function every proposed contact passes before the gate.

`arbitrate(request, memory, policy, at_us, local_tz)` says whether a proposed contact goes
now, waits until a stated time, or is dropped, with reason codes (compliance.reasons says
each in words; docs/contact-policy.md explains the rules). It looks only at its arguments:
the request, the player's contact memory (contact.memory), the policy in force
(contact.policy, from the configuration version), the time of the decision and the
player's time zone, so a replay of the log decides exactly as live did.

The rules, in order:
- a message whose expiry has come is dropped (contact.expired): a time-limited offer is
  never delivered after it expires (whatever its purpose: a message that set an expiry
  means nothing after it);
- safer-play and transactional (service) messages pass at once: no cap, fatigue or quiet
  hours holds them (contact.bypass:<purpose>); they are not counted either (the engine
  records only promotional contacts in the memory);
- caps per local day and Monday-to-Sunday week across every source and channel, caps per
  channel per local day, fatigue and quiet hours hold a promotional message; without a
  daily cap a day still holds at most MAX_CONTACTS (the memory's size, so every count the
  arbiter makes is exact);
- a held message waits until the earliest moment nothing holds it (quiet hours end, the
  next local day or week, the end of a fatigue pause), unless its expiry comes first
  (dropped: contact.expired), or a cap or fatigue would keep it past `max_wait_hours` after
  it was first proposed (dropped with their reasons). Quiet hours alone never drop a message.

`choose` settles several requests at the same moment by a stated order (bypassing purposes
first, then higher priority, then the sooner expiry, then source kind, source id, step,
channel and message id): each takes its place under the caps in turn, and one that loses
the last place to an earlier one says so (contact.lower_priority).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from msgspec import Struct

from croupier.contact.memory import MAX_CONTACTS, Contact, ContactMemory, record
from croupier.contact.policy import ContactPolicy, Fatigue, minute_of

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
SOURCE_KINDS = ("journey", "campaign", "mission", "vip")
# The gate's purposes, and a journey's "service" (the same as transactional here).
PURPOSES = ("promotional", "transactional", "service", "safer_play")
BYPASS = frozenset({"transactional", "service", "safer_play"})
MAX_STEPS = 32   # holds lifted one after another before a wait is given up (never reached in practice)
# Every code `arbitrate` and `choose` give (parameters in <>), in the order a verdict lists
# them; compliance.reasons says each in words, and tests/contact holds the two together.
REASON_CODES = (
    "contact.clear", "contact.bypass:<purpose>", "contact.lower_priority", "contact.expired",
    "contact.cap_day:<n>", "contact.cap_week:<n>", "contact.cap_channel_day:<channel>:<n>",
    "contact.fatigue:<ignored>", "contact.quiet_hours:<start>-<end>",
)
Outcome = Literal["send", "wait", "drop"]
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class ContactRequest(Struct, frozen=True):
    """A contact proposed for one player: who proposes it (`source_kind` journey, campaign,
    mission or vip; `source_id`; `step`), on which channel, for what purpose, how urgent
    (`priority`: higher wins, journeys use 0-1000), until when it is worth sending
    (`expires_at_us`), when it was first proposed (`requested_at_us`; a waiting message
    keeps it when asked again) and its message id (the gate's action id)."""

    source_kind: str
    source_id: str
    step: str
    channel: str
    purpose: str = "promotional"
    priority: int = 0
    expires_at_us: int | None = None
    requested_at_us: int | None = None
    message_id: str = ""

    def __post_init__(self) -> None:
        if self.source_kind not in SOURCE_KINDS:
            raise ValueError(f"source_kind {self.source_kind!r}: use one of {', '.join(SOURCE_KINDS)}")
        if self.purpose not in PURPOSES:
            raise ValueError(f"purpose {self.purpose!r}: use one of {', '.join(PURPOSES)}")

    @property
    def source(self) -> str:
        return f"{self.source_kind}:{self.source_id}"


class Verdict(Struct, frozen=True):
    """send: let it go to the gate now; wait: ask again at `until_us`; drop: never. `reasons`
    are codes (REASON_CODES), the main one first."""

    outcome: Outcome
    reasons: tuple[str, ...]
    until_us: int | None = None

    @property
    def sends(self) -> bool:
        return self.outcome == "send"


@dataclass(frozen=True, slots=True)
class Choice:
    """`choose`'s answer: every request with its verdict, in the order they were settled,
    and the same split by outcome."""

    settled: tuple[tuple[ContactRequest, Verdict], ...]

    def _with(self, outcome: Outcome) -> tuple[tuple[ContactRequest, Verdict], ...]:
        return tuple(pair for pair in self.settled if pair[1].outcome == outcome)

    @property
    def go(self) -> tuple[tuple[ContactRequest, Verdict], ...]:
        return self._with("send")

    @property
    def wait(self) -> tuple[tuple[ContactRequest, Verdict], ...]:
        return self._with("wait")

    @property
    def drop(self) -> tuple[tuple[ContactRequest, Verdict], ...]:
        return self._with("drop")


# -- local time ------------------------------------------------------------------------------
@lru_cache(maxsize=1024)
def zone_of(name: str | None) -> tzinfo:
    """The zone of an IANA name; UTC for none or one this machine does not know."""
    try:
        return ZoneInfo(name) if name else timezone.utc
    except (ValueError, KeyError, OSError):
        return timezone.utc


def local(at_us: int, zone: tzinfo) -> datetime:
    return (_EPOCH + timedelta(microseconds=at_us)).astimezone(zone)


def _us(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


@lru_cache(maxsize=16384)
def _wall(day: date, minute: int, zone: tzinfo) -> tuple[int, ...]:
    """The instants whose local clock reads `minute` (after midnight) on `day`: one, two
    when the clocks go back over it, and the instant just after the jump when they go
    forward over it (a time that never happened there). Cached: players share their zones."""
    day, minute = (day + timedelta(days=1), 0) if minute >= 1440 else (day, minute)
    found = []
    for fold in (0, 1):
        moment = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone, fold=fold)
        at = _us(moment)
        seen = local(at, zone)
        if seen.date() == day and seen.hour * 60 + seen.minute == minute and at not in found:
            found.append(at)
    if not found:   # skipped by a jump forward: the wall time, read at the offset before the jump
        found.append(_us(datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone)))
    return tuple(found)


def _next_wall(after_us: int, day: date, minute: int, zone: tzinfo, days: Iterable[int] = (0, 1, 2)) -> int:
    """The first instant after `after_us` whose local clock reads `minute`, on `day` or the days after."""
    return min(at for d in days for at in _wall(day + timedelta(days=d), minute, zone) if at > after_us)


def _hours(window: Sequence[int]) -> tuple[int, int, str]:
    start, end = window[0] * 60, window[1] * 60
    return start, end, f"{window[0]:02d}:00-{window[1]:02d}:00"


# -- the holds -------------------------------------------------------------------------------
def _fatigued(contacts: tuple[Contact, ...], fatigue: Fatigue, at_us: int) -> bool:
    """The last `after_ignored` contacts old enough to judge were all ignored, and nothing
    since was opened or clicked."""
    judged = sum(1 for c in contacts if c.at_us <= at_us - fatigue.judged_after_hours * HOUR_US)
    if judged < fatigue.after_ignored:
        return False
    return not any(c.engaged for c in contacts[judged - fatigue.after_ignored:])


def _midnight(day: date, zone: tzinfo) -> int:
    """The instant `day` begins in `zone` (the first, if the clocks go back over midnight; the
    jump, if they go forward over it)."""
    return min(_wall(day, 0, zone))


def _holds(request: ContactRequest, contacts: tuple[Contact, ...], policy: ContactPolicy, at_us: int,
           zone: tzinfo, windows: list[tuple[int, int, str]]) -> list[tuple[str, int | None]]:
    """(code, when it lifts; None: not by time alone) for everything holding `request` at `at_us`."""
    now = local(at_us, zone)
    today = now.date()
    monday = today - timedelta(days=today.weekday())
    day_start, next_day = _midnight(today, zone), _midnight(today + timedelta(days=1), zone)
    week_start, next_week = _midnight(monday, zone), _midnight(monday + timedelta(days=7), zone)
    day_n = week_n = channel_n = 0
    for c in contacts:
        if week_start <= c.at_us < next_week:
            week_n += 1
            if day_start <= c.at_us < next_day:
                day_n += 1
                channel_n += c.channel == request.channel
    holds: list[tuple[str, int | None]] = []
    per_day = MAX_CONTACTS if policy.per_day is None else min(policy.per_day, MAX_CONTACTS)
    if day_n >= per_day:
        holds.append((f"contact.cap_day:{per_day}", next_day))
    if policy.per_week is not None and week_n >= policy.per_week:
        holds.append((f"contact.cap_week:{policy.per_week}", next_week))
    channel_cap = policy.per_channel_day.get(request.channel)
    if channel_cap is not None and channel_n >= channel_cap:
        holds.append((f"contact.cap_channel_day:{request.channel}:{channel_cap}", next_day))
    fatigue = policy.fatigue
    if fatigue is not None and _fatigued(contacts, fatigue, at_us):
        code = f"contact.fatigue:{fatigue.after_ignored}"
        if fatigue.pause_days is not None:
            until = contacts[-1].at_us + fatigue.pause_days * DAY_US
            if at_us < until:
                holds.append((code, until))
        elif fatigue.reduce_to_per_week is not None and week_n >= fatigue.reduce_to_per_week:
            holds.append((code, next_week if fatigue.reduce_to_per_week > 0 else None))
    minute = now.hour * 60 + now.minute
    for start, end, said in windows:
        inside = start <= minute < end if start < end else (minute >= start or minute < end)
        if inside:
            holds.append((f"contact.quiet_hours:{said}", _next_wall(at_us, today, end, zone)))
    return holds


def _windows(request: ContactRequest, policy: ContactPolicy,
             market_quiet_hours: Sequence[int] | None) -> list[tuple[int, int, str]]:
    out = []
    quiet = policy.quiet_hours
    if quiet is not None and (quiet.channels is None or request.channel in quiet.channels):
        out.append((minute_of(quiet.start), minute_of(quiet.end), f"{quiet.start}-{quiet.end}"))
    if market_quiet_hours and market_quiet_hours[0] % 24 != market_quiet_hours[1] % 24:
        out.append(_hours(market_quiet_hours))
    return out


# -- the verdict -----------------------------------------------------------------------------
def arbitrate(request: ContactRequest, memory: ContactMemory, policy: ContactPolicy, at_us: int,
              local_tz: str | None = None, market_quiet_hours: Sequence[int] | None = None) -> Verdict:
    """Send, wait or drop `request` at `at_us` (UTC us), the player's zone `local_tz` (an
    IANA name; None: the policy's default_timezone). `market_quiet_hours` are the player's
    market's quiet hours ([start_hour, end_hour) local, JurisdictionRules.marketing.quiet_hours):
    the gate suppresses a promotional message in them, so the arbiter makes it wait instead."""
    expires = request.expires_at_us
    if expires is not None and at_us >= expires:
        return Verdict("drop", ("contact.expired",))
    if request.purpose in BYPASS:
        return Verdict("send", (f"contact.bypass:{request.purpose}",))
    zone = zone_of(local_tz or policy.default_timezone)
    contacts = memory.contacts
    windows = _windows(request, policy, market_quiet_hours)
    seen: list[str] = []
    quiet_only = True
    t: int | None = at_us
    for _ in range(MAX_STEPS):
        holds = _holds(request, contacts, policy, t, zone, windows)
        if not holds:
            break
        for code, _ in holds:
            if code not in seen:
                seen.append(code)
            quiet_only = quiet_only and code.startswith("contact.quiet_hours:")
        lifts = [lift for _, lift in holds]
        if any(lift is None for lift in lifts):
            t = None
            break
        t = max(lift for lift in lifts if lift is not None)
    else:
        t = None
    if not seen:
        return Verdict("send", ("contact.clear",))
    if t is None:
        return Verdict("drop", tuple(seen))
    if expires is not None and t >= expires:
        return Verdict("drop", ("contact.expired", *seen))
    first = request.requested_at_us if request.requested_at_us is not None else at_us
    if not quiet_only and t > first + policy.max_wait_hours * HOUR_US:
        return Verdict("drop", tuple(seen))
    return Verdict("wait", tuple(seen), t)


def contact_of(request: ContactRequest, at_us: int, message_id: str | None = None) -> Contact:
    """The memory entry for `request` sent at `at_us` (for `record`)."""
    return Contact(at_us, request.channel, request.source, request.priority,
                   message_id if message_id is not None else request.message_id)


def rank(request: ContactRequest) -> tuple[object, ...]:
    """The order `choose` settles requests in: bypassing purposes first, then higher
    priority, then the sooner expiry (none last), then source kind, source id, step,
    channel and message id, so the order never depends on the order they were proposed in."""
    expires = request.expires_at_us
    return (request.purpose not in BYPASS, -request.priority, expires is None, expires or 0,
            request.source_kind, request.source_id, request.step, request.channel, request.message_id)


def choose(requests: Iterable[ContactRequest], memory: ContactMemory, policy: ContactPolicy, at_us: int,
           local_tz: str | None = None, market_quiet_hours: Sequence[int] | None = None) -> Choice:
    """Settle several requests at the same moment: in `rank` order, each is arbitrated
    against the memory with the earlier ones that go already in it. One that would have gone
    alone but is held because an earlier one took the place gets contact.lower_priority
    first among its reasons (and waits or drops by the same rule as any held message)."""
    scratch = memory
    settled = []
    for i, request in enumerate(sorted(requests, key=rank)):
        verdict = arbitrate(request, scratch, policy, at_us, local_tz, market_quiet_hours)
        if not verdict.sends and scratch is not memory \
                and arbitrate(request, memory, policy, at_us, local_tz, market_quiet_hours).sends:
            verdict = Verdict(verdict.outcome, ("contact.lower_priority", *verdict.reasons), verdict.until_us)
        if verdict.sends and request.purpose not in BYPASS:
            scratch = record(scratch, contact_of(request, at_us, request.message_id or f"choose:{i}"))
        settled.append((request, verdict))
    return Choice(tuple(settled))
