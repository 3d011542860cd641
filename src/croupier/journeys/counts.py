"""How many players each journey step holds, passed, converted and suppressed, folded from
the audit log: every journey decision (`journey.record`: entered, held out, refused, a step
taken or skipped, waiting, resumed, left, a goal reached) and every gate verdict on what a
journey step proposed (`gate.decision` with the journey in its params).

Pure: `Tally.fold(kind, body)` takes one audit record's kind and parsed body, in the log's
order, and counts. The store (`croupier.store.journey_counts`) feeds it the records it has
not seen yet, so a request reads only what the log gained since the last one.

"Waiting now" needs no player state: a player waits at a step from their entry's `waiting`
record until its `resumed` or `exited` record, so the fold keeps the entries waiting (and, for
goal attribution, the entries whose goal window may still be open) and nothing else.

Reasons are counted by their code, whatever it is: a gate or arbiter code nobody lists here
(`contact.cap_day:2`) is counted and said in words by the compliance catalogue like any other."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from croupier.compliance import explain
from croupier.journeys.run.outcome import REASONS

RECORD = "journey.record"
DECISION = "gate.decision"
CONTACT = "contact.verdict"        # the contact arbiter's: a drop is suppressed; a wait is decided later
VERDICT_KINDS = (DECISION, CONTACT)   # audit kinds whose bodies are verdicts on a journey's proposals
KINDS = (RECORD, *VERDICT_KINDS)   # what the fold reads from the audit log

# Journey reason codes whose parameter is a moment: counted without it (one row per code).
_MOMENT_WORDS = {"wait": "waiting for the wait to end",
                 "reentry_cooldown": "re-entry waits for the cooldown since the previous entry"}
# How long after a goal window closes an entry is still kept for a late event (out of order).
GRACE_US = 86_400 * 1_000_000
PRUNE_EVERY = 10_000


def reason_key(reason: str) -> str:
    """A journey decision's reason as counted: moments dropped, so counts do not split by time."""
    code, _, _ = reason.partition(":")
    return code if code in _MOMENT_WORDS else reason


def journey_reason_words(reason: str) -> str:
    """A journey decision's reason in words (the interpreter's catalogue, `run.outcome.REASONS`)."""
    code, _, param = reason.partition(":")
    if code in _MOMENT_WORDS and not param:
        return _MOMENT_WORDS[code]
    if code not in REASONS:
        return reason
    return REASONS[code].format(param)


def gate_reason_words(code: str) -> str:
    """A gate (or arbiter) reason code in words: the compliance catalogue's sentence."""
    return explain(code).text


@dataclass(slots=True)
class StepTally:
    """One step of one journey version."""

    passed: int = 0                     # players who reached it (took it, skipped it, wait there, exit there)
    skipped: int = 0                    # reached, but its condition did not hold then
    waiting: int = 0                    # waiting there now
    allowed: int = 0                    # its proposals the gate let through
    suppressed: int = 0                 # its proposals the gate suppressed
    suppressed_by: Counter[str] = field(default_factory=Counter)   # gate reason code -> proposals
    converted: int = 0                  # goals reached with this the last step passed
    left_here: Counter[str] = field(default_factory=Counter)       # left before this step, by reason
    took: Counter[str] = field(default_factory=Counter)            # branch then/else, split variant

    def add(self, other: StepTally) -> None:
        self.passed += other.passed
        self.skipped += other.skipped
        self.waiting += other.waiting
        self.allowed += other.allowed
        self.suppressed += other.suppressed
        self.suppressed_by.update(other.suppressed_by)
        self.converted += other.converted
        self.left_here.update(other.left_here)
        self.took.update(other.took)


@dataclass(slots=True)
class JourneyTally:
    """One journey version: its entries and where they went."""

    entered: int = 0
    held_out: int = 0
    refused: Counter[str] = field(default_factory=Counter)          # not entered, by reason
    exited: Counter[str] = field(default_factory=Counter)           # left, by reason
    converted: Counter[str] = field(default_factory=Counter)        # goal -> players who ran the journey
    converted_held_out: Counter[str] = field(default_factory=Counter)   # goal -> control-group players
    steps: dict[str, StepTally] = field(default_factory=dict)

    def step(self, step_id: str) -> StepTally:
        found = self.steps.get(step_id)
        if found is None:
            found = self.steps[step_id] = StepTally()
        return found

    def add(self, other: JourneyTally) -> None:
        self.entered += other.entered
        self.held_out += other.held_out
        self.refused.update(other.refused)
        self.exited.update(other.exited)
        self.converted.update(other.converted)
        self.converted_held_out.update(other.converted_held_out)
        for step_id, s in other.steps.items():
            self.step(step_id).add(s)


@dataclass(slots=True)
class _Place:
    """Where one entry is: its journey and version, the step it waits at ("" when not
    waiting), the last step it passed, until when its goals count, and held out or not."""

    key: str
    version: int
    window_until_us: int
    held_out: bool
    waiting: str = ""
    last_step: str = ""


@dataclass(slots=True)
class Tally:
    """Every journey's counts, by (key, version), as of audit record `seq`."""

    seq: int = 0
    journeys: dict[tuple[str, int], JourneyTally] = field(default_factory=dict)
    places: dict[str, _Place] = field(default_factory=dict)
    latest_us: int = 0
    _since_prune: int = 0

    def of(self, key: str, version: int) -> JourneyTally:
        found = self.journeys.get((key, version))
        if found is None:
            found = self.journeys[(key, version)] = JourneyTally()
        return found

    def fold(self, kind: str, body: Mapping[str, Any], at_us: int = 0) -> None:
        """Count one audit record (its kind and parsed body), in log order."""
        if kind == RECORD:
            self._record(body, at_us)
        elif kind in VERDICT_KINDS:
            self._verdict(body)

    def fold_all(self, records: Iterable[tuple[int, str, Mapping[str, Any], int]]) -> None:
        """(seq, kind, body, at_us) in log order."""
        for seq, kind, body, at_us in records:
            self.fold(kind, body, at_us)
            self.seq = seq

    def _record(self, b: Mapping[str, Any], at_us: int) -> None:
        key, version, what = b.get("journey"), b.get("version") or 0, b.get("kind")
        if not key or not version:
            return              # a stale timer or a journey not live: nothing ran
        reason, entry, step = str(b.get("reason") or ""), str(b.get("entry_id") or ""), str(b.get("step") or "")
        j = self.of(key, version)
        place = self.places.get(entry) if entry else None
        self.latest_us = max(self.latest_us, at_us)
        detail = b.get("detail") or {}
        if what == "entered" or what == "held_out":
            held = what == "held_out"
            if held:
                j.held_out += 1
            else:
                j.entered += 1
            window = detail.get("window_until_us")
            self.places[entry] = _Place(key, version, window if isinstance(window, int) else at_us, held)
            self._prune()
        elif what == "refused":
            j.refused[reason_key(reason)] += 1
        elif what in ("step", "skipped", "waiting"):
            s = j.step(step)
            s.passed += 1
            if what == "skipped":
                s.skipped += 1
            elif what == "step" and reason != "action":
                code, _, param = reason.partition(":")
                s.took[param if code == "split" else code.removeprefix("branch_")] += 1
            if place is not None:
                self._stop_waiting(place)
                place.last_step = step
                if what == "waiting":
                    place.waiting = step
                    s.waiting += 1
        elif what == "resumed":
            if place is not None:
                self._stop_waiting(place)
        elif what == "exited":
            j.exited[reason_key(reason)] += 1
            if place is not None:
                self._stop_waiting(place)
            if step and reason == "exit_step":
                j.step(step).passed += 1
                if place is not None:
                    place.last_step = step
            elif step and (place is None or place.last_step != step):
                j.step(step).left_here[reason_key(reason)] += 1
        elif what == "converted":
            goal = str(detail.get("goal") or reason.partition(":")[2])
            if detail.get("holdout") or (place is not None and place.held_out):
                j.converted_held_out[goal] += 1
            else:
                j.converted[goal] += 1
                if place is not None and place.last_step:
                    j.step(place.last_step).converted += 1

    def _stop_waiting(self, place: _Place) -> None:
        if place.waiting:
            s = self.of(place.key, place.version).steps.get(place.waiting)
            if s is not None and s.waiting > 0:
                s.waiting -= 1
            place.waiting = ""

    def _prune(self) -> None:
        """Forget the entries neither waiting nor with a goal window still open (after a grace
        for events that arrive late), so the fold's memory follows the live entries only."""
        self._since_prune += 1
        if self._since_prune < PRUNE_EVERY:
            return
        self._since_prune = 0
        horizon = self.latest_us - GRACE_US
        for entry in [e for e, p in self.places.items() if not p.waiting and p.window_until_us < horizon]:
            del self.places[entry]

    def _verdict(self, b: Mapping[str, Any]) -> None:
        params = b.get("params")
        if not isinstance(params, Mapping) or b.get("outcome") == "wait":
            return   # a message the arbiter held is counted when it is finally sent or dropped
        key, version, step = params.get("journey"), params.get("version"), params.get("step")
        if not key or not isinstance(version, int) or not step:
            return
        s = self.of(str(key), version).step(str(step))
        if b.get("allowed"):
            s.allowed += 1
        else:
            s.suppressed += 1
            s.suppressed_by.update(str(code) for code in b.get("reasons") or ())

    def merged(self, key: str, version: int | None = None) -> JourneyTally:
        """One journey's counts, of one version or of all of them added up."""
        out = JourneyTally()
        for (k, v), j in self.journeys.items():
            if k == key and (version is None or v == version):
                out.add(j)
        return out

    def versions(self, key: str) -> list[int]:
        return sorted(v for k, v in self.journeys if k == key)


def _reasons(counts: Counter[str], words: Any) -> list[dict[str, Any]]:
    return [{"code": code, "words": words(code), "count": n}
            for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n]


def step_view(step_id: str, kind: str | None, s: StepTally) -> dict[str, Any]:
    """One step's counts as the API answers and the page shows them, reasons in words."""
    return {"step": step_id, "kind": kind, "waiting": s.waiting, "passed": s.passed, "skipped": s.skipped,
            "allowed": s.allowed, "suppressed": s.suppressed,
            "suppressed_reasons": _reasons(s.suppressed_by, gate_reason_words),
            "converted": s.converted, "took": dict(sorted(s.took.items())),
            "left_here": _reasons(s.left_here, journey_reason_words)}


def journey_view(j: JourneyTally, steps: Iterable[tuple[str, str | None]]) -> dict[str, Any]:
    """A journey's totals and its steps (`steps`: (id, kind) in the definition's order; a step
    counted under an older version and gone from this one follows, its kind unknown)."""
    listed = list(steps)
    known = {step_id for step_id, _ in listed}
    listed += [(step_id, None) for step_id in sorted(j.steps) if step_id not in known]
    suppressed = Counter[str]()
    for s in j.steps.values():
        suppressed.update(s.suppressed_by)
    totals = {"entered": j.entered, "held_out": j.held_out,
              "waiting": sum(s.waiting for s in j.steps.values()),
              "converted": dict(sorted(j.converted.items())),
              "converted_held_out": dict(sorted(j.converted_held_out.items())),
              "exited": _reasons(j.exited, journey_reason_words),
              "refused": _reasons(j.refused, journey_reason_words),
              "suppressed": sum(s.suppressed for s in j.steps.values()),
              "suppressed_reasons": _reasons(suppressed, gate_reason_words)}
    return {"totals": totals,
            "steps": [step_view(step_id, kind, j.steps.get(step_id) or StepTally()) for step_id, kind in listed]}


def badge(view: Mapping[str, Any]) -> str:
    """A step's main count in the few words its diagram badge has room for (the table beside
    the diagram has the rest): players waiting at a wait, else players who passed."""
    if view["kind"] in ("wait", "wait_for_event"):
        return f"{view['waiting']} waiting"
    return f"{view['passed']} passed"
