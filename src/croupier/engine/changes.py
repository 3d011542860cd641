"""What a fold changed that journeys trigger on and that no producer sends: the player's
lifecycle stage and RG risk level. The step notices a change (`Watch`), and the engine
writes it to the log as a fact (`croupier.stage_changed`, `croupier.rg_level_changed`) after
the batch, like a segment entry, so journeys fold it at its own position and a replay folds
the same one. Its id derives from the player, the change and the event that caused it: a
batch retried or replayed writes nothing twice.

The stage is a function of the state and the moment (`players.lifecycle_stage`), so time
alone moves it ("lapsed" after days without play). Before folding an event the step asks
what the stage has become since the last fold; the scheduled stage sweep
(`journeys.scheduler`) writes a `croupier.segment_sweep` timer fact for each player whose
stage time has moved, so the change is noticed when it happens, not at their next event.
The RG level moves only in a fold (`protection.risk.settle`).

Pure: the facts are written only while a live journey can react to them (a trigger, a goal
or a wait on the type), which the log position alone decides."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from croupier.events import Event, RgLevelChanged, StageChanged
from croupier.journeys.run import LiveJourneys, concerns
from croupier.players import PlayerState, lifecycle_stage, moment
from croupier.players.config import LifecycleConfig

STAGE_CHANGED = "croupier.stage_changed"
RG_LEVEL_CHANGED = "croupier.rg_level_changed"
_LEVELS = ("none", "low", "medium", "high", "severe")


@dataclass(frozen=True, slots=True)
class Changed:
    """One change a fold made: `kind` is the fact type, `before` and `after` the values,
    `at_us` and `cause_event_id` the event (or sweep) whose fold made it."""

    kind: str
    before: str
    after: str
    at_us: int
    cause_event_id: str


def stage_now(state: PlayerState, at_us: int, config: LifecycleConfig) -> str:
    """The stage as of the later of `at_us` and the player's latest event: a late event (an
    older `occurred_at`) does not take the stage back in time."""
    last = state.last_event_us
    return lifecycle_stage(state, at_us if last is None or at_us > last else last, config)


@dataclass(slots=True)
class Watch:
    """Taken right before the fold of one event: the stage time has moved the player to
    (noted as a change of its own) and the RG level before."""

    stage: str
    level: str
    changed: list[Changed]

    @classmethod
    def before(cls, state: PlayerState, at_us: int, config: LifecycleConfig, cause_event_id: str) -> Watch:
        changed: list[Changed] = []
        stage = stage_now(state, at_us, config)
        if state.stage and stage != state.stage:   # the first stage seen is where the player starts
            changed.append(Changed(STAGE_CHANGED, state.stage, stage, at_us, cause_event_id))
        state.stage = stage
        return cls(stage, state.protection.risk_level, changed)

    def after(self, state: PlayerState, at_us: int, config: LifecycleConfig, cause_event_id: str,
              journeys: LiveJourneys) -> list[Changed] | None:
        """The changes of this fold (`state` is the player's state after it, a refold's
        included) that a live journey can react to (None: none)."""
        stage = stage_now(state, at_us, config)
        if stage != self.stage and self.stage:
            self.changed.append(Changed(STAGE_CHANGED, self.stage, stage, at_us, cause_event_id))
        state.stage = stage
        level = state.protection.risk_level
        if level != self.level:
            self.changed.append(Changed(RG_LEVEL_CHANGED, self.level, level, at_us, cause_event_id))
        if not self.changed or not (journeys or state.journeys):
            return None
        wanted = [c for c in self.changed if concerns(journeys, state.journeys, c.kind)]
        return wanted or None


def change_fact(player_id: str, brand: str, c: Changed) -> Event:
    """The fact for a change, its id derived from the player, the change and its cause."""
    digest = hashlib.sha256(f"{c.kind}|{player_id}|{c.before}|{c.after}|{c.cause_event_id}".encode()).hexdigest()[:32]
    common = dict(player_id=player_id, brand=brand or "croupier", occurred_at=moment(c.at_us), actor="engine",
                  cause_event_id=c.cause_event_id)
    if c.kind == STAGE_CHANGED:
        return StageChanged(event_id=f"stage:{digest}", from_=c.before, to=c.after, **common)  # type: ignore[arg-type]
    return RgLevelChanged(event_id=f"rg:{digest}", from_=c.before, to=c.after,  # type: ignore[arg-type]
                          rising=_LEVELS.index(c.after) > _LEVELS.index(c.before), **common)
