"""Population percentiles for the absolute RG markers: computed from the stored states of the
players active in the last 30 days (per jurisdiction), printed and proposed as configuration by
`croupier rg percentiles` (four eyes: the proposer cannot approve), previewed at
`GET /v1/rg/population`; and a proposal that lowers an absolute threshold shows, in a shadow
run, the players it would newly flag."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import msgspec
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from croupier.api import Runtime
from croupier.compliance import config_store
from croupier.compliance.document import effective, in_force_document, merge_patch, parse_document, to_builtins
from croupier.compliance.shadow import run_shadow
from croupier.players import micros
from croupier.protection.population import percentile, population

from . import Player, at

DAY = timedelta(days=1)


def _shifted(raw: list[dict], shift: timedelta) -> list[dict]:
    for e in raw:
        e["occurred_at"] = (datetime.fromisoformat(e["occurred_at"]) + shift).isoformat()
    return raw


def daily_player(pid: str, stake_sek: int, days: range = range(35)) -> Player:
    """A player staking `stake_sek` SEK (a tenth as many EUR-equivalent) a day on `days`."""
    p = Player(pid)
    p.register(at(days.start, minutes=-30))
    for d in days:
        p.bet(at(d), f"{stake_sek}.00")
    return p


def cohort() -> list[Player]:
    """Eleven SE players staking 100, 200, ... 1,100 EUR-equivalent a day for 35 days, one
    who stopped two months ago and one 10 days old."""
    players = [daily_player(f"se{i:02d}", 1000 * i) for i in range(1, 12)]
    gone = Player("gone")
    gone.register(at(-100))
    for d in range(-100, -60):
        gone.bet(at(d), "50000.00")
    return [*players, gone, daily_player("young", 5000, days=range(25, 35))]


def test_percentiles_over_the_active_players_only() -> None:
    assert percentile([10.0, 20.0, 30.0], 50) == 20.0 and percentile([], 90) == 0.0
    players = cohort()
    found = population([p.state for p in players], micros(at(35)))
    se = found["SE"]
    assert se.players == 12                          # eleven and the young one; not the one who left
    stakes = se.cuts("2026-04-06").cuts["stake_per_active_day_30"]
    values = sorted([100.0 * i for i in range(1, 12)] + [500.0])
    assert stakes == [round(percentile(values, p), 2) for p in (90, 98, 99.5)] == [990.0, 1078.0, 1094.5]
    assert len(se.values["active_share_30"]) == 11   # the young account's share is over its tenure: left out


@pytest.fixture
def stored(sqlite_url: str):  # noqa: ANN201
    """The cohort ingested and folded by a runtime, its states stored; times end an hour ago."""
    runtime = Runtime(sqlite_url)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    shift = now - at(35) - timedelta(hours=1)
    events = sorted((e for p in cohort() for e in _shifted(p.raw, shift)), key=lambda e: e["occurred_at"])
    for i in range(0, len(events), 200):
        assert runtime.ingest(json.dumps(events[i:i + 200]).encode()).stored
    runtime.engine.flush()
    from croupier.store.accounts import create_user

    with runtime.db.engine.begin() as conn:
        create_user(conn, "cleo", "cleo-password-01", "compliance_officer")
        create_user(conn, "otto", "otto-password-01", "compliance_officer")
    yield runtime, sqlite_url
    runtime.close()


def _cli(*args: str) -> tuple[int, str]:
    from croupier.cli import _COMMAND_MODULES
    from croupier.cli.app import app

    for module in _COMMAND_MODULES:
        __import__(f"croupier.cli.{module}")
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_the_command_prints_and_proposes_them_for_a_second_officer(stored) -> None:  # noqa: ANN001
    runtime, url = stored
    code, out = _cli("rg", "percentiles", "--db", url, "--json", "--min-players", "5")
    assert code == 0, out
    report = json.loads(out)
    [se] = report["jurisdictions"]
    assert (se["jurisdiction"], se["players"], se["enough"]) == ("SE", 12, True)
    assert se["cuts"]["stake_per_active_day_30"][0] == 990.0
    population_patch = report["patch"]["jurisdictions"]["SE"]["rg"]["markers"]["population"]
    assert population_patch["players"] == 12 and population_patch["as_of"] == report["as_of"]
    code, out = _cli("rg", "percentiles", "--db", url, "--jurisdiction", "SE")
    assert code == 0 and "p99.5" in out and "left out of a proposal (--propose): SE: 12 players, fewer than 200" in out
    # the whole measure name and the cuts as proposed, even on a pipe 80 columns wide
    assert "stake_per_active_day_30" in out and "1094.5" in out and "…" not in out

    assert _cli("rg", "percentiles", "--db", url, "--propose")[0] != 0          # who proposes?
    code, out = _cli("rg", "percentiles", "--db", url, "--propose", "--as", "cleo", "--min-players", "5")
    assert code == 0, out
    assert "left out of a proposal" not in out and "proposed configuration version" in " ".join(out.split())
    with runtime.db.engine.begin() as conn:
        [version] = [v for v in config_store.list_versions(conn) if v.status == "proposed"]
        version = config_store.get_version(conn, version.version_id)
        assert version.proposed_by == "cleo"
        doc = version.document["jurisdictions"]["SE"]["rg"]["markers"]["population"]
        assert doc["cuts"]["stake_per_active_day_30"] == [990.0, 1078.0, 1094.5]
        with pytest.raises(config_store.ConfigRefused):                          # four eyes
            config_store.approve(conn, version.version_id, actor="cleo", role="compliance_officer",
                                 in_force=runtime.config, now_us=micros(datetime.now(timezone.utc)))
        approved = config_store.approve(conn, version.version_id, actor="otto", role="compliance_officer",
                                        in_force=runtime.config, now_us=micros(datetime.now(timezone.utc)))
    assert approved.status == "approved"
    assert approved.config().jurisdictions["SE"].rg.markers.population.players == 12


def test_the_api_previews_them(stored) -> None:  # noqa: ANN001
    runtime, url = stored
    from croupier.api import create_app
    from croupier.store.accounts import create_key

    app = create_app(url, background=False)
    with app.state.runtime.db.engine.begin() as conn:
        token, _ = create_key(conn, "reader", ["read"])
    client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    r = client.get("/v1/rg/population", params={"jurisdiction": "SE", "min_players": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["jurisdictions"][0]["players"] == 12 and "SE" in body["patch"]["jurisdictions"]
    assert body["config_version"] == app.state.runtime.config.version
    assert client.get("/v1/rg/population", params={"jurisdiction": "XX"}).status_code == 404
    app.state.runtime.close()


def test_a_lower_threshold_flags_more_players_in_shadow(stored) -> None:  # noqa: ANN001
    runtime, _ = stored
    live = runtime.config
    patch = {"jurisdictions": {"SE": {"rg": {"markers": {"intensity_stake_eur": [150, 1000, 3000]}}}}}
    proposed = effective(parse_document(merge_patch(to_builtins(in_force_document(live)), patch)))
    report = run_shadow(runtime.db, live, proposed, last_events=1000)
    changed = {p["player_id"]: {c["what"]: c for c in p["changes"]} for p in report["players"]}
    assert set(changed) == {"se02"}                  # 200 EUR a day: under 300, over 150
    markers = changed["se02"]["markers"]
    assert "intensity" in markers["shadow"] and "intensity" not in markers["live"]
    live_states = {pid: runtime.engine.state_of(pid) for pid in ("se01", "se02", "se03")}
    assert "intensity" not in live_states["se02"].protection.markers
    assert "intensity" in live_states["se03"].protection.markers
    assert msgspec.to_builtins(proposed.jurisdictions["SE"].rg.markers)["intensity_stake_eur"] == [150, 1000, 3000]
