"""The contact policy: caps, quiet hours and fatigue as configuration, the `contact` section of
the configuration document (compliance.document), versioned and approved with the rest.

Pure: the types, their defaults and the checks the schema cannot express (`problems`, each
with its path inside the section and the value found). docs/contact-policy.md says what
each key does; docs/configuration.md lists them.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from msgspec import Meta, Struct

from croupier.contact.memory import MAX_CONTACTS

# The channels a contact goes on (journeys.CHANNELS says the same; a test holds them equal).
CHANNELS = ("email", "sms", "push", "inbox", "popup")
Count = Annotated[int, Meta(ge=0, le=MAX_CONTACTS)]
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


class QuietHours(Struct, forbid_unknown_fields=True, frozen=True):
    """No promotional contact from `start` until `end`, the player's local time (HH:MM; a
    window that crosses midnight, 21:00 until 09:00, is one window). A message proposed in
    them waits until they end. `channels`: the channels they hold (None: every channel)."""

    start: str = "21:00"
    end: str = "09:00"
    channels: list[str] | None = None


class Fatigue(Struct, forbid_unknown_fields=True, frozen=True):
    """A player who opened or clicked none of their last `after_ignored` promotional contacts
    (each judged once `judged_after_hours` have passed since it went out) gets fewer: at most
    `reduce_to_per_week` a week, or none for `pause_days` days after the latest contact.
    Exactly one of the two is set. An open or a click ends it at once."""

    after_ignored: Annotated[int, Meta(ge=1, le=MAX_CONTACTS)] = 5
    judged_after_hours: Annotated[int, Meta(ge=1, le=24 * 30)] = 72
    reduce_to_per_week: Count | None = 1
    pause_days: Annotated[int, Meta(ge=1, le=365)] | None = None


class ContactPolicy(Struct, forbid_unknown_fields=True, frozen=True):
    """How many promotional contacts one player gets, when, and what happens to the rest.
    Caps count every source (journeys, campaigns, missions, VIP outreach) and channel
    together, per calendar day and per Monday-to-Sunday week of the player's own time zone
    (`default_timezone` for a player without one). None: no such cap (a day still holds at
    most MAX_CONTACTS, the number of contacts a player's memory keeps)."""

    per_day: Count | None = 2
    per_week: Count | None = 7
    per_channel_day: dict[str, Count] = msgspec.field(default_factory=lambda: {"sms": 1})
    quiet_hours: QuietHours | None = msgspec.field(default_factory=QuietHours)
    fatigue: Fatigue | None = msgspec.field(default_factory=Fatigue)
    default_timezone: str = "UTC"
    # A message held by a cap or fatigue waits for its place at most this long after it was
    # first proposed (0: it is dropped at once); quiet hours alone never drop a message.
    max_wait_hours: Annotated[int, Meta(ge=0, le=24 * 14)] = 48


DEFAULT_POLICY = ContactPolicy()


def minute_of(clock: str) -> int:
    """'21:30' -> 1290 (minutes after local midnight; '24:00' is 1440)."""
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


@lru_cache(maxsize=512)
def known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def problems(policy: ContactPolicy) -> list[tuple[str, Any, str]]:
    """(path inside the section, value, message) for each rule the schema cannot express."""
    out: list[tuple[str, Any, str]] = []
    for channel in policy.per_channel_day:
        if channel not in CHANNELS:
            out.append((f"per_channel_day.{channel}", policy.per_channel_day[channel],
                        f"no such channel: use one of {', '.join(CHANNELS)}"))
    if policy.per_day is not None and policy.per_week is not None and policy.per_day > policy.per_week:
        out.append(("per_day", policy.per_day, f"above per_week ({policy.per_week}): the weekly cap would never "
                                               "let a day's cap be reached; raise per_week or lower per_day"))
    if not known_zone(policy.default_timezone):
        out.append(("default_timezone", policy.default_timezone,
                    "an IANA time zone name, e.g. Europe/Malta or UTC"))
    quiet = policy.quiet_hours
    if quiet is not None:
        for name in ("start", "end"):
            clock = getattr(quiet, name)
            if not _CLOCK.match(clock) or (name == "start" and clock == "24:00"):
                out.append((f"quiet_hours.{name}", clock, "a local time HH:MM from 00:00 to 23:59 (end may be 24:00)"))
        if _CLOCK.match(quiet.start) and _CLOCK.match(quiet.end) and minute_of(quiet.start) % 1440 == minute_of(quiet.end) % 1440:
            out.append(("quiet_hours.end", quiet.end, "equals start: quiet hours need a window (for none, set "
                                                      "quiet_hours to null)"))
        for i, channel in enumerate(quiet.channels or ()):
            if channel not in CHANNELS:
                out.append((f"quiet_hours.channels.{i}", channel, f"no such channel: use one of {', '.join(CHANNELS)}"))
        if quiet.channels is not None and not quiet.channels:
            out.append(("quiet_hours.channels", [], "name at least one channel (null: every channel)"))
    fatigue = policy.fatigue
    if fatigue is not None and (fatigue.reduce_to_per_week is None) == (fatigue.pause_days is None):
        out.append(("fatigue.pause_days" if fatigue.pause_days is not None else "fatigue.reduce_to_per_week",
                    fatigue.pause_days if fatigue.pause_days is not None else fatigue.reduce_to_per_week,
                    "set exactly one of fatigue.reduce_to_per_week and fatigue.pause_days (the other null)"))
    return out


def policy_of(config: object) -> ContactPolicy:
    """The contact policy of a configuration: its `contact` section, else the defaults (a
    document without the section, or a plain engine configuration)."""
    return getattr(config, "contact", None) or DEFAULT_POLICY
