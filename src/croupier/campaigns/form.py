"""A one-off campaign as a CRM manager fills it in: an audience (a segment and/or a
condition), a message and/or a bonus, a send time (at launch, at a moment in the operator's
time zone, or at a wall-clock time in each player's own zone), a control group and a throttle.

A campaign *is* a journey: `to_journey` writes it as one with a one-off trigger
(`journeys.Once`), one send (and/or bonus) step, and a group of its own (a campaign never
pre-empts a journey nor is refused beside another campaign: how many contacts a player gets
across campaigns and journeys is the contact arbiter's to decide), so it runs in the same engine, passes the
same contact arbiter and compliance gate, is audited, counted, measured and dry-run like any
journey, and its control group is the journey's holdout. `from_journey` reads the form back
from such a journey (None for a journey that is not in a campaign's shape). Problems found
in the journey are reported at the form's own fields (`problems`). Pure."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Literal

import msgspec
from msgspec import Struct
from msgspec.structs import replace

from croupier.journeys import (
    Bonus, Condition, Duration, Exit, Goal, Journey, JourneyError, Once, Problem, Reentry, Send, once_at,
    problems as journey_problems,
)
from croupier.journeys.definition import shape_problem

MESSAGE_STEP, BONUS_STEP, DONE_STEP = "message", "bonus", "done"
# The journey's JSON paths, and the campaign fields they are.
_PATHS = (("$.trigger.segment_id", "segment_id"), ("$.trigger.condition", "condition"),
          ("$.trigger.at", "send_at"), ("$.trigger.timezone", "timezone"), ("$.trigger.local", "local_time"),
          ("$.trigger.throttle_per_minute", "throttle_per_minute"), ("$.trigger", "segment_id"),
          ("$.holdout_percent", "control_percent"), ("$.goals[0]", "goal"), ("$.steps[0]", "message"),
          ("$.exit_when", "exit_when"), ("$", ""))


class _Part(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    pass


class Message(_Part, kw_only=True):
    """The message: a channel and a template (delivered by the channels work), optionally a
    time-limited offer that is never delivered nor honoured after `expires_after`."""

    channel: str
    template: str
    expires_after: Duration | None = None
    personalise: tuple[str, ...] = ()


class BonusOffer(_Part, kw_only=True):
    """A bonus proposed from a bonus template: a gate-checked proposal."""

    template: str


class Campaign(_Part, kw_only=True):
    """The campaign form; `key` is the journey's (derived from the name when absent)."""

    name: str
    key: str | None = None
    description: str = ""
    purpose: Literal["promotional", "service"] = "promotional"
    segment_id: int | None = None
    condition: Condition | None = None
    message: Message | None = None
    bonus: BonusOffer | None = None
    send_at: str | None = None                  # None: at launch; "YYYY-MM-DDTHH:MM" wall-clock time
    timezone: str = "UTC"                       # the operator's zone for send_at (and local_time's fallback)
    local_time: bool = False                    # send_at in each player's own time zone
    control_percent: int = 0                    # 0..50: kept out and measured (the journey's holdout)
    throttle_per_minute: int | None = None
    goal: Goal | None = None                    # what counts as a conversion, within its window
    exit_when: tuple[Condition, ...] = ()       # checked right before the send: any holds, nothing is sent
    priority: int = 0


def key_from(name: str) -> str:
    """A journey key from a campaign's name: `campaign_` and the name's letters and digits,
    accents dropped, other runs of characters as `_`, at most 64 characters."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name).strip("_")
    return ("campaign_" + slug)[:64].rstrip("_") if slug else "campaign"


def to_journey(campaign: Campaign, version: int = 1) -> Journey:
    """The campaign as a journey: a one-off trigger, the message then the bonus, an exit."""
    steps: list[Send | Bonus | Exit] = []
    if campaign.message is not None:
        m = campaign.message
        steps.append(Send(id=MESSAGE_STEP, channel=m.channel, template=m.template, expires_after=m.expires_after,
                          personalise=m.personalise, next=BONUS_STEP if campaign.bonus is not None else DONE_STEP))
    if campaign.bonus is not None:
        steps.append(Bonus(id=BONUS_STEP, template=campaign.bonus.template, next=DONE_STEP))
    steps.append(Exit(id=DONE_STEP, outcome="sent"))
    key = campaign.key or key_from(campaign.name)
    return Journey(
        key=key, name=campaign.name, version=version, purpose=campaign.purpose,
        description=campaign.description, group=key, priority=campaign.priority,
        trigger=Once(segment_id=campaign.segment_id, condition=campaign.condition, at=campaign.send_at,
                     timezone=campaign.timezone, local=campaign.local_time,
                     throttle_per_minute=campaign.throttle_per_minute),
        steps=tuple(steps), goals=(campaign.goal,) if campaign.goal is not None else (),
        exit_when=campaign.exit_when, reentry=Reentry(policy="never"), holdout_percent=campaign.control_percent)


def from_journey(journey: Journey) -> Campaign | None:
    """The campaign form of a journey in a campaign's shape (see `to_journey`), else None."""
    t = journey.trigger
    if not isinstance(t, Once) or journey.purpose == "safer_play" or len(journey.goals) > 1 \
            or journey.group != journey.key:
        return None
    message = bonus = None
    for step in journey.steps:
        if isinstance(step, Send) and message is None and bonus is None and step.when is None:
            message = Message(channel=step.channel, template=step.template, expires_after=step.expires_after,
                              personalise=step.personalise)
        elif isinstance(step, Bonus) and bonus is None and step.when is None:
            bonus = BonusOffer(template=step.template)
        elif not isinstance(step, Exit):
            return None
    if message is None and bonus is None:
        return None
    return Campaign(name=journey.name, key=journey.key, description=journey.description, purpose=journey.purpose,
                    segment_id=t.segment_id, condition=t.condition, message=message, bonus=bonus, send_at=t.at,
                    timezone=t.timezone, local_time=t.local, control_percent=journey.holdout_percent,
                    throttle_per_minute=t.throttle_per_minute, goal=journey.goals[0] if journey.goals else None,
                    exit_when=journey.exit_when, priority=journey.priority)


def problems(campaign: Campaign) -> list[Problem]:
    """Every problem with the campaign, each at the form's own field (`$.send_at`, `$.message.channel`)."""
    found: list[Problem] = []
    if campaign.message is None and campaign.bonus is None:
        found.append(Problem("$.message", "a campaign sends a message, proposes a bonus, or both: give "
                                          "\"message\" ({\"channel\", \"template\"}) and/or \"bonus\" ({\"template\"})"))
    journey = to_journey(campaign)
    bonus_at = 1 if campaign.message is not None else 0
    for p in journey_problems(journey):
        path = _field(p.path, bonus_at if campaign.bonus is not None else None)
        message = p.message.replace("holdout", "control group") if path == "$.control_percent" else p.message
        found.append(replace(p, path=path, message=message))
    return found


def _field(path: str, bonus_at: int | None) -> str:
    if bonus_at is not None and path.startswith(f"$.steps[{bonus_at}]"):
        return "$.bonus" + path[len(f"$.steps[{bonus_at}]"):]
    for journey_path, name in _PATHS:
        if path == journey_path or path.startswith(journey_path + ".") or path.startswith(journey_path + "["):
            rest = path[len(journey_path):]
            return f"$.{name}{rest}" if name else path
    return path


def passed(campaign: Campaign, at_us: int) -> str | None:
    """Why the campaign's send time has passed at `at_us` (None: it has not, or it sends at
    launch). A send in each player's local time has passed only when it has passed in the
    last zone to reach it (UTC-12)."""
    if campaign.send_at is None:
        return None
    now = datetime.fromtimestamp(at_us // 1_000_000, tz=timezone.utc)
    trigger = Once(at=campaign.send_at, timezone=campaign.timezone, local=campaign.local_time)
    latest = once_at(trigger, now, player_timezone="Etc/GMT+12" if campaign.local_time else None)
    if latest > now:
        return None
    where = "in every time zone" if campaign.local_time else f"in {campaign.timezone}"
    return (f"the send time {campaign.send_at} {where} has passed: set a later send_at, or leave it out to send "
            f"at launch")


def validate(campaign: Campaign) -> Journey:
    """The campaign's journey, or JourneyError with every problem at the form's fields."""
    found = problems(campaign)
    if found:
        raise JourneyError(found)
    return to_journey(campaign)


_DECODER = msgspec.json.Decoder(Campaign, float_hook=Decimal)
_ENCODER = msgspec.json.Encoder(decimal_format="number")
_GENERIC = msgspec.json.Decoder(float_hook=Decimal)


def from_json(data: bytes | str | Any) -> Campaign:
    """The campaign from JSON text or decoded JSON; checks the shape only (`problems` checks
    the rest). Raises JourneyError with the path of the problem."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        return _DECODER.decode(raw if isinstance(raw, bytes) else _ENCODER.encode(raw))
    except msgspec.ValidationError as exc:
        p = shape_problem(str(exc), raw)
        raise JourneyError([replace(p, message=p.message.replace("docs/journeys.md", "docs/campaigns.md"))]) from None
    except msgspec.DecodeError as exc:
        raise JourneyError([Problem("$", f"not valid JSON: {exc}")]) from None


def to_builtins(campaign: Campaign) -> dict[str, Any]:
    """The JSON form as plain dicts and lists (decimals in conditions kept exact)."""
    return _GENERIC.decode(_ENCODER.encode(campaign))  # type: ignore[no-any-return]
