"""A player's journey state, folded by the engine beside the rest of `PlayerState`: where
they are in each journey they are in (a `Run`), and what is kept about each journey after
they leave it (`History`: re-entry and goal conversion). Compact and bounded: one `Run` per
live journey key at most, one `History` per journey key the player ever entered, each a
few integers and short strings, encoded as arrays.

Nothing here is a copy of the player's values: conditions are always checked against the
values the player has when a step runs (`interpreter.advance`), never against values seen
at entry."""

from __future__ import annotations

from msgspec import Struct, field


class Run(Struct, array_like=True, omit_defaults=True):
    """The player's place in one journey: the version they entered (they finish on it), the
    entry's id and cause, when they entered, the step they wait at, and for how long."""

    version: int
    entry_id: str                               # see ids.entry_id: key, version, player, cause
    cause_id: str                               # the event (or trigger firing) that made them enter
    entered_us: int
    step: str = ""                              # the step they wait at (a wait or a wait_for_event)
    until_us: int = 0                           # the wait ends (or the wait for an event times out) then
    event: str = ""                             # wait_for_event: the event type awaited
    variants: tuple[tuple[str, str], ...] = ()  # (split step id, variant name), in the order taken
    seq: int = 0                                # steps taken in this entry: a step revisited gets a new id

    def variant(self, split_id: str) -> str | None:
        return next((name for step, name in self.variants if step == split_id), None)


class History(Struct, array_like=True, omit_defaults=True):
    """What is kept of one journey after the player leaves it: how often and when they
    entered (re-entry), their latest entry (version, id, held out or not), the moment goals
    stop counting for it and the goals it reached (conversion)."""

    entries: int = 0
    last_version: int = 0
    last_entry_id: str = ""
    last_entered_us: int = 0
    last_exit_us: int | None = None
    holdout: bool = False                       # the latest entry was held out (the control group)
    window_until_us: int = 0                    # goals of the latest entry count until then
    converted: tuple[tuple[str, int], ...] = ()  # (goal name, when) for the latest entry

    def reached(self, goal: str) -> bool:
        return any(name == goal for name, _ in self.converted)


class JourneyState(Struct, omit_defaults=True):
    """Per player: the journeys they are in now (`runs`, by journey key) and the history of
    every journey they entered (`history`, by key). `advance` mutates it in place."""

    runs: dict[str, Run] = field(default_factory=dict)
    history: dict[str, History] = field(default_factory=dict)
    # The refusal last recorded per journey key since the player last entered it (its code
    # without parameters): the same refusal again is not recorded again (an audit log of the
    # same "already in" on every login says nothing new). A state saved before loads empty.
    refused: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.runs) or bool(self.history)

    def held_out(self, key: str, at_us: int) -> bool:
        """The player is in the journey's control group now (held out, goals still counting)."""
        h = self.history.get(key)
        return h is not None and h.holdout and at_us <= h.window_until_us
