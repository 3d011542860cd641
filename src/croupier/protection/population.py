"""The operator's own population percentiles for the absolute RG markers.

"A player in the top 2 % for intensity is worth a look even if nothing changed": the
absolute markers (protection.intensity) grade some measures against percentiles of this
operator's players. The fold is per player and replay-exact, so the percentiles are not read
live: they are computed here from the stored player states and become configuration
(`rg.markers.population` of a jurisdiction), proposed and approved by two officers and
shadow-run like any configuration change (`croupier rg percentiles --propose`,
`GET /v1/rg/population` to preview). docs/rg-markers.md, "Population percentiles".

Who counts: players with a bet in the 30 days before `as_of` (the markers grade players when
they bet, so the comparison is with other active players); for `active_share_30` only those
whose account is at least 30 days old (a younger one's share is over its tenure). The pure
part (`cuts_of`, `population`) takes states; `active_states` and `compute` read the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import msgspec

from croupier.compliance.rules import PERCENTILES, POPULATION_MEASURES, PopulationCuts
from croupier.players.config import FeatureConfig
from croupier.players.state import DAY_US, PlayerState
from croupier.protection.measures import measures

ACTIVE_DAYS = 90          # states of players with an event in the 90 days before as_of are read
MIN_PLAYERS = 200         # fewer and the 99.5th percentile is one or two players: not proposed
_DIGITS = {"active_share_30": 4, "bets_per_active_day_30": 1}   # money: 2


def percentile(ordered: list[float], pct: float) -> float:
    """Linear interpolation between the closest ranks (the common 'linear' definition)."""
    if not ordered:
        return 0.0
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def cuts_of(values: list[float], measure: str) -> list[float]:
    ordered = sorted(values)
    digits = _DIGITS.get(measure, 2)
    return [round(percentile(ordered, p), digits) for p in PERCENTILES]


@dataclass(slots=True)
class Population:
    """The percentiles of one jurisdiction's active players (None: players without one)."""

    jurisdiction: str | None
    players: int = 0
    values: dict[str, list[float]] = field(default_factory=lambda: {m: [] for m in POPULATION_MEASURES})

    def cuts(self, as_of: str) -> PopulationCuts:
        return PopulationCuts(as_of=as_of, players=max(1, self.players),
                              cuts={m: cuts_of(v, m) for m, v in self.values.items() if v})

    def as_dict(self, as_of: str, min_players: int = MIN_PLAYERS) -> dict[str, Any]:
        return {"jurisdiction": self.jurisdiction, "players": self.players,
                "measured": {m: len(v) for m, v in self.values.items()},
                "percentiles": list(PERCENTILES), "cuts": self.cuts(as_of).cuts if self.players else {},
                "enough": self.players >= min_players}


def population(states: Iterable[PlayerState], as_of_us: int, features: FeatureConfig | None = None,
               jurisdiction: str | None = None) -> dict[str | None, Population]:
    """Per jurisdiction, the measures of the players with a bet in the 30 whole days before
    the day of `as_of_us` (of `jurisdiction` only, when given). Pure."""
    features = features or FeatureConfig()
    complete = as_of_us // DAY_US * DAY_US - 1     # whole days, as the markers measure them at a bet
    out: dict[str | None, Population] = {}
    for state in states:
        code = state.profile.get("jurisdiction")
        if jurisdiction is not None and code != jurisdiction:
            continue
        m = measures(state, complete, features)
        if not m["active_days_30"]:
            continue
        pop = out.get(code)
        if pop is None:
            pop = out[code] = Population(code)
        pop.players += 1
        for name in POPULATION_MEASURES:
            if name == "active_share_30" and m["tenure_days"] < 30:
                continue
            pop.values[name].append(m[name])
    return out


def as_of_text(as_of_us: int) -> str:
    return datetime.fromtimestamp(as_of_us / 1e6, timezone.utc).date().isoformat()


def patch_for(found: dict[str | None, Population], as_of_us: int, known: Iterable[str],
              min_players: int = MIN_PLAYERS) -> tuple[dict[str, Any], list[str]]:
    """The merge patch that sets `rg.markers.population` of each jurisdiction with enough
    players, and why the others are left out."""
    as_of = as_of_text(as_of_us)
    known = set(known)
    table: dict[str, Any] = {}
    skipped = []
    for code, pop in sorted(found.items(), key=lambda kv: kv[0] or ""):
        if code is None or code not in known:
            skipped.append(f"{code or '(no jurisdiction)'}: {pop.players} players, not a jurisdiction of the "
                           "configuration")
        elif pop.players < min_players:
            skipped.append(f"{code}: {pop.players} players, fewer than {min_players}")
        else:
            table[code] = {"rg": {"markers": {"population": msgspec.to_builtins(pop.cuts(as_of))}}}
    return ({"jurisdictions": table} if table else {}), skipped


# --- the store --------------------------------------------------------------------------------
def active_states(conn: Any, since_us: int, jurisdiction: str | None = None,
                  chunk: int = 2000) -> Iterator[PlayerState]:
    """Stored states of players with an event since `since_us` (the `players` row's
    `last_event_at_us`), decoded a chunk at a time."""
    from sqlalchemy import select

    from croupier.store.schema import player_state, players
    from croupier.store.states import decode

    query = (select(player_state.c.state).join(players, players.c.player_id == player_state.c.player_id)
             .where(players.c.last_event_at_us >= since_us))
    if jurisdiction is not None:
        query = query.where(players.c.jurisdiction == jurisdiction)
    result = conn.execution_options(yield_per=chunk).execute(query)
    for (blob,) in result:
        yield decode(blob)


def compute(conn: Any, as_of_us: int, features: FeatureConfig | None = None,
            jurisdiction: str | None = None) -> dict[str | None, Population]:
    """The percentiles of the stored states as of `as_of_us`."""
    since = as_of_us - ACTIVE_DAYS * DAY_US
    return population(active_states(conn, since, jurisdiction), as_of_us, features, jurisdiction)


def report(found: dict[str | None, Population], as_of_us: int, known: Iterable[str],
           min_players: int = MIN_PLAYERS) -> dict[str, Any]:
    """What the API and the command answer: each jurisdiction's percentiles and the patch
    that would propose them."""
    as_of = as_of_text(as_of_us)
    patch, skipped = patch_for(found, as_of_us, known, min_players)
    return {"as_of": as_of, "percentiles": list(PERCENTILES), "min_players": min_players,
            "jurisdictions": [p.as_dict(as_of, min_players) for _, p in sorted(found.items(), key=lambda kv: kv[0] or "")],
            "patch": patch, "skipped": skipped}


def propose(conn: Any, *, actor: str, in_force: Any, now_us: int, patch: dict[str, Any], comment: str = "",
            via: str | None = None) -> Any:
    """A configuration proposal setting the percentiles: a second officer approves it
    (four eyes), and it can be shadow-run before that like any other version."""
    from croupier.compliance import config_store

    return config_store.propose(conn, actor=actor, in_force=in_force, now_us=now_us, patch=patch,
                                comment=comment or "RG population percentiles", via=via)
