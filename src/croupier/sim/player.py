"""One simulated player: identity, devices, wallet and the private timeline of things
that will happen to them later (settlements, payouts, rollbacks).

A player owns its own `random.Random`, derived from the seed and its index, so its life
does not change when other players are added or the run is sliced differently.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import dataclass
from heapq import heappop, heappush
from typing import Any, Callable

from croupier.sim import people
from croupier.sim.archetypes import ESCALATION_RAMP_DAYS, HARM_PATTERNS, HARM_TELLS, NIGHT_OWL, Archetype
from croupier.sim.casino import Game
from croupier.sim.clock import DAY, NEVER
from croupier.sim.emission import EventSink
from croupier.sim.markets import JURISDICTIONS, Jurisdiction
from croupier.sim.money import amount, from_eur, stake_ladder

Later = Callable[["SimPlayer", int, Any], None]


@dataclass(frozen=True)
class Ring:
    """Accounts one person (or gang) controls: they give themselves away by sharing."""

    ring_id: str
    size: int
    jurisdiction: Jurisdiction
    device_id: str
    instrument: tuple[str, str]  # (method, instrument_id)
    ip: str | None  # shared address, for the rings that do not bother hiding it


@dataclass(frozen=True)
class DepositLimit:
    """A player's deposit limit; an increase waits out a cooling-off under the old one."""

    period: str  # day, week, month
    amount: int
    effective_at: int
    previous: DepositLimit | None = None

    def in_force(self, t: int) -> DepositLimit:
        if t < self.effective_at and self.previous is not None:
            return self.previous.in_force(t)
        return self


class SimPlayer:
    """State of one player; what they do lives in `behaviour`, `sessions` and `cashier`."""

    def __init__(self, *, seed: int, index: int, archetype: Archetype, jurisdiction: Jurisdiction,
                 brand: str, registered_at: int, sink: EventSink, rollback_share: float,
                 ring: Ring | None, early: bool) -> None:
        rng = random.Random(f"croupier-sim/{seed}/player/{index}")
        self.rng = rng
        self.index = index
        self.player_id = f"p{index:07d}"
        self.archetype = archetype
        self.kind = archetype.name
        self.jurisdiction = jurisdiction
        self.brand = brand
        self.currency = jurisdiction.currency
        self.zone = jurisdiction.zone
        self.sink = sink
        self.rollback_share = rollback_share
        self.ring = ring
        self.early = early
        self.registered_at = registered_at

        languages = jurisdiction.languages
        self.language = rng.choices([lang for lang, _ in languages], [w for _, w in languages])[0]
        self.first_name, self.last_name = people.full_name(rng, self.language)
        self.email = people.email(rng, self.first_name, self.last_name)
        self.phone = people.phone(rng, jurisdiction.phone_prefix)
        self.affiliate_id: str | None = f"aff-{rng.randint(100, 140)}" if rng.random() < 0.45 else None

        # Devices and addresses; ring members lean on the ring's.
        channel_draw = rng.random()
        main_channel = "mobile" if channel_draw < 0.55 else "web" if channel_draw < 0.85 else "app"
        self.devices: list[tuple[str, str]] = [(people.device_id(rng), main_channel)]
        if rng.random() < 0.35:
            self.devices.append((people.device_id(rng), "web" if main_channel != "web" else "mobile"))
        self.home_ip = people.ip_address(rng, jurisdiction.ip_prefixes)
        self.mobile_ips = [people.ip_address(rng, jurisdiction.ip_prefixes) for _ in range(2)]
        if ring is not None:
            self.devices.insert(0, (ring.device_id, main_channel))
            if ring.ip is not None:
                self.home_ip = ring.ip

        methods = jurisdiction.methods
        method = rng.choices([m for m, _ in methods], [w for _, w in methods])[0]
        self.instruments: list[tuple[str, str]] = [(method, people.instrument_id(rng, method))]
        if ring is not None:
            self.instruments.insert(0, ring.instrument)

        # Wallet, in minor units.
        self.cash = 0
        self.bonus = 0
        self.wager_left = 0  # wagering still needed before the bonus turns into cash
        self.bonus_offer = 0  # match percentage offered on the next deposit (0 = none)
        ladder = stake_ladder(self.currency)
        self.ladder = ladder

        # The player's own habits, drawn around the archetype's medians (archetypes.py).
        kind = archetype.name
        self.harm_pattern: str | None = None
        if kind == "problem_gambler":
            self.harm_pattern = rng.choices([n for n, _ in HARM_PATTERNS], [w for _, w in HARM_PATTERNS])[0]
        self.visit_rate = archetype.visits_per_day * rng.lognormvariate(0, archetype.spread)
        self.session_scale = rng.lognormvariate(0, 0.4)
        self.sports_bets = archetype.sports_bets * rng.lognormvariate(0, 0.45)
        self.sports_share = archetype.sports_share
        if kind == "heavy_healthy":  # a heavy bettor of the sportsbook or of the casino
            self.sports_share = 0.9 if rng.random() < 0.5 else 0.1
        low, high = archetype.stake_eur
        median, sigma = math.sqrt(low * high), math.log(high / low) / 2.563  # p10..p90 -> lognormal
        usual = median * rng.lognormvariate(0, sigma)
        if self.harm_pattern == "steady":  # heavy from the first day: more often, bigger
            self.visit_rate *= 3.0
            usual *= 2
        self.stake_index = _ladder_index(ladder, from_eur(usual, self.currency))
        self.stake_floor = max(0, self.stake_index - 2)
        self.stake_ceiling = min(len(ladder) - 1, self.stake_index + 2)
        self.min_stake = ladder[0]
        dlow, dhigh = archetype.deposit_eur
        self.deposit_base = from_eur(rng.uniform(dlow, dhigh), self.currency)
        if self.harm_pattern == "steady":
            self.deposit_base = from_eur(rng.uniform(dlow, dhigh) * 4, self.currency)
        self.last_deposit = 0
        # Money outside the casino: what the player's bank will let them deposit. It comes
        # back on payday; chasing losses past it is what produces declined deposits.
        self.pay_period = 7 * DAY
        # Problem gamblers reach further: overdrafts, credit cards, borrowed money; heavy
        # healthy players simply have the money.
        reach = {"problem_gambler": (5.0, 10.0), "heavy_healthy": (8.0, 16.0)}.get(kind, (2.5, 6.0))
        self.salary = int(self.deposit_base * rng.uniform(*reach))
        self.funds = int(self.salary * rng.uniform(0.5, 1.5))
        self.payday = registered_at + int(rng.uniform(0, 7) * DAY)
        self.deposits: list[tuple[int, int]] = []  # (time, amount) of approved deposits
        self.deposit_limit: DepositLimit | None = None
        self.session_limit_minutes: int | None = None
        self.open_withdrawals: dict[str, tuple[int, str, str]] = {}
        self.kyc = "none"
        self._payout_accounts: dict[str, tuple[str, str]] = {}

        # Taste.
        cats = archetype.categories
        self.categories = [c for c, _ in cats]
        self.category_weights = [w * rng.uniform(0.5, 1.5) for _, w in cats]
        self.favourites: dict[tuple[str, bool], list[Game]] = {}
        self.crash_target = rng.choice((150, 200, 200, 300, 500))

        # Lifecycle.
        self.converts = rng.random() < archetype.converts
        self.next_visit = registered_at
        self.active_until = NEVER if archetype.lifetime_days is None else registered_at + int(
            archetype.lifetime_days * rng.lognormvariate(0, 0.6) * DAY)
        self.stopped = False
        self.excluded_until = 0
        self.visits = 0
        self.last_active = registered_at
        self.cycles = 0  # bonus-hunting or muling rounds done
        self.cycle_goal = 0
        self.resume_at: int | None = None  # when a sitting decided when to come back
        self.respond_by: int | None = None  # a message brought the next visit forward (config.Response)

        # Habits that look like harm in healthy players too (real populations overlap):
        # topping up again when the money runs out, night owls (shift workers), taking a
        # pending withdrawal back, stakes that swing.
        self.redeposit = min(0.9, archetype.redeposit * rng.lognormvariate(0, 0.9))
        self.hours = NIGHT_OWL if self.harm_pattern is None and rng.random() < 0.08 else archetype.hours
        self.reverses = rng.uniform(0.2, 0.5) if rng.random() < 0.1 else 0.03
        self.nudge = 0.03 if rng.random() < 0.85 else rng.uniform(0.08, 0.2)

        # Chasing within play: the chance of doubling the stake right after a losing bet.
        # Some harmed players do it a lot; a few healthy ones now and then.
        self.chase = 0.0
        if self.harm_pattern is not None:
            if rng.random() < 0.55:
                self.chase = rng.uniform(0.2, 0.6)
        elif kind not in ("bonus_hunter", "money_mule") and rng.random() < 0.08:
            self.chase = rng.uniform(0.05, 0.25)
        self.sports_lost = False  # the latest sports bet to settle was lost
        self.last_sports_stake = 0

        # Harm: which signs this player shows, how intense (steady), how likely to stop
        # and self-exclude for gambling reasons, and when it starts (set at registration).
        self.tells: frozenset[str] = frozenset()
        self.harm_level = 0.0
        self.exit_rate = 0.0
        self.harm_at: int | None = None
        self._episodes: list[int] = []  # fluctuating: boundaries, binges start at even indices
        self._episode_rng: random.Random | None = None
        if self.harm_pattern is not None:
            self.tells = frozenset(name for name, share in HARM_TELLS if rng.random() < share)
            self.harm_level = rng.uniform(0.4, 0.85)
            # Braverman & Shaffer 2012: 73 % of the high-risk cluster later closed their account
            # for gambling reasons; here about that share ever will, at a pace set by harm.
            self.exit_rate = rng.uniform(0.008, 0.04) if rng.random() < 0.75 else 0.0

        # Ground truth.
        self.escalation_at: int | None = None
        self.harm_exit_at: int | None = None  # first self-exclusion given for gambling reasons
        self.lapse_at: int | None = None
        self.lapse_ms = 0
        self.churned_at: int | None = None
        self.returned_at: int | None = None
        self.support_moods: list[tuple[int, str, str]] = []  # (time, event_id, mood)

        self.serial = 0
        self.timeline: list[tuple[int, int, Later, Any]] = []

    # --- identity of things the player creates -------------------------------------------
    def next_id(self, kind: str) -> str:
        self.serial += 1
        return f"{self.player_id}-{kind}{self.serial}"

    def payout_account(self, method: str = "bank_transfer") -> tuple[str, str]:
        """Where payouts go when the deposit method cannot receive them (or a mule prefers)."""
        account = self._payout_accounts.get(method)
        if account is None:
            account = self._payout_accounts[method] = (method, people.instrument_id(self.rng, method))
        return account

    # --- events -----------------------------------------------------------------------------
    def emit(self, t: int, type_: str, fields: dict[str, Any], deliver_at: int | None = None) -> str:
        self.last_active = t
        return self.sink.emit(self.player_id, self.brand, t, type_, fields, deliver_at)

    def balances(self) -> dict[str, str]:
        """The optional `balance`/`bonus_balance` extension fields, after the event."""
        return {"balance": amount(self.cash), "bonus_balance": amount(self.bonus)}

    # --- the private timeline ---------------------------------------------------------------
    def later(self, t: int, action: Later, payload: Any = None) -> None:
        self.serial += 1
        heappush(self.timeline, (t, self.serial, action, payload))

    def advance(self, t: int) -> None:
        """Let everything scheduled up to `t` happen, in order, at its own time."""
        queue = self.timeline
        while queue and queue[0][0] <= t:
            when, _, action, payload = heappop(queue)
            action(self, when, payload)

    def next_wake(self) -> int | None:
        due = self.timeline[0][0] if self.timeline else NEVER
        wake = min(due, self.next_visit)
        return None if wake >= NEVER else wake

    # --- derived state ----------------------------------------------------------------------
    def start_harm(self, t: int) -> None:
        """Fix when harm begins, at registration (time `t`)."""
        pattern = self.harm_pattern
        if pattern == "escalating":
            self.escalation_at = self.harm_at = t + int(self.rng.uniform(1.5, 25) * DAY)
        elif pattern == "steady":
            self.harm_at = t
        elif pattern == "fluctuating":
            self._episode_rng = random.Random(f"croupier-sim/{self.index}/{self.rng.random()}/episodes")
            self.harm_at = t + int(self._episode_rng.uniform(0.5, 10) * DAY)
            self._episodes = [self.harm_at]

    def harm(self, t: int) -> float:
        """How intensely harm drives the player's play at `t`, 0..1: 0 for players without
        harm; escalating: 0 before the escalation, rising to 1 over a few days after it;
        steady: a constant level from registration; fluctuating: high in binges, low between."""
        pattern = self.harm_pattern
        if pattern is None:
            return 0.0
        if pattern == "steady":
            return self.harm_level
        if pattern == "escalating":
            if self.escalation_at is None or t < self.escalation_at:
                return 0.0
            return min(1.0, 0.3 + (t - self.escalation_at) / (ESCALATION_RAMP_DAYS * DAY))
        episodes = self._episodes
        if not episodes or t < episodes[0]:
            return 0.0
        rng = self._episode_rng
        while episodes[-1] <= t and rng is not None:  # binge 2-14 days, then 4-25 quieter days
            span = rng.uniform(2, 14) if len(episodes) % 2 else rng.uniform(4, 25)
            episodes.append(episodes[-1] + int(span * DAY))
        return 1.0 if bisect_right(episodes, t) % 2 else 0.2

    escalation = harm  # the name the older code and tests know

    def next_surge(self, t: int) -> int | None:
        """When harm next rises after `t` (an escalation, a binge), or None."""
        if self.harm_pattern == "escalating":
            at = self.escalation_at
            return at if at is not None and at > t else None
        if self.harm_pattern == "fluctuating":
            self.harm(t)  # the episodes now reach past t
            i = bisect_right(self._episodes, t)
            return self._episodes[i] if i % 2 == 0 and i < len(self._episodes) else None
        return None

    def connection(self) -> tuple[str, str, str, str]:
        """(device_id, ip, channel, country) for a sitting."""
        rng = self.rng
        if self.ring is not None and rng.random() < 0.8:
            device, channel = self.devices[0]
        else:
            device, channel = rng.choice(self.devices)
        ip = self.home_ip if channel == "web" or rng.random() < 0.5 else rng.choice(self.mobile_ips)
        country = self.jurisdiction.country
        if rng.random() < 0.01:  # travelling
            abroad = rng.choice(JURISDICTIONS)
            ip, country = people.ip_address(rng, abroad.ip_prefixes), abroad.country
        return device, ip, channel, country


def _ladder_index(ladder: tuple[int, ...], stake: int) -> int:
    best = 0
    for i, step in enumerate(ladder):
        if step <= stake:
            best = i
    return best
