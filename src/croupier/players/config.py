"""Thresholds for features and lifecycle stages: data, not code, so operators can tune them."""

from __future__ import annotations

import hashlib

from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct


class LifecycleConfig(Struct, forbid_unknown_fields=True):
    """Day thresholds behind the lifecycle stages (see docs/features.md)."""

    new_depositor_days: Days = 14   # first deposit at most this many days ago -> new_depositor
    active_days: Days = 14          # last activity at most this many days ago -> active
    lapsed_days: Annotated[int, Meta(ge=1, le=3650)] = 30  # idle this long -> lapsed (in between: at_risk)
    reactivated_days: Days = 14     # back after a lapse at most this many days ago -> reactivated


class RfmConfig(Struct, forbid_unknown_fields=True):
    """Score 1..5 cut points. Recency in days (lower is better), frequency in active days over
    30 days, monetary in major units of net deposits over 90 days (player currency)."""

    recency_days: list[int] = msgspec.field(default_factory=lambda: [30, 14, 7, 2])
    frequency_days: list[int] = msgspec.field(default_factory=lambda: [1, 3, 8, 15])
    monetary: list[int] = msgspec.field(default_factory=lambda: [20, 100, 500, 2500])
    # Currencies whose unit is worth roughly a tenth of a euro get their cut points scaled.
    monetary_scale: dict[str, int] = msgspec.field(
        default_factory=lambda: {"SEK": 10, "NOK": 10, "DKK": 7, "CZK": 25, "MXN": 20, "ZAR": 20})


Hour = Annotated[int, Meta(ge=0, le=23)]
Days = Annotated[int, Meta(ge=0, le=3650)]


class FeatureConfig(Struct, forbid_unknown_fields=True):
    late_night_start_hour: Hour = 0   # local time; late night is [start, end), may cross midnight
    late_night_end_hour: Annotated[int, Meta(ge=0, le=24)] = 6
    losing_run_bets: Annotated[int, Meta(ge=1, le=1000)] = 3  # losing bets in a row that make a losing run
    lifecycle: LifecycleConfig = msgspec.field(default_factory=LifecycleConfig)
    rfm: RfmConfig = msgspec.field(default_factory=RfmConfig)


MoneyOfRecord = Literal["ledger", "platform"]
BrandKey = Annotated[str, Meta(min_length=1, max_length=128)]


class EngineConfig(Struct, forbid_unknown_fields=True):
    """The whole engine configuration; its content hash is the version every decision records."""

    features: FeatureConfig = msgspec.field(default_factory=FeatureConfig)
    min_age: dict[str, Annotated[int, Meta(ge=0, le=99)]] = msgspec.field(default_factory=lambda: {"default": 18})
    stale_after_minutes: Annotated[int, Meta(ge=1)] = 60  # promotions wait when a player's data is older than this
    # Per brand ("default" for the rest), who keeps the money limits count: Croupier's ledger
    # (the wallet API) or the operator's platform (money events after POST /v1/authorize).
    money_of_record: dict[BrandKey, MoneyOfRecord] = msgspec.field(default_factory=lambda: {"default": "platform"})

    @property
    def version(self) -> str:
        return config_version(self)


_VERSIONS: dict[int, tuple[EngineConfig, str]] = {}
# Settings added after versions were first stored: left out of the hash while at their
# default (as `to_builtins` gives it), so every stored version (and every decision's recorded
# version) keeps its id. The one mechanism for every later addition, the configuration
# document's own included: `exchange` is compliance's ConfigDocument section (no rates, convert),
# `rg_model` its operator-trained RG model (None: the shipped scorecard), `contact` the contact
# arbiter's policy (None: its defaults), `measurement` the global holdout (None: none).
_ADDED_LATER: dict[str, object] = {"money_of_record": {"default": "platform"}, "exchange": {}, "rg_model": None,
                                   "contact": None, "measurement": None}


def money_of_record(config: EngineConfig, brand: str | None) -> MoneyOfRecord:
    """The brand's money of record: its own entry, else "default", else the platform (what
    the simulator and a fresh install send: money as events)."""
    table = config.money_of_record
    return table.get(brand or "default") or table.get("default") or "platform"


def config_version(config: EngineConfig) -> str:
    """Content hash of the config (keys sorted, so entry order does not matter). Cached per
    object: the gate asks for it on every decision."""
    cached = _VERSIONS.get(id(config))
    if cached is not None and cached[0] is config:
        return cached[1]
    body = msgspec.to_builtins(config, order="sorted")
    for name, default in _ADDED_LATER.items():
        if name in body and body[name] == default:
            del body[name]
    version = "cfg-" + hashlib.sha256(msgspec.json.encode(body)).hexdigest()[:12]
    if len(_VERSIONS) >= 256:   # versions are few; shadow runs and tests make more, briefly
        _VERSIONS.clear()
    _VERSIONS[id(config)] = (config, version)
    return version


def load_config(raw: bytes | None) -> EngineConfig:
    """Parse a JSON config document; missing keys take their defaults, unknown keys and
    out-of-range values are errors that name the key."""
    config = msgspec.json.decode(raw, type=EngineConfig) if raw else EngineConfig()
    cuts = config.features.rfm
    for name in ("recency_days", "frequency_days", "monetary"):
        values = getattr(cuts, name)
        if len(values) != 4 or values != sorted(values, reverse=name == "recency_days"):
            order = "descending" if name == "recency_days" else "ascending"
            raise ValueError(f"features.rfm.{name} needs four cut points in {order} order, got {values}")
    return config
