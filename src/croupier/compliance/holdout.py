"""The global holdout: a small share of players kept out of every promotional contact (every
journey, campaign, bonus and mission), for as long as the share is set, and still measured,
so the whole CRM programme can be compared with doing nothing (docs/measurement.md).

The `measurement` section of the configuration document sets the share, versioned and
approved with the rest, so every gate decision names the version that held a player out.
Membership is a hash of the player id with a fixed salt, never a draw: the same players stay
out across journeys, restarts and replays, and raising the share only adds players (a
player's bucket does not move; the threshold does). Protective and service contact is never
held: the gate applies the holdout to promotions only.

Pure: the section's type, its checks and the membership test.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Annotated, Any

from msgspec import Meta, Struct

BUCKETS = 10_000                       # 0.01 % resolution, as the journeys' holdouts
SALT = "croupier.global_holdout.v1"    # fixed for good: changing it would re-draw every player
MAX_PERCENT = 20                       # a holdout is a small share: most players get the programme


class Measurement(Struct, forbid_unknown_fields=True, frozen=True):
    """How the CRM programme is measured. `global_holdout_percent`: the share of players (0 to
    20, in steps of 0.01) who receive no promotional contact at all; 0: no global holdout."""

    global_holdout_percent: Annotated[float, Meta(ge=0, le=MAX_PERCENT)] = 0.0


DEFAULT_MEASUREMENT = Measurement()


def problems(section: Measurement) -> list[tuple[str, Any, str]]:
    """(path inside the section, value, message) for what the schema cannot check."""
    share = Decimal(repr(section.global_holdout_percent))
    if share != share.quantize(Decimal("0.01")):
        return [("global_holdout_percent", section.global_holdout_percent,
                 "a percentage with at most two decimals (0.01 % is the finest share a player hash can split)")]
    return []


def measurement_of(config: object) -> Measurement:
    """The measurement section of a configuration, else the defaults (a plain engine
    configuration, or a document without the section)."""
    return getattr(config, "measurement", None) or DEFAULT_MEASUREMENT


def holdout_bucket(player_id: str) -> int:
    """The player's fixed place in [0, BUCKETS): below the threshold means held out."""
    digest = hashlib.sha256(f"{SALT}\x1f{player_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def threshold(percent: float) -> int:
    """The bucket below which players are held out for a share of `percent`."""
    return int((Decimal(repr(percent)) * BUCKETS / 100).to_integral_value())


def in_global_holdout(player_id: str, percent: float) -> bool:
    """Whether the player is in the global holdout at this share (never at 0)."""
    return percent > 0 and holdout_bucket(player_id) < threshold(percent)
