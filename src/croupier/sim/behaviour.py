"""What a player does when they wake up: register, log in, deposit, play, cash out,
and decide when to come back. Archetypes with their own logic get their own sitting.
"""

from __future__ import annotations

import random
from typing import Callable

from croupier.sim.archetypes import (
    ESCALATED_SESSION_MINUTES, ESCALATED_VISITS_PER_DAY, NIGHT_OWL, Hours,
)
from croupier.sim.cashier import (
    cancel_withdrawal, deposit, deposit_amount, request_limit_increase, request_withdrawal,
    set_deposit_limit,
)
from croupier.sim.clock import DAY, HOUR, MINUTE, NEVER, SECOND, local
from croupier.sim.config import Response
from croupier.sim.money import from_eur, nice
from croupier.sim import people
from croupier.sim.player import SimPlayer
from croupier.sim.sessions import Browse, CasinoPlay, Connection, SportsPlay, current_stake, session
from croupier.sim.support import CHANNELS, MOODS, support_text

Sitting = Callable[[SimPlayer, int, Connection], int]

GAMBLING_HARM = "gambling_harm"  # the `reason` of an exclusion given for gambling problems
_OTHER_REASONS = (None, None, "taking_a_break", "other", "moving_abroad")  # healthy players' own reasons

_EXCLUSIONS = {  # kind -> (ISO 8601 duration or "indefinite", length in ms)
    "timeout": (("P1D", DAY), ("P7D", 7 * DAY)),
    "cooling_off": (("P30D", 30 * DAY),),
    "panic": (("P1D", DAY),),
    "self_exclusion": (("P6M", 182 * DAY), ("P1Y", 365 * DAY), ("P5Y", 1826 * DAY), ("indefinite", NEVER)),
}


def wake(p: SimPlayer, now: int) -> int | None:
    """Run whatever is due for `p` at `now`; returns when it next needs waking (None: never)."""
    p.advance(now)
    if now >= p.next_visit:
        if p.visits == 0:
            register(p, now)
        else:
            visit(p, now)
    return p.next_wake()


def receive(p: SimPlayer, at: int, response: Response, seed: int) -> bool:
    """A promotional message reaches `p` at `at`; returns whether they respond to it.

    The decision and its timing come from a stream of their own (seed, player, time), so a
    player who does not respond, or is not of the responding archetype, lives exactly the
    life they would have lived without the message."""
    if p.kind != response.archetype:
        return False
    rng = random.Random(f"croupier-sim/{seed}/response/{p.player_id}/{at}")
    if rng.random() >= response.lift:
        return False
    by = at + int(rng.uniform(0.05, 0.9) * response.window_days * DAY)
    by = max(by, p.last_active + MINUTE)  # not inside a sitting already played out
    p.respond_by = by if p.respond_by is None else min(p.respond_by, by)
    p.next_visit = min(p.next_visit, by)
    p.stopped = False  # a lapsed player can be won back
    return True


# --- registration -----------------------------------------------------------------------------
def register(p: SimPlayer, t: int) -> None:
    rng = p.rng
    p.visits = 1
    first_sitting = t + rng.randint(30 * SECOND, 2 * MINUTE)
    # Early players: the login and first bets reach the CRM before the registration does.
    deliver_at = first_sitting + rng.randint(MINUTE, 8 * MINUTE) if p.early else t
    device, _ = p.devices[0]
    p.emit(t, "player.registered", {
        "jurisdiction": p.jurisdiction.code, "country": p.jurisdiction.country, "currency": p.currency,
        "language": p.language, "timezone": p.jurisdiction.timezone,
        "birth_date": _birth_date(p, t), "email": p.email, "phone": p.phone,
        "first_name": p.first_name, "last_name": p.last_name, "device_id": device, "ip": p.home_ip,
        "affiliate_id": p.affiliate_id,
        "consents": {"email": rng.random() < 0.7, "sms": rng.random() < 0.4, "push": rng.random() < 0.5},
    }, deliver_at=deliver_at)
    p.bonus_offer = 100  # the welcome offer

    if p.harm_pattern is not None:
        p.start_harm(t)
    elif p.kind == "churner":
        p.lapse_at = t + int(rng.uniform(2, 7) * DAY)
        p.lapse_ms = int(rng.uniform(10, 21) * DAY)
    elif p.kind == "bonus_hunter":
        p.cycle_goal = rng.randint(2, 5)
        p.active_until = NEVER
    elif p.kind == "money_mule":
        p.cycle_goal = rng.randint(2, 5)
        p.active_until = NEVER
    if not p.converts:
        p.active_until = t + int(rng.uniform(0, 4) * DAY)

    # Some players set limits while signing up (more of those who later struggle).
    if rng.random() < (0.4 if p.kind == "problem_gambler" else 0.08):
        period = rng.choice(("day", "week", "month"))
        scale = {"day": 1, "week": 3, "month": 8}[period]
        set_deposit_limit(p, t + rng.randint(5 * SECOND, 25 * SECOND), period,
                          nice(p.deposit_base * scale * rng.randint(1, 3)))
    if rng.random() < 0.03:
        p.session_limit_minutes = rng.choice((30, 60, 120))
        p.emit(t + rng.randint(5 * SECOND, 25 * SECOND), "limit.changed", {
            "kind": "session_time", "period": "day", "minutes": p.session_limit_minutes, "source": "player"})
    p.next_visit = first_sitting if p.early or rng.random() < 0.85 else schedule_next(p, t)


def _birth_date(p: SimPlayer, t: int) -> str:
    youngest, oldest = (18, 40) if p.kind in ("problem_gambler", "bonus_hunter", "money_mule") else (18, 75)
    return people.birth_date(p.rng, local(t, p.zone).year, youngest, oldest)


# --- a visit ----------------------------------------------------------------------------------
def visit(p: SimPlayer, now: int) -> None:
    rng = p.rng
    responding, p.respond_by = p.respond_by is not None, None
    if p.stopped:
        p.next_visit = NEVER
        return
    if now < p.excluded_until:
        p.next_visit = NEVER if p.excluded_until >= NEVER else next_time(p, p.excluded_until, 1.0)
        return
    if p.kind == "churner" and p.churned_at is not None and p.returned_at is None:
        p.returned_at = now
        p.active_until = now + int(rng.uniform(5, 20) * DAY)
        p.bonus_offer = 50  # a win-back offer is waiting
    p.visits += 1
    connection = p.connection()
    t = login(p, now, connection)
    if t is None:
        p.next_visit = schedule_next(p, now + 5 * MINUTE)
        return
    t = chores(p, t)
    if t < p.excluded_until:
        p.next_visit = NEVER if p.excluded_until >= NEVER else next_time(p, p.excluded_until, 1.0)
        return
    if responding:  # came back for the message: deposit first, then play as usual
        _, t = deposit(p, t, deposit_amount(p, t))
    t = SITTINGS.get(p.kind, ordinary_sitting)(p, t, connection)
    if rng.random() < 0.65:
        t += rng.randint(2 * SECOND, 30 * SECOND)
        p.advance(t)
        device, ip, _, country = connection
        p.emit(t, "player.logout", {"device_id": device, "ip": ip, "country": country, "success": True})
    p.next_visit = schedule_next(p, t)


def login(p: SimPlayer, t: int, connection: Connection) -> int | None:
    """Log in, sometimes after failed attempts; None when the player gives up."""
    rng = p.rng
    device, ip, _, country = connection
    fields = {"device_id": device, "ip": ip, "country": country, "success": False}
    if rng.random() < 0.04:
        for _ in range(rng.randint(1, 3)):
            p.emit(t, "player.login", fields)
            t += rng.randint(5 * SECOND, 40 * SECOND)
        if rng.random() < 0.1:
            return None
    p.emit(t, "player.login", {**fields, "success": True})
    return t + rng.randint(2 * SECOND, 20 * SECOND)


def chores(p: SimPlayer, t: int) -> int:
    """The occasional non-gaming things: profile, consent, support, limits, exclusions."""
    rng = p.rng
    escalation = p.harm(t)
    if rng.random() < 0.004:
        field = rng.choice(("phone", "email", "last_name"))
        if field == "phone":
            p.phone = people.phone(rng, p.jurisdiction.phone_prefix)
        elif field == "email":
            p.email = people.email(rng, p.first_name, p.last_name)
        else:
            p.last_name = people.full_name(rng, p.language)[1]
        p.emit(t, "player.updated", {field: getattr(p, field)})
        t += rng.randint(5 * SECOND, 60 * SECOND)
    if rng.random() < 0.008:
        p.emit(t, "player.consent_changed", {"channel": rng.choice(("email", "sms", "push")),
                                             "granted": rng.random() < 0.3})
        t += rng.randint(5 * SECOND, 30 * SECOND)
    distress = escalation if "distress" in p.tells else 0.0
    if rng.random() < 0.012 + 0.08 * distress:
        t = write_to_support(p, t, distress)
    if escalation and "limit_raise" in p.tells and p.deposit_limit is not None and rng.random() < 0.1 * escalation:
        request_limit_increase(p, t)
        t += rng.randint(10 * SECOND, 60 * SECOND)
    elif p.deposit_limit is not None and rng.random() < 0.004:  # healthy players raise limits too
        request_limit_increase(p, t)
        t += rng.randint(10 * SECOND, 60 * SECOND)
    elif rng.random() < 0.003:
        set_deposit_limit(p, t, rng.choice(("week", "month")), nice(p.deposit_base * rng.randint(2, 6)))
        t += rng.randint(10 * SECOND, 60 * SECOND)
    if rng.random() < 0.0015:
        t = request_exclusion(p, t, rng.choice(("timeout", "timeout", "cooling_off", "panic")))
    elif escalation and rng.random() < p.exit_rate * escalation:
        # The label an operator trains on: a self-exclusion or closure for gambling reasons.
        t = request_exclusion(p, t, "self_exclusion", GAMBLING_HARM)
    elif p.harm_pattern is None and rng.random() < 0.0003:
        t = request_exclusion(p, t, "self_exclusion", rng.choice(_OTHER_REASONS))
    return t


def write_to_support(p: SimPlayer, t: int, escalation: float) -> int:
    rng = p.rng
    if escalation and rng.random() < 0.6 + 0.3 * escalation:
        mood = "distressed"
    else:
        mood = rng.choices(MOODS[1:], (0.35, 0.5, 0.15))[0]
    text, language = support_text(rng, p.language, mood)
    channel = rng.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0]
    event_id = p.emit(t, "support.message", {"ticket_id": p.next_id("t"), "channel": channel,
                                             "text": text, "language": language})
    p.support_moods.append((t, event_id, mood))
    return t + rng.randint(MINUTE, 5 * MINUTE)


def request_exclusion(p: SimPlayer, t: int, kind: str, reason: str | None = None) -> int:
    duration, length = p.rng.choice(_EXCLUSIONS[kind])
    scope = "operator" if kind == "self_exclusion" and p.rng.random() < 0.6 else "brand"
    fields = {"kind": kind, "duration": duration, "scope": scope}
    if reason is not None:
        fields["reason"] = reason
    p.emit(t, "exclusion.requested", fields)
    if reason == GAMBLING_HARM and p.harm_exit_at is None:
        p.harm_exit_at = t
    p.excluded_until = NEVER if length >= NEVER else t + length
    return t + SECOND


# --- sittings ---------------------------------------------------------------------------------
def ordinary_sitting(p: SimPlayer, t: int, connection: Connection) -> int:
    """Top up if needed, play a session, cash out when well ahead."""
    rng = p.rng
    archetype = p.archetype
    escalation = p.harm(t)
    if p.open_withdrawals:
        reverse_chance = 0.1 + 0.8 * escalation if "reversal" in p.tells else p.reverses
        if rng.random() < reverse_chance:
            t = cancel_withdrawal(p, t)
    if not p.converts:
        return session(p, t, connection, Browse())
    if p.cash + p.bonus < current_stake(p, t) * 8:
        approved, t = deposit(p, t, deposit_amount(p, t))
        if not approved and (escalation or rng.random() < 0.3):
            approved, t = deposit(p, t, nice(deposit_amount(p, t) // 2), rng.choice(p.instruments))
        if not approved and p.cash + p.bonus < p.min_stake * 5:
            return t
    minutes = session_minutes(p, t)
    if rng.random() < p.sports_share:
        t = session(p, t, connection, SportsPlay(minutes, live_share=0.35))
    else:
        t = session(p, t, connection, CasinoPlay(minutes))
    well_up = (1.2 if p.kind == "heavy_healthy" else 2) * max(p.last_deposit, p.deposit_base)
    if p.cash > well_up and rng.random() < archetype.cash_out:
        t = request_withdrawal(p, t, p.cash - p.cash * rng.randint(0, 20) // 100)
    return t


def bonus_hunter_sitting(p: SimPlayer, t: int, connection: Connection) -> int:
    """Deposit the minimum that qualifies, wager exactly the requirement, cash out, wait
    for the next reload offer."""
    rng = p.rng
    if p.bonus == 0 and p.wager_left <= 0:
        if p.cash >= from_eur(10, p.currency):
            if p.kyc != "verified":
                p.resume_at = t + rng.randint(2 * HOUR, 12 * HOUR)
                return t
            t = request_withdrawal(p, t, p.cash)
            p.cycles += 1
            if p.cycles >= p.cycle_goal:
                p.active_until = t
            else:
                p.bonus_offer = 50  # the reload offer the hunter waits for
                p.resume_at = t + int(rng.uniform(3, 10) * DAY)
            return t
        if not p.bonus_offer:
            p.resume_at = t + int(rng.uniform(2, 6) * DAY)
            return t
        approved, t = deposit(p, t, p.deposit_base)
        if not approved or p.bonus == 0:
            return t
    stake = _stake_near(p, max(p.min_stake, p.wager_left // rng.randint(50, 100)))
    t = session(p, t, connection, CasinoPlay(180, until_wagered=True, low_volatility=True, stake=stake))
    p.resume_at = t + rng.randint(20 * MINUTE, 8 * HOUR)
    return t


def money_mule_sitting(p: SimPlayer, t: int, connection: Connection) -> int:
    """Money in on one card, a token amount of play, money out to a different account."""
    rng = p.rng
    if p.cycles >= p.cycle_goal:
        p.active_until = t
        return t
    if p.cash < from_eur(50, p.currency):
        card = ("card", people.instrument_id(rng, "card")) if rng.random() < 0.5 else p.instruments[0]
        if card not in p.instruments:
            p.instruments.append(card)
        approved, t = deposit(p, t, nice(int(p.deposit_base * rng.uniform(0.8, 1.5))), card)
        if not approved:
            p.resume_at = t + rng.randint(HOUR, 12 * HOUR)
            return t
        stake = _stake_near(p, p.cash // rng.randint(60, 200))
        t = session(p, t, connection, CasinoPlay(10, max_rounds=rng.randint(2, 12), stake=stake))
    if p.kyc == "verified":
        t = request_withdrawal(p, t, p.cash - p.cash * rng.randint(0, 5) // 100,
                               p.payout_account(rng.choice(("bank_transfer", "skrill"))))
        p.cycles += 1
        p.resume_at = t + rng.randint(6 * HOUR, 48 * HOUR)
    else:
        p.resume_at = t + rng.randint(HOUR, 6 * HOUR)
    return t


SITTINGS: dict[str, Sitting] = {
    "bonus_hunter": bonus_hunter_sitting,
    "money_mule": money_mule_sitting,
}


def _stake_near(p: SimPlayer, target: int) -> int:
    best = p.ladder[0]
    for step in p.ladder:
        if step <= target:
            best = step
    return best


def session_minutes(p: SimPlayer, t: int) -> float:
    base = p.archetype.session_minutes * p.session_scale
    escalation = p.harm(t)
    if escalation:
        base += (ESCALATED_SESSION_MINUTES - base) * escalation
    minutes = max(1.0, base * p.rng.lognormvariate(0, 0.6))
    if p.session_limit_minutes is not None:
        minutes = min(minutes, p.session_limit_minutes)
    return minutes


# --- coming back ------------------------------------------------------------------------------
def schedule_next(p: SimPlayer, t: int) -> int:
    """When the player next turns up (NEVER once they have stopped for good)."""
    if p.resume_at is not None:
        resume, p.resume_at = p.resume_at, None
        if resume <= p.active_until:
            return next_time(p, max(resume, t + MINUTE), 6.0)
    if p.kind == "churner" and p.churned_at is None and p.lapse_at is not None and t >= p.lapse_at:
        p.churned_at = t
        return next_time(p, t + p.lapse_ms, 2.0)
    candidate = next_time(p, t + 10 * MINUTE, visits_per_day(p, t))
    surge = p.next_surge(t)
    if surge is not None and surge < candidate:  # harm takes hold before the next planned visit
        candidate = min(candidate, next_time(p, surge, visits_per_day(p, surge)))
    if candidate > p.active_until:
        p.stopped = True
        if p.churned_at is None:
            p.churned_at = t
        return NEVER
    return candidate


def visits_per_day(p: SimPlayer, t: int) -> float:
    base = p.visit_rate
    escalation = p.harm(t)
    if not escalation:
        return base
    return max(base, base + (ESCALATED_VISITS_PER_DAY - base) * escalation)


def hours_of(p: SimPlayer, t: int) -> Hours:
    escalation = p.harm(t) if "night" in p.tells else 0.0
    if not escalation:
        return p.hours
    return tuple(a + (b - a) * escalation for a, b in zip(p.hours, NIGHT_OWL))


def next_time(p: SimPlayer, after: int, per_day: float) -> int:
    """The next visit after `after`: a Poisson process at `per_day` visits a day, thinned by
    the player's local hour-of-day (and weekend) preferences."""
    rng = p.rng
    hours = hours_of(p, after)
    boost = p.archetype.weekend_boost
    ceiling = max(hours) * max(1.0, boost)
    mean = sum(hours) / 24 * (5 + 2 * boost) / 7
    rate = per_day * ceiling / mean / DAY
    t = after
    for _ in range(10_000):
        t += int(rng.expovariate(rate)) + 1
        moment = local(t, p.zone)
        weight = hours[moment.hour] * (boost if moment.weekday() >= 5 else 1.0)
        if rng.random() * ceiling < weight:
            return t
    return t
