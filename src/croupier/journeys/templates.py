"""Ready-made journeys an operator switches on (and may copy and adjust): welcome towards the
first deposit, second-deposit nudge, abandoned deposit, reactivation after 7 days idle,
VIP escalation, milestones (registration anniversary) and the safer-play journey. Each is a
definition in the JSON form, validated like any other (a test keeps them valid).

Promotional templates leave as soon as the player is excluded, at medium RG risk or above,
or no longer AML-clear (`SAFE`): the gate would suppress their contact anyway, and leaving
early keeps the journey's results honest. The safer-play template triggers on
`croupier.rg_level_changed`, the fact the engine writes when a fold changes the RG level."""

from __future__ import annotations

from functools import lru_cache
from types import MappingProxyType
from collections.abc import Mapping
from typing import Any

from croupier.journeys.definition import Journey
from croupier.journeys.validate import load

# Leave a promotional journey when marketing should stop (checked before every step).
NOT_SAFE = ("excluded = true or rg.level >= medium or rg.promotions_paused = true or aml.status != clear "
            "or protection.exclusion_days_ago is set")
APPROVED = 'event.status = "approved"'

_WELCOME: dict[str, Any] = {
    "key": "welcome", "name": "Welcome towards the first deposit", "version": 1, "purpose": "promotional",
    "group": "onboarding", "priority": 50, "holdout_percent": 10,
    "description": "From registration: a welcome message, then reminders and a first-deposit offer until the "
                   "player deposits (the goal) or a week passes.",
    "trigger": {"kind": "event", "event": "player.registered"},
    "steps": [
        {"kind": "send", "id": "welcome", "channel": "email", "template": "welcome"},
        {"kind": "wait", "id": "wait-1d", "duration": "P1D"},
        {"kind": "branch", "id": "deposited", "condition": "first_deposit_at is set", "then": "done", "else": "offer"},
        {"kind": "bonus", "id": "offer", "template": "first_deposit_match"},
        {"kind": "send", "id": "offer-message", "channel": "push", "template": "welcome_first_deposit_offer",
         "expires_after": "P3D"},
        {"kind": "wait", "id": "wait-3d", "duration": "P3D"},
        {"kind": "send", "id": "reminder", "channel": "email", "template": "welcome_reminder",
         "when": "first_deposit_at is not set"},
        {"kind": "exit", "id": "done"},
    ],
    "goals": [{"name": "first_deposit", "event": "payment.deposit", "condition": APPROVED, "window": "P7D"}],
    "exit_when": [NOT_SAFE],
    "reentry": {"policy": "never"},
}

_SECOND_DEPOSIT: dict[str, Any] = {
    "key": "second_deposit", "name": "Second-deposit nudge", "version": 1, "purpose": "promotional",
    "group": "onboarding", "priority": 40, "holdout_percent": 10,
    "description": "After the first approved deposit: a nudge a day later and a reload offer, A/B tested "
                   "between email and push, until the second deposit.",
    "trigger": {"kind": "event", "event": "payment.deposit",
                "condition": f"{APPROVED} and deposit_count_lifetime = 1"},
    "steps": [
        {"kind": "wait", "id": "wait-1d", "duration": "P1D"},
        {"kind": "split", "id": "channel-test", "variants": [
            {"name": "email", "weight": 50, "next": "nudge-email"},
            {"name": "push", "weight": 50, "next": "nudge-push"}]},
        {"kind": "send", "id": "nudge-email", "channel": "email", "template": "second_deposit_nudge", "next": "wait-2d"},
        {"kind": "send", "id": "nudge-push", "channel": "push", "template": "second_deposit_nudge", "next": "wait-2d"},
        {"kind": "wait", "id": "wait-2d", "duration": "P2D"},
        {"kind": "bonus", "id": "reload", "template": "second_deposit_reload"},
        {"kind": "send", "id": "reload-message", "channel": "inbox", "template": "second_deposit_reload",
         "expires_after": "P4D"},
        {"kind": "exit", "id": "done"},
    ],
    "goals": [{"name": "second_deposit", "event": "payment.deposit",
               "condition": f"{APPROVED} and deposit_count_lifetime >= 2", "window": "P7D"}],
    "exit_when": [NOT_SAFE],
    "reentry": {"policy": "never"},
}

_ABANDONED_DEPOSIT: dict[str, Any] = {
    "key": "abandoned_deposit", "name": "Abandoned deposit", "version": 1, "purpose": "promotional",
    "group": "in_session", "priority": 70, "holdout_percent": 10,
    "description": "A deposit started in the cashier and not completed within 10 minutes: a pop-up offering "
                   "help, valid 15 minutes. Needs the front-end signal frontend.deposit_started.",
    "trigger": {"kind": "event", "event": "frontend.deposit_started"},
    "steps": [
        {"kind": "wait_for_event", "id": "completed", "event": "payment.deposit", "condition": APPROVED,
         "timeout": "PT10M", "on_event": "done", "on_timeout": "help"},
        {"kind": "send", "id": "help", "channel": "popup", "template": "deposit_help", "expires_after": "PT15M"},
        {"kind": "exit", "id": "done"},
    ],
    "goals": [{"name": "deposit_completed", "event": "payment.deposit", "condition": APPROVED, "window": "PT1H"}],
    "exit_when": [NOT_SAFE],
    "reentry": {"policy": "after", "cooldown": "P1D"},
}

_REACTIVATION: dict[str, Any] = {
    "key": "reactivation_7d", "name": "Reactivation after 7 days idle", "version": 1, "purpose": "promotional",
    "group": "retention", "priority": 30, "holdout_percent": 10,
    "description": "Every morning, players whose latest bet was 7 to 13 days ago: a message for the category "
                   "they played most in the last 90 days (sports or casino, the category passed to the "
                   "template), a reminder 3 days later. Leaves at once when any RG marker is set.",
    "trigger": {"kind": "schedule", "every": "day", "at": "10:00", "timezone": "UTC",
                "condition": "days_since_last_bet between 7 and 13 and deposit_count_lifetime >= 1"},
    "steps": [
        {"kind": "branch", "id": "sports-or-casino", "condition": 'favourite_category_90d = "sports"',
         "then": "sports", "else": "casino"},
        {"kind": "send", "id": "sports", "channel": "email", "template": "reactivation_sports",
         "personalise": ["favourite_category_90d"], "next": "wait-3d"},
        {"kind": "send", "id": "casino", "channel": "email", "template": "reactivation_casino",
         "personalise": ["favourite_category_90d"], "next": "wait-3d"},
        {"kind": "wait", "id": "wait-3d", "duration": "P3D"},
        {"kind": "branch", "id": "back", "condition": "days_since_last_bet < 3", "then": "done", "else": "reminder"},
        {"kind": "send", "id": "reminder", "channel": "push", "template": "reactivation_reminder",
         "personalise": ["favourite_category_90d"]},
        {"kind": "exit", "id": "done"},
    ],
    "goals": [{"name": "returned", "event": "payment.deposit", "condition": APPROVED, "window": "P7D"}],
    "exit_when": ["rg.markers >= 1", NOT_SAFE],
    "reentry": {"policy": "after", "cooldown": "P30D"},
}

_VIP_ESCALATION: dict[str, Any] = {
    "key": "vip_escalation", "name": "VIP escalation", "version": 1, "purpose": "promotional",
    "group": "vip", "priority": 60,
    "description": "Approved deposits reaching 5,000 in 30 days (in the player's currency), at low RG risk: "
                   "a task for a VIP host to call, and the tag vip_candidate.",
    "trigger": {"kind": "event", "event": "payment.deposit",
                "condition": f"{APPROVED} and deposit_sum_30d >= 5000 and rg.level <= low"},
    "steps": [
        {"kind": "tag", "id": "candidate", "tag": "vip_candidate"},
        {"kind": "task", "id": "host-call", "queue": "vip_host", "title": "Call a VIP candidate: deposits reached "
                                                                          "5,000 in 30 days", "due_in": "P2D"},
        {"kind": "exit", "id": "done"},
    ],
    "exit_when": [NOT_SAFE],
    "reentry": {"policy": "after", "cooldown": "P90D"},
}

_MILESTONES: dict[str, Any] = {
    "key": "milestone_anniversary", "name": "Milestone: registration anniversary", "version": 1,
    "purpose": "promotional", "group": "milestones", "priority": 20, "holdout_percent": 10,
    "description": "On the player's registration anniversary at noon, their local time: a thank-you in the "
                   "inbox, with a free-spins proposal for players who played in the last 90 days.",
    "trigger": {"kind": "date", "date": "registration_anniversary", "at": "12:00"},
    "steps": [
        {"kind": "branch", "id": "active", "condition": "bet_count_90d >= 1", "then": "gift", "else": "thanks"},
        {"kind": "bonus", "id": "gift", "template": "anniversary_free_spins"},
        {"kind": "send", "id": "thanks", "channel": "inbox", "template": "anniversary_thanks"},
        {"kind": "exit", "id": "done"},
    ],
    "exit_when": [NOT_SAFE],
    "reentry": {"policy": "always"},
}

_SAFER_PLAY: dict[str, Any] = {
    "key": "safer_play", "name": "Safer play when RG risk rises", "version": 1, "purpose": "safer_play",
    "group": "safer_play", "priority": 1000,
    "description": "When the RG risk level rises to medium or above: safer-play tools in the inbox at once, "
                   "a task for an RG officer at high risk, and a follow-up email three days later. Replaces "
                   "promotions: entering it ends the player's promotional journeys.",
    "trigger": {"kind": "event", "event": "croupier.rg_level_changed",
                "condition": "event.rising = true and event.to >= medium"},
    "steps": [
        {"kind": "tag", "id": "mark", "tag": "safer_play"},
        {"kind": "send", "id": "tools", "channel": "inbox", "template": "safer_play_tools"},
        {"kind": "branch", "id": "high", "condition": "rg.level >= high", "then": "officer", "else": "wait-3d"},
        {"kind": "task", "id": "officer", "queue": "rg_officer", "title": "Review a player whose RG risk is high",
         "due_in": "P1D"},
        {"kind": "wait", "id": "wait-3d", "duration": "P3D"},
        {"kind": "send", "id": "follow-up", "channel": "email", "template": "safer_play_follow_up"},
        {"kind": "exit", "id": "done"},
    ],
    "reentry": {"policy": "after", "cooldown": "P7D"},
}

_SOURCES: Mapping[str, Mapping[str, Any]] = MappingProxyType({t["key"]: t for t in (
    _WELCOME, _SECOND_DEPOSIT, _ABANDONED_DEPOSIT, _REACTIVATION, _VIP_ESCALATION, _MILESTONES, _SAFER_PLAY)})
TEMPLATE_KEYS: tuple[str, ...] = tuple(_SOURCES)


@lru_cache(maxsize=1)
def templates() -> Mapping[str, Journey]:
    """Every ready-made journey by key, validated (JourneyError here is a bug in this module)."""
    return MappingProxyType({key: load(source) for key, source in _SOURCES.items()})


def template(key: str) -> Journey:
    """One ready-made journey; KeyError names the keys there are."""
    try:
        return templates()[key]
    except KeyError:
        raise KeyError(f"no ready-made journey {key!r}: there are {', '.join(TEMPLATE_KEYS)}") from None
