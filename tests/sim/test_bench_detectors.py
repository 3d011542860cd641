"""`croupier bench detectors`: the RG score against the simulator's ground truth, for the
default scorecard and for a model run live beside it; a small run, so the figures are only
checked for shape and sense, not for level."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from typer.testing import CliRunner

from croupier.bench.detectors import LEVELS, auc, bench_detectors, live_score
from croupier.cli import _COMMAND_MODULES
from croupier.cli.app import app
from croupier.models.rg.scorecard import RgModel, Term
from croupier.players import new_state

for _module in _COMMAND_MODULES:
    __import__(f"croupier.cli.{_module}")

START = datetime(2026, 3, 2, tzinfo=timezone.utc)


def test_auc_by_ranks() -> None:
    assert auc([0.9, 0.8], [0.1, 0.2, 0.3]) == 1.0
    assert auc([0.1], [0.5, 0.6]) == 0.0
    assert auc([1, 1], [1, 1]) == 0.5                     # ties count half
    assert auc([3, 1], [2, 0]) == 0.75                    # 3 of 4 pairs ordered right
    assert auc([], [1.0]) is None and auc([1.0], []) is None


def test_the_score_is_read_in_one_place() -> None:
    state = new_state("p1")
    assert live_score(state) == 0.0
    state.protection.risk_score = 7
    expected = state.protection.risk_bp / 10_000 if hasattr(state.protection, "risk_bp") else 7.0
    assert live_score(state) == expected


@pytest.fixture(scope="module")
def small():
    model = RgModel(version="test-model-1", intercept=-4.0, kind="logistic",
                    terms=[Term(input="active_share_30", weight=3.0), Term(input="marker:loss_chasing", weight=1.0)])
    return bench_detectors(400, 20, seed=5, start=START, model=model, train_seed=6)


def test_a_small_run_reports_every_figure(small) -> None:  # noqa: ANN001
    r = small
    assert r.events > 10_000 and r.positives >= 3 and r.negatives > 100
    assert r.positives + r.negatives + r.pending + r.non_bettors == 400
    for report in (r.default, r.trained):
        assert report is not None
        for value in (report.auc_max, report.auc_at_evaluation):
            assert value is not None and 0.0 <= value <= 1.0
        assert [s.level for s in report.levels] == list(LEVELS)
        flagged = [s.flagged for s in report.levels]
        assert flagged == sorted(flagged, reverse=True)   # "reached L or above" nests
        for s in report.levels:
            assert 0.0 <= s.precision <= 1.0 and 0.0 <= s.recall <= 1.0
            assert s.true_positives <= min(s.flagged, r.positives)
        assert 0.0 <= report.negatives_flagged_medium <= 1.0
        assert 0.0 <= report.heavy_healthy_flagged_medium <= 1.0
        assert set(report.by_pattern) == set(r.positives_by_pattern)
        for pattern_auc, recall in report.by_pattern.values():
            assert pattern_auc is None or 0.0 <= pattern_auc <= 1.0
            assert 0.0 <= recall <= 1.0
        assert report.intervened <= r.positives
        assert report.median_days_harm_to_intervention is None or report.median_days_harm_to_intervention >= 0
        bands = report.calibration["bands"]
        assert sum(b["players"] for b in bands) == r.positives + r.negatives
        assert [b["level"] for b in bands] == [lv for lv in ("none", *LEVELS) if lv in {b["level"] for b in bands}]
        assert len(report.calibration["platt"]) == 2
    assert r.default.model == "default scorecard" and "test-model-1" in r.trained.model
    assert r.default.auc_max > 0.5                        # the scorecard sees something


def test_the_training_seed_must_differ() -> None:
    with pytest.raises(ValueError, match="must differ"):
        bench_detectors(10, 1, seed=3, train_seed=3, trained=True)
    result = CliRunner().invoke(app, ["bench", "detectors", "--seed", "9", "--train-seed", "9"])
    assert result.exit_code == 2
    assert "--train-seed must differ from --seed" in " ".join(result.output.split())


def test_json_output() -> None:
    result = CliRunner().invoke(app, ["bench", "detectors", "--players", "80", "--days", "5", "--seed", "3",
                                      "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["seed"] == 3 and document["train_seed"] == 11 and document["trained"] is None
    default = document["default"]
    assert {"auc_max", "auc_at_evaluation", "levels", "negatives_flagged_medium",
            "median_days_harm_to_intervention"} <= set(default)
    assert document["command"].startswith("croupier bench detectors --players 80 --days 5 --seed 3")


def test_calibration_reads_a_calibrated_score_as_such() -> None:
    """Scores drawn as the true chance of harm fit a ≈ 0, b ≈ 1; doubled log-odds fit b ≈ 0.5."""
    import math
    import random

    from croupier.bench.detectors import calibration

    rng = random.Random(5)
    scores = [1 / (1 + math.exp(-rng.gauss(-3, 1.5))) for _ in range(20_000)]
    harmed = [rng.random() < s for s in scores]
    pos, neg = [s for s, h in zip(scores, harmed) if h], [s for s, h in zip(scores, harmed) if not h]
    a, b = calibration(pos, neg)["platt"]
    assert abs(a) < 0.15 and abs(b - 1) < 0.08
    sharp = lambda s: 1 / (1 + math.exp(-2 * math.log(s / (1 - s))))   # noqa: E731  overconfident
    _, b2 = calibration([sharp(s) for s in pos], [sharp(s) for s in neg])["platt"]
    assert abs(b2 - 0.5) < 0.05
    bands = calibration(pos, neg)["bands"]
    assert all(abs(band["mean_score"] - band["harmed_share"]) < 0.05 for band in bands if band["players"] > 500)


def test_a_history_too_small_to_train_on_reports_the_scorecard_and_why() -> None:
    r = bench_detectors(60, 3, seed=5, start=START, train_seed=6, trained=True)
    assert r.default is not None and r.trained is None
    assert r.trained_note.startswith("not trained on seed 6") and "too few labelled players" in r.trained_note
    result = CliRunner().invoke(app, ["bench", "detectors", "--players", "60", "--days", "3", "--trained"])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "trained model: not run (not trained on seed 11" in output and "too few labelled players" in output
