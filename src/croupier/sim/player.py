"""One simulated player: identity, devices, wallet and the private timeline of things
that will happen to them later (settlements, payouts, rollbacks).

A player owns its own `random.Random`, derived from the seed and its index, so its life
does not change when other players are added or the run is sliced differently.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from heapq import heappop, heappush
from typing import Any, Callable

from croupier.sim import people
from croupier.sim.archetypes import ESCALATION_RAMP_DAYS, Archetype
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
        low, high = archetype.stake_eur
        self.stake_floor = _ladder_index(ladder, from_eur(low, self.currency))
        self.stake_ceiling = _ladder_index(ladder, from_eur(high, self.currency))
        self.stake_index = rng.randint(self.stake_floor, self.stake_ceiling)
        self.min_stake = ladder[0]
        dlow, dhigh = archetype.deposit_eur
        self.deposit_base = from_eur(rng.uniform(dlow, dhigh), self.currency)
        self.last_deposit = 0
        # Money outside the casino: what the player's bank will let them deposit. It comes
        # back on payday; chasing losses past it is what produces declined deposits.
        self.pay_period = 7 * DAY
        # Problem gamblers reach further: overdrafts, credit cards, borrowed money.
        reach = (5.0, 10.0) if archetype.name == "problem_gambler" else (2.5, 6.0)
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

        # Ground truth.
        self.escalation_at: int | None = None
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
    def escalation(self, t: int) -> float:
        """0 before a problem gambler's escalation, rising to 1 over a few days after it."""
        if self.escalation_at is None or t < self.escalation_at:
            return 0.0
        return min(1.0, 0.3 + (t - self.escalation_at) / (ESCALATION_RAMP_DAYS * DAY))

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
