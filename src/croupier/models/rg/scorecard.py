"""The RG risk score (0..1) and the model format it is computed with.

One format serves the shipped scorecard and every model an operator trains on its own
history (`croupier models train rg`): a logistic model over named inputs, each input a
measure (protection.measures) or a marker's effective severity (`marker:<name>`), with a
transform and a cap. The score is the logistic of the intercept plus the weighted inputs;
each term's share of the log-odds is the explanation ("what raised the score"). A model is
data, part of the configuration document, so it goes live only through propose, four-eyes
approval, shadow and activation, and every level change records the configuration version
that carries it.

Pure: no storage, no clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from msgspec import Struct, field

Transform = Literal["linear", "log1p"]


class Term(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One weighted input: `weight` x transform(min(value, cap)), in log-odds. With a
    `center`, only what lies above it counts: weight x max(0, t(value) - t(center)) (a
    scorecard's "above an ordinary player", so play below it never lowers the score)."""

    input: str                      # a measure name, or "marker:<marker name>"
    weight: float
    transform: Transform = "linear"
    cap: float | None = None
    source: str = ""                # why this weight: the finding or the fit behind it
    center: float | None = None


class RgModel(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A scoring model: the shipped scorecard or one an operator trained."""

    version: str
    intercept: float
    terms: list[Term]
    kind: Literal["scorecard", "logistic", "boosted"] = "scorecard"
    description: str = ""
    trained: dict[str, Any] = field(default_factory=dict)   # provenance of a trained model
    # Log-odds per severity step of a `marker:<name>` input no term names (None: such inputs
    # count nothing). The shipped scorecard sets it, so a marker added later counts at once.
    default_marker_weight: float | None = None


@dataclass(frozen=True, slots=True)
class Contribution:
    input: str
    value: float          # the raw input
    log_odds: float       # what the term added to the log-odds


@dataclass(frozen=True, slots=True)
class Score:
    probability: float
    contributions: tuple[Contribution, ...]   # positive ones, largest first

    @property
    def basis_points(self) -> int:
        """The probability in 1/10,000: what the state stores (integers replay exactly)."""
        return round(self.probability * 10_000)


def _term_value(term: Term, value: float) -> float:
    if term.cap is not None:
        value = min(value, term.cap)
    if term.transform == "log1p":
        value = math.log1p(max(0.0, value))
    return value


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def score(model: RgModel, inputs: dict[str, float]) -> Score:
    """The model's probability for these inputs, with the terms that raised it."""
    total = model.intercept
    parts = []
    for term in model.terms:
        value = inputs.get(term.input, 0.0)
        x = _term_value(term, value)
        if term.center is not None:
            x = max(0.0, x - _term_value(term, term.center))
        x *= term.weight
        total += x
        if x > 0:
            parts.append(Contribution(term.input, value, x))
    if model.default_marker_weight is not None:
        named = {term.input for term in model.terms}
        for name, value in inputs.items():
            if name.startswith("marker:") and name not in named:
                x = model.default_marker_weight * value
                total += x
                if x > 0:
                    parts.append(Contribution(name, value, x))
    parts.sort(key=lambda c: (-c.log_odds, c.input))
    return Score(sigmoid(total), tuple(parts))
