"""The absolute RG markers (protection.intensity) on scripted histories: each fires on play
that should fire it, with its numbers in the explanation, stays silent on an ordinary
player's play, grades by severity (the strongest grades need two kinds of evidence), follows
a jurisdiction's thresholds and the operator's population percentiles when configured, and
refolds to the same state."""

from __future__ import annotations

from datetime import datetime

import msgspec
import pytest

from croupier.compliance.document import ConfigDocument, effective, parse_document, InvalidDocument
from croupier.compliance.rules import MarkerConfig, PopulationCuts, RgRules, presets, rules_in_force
from croupier.players.apply import rebuild
from croupier.protection.intensity import ABSOLUTE
from croupier.protection.markers import DETECTORS, MARKERS, decay_us
from croupier.store.states import encode

from . import Player, at


def eur_player(pid: str = "p1", config: ConfigDocument | None = None) -> Player:
    p = Player(pid, currency="EUR", jurisdiction="MT", timezone_name="Europe/Malta", config=config)
    p.register()
    return p


def play(p: Player, days: range, stake: str, bets: int = 1, every: int = 1, category: str = "slots",
         win_share: float = 0.0) -> None:
    """`bets` bets of `stake` on every `every`-th day, each won back at `win_share` of the stake."""
    for d in days:
        if d % every:
            continue
        for i in range(bets):
            r = p.bet(at(d, minutes=i / 10), stake)
            if win_share:
                p.win(at(d, minutes=i), f"{float(stake) * win_share:.2f}", p.raw[-1]["bet_id"])
            assert r is not None


def absolute(p: Player) -> dict:
    return {name: m for name, m in p.markers.items() if name in ABSOLUTE}


def test_the_absolute_markers_are_registered_with_30_day_decay():
    assert set(ABSOLUTE) <= set(MARKERS) and set(ABSOLUTE) <= set(DETECTORS)
    assert all(decay_us(name, MarkerConfig()) == 30 * 86_400_000_000 for name in ABSOLUTE)


def test_an_ordinary_player_raises_none_of_them():
    """10 bets of 2 EUR on a quarter of the days for four months, a 20 EUR deposit a week,
    most of it won back: the median bettor of the research, a little more."""
    p = eur_player()
    for week in range(17):
        p.deposit(at(7 * week, minutes=-10), "20.00")
    play(p, range(120), "2.00", bets=10, every=4, win_share=0.9)
    assert absolute(p) == {}


# --- intensity -------------------------------------------------------------------------------
def test_intensity_grades_stakes_per_betting_day_but_not_to_3_without_frequent_play():
    p = eur_player()
    play(p, range(40), "1500.00", every=3)              # 1,500 EUR a betting day, one day in three
    marker = p.markers["intensity"]
    assert marker.severity == 2
    assert "1,500 EUR staked and 1.0 bets per betting day over the last 30 days (10 betting days)" in marker.explanation
    assert "over the last 90 days (13 betting days)" in marker.explanation
    big = eur_player("big")
    play(big, range(40), "4000.00", every=3)            # above the third cut: still 2, said so
    assert big.markers["intensity"].severity == 2
    assert "(at most severity 2 without frequent play)" in big.markers["intensity"].explanation
    assert "frequency" not in big.markers


def test_intensity_and_frequency_together_reach_the_strongest_grade():
    p = eur_player()
    play(p, range(45), "3500.00")                       # every day for six weeks
    assert p.markers["intensity"].severity == 3
    assert p.markers["intensity"].explanation.endswith("on 100 % of days")
    assert p.markers["frequency"].severity == 3
    assert p.state.protection.risk_level != "none"


def test_intensity_counts_bets_per_betting_day_too():
    p = eur_player()
    play(p, range(10), "0.10", bets=820, every=2)        # 820 spins a betting day
    assert p.markers["intensity"].severity == 2
    assert "82 EUR staked and 820 bets per betting day" in p.markers["intensity"].explanation


def test_intensity_in_the_players_currency_with_the_eur_equivalent():
    p = Player("sek", currency="SEK")
    p.register()
    play(p, range(12), "15000.00", every=2)             # SEK counts a tenth of a euro
    text = p.markers["intensity"].explanation
    assert "15,000.00 SEK (≈1,500 EUR) staked" in text and p.markers["intensity"].severity == 2


def test_the_issues_two_heavy_players_are_no_longer_at_none():
    """81 betting days of 180 with 116,000 EUR staked on live sports and six 1,500 EUR deposits;
    21,500 EUR of casino stakes in 15 days. The relative markers left both at "none"."""
    sports = eur_player("sports")
    betting_days = [d for d in range(180) if d * 81 // 180 != (d + 1) * 81 // 180][:81]
    for i, d in enumerate(betting_days):
        if i % 14 == 0 and i // 14 < 6:
            sports.deposit(at(d, minutes=-5), "1500.00")
        sports.send("sports.bet_placed", at(d), bet_id=f"sb{d}", amount=f"{116_000 / 81:.2f}", currency="EUR",
                    live=True, odds="1.90")
    casino = eur_player("casino")
    play(casino, range(15), f"{21_500 / 15 / 20:.2f}", bets=20)
    for p in (sports, casino):
        assert p.markers["intensity"].severity == 2
        assert p.state.protection.risk_level != "none"
    assert "1,432 EUR staked" in sports.markers["intensity"].explanation


# --- frequency -------------------------------------------------------------------------------
def test_frequency_needs_tenure_and_more_than_small_daily_stakes():
    young = eur_player("young")
    play(young, range(10), "60.00")                     # every day, but ten days old
    assert "frequency" not in young.markers
    month = eur_player("month")
    play(month, range(20), "60.00")                     # every day for three weeks: at most 1
    assert month.markers["frequency"].severity == 1
    assert "(at most severity 1 before 30 days)" in month.markers["frequency"].explanation
    habit = eur_player("habit")
    play(habit, range(60), "3.00", bets=2)              # 6 EUR every day for two months: a habit, 1
    assert habit.markers["frequency"].severity == 1
    assert "below 20 EUR a betting day" in habit.markers["frequency"].explanation
    regular = eur_player("regular")
    play(regular, range(60), "50.00", every=1)          # 50 EUR every day: 2, not 3 (not intensive)
    marker = regular.markers["frequency"]
    assert marker.severity == 2
    assert marker.explanation == ("bet on 30 of the last 30 days (100 %), 59 of the last 59 (100 %); 50 EUR "
                                  "staked per betting day; account 58 days old (at most severity 2 without "
                                  "intensive stakes)")   # as of the end of the day before the last bet's


def test_frequency_share_of_days_below_the_cut_is_silent():
    p = eur_player()
    play(p, range(90), "50.00", every=2)                # half the days: above the median, below 60 %
    assert "frequency" not in p.markers


# --- net loss --------------------------------------------------------------------------------
def test_net_loss_over_30_days_against_deposits():
    p = eur_player()
    for d in range(0, 25, 5):
        p.deposit(at(d, minutes=-10), "500.00")
    play(p, range(25), "100.00")                        # 2,400 EUR lost by the last day's first bet
    marker = p.markers["net_loss"]
    assert marker.severity == 2
    assert marker.explanation == ("net loss 2,400 EUR over the last 30 days, 2,400 EUR over 90 days; "
                                  "96 % of the 2,500 EUR deposited in 90 days")


def test_net_loss_one_step_less_when_most_deposits_were_not_lost():
    p = eur_player()
    p.deposit(at(0, minutes=-10), "6000.00")
    play(p, range(25), "100.00")
    marker = p.markers["net_loss"]
    assert marker.severity == 1 and "40 % of the 6,000 EUR deposited" in marker.explanation
    winner = eur_player("w")
    play(winner, range(25), "100.00", win_share=1.2)
    assert "net_loss" not in winner.markers


# --- stake trajectory ------------------------------------------------------------------------
def test_rising_and_variable_stakes_in_the_first_weeks():
    p = eur_player()
    play(p, range(10), "20.00", bets=2)                 # 40 EUR a day ...
    for d in range(10, 20):                             # ... then 300-ish, swinging
        for i, stake in enumerate(("5.00", "20.00", "400.00")):
            p.bet(at(d, minutes=i), stake)
    marker = p.markers["stake_trajectory"]
    assert marker.severity == 3
    assert marker.explanation == ("stakes in the later half of the last 19 days (the account's first weeks) 9.5× "
                                  "the earlier half (3,825 EUR in the later half); stake variation (CV) 1.68 ≥ "
                                  "1.50: rising and variable")
    steady = eur_player("steady")
    play(steady, range(20), "20.00", bets=20)           # 400 EUR every day: level
    assert "stake_trajectory" not in steady.markers


def test_rising_stakes_without_variability_stop_at_2():
    p = eur_player()
    play(p, range(40), "10.00", bets=5)
    play(p, range(40, 55), "120.00", bets=5)
    marker = p.markers["stake_trajectory"]
    assert marker.severity == 2 and "rising and variable" not in marker.explanation
    assert "stakes in the later half of the last 30 days" in marker.explanation


# --- product breadth -------------------------------------------------------------------------
def _broad(p: Player, stake: str, days: int) -> None:
    for d in range(days):
        for i, category in enumerate(("slots", "live_casino", "table", "crash", "poker")):
            p.send("casino.bet", at(d, minutes=i), bet_id=f"{p.player_id}-{d}-{i}", amount=stake,
                   currency=p.currency, game_category=category)


def test_product_breadth_is_1_alone_and_2_with_intensity():
    small, heavy = eur_player("small"), eur_player("heavy")
    _broad(small, "1.00", 5)
    _broad(heavy, "100.00", 5)
    assert small.markers["product_breadth"].severity == 1
    assert small.markers["product_breadth"].explanation == "5 products played in the last 30 days"
    assert heavy.markers["product_breadth"].severity == 2
    assert "500 EUR staked per betting day" in heavy.markers["product_breadth"].explanation


# --- configuration: a jurisdiction's thresholds, the population's percentiles ----------------
def _with_markers(markers: dict) -> ConfigDocument:
    mt = msgspec.to_builtins(presets()["MT"])
    mt.setdefault("rg", {})["markers"] = markers
    return effective(parse_document({"jurisdictions": {"MT": mt}}))


def test_a_jurisdictions_thresholds_apply():
    strict = _with_markers({"intensity_stake_eur": [50, 100, 200]})
    for config, expected in ((None, None), (strict, 1)):
        p = eur_player(config=config)
        play(p, range(12), "60.00", every=2)
        found = p.markers.get("intensity")
        assert (found.severity if found else None) == expected


POPULATION = {"as_of": "2026-03-01", "players": 4210,
              "cuts": {"stake_per_active_day_30": [100.0, 200.0, 900.0], "active_share_30": [0.5, 0.8, 0.95]}}


def test_population_percentiles_grade_when_configured():
    config = _with_markers({"population": POPULATION})
    for cfg, expected in ((None, None), (config, 2)):
        p = eur_player(config=cfg)
        play(p, range(12), "250.00", every=2)           # below every threshold, in the top 2 %
        found = p.markers.get("intensity")
        assert (found.severity if found else None) == expected
    assert ("stakes per betting day: top 2 % of this operator's players (98th percentile 200 EUR, "
            "4,210 players, as of 2026-03-01)") in p.markers["intensity"].explanation


def test_the_share_of_days_is_graded_against_the_population_too():
    config = _with_markers({"population": POPULATION})
    for cfg, expected in ((None, None), (config, 1)):
        p = eur_player(config=cfg)
        play(p, [d for d in range(45) if d % 7 in (0, 2, 4, 5)], "50.00")   # 4 days a week: 57 %
        found = p.markers.get("frequency")
        assert (found.severity if found else None) == expected
    assert ("days active: top 10 % of this operator's players (90th percentile 50 % of days, 4,210 players, "
            "as of 2026-03-01)") in p.markers["frequency"].explanation


def test_population_cuts_are_validated_with_their_path():
    with pytest.raises(InvalidDocument) as err:
        _with_markers({"population": {**POPULATION, "cuts": {"stake_per_active_day_30": [300.0, 200.0, 900.0]}}})
    assert "rg.markers.population.cuts" in str(err.value)
    with pytest.raises(InvalidDocument):
        _with_markers({"population": {**POPULATION, "cuts": {"favourite_colour": [1.0, 2.0, 3.0]}}})
    assert "markers" not in msgspec.to_builtins(RgRules())   # absent by default: version ids unchanged
    assert PopulationCuts("2026-03-01", 1).cuts == {}


# --- replay ----------------------------------------------------------------------------------
def test_refolding_the_log_gives_the_same_state():
    config = _with_markers({"population": POPULATION})
    p = eur_player(config=config)
    for d in range(40):                                 # in time order, as a feed delivers it
        if d % 7 == 0:
            p.deposit(at(d, minutes=-10), "2000.00")
        play(p, range(d, d + 1), "300.00", bets=3)
    assert {"intensity", "frequency", "net_loss"} <= set(p.markers)
    again = rebuild(p.player_id, p.log.history(p.player_id, p.seq), config.features, rules_in_force(config))
    a, b = msgspec.to_builtins(again), msgspec.to_builtins(p.state)
    for gated in ("promo_day", "promo_count"):            # the gate's counters: not part of the fold
        b["protection"].pop(gated, None)
    assert a == b
    twin = eur_player(config=config)                    # the same events folded live once more
    for body in p.raw[1:]:
        fields = {k: v for k, v in body.items() if k not in ("type", "player_id", "brand", "occurred_at")}
        twin.send(body["type"], datetime.fromisoformat(body["occurred_at"]), **fields)
    assert encode(twin.state) == encode(p.state)
