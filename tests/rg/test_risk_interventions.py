"""Risk levels from the markers, their history, interventions per level and per jurisdiction,
and what reaches the gate."""

from __future__ import annotations

import pytest

from croupier.compliance import Proposal, decide
from croupier.compliance.document import ConfigDocument, effective
from croupier.compliance.rules import JurisdictionRules, RgRules, presets
from croupier.players import EngineConfig
from croupier.players.protection_state import MarkerView, ProtectionState
from croupier.protection import interventions
from croupier.protection.interventions import due, review, variant_for
from croupier.protection.markers import DEFAULT_CONFIG
from croupier.protection.risk import held, level_at, level_for, risk_score

from . import SCRIPTED_LEVELS, Player, at, scripted_config

DAY_US = 86_400_000_000


def declines(p: Player, day: float, n: int) -> None:
    for i in range(n):
        p.deposit(at(day, minutes=10 * i), "100.00", status="declined")


def test_score_is_weighted_severity_and_levels_follow_the_cut_points():
    markers = {"loss_chasing": MarkerView("loss_chasing", 2, 0, 0, "x"),     # weight 3
               "late_night": MarkerView("late_night", 3, 0, 0, "x"),         # weight 1
               "distress": MarkerView("distress", 2, 0, 0, "x")}             # weight 4
    score, names = risk_score(markers, 0, DEFAULT_CONFIG)
    assert score == 3 * 2 + 1 * 3 + 4 * 2
    assert names == ["distress", "loss_chasing", "late_night"]
    cuts = RgRules().levels                            # basis points of the 0..1 score
    assert cuts == [600, 1500, 4000, 8000]
    assert [level_for(s, cuts) for s in (0, 599, 600, 1499, 1500, 3999, 4000, 7999, 8000, 10000)] == [
        "none", "none", "low", "low", "medium", "medium", "high", "high", "severe", "severe"]


def test_level_transitions_are_recorded_with_their_markers():
    p = Player(config=scripted_config())
    p.register()
    declines(p, 1, 3)                                        # declined_deposits 1 -> 7 bp: low
    declines(p, 1.1, 2)                                      # 5 declines: severity 2 -> 15 bp: medium
    p.support(at(1.2), "I'm desperate, I can't stop and I borrowed money for this.")  # + distress
    history = p.state.protection.risk_history
    assert [h[1] for h in history] == ["low", "medium", "severe"]
    assert history[0][2] == ["declined_deposits"]
    assert history[-1][2] == ["distress", "declined_deposits"] and history[-1][3] == 4 * 3 + 3 * 2
    assert p.state.protection.risk_level == "severe"
    assert p.state.protection.risk_since_us == history[-1][0]
    changes = p.signals("rg_risk_changed")
    assert [s.detail for s in changes] == ["low", "medium", "severe"]
    prot = p.state.protection
    assert f"risk medium → severe (score {prot.risk_bp / 10_000:.2f}, marker points 18; peak in 90 days severe)" \
        in changes[-1].explanation
    assert prot.risk_bp >= SCRIPTED_LEVELS[3]
    assert "raised by marker distress at severity 3 (+7.5), marker declined deposits at severity 2 (+1.5)" \
        in changes[-1].explanation
    assert "5 deposits declined or failed in the last 24 h" in changes[-1].explanation


def test_interventions_by_level_with_their_state_effects_and_messages():
    p = Player(config=scripted_config())
    p.register()
    declines(p, 1, 5)                                        # medium: soft
    kinds = [v.kind for v in p.state.protection.interventions]
    assert kinds == ["soft"]
    assert not p.state.protection.promotions_paused
    p.support(at(1.2), "Please help me, I lost control and I'm desperate.")  # -> severe
    prot = p.state.protection
    assert [v.kind for v in prot.interventions] == ["soft", "firm", "human", "hard_stop"]
    assert prot.promotions_paused and prot.reality_check_forced and prot.deposits_blocked
    assert [v.status for v in prot.interventions if v.kind == "human"] == ["open"]
    names = [d.proposal.name for d in p.decisions() if d.proposal.purpose == "safer_play"]
    assert names == ["rg_safer_play", "rg_limit_offer", "rg_support_call", "rg_deposits_paused"]
    soft = next(d for d in p.decisions() if d.proposal.name == "rg_safer_play")
    assert soft.proposal.params["variant"] in ("A", "B") and soft.proposal.params["intervention"] == "soft"
    assert soft.allowed


def test_an_intervention_is_not_repeated_within_the_repeat_window():
    p = Player(config=scripted_config())
    p.register()
    declines(p, 1, 5)
    declines(p, 2, 5)                                        # still medium the next day
    assert [v.kind for v in p.state.protection.interventions] == ["soft"]
    declines(p, 10, 5)                                       # past the 7-day window
    assert [v.kind for v in p.state.protection.interventions] == ["soft", "soft"]


def review_event(p: Player, when, lift: bool = False) -> None:
    p.send("croupier.rg_reviewed", when, actor="rita", outcome="no_concern", lift_hard_stop=lift)


def test_an_open_case_holds_the_level_until_review_then_memory_brings_it_down_a_step_at_a_time():
    p = Player(config=scripted_config())
    p.register()
    declines(p, 1, 8)                                        # severity 3: high
    p.support(at(1.2), "I can't stop, I'm desperate and I borrowed money.")   # severe
    prot = p.state.protection
    assert prot.risk_level == "severe" and prot.promotions_paused and prot.deposits_blocked
    last_evidence = prot.risk_memory[2 + 3]                  # the last score at or above severe
    p.session(at(70), 10)                                    # weeks later, markers decayed away
    prot = p.state.protection
    assert not prot.markers and prot.risk_bp < SCRIPTED_LEVELS[0]
    # memory alone is at medium by now (severe and high each came down after 30 calm days), but the
    # case opened at high holds the player there until an officer reviews it
    assert [(h[0], h[1], h[7]) for h in prot.risk_history][-1] == (last_evidence + 30 * DAY_US, "high", "calm")
    assert prot.risk_level == "high" and prot.promotions_paused and prot.deposits_blocked
    se = scripted_config().jurisdictions["SE"].rg
    assert held(prot, int(at(70.5).timestamp()) * 1_000_000, se) == "rg_held_case:high"
    review_event(p, at(71), lift=True)
    prot = p.state.protection
    assert not prot.deposits_blocked and all(v.status != "open" for v in prot.interventions)
    assert prot.risk_level == "medium" and prot.risk_history[-1][7] == "review"
    assert level_at(prot, int(at(70.9).timestamp()) * 1_000_000) == "high"
    assert level_at(prot, last_evidence + 90 * DAY_US - 1) == "medium"
    assert level_at(prot, last_evidence + 90 * DAY_US) == "low"
    assert held(prot, int(at(72).timestamp()) * 1_000_000, se).startswith("rg_held_calm:medium:30d:")
    assert not prot.promotions_paused and not prot.reality_check_forced   # below firm_at
    p.session(at(200), 10)
    assert p.state.protection.risk_level == "none"
    downs = [(h[0], h[1], h[7]) for h in p.state.protection.risk_history[-2:]]
    assert downs == [(last_evidence + 90 * DAY_US, "low", "calm"), (last_evidence + 120 * DAY_US, "none", "calm")]


def test_jurisdictions_configure_the_levels_of_each_intervention():
    """The fold takes the RG rules from the configuration it is given (an approved document's
    table), not from the presets; each level change and intervention records its version."""
    strict = JurisdictionRules(code="XX", name="Strict", currency="EUR",
                               rg=RgRules(soft_at="low", firm_at="medium", human_at="medium", hard_stop_at=None,
                                          score_levels=SCRIPTED_LEVELS))
    config = effective(ConfigDocument(jurisdictions={"SE": scripted_config().jurisdictions["SE"], "XX": strict}))
    lax = Player("lax", jurisdiction="SE", config=config)
    tight = Player("tight", jurisdiction="XX", config=config)
    for p in (lax, tight):
        p.register()
        declines(p, 1, 3)                                    # low
    assert lax.state.protection.interventions == []
    assert [v.kind for v in tight.state.protection.interventions] == ["soft"]
    for p in (lax, tight):
        declines(p, 1.1, 8)                                  # severity 3: high
        p.support(at(1.2), "I can't stop, I'm desperate and I borrowed money.")   # severe
    assert [v.kind for v in lax.state.protection.interventions] == ["soft", "firm", "human", "hard_stop"]
    assert [v.kind for v in tight.state.protection.interventions] == ["soft", "firm", "human"]
    assert not tight.state.protection.deposits_blocked       # no hard stop in this market
    for p in (lax, tight):
        assert {h[4] for h in p.state.protection.risk_history} == {config.version}
        assert {v.config_version for v in p.state.protection.interventions} == {config.version}


def test_rg_rules_are_validated():
    import msgspec

    with pytest.raises(msgspec.ValidationError, match="rg.level_scores needs four rising scores"):
        msgspec.json.decode(b'{"level_scores": [5, 2, 9, 14]}', type=RgRules)
    for bad in ([1500, 600, 4000, 8000], [600, 1500, 4000], [0, 1500, 4000, 8000], [600, 1500, 4000, 10001],
                [600, 600, 4000, 8000]):
        with pytest.raises(msgspec.ValidationError, match="rg.score_levels needs four rising scores in basis points"):
            msgspec.json.decode(msgspec.json.encode({"score_levels": bad}), type=RgRules)
    assert msgspec.json.decode(b'{"score_levels": [1, 2, 3, 10000]}', type=RgRules).score_levels == [1, 2, 3, 10000]
    with pytest.raises(msgspec.ValidationError, match="calm_days"):
        msgspec.json.decode(b'{"calm_days": 0}', type=RgRules)
    with pytest.raises(msgspec.ValidationError, match="soft_at"):
        msgspec.json.decode(b'{"soft_at": "extreme"}', type=RgRules)


def test_due_respects_open_cases_and_blocked_deposits():
    rules = RgRules()
    p = ProtectionState(risk_level="severe", deposits_blocked=True)
    p.interventions.append(interventions.InterventionView("human", 0, "high", "e1", 0, status="open"))
    assert due(p, rules, 10 * DAY_US) == ["firm"]              # soft folds into firm


def test_message_variant_is_stable_per_player_and_both_are_used():
    assert variant_for("p1", ["A", "B"]) == variant_for("p1", ["A", "B"])
    seen = {variant_for(f"p{i}", ["A", "B"]) for i in range(50)}
    assert seen == {"A", "B"}


def test_safer_play_messages_pass_the_gate_while_promotions_are_paused():
    p = Player(config=scripted_config())
    p.register()
    declines(p, 1, 8)
    p.support(at(1.2), "I can't stop, I'm desperate and I borrowed money.")
    assert p.state.protection.promotions_paused
    config = EngineConfig()
    now = int(at(1.3).timestamp() * 1_000_000)
    promo = Proposal(kind="message", name="weekend_reload", player_id="p1", cause_event_id="e",
                     purpose="promotional", channel="email")
    safer = Proposal(kind="message", name="rg_safer_play", player_id="p1", cause_event_id="e",
                     purpose="safer_play", channel="email")
    refused = decide(promo, p.state, config, now)
    assert not refused.allowed and "promotions_paused" in refused.reasons
    assert decide(safer, p.state, config, now).allowed
    # ... and every intervention message the engine proposed went through
    rg = [d for d in p.decisions() if d.proposal.purpose == "safer_play"]
    assert rg and all(d.allowed for d in rg)


def test_level_at_follows_memory_between_events():
    p = Player(config=scripted_config())
    p.register()
    declines(p, 1, 5)
    prot = p.state.protection
    t1 = prot.risk_history[0][0]
    evidence = prot.risk_memory[2 + 1]                       # the last score at or above medium
    assert level_at(prot, t1 - 1) == "none"
    assert level_at(prot, t1 + DAY_US) == "medium"
    assert level_at(prot, t1 + 15 * DAY_US) == "medium"      # the markers decayed; the level did not
    assert level_at(prot, evidence + 30 * DAY_US - 1) == "medium"
    assert level_at(prot, evidence + 30 * DAY_US) == "low"   # one step after 30 calm days ...
    assert level_at(prot, evidence + 60 * DAY_US - 1) == "low"
    assert level_at(prot, prot.risk_memory[2] + 60 * DAY_US) == "none"   # ... and the next after 30 more
