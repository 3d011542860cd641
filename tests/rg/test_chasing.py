"""Chasing within play (protection.chasing): stakes raised right after a lost bet, counted per
bet in the fold (casino sessions, bets without a session, sports); re-deposits right after a
losing run; the money of a cancelled or reversed withdrawal staked again; rollbacks leave the
counts a fresh fold of the surviving events would give; thresholds per jurisdiction."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from croupier.compliance.document import ConfigDocument, effective
from croupier.compliance.rules import JurisdictionRules, MarkerConfig, RgRules, presets
from croupier.players import EngineConfig
from croupier.players.state import DAY_US
from croupier.protection.chasing import FOLLOWS, STEPS, chase_counts

from . import Player, at


def play(p: Player, start: datetime, stakes: list[str], wins: dict[int, str] | None = None,
         session: str | None = "s", gap_minutes: float = 1) -> list[str]:
    """Bets `gap_minutes` apart (in a session unless None), each won `wins[i]` a few seconds
    later; returns the bet ids."""
    wins = wins or {}
    sid = None
    if session is not None:
        sid = f"{session}{p._n + 1}"
        p.send("session.started", start, session_id=sid)
    ids = []
    when = start
    for i, stake in enumerate(stakes):
        when = start + timedelta(minutes=gap_minutes * (i + 1))
        result = p.bet(when, stake, sid)
        bet_id = p.raw[-1]["bet_id"]
        ids.append(bet_id)
        assert result is not None
        if i in wins:
            p.win(when + timedelta(seconds=5), wins[i], bet_id)
    if sid is not None:
        p.send("session.ended", when + timedelta(minutes=1), session_id=sid)
    return ids


def counts(p: Player, day: float = 0) -> list[int]:
    d = int(at(day).timestamp() * 1_000_000) // DAY_US
    return chase_counts(p.state, d, d)


def registered(name: str = "p1", **kw) -> Player:  # noqa: ANN003
    p = Player(name, **kw)
    p.register(at(0, hours=-1))
    p.deposit(at(0, minutes=-30), "1000.00")
    return p


# --- casino ----------------------------------------------------------------------------------
def test_doubling_after_a_loss_is_a_chase_step_and_a_martingale_run_shows():
    p = registered()
    play(p, at(0), ["1.00", "2.00", "4.00", "8.00"])             # every bet lost, each doubled
    c = counts(p)
    assert c[FOLLOWS] == 3 and c[STEPS] == 3
    marker = p.markers["stake_chasing"]
    assert marker.severity == 2                                 # 3 steps (1), 3 in a row in one run: +1
    text = marker.explanation
    assert "3 times in the last 7 days the stake was doubled or more right after a losing bet" in text
    assert "3 of 3 bets placed after a loss, 100%" in text
    assert "up to 2.0×: 1.00 SEK → 2.00 SEK" in text
    assert "3 raises in a row within one losing run: 1.00 SEK → 8.00 SEK" in text
    assert any(s.name == "rg_marker" for s in p.signals("rg_marker"))


def test_raising_after_a_win_is_no_step_but_after_a_win_below_the_stake_it_is():
    p = registered()
    play(p, at(0), ["1.00", "2.00", "4.00", "8.00"], wins={0: "5.00", 1: "2.00", 2: "1.00"})
    c = counts(p)
    # bet 2 follows a win (5 > 1), bet 3 follows a push (2 = 2): neither followed a loss;
    # bet 4 follows 4.00 that won back only 1.00: a loss, and 8.00 doubles it
    assert c[FOLLOWS] == 1 and c[STEPS] == 1
    assert "stake_chasing" not in p.markers


def test_a_few_doublings_among_many_bets_do_not_fire():
    p = registered()
    stakes = ["1.00"] * 200
    for i in (50, 100, 150):
        stakes[i] = "2.00"                                      # 3 doublings after losses
    play(p, at(0), stakes, gap_minutes=0.1)
    c = counts(p)
    assert c[STEPS] == 3 and c[FOLLOWS] == 199
    assert "stake_chasing" not in p.markers                     # 1.5% of the bets after a loss


def test_bets_without_a_session_chain_while_they_come_within_the_gap():
    p = registered()
    play(p, at(0), ["1.00", "2.00", "4.00"], session=None, gap_minutes=5)
    assert counts(p)[STEPS] == 2
    play(p, at(0, hours=2), ["10.00"], session=None)             # two hours later: a new sequence
    play(p, at(0, hours=4), ["20.00", "40.00"], session=None, gap_minutes=40)   # 40 min apart: none
    assert counts(p)[STEPS] == 2 and counts(p)[FOLLOWS] == 2


def test_stakes_are_compared_within_their_own_session():
    p = registered()
    p.send("session.started", at(0), session_id="a")
    p.send("session.started", at(0), session_id="b")
    p.bet(at(0, minutes=1), "1.00", "a")
    p.bet(at(0, minutes=2), "5.00", "b")                        # another session's first bet
    p.bet(at(0, minutes=3), "1.00", "a")
    assert counts(p)[STEPS] == 0 and counts(p)[FOLLOWS] == 1


# --- sports ----------------------------------------------------------------------------------
def sports(p: Player, when: datetime, stake: str, outcome: str | None = "lost", payout: str = "0",
           settle_after: float = 60) -> str:
    bet_id = f"sp{p._n + 1}"
    p.send("sports.bet_placed", when, bet_id=bet_id, amount=stake, currency=p.currency)
    if outcome:
        p.send("sports.bet_settled", when + timedelta(minutes=settle_after), bet_id=bet_id, outcome=outcome,
               payout=payout, currency=p.currency)
    return bet_id


def test_a_sports_bet_doubling_a_settled_loss_within_minutes_is_a_step():
    p = registered()
    t = at(0)
    sports(p, t, "10.00")                                       # settled lost at +60 min
    sports(p, t + timedelta(minutes=65), "20.00")               # 5 min after: a step
    sports(p, t + timedelta(minutes=130), "40.00", outcome="cashout", payout="5.00")  # cashed out below stake
    sports(p, t + timedelta(minutes=195), "80.00", outcome=None)
    sports(p, t + timedelta(hours=10), "500.00", outcome=None)  # long after the last settled loss: no
    c = counts(p)
    assert c[STEPS] == 3 and c[FOLLOWS] == 3
    text = p.markers["stake_chasing"].explanation
    assert "3 of them on sports bets" in text and "10.00 SEK → 80.00 SEK" in text


def test_a_sports_bet_after_a_won_bet_is_no_step():
    p = registered()
    sports(p, at(0), "10.00", outcome="won", payout="25.00")
    sports(p, at(0, minutes=65), "50.00")
    assert counts(p)[FOLLOWS] == 0


# --- re-deposits after a losing run ----------------------------------------------------------
def test_redeposits_right_after_a_losing_run_are_chase_deposits():
    p = registered()
    for k in range(2):
        start = at(0, hours=2 * k)
        play(p, start, ["1.00"] * 5)                            # 5 losing bets, 5.00 of 1,000: no big loss
        p.deposit(start + timedelta(minutes=8), "100.00")        # 2 min after the session's end
    flags = [d[3] for d in p.state.rg.deposits]
    assert flags == [0, 2, 2]
    text = p.markers["loss_chasing"].explanation
    assert "2 deposits within 30 min of play" in text
    assert "2 within 15 min of a losing run (up to 5 bets without a win)" in text


def test_a_deposit_after_a_winning_bet_or_long_after_play_is_not():
    p = registered()
    play(p, at(0), ["1.00"] * 5, wins={4: "3.00"})
    p.deposit(at(0, minutes=8), "100.00")                       # the run ended with a win
    play(p, at(0, hours=2), ["1.00"] * 5)
    p.deposit(at(0, hours=3), "100.00")                         # an hour after play
    assert [d[3] for d in p.state.rg.deposits] == [0, 0, 0]


def test_a_deposit_after_the_balance_was_played_down():
    p = registered()
    play(p, at(0), ["1.00"])
    p.send("payment.deposit", at(0, minutes=4), transaction_id="dx", amount="100.00", currency="SEK",
           status="approved", method="card", balance="100.50")  # 0.50 left before it: under 10% of 1,000
    assert p.state.rg.deposits[-1][3] == 4 and p.state.rg.deposits[-1][5] == 50


# --- reversed withdrawals --------------------------------------------------------------------
def test_a_reversed_withdrawal_staked_again_within_hours_fires_and_says_so():
    p = registered()
    p.withdrawal(at(0, hours=1), "500.00", "requested", "w1")
    p.withdrawal(at(0, hours=1, minutes=30), "500.00", "reversed", "w1")
    assert "withdrawal_reversal" not in p.markers               # one reversal alone: below the cut
    play(p, at(0, hours=2), ["100.00"] * 5, gap_minutes=10)      # 500.00 back in play 1 h 20 min later
    marker = p.markers["withdrawal_reversal"]
    assert marker.severity == 1
    assert marker.explanation.startswith("1 withdrawal cancelled or reversed in the last 30 days (0 cancelled")
    assert "0 cancelled by the player, 1 reversed; 500.00 SEK" in marker.explanation
    assert "reversed 500.00 SEK withdrawal and staked it within 2 h" in marker.explanation


def test_player_cancellations_count_too_and_stronger_when_restaked():
    calm, restaker = registered("calm"), registered("restaker")
    for p in (calm, restaker):
        for i, status in enumerate(("cancelled", "reversed")):
            p.withdrawal(at(0, hours=i), "200.00", "requested", f"w{i}")
            p.withdrawal(at(0, hours=i, minutes=10), "200.00", status, f"w{i}")
            p.withdrawal(at(0, hours=i, minutes=20), "200.00", status, f"w{i}")   # repeated: counts once
    play(restaker, at(0, hours=3), ["100.00"] * 4)
    assert calm.markers["withdrawal_reversal"].severity == 1
    assert "1 cancelled by the player, 1 reversed" in calm.markers["withdrawal_reversal"].explanation
    assert restaker.markers["withdrawal_reversal"].severity == 2
    assert "staked it within" in restaker.markers["withdrawal_reversal"].explanation


# --- rollbacks: the counts of a fresh fold of the surviving events ----------------------------
def _fresh(p: Player, undone: set[str], name: str) -> Player:
    q = Player(p.player_id, config=p.config)
    for body in p.raw:
        if body["event_id"] in undone or body["type"] == "rollback":
            continue
        fields = {k: v for k, v in body.items() if k not in ("type", "player_id", "brand", "occurred_at")}
        q.send(body["type"], datetime.fromisoformat(body["occurred_at"]), **fields)
    return q


def _rg(p: Player) -> dict:
    state = p.state
    # not reset_seq nor streak_before_reset: the losing run's undo bookkeeping (log positions)
    sessions = {k: v[:2] + v[4:] for k, v in msgspec.to_builtins(state.sessions).items()}
    return {"rg": msgspec.to_builtins(state.rg), "sessions": sessions,
            "markers": msgspec.to_builtins(state.protection.markers), "life": state.life,
            "level": state.protection.risk_level}


def _chasing_history(p: Player) -> dict[str, str]:
    ids = {}
    play(p, at(0), ["1.00", "2.00", "4.00", "8.00", "1.00", "2.00", "4.00"], wins={4: "0.50"})
    ids.update({"bet": next(e["event_id"] for e in p.raw if e["type"] == "casino.bet" and e["amount"] == "4.00"),
                "win": next(e["event_id"] for e in p.raw if e["type"] == "casino.win")})
    p.send("session.started", at(0, hours=1), session_id="open")
    p.bet(at(0, hours=1, minutes=1), "3.00", "open")
    p.bet(at(0, hours=1, minutes=2), "6.00", "open")
    p.win(at(0, hours=1, minutes=2, ), "1.00", p.raw[-1]["bet_id"])
    ids["last_win"] = p.raw[-1]["event_id"]
    sports(p, at(0, hours=2), "10.00")
    ids["sports"] = sports(p, at(0, hours=3, minutes=5), "30.00", outcome=None)
    ids["sports"] = p.raw[-1]["event_id"]
    play(p, at(0, hours=5), ["2.00", "4.00"], session=None)
    ids["loose"] = p.raw[-1]["event_id"]
    p.send("session.started", at(0, hours=5, minutes=30), session_id="tail")
    p.bet(at(0, hours=5, minutes=31), "2.00", "tail")
    p.bet(at(0, hours=5, minutes=32), "1.00", "tail")             # after a loss, no raise; the session's last
    ids["tail"] = p.raw[-1]["event_id"]
    return ids


def _refold(p: Player):  # noqa: ANN202
    from croupier.players import rebuild

    return rebuild(p.player_id, p.log.history(p.player_id, p.seq), p.config.features)


def _same_as_refold(p: Player) -> None:
    class Refolded:
        state = _refold(p)
    live, refolded = _rg(p), _rg(Refolded)  # type: ignore[arg-type]
    # An ended session's losing run is not revised by a later rollback (the documented
    # rtp_sensitivity approximation, undo.py), so neither is the run it left for re-deposits.
    live["rg"].pop("ended_run", None)
    refolded["rg"].pop("ended_run", None)
    assert live == refolded, "a refold of the log must give the live state"


def test_an_undone_casino_bet_or_win_stays_in_the_play_sequence_and_a_refold_agrees():
    """A rollback voids the money, not what the player did and saw: the chase counts keep an
    undone casino bet or win (no refold needed), and a refold of the log gives the same state."""
    for target in ("bet", "win", "last_win", "loose", "tail"):
        p = registered()
        ids = _chasing_history(p)
        chase_before = msgspec.to_builtins(p.state.rg.chase)
        life_before = list(p.state.life)
        result = p.send("rollback", at(1), ref_event_id=ids[target], reason="provider error")
        assert "rebuild" not in result.facts, target             # undone in place
        assert msgspec.to_builtins(p.state.rg.chase) == chase_before, target
        assert p.state.life != life_before, target                # the money was undone
        _same_as_refold(p)


def test_an_undone_sports_bet_after_a_loss_refolds_to_the_surviving_events():
    p = registered()
    ids = _chasing_history(p)
    steps = sum(r[STEPS] for r in p.state.rg.chase.values())
    result = p.send("rollback", at(1), ref_event_id=ids["sports"], reason="provider error")
    assert "rebuild" in result.facts
    assert sum(r[STEPS] for r in p.state.rg.chase.values()) == steps - 1
    assert _rg(p) == _rg(_fresh(p, {ids["sports"]}, "sports"))


def test_a_rollback_arriving_before_its_bet_gives_the_same_counts():
    first, late = registered("a"), registered("b")
    for p, early in ((first, False), (late, True)):
        play(p, at(0), ["1.00", "2.00"])
        p.send("session.started", at(0, hours=1), session_id="x")
        p.bet(at(0, hours=1, minutes=1), "1.00", "x")
        if early:
            p.send("rollback", at(0, hours=1, minutes=3), ref_event_id="undone-bet")
        p.send("casino.bet", at(0, hours=1, minutes=2), event_id="undone-bet", bet_id="u", amount="4.00",
               currency=p.currency, game_category="slots", session_id="x")
        if not early:
            p.send("rollback", at(0, hours=1, minutes=3), ref_event_id="undone-bet")
        p.bet(at(0, hours=1, minutes=4), "8.00", "x")
    assert msgspec.to_builtins(first.state.rg.chase) == msgspec.to_builtins(late.state.rg.chase)
    assert counts(first)[STEPS] == 3
    _same_as_refold(first)
    _same_as_refold(late)


def test_replaying_the_log_gives_the_same_counts():
    p = registered()
    ids = _chasing_history(p)
    p.send("rollback", at(1), ref_event_id=ids["bet"])
    again = Player(p.player_id)
    for seq, event in p.log.rows[p.player_id]:
        again.log.add(seq, event)
    from croupier.players import rebuild

    state = rebuild(p.player_id, p.log.history(p.player_id, p.seq), p.config.features)
    assert msgspec.to_builtins(state.rg) == msgspec.to_builtins(p.state.rg)
    assert msgspec.to_builtins(state.protection.markers) == msgspec.to_builtins(p.state.protection.markers)


# --- thresholds per jurisdiction -------------------------------------------------------------
def test_thresholds_come_from_the_jurisdiction_in_force():
    strict = JurisdictionRules(code="XX", name="Strict", currency="SEK", rg=RgRules(markers=MarkerConfig(
        stake_chase_pct=150, stake_chase_counts=(2, 4, 8), stake_chase_gap_minutes=90)))
    config = effective(ConfigDocument(jurisdictions={"SE": presets()["SE"], "XX": strict}))
    assert isinstance(config, EngineConfig) or config is not None
    se, xx = registered("se", jurisdiction="SE", config=config), registered("xx", jurisdiction="XX", config=config)
    for p in (se, xx):
        play(p, at(0), ["2.00", "3.00", "4.50"])                 # raised 1.5x after each loss
        play(p, at(0, hours=3), ["1.00", "2.00"], session=None, gap_minutes=60)   # an hour apart, no session
    assert counts(se)[STEPS] == 0 and "stake_chasing" not in se.markers
    assert counts(xx)[STEPS] == 3
    assert "raised to 1.5× or more" in xx.markers["stake_chasing"].explanation
    assert xx.markers["stake_chasing"].severity == 1


def test_new_marker_fields_leave_existing_config_versions_alone():
    doc = ConfigDocument(jurisdictions={"SE": presets()["SE"]})
    assert "stake_chase" not in msgspec.json.encode(doc).decode()
    stored = msgspec.json.encode(MarkerConfig()).decode()
    assert not any(name in stored for name in ("stake_chase", "redeposit", "restake"))   # defaults: not stored
    custom = msgspec.json.decode(b'{"stake_chase_counts": [2, 4, 8]}', type=MarkerConfig)
    assert custom.stake_chase_counts == (2, 4, 8)
