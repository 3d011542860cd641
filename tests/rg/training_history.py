"""A simulated operator's history with gambling-harm labels, for the RG training tests.

The simulator does not emit gambling_harm exclusions (yet): the labels are appended here,
from the simulator's own ground truth: each problem gambler whose escalation started asks to
be self-excluded for gambling harm `after_days` later (when that still lies in the run).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import cache

from croupier.bench.detectors import simulated_events
from croupier.events import Event, ExclusionRequested

START = datetime(2026, 1, 5, tzinfo=timezone.utc)
MIX = (("casual_slots", 0.30), ("live_casino", 0.10), ("sports_bettor", 0.20), ("high_roller", 0.05),
       ("bonus_hunter", 0.05), ("problem_gambler", 0.22), ("churner", 0.08))


def harm_requests(labels: list[dict], end: datetime, after_days: float = 10.0) -> list[ExclusionRequested]:
    out = []
    for row in labels:
        started = row["labels"]["escalation_started_at"]
        if not row["labels"]["problem_gambling"] or started is None:
            continue
        at = datetime.fromisoformat(started) + timedelta(days=after_days)
        if at < end:
            out.append(ExclusionRequested(event_id=f"harm-{row['player_id']}", player_id=row["player_id"],
                                          brand=row["brand"], occurred_at=at, kind="self_exclusion",
                                          duration="P6M", reason="gambling_harm"))
    return out


@cache
def history(players: int = 400, days: int = 75, seed: int = 3) -> tuple[Event, ...]:
    """The simulated log in time order, with the harm requests in it."""
    from croupier.sim import SimConfig, Simulator
    import msgspec
    from croupier.events import parse_batch

    sim = Simulator(SimConfig(seed=seed, players=players, days=days, start=START, mix=MIX))
    raw = list(sim.events())
    now = START + timedelta(days=days + 1)
    events: list[Event] = []
    for i in range(0, len(raw), 5_000):
        events.extend(parse_batch(msgspec.json.encode(raw[i:i + 5_000]), now=now).events)
    events.extend(harm_requests(list(sim.labels()), START + timedelta(days=days)))
    events.sort(key=lambda e: e.occurred_at)
    return tuple(events)


def constructed_log(harmed: int = 26, others: int = 80, seed: int = 5, days: int = 60) -> list[Event]:
    """A small operator log made to measure: `harmed` players who play most days with
    rising stakes and deposits, then are labelled (most by an exclusion requested for
    gambling harm, some by an exclusion started for it, some by an RG review confirming
    harm), and `others` who play now and then. Deterministic in `seed`; noisy enough
    that the two groups overlap."""
    import random

    from croupier.events import CasinoBet, CasinoWin, Deposit, ExclusionStarted, PlayerRegistered, RgReviewed

    rng = random.Random(seed)
    out: list[Event] = []
    day_s = timedelta(days=1)
    for i in range(harmed + others):
        pid, bad = f"c{i:04d}", i < harmed
        start = START + day_s * rng.randint(0, 20) + timedelta(hours=rng.randint(8, 20))
        out.append(PlayerRegistered(event_id=f"{pid}-reg", player_id=pid, brand="b", occurred_at=start,
                                    jurisdiction="MT", country="MT", currency="EUR"))
        label_day = rng.randint(15, 30) if bad else None
        span = label_day if bad else rng.randint(25, days - 21)
        for d in range(span + (0 if bad else 1)):
            if rng.random() > (0.75 if bad else 0.3):
                continue
            t = start + day_s * d + timedelta(minutes=rng.randint(0, 120))
            stake = (5 + d * rng.uniform(0.5, 3)) if bad else rng.uniform(1, 15)
            if bad and rng.random() < 0.3:
                stake = rng.uniform(1, 15)         # harmed players have quiet days too
            n = rng.randint(5, 40) if bad else rng.randint(1, 10)
            out.append(Deposit(event_id=f"{pid}-d{d}", player_id=pid, brand="b", occurred_at=t,
                               transaction_id=f"{pid}-d{d}", amount=f"{stake * n:.2f}", currency="EUR",
                               status="approved"))
            for k in range(n):
                at = t + timedelta(minutes=1 + k)
                out.append(CasinoBet(event_id=f"{pid}-b{d}-{k}", player_id=pid, brand="b", occurred_at=at,
                                     bet_id=f"{pid}-b{d}-{k}", amount=f"{stake:.2f}", currency="EUR",
                                     game_category="slots"))
                if rng.random() < 0.4:
                    out.append(CasinoWin(event_id=f"{pid}-w{d}-{k}", player_id=pid, brand="b",
                                         occurred_at=at + timedelta(seconds=5), bet_id=f"{pid}-b{d}-{k}",
                                         amount=f"{stake * 2:.2f}", currency="EUR"))
        if bad:
            at = start + day_s * label_day + timedelta(hours=3)
            if i % 5 == 3:
                out.append(ExclusionStarted(event_id=f"{pid}-xs", player_id=pid, brand="b", occurred_at=at,
                                            exclusion_id=f"x-{pid}", kind="self_exclusion", scope="operator",
                                            actor="player", reason="gambling_harm; six months"))
            elif i % 5 == 4:
                out.append(RgReviewed(event_id=f"{pid}-rv", player_id=pid, brand="b", occurred_at=at,
                                      actor="officer", outcome="harm_confirmed"))
            else:
                out.append(ExclusionRequested(event_id=f"{pid}-xr", player_id=pid, brand="b", occurred_at=at,
                                              kind="self_exclusion", duration="P6M", reason="gambling_harm"))
    out.sort(key=lambda e: (e.occurred_at, e.event_id))
    return out
