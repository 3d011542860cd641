"""What one pass of the interpreter decided for a player: the actions to take, in order
(messages and bonuses to propose, tags, staff tasks, timers to schedule), and a record of
every decision with its reason, so "why did this player not receive that message?" has an
answer (held out, refused re-entry, left because an exit condition held, a step skipped
because its condition did not hold now...).

Every id is deterministic (`ids`): the same log gives the same proposals, tasks and timers,
and a retried or replayed pass proposes nothing twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Union

from croupier.compliance import Proposal
from croupier.contact import ContactRequest
from croupier.tasks import Source, origin_id

# A journey's purpose as the gate and the arbiter name it.
GATE_PURPOSE = {"promotional": "promotional", "service": "transactional", "safer_play": "safer_play"}


@dataclass(frozen=True, slots=True)
class SendAction:
    """A message to propose: through the contact arbiter (`contact_request`), then the gate
    (`proposal`). `cause_id` is the step's deterministic cause (the gate's action id derives
    from it); `expires_at_us` ends a time-limited offer; `personalise` holds the player's
    values the template receives, read when the step ran."""

    journey_key: str
    version: int
    entry_id: str
    step_id: str
    cause_id: str
    channel: str
    template: str
    purpose: str                                # the message's: promotional, service or safer_play
    priority: int
    at_us: int
    expires_at_us: int | None = None
    personalise: dict[str, Any] = field(default_factory=dict)
    variants: tuple[tuple[str, str], ...] = ()

    def proposal(self, player_id: str) -> Proposal:
        params: dict[str, Any] = {"journey": self.journey_key, "version": self.version, "step": self.step_id,
                                  "entry_id": self.entry_id}
        if self.expires_at_us is not None:
            params["expires_at_us"] = self.expires_at_us
        if self.personalise:
            params["personalise"] = dict(self.personalise)
        if self.variants:
            params["variants"] = dict(self.variants)
        return Proposal(kind="message", name=self.template, player_id=player_id, cause_event_id=self.cause_id,
                        purpose=GATE_PURPOSE[self.purpose], channel=self.channel, params=params)

    def contact_request(self, player_id: str) -> ContactRequest:
        return ContactRequest(source_kind="journey", source_id=self.journey_key, step=self.step_id,
                              channel=self.channel, purpose=GATE_PURPOSE[self.purpose], priority=self.priority,
                              expires_at_us=self.expires_at_us, requested_at_us=self.at_us,
                              message_id=self.proposal(player_id).action_id)


@dataclass(frozen=True, slots=True)
class BonusAction:
    """A bonus to propose from a bonus template: a gate-checked proposal (the bonus work
    executes approved ones)."""

    journey_key: str
    version: int
    entry_id: str
    step_id: str
    cause_id: str
    template: str
    variants: tuple[tuple[str, str], ...] = ()

    def proposal(self, player_id: str) -> Proposal:
        params: dict[str, Any] = {"journey": self.journey_key, "version": self.version, "step": self.step_id,
                                  "entry_id": self.entry_id}
        if self.variants:
            params["variants"] = dict(self.variants)
        return Proposal(kind="bonus", name=self.template, player_id=player_id, cause_event_id=self.cause_id,
                        purpose="promotional", params=params)


@dataclass(frozen=True, slots=True)
class TagAction:
    """Set (or clear) a tag on the player."""

    journey_key: str
    version: int
    entry_id: str
    step_id: str
    cause_id: str
    tag: str
    set: bool = True


@dataclass(frozen=True, slots=True)
class TaskAction:
    """A staff task to create with `croupier.tasks.service.create_task(origin_id=...,
    source=...)`: the origin derives from the cause, so creating it again finds the one made."""

    journey_key: str
    version: int
    entry_id: str
    step_id: str
    cause_id: str
    queue: str
    title: str
    due_at_us: int | None
    seq: int

    @property
    def origin_id(self) -> str:
        return origin_id(self.journey_key, self.version, self.step_id, self.entry_id, self.seq)

    @property
    def source(self) -> Source:
        return Source.journey(self.journey_key, self.version, self.step_id)


@dataclass(frozen=True, slots=True)
class TimerAction:
    """A timer to schedule: at `due_us`, write a timer fact (`event_id` = `timer_id`) that
    the interpreter reads as `Timer(journey_key, entry_id, step_id, due_us)`. A timer that
    arrives after the player moved on is ignored, so nothing needs cancelling."""

    journey_key: str
    entry_id: str
    step_id: str
    due_us: int
    timer_id: str


Action = Union[SendAction, BonusAction, TagAction, TaskAction, TimerAction]

# What happened, as `Record.kind`.
KINDS = ("entered", "held_out", "refused", "step", "skipped", "waiting", "resumed", "exited", "converted",
         "ignored")

# Reason codes (parameters after a colon) and their words: every decision names one.
REASONS: dict[str, str] = {
    "trigger": "the trigger fired and its condition held",
    "trigger_condition": "the trigger fired but its condition did not hold for the player now",
    "already_in": "the player is in this journey already (never twice at the same time)",
    "already_in_holdout": "the player is in this journey's control group already (its goal window is open)",
    "reentry_never": "re-entry is never allowed and the player entered before",
    "reentry_cooldown": "re-entry waits for the cooldown since the previous entry, until {0}",
    "group_busy": "the player is in {0}, a promotional journey of the same group with an equal or higher priority",
    "safer_play_active": "the player is in the safer-play journey {0}: no promotional journey starts meanwhile",
    "exit_when": "an exit condition holds for the player now: {0}",
    "holdout": "the player is in the journey's control group (holdout): nothing is sent, goals are measured",
    "preempted_by": "{0}, a higher-priority journey of the same group, started for the player",
    "safer_play": "the player entered the safer-play journey {0}, which replaces promotions",
    "goal": "the player reached the goal {0}",
    "exit_step": "the player reached the exit step",
    "paused": "the journey was paused or archived before this step",
    "unknown_version": "the version the player entered with is not known at this log position",
    "loop": "the journey went round without waiting (a definition that was never validated)",
    "when_false": "the step's condition does not hold for the player now: {0}",
    "branch_then": "the condition held for the player now: {0}",
    "branch_else": "the condition did not hold for the player now: {0}",
    "split": "the player's variant of the split (the same every time): {0}",
    "wait": "waiting until {0}",
    "wait_for_event": "waiting for {0}",
    "timer": "the wait ended",
    "timeout": "no awaited event came before the timeout",
    "event": "the awaited event arrived",
    "late_event": "the awaited event arrived after the timeout: the timeout decides",
    "stale_timer": "a timer for a step the player is no longer at",
    "action": "the step ran",
    "not_live": "the journey is not live",
}


_MOMENTS = frozenset({"wait", "reentry_cooldown"})


def _moment(at_us: int) -> str:
    return (datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=at_us)).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True, slots=True)
class Record:
    """One decision about a player and a journey: what (`kind`), why (`reason`, a code of
    REASONS with its parameter after a colon), which version, entry and step, when, and the
    event or timer that caused it."""

    kind: str
    journey_key: str
    reason: str
    at_us: int
    cause_id: str
    version: int = 0
    entry_id: str = ""
    step_id: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    def words(self) -> str:
        """The decision in a sentence, for staff."""
        code, _, param = self.reason.partition(":")
        if code in _MOMENTS and param.isdigit():
            param = _moment(int(param))
        text = REASONS.get(code, code).format(param)
        where = f" at step {self.step_id!r}" if self.step_id else ""
        return f"{self.journey_key} v{self.version}{where}: {self.kind.replace('_', ' ')}, because {text}"


@dataclass(frozen=True, slots=True)
class Outcome:
    """One pass's actions, in the order to take them, and its records."""

    actions: tuple[Action, ...] = ()
    records: tuple[Record, ...] = ()

    def of(self, kind: type) -> list[Any]:
        return [a for a in self.actions if isinstance(a, kind)]

    def __bool__(self) -> bool:
        return bool(self.actions or self.records)


NOTHING = Outcome()
