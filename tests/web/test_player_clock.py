"""The player's clock beside the staff member's (web/player_clock.py): quiet hours and the
late-night window in both clocks, whether either is in effect for the player now, when each
limit period resets (the player's local midnight), and a zone that is missing or unknown
counted in UTC as the rules count it."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import msgspec

from croupier.compliance.rules import presets
from croupier.players.config import FeatureConfig
from croupier.web.formatting import Reader
from croupier.web.player_clock import player_clock

NOW = datetime(2026, 12, 3, 2, 30, tzinfo=timezone.utc)   # 03:30 in Stockholm, 21:30 (2 Dec) in New York
STOCKHOLM_SV = Reader.of("sv", "Europe/Stockholm")


def runtime(profile: dict, quiet: list[int] | None) -> SimpleNamespace:
    table = dict(presets())
    se = table["SE"]
    table["SE"] = msgspec.structs.replace(se, marketing=msgspec.structs.replace(se.marketing, quiet_hours=quiet))
    config = SimpleNamespace(version="test", jurisdictions=table, exchange=None, features=FeatureConfig())
    return SimpleNamespace(engine=SimpleNamespace(state_of=lambda _pid: SimpleNamespace(profile=profile)),
                           config=config)


def view(limits: list[dict] | None = None) -> dict:
    return {"player_id": "p", "features": {"late_night_share_30d": 0.25},
            "protection": {"limits": limits or []}}


def test_a_player_in_new_york_beside_a_reader_in_stockholm() -> None:
    limits = [{"key": "deposit:day", "period": "day", "current": {"amount": "200.00"}},
              {"key": "loss:month", "period": "month", "current": {"amount": "900.00"}},
              {"key": "wager:week", "period": "week", "current": None}]
    clock = player_clock(runtime({"timezone": "America/New_York", "jurisdiction": "SE"}, [21, 8]),
                         view(limits), STOCKHOLM_SV, NOW)
    assert clock["zone"] == "America/New_York" and not clock["same_clock"]
    assert clock["now"] == "2 dec. 2026, 21:30:00 EST"
    # 21:00-08:00 in New York on its 2 December is 03:00-14:00 on 3 December in Stockholm
    assert clock["quiet"] == {"local": "21:00–08:00", "yours": "03:00 CET–14:00 CET", "now": True}
    assert clock["late_night"]["local"] == "00:00–06:00" and clock["late_night"]["now"] is False
    assert clock["late_night"]["yours"] == "06:00 CET–12:00 CET"
    assert clock["late_night"]["share_30d"] == 0.25
    # a daily limit resets at the player's midnight, a monthly one on their 1st; no current limit, no reset
    assert clock["resets"] == {"deposit:day": "2026-12-03T05:00:00Z", "loss:month": "2027-01-01T05:00:00Z"}


def test_late_night_and_no_quiet_hours_in_the_players_own_zone() -> None:
    clock = player_clock(runtime({"timezone": "Europe/Stockholm", "jurisdiction": "SE"}, None), view(),
                         STOCKHOLM_SV, NOW)
    assert clock["same_clock"] and clock["quiet"] is None and clock["jurisdiction"] == "SE"
    assert clock["late_night"]["now"] is True   # 03:30 for the player


def test_a_missing_or_unknown_zone_is_counted_in_utc() -> None:
    unknown = player_clock(runtime({"timezone": "Mars/Base", "jurisdiction": "SE"}, [21, 8]), view(),
                           STOCKHOLM_SV, NOW)
    assert unknown["zone"] is None and unknown["named"] == "Mars/Base" and unknown["counted_zone"] == "UTC"
    assert unknown["now"] == "3 dec. 2026, 02:30:00 UTC" and unknown["quiet"]["now"] is True
    missing = player_clock(runtime({}, None), view([{"key": "deposit:day", "period": "day", "current": {}}]),
                           STOCKHOLM_SV, NOW)
    assert missing["zone"] is None and missing["named"] is None and missing["counted_zone"] == "UTC"
    assert missing["resets"] == {}   # an empty current limit is no limit
