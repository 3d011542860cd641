"""The calibrated risk score (0..1) and the level's memory: the shipped scorecard's bounds,
monotonicity and explanations; calm days before a level comes down, one step at a time; the
90-day peak; an open case holding the level; `level_at` agreeing with the fold at every
event and between events."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings, strategies as st

from croupier.compliance.rules import RgRules
from croupier.models.rg.default import (
    BASE_RATE, CALIBRATION, DEFAULT_SCORECARD, RAW_SCORECARD, REFERENCE, VERSION, VOLUME, VOLUME_CAP,
)
from croupier.models.rg.scorecard import RgModel, Term, score
from croupier.players.protection_state import ProtectionState
from croupier.protection.measures import MEASURES
from croupier.protection.risk import (
    calm_steps, explain, level_at, observed, peak_at, RANK,
)

from . import Player, at, scripted_config

DAY_US = 86_400_000_000
INPUTS = sorted({t.input for t in DEFAULT_SCORECARD.terms})


# --- the score ---------------------------------------------------------------------------------
def test_every_term_names_a_measure_or_a_marker_and_its_source() -> None:
    for term in DEFAULT_SCORECARD.terms:
        assert term.input in MEASURES or term.input.startswith("marker:"), term.input
        assert term.source and term.weight > 0
    assert DEFAULT_SCORECARD.version == VERSION and DEFAULT_SCORECARD.kind == "scorecard"


def test_an_ordinary_player_scores_the_base_rate_before_calibration_and_a_quiet_one_no_less() -> None:
    assert abs(score(RAW_SCORECARD, REFERENCE).probability - BASE_RATE) < 1e-6
    for model in (RAW_SCORECARD, DEFAULT_SCORECARD):
        assert score(model, dict.fromkeys(REFERENCE, 0.0)).probability == score(model, {}).probability
        assert score(model, REFERENCE).probability == score(model, {}).probability
    assert score(DEFAULT_SCORECARD, {}).basis_points == 3          # calibrated: an ordinary player is rarely harmed


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


values = st.floats(min_value=0, max_value=1e6, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(INPUTS), values), st.sampled_from(INPUTS),
       st.floats(min_value=0, max_value=1e5, allow_nan=False))
def test_the_score_is_a_probability_and_never_falls_as_any_input_rises(inputs, name, more) -> None:  # noqa: ANN001
    inputs = {k: (min(v, 3.0) if k.startswith("marker:") else v) for k, v in inputs.items()}
    low = score(DEFAULT_SCORECARD, inputs)
    higher = dict(inputs, **{name: inputs.get(name, 0.0) + more})
    high = score(DEFAULT_SCORECARD, higher)
    assert 0.0 <= low.probability <= 1.0 and 0 <= low.basis_points <= 10_000
    assert high.probability >= low.probability - 1e-12
    # the shipped scorecard is the raw one with the calibration folded in: one scale, one shift
    raw = score(RAW_SCORECARD, inputs).probability
    if 1e-9 < raw < 1 - 1e-9 and 1e-9 < low.probability < 1 - 1e-9:
        a, b = CALIBRATION
        assert math.isclose(_logit(low.probability), a + b * _logit(raw), abs_tol=0.02)


def test_heavier_play_scores_higher_but_volume_alone_stays_below_medium() -> None:
    heavy = dict(REFERENCE, stake_per_active_day_30=412.0, active_days_30=30.0, active_days_90=80.0,
                 products_30=3.0)
    result = score(DEFAULT_SCORECARD, heavy)
    assert result.probability > score(DEFAULT_SCORECARD, REFERENCE).probability * 5
    odds = [c.log_odds for c in result.contributions]
    assert odds == sorted(odds, reverse=True) and all(x > 0 for x in odds)
    assert {c.input for c in result.contributions} == {"stake_per_active_day_30", "active_days_30",
                                                      "active_days_90", "products_30"}
    assert result.contributions[0].input == "active_days_30"       # daily play is the strongest sign
    # however heavy, volume adds at most its cap: heavier still ranks higher, but never medium alone
    extreme = dict(heavy, stake_per_active_day_30=1e6, bets_per_active_day_30=5000.0, net_loss_30=1e6,
                   **{"marker:intensity": 3.0, "marker:frequency": 3.0, "marker:net_loss": 3.0})
    bigger = score(DEFAULT_SCORECARD, extreme)
    assert result.probability < bigger.probability < RgRules().levels[1] / 10_000
    volume = sum(c.log_odds for c in bigger.contributions if c.input != "products_30")
    assert volume < DEFAULT_SCORECARD.group_caps[VOLUME] and DEFAULT_SCORECARD.group_caps[VOLUME] <= VOLUME_CAP
    # ... while signs beyond volume (losing what is deposited, depositing often, chasing) reach it
    harmed = dict(extreme, loss_to_deposit_30=1.0, deposit_count_30=25.0,
                  **{"marker:loss_chasing": 3.0, "marker:stake_chasing": 2.0})
    assert score(DEFAULT_SCORECARD, harmed).probability >= RgRules().levels[1] / 10_000


def test_a_group_cap_bounds_the_sum_softly_and_keeps_each_terms_share() -> None:
    model = RgModel(version="g", intercept=0.0, terms=[Term("active_days_30", 1.0, group="v"),
                                                        Term("products_30", 1.0, group="v"),
                                                        Term("stake_cv_30", 1.0)], group_caps={"v": 2.0})
    small = score(model, {"active_days_30": 0.1, "products_30": 0.1})
    assert math.isclose(sum(c.log_odds for c in small.contributions), 2.0 * math.tanh(0.1), rel_tol=1e-9)
    big = score(model, {"active_days_30": 30.0, "products_30": 10.0, "stake_cv_30": 1.0})
    parts = {c.input: c.log_odds for c in big.contributions}
    assert math.isclose(parts["active_days_30"] + parts["products_30"], 2.0 * math.tanh(20.0))
    assert math.isclose(parts["active_days_30"] / parts["products_30"], 3.0)   # shares kept
    assert parts["stake_cv_30"] == 1.0                                          # outside the group: as is


def test_a_marker_no_term_names_counts_at_the_default_weight() -> None:
    plain = score(DEFAULT_SCORECARD, {}).probability
    new = score(DEFAULT_SCORECARD, {"marker:rising_intensity": 2.0})
    assert new.probability > plain and new.contributions[0].input == "marker:rising_intensity"
    assert math.isclose(new.contributions[0].log_odds, 2 * DEFAULT_SCORECARD.default_marker_weight)
    trained = RgModel(version="t", intercept=-3.0, terms=[Term("active_days_30", 0.1)], kind="logistic")
    assert score(trained, {"marker:rising_intensity": 2.0}).probability == score(trained, {}).probability


# --- memory: pure rules ------------------------------------------------------------------------
def test_calm_steps_come_one_level_at_a_time() -> None:
    calm = 30 * DAY_US
    memory = observed([0, 0, 0, 0, 0, 0], 3, 10 * DAY_US)          # high at day 10: evidence for low..high
    assert memory == [3, 10 * DAY_US, 10 * DAY_US, 10 * DAY_US, 10 * DAY_US, 0]
    memory = observed(memory, 1, 20 * DAY_US)                       # low at day 20: fresh evidence of low only
    assert calm_steps(memory, 40 * DAY_US - 1, calm)[0][0] == 3
    after, steps = calm_steps(memory, 200 * DAY_US, calm)
    assert steps == [(40 * DAY_US, 2), (70 * DAY_US, 1), (100 * DAY_US, 0)]
    assert after[0] == 0


# --- the fold ----------------------------------------------------------------------------------
def declines(p: Player, day: float, n: int) -> None:
    for i in range(n):
        p.deposit(at(day, minutes=10 * i), "100.00", status="declined")


def _us(day: float) -> int:
    return int(at(day).timestamp()) * 1_000_000


def test_a_level_is_held_after_the_markers_decay_until_the_calm_days_pass_then_drops_one_step() -> None:
    p = Player(config=scripted_config())
    p.register()
    declines(p, 1, 5)                                               # severity 2: medium (no RG case)
    prot = p.state.protection
    assert prot.risk_level == "medium" and prot.peak_level == "medium"
    evidence = prot.risk_memory[2 + 1]
    for day in (10, 20, 30):                                        # the marker decayed away by day 15
        p.session(at(day), 10)
        assert p.state.protection.risk_level == "medium"
    assert not p.state.protection.markers
    said = explain(p.state.protection, _us(30.5), scripted_config().jurisdictions["SE"].rg)
    until = (at(0) + (evidence + 30 * DAY_US - _us(0)) * __import__("datetime").timedelta(microseconds=1)).date()
    assert said["held"]["code"] == f"rg_held_calm:medium:30d:{until.isoformat()}"
    assert f"held at medium until {until.isoformat()}" in said["held"]["text"] and said["score_level"] == "none"
    p.session(at(32), 10)                                           # 30 calm days after the last medium score
    prot = p.state.protection
    assert prot.risk_level == "low"                                 # one step, not straight to none
    assert prot.risk_history[-1][:2] == [evidence + 30 * DAY_US, "low"]
    assert prot.peak_level == "medium"                              # and the peak stays visible


def test_the_peak_is_kept_for_90_days() -> None:
    p = Player(config=scripted_config())
    p.register()
    declines(p, 1, 5)
    reached = p.state.protection.risk_history[-1][0]
    assert p.state.protection.risk_history[-1][1] == "medium"
    p.session(at(150), 10)
    prot = p.state.protection
    assert prot.risk_level == "none"
    left = next(h[0] for h in prot.risk_history if h[1] == "low" and h[7] == "calm")
    assert peak_at(prot, left + 90 * DAY_US - 1) == ("medium", reached)    # until 90 days after it left medium
    assert peak_at(prot, left + 90 * DAY_US)[0] == "low"
    assert prot.peak_level == peak_at(prot, _us(150) + 10 * 60_000_000)[0]


def test_an_open_case_keeps_the_level_until_review() -> None:
    p = Player(config=scripted_config())
    p.register()
    declines(p, 1, 8)                                               # high: a human case opens
    assert [v.kind for v in p.state.protection.interventions if v.status == "open"] == ["human"]
    p.session(at(150), 10)
    prot = p.state.protection
    assert prot.risk_level == "high" and prot.risk_memory[0] == 0  # memory came all the way down; the case holds
    assert explain(prot, _us(151), scripted_config().jurisdictions["SE"].rg)["held"]["code"] == "rg_held_case:high"
    assert level_at(prot, _us(151)) == "high"
    p.send("croupier.rg_reviewed", at(152), actor="rita", outcome="no_concern", lift_hard_stop=False)
    prot = p.state.protection
    assert prot.risk_level == "none" and prot.risk_history[-1][7] == "review"
    assert level_at(prot, _us(152) - 1) == "high" and level_at(prot, _us(152)) == "none"
    p.session(at(170), 10)                                          # no new case without fresh evidence
    assert [v.status for v in p.state.protection.interventions if v.kind == "human"] == ["reviewed"]


SETTLED = {"payment.deposit", "session.ended", "support.message", "croupier.rg_reviewed"}


def _scripted(seed: int) -> tuple[Player, list[int]]:
    rng = random.Random(seed)
    p = Player(f"p{seed}", config=scripted_config())
    p.register()
    times = []
    day = 1.0
    for _ in range(rng.randint(8, 20)):
        day += rng.choice([0.1, 0.5, 2, 5, 9, 17, 31, 45])
        kind = rng.random()
        if kind < 0.4:
            declines(p, day, rng.randint(1, 8))
        elif kind < 0.6:
            p.support(at(day), rng.choice(["I can't stop, I'm desperate and I borrowed money.", "thanks, all good"]))
        elif kind < 0.7:
            p.send("croupier.rg_reviewed", at(day), actor="rita", outcome="no_concern", lift_hard_stop=True)
        else:
            p.session(at(day), 30, bets=rng.randint(0, 30), stake=rng.choice(["10.00", "400.00", "5000.00"]))
        times.append(p.state.last_event_us)
    return p, times


@settings(max_examples=12, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_level_at_equals_the_fold_at_events_and_between_them(seed: int) -> None:
    p, _ = _scripted(seed)
    # refold event by event: after each, level_at(now) is the fold's level; and the final
    # state's level_at between events is what the fold recorded for that stretch
    q = Player(p.player_id, config=p.config)
    fold_levels = []
    for body in p.raw:
        fields = {k: v for k, v in body.items() if k not in ("type", "player_id", "brand", "occurred_at")}
        from datetime import datetime
        when = datetime.fromisoformat(body["occurred_at"])
        q.send(body["type"], when, **fields)
        if body["type"] not in SETTLED:
            continue                                # the level is folded where the RG fold runs
        t = q.state.last_event_us
        fold_levels.append((t, q.state.protection.risk_level))
        assert level_at(q.state.protection, t) == q.state.protection.risk_level
    final = p.state.protection
    history = final.risk_history
    for t, level in fold_levels:
        assert level_at(final, t) == level, (t, level)
    for i in range(len(fold_levels) - 1):
        t0, t1 = fold_levels[i][0], fold_levels[i + 1][0]
        for mid in (t0 + 1, (t0 + t1) // 2, t1 - 1):
            if mid <= t0 or mid >= t1:
                continue
            recorded = [h for h in history if h[0] <= mid]
            expected = recorded[-1][1] if recorded else "none"
            assert level_at(final, mid) == expected, (mid, expected)
    assert all(RANK[h[1]] >= 0 for h in history)
    assert isinstance(ProtectionState().risk_bp, int)


def test_contributions_read_in_plain_words() -> None:
    from croupier.protection.risk import contribution_words

    assert contribution_words("stake_per_active_day_30", 412.3, 0.94) == "stakes per betting day ≈412 EUR (+0.9)"
    assert contribution_words("active_days_30", 30.0, 1.35) == "betting days 30 of the last 30 (+1.4)"
    assert contribution_words("stake_trend_30", math.log(3), 0.6) == \
        "stakes of the last 15 days against the 15 before ×3.0 (+0.6)"
    assert contribution_words("marker:loss_chasing", 2.0, 2.1) == "marker loss chasing at severity 2 (+2.1)"
    assert contribution_words("some_new_measure", 1.5, 0.2) == "some new measure 1.50 (+0.2)"
