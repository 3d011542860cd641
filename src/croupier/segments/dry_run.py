"""A segment's dry run: what it would have done over a chosen past window of the real log,
had it been live from the window's start, with nothing sent and nothing written.

It stands on the window replay (`engine.window_replay`): every player is refolded from their
history through the engine's own `step`, the segment goes live at the window's start, and
time-only conditions are evaluated as the live sweep evaluates them (each UTC midnight, and
at the window's end), so the entries it counts are the `croupier.segment_entered` facts the
live engine would have written, at the same moments. Who matched at the window's start was
"already in" and is not an entry. For a promotional segment, each entrant is put to the
compliance gate at the moment of entry (`segments.batch.promotion_hold`): how many it would
have held back, by reason. A journey dry run adds an observer to the same replay."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from croupier.compliance.reasons import explain
from croupier.engine.step import StepResult
from croupier.engine.window_replay import START, Scope, replay_window
from croupier.players import EngineConfig, PlayerState
from croupier.players.state import DAY_US
from croupier.segments.batch import promotion_hold
from croupier.segments.definition import Node
from croupier.segments.live import Change, LiveSegment, LiveSegments
from croupier.store import Database

DAY = DAY_US
MAX_DAYS = 90          # the longest window the API, the CLI and the back office replay
MAX_SAMPLE = 1_000
DEFAULT_SAMPLE = 50
UNSAVED = 1            # the id an unsaved definition is replayed under (ids live only in the replay)


@dataclass(frozen=True, slots=True)
class Entry:
    """A player who would have entered at `at_us`; `held`: the reason the gate would have
    held a promotion to them back then (None: it would not, or the segment is not promotional)."""

    player_id: str
    at_us: int
    held: str | None = None


@dataclass
class DryRun:
    """The report. Counts are of entries (a player can enter, leave and enter again);
    `players_entered` counts players."""

    since_us: int
    until_us: int
    purpose: str
    scope: Scope
    already_in: int = 0
    entered: int = 0
    left: int = 0
    in_at_end: int = 0
    players_entered: int = 0
    # UTC date -> count, every date of the window (an event stamped before the window, such
    # as a fact dated back to a registration, is counted on its own date)
    entries_per_day: dict[str, int] = field(default_factory=dict)
    exits_per_day: dict[str, int] = field(default_factory=dict)
    held_back: dict[str, int] = field(default_factory=dict)
    sample: list[Entry] = field(default_factory=list)

    @property
    def held_back_total(self) -> int:
        return sum(self.held_back.values())

    @property
    def cut(self) -> bool:
        return self.scope.cut is not None


def _days(since_us: int, until_us: int) -> list[str]:
    """Every UTC date from the window's start to its end; the end's own date too (the last
    evaluation is at `until`: when that is a midnight, what time alone changes then is
    dated the next day, as the live sweep at that midnight would date it)."""
    first, last = since_us // DAY_US, until_us // DAY_US
    return [day_of(d * DAY_US) for d in range(first, last + 1)]


def day_of(at_us: int) -> str:
    """The UTC date of a moment, as ISO text."""
    return (date(1970, 1, 1) + timedelta(days=at_us // DAY_US)).isoformat()


def dry_run(db: Database, definition: Node, *, since_us: int, until_us: int, config: EngineConfig,
            purpose: str = "promotional", segment_id: int | None = None, sweep_every: int = DAY,
            sample: int = DEFAULT_SAMPLE) -> DryRun:
    """What `definition` would have done over [since, until) of the log (see the module's
    docstring); `sample`: how many entries to list, the earliest first."""
    segment = LiveSegment.of(segment_id or UNSAVED, 0, "dry run", purpose, definition)
    live = LiveSegments({segment.segment_id: segment})
    promotional = purpose == "promotional"
    report = DryRun(since_us, until_us, purpose, Scope(0, 0, 0, None))
    entries: list[Entry] = []
    held: Counter[str] = Counter()
    entrants: set[str] = set()
    days = {d: 0 for d in _days(since_us, until_us)}
    exits = dict(days)

    def observe(player_id: str, state: PlayerState, changes: list[Change], at_us: int,
                result: StepResult | None) -> None:
        for change in changes:
            if change.cause_event_id.startswith(START):
                report.already_in += 1        # matched when the segment went live: not an entry
                continue
            key = day_of(change.at_us)
            if change.entered:
                reason = promotion_hold(state, config, change.at_us) if promotional else None
                if reason is not None:
                    held[reason] += 1
                entries.append(Entry(player_id, change.at_us, reason))
                entrants.add(player_id)
                days[key] = days.get(key, 0) + 1
            else:
                report.left += 1
                exits[key] = exits.get(key, 0) + 1

    def at_end(state: PlayerState) -> None:
        if segment.segment_id in state.segments:
            report.in_at_end += 1

    report.scope = replay_window(db, live, config, since_us=since_us, until_us=until_us, every_us=sweep_every,
                                 observe=observe, at_end=at_end)
    entries.sort(key=lambda e: (e.at_us, e.player_id))
    report.entered = len(entries)
    report.players_entered = len(entrants)
    report.entries_per_day, report.exits_per_day = dict(sorted(days.items())), dict(sorted(exits.items()))
    report.held_back = dict(sorted(held.items(), key=lambda kv: (-kv[1], kv[0])))
    report.sample = entries[:max(0, sample)]
    return report


def _iso(us: int) -> str:
    return datetime.fromtimestamp(us // 1_000_000, tz=timezone.utc).replace(
        microsecond=us % 1_000_000).isoformat().replace("+00:00", "Z")


def as_dict(report: DryRun, *, shown: Any = None) -> dict[str, Any]:
    """The report as JSON; `shown` maps a held-back reason code to the code a reader may
    see (AML reasons are neutral for staff without AML access), the identity by default."""
    show = shown or (lambda code: code)
    held: Counter[str] = Counter()
    for code, n in report.held_back.items():
        held[show(code)] += n
    scope = report.scope
    return {
        "since": _iso(report.since_us), "until": _iso(report.until_us), "purpose": report.purpose,
        "players": {"with_history": scope.players, "evaluated": scope.evaluated, "events": scope.events},
        "cut": scope.cut,
        "already_in": report.already_in, "entered": report.entered, "players_entered": report.players_entered,
        "left": report.left, "in_at_end": report.in_at_end,
        "entries_per_day": [{"date": d, "entered": report.entries_per_day.get(d, 0),
                             "left": report.exits_per_day.get(d, 0)}
                            for d in sorted(report.entries_per_day.keys() | report.exits_per_day.keys())],
        "held_back": {"total": report.held_back_total,
                      "by_reason": [{"code": c, "text": explain(c).text, "entries": n}
                                    for c, n in sorted(held.items(), key=lambda kv: (-kv[1], kv[0]))]},
        "sample": [{"player_id": e.player_id, "entered_at": _iso(e.at_us),
                    "held": None if e.held is None else {"code": show(e.held), "text": explain(show(e.held)).text}}
                   for e in report.sample],
    }
