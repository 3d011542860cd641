"""One source of truth for money per brand, and no money for players nobody registered
(issue 7, points 2 and 3), over HTTP on SQLite and PostgreSQL.

The reported case: a GB player with a 200 GBP daily deposit limit deposited 150 through the
wallet and 100 arrived as a payment.deposit event; the protection panel said 250 used while
the ledger said 150 used, 50 remaining. Now each brand names its money of record, and the
panel, the features, /v1/authorize and the wallet view show one figure in both modes."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import EventFactory, client_for  # tests/conftest.py
from croupier.ingest import replay_file
from croupier.ingest.batch import ingest_body
from croupier.players import EngineConfig, compute_features
from croupier.store.accounts import create_user, open_session

GB = {"jurisdiction": "GB", "country": "GB", "currency": "GBP", "language": "en", "timezone": "Europe/London",
      "birth_date": "1990-02-03", "email": "gwen@example.co.uk", "first_name": "Gwen", "last_name": "Hale"}


def _client(db_url: str, table: dict[str, str]) -> Iterator[TestClient]:
    yield from client_for(db_url, EngineConfig(money_of_record=table))


@pytest.fixture(params=["ledger", "platform"])
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def api(db_url: str, mode: str) -> Iterator[TestClient]:
    yield from _client(db_url, {"default": mode})


def _register(api: TestClient, player_id: str = "gb1", brand: str = "aurora") -> EventFactory:
    events = EventFactory(player_id=player_id, brand=brand)
    r = api.post("/v1/events", json=[events.registered(timedelta(minutes=-5), **GB)])
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    return events


def _deposit_event(events: EventFactory, tx: str, amount: str) -> dict[str, Any]:
    return events("payment.deposit", transaction_id=tx, amount=amount, currency="GBP", status="approved",
                  method="card")


def _wallet_deposit(api: TestClient, player_id: str, tx: str, amount: str, **extra: Any):  # noqa: ANN202
    return api.post(f"/v1/wallet/{player_id}/deposits",
                    json={"transaction_id": tx, "amount": amount, "currency": "GBP", **extra})


def _authorize(api: TestClient, amount: str, player_id: str = "gb1", kind: str = "deposit") -> dict[str, Any]:
    r = api.post("/v1/authorize", json={"player_id": player_id, "kind": kind, "amount": amount, "currency": "GBP"})
    assert r.status_code == 200, r.text
    return r.json()


def _staff_page(api: TestClient, player_id: str) -> str:
    with api.app.state.runtime.db.engine.begin() as conn:
        token, _ = open_session(conn, create_user(conn, "olga", "olga-password-01", "compliance_officer"))
    return api.get(f"/players/{player_id}", cookies={"croupier_session": token},
                   headers={"Authorization": ""}, follow_redirects=False).text


def test_the_panel_the_features_authorize_and_the_wallet_show_one_figure(api: TestClient, mode: str) -> None:
    events = _register(api)
    assert api.post("/v1/players/gb1/limits", json={"kind": "deposit", "period": "day", "amount": "200.00",
                                                    "currency": "GBP"}).status_code == 200
    wallet = _wallet_deposit(api, "gb1", "w-150", "150.00")
    sent = api.post("/v1/events", json=[_deposit_event(events, "psp-100", "100.00")]).json()
    if mode == "ledger":      # the wallet posts; a money event beside it is refused, with its reason
        assert wallet.status_code == 200, wallet.text
        [refused] = sent["rejected"]
        assert sent["accepted"] == 0 and (refused["index"], refused["field"], refused["value"]) == \
            (0, "type", "payment.deposit")
        assert "money_of_record: ledger" in refused["reason"] and "/v1/wallet/" in refused["reason"]
        used, remaining = "150.00", "50.00"
    else:                     # the wallet moves nothing; the platform's events are the money
        assert wallet.status_code == 409, wallet.text
        detail = wallet.json()["detail"]
        assert (detail["field"], detail["value"], detail["code"]) == ("brand", "aurora", "money_of_record_platform")
        assert "POST /v1/authorize" in detail["message"]
        assert sent["accepted"] == 1 and sent["rejected"] == []
        more = api.post("/v1/events", json=[_deposit_event(events, "psp-150", "150.00")]).json()
        assert more["accepted"] == 1
        used, remaining = "250.00", "0.00"

    view = api.get("/v1/players/gb1").json()
    [row] = view["protection"]["limits"]
    assert (row["current"]["used"], row["current"]["remaining"]) == (used, remaining)         # the panel
    assert view["protection"]["money_of_record"] == mode
    [usage] = api.get("/v1/wallet/gb1").json()["usage"]
    assert (usage["counted"], usage["remaining"]) == (used, remaining)                         # the wallet view
    runtime = api.app.state.runtime
    features = compute_features(runtime.engine.state_of("gb1"), time.time_ns() // 1000, runtime.config.features)
    assert features["deposit_sum_1d"] == features["inflow_sum_1d"] == used                   # the features
    denied = _authorize(api, "60.00")                                                           # /v1/authorize
    assert denied["decision"] == "deny"
    [reason] = denied["reasons"]
    assert (reason["code"], reason["counted"], reason["remaining"]) == ("deposit_limit", used, remaining)
    assert (_authorize(api, "10.00")["decision"] == "allow") is (mode == "ledger")
    page = _staff_page(api, "gb1")                                                              # the back office
    text = re.sub(r"<[^>]+>", "", page)   # the figures as staff read them (en: £150.00)
    # 250 counted against a 200 limit (platform events are not refused) is shown as a breach
    left = "over limit by £50.00" if mode == "platform" else f"(£{remaining} left)"
    assert f"£{used}" in text and left in text and f'data-mode="{mode}"' in page
    if mode == "ledger":      # the balance of record is the ledger's
        assert view["balances"]["balance"] == "150.00" and "ledger" in view["balances"]["note"]


def test_money_for_a_player_nobody_registered_is_refused(api: TestClient, mode: str) -> None:
    for what, body in (("deposits", {}), ("bets", {}), ("bonus-credits", {"reason": "welcome"}),
                       ("withdrawals", {})):
        r = api.post(f"/v1/wallet/ghost/{what}",
                     json={"transaction_id": f"g-{what}", "amount": "5000.00", "currency": "EUR", **body})
        assert r.status_code == 409, (what, r.text)
        detail = r.json()["detail"]
        assert (detail["field"], detail["value"], detail["code"]) == ("player_id", "ghost", "player_not_registered")
        assert "player.registered" in detail["message"]
    assert api.post("/v1/wallet/ghost/sessions", json={"session_id": "s1"}).status_code == 409
    denied = api.post("/v1/authorize", json={"player_id": "ghost", "kind": "deposit", "amount": "5000.00",
                                             "currency": "EUR"}).json()
    assert denied["decision"] == "deny" and [r["code"] for r in denied["reasons"]] == ["player_not_registered"]
    assert api.post("/v1/authorize", json={"player_id": "ghost", "kind": "deposit", "amount": "0",
                                           "currency": "EUR"}).status_code == 422   # a bad field still says so
    assert api.get("/v1/wallet/ghost").json()["wallets"] == []                       # nothing was posted
    assert api.get("/v1/wallet/ghost/transactions/g-deposits").status_code == 404
    # events before the registration do not make a registered player either
    early = EventFactory(player_id="early")
    assert api.post("/v1/events", json=[early("player.login", success=True)]).json()["accepted"] == 1
    assert _wallet_deposit(api, "early", "e-1", "10.00").json()["detail"]["code"] == "player_not_registered"
    _register(api, "early")
    after = _wallet_deposit(api, "early", "e-1", "10.00")
    assert after.status_code == (200 if mode == "ledger" else 409), after.text
    assert _authorize(api, "10.00", player_id="early")["decision"] == "allow"


def test_a_registration_stored_but_not_yet_folded_counts(db_url: str) -> None:
    """player.registered acknowledged, the engine not there yet (it lags, or it runs in
    another process): the wallet folds the player's log itself rather than refuse a player
    who is registered, and applies what the registration says."""
    for api in _client(db_url, {"default": "ledger"}):
        runtime = api.app.state.runtime
        events = EventFactory(player_id="late")
        body = json.dumps([events.registered(**GB)]).encode()
        stored = ingest_body(runtime.db, body, config=runtime.config)   # stored durably; no engine ran
        assert stored.accepted == 1 and runtime.engine.state_of("late") is None
        posted = _wallet_deposit(api, "late", "l-1", "20.00")
        assert posted.status_code == 200, posted.text
        assert api.get("/v1/wallet/late").json()["timezone"] == "Europe/London"   # the registration's
        assert _authorize(api, "5.00", player_id="late")["decision"] == "allow"


def test_each_brand_has_its_own_money_of_record(db_url: str) -> None:
    for api in _client(db_url, {"default": "platform", "casino-uk": "ledger"}):
        uk, sport = _register(api, "gb1", "casino-uk"), _register(api, "gb2", "sport-uk")
        assert _wallet_deposit(api, "gb1", "w1", "10.00").status_code == 200
        assert _wallet_deposit(api, "gb2", "w2", "10.00").json()["detail"]["value"] == "sport-uk"
        bet = {"bet_id": "b1", "amount": "5.00", "currency": "GBP", "game_category": "slots"}
        batch = [_deposit_event(uk, "t1", "10.00"), _deposit_event(sport, "t2", "10.00"),
                 uk("casino.bet", **bet), sport("casino.bet", **bet), uk("player.login", success=True)]
        answer = api.post("/v1/events", json=batch).json()
        assert answer["accepted"] == 3                 # sport-uk's money and every non-money event
        assert [(r["index"], r["value"]) for r in answer["rejected"]] == [(0, "payment.deposit"), (2, "casino.bet")]


def test_files_take_the_money_of_record_from_the_configuration_in_force(db_url: str, tmp_path) -> None:  # noqa: ANN001
    """`croupier ingest` (and the stream consumer) apply the same rule: the start
    configuration, or the approved version in the database."""
    from croupier.store import open_database

    events = EventFactory(player_id="gb1")
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in [events.registered(**GB), _deposit_event(events, "t1", "10.00")]))
    db = open_database(db_url)
    try:
        report = replay_file(db, path, config=EngineConfig(money_of_record={"aurora": "ledger"}))
        assert (report.accepted, report.rejected) == (1, 1)
        [line] = report.first_rejections
        assert (line.line, line.field, line.value) == (2, "type", "payment.deposit")
        again = replay_file(db, path)          # the defaults: the platform keeps the money
        assert (again.accepted, again.duplicates, again.rejected) == (1, 1, 0)
    finally:
        db.dispose()


def test_the_setting_is_part_of_the_versioned_configuration() -> None:
    from croupier.compliance.document import InvalidDocument, parse_document

    doc = parse_document({"money_of_record": {"default": "platform", "casino-uk": "ledger"}})
    assert doc.money_of_record == {"default": "platform", "casino-uk": "ledger"}
    assert doc.version != parse_document({}).version
    with pytest.raises(InvalidDocument) as bad:
        parse_document({"money_of_record": {"casino-uk": "wallet"}})
    [problem] = bad.value.problems
    assert (problem.path, problem.value) == ("money_of_record.casino-uk", "wallet")
    # stored versions keep their ids: the setting at its default leaves the hash as it was
    assert EngineConfig().version == "cfg-432c687a3a22"


def test_settings_added_later_leave_stored_version_ids_alone() -> None:
    """`money_of_record` and `exchange` both came after versions were stored: one rule keeps
    every id, for the engine's configuration and for the configuration document alike (the
    ids below are those the documents had before `money_of_record` existed)."""
    from croupier.compliance.document import parse_document

    rates = {"base": "EUR", "rates": {"GBP": {"rate": "0.85", "as_of": "2026-11-30"}}}
    assert parse_document({}).version == "cfg-d36c7100489c"
    assert parse_document({"money_of_record": {"default": "platform"}, "exchange": {}}).version == "cfg-d36c7100489c"
    assert parse_document({"exchange": rates}).version == "cfg-090b4e75dd43"
    assert parse_document({"exchange": rates, "money_of_record": {"default": "ledger"}}).version not in \
        ("cfg-090b4e75dd43", "cfg-d36c7100489c")
    assert parse_document({"exchange": {"foreign_currency": "refuse"}}).version != "cfg-d36c7100489c"


def test_the_engines_periods_are_the_ledgers_calendar_in_utc() -> None:
    """Where the platform keeps the money, the gate's near-limit check (players.limit_usage)
    and /v1/authorize (limits_periods.window in UTC) must cut the same periods."""
    from datetime import date, datetime, timezone

    from croupier.players import micros
    from croupier.players.limit_usage import period_days
    from croupier.protection.limits_periods import window

    epoch = date(1970, 1, 1).toordinal()
    for day in range(0, 800, 3):
        for hour in (0, 13, 23):
            moment = datetime(2027, 1, 1, hour, 59, tzinfo=timezone.utc) + timedelta(days=day - 400)
            for period in ("day", "week", "month"):
                w = window(period, moment, "UTC")
                assert period_days(period, micros(moment)) == (w.first_day - epoch, w.today - epoch), (moment, period)
