"""A journey's dry run: what it would have done over a chosen past window of the real log,
had it been live from the window's start, with nothing sent and nothing written.

It stands on the window replay (`engine.window_replay`), like the segment's dry run: every
player is refolded from their history through the engine's own `step` (their state at the
window's start is the one the log makes), the journey goes live at the window's start, and
from then on every event is folded with it live, so the interpreter, the contact rules and
the compliance gate decide exactly as they would have live. The timer facts its waits ask
for are made by the replay at their due times, so waits end inside the window as they would
have. What comes back is counted here: entries (and the control group) by day, each step's
players, the messages and bonuses it would have proposed and what the gate would have done
with them (suppressions by reason, in words), goal conversions, the staff tasks it would
have created, and a sample of players with what they would have received and when.

Only this journey is live in the replay: the other journeys, live or not, are not run beside
it (their messages do not count towards the gate's caps here, and group priorities between
them are not applied). Schedule, date and one-off triggers fire as the live scheduler would
have fired them (no throttle). The journey's own record starts empty at the window's start: a player who went
through it for real before then may enter again here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from croupier.compliance.reasons import explain
from croupier.engine.step import StepResult
from croupier.engine.window_replay import Scope, replay_window
from croupier.journeys.definition import Exit, Journey, Wait, WaitForEvent, to_builtins
from croupier.journeys.run import CompiledJourney, LiveJourneys, Record, TaskAction
from croupier.players import EngineConfig, PlayerState
from croupier.players.state import DAY_US
from croupier.segments.dry_run import day_of
from croupier.segments.live import EMPTY as NO_SEGMENTS
from croupier.store import Database

MAX_DAYS = 90          # the longest window the API, the CLI and the back office replay
MAX_SAMPLE = 200       # players listed with what they would have received
DEFAULT_SAMPLE = 20
_WAITS = (Wait, WaitForEvent)


@dataclass
class Proposed:
    """One message or bonus the journey would have proposed, and the gate's verdict on it."""

    at_us: int
    action_id: str               # the gate's id for it: the one the live engine would have audited
    step_id: str
    kind: str                    # message or bonus
    channel: str | None
    template: str
    allowed: bool
    reasons: tuple[str, ...]


@dataclass
class Trail:
    """One player's part in the dry run, for the sample."""

    player_id: str
    entries: list[tuple[int, bool]] = field(default_factory=list)     # (when, held out)
    received: list[Proposed] = field(default_factory=list)
    tasks: list[tuple[int, str, str, str]] = field(default_factory=list)   # (when, step, queue, title)
    converted: list[tuple[int, str, bool]] = field(default_factory=list)   # (when, goal, held out)
    left: list[tuple[int, str, str]] = field(default_factory=list)         # (when, reason, in words)
    waiting_at: str | None = None


@dataclass
class StepCount:
    reached: int = 0
    skipped: int = 0
    ended: int = 0               # a wait that ended (its time, or the awaited event, or its timeout)
    waiting_at_end: int = 0
    ways: Counter[str] = field(default_factory=Counter)   # a branch's then/else, a split's variants


@dataclass
class JourneyDryRun:
    """The report. Counts of entries count every entry (a player may enter again under the
    re-entry policy); `players_entered` counts players."""

    journey: Journey
    since_us: int
    until_us: int
    scope: Scope
    entered: int = 0
    held_out: int = 0
    players_entered: int = 0
    in_journey_at_end: int = 0
    entries_per_day: dict[str, list[int]] = field(default_factory=dict)      # date -> [entered, held out]
    refused: Counter[str] = field(default_factory=Counter)                   # reason -> entries refused
    exited: Counter[str] = field(default_factory=Counter)                    # reason -> players who left
    steps: dict[str, StepCount] = field(default_factory=dict)
    proposed: list[Proposed] = field(default_factory=list)
    tasks: Counter[tuple[str, str, str]] = field(default_factory=Counter)    # (step, queue, title) -> tasks
    conversions: Counter[tuple[str, bool]] = field(default_factory=Counter)  # (goal, held out) -> conversions
    converted_players: dict[tuple[str, bool], set[str]] = field(default_factory=dict)
    sample: list[Trail] = field(default_factory=list)

    @property
    def cut(self) -> bool:
        return self.scope.cut is not None

    def suppressions(self) -> Counter[str]:
        """Reason code -> the proposals the gate would have suppressed with it (a proposal
        suppressed for two reasons counts under both)."""
        out: Counter[str] = Counter()
        for p in self.proposed:
            if not p.allowed:
                out.update(p.reasons)
        return out


def _words(key: str, reason: str) -> str:
    """A journey decision's reason in a sentence (what `Record.words` says after "because")."""
    return Record("refused", key, reason, 0, "").words().partition("because ")[2]


def dry_run(db: Database, compiled: CompiledJourney, *, since_us: int, until_us: int, config: EngineConfig,
            sample: int = DEFAULT_SAMPLE) -> JourneyDryRun:
    """What `compiled` would have done over [since, until) of the log (see the module's
    docstring); `sample`: how many players to list, the earliest entrants first."""
    key = compiled.key
    journeys = LiveJourneys({(key, compiled.version): compiled}, {key: compiled.version})
    report = JourneyDryRun(compiled.journey, since_us, until_us, Scope(0, 0, 0, None))
    report.steps = {s.id: StepCount() for s in compiled.journey.steps}
    first, last = since_us // DAY_US, (until_us - 1) // DAY_US
    report.entries_per_day = {day_of(d * DAY_US): [0, 0] for d in range(first, last + 1)}
    trails: dict[str, Trail] = {}

    def trail(player_id: str) -> Trail:
        found = trails.get(player_id)
        if found is None:
            found = trails[player_id] = Trail(player_id)
        return found

    def stepped(player_id: str, result: StepResult) -> None:
        outcome = result.journeys
        if outcome is not None:
            for r in outcome.records:
                if r.journey_key == key:
                    _count(report, r, player_id, trail)
            for action in outcome.actions:
                if isinstance(action, TaskAction) and action.journey_key == key:
                    report.tasks[(action.step_id, action.queue, action.title)] += 1
                    trail(player_id).tasks.append(
                        (result.at_us, action.step_id, action.queue, action.title))
        for d in result.decisions:
            p = d.proposal
            if p.params.get("journey") != key:
                continue                     # the engine's own reactions (a welcome email...)
            proposed = Proposed(result.at_us, p.action_id, str(p.params.get("step", "")), p.kind, p.channel, p.name,
                                d.allowed, tuple(d.reasons))
            report.proposed.append(proposed)
            trail(player_id).received.append(proposed)

    def at_end(state: PlayerState) -> None:
        run = state.journeys.runs.get(key)
        if run is not None:
            report.in_journey_at_end += 1
            if run.step in report.steps:
                report.steps[run.step].waiting_at_end += 1
            if state.player_id in trails:
                trails[state.player_id].waiting_at = run.step

    report.scope = replay_window(db, NO_SEGMENTS, config, since_us=since_us, until_us=until_us,
                                 observe=lambda *_: None, at_end=at_end, journeys=journeys, stepped=stepped)
    entrants = [t for t in trails.values() if t.entries]
    report.players_entered = len(entrants)
    entrants.sort(key=lambda t: (t.entries[0][0], t.player_id))
    report.sample = entrants[:max(0, sample)]
    report.proposed.sort(key=lambda p: p.at_us)
    return report


def _count(report: JourneyDryRun, r: Record, player_id: str, trail: Callable[[str], Trail]) -> None:
    """Count one journey record (and note it on the player's trail)."""
    steps = report.steps
    if r.kind in ("entered", "held_out"):
        held = r.kind == "held_out"
        if held:
            report.held_out += 1
        else:
            report.entered += 1
        report.entries_per_day.setdefault(day_of(r.at_us), [0, 0])[held] += 1
        trail(player_id).entries.append((r.at_us, held))
    elif r.kind == "refused":
        report.refused[r.reason] += 1
    elif r.kind in ("step", "skipped", "waiting") and r.step_id in steps:
        count = steps[r.step_id]
        count.reached += 1
        if r.kind == "skipped":
            count.skipped += 1
        code, _, param = r.reason.partition(":")
        if code in ("branch_then", "branch_else"):
            count.ways[code[len("branch_"):]] += 1
        elif code == "split":
            count.ways[param] += 1
    elif r.kind == "resumed" and r.step_id in steps:
        steps[r.step_id].ended += 1
    elif r.kind == "exited":
        report.exited[r.reason] += 1
        if r.reason == "exit_step" and r.step_id in steps:
            steps[r.step_id].reached += 1
        trail(player_id).left.append((r.at_us, r.reason, _words(r.journey_key, r.reason)))
    elif r.kind == "converted":
        goal, held = str(r.detail.get("goal", r.reason.partition(":")[2])), bool(r.detail.get("holdout"))
        report.conversions[(goal, held)] += 1
        report.converted_players.setdefault((goal, held), set()).add(player_id)
        trail(player_id).converted.append((r.at_us, goal, held))


# -- as JSON ----------------------------------------------------------------------------------

def _iso(us: int) -> str:
    return datetime.fromtimestamp(us // 1_000_000, tz=timezone.utc).replace(
        microsecond=us % 1_000_000).isoformat().replace("+00:00", "Z")


def _step_kind(step: Any) -> str:
    return str(step.__struct_config__.tag)


def _passed(step: Any, count: StepCount) -> int:
    """Who went on past the step: a wait's players once it ended; an exit's nobody (they left
    there); every other step's players as they reached it (a skipped step is passed too)."""
    if isinstance(step, _WAITS):
        return count.ended
    if isinstance(step, Exit):
        return 0
    return count.reached


MAX_CODES = 10         # the distinct codes listed under one reason


def _by_reason(counts: Counter[str]) -> list[dict[str, Any]]:
    """Suppressions grouped by the reason's code without its parameters (`stale_data` of
    many ages is one reason), each with its distinct codes (`no_consent:email`, ...)."""
    heads: dict[str, Counter[str]] = {}
    for code, n in counts.items():
        heads.setdefault(code.partition(":")[0], Counter())[code] += n
    out = []
    for head, codes in heads.items():
        ranked = sorted(codes.items(), key=lambda kv: (-kv[1], kv[0]))
        said = explain(head)
        text = explain(ranked[0][0]).text if len(codes) == 1 or not said.known else said.text
        out.append({"code": head, "text": text, "proposals": sum(codes.values()),
                    "codes": [{"code": c, "text": explain(c).text, "proposals": n} for c, n in ranked[:MAX_CODES]],
                    "more_codes": max(0, len(ranked) - MAX_CODES)})
    return sorted(out, key=lambda r: (-r["proposals"], r["code"]))


def as_dict(report: JourneyDryRun, *, shown: Any = None) -> dict[str, Any]:
    """The report as JSON; `shown` maps a gate reason code to the code a reader may see (AML
    reasons are neutral for staff without AML access), the identity by default."""
    show = shown or (lambda code: code)
    j, scope, key = report.journey, report.scope, report.journey.key

    def reasons(codes: tuple[str, ...]) -> list[dict[str, str]]:
        return [{"code": show(c), "text": explain(show(c)).text} for c in codes]

    by_step: Counter[tuple[str, str, str | None, str]] = Counter()
    allowed: Counter[tuple[str, str, str | None, str]] = Counter()
    for p in report.proposed:
        row = (p.step_id, p.kind, p.channel, p.template)
        by_step[row] += 1
        allowed[row] += p.allowed
    suppressed: Counter[str] = Counter()
    for code, n in report.suppressions().items():
        suppressed[show(code)] += n
    order = {s.id: i for i, s in enumerate(j.steps)}
    steps = []
    for s in j.steps:
        count = report.steps[s.id]
        steps.append({"id": s.id, "kind": _step_kind(s), "reached": count.reached, "passed": _passed(s, count),
                      "skipped": count.skipped, "waiting_at_end": count.waiting_at_end,
                      "ways": dict(sorted(count.ways.items()))})
    goals = []
    for g in j.goals:
        went = len(report.converted_players.get((g.name, False), ()))
        held = len(report.converted_players.get((g.name, True), ()))
        goals.append({"name": g.name, "event": g.event, "conversions": report.conversions[(g.name, False)],
                      "players": went, "held_out_conversions": report.conversions[(g.name, True)],
                      "held_out_players": held})
    total = len(report.proposed)
    let_through = sum(p.allowed for p in report.proposed)
    return {
        "journey": {"key": key, "version": j.version, "name": j.name, "purpose": j.purpose,
                    "holdout_percent": j.holdout_percent},
        "since": _iso(report.since_us), "until": _iso(report.until_us),
        "players": {"with_history": scope.players, "evaluated": scope.evaluated, "events": scope.events},
        "cut": scope.cut,
        "entered": report.entered, "held_out": report.held_out, "players_entered": report.players_entered,
        "in_journey_at_end": report.in_journey_at_end,
        "entries_per_day": [{"date": d, "entered": n[0], "held_out": n[1]}
                            for d, n in sorted(report.entries_per_day.items())],
        "refused": [{"reason": r, "text": _words(key, r), "entries": n}
                    for r, n in sorted(report.refused.items(), key=lambda kv: (-kv[1], kv[0]))],
        "exited": [{"reason": r, "text": _words(key, r), "players": n}
                   for r, n in sorted(report.exited.items(), key=lambda kv: (-kv[1], kv[0]))],
        "steps": steps,
        "proposed": {
            "total": total, "allowed": let_through, "suppressed": total - let_through,
            "by_step": [{"step": s, "kind": k, "channel": c, "template": t, "proposed": n, "allowed": allowed[row],
                         "suppressed": n - allowed[row]}
                        for row, n in sorted(by_step.items(), key=lambda kv: (order.get(kv[0][0], 0), kv[0][1:]))
                        for s, k, c, t in [row]]},
        "suppressed": {"total": total - let_through, "by_reason": _by_reason(suppressed)},
        "goals": goals,
        "tasks": {"total": sum(report.tasks.values()),
                  "by_step": [{"step": s, "queue": q, "title": t, "tasks": n}
                              for (s, q, t), n in sorted(report.tasks.items(),
                                                         key=lambda kv: (order.get(kv[0][0], 0), kv[0][1:]))]},
        "sample": [{
            "player_id": t.player_id,
            "entries": [{"at": _iso(at), "held_out": held} for at, held in t.entries],
            "received": [{"at": _iso(p.at_us), "action_id": p.action_id, "step": p.step_id, "kind": p.kind,
                          "channel": p.channel,
                          "template": p.template, "allowed": p.allowed, "reasons": reasons(p.reasons)}
                         for p in t.received],
            "tasks": [{"at": _iso(at), "step": s, "queue": q, "title": title} for at, s, q, title in t.tasks],
            "converted": [{"at": _iso(at), "goal": g, "held_out": held} for at, g, held in t.converted],
            "left": [{"at": _iso(at), "reason": r, "text": words} for at, r, words in t.left],
            "waiting_at": t.waiting_at,
        } for t in report.sample],
        "definition": to_builtins(j),
    }
