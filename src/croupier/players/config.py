"""Thresholds for features and lifecycle stages: data, not code, so operators can tune them."""

from __future__ import annotations

import hashlib

import msgspec
from msgspec import Struct


class LifecycleConfig(Struct, forbid_unknown_fields=True):
    """Day thresholds behind the lifecycle stages (see docs/features.md)."""

    new_depositor_days: int = 14   # first deposit at most this many days ago -> new_depositor
    active_days: int = 14          # last activity at most this many days ago -> active
    lapsed_days: int = 30          # no activity for this many days -> lapsed (in between: at_risk)
    reactivated_days: int = 14     # back after a lapse at most this many days ago -> reactivated


class RfmConfig(Struct, forbid_unknown_fields=True):
    """Score 1..5 cut points. Recency in days (lower is better), frequency in active days over
    30 days, monetary in major units of net deposits over 90 days (player currency)."""

    recency_days: list[int] = msgspec.field(default_factory=lambda: [30, 14, 7, 2])
    frequency_days: list[int] = msgspec.field(default_factory=lambda: [1, 3, 8, 15])
    monetary: list[int] = msgspec.field(default_factory=lambda: [20, 100, 500, 2500])
    # Currencies whose unit is worth roughly a tenth of a euro get their cut points scaled.
    monetary_scale: dict[str, int] = msgspec.field(
        default_factory=lambda: {"SEK": 10, "NOK": 10, "DKK": 7, "CZK": 25, "MXN": 20, "ZAR": 20})


class FeatureConfig(Struct, forbid_unknown_fields=True):
    late_night_start_hour: int = 0   # local time; late night is [start, end)
    late_night_end_hour: int = 6
    losing_run_bets: int = 3         # consecutive losing bets that count as a losing run
    lifecycle: LifecycleConfig = msgspec.field(default_factory=LifecycleConfig)
    rfm: RfmConfig = msgspec.field(default_factory=RfmConfig)


class EngineConfig(Struct, forbid_unknown_fields=True):
    """The whole engine configuration; its content hash is the version every decision records."""

    features: FeatureConfig = msgspec.field(default_factory=FeatureConfig)
    min_age: dict[str, int] = msgspec.field(default_factory=lambda: {"default": 18})
    stale_after_minutes: int = 60    # promotions wait when a player's data is older than this

    @property
    def version(self) -> str:
        return config_version(self)


def config_version(config: EngineConfig) -> str:
    return "cfg-" + hashlib.sha256(msgspec.json.encode(config)).hexdigest()[:12]


def load_config(raw: bytes | None) -> EngineConfig:
    """Parse a JSON config document; missing keys take their defaults, unknown keys are errors."""
    return msgspec.json.decode(raw, type=EngineConfig) if raw else EngineConfig()
