"""The RG risk score (0..1) and the model format it is computed with.

One format serves the shipped scorecard and every model an operator trains on its own
history (`croupier models train rg`): a logistic model over named inputs, each input a
measure (protection.measures) or a marker's effective severity (`marker:<name>`), with a
transform and a cap. The score is the logistic of the intercept plus the weighted inputs;
each term's share of the log-odds is the explanation ("what raised the score"). Terms may
form groups whose sum is bounded softly (`RgModel.group_caps`): the shipped scorecard bounds
how much sheer volume of play adds, so heavy play alone is worth a look, never an
intervention, while heavier play still ranks above lighter play. A boosted
model adds trees over the same named inputs (`RgModel.trees`): each split's change of value
along the player's path counts to its input. A model is
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
    group: str = ""                 # a group named in RgModel.group_caps bounds this term's sum with its peers


class TreeNode(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One node of a boosted model's tree. A split sends the player left when the
    transformed input (as its Term transforms it) is <= threshold; a leaf (input None) adds
    its value to the log-odds. An inner node's value is the mean of its leaves over the
    training players that reached it: what each split changes is that input's contribution."""

    value: float
    input: str | None = None
    threshold: float = 0.0
    left: int = 0
    right: int = 0


class Tree(Struct, forbid_unknown_fields=True):
    nodes: list[TreeNode]       # nodes[0] is the root; children come after their parent


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
    # A boosted model's trees (kind "boosted"): each adds a leaf's value to the log-odds; the
    # terms then name the inputs and their transforms (weight 0 unless a linear part too).
    trees: list[Tree] | None = None
    # Soft bounds on what a group of terms adds (log-odds): a group whose terms sum to s > 0
    # adds cap x tanh(s / cap) instead (about s while small, never more than cap, and still
    # rising with s, so the group keeps ranking players). Each term keeps its share of it.
    group_caps: dict[str, float] = field(default_factory=dict)


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


@dataclass(frozen=True, slots=True)
class _Plan:
    """A model's terms ready to score: (input, weight, cap, log1p?, transformed center, group)."""

    terms: tuple[tuple[str, float, float | None, bool, float | None, str], ...]
    named: frozenset[str]


_PLANS: dict[int, tuple[RgModel, _Plan]] = {}


def _plan(model: RgModel) -> _Plan:
    """The model's plan, made once per model object (the live fold scores on every RG event:
    a model is data and is not changed once it scores)."""
    hit = _PLANS.get(id(model))
    if hit is not None and hit[0] is model:
        return hit[1]
    plan = _Plan(tuple((t.input, t.weight, t.cap, t.transform == "log1p",
                        None if t.center is None else _term_value(t, t.center), t.group) for t in model.terms),
                 frozenset(t.input for t in model.terms))
    if len(_PLANS) >= 64:
        _PLANS.clear()
    _PLANS[id(model)] = (model, plan)
    return plan


def score(model: RgModel, inputs: dict[str, float]) -> Score:
    """The model's probability for these inputs, with the terms that raised it."""
    plan = _plan(model)
    total = model.intercept
    terms: list[tuple[str, float, float, str]] = []      # (input, raw value, log-odds, group): non-zero ones
    for name, weight, cap, log, center, group in plan.terms:
        value = inputs.get(name, 0.0)
        x = value if cap is None or value < cap else cap
        if log:
            x = math.log1p(x if x > 0.0 else 0.0)
        if center is not None:
            x = x - center if x > center else 0.0
        if x:
            terms.append((name, value, x * weight, group))
    if model.group_caps:
        terms = _bounded(terms, model.group_caps)
    parts = []
    for name, value, x, _ in terms:
        total += x
        if x > 0:
            parts.append(Contribution(name, value, x))
    if model.default_marker_weight is not None:
        for name, value in inputs.items():
            if name.startswith("marker:") and name not in plan.named:
                x = model.default_marker_weight * value
                total += x
                if x > 0:
                    parts.append(Contribution(name, value, x))
    if model.trees:
        total += _walk_trees(model, inputs, parts)
    parts.sort(key=lambda c: (-c.log_odds, c.input))
    return Score(sigmoid(total), tuple(parts))


def _bounded(terms: list[tuple[str, float, float, str]], caps: dict[str, float]) -> list[tuple[str, float, float, str]]:
    """Each capped group's positive sum s brought to cap x tanh(s / cap), every term of the
    group scaled by the same factor so the explanation keeps their shares."""
    sums: dict[str, float] = {}
    for _, _, x, group in terms:
        if group in caps:
            sums[group] = sums.get(group, 0.0) + x
    factor = {g: caps[g] * math.tanh(s / caps[g]) / s for g, s in sums.items() if s > 0 and caps[g] > 0}
    if not factor:
        return terms
    return [(n, v, x * factor.get(g, 1.0), g) for n, v, x, g in terms]


def _walk_trees(model: RgModel, inputs: dict[str, float], parts: list[Contribution]) -> float:
    """The trees' log-odds, and each input's share of it (the value changes along the
    player's path at the splits on that input) merged into `parts`."""
    values = {t.input: _term_value(t, inputs.get(t.input, 0.0)) for t in model.terms}
    shares: dict[str, float] = {}
    total = 0.0
    for tree in model.trees or ():
        nodes = tree.nodes
        node = nodes[0]
        total += node.value
        while node.input is not None:
            child = nodes[node.left] if values.get(node.input, 0.0) <= node.threshold else nodes[node.right]
            shares[node.input] = shares.get(node.input, 0.0) + child.value - node.value
            total += child.value - node.value
            node = child
    if shares:
        linear = {c.input: c for c in parts}
        for name, share in shares.items():
            before = linear.pop(name, None)
            x = share + (before.log_odds if before else 0.0)
            if before:
                parts.remove(before)
            if x > 0:
                parts.append(Contribution(name, inputs.get(name, 0.0), x))
    return total
