"""The training data set of an operator's RG model, built from the operator's own log.

Pure: events in, samples out; no storage, no clock (docs/rg-markers.md, "The operator's
own model").

- **Labels** (`find_labels`): a player is a positive from the first of
  `exclusion.requested` with `reason == "gambling_harm"`; `croupier.exclusion_started` of
  kind self_exclusion or closure whose reason names gambling_harm; an RG officer's review
  (`croupier.rg_reviewed`) with an outcome in `protection.reviews.HARM_OUTCOMES`. The label
  time is that event's `occurred_at`.
- **Cut-off** (`cutoff_for`): the end of the UTC day `gap_days` days before the label's
  day (gap 1: the end of the day before). Features never see the label's day.
- **Point-in-time features** (`features_at`): the player's events with `occurred_at` at or
  before the cut-off, refolded with the live fold (`players.apply.rebuild`, the rules in
  force), then `protection.risk.model_inputs` as of the cut-off: exactly what live scoring
  computes on the live state.
- **Matched controls** (`build_dataset`): up to `controls_per_positive` players who never
  got a label, drawn with a seeded generator among those whose own data goes past the same
  tenure (days since first activity) as the positive's at its cut-off, and cut there.
"""

from __future__ import annotations

import bisect
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from croupier.compliance.rules import RulesInForce
from croupier.events import (
    CasinoBet, Deposit, Event, ExclusionRequested, ExclusionStarted, RgReviewed, SessionStarted, SportsBetPlaced,
)
from croupier.players.apply import micros, rebuild
from croupier.players.config import FeatureConfig
from croupier.players.state import DAY_US, PlayerState
from croupier.protection.reviews import HARM_OUTCOMES

GAMBLING_HARM = "gambling_harm"
HARM_EXCLUSION_KINDS = frozenset({"self_exclusion", "closure"})
ACTIVITY = (CasinoBet, SportsBetPlaced, SessionStarted)   # and approved deposits: what the fold counts as activity


class DatasetRefused(ValueError):
    """The log cannot give a data set as asked (too few labels, bad parameters)."""


@dataclass(frozen=True, slots=True)
class Label:
    player_id: str
    at_us: int          # the label event's occurred_at
    source: str         # the event's type tag
    event_id: str


@dataclass(frozen=True, slots=True)
class Sample:
    player_id: str
    label: int                  # 1: a labelled player, 0: a matched control
    cutoff_us: int              # features as of this moment (events at or before it folded)
    label_us: int               # the positive's label time (a control: its positive's)
    tenure_days: int            # days from first activity to the cut-off's day
    matched_to: str | None      # a control: the positive it was matched to
    inputs: dict[str, float]


@dataclass
class Dataset:
    samples: list[Sample]
    labels: dict[str, Label]
    players: int
    skipped: Counter = field(default_factory=Counter)   # why labelled players were left out
    unmatched: int = 0                                  # positives that found fewer controls than asked


def is_harm_reason(reason: str | None) -> bool:
    """Whether a free-text reason names gambling harm (the exclusion store joins the
    request's reason and the plan's note with "; ")."""
    return bool(reason) and GAMBLING_HARM in (part.strip() for part in reason.split(";"))


def label_of(event: Event) -> str | None:
    """The label source an event is, or None."""
    if isinstance(event, ExclusionRequested):
        return event.__struct_config__.tag if event.reason == GAMBLING_HARM else None
    if isinstance(event, ExclusionStarted):
        ok = event.kind in HARM_EXCLUSION_KINDS and is_harm_reason(event.reason)
        return event.__struct_config__.tag if ok else None
    if isinstance(event, RgReviewed):
        return event.__struct_config__.tag if event.outcome in HARM_OUTCOMES else None
    return None


def find_labels(events: Iterable[Event]) -> dict[str, Label]:
    """Each labelled player's first label event (by occurred_at, then event id)."""
    found: dict[str, Label] = {}
    for event in events:
        source = label_of(event)
        if source is None:
            continue
        at_us = micros(event.occurred_at)
        best = found.get(event.player_id)
        if best is None or (at_us, event.event_id) < (best.at_us, best.event_id):
            found[event.player_id] = Label(event.player_id, at_us, source, event.event_id)
    return found


def cutoff_for(label_us: int, gap_days: int = 1) -> int:
    """The last microsecond of the UTC day `gap_days` days before the label's day."""
    if gap_days < 1:
        raise DatasetRefused(f"gap_days must be at least 1 (the label's own day never reaches the features), "
                             f"got {gap_days}")
    return (label_us // DAY_US - gap_days + 1) * DAY_US - 1


def is_activity(event: Event) -> bool:
    if isinstance(event, Deposit):
        return event.status == "approved"
    return isinstance(event, ACTIVITY)


def features_at(player_id: str, history: Sequence[tuple[int, Event]], cutoff_us: int, features: FeatureConfig,
                rules: RulesInForce) -> tuple[PlayerState, dict[str, float]]:
    """The player's state folded from the events at or before `cutoff_us` (the live fold),
    and the model inputs as of the cut-off."""
    from croupier.protection.markers import thresholds
    from croupier.protection.risk import model_inputs

    before = [(seq, e) for seq, e in history if micros(e.occurred_at) <= cutoff_us]
    state = rebuild(player_id, before, features, rules)
    return state, model_inputs(state, cutoff_us, features, thresholds(state, rules))


@dataclass(frozen=True, slots=True)
class _Span:
    first_us: int       # first activity
    last_us: int        # last event of any kind (the end of the player's data)


def _spans(by_player: dict[str, list[tuple[int, Event]]]) -> dict[str, _Span]:
    out = {}
    for pid, history in by_player.items():
        times = [micros(e.occurred_at) for _, e in history if is_activity(e)]
        if times:
            out[pid] = _Span(min(times), max(micros(e.occurred_at) for _, e in history))
    return out


def build_dataset(events: Sequence[Event] | Sequence[tuple[int, Event]], features: FeatureConfig,
                  rules: RulesInForce, *, seed: int, gap_days: int = 1, controls_per_positive: int = 3,
                  ) -> Dataset:
    """Positives cut before their label, matched controls cut at the same tenure."""
    if controls_per_positive < 1:
        raise DatasetRefused(f"controls_per_positive must be at least 1, got {controls_per_positive}")
    by_player: dict[str, list[tuple[int, Event]]] = defaultdict(list)
    for i, item in enumerate(events, 1):
        seq, event = item if isinstance(item, tuple) else (i, item)
        by_player[event.player_id].append((seq, event))
    from croupier.events import LOG_STREAMS

    for stream in LOG_STREAMS:
        by_player.pop(stream, None)
    labels = find_labels(e for history in by_player.values() for _, e in history)
    spans = _spans(by_player)
    dataset = Dataset([], labels, len(by_player))
    # Controls: never labelled, ordered by the longest tenure they can be cut at.
    pool = sorted((spans[p].last_us // DAY_US - spans[p].first_us // DAY_US - 1, p)
                  for p in spans if p not in labels)
    reach = [r for r, _ in pool]
    rng = random.Random(seed)
    for label in sorted(labels.values(), key=lambda lab: (lab.at_us, lab.player_id)):
        span = spans.get(label.player_id)
        cutoff = cutoff_for(label.at_us, gap_days)
        if span is None or span.first_us > cutoff:
            dataset.skipped["no activity before the cut-off"] += 1
            continue
        tenure = cutoff // DAY_US - span.first_us // DAY_US
        _, inputs = features_at(label.player_id, by_player[label.player_id], cutoff, features, rules)
        dataset.samples.append(Sample(label.player_id, 1, cutoff, label.at_us, tenure, None, inputs))
        eligible = pool[bisect.bisect_left(reach, tenure):]
        chosen = rng.sample(eligible, min(controls_per_positive, len(eligible)))
        if len(chosen) < controls_per_positive:
            dataset.unmatched += 1
        for _, pid in sorted(chosen, key=lambda c: c[1]):
            own = (spans[pid].first_us // DAY_US + tenure + 1) * DAY_US - 1
            assert own < spans[pid].last_us   # never cut after the control's own end of data
            _, inputs = features_at(pid, by_player[pid], own, features, rules)
            dataset.samples.append(Sample(pid, 0, own, label.at_us, tenure, label.player_id, inputs))
    return dataset
