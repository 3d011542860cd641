"""The operator's RG model (models.rg.dataset / train): labels from the log, cut-offs before
each label, tenure-matched controls, no leakage of a label's own activity into its features,
the logistic fit exported exactly into the live format, the report, and refusals."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

from croupier.compliance.rules import default_rules
from croupier.events import CasinoBet, Deposit, ExclusionRequested, ExclusionStarted, RgReviewed
from croupier.models.rg import RgModel, score
from croupier.models.rg.dataset import (
    DatasetRefused, build_dataset, cutoff_for, features_at, find_labels, is_activity,
)
from croupier.models.rg.train import TrainingRefused, train_on_events
from croupier.players.apply import micros
from croupier.players.config import EngineConfig, FeatureConfig
from croupier.players.state import DAY_US
from rg.training_history import START, constructed_log, history

T0 = datetime(2026, 3, 2, 10, tzinfo=timezone.utc)


def _bet(pid: str, at: datetime, amount: str = "10.00", n: int = 0) -> CasinoBet:
    return CasinoBet(event_id=f"{pid}-x{n}-{micros(at)}", player_id=pid, brand="b", occurred_at=at,
                     bet_id=f"{pid}-x{n}-{micros(at)}", amount=amount, currency="EUR", game_category="slots")


def test_labels_come_from_harm_exclusions_and_harm_reviews_only_the_first_per_player() -> None:
    def requested(pid: str, at: datetime, reason: str | None) -> ExclusionRequested:
        return ExclusionRequested(event_id=f"{pid}-r{micros(at)}", player_id=pid, brand="b", occurred_at=at,
                                  kind="self_exclusion", reason=reason)

    def started(pid: str, kind: str, reason: str | None) -> ExclusionStarted:
        return ExclusionStarted(event_id=f"{pid}-s-{kind}", player_id=pid, brand="b", occurred_at=T0,
                                exclusion_id=f"x-{pid}-{kind}", kind=kind, scope="operator", reason=reason)

    def reviewed(pid: str, outcome: str) -> RgReviewed:
        return RgReviewed(event_id=f"{pid}-v-{outcome}", player_id=pid, brand="b", occurred_at=T0, outcome=outcome)

    events = [
        requested("a", T0 + timedelta(days=2), "gambling_harm"),
        requested("a", T0, "gambling_harm"),                  # earlier: this one labels a
        requested("b", T0, None), requested("b", T0, "personal"),
        started("c", "closure", "gambling_harm; closed at the player's request"),
        started("d", "timeout", "gambling_harm"),             # a time-out is not a label
        started("e", "self_exclusion", "moving abroad"),
        reviewed("f", "harm_confirmed"), reviewed("g", "exclusion_agreed"), reviewed("h", "no_concern"),
    ]
    labels = find_labels(events)
    assert sorted(labels) == ["a", "c", "f", "g"]
    assert labels["a"].at_us == micros(T0) and labels["a"].source == "exclusion.requested"
    assert labels["c"].source == "croupier.exclusion_started" and labels["f"].source == "croupier.rg_reviewed"


def test_the_cut_off_is_the_end_of_the_day_before_the_labels_day() -> None:
    label_us = micros(T0)
    cut = cutoff_for(label_us)
    assert cut < (label_us // DAY_US) * DAY_US and cut + 1 == (label_us // DAY_US) * DAY_US
    assert cutoff_for(label_us, 3) == cut - 2 * DAY_US
    with pytest.raises(DatasetRefused, match="gap_days must be at least 1"):
        cutoff_for(label_us, 0)


def _dataset(events, seed: int = 4, **kw):  # noqa: ANN001, ANN202
    return build_dataset(events, FeatureConfig(), default_rules(), seed=seed, **kw)


def test_positives_are_cut_before_their_label_and_controls_at_the_same_tenure_within_their_own_data() -> None:
    events = constructed_log()
    data = _dataset(events)
    positives = [s for s in data.samples if s.label]
    controls = [s for s in data.samples if not s.label]
    assert len(positives) == 26 and len(controls) == 3 * 26
    first = {}
    last = {}
    for e in events:
        at = micros(e.occurred_at)
        last[e.player_id] = max(last.get(e.player_id, at), at)
        if is_activity(e):
            first[e.player_id] = min(first.get(e.player_id, at), at)
    by_id = {s.player_id: s for s in positives}
    for s in positives:
        assert s.cutoff_us < (s.label_us // DAY_US) * DAY_US          # before the label's day
        assert s.tenure_days == s.cutoff_us // DAY_US - first[s.player_id] // DAY_US
    for c in controls:
        assert c.player_id not in data.labels
        positive = by_id[c.matched_to]
        assert c.tenure_days == positive.tenure_days                  # the same tenure
        assert c.cutoff_us // DAY_US - first[c.player_id] // DAY_US == positive.tenure_days
        assert first[c.player_id] <= c.cutoff_us < last[c.player_id]  # active by then, data after the cut
        assert c.label_us == positive.label_us
    # deterministic in the seed
    again = _dataset(events)
    assert [(s.player_id, s.cutoff_us) for s in again.samples] == [(s.player_id, s.cutoff_us) for s in data.samples]
    other = _dataset(events, seed=5)
    assert [s.player_id for s in other.samples if not s.label] != [s.player_id for s in controls]


def test_leakage_a_labels_own_activity_never_reaches_its_training_features() -> None:
    """Huge play on the label's day, at the label and after it changes nothing in the
    positive's features; huge play after a control's cut-off changes nothing in its own."""
    events = constructed_log()
    data = _dataset(events)
    positive = next(s for s in data.samples if s.label)
    pid = positive.player_id
    label_day = (positive.label_us // DAY_US) * DAY_US
    moments = [label_day + 1, positive.label_us - 1, positive.label_us, positive.label_us + DAY_US * 3]
    flood = []
    for k, at_us in enumerate(moments):
        at = datetime.fromtimestamp(at_us / 1e6, tz=timezone.utc)
        flood.append(Deposit(event_id=f"{pid}-flood-d{k}", player_id=pid, brand="b", occurred_at=at,
                             transaction_id=f"{pid}-flood-d{k}", amount="90000.00", currency="EUR", status="approved"))
        flood += [_bet(pid, at + timedelta(seconds=i), "5000.00", i) for i in range(50)]
    flooded = _dataset(sorted(events + flood, key=lambda e: e.occurred_at))
    after = next(s for s in flooded.samples if s.player_id == pid and s.label)
    assert after.cutoff_us == positive.cutoff_us and after.inputs == positive.inputs
    assert positive.inputs["stakes_30"] < 100_000        # the flood (1,000,000 EUR of stakes) is nowhere
    # the controls' samples are the same too (the positive's extra data moves no control)
    assert [(s.player_id, s.inputs) for s in flooded.samples if not s.label] == \
           [(s.player_id, s.inputs) for s in data.samples if not s.label]

    control = next(s for s in data.samples if not s.label)
    own = [(i, e) for i, e in enumerate(events) if e.player_id == control.player_id]
    later = datetime.fromtimestamp((control.cutoff_us + 1) / 1e6, tz=timezone.utc)
    extra = [(10**6 + i, _bet(control.player_id, later + timedelta(minutes=i), "7000.00", i)) for i in range(30)]
    _, plain = features_at(control.player_id, own, control.cutoff_us, FeatureConfig(), default_rules())
    _, with_extra = features_at(control.player_id, own + extra, control.cutoff_us, FeatureConfig(), default_rules())
    assert plain == with_extra == control.inputs
    # and the cut-off itself includes what happened up to it: a bet at the cut-off counts
    at_cut = [(10**6, _bet(control.player_id, datetime.fromtimestamp(control.cutoff_us / 1e6, tz=timezone.utc),
                           "7000.00"))]
    _, counted = features_at(control.player_id, own + at_cut, control.cutoff_us, FeatureConfig(), default_rules())
    assert counted["stakes_30"] == pytest.approx(control.inputs["stakes_30"] + 7000)


def test_the_logistic_fit_is_exactly_the_live_scorecard() -> None:
    result = train_on_events(constructed_log(harmed=30, others=90, seed=9), EngineConfig(), seed=2)
    model = result.fitted["logistic_model"]
    assert model.kind == "logistic" and model.version.startswith("rg-")
    fitted = result.fitted
    for sample in result.dataset.samples:
        row = [[_value(t, sample.inputs) for t in fitted["terms"]]]
        expected = fitted["logistic"].decision_function(fitted["scaler"].transform(row))[0]
        got = model.intercept + sum(t.weight * _value(t, sample.inputs) for t in model.terms)
        assert got == pytest.approx(expected, abs=1e-9)
        raised = {c.input: c.log_odds for c in score(model, sample.inputs).contributions}
        assert raised == {t.input: pytest.approx(t.weight * _value(t, sample.inputs)) for t in model.terms
                          if t.weight * _value(t, sample.inputs) > 0}
        assert score(model, sample.inputs).probability == pytest.approx(1 / (1 + math.exp(-expected)), abs=1e-12)
    # the model survives the configuration document's JSON round trip unchanged
    import msgspec

    again = msgspec.json.decode(msgspec.json.encode(model), type=RgModel)
    sample = result.dataset.samples[0]
    assert score(again, sample.inputs) == score(model, sample.inputs)


def test_the_boosted_fit_is_exported_exactly_monotonic_and_explained() -> None:
    import msgspec

    result = train_on_events(constructed_log(harmed=30, others=90, seed=9), EngineConfig(), seed=2)
    model, boosted = result.fitted["boosted_model"], result.fitted["boosted"]
    assert model.kind == "boosted" and model.trees and len(model.trees) == 100
    assert all(t.weight == 0 for t in model.terms)
    from threadpoolctl import threadpool_limits

    rows = [[_value(t, s.inputs) for t in result.fitted["terms"]] for s in result.dataset.samples]
    with threadpool_limits(1):
        raw = boosted.decision_function(rows)
    for sample, expected in zip(result.dataset.samples, raw, strict=True):
        got = score(model, sample.inputs)
        assert got.probability == pytest.approx(1 / (1 + math.exp(-expected)), abs=1e-9)
        assert all(c.log_odds > 0 for c in got.contributions)
    # more play never lowers the score (monotonic constraints), and the rise is explained
    sample = next(s for s in result.dataset.samples if not s.label)
    base = score(model, sample.inputs)
    for name in ("stakes_30", "bets_per_active_day_30", "deposit_count_30", "active_share_30"):
        more = dict(sample.inputs, **{name: sample.inputs.get(name, 0.0) * 10 + 50})
        assert score(model, more).probability >= base.probability - 1e-12, name
    # JSON round trip (the configuration document) keeps the scores
    again = msgspec.json.decode(msgspec.json.encode(model), type=RgModel)
    assert score(again, sample.inputs) == base
    # a live score walks at most BOOSTED_TREES trees of at most 8 leaves (what keeps it cheap
    # on every RG event; its time is measured by `croupier bench detectors`, not here)
    from croupier.models.rg.train import BOOSTED_TREES

    assert 0 < len(model.trees or ()) <= BOOSTED_TREES
    assert all(sum(node.input is None for node in tree.nodes) <= 8 for tree in model.trees or ())


def _value(term, inputs):  # noqa: ANN001, ANN202
    from croupier.models.rg.scorecard import _term_value

    return _term_value(term, inputs.get(term.input, 0.0))


def test_the_report_carries_auc_levels_flagged_shares_calibration_and_explanations() -> None:
    result = train_on_events(constructed_log(), EngineConfig(), seed=1,
                             levels=(("low", 0.2), ("medium", 0.4), ("high", 0.6), ("severe", 0.8)))
    report = result.report
    aucs = {name: report["models"][name]["auc"] for name in ("logistic", "boosted")}
    assert report["live"] == ("boosted" if aucs["boosted"] > aucs["logistic"] else "logistic")
    assert result.model.kind == report["live"] and result.model.version == report["version"]
    assert report["models"][report["live"]]["version"] == report["version"]
    assert report["data"]["label_sources"] == {"exclusion.requested": 16, "croupier.exclusion_started": 5,
                                               "croupier.rg_reviewed": 5}
    for name in ("logistic", "boosted"):
        m = report["models"][name]
        assert 0.5 < m["auc"] <= 1.0
        assert [lv["level"] for lv in m["levels"]] == ["low", "medium", "high", "severe"]
        assert [lv["threshold"] for lv in m["levels"]] == [0.2, 0.4, 0.6, 0.8]
        flagged = [lv["flagged"] for lv in m["levels"]]
        assert flagged == sorted(flagged, reverse=True)
        assert all(0 <= lv["unlabelled_flagged_share"] <= 1 for lv in m["levels"])
        assert sum(b["n"] for b in m["calibration"]["bins"]) == m["n"]
        assert 0 <= m["calibration"]["brier"] <= 0.25
    top = report["explanations"][0]
    assert top["top"] and all(c["log_odds"] > 0 for c in top["top"])
    live = report["live_inputs"]
    assert live and [t["mean_log_odds"] for t in live] == sorted((t["mean_log_odds"] for t in live), reverse=True)
    assert all(t["mean_log_odds"] > 0 and 0 < t["raised_share"] <= 1 for t in live)
    assert result.model.trained["auc"] == report["models"][report["live"]]["auc"]
    import json

    json.dumps(report)   # JSON-ready as stored


def test_too_few_labels_is_refused_naming_the_count() -> None:
    events = constructed_log(harmed=8, others=30)
    with pytest.raises(TrainingRefused, match=r"too few labelled players to train on: 8 usable .* at least 20"):
        train_on_events(events, EngineConfig(), seed=0)
    with pytest.raises(TrainingRefused, match="time split leaves"):
        train_on_events(constructed_log(), EngineConfig(), seed=0, split_at_us=micros(START))


def test_training_end_to_end_on_a_simulated_history_finds_the_problem_gamblers() -> None:
    """A few hundred simulated players; problem gamblers self-exclude for gambling harm ten
    days into their escalation (the simulator's ground truth, appended here)."""
    events = list(history(players=300, days=60, seed=3))
    result = train_on_events(events, EngineConfig(), seed=7)
    report = result.report
    assert report["data"]["positives"] >= 20
    assert report["models"]["logistic"]["auc"] >= 0.75, report["models"]["logistic"]
    assert report["models"]["boosted"]["auc"] >= 0.7, report["models"]["boosted"]
    medium = next(lv for lv in report["models"]["logistic"]["levels"] if lv["level"] == "medium")
    assert medium["recall"] >= 0.5


def test_prior_correction_puts_the_probabilities_on_the_populations_scale_and_keeps_the_ranking() -> None:
    """Three controls per labelled player in the sample, but one labelled player in eleven in
    the log: both fits' intercepts move by logit(1/11) - logit(sample share); nothing else."""
    from croupier.models.rg.train import population_weights, prior_shift

    result = train_on_events(constructed_log(harmed=30, others=300, seed=9), EngineConfig(), seed=2)
    prior = result.report["prior"]
    assert prior["population_share"] == pytest.approx(30 / 330)
    assert 0.2 < prior["sample_share"] < 0.3
    shift = prior["intercept_shift"]
    assert shift == pytest.approx(prior_shift(30 / 330, prior["sample_share"])) and shift < -1
    fitted = result.fitted
    model = fitted["logistic_model"]
    for sample in result.dataset.samples[:20]:
        row = [[_value(t, sample.inputs) for t in fitted["terms"]]]
        expected = fitted["logistic"].decision_function(fitted["scaler"].transform(row))[0] + shift
        got = model.intercept + sum(t.weight * _value(t, sample.inputs) for t in model.terms)
        assert got == pytest.approx(expected, abs=1e-9)
    boosted = fitted["boosted_model"]
    sample = result.dataset.samples[0]
    raw = fitted["boosted"].decision_function([[_value(t, sample.inputs) for t in fitted["terms"]]])[0]
    assert math.log(score(boosted, sample.inputs).probability / (1 - score(boosted, sample.inputs).probability)) \
        == pytest.approx(raw + shift, abs=1e-6)
    # the weights that bring the sample to the population's share
    y = [1, 0, 0, 0] * 5
    w = population_weights(y, 0.1)
    assert sum(wi * yi for wi, yi in zip(w, y)) / sum(w) == pytest.approx(0.1)
    for m in result.report["models"].values():
        assert all(lv["precision"] is None or lv["precision"] <= lv["sample_precision"] + 1e-12 for lv in m["levels"])
