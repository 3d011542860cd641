"""Sessions of play: a casino session is rounds of games, a sportsbook session is a few
bets whose settlements arrive later on the player's timeline.

The round loop is the hot path of the whole simulator (most events are bets and wins),
so it keeps state in locals and formats amounts inline.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Protocol

from croupier.sim.cashier import schedule_rollback, top_up
from croupier.sim.casino import GAMES_BY_CATEGORY, PAYTABLES, ROUND_SECONDS, RTP, Game
from croupier.sim.clock import MINUTE, SECOND
from croupier.sim.money import CENTS
from croupier.sim.player import SimPlayer
from croupier.sim.sportsbook import pick_selection, settle

Connection = tuple[str, str, str, str]  # device_id, ip, channel, country


def session(p: SimPlayer, t: int, connection: Connection, play: Play) -> int:
    """Open a session, let `play` fill it, close it; returns the time it ended."""
    device, ip, channel, _ = connection
    session_id = p.next_id("s")
    fields = {"session_id": session_id, "device_id": device, "ip": ip, "channel": channel}
    p.advance(t)
    p.emit(t, "session.started", fields)
    t = play(p, t + p.rng.randint(3 * SECOND, 40 * SECOND), session_id)
    t += p.rng.randint(SECOND, 20 * SECOND)
    p.advance(t)
    p.emit(t, "session.ended", fields)
    return t


class Play(Protocol):
    """What happens inside a session; given the session id, returns when play stopped."""

    def __call__(self, p: SimPlayer, t: int, session_id: str) -> int: ...


class Browse:
    """A look around the lobby without a bet: what non-depositing registrants do."""

    def __call__(self, p: SimPlayer, t: int, session_id: str) -> int:
        return t + p.rng.randint(MINUTE, 6 * MINUTE)


class CasinoPlay:
    """Rounds of casino games until the planned end, the money or the plan runs out."""

    def __init__(self, minutes: float, *, max_rounds: int | None = None, until_wagered: bool = False,
                 low_volatility: bool = False, stake: int | None = None) -> None:
        self.minutes = minutes
        self.max_rounds = max_rounds
        self.until_wagered = until_wagered
        self.low_volatility = low_volatility
        self.stake = stake

    def __call__(self, p: SimPlayer, t: int, session_id: str) -> int:
        rng = p.rng
        end = t + int(self.minutes * MINUTE)
        rounds_left = self.max_rounds if self.max_rounds is not None else 1 << 30
        while t < end and rounds_left > 0:
            category = rng.choices(p.categories, p.category_weights)[0]
            game = _pick_game(p, category, self.low_volatility)
            stint_end = min(end, t + int(rng.expovariate(1 / (12 * MINUTE))) + MINUTE)
            t, rounds_left, done = _play_game(p, t, stint_end, session_id, game, rounds_left, self)
            if done:
                break
            t += rng.randint(5 * SECOND, 40 * SECOND)  # back to the lobby, pick another game
        return t


def _pick_game(p: SimPlayer, category: str, low_volatility: bool) -> Game:
    """Mostly one of two favourites, sometimes something new."""
    games = GAMES_BY_CATEGORY[category]
    if low_volatility:
        games = tuple(g for g in games if g.volatility == "low") or games
    key = (category, low_volatility)
    favourites = p.favourites.get(key)
    if favourites is None:
        favourites = p.favourites[key] = p.rng.sample(games, min(2, len(games)))
    if p.rng.random() < 0.85:
        return favourites[0] if p.rng.random() < 0.7 else favourites[-1]
    return p.rng.choice(games)


def current_stake(p: SimPlayer, t: int) -> int:
    """The player's usual stake; escalating and fluctuating problem gamblers climb the
    ladder as harm deepens (steady ones start high and stay there)."""
    if p.harm_pattern is None or p.harm_pattern == "steady":
        return p.ladder[p.stake_index]
    index = p.stake_index + round(3 * p.harm(t))
    return p.ladder[min(index, len(p.ladder) - 1)]


def doubled(ladder: tuple[int, ...], stake: int) -> int:
    """The smallest ladder stake of at least twice `stake` (the top of the ladder at most)."""
    return ladder[min(bisect_left(ladder, 2 * stake), len(ladder) - 1)]


def chasing(p: SimPlayer, t: int) -> float:
    """The chance of doubling up after a losing bet at `t` (escalating problem gamblers
    only chase once their escalation has begun)."""
    if not p.chase or (p.harm_pattern == "escalating" and not p.harm(t)):
        return 0.0
    return p.chase


def _play_game(p: SimPlayer, t: int, stop: int, session_id: str, game: Game, rounds_left: int,
               plan: CasinoPlay) -> tuple[int, int, bool]:
    """Rounds of one game; returns (time, rounds left, whether the session is over)."""
    rng = p.rng
    random = rng.random
    sink = p.sink
    stamp, push, prefix = sink.stamp, sink.push, sink.prefix
    player_id, brand, currency = p.player_id, p.brand, p.currency
    later = p.timeline
    category = game.category
    game_id, provider = game.game_id, game.provider
    low, high = ROUND_SECONDS[category]
    gap_low, gap_span = int(low * SECOND), int((high - low) * SECOND)
    crash = category == "crash"
    crash_chance = RTP["crash"] * 100 / p.crash_target
    crash_target = p.crash_target
    table = PAYTABLES["slots_low" if category == "slots" and (plan.low_volatility or game.volatility == "low")
                      else category] if not crash else None
    stake = plan.stake or current_stake(p, t)
    usual = stake
    chase = 0.0 if plan.stake else chasing(p, t)
    nudge = p.nudge
    ladder = p.ladder
    rollback_share = p.rollback_share
    cents = CENTS
    bet_prefix = f"{player_id}-b"
    stake_text = ""
    stake_of_text = -1
    while t < stop and rounds_left > 0:
        if later and later[0][0] <= t:
            p.advance(t)
        available = p.cash + p.bonus
        if available < stake:
            affordable = [s for s in ladder if s <= available]
            if affordable and (plan.until_wagered or random() < 0.6):
                stake = affordable[-1]  # play the remains down
            else:
                resumed = top_up(p, t)
                if resumed is None:
                    return t, rounds_left, True
                t = resumed
                continue
        # A running bonus funds its share of every stake (a mixed balance).
        bonus_part = stake * p.bonus // available if p.bonus else 0
        p.bonus -= bonus_part
        p.cash -= stake - bonus_part
        if p.wager_left > 0:
            p.wager_left -= stake
        if stake != stake_of_text:
            stake_text, stake_of_text = f"{stake // 100}.{cents[stake % 100]}", stake
        p.serial += 1
        bet_id = bet_prefix + str(p.serial)
        cash, bonus = p.cash, p.bonus
        sink.emitted = n = sink.emitted + 1
        bet_event = prefix + str(n)
        push(t, n, {
            "event_id": bet_event, "type": "casino.bet", "player_id": player_id, "brand": brand,
            "occurred_at": stamp(t), "bet_id": bet_id, "session_id": session_id, "game_id": game_id,
            "game_category": category, "provider": provider, "amount": stake_text,
            "bonus_amount": f"{bonus_part // 100}.{cents[bonus_part % 100]}" if bonus_part else "0.00",
            "currency": currency, "balance": f"{cash // 100}.{cents[cash % 100]}",
            "bonus_balance": f"{bonus // 100}.{cents[bonus % 100]}" if bonus else "0.00",
        })
        if crash:
            payout = stake * crash_target // 100 if random() < crash_chance else 0
        else:
            payout = table.payout(stake, random())  # type: ignore[union-attr]
        if payout:
            win_at = t + 50 + int(random() * 850)
            if later and later[0][0] <= win_at:
                p.advance(win_at)
            to_bonus = payout * bonus_part // stake
            p.bonus += to_bonus
            p.cash += payout - to_bonus
            cash, bonus = p.cash, p.bonus
            sink.emitted = n = sink.emitted + 1
            win_event = prefix + str(n)
            push(win_at, n, {
                "event_id": win_event, "type": "casino.win", "player_id": player_id, "brand": brand,
                "occurred_at": stamp(win_at), "bet_id": bet_id, "game_id": game_id,
                "amount": f"{payout // 100}.{cents[payout % 100]}", "currency": currency,
                "balance": f"{cash // 100}.{cents[cash % 100]}",
                "bonus_balance": f"{bonus // 100}.{cents[bonus % 100]}" if bonus else "0.00",
            })
            if rollback_share and random() < rollback_share and not to_bonus:
                schedule_rollback(p, win_at, win_event, "casino.win", payout)
        elif rollback_share and random() < rollback_share:
            schedule_rollback(p, t, bet_event, "casino.bet", stake, bonus_part)
        if p.wager_left <= 0 and p.bonus:  # wagering met: the bonus turns into cash
            p.cash += p.bonus
            p.bonus = 0
            p.wager_left = 0
            if plan.until_wagered:
                p.last_active = t
                return t + gap_low + int(random() * gap_span), rounds_left - 1, True
        elif p.bonus == 0 and p.wager_left > 0:  # bonus spent: the requirement lapses
            p.wager_left = 0
            if plan.until_wagered:
                p.last_active = t
                return t + gap_low + int(random() * gap_span), rounds_left - 1, True
        rounds_left -= 1
        t += gap_low + int(random() * gap_span)
        if chase:  # chasing: double up after a loss (up to four times running), back after a win
            if payout >= stake:
                stake = usual
            elif random() < chase and stake < usual * 16:
                stake = doubled(ladder, stake)
        if not plan.stake and random() < nudge:  # nudge the stake up or down a step
            index = ladder.index(usual) if usual in ladder else p.stake_index
            index = max(p.stake_floor, min(p.stake_ceiling + 3, len(ladder) - 1, index + (1 if random() < 0.5 else -1)))
            stake = usual = ladder[index]
    p.last_active = t
    return t, rounds_left, rounds_left <= 0


class SportsPlay:
    """A handful of bets, some in-play; each settles later on the player's timeline."""

    def __init__(self, minutes: float, live_share: float) -> None:
        self.minutes = minutes
        self.live_share = live_share

    def __call__(self, p: SimPlayer, t: int, session_id: str) -> int:
        rng = p.rng
        end = t + int(self.minutes * MINUTE)
        extra = max(0.05, p.sports_bets - 1)
        bets = 1 + min(15, int(rng.expovariate(1 / extra)))
        ladder = p.ladder
        top = len(ladder) - 1
        for n in range(bets):
            if n and t > end:
                break
            p.advance(t)
            usual = current_stake(p, t)
            if p.sports_lost and p.last_sports_stake and rng.random() < chasing(p, t):
                stake = doubled(ladder, p.last_sports_stake)  # chasing the last settled loss
            else:
                index = bisect_left(ladder, usual) + rng.choice((-1, 0, 0, 0, 1, 1, 2))
                stake = ladder[max(0, min(top, index))]
            p.sports_lost = False
            if p.cash + p.bonus < stake:
                stake = p.cash + p.bonus
                if stake < p.min_stake * 5:
                    resumed = top_up(p, t)
                    if resumed is None:
                        break
                    t = resumed
                    continue
            selection = pick_selection(rng, p.jurisdiction.code, self.live_share)
            bonus_part = stake * p.bonus // (p.cash + p.bonus) if p.bonus else 0
            p.bonus -= bonus_part
            p.cash -= stake - bonus_part
            if p.wager_left > 0:
                p.wager_left -= stake
            bet_id = p.next_id("sb")
            p.emit(t, "sports.bet_placed", {
                "bet_id": bet_id, "amount": _amount(stake), "bonus_amount": _amount(bonus_part),
                "currency": p.currency, "odds": selection.odds, "sport": selection.sport,
                "market": selection.market, "live": selection.live, **p.balances(),
            })
            p.last_sports_stake = stake
            outcome, payout = settle(rng, selection, stake)
            p.later(t + selection.settles_after_ms, _settle_bet, (bet_id, outcome, payout, bonus_part, stake))
            t += rng.randint(20 * SECOND, 150 * SECOND)
        return t


def _settle_bet(p: SimPlayer, t: int, payload: tuple[str, str, int, int, int]) -> None:
    bet_id, outcome, payout, bonus_part, stake = payload
    # Winnings of a bonus-funded stake stay bonus money while wagering is still running.
    to_bonus = payout * bonus_part // stake if stake and p.wager_left > 0 else 0
    p.bonus += to_bonus
    p.cash += payout - to_bonus
    p.sports_lost = outcome == "lost"
    p.emit(t, "sports.bet_settled", {"bet_id": bet_id, "outcome": outcome, "payout": _amount(payout),
                                     "currency": p.currency, **p.balances()})


def _amount(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"
