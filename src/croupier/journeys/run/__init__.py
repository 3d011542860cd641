"""Journeys running: the per-player journey state the engine folds, the live journeys
compiled from their activations, and the pure interpreter (`advance`) that moves a player
through them on every event, timer and trigger firing, returning the actions to take and
the reason for every decision. docs/journeys.md (How a journey runs) says the rules.

Pure, like `croupier.journeys`; a face of its own (not re-exported there) because it builds
on the gate's proposals, the contact arbiter's requests and the task queue's origins, which
themselves read the journey definitions."""

from croupier.journeys.run.happenings import FIRED, TIMER, Fired, Happening, Occurrence, Timer, occurrence_of
from croupier.journeys.run.ids import entry_id, step_cause, timer_id
from croupier.journeys.run.interpreter import ValuesOf, advance, concerns
from croupier.journeys.run.live import EMPTY, Check, CompiledGoal, CompiledJourney, LiveJourneys, compile_journey
from croupier.journeys.run.outcome import (
    GATE_PURPOSE, KINDS, NOTHING, REASONS, Action, BonusAction, Outcome, Record, SendAction, TagAction, TaskAction,
    TimerAction,
)
from croupier.journeys.run.state import History, JourneyState, Run

__all__ = [
    "EMPTY", "FIRED", "GATE_PURPOSE", "KINDS", "NOTHING", "REASONS", "TIMER", "Action", "BonusAction", "Check",
    "CompiledGoal", "CompiledJourney", "Fired", "Happening", "History", "JourneyState", "LiveJourneys",
    "Occurrence", "Outcome", "Record", "Run", "SendAction", "TagAction", "TaskAction", "Timer", "TimerAction",
    "ValuesOf", "advance", "compile_journey", "concerns", "entry_id", "occurrence_of", "step_cause", "timer_id",
]
