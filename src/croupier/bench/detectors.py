"""The RG risk benchmark: the simulator's players through the engine's core (apply -> detect
-> react -> gate, exactly as live), scored against the simulator's ground truth.

Who counts. Players who placed at least one bet in the run (the research cohorts the
measures come from are all bettors; accounts that never played would only pad the
negatives with zeros). **Positives**: problem gamblers whose harm has started within the run
(`harm_started_at` set: the escalation for escalating ones, registration for steady ones,
the first binge for fluctuating ones); problem gamblers whose harm still lies ahead are left
out of both sides, since nothing distinguishes them yet. **Negatives**: everybody else,
heavy but healthy players included.

When. Each player is evaluated at an *evaluation time*: for positives, just before their
first self-exclusion given for gambling reasons (`exclusion.requested` with
`reason: "gambling_harm"`, the label an operator trains on), or the end of the run; for
everybody else the end of the run. Nothing a player does after their evaluation time
counts: the score, the levels reached and the interventions are taken up to it.

What. The AUC of the score (Mann-Whitney: the chance that a random positive scores above a
random negative, ties counting half), for the highest score a player reached and for the
score at the evaluation time; precision and recall of "risk level reached L or above" for
each level; the share of negatives flagged at medium or above; the median days from the
start of harm to the first intervention. The same figures for a model trained on a separate
simulated history (another seed), run live through `RulesInForce.rg_model`.

The product never reads the labels: only this module does, after the run.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec

from croupier.compliance.rules import DEFAULT_SCORE_LEVELS
from croupier.events import CasinoBet, Event, ExclusionRequested, SportsBetPlaced, SupportMessage, parse_batch
from croupier.players import EngineConfig, PlayerState, micros, new_state

DAY_US = 86_400_000_000
LEVELS = ("low", "medium", "high", "severe")
PRIMARY_LEVEL = "medium"   # the level the headline precision / recall is quoted at (soft intervention)
GAMBLING_HARM = "gambling_harm"
DEFAULT_START = datetime(2026, 1, 5, tzinfo=timezone.utc)

Progress = Callable[[str, int, int], None]


def live_score(state: PlayerState) -> float:
    """The player's RG score as the live fold left it: `protection.risk_bp` (the calibrated
    0..1 score in basis points) as a probability when the state carries it, else the marker
    score `risk_score` (an integer, not a probability: fine for the AUC, which only ranks).
    The one place the benchmark reads the score."""
    protection = state.protection
    bp = getattr(protection, "risk_bp", None)
    if bp is not None:
        return bp / 10_000
    return float(protection.risk_score)


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """Area under the ROC curve by the rank (Mann-Whitney U) formula, ties counting half;
    None when either side is empty."""
    n_pos, n_neg = len(positives), len(negatives)
    if not n_pos or not n_neg:
        return None
    scored = sorted([(s, 1) for s in positives] + [(s, 0) for s in negatives])
    rank_sum = 0.0
    i = 0
    while i < len(scored):
        j = i
        while j < len(scored) and scored[j][0] == scored[i][0]:
            j += 1
        mean_rank = (i + 1 + j) / 2   # ranks i+1 .. j share their mean
        rank_sum += mean_rank * sum(label for _, label in scored[i:j])
        i = j
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def calibration(positives: Sequence[float], negatives: Sequence[float],
                cuts: Sequence[int] = DEFAULT_SCORE_LEVELS) -> dict[str, Any]:
    """How well scores (probabilities) read as the chance of harm: the Platt fit
    P(harm) = sigmoid(a + b x logit(score)) over both groups, and per level band (cut at
    `cuts`, basis points) the players, their mean score and the share of them harmed."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    scores = np.clip(np.array([*positives, *negatives], dtype=float), 1e-6, 1 - 1e-6)
    harmed = np.array([1] * len(positives) + [0] * len(negatives))
    out: dict[str, Any] = {"bands": []}
    if len(positives) and len(negatives):
        fit = LogisticRegression(C=1e6, max_iter=1000).fit(np.log(scores / (1 - scores)).reshape(-1, 1), harmed)
        out["platt"] = [round(float(fit.intercept_[0]), 3), round(float(fit.coef_[0][0]), 3)]
    edges = [0.0, *(c / 10_000 for c in cuts), 1.01]
    for name, lo, hi in zip(("none", *LEVELS), edges, edges[1:]):
        inside = (scores >= lo) & (scores < hi)
        if inside.any():
            out["bands"].append({"level": name, "players": int(inside.sum()),
                                 "mean_score": round(float(scores[inside].mean()), 4),
                                 "harmed_share": round(float(harmed[inside].mean()), 4)})
    return out


class MemoryLog:
    """The engine's PlayerLog over events held in memory (rollbacks and late registrations)."""

    def __init__(self) -> None:
        self.by_player: dict[str, list[tuple[int, Event]]] = defaultdict(list)

    def add(self, seq: int, event: Event) -> None:
        self.by_player[event.player_id].append((seq, event))

    def history(self, player_id: str, up_to_seq: int) -> Iterable[tuple[int, Event]]:
        return [(s, e) for s, e in self.by_player[player_id] if s <= up_to_seq]

    def find(self, player_id: str, event_id: str, before_seq: int) -> tuple[int, Event] | None:
        for s, e in self.by_player[player_id]:
            if e.event_id == event_id and s < before_seq:
                return s, e
        return None


@dataclass
class LevelScore:
    level: str
    flagged: int
    true_positives: int
    precision: float
    recall: float


@dataclass
class ScoreReport:
    """One scoring model's figures over one simulated history."""

    model: str                                 # "default scorecard" or the trained model's version
    core_seconds: float = 0.0                  # CPU for the engine pass
    auc_max: float | None = None               # AUC of each player's highest score up to evaluation
    auc_at_evaluation: float | None = None     # AUC of the score at the evaluation time
    levels: list[LevelScore] = field(default_factory=list)
    negatives_flagged_medium: float = 0.0      # share of negatives that reached medium or above
    heavy_healthy_flagged_medium: float = 0.0  # ... among the heavy but healthy players
    # Is the score at evaluation a probability? The Platt fit of harm on its log-odds ([a, b]:
    # [0, 1] calibrated, b < 1 overconfident) and, per level band, its mean against the share
    # harmed.
    calibration: dict[str, Any] = field(default_factory=dict)
    # The highest score players without harm reached, at these percentiles (basis points): the
    # score levels that would flag 10 %, 5 %, 1 % and 0.3 % of them (how score_levels are set).
    negative_peaks_bp: dict[str, int] = field(default_factory=dict)
    by_pattern: dict[str, tuple[float | None, float]] = field(default_factory=dict)  # pattern -> (AUC at evaluation, recall at medium)
    median_days_harm_to_intervention: float | None = None
    intervened: int = 0                        # positives with an intervention by their evaluation time
    intervened_before_harm: int = 0            # ... whose first one came before their harm started
    days_to_intervention: list[float] = field(default_factory=list)
    marker_rates: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (positives, negatives)
    interventions: dict[str, int] = field(default_factory=dict)                # kind -> count
    rg_messages: int = 0
    rg_messages_allowed: int = 0


@dataclass
class DetectorBench:
    players: int = 0
    days: int = 0
    seed: int = 0
    train_seed: int | None = None
    events: int = 0
    simulate_seconds: float = 0.0
    positives: int = 0                         # harm started within the run
    positives_by_pattern: dict[str, int] = field(default_factory=dict)
    positives_excluded: int = 0                # ... who self-excluded for gambling reasons (evaluated then)
    pending: int = 0                           # problem gamblers whose harm lies ahead (left out)
    negatives: int = 0
    heavy_healthy: int = 0                     # negatives among them
    non_bettors: int = 0                       # players who never bet (left out)
    default: ScoreReport | None = None
    trained: ScoreReport | None = None
    trained_note: str = ""                     # why there is no trained model's report, or how it was trained
    train_seconds: float = 0.0
    sentiment: dict[str, tuple[int, int]] = field(default_factory=dict)   # mood -> (messages, flagged distressed)
    distress_precision: float = 0.0
    distress_recall: float = 0.0


def simulated_events(players: int, days: int, seed: int, start: datetime) -> tuple[list[Event], list[dict]]:
    from croupier.sim import SimConfig, Simulator

    sim = Simulator(SimConfig(seed=seed, players=players, days=days, start=start))
    raw = list(sim.events())
    now = start + timedelta(days=days + 1)
    events: list[Event] = []
    for i in range(0, len(raw), 5_000):
        parsed = parse_batch(msgspec.json.encode(raw[i:i + 5_000]), now=now)
        events.extend(parsed.events)
    return events, list(sim.labels())


@dataclass
class _Truth:
    positives: set[str]
    negatives: set[str]
    harm_us: dict[str, int]
    pattern: dict[str, str]
    heavy_healthy: set[str]


def _truth(labels: list[dict], bettors: set[str], result: DetectorBench) -> _Truth:
    positives, negatives, harm_us, pattern, heavy = set(), set(), {}, {}, set()
    patterns: Counter = Counter()
    for row in labels:
        pid, lab = row["player_id"], row["labels"]
        if pid not in bettors:
            result.non_bettors += 1
            continue
        if lab["problem_gambling"]:
            started = lab.get("harm_started_at") or lab.get("escalation_started_at")
            if started is None:
                result.pending += 1
                continue
            positives.add(pid)
            harm_us[pid] = micros(datetime.fromisoformat(started))
            pattern[pid] = lab.get("harm_pattern") or "escalating"
            patterns[pattern[pid]] += 1
        else:
            negatives.add(pid)
            if row["archetype"] == "heavy_healthy":
                heavy.add(pid)
    result.positives, result.negatives, result.heavy_healthy = len(positives), len(negatives), len(heavy)
    result.positives_by_pattern = dict(sorted(patterns.items()))
    return _Truth(positives, negatives, harm_us, pattern, heavy)


def run_engine(events: list[Event], truth: _Truth, name: str, rg_model: Any = None,
               progress: Progress | None = None) -> ScoreReport:
    """Fold every event through the engine's core with the shipped scorecard, or with
    `rg_model` in force, and score it against `truth`."""
    from croupier.compliance.rules import RulesInForce, presets
    from croupier.engine.step import step
    from croupier.protection.markers import MARKERS

    config = EngineConfig()
    rules = RulesInForce(config.version, presets(), rg_model=rg_model) if rg_model is not None else None
    report = ScoreReport(model=name)
    log = MemoryLog()
    states: dict[str, PlayerState] = {}
    rank = {level: i for i, level in enumerate(("none", *LEVELS))}
    peak: dict[str, int] = {}
    best: dict[str, float] = {}
    at_evaluation: dict[str, float] = {}         # positives who self-excluded: the score just before
    done: set[str] = set()                       # evaluated already: later events do not count
    first_intervention: dict[str, int] = {}
    fired: dict[str, set[str]] = defaultdict(set)
    interventions: Counter = Counter()
    cpu = time.process_time()
    total = len(events)
    for seq, event in enumerate(events, 1):
        log.add(seq, event)
        pid = event.player_id
        state = states.get(pid)
        if state is None:
            state = states[pid] = new_state(pid)
        if pid in done:
            states[pid] = step(state, event, seq, micros(event.occurred_at), config, log, rules).state
            continue
        if isinstance(event, ExclusionRequested) and event.reason == GAMBLING_HARM and pid in truth.positives:
            at_evaluation[pid] = live_score(state)
            done.add(pid)
            states[pid] = step(state, event, seq, micros(event.occurred_at), config, log, rules).state
            continue
        r = step(state, event, seq, micros(event.occurred_at), config, log, rules)
        state = states[pid] = r.state
        s = live_score(state)
        if s > best.get(pid, 0.0):
            best[pid] = s
        for signal in r.signals:
            if signal.name == "rg_risk_changed":
                level = rank.get(signal.detail, 0)
                if level > peak.get(pid, 0):
                    peak[pid] = level
            elif signal.name == "rg_intervention":
                first_intervention.setdefault(pid, r.at_us)
                interventions[signal.detail] += 1
            elif signal.name == "rg_marker":
                fired[pid].update(state.protection.markers)
        for d in r.decisions:
            if d.proposal.purpose == "safer_play":
                report.rg_messages += 1
                report.rg_messages_allowed += d.allowed
        if progress and seq % 20_000 == 0:
            progress(f"engine ({name})", seq, total)
    report.core_seconds = time.process_time() - cpu

    positives, negatives = truth.positives, truth.negatives
    for pid in positives | negatives:
        if pid not in at_evaluation:
            at_evaluation[pid] = live_score(states[pid]) if pid in states else 0.0
    report.auc_max = auc([best.get(p, 0.0) for p in positives], [best.get(p, 0.0) for p in negatives])
    report.auc_at_evaluation = auc([at_evaluation[p] for p in positives], [at_evaluation[p] for p in negatives])
    for level in LEVELS:
        k = rank[level]
        flagged = {p for p in positives | negatives if peak.get(p, 0) >= k}
        tp = len(flagged & positives)
        report.levels.append(LevelScore(level, len(flagged), tp, tp / len(flagged) if flagged else 0.0,
                                        tp / len(positives) if positives else 0.0))
    medium = rank[PRIMARY_LEVEL]
    report.negatives_flagged_medium = (sum(1 for p in negatives if peak.get(p, 0) >= medium) / len(negatives)
                                       if negatives else 0.0)
    ranked = sorted(best.get(p, 0.0) for p in negatives)
    if ranked:
        report.negative_peaks_bp = {f"p{q:g}": round(10_000 * ranked[min(len(ranked) - 1, int(q / 100 * len(ranked)))])
                                    for q in (90, 95, 99, 99.7)}
    heavy = truth.heavy_healthy
    report.heavy_healthy_flagged_medium = (sum(1 for p in heavy if peak.get(p, 0) >= medium) / len(heavy)
                                           if heavy else 0.0)
    negative_scores = [at_evaluation[p] for p in negatives]
    report.calibration = calibration([at_evaluation[p] for p in positives], negative_scores)
    for name_ in sorted(set(truth.pattern.values())):
        group = [p for p in positives if truth.pattern[p] == name_]
        report.by_pattern[name_] = (auc([at_evaluation[p] for p in group], negative_scores),
                                    sum(1 for p in group if peak.get(p, 0) >= medium) / len(group))
    for pid in positives:
        at = first_intervention.get(pid)
        if at is None:
            continue
        report.intervened += 1
        delta = (at - truth.harm_us[pid]) / DAY_US
        report.days_to_intervention.append(round(delta, 2))
        report.intervened_before_harm += delta < 0
    after = [d for d in report.days_to_intervention if d >= 0]
    report.median_days_harm_to_intervention = statistics.median(after) if after else None
    for name_ in MARKERS:
        pos = sum(1 for p in positives if name_ in fired.get(p, ()))
        neg = sum(1 for p in negatives if name_ in fired.get(p, ()))
        report.marker_rates[name_] = (pos / max(1, len(positives)), neg / max(1, len(negatives)))
    report.interventions = dict(interventions)
    return report


def train_model(players: int, days: int, train_seed: int, start: datetime,
                progress: Progress | None = None) -> tuple[Any, str]:
    """Train the operator's RG model on a separate simulated history (seed `train_seed`)
    with the training pipeline `croupier models train rg` runs; returns (model, note), the
    model None with the reason when the history is too small to train on."""
    from croupier.models.rg.train import TrainingRefused, train_on_events   # imported when asked for

    if progress:
        progress(f"simulating the training history (seed {train_seed})", 0, 1)
    events, _ = simulated_events(players, days, train_seed, start)   # labels: only the log's own exclusions
    if progress:
        progress("training", 0, 1)
    try:
        trained = train_on_events(events, EngineConfig(), seed=train_seed)
    except TrainingRefused as exc:
        return None, f"not trained on seed {train_seed} ({len(events):,} events): {exc}"
    model = trained.model
    return model, f"trained on seed {train_seed} ({len(events):,} events), model {model.version}"


def bench_detectors(players: int, days: int, seed: int = 7, start: datetime | None = None,
                    progress: Progress | None = None, *, model: Any = None, train_seed: int | None = None,
                    trained: bool = False, raw_scorecard: bool = False) -> DetectorBench:
    """The benchmark over a `players` x `days` history of seed `seed`: the shipped scorecard,
    and a trained model beside it when `model` is given (an `RgModel`) or `trained` is set
    (one is trained on seed `train_seed`, which must differ from `seed`). With `raw_scorecard`
    the scorecard is scored before its calibration (models.rg.default.RAW_SCORECARD): its
    report's `calibration.platt` is then the fit models.rg.default.CALIBRATION holds."""
    from croupier.models.sentiment import score

    if (trained or model is not None) and train_seed is not None and train_seed == seed:
        raise ValueError(f"the training seed must differ from the report seed (both {seed}): a model scored "
                         "on the history it was trained on flatters itself")
    if trained and train_seed is None:
        raise ValueError("a trained model needs a training seed (train_seed) different from the report seed")
    start = start or DEFAULT_START
    result = DetectorBench(players=players, days=days, seed=seed, train_seed=train_seed)
    cpu = time.process_time()
    if progress:
        progress(f"simulating (seed {seed})", 0, 1)
    events, labels = simulated_events(players, days, seed, start)
    result.simulate_seconds = time.process_time() - cpu
    result.events = len(events)
    bettors = {e.player_id for e in events if isinstance(e, (CasinoBet, SportsBetPlaced))}
    truth = _truth(labels, bettors, result)
    excluded = {e.player_id for e in events if isinstance(e, ExclusionRequested) and e.reason == GAMBLING_HARM}
    result.positives_excluded = len(excluded & truth.positives)

    if raw_scorecard:
        from croupier.models.rg.default import RAW_SCORECARD

        result.default = run_engine(events, truth, "default scorecard before calibration", RAW_SCORECARD, progress)
    else:
        result.default = run_engine(events, truth, "default scorecard", None, progress)
    if trained and model is None:
        cpu = time.process_time()
        try:
            model, result.trained_note = train_model(players, days, train_seed, start, progress)  # type: ignore[arg-type]
        except ModuleNotFoundError as exc:
            if exc.name is None or not exc.name.startswith("croupier.models.rg"):
                raise
            result.trained_note = "the training pipeline (croupier.models.rg.train) is not in this build"
        result.train_seconds = time.process_time() - cpu
    elif model is not None:
        result.trained_note = f"model {model.version} as given"
    if model is not None:
        result.trained = run_engine(events, truth, f"trained model {model.version}", model, progress)

    texts = {e.event_id: e for e in events if isinstance(e, SupportMessage)}
    moods: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in labels:
        for item in row["support_moods"]:
            message = texts.get(item["event_id"])
            if message is None:
                continue
            flagged = score(message.text, message.language).label == "distressed"
            moods[item["mood"]][0] += 1
            moods[item["mood"]][1] += flagged
    result.sentiment = {m: (v[0], v[1]) for m, v in sorted(moods.items())}
    tp = moods["distressed"][1]
    flagged_all = sum(v[1] for v in moods.values())
    result.distress_precision = tp / flagged_all if flagged_all else 0.0
    result.distress_recall = tp / moods["distressed"][0] if moods["distressed"][0] else 0.0
    return result
