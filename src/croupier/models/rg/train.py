"""Fit and validate an operator's RG model on the data set of `models.rg.dataset`.

Two models are fitted on the label times before the split and validated on those after:

- a regularised (L2) logistic regression on transformed inputs (log1p of money and counts,
  capped at the training data's 99.5th percentile, standardised). It maps exactly onto the
  live format (`RgModel`, kind "logistic"): one Term per input with weight = coefficient /
  scale and the standardisation folded into the intercept, so `scorecard.score` gives the
  fitted log-odds to the last rounding error;
- a gradient-boosted model (`HistGradientBoostingClassifier`) whose output may only rise
  with intensity, frequency, losses and markers (monotonic constraints). Its trees are
  exported into the live format too (`RgModel.trees`, kind "boosted"), each split's change
  of value counted to the input it splits on, so its scores explain themselves the same way.

Both are fitted on a case-control sample (each labelled player with a few matched
controls), whose share of labelled players is far above the population's. Their intercepts
are then corrected for it (prior correction, King & Zeng 2001: add logit(population share)
- logit(sample share)), so the live score reads as the chance of harm in the operator's own
population; it changes no ranking. The population share is the labelled players over the
players in the log.

The live candidate is the one with the higher validation AUC (the logistic on a tie).
The report carries AUC, calibration (reliability bins, Brier score), precision and recall
at each level threshold, the share of unlabelled players flagged there, the weights, and
per-player explanations. Calibration and precision weigh each validation control up to the
population's share of labelled players (the sample's controls stand for many players). `train_on_events` runs the whole pipeline on events in memory
(no database): the benchmark calls it.

No clock: the training time comes in as `now_us`.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from croupier.compliance.rules import DEFAULT_SCORE_LEVELS
from croupier.events import Event
from croupier.models.rg.dataset import Dataset, DatasetRefused, Sample, build_dataset
from croupier.models.rg.scorecard import RgModel, Term, Tree, TreeNode, _term_value, score
from croupier.players.config import EngineConfig

# The probability at which each level begins: the default jurisdiction rules' score levels
# (rg.score_levels); pass `levels` to report at a jurisdiction's own.
DEFAULT_LEVELS: tuple[tuple[str, float], ...] = tuple(
    zip(("low", "medium", "high", "severe"), (bp / 10_000 for bp in DEFAULT_SCORE_LEVELS), strict=True))
MIN_POSITIVES = 20
MIN_VALIDATION_POSITIVES = 3
CAP_QUANTILE = 0.995
CALIBRATION_BINS = 10
EXPLAIN_TOP = 5
BOOSTED_TREES = 100       # a live score walks every tree: ~100 small trees keep it well under a millisecond
# Money and counts enter as log1p (a euro more matters less at 10,000 than at 10), the
# shares, ratios, trends and marker severities as they are.
LOG1P_INPUTS = frozenset({
    "tenure_days", "active_days_30", "active_days_90", "bets_per_active_day_30", "bets_per_active_day_90",
    "stake_per_active_day_30", "stake_per_active_day_90", "stake_per_bet_30", "stakes_30", "stakes_90",
    "net_loss_30", "net_loss_90", "deposits_30", "deposits_90", "deposit_count_30",
    "session_minutes_per_active_day_30", "withdrawal_cancels_30", "declined_deposits_30",
})
# Inputs the boosted model may not treat as protective: more of them never lowers the score.
UNCONSTRAINED = frozenset({"tenure_days"})


class TrainingRefused(DatasetRefused):
    """Training cannot go ahead as asked; the message says why (and the counts)."""


@dataclass
class TrainingResult:
    model: RgModel            # the live candidate (the logistic fit, in the live format)
    report: dict[str, Any]    # everything the model card shows (JSON-ready)
    dataset: Dataset
    fitted: dict[str, Any] = field(default_factory=dict)   # the scikit-learn estimators and the terms


def input_names(samples: Sequence[Sample]) -> list[str]:
    """Every measure, every marker, and any other input the samples carry, in a fixed order."""
    from croupier.protection.markers import MARKERS
    from croupier.protection.measures import MEASURE_NAMES

    names = list(MEASURE_NAMES) + [f"marker:{m}" for m in MARKERS]
    extra = sorted({k for s in samples for k in s.inputs} - set(names))
    return names + extra


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    pos = q * (len(ordered) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _terms(samples: Sequence[Sample], names: list[str]) -> list[Term]:
    """Unweighted terms: each input's transform and its cap from the training data."""
    terms = []
    for name in names:
        cap = _quantile([s.inputs.get(name, 0.0) for s in samples], CAP_QUANTILE)
        terms.append(Term(name, 0.0, "log1p" if name in LOG1P_INPUTS else "linear", cap=cap if cap > 0 else None))
    return terms


def _matrix(samples: Sequence[Sample], terms: list[Term]) -> list[list[float]]:
    """The transformed inputs, exactly as `scorecard.score` transforms them live."""
    return [[_term_value(t, s.inputs.get(t.input, 0.0)) for t in terms] for s in samples]


def _auc(y: list[int], p: list[float]) -> float | None:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p)) if 0 < sum(y) < len(y) else None


def _calibration(y: list[int], p: list[float], w: list[float]) -> dict[str, Any]:
    """Reliability bins and the Brier score, each player weighing `w`."""
    from sklearn.metrics import brier_score_loss

    bins = []
    for b in range(CALIBRATION_BINS):
        lo, hi = b / CALIBRATION_BINS, (b + 1) / CALIBRATION_BINS
        idx = [i for i, v in enumerate(p) if lo <= v < hi or (b == CALIBRATION_BINS - 1 and v == 1.0)]
        if idx:
            weight = sum(w[i] for i in idx)
            bins.append({"from": lo, "to": hi, "n": len(idx), "mean_predicted": sum(p[i] * w[i] for i in idx) / weight,
                         "observed": sum(y[i] * w[i] for i in idx) / weight})
    return {"brier": float(brier_score_loss(y, p, sample_weight=w)) if y else None, "bins": bins}


def _levels(y: list[int], p: list[float], w: list[float], levels: Sequence[tuple[str, float]]) -> list[dict[str, Any]]:
    out = []
    positives = sum(y)
    negatives = len(y) - positives
    for name, threshold in levels:
        flagged = [i for i, v in enumerate(p) if v >= threshold]
        tp = sum(y[i] for i in flagged)
        weighted = sum(w[i] for i in flagged)
        out.append({"level": name, "threshold": threshold, "flagged": len(flagged), "true_positives": tp,
                    "precision": sum(w[i] * y[i] for i in flagged) / weighted if flagged else None,
                    "sample_precision": tp / len(flagged) if flagged else None,
                    "recall": tp / positives if positives else None,
                    "unlabelled_flagged_share": (len(flagged) - tp) / negatives if negatives else None})
    return out


def _metrics(y: list[int], p: list[float], levels: Sequence[tuple[str, float]], population_share: float) -> dict[str, Any]:
    w = population_weights(y, population_share)
    return {"auc": _auc(y, p), "calibration": _calibration(y, p, w), "levels": _levels(y, p, w, levels),
            "n": len(y), "positives": sum(y)}


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def population_weights(y: Sequence[int], population_share: float) -> list[float]:
    """Weights that bring a case-control sample to the population's share of labelled
    players: 1 for each labelled player, the same weight above 1 for each control."""
    positives = sum(y)
    controls = len(y) - positives
    if not positives or not controls:
        return [1.0] * len(y)
    control_weight = positives * (1 - population_share) / (population_share * controls)
    return [1.0 if label else control_weight for label in y]


def prior_shift(population_share: float, sample_share: float) -> float:
    """The log-odds to add to a model fitted on a sample with `sample_share` labelled so it
    scores at the population's `population_share` (King & Zeng 2001)."""
    return logit(population_share) - logit(sample_share)


def model_version(model: RgModel) -> str:
    body = msgspec.json.encode({"intercept": model.intercept, "terms": model.terms, "kind": model.kind,
                                "trees": model.trees})
    return "rg-" + hashlib.sha256(body).hexdigest()[:12]


def split_time(samples: Sequence[Sample], train_share: float = 0.7) -> int:
    """The label time that puts about `train_share` of the positives (the earliest) in training."""
    times = sorted(s.label_us for s in samples if s.label)
    if not times:
        raise TrainingRefused("no labelled players: nothing to split")
    return times[min(len(times) - 1, max(1, round(len(times) * train_share)))]


def fit(dataset: Dataset, *, seed: int, split_at_us: int | None = None,
        levels: Sequence[tuple[str, float]] = DEFAULT_LEVELS, min_positives: int = MIN_POSITIVES,
        now_us: int = 0, regularisation: float = 1.0) -> TrainingResult:
    """Fit both models on the samples whose label time is before the split, validate on the rest."""
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    samples = dataset.samples
    positives = sum(s.label for s in samples)
    if positives < min_positives:
        raise TrainingRefused(
            f"too few labelled players to train on: {positives} usable (of {len(dataset.labels)} labelled in the "
            f"log), at least {min_positives} needed. Labels are exclusions requested or started for "
            f"gambling_harm and RG reviews that confirm harm")
    split = split_at_us if split_at_us is not None else split_time(samples)
    train = [s for s in samples if s.label_us < split]
    valid = [s for s in samples if s.label_us >= split]
    n_train, n_valid = sum(s.label for s in train), sum(s.label for s in valid)
    if n_train < MIN_VALIDATION_POSITIVES or n_valid < MIN_VALIDATION_POSITIVES or \
            n_train == len(train) or n_valid == len(valid):
        raise TrainingRefused(
            f"the time split leaves {n_train} labelled players (of {len(train)} samples) before it and {n_valid} "
            f"(of {len(valid)}) after it: each side needs at least {MIN_VALIDATION_POSITIVES} labelled players "
            f"and some controls (move the split date)")
    population_share = min(0.5, max(1, len(dataset.labels)) / max(1, dataset.players))
    shift = prior_shift(population_share, n_train / len(train))
    names = input_names(samples)
    terms = _terms(train, names)
    x_train, x_valid = np.array(_matrix(train, terms)), np.array(_matrix(valid, terms))
    y_train, y_valid = [s.label for s in train], [s.label for s in valid]

    scaler = StandardScaler().fit(x_train)
    logistic = LogisticRegression(C=regularisation, max_iter=5000).fit(scaler.transform(x_train), y_train)
    coef, scale, mean = logistic.coef_[0], scaler.scale_, scaler.mean_
    weights = [float(c / s) for c, s in zip(coef, scale, strict=True)]
    intercept = float(logistic.intercept_[0] - sum(w * m for w, m in zip(weights, mean, strict=True))) + shift
    live_terms = [Term(t.input, w, t.transform, t.cap, source=f"fitted: standardised coefficient {c:+.3f}")
                  for t, w, c in zip(terms, weights, coef, strict=True) if w != 0.0]
    logistic_model = RgModel(version="", intercept=intercept, terms=live_terms, kind="logistic",
                             description="logistic regression trained on the operator's own log "
                                         "(croupier models train rg)")
    logistic_model.version = model_version(logistic_model)
    p_logistic = [score(logistic_model, s.inputs).probability for s in valid]

    # One thread: on data sets this size, OpenMP's threads cost far more than they save
    # (tens of times slower on a small machine), and one thread gives the same fit every run.
    with threadpool_limits(1):
        boosted = HistGradientBoostingClassifier(
            max_iter=BOOSTED_TREES, learning_rate=0.1, max_leaf_nodes=8, min_samples_leaf=10, l2_regularization=1.0,
            monotonic_cst=[0 if n in UNCONSTRAINED else 1 for n in names], early_stopping=False, random_state=seed,
        ).fit(x_train, y_train)
    boosted_model = export_boosted(boosted, terms, shift)
    p_boosted = [score(boosted_model, s.inputs).probability for s in valid]

    m_logistic = _metrics(y_valid, p_logistic, levels, population_share)
    m_boosted = _metrics(y_valid, p_boosted, levels, population_share)
    live = "boosted" if (m_boosted["auc"] or 0.0) > (m_logistic["auc"] or 0.0) else "logistic"
    model = boosted_model if live == "boosted" else logistic_model
    p_live = p_boosted if live == "boosted" else p_logistic
    report: dict[str, Any] = {
        "version": model.version, "trained_at_us": now_us, "seed": seed,
        "data": {
            "players": dataset.players, "labelled": len(dataset.labels),
            "label_sources": dict(Counter(lab.source for lab in dataset.labels.values())),
            "skipped": dict(dataset.skipped), "positives": positives, "controls": len(samples) - positives,
            "positives_short_of_controls": dataset.unmatched,
            "split_at_us": split, "train": {"positives": n_train, "controls": len(train) - n_train},
            "validation": {"positives": n_valid, "controls": len(valid) - n_valid},
        },
        "prior": {"population_share": population_share, "sample_share": n_train / len(train),
                  "intercept_shift": shift},
        "inputs": names,
        "models": {
            "logistic": {**m_logistic, "live": live == "logistic", "version": logistic_model.version,
                         "regularisation_c": regularisation},
            "boosted": {**m_boosted, "live": live == "boosted", "version": boosted_model.version,
                        "trees": len(boosted_model.trees or ())},
        },
        "best_by_auc": live,
        "live": live,
        "top_inputs": [{"input": t.input, "weight": t.weight, "transform": t.transform, "cap": t.cap}
                       for t in sorted(live_terms, key=lambda t: -abs(t.weight))[:10]],
        "live_inputs": _live_inputs(valid, model),
        "explanations": _explain(valid, p_live, model),
        "levels_source": "parameter" if tuple(levels) != DEFAULT_LEVELS else ("the default rg.score_levels ("
                          + "/".join(f"{t:.2f}" for _, t in DEFAULT_LEVELS) + ")"),
    }
    model.trained = {"trained_at_us": now_us, "seed": seed, "auc": report["models"][live]["auc"],
                     "auc_logistic": m_logistic["auc"], "auc_boosted": m_boosted["auc"],
                     "positives": positives, "controls": len(samples) - positives, "split_at_us": split}
    fitted = {"terms": terms, "scaler": scaler, "logistic": logistic, "boosted": boosted,
              "logistic_model": logistic_model, "boosted_model": boosted_model}
    return TrainingResult(model, report, dataset, fitted)


def export_boosted(boosted: Any, terms: list[Term], shift: float = 0.0) -> RgModel:
    """The fitted HistGradientBoostingClassifier in the live format: its baseline (plus the
    prior correction `shift`) as the intercept, each tree's splits on the named (transformed) inputs, each inner node's value
    the training-count-weighted mean of its leaves (so a split's change of value is that
    input's contribution), the inputs' transforms as zero-weight terms."""
    names = [t.input for t in terms]
    trees = []
    for (predictor,) in boosted._predictors:      # one predictor per iteration (binary: one class)
        nodes = predictor.nodes
        value = [float(v) for v in nodes["value"]]
        count = [int(c) for c in nodes["count"]]
        for i in sorted(range(len(nodes)), key=lambda i: -int(nodes[i]["depth"])):   # leaves up
            if not nodes[i]["is_leaf"]:
                left, right = int(nodes[i]["left"]), int(nodes[i]["right"])
                count[i] = count[left] + count[right]
                value[i] = (value[left] * count[left] + value[right] * count[right]) / max(1, count[i])
        trees.append(Tree([TreeNode(value[i]) if nodes[i]["is_leaf"] else
                           TreeNode(value[i], names[int(nodes[i]["feature_idx"])], float(nodes[i]["num_threshold"]),
                                    int(nodes[i]["left"]), int(nodes[i]["right"]))
                           for i in range(len(nodes))]))
    model = RgModel(version="", intercept=float(boosted._baseline_prediction.ravel()[0]) + shift,
                    terms=[Term(t.input, 0.0, t.transform, t.cap, source="input of the boosted trees") for t in terms],
                    kind="boosted", trees=trees,
                    description="gradient-boosted trees, monotonic in intensity, frequency, losses and markers, "
                                "trained on the operator's own log (croupier models train rg)")
    model.version = model_version(model)
    return model


def _live_inputs(valid: Sequence[Sample], model: RgModel, top: int = 10) -> list[dict[str, Any]]:
    """What raises the live model's scores, whichever fit it is: each input's mean positive
    log-odds over the validation players, and the share of them it raised; largest first."""
    total: Counter = Counter()
    raised: Counter = Counter()
    for s in valid:
        for c in score(model, s.inputs).contributions:
            total[c.input] += c.log_odds
            raised[c.input] += 1
    n = max(1, len(valid))
    ranked = sorted(total, key=lambda name: (-total[name], name))[:top]
    return [{"input": name, "mean_log_odds": total[name] / n, "raised_share": raised[name] / n} for name in ranked]


def _explain(valid: Sequence[Sample], p: list[float], model: RgModel) -> list[dict[str, Any]]:
    """The validation players with the highest scores and what raised theirs most: the live
    model's own contributions (`scorecard.score`), what the back office shows for a player."""
    order = sorted(range(len(valid)), key=lambda i: (-p[i], valid[i].player_id))[:20]
    out = []
    for i in order:
        s = valid[i]
        top = [{"input": c.input, "value": c.value, "log_odds": c.log_odds}
               for c in score(model, s.inputs).contributions[:EXPLAIN_TOP]]
        out.append({"player_id": s.player_id, "label": s.label, "probability": p[i], "top": top})
    return out


def train_on_events(events: Sequence[Event] | Sequence[tuple[int, Event]], config: EngineConfig, *, seed: int,
                    gap_days: int = 1, controls_per_positive: int = 3, split_at_us: int | None = None,
                    levels: Sequence[tuple[str, float]] = DEFAULT_LEVELS, min_positives: int = MIN_POSITIVES,
                    now_us: int = 0) -> TrainingResult:
    """The whole pipeline on events in memory (log order), no database: labels, point-in-time
    features with matched controls, both fits, the report. `config` supplies the feature
    settings and the rules in force (the fold's). Raises TrainingRefused with the counts
    when the log has too few labels."""
    from croupier.compliance.rules import rules_in_force

    dataset = build_dataset(events, config.features, rules_in_force(config), seed=seed, gap_days=gap_days,
                            controls_per_positive=controls_per_positive)
    result = fit(dataset, seed=seed, split_at_us=split_at_us, levels=levels, min_positives=min_positives,
                 now_us=now_us)
    result.report["data"]["gap_days"] = gap_days
    result.report["data"]["controls_per_positive"] = controls_per_positive
    result.model.trained["gap_days"] = gap_days
    return result
