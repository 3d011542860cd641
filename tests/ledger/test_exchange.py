"""A limit protects a person, not a currency (issue 7, point 1), over HTTP on SQLite and
PostgreSQL: a GB player's used-up GBP limit refuses a EUR deposit; usage posted in several
currencies sums, converted into each limit's currency at the approved configuration's
rates (rounded up); loss and wager limits count stakes and wins in any currency; a missing
rate refuses (fail closed); the refuse-foreign setting refuses; the rate is recorded with
the posting and its event; features sum foreign-currency events converted."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient

from croupier.store.accounts import create_key, create_user, find_user, open_session

RATES = {"GBP": {"rate": "0.85", "as_of": "2026-11-30", "source": "test"},
         "SEK": {"rate": "11.20", "as_of": "2026-11-30"}}


class Officer:
    """A compliance officer's back-office session (approvals need one)."""

    def __init__(self, app: Any, username: str):
        with app.state.runtime.db.engine.begin() as conn:
            create_user(conn, username, f"{username}-password-01", "compliance_officer")
            token, self.csrf = open_session(conn, find_user(conn, username).user_id)
        self.client = TestClient(app)
        self.client.cookies.set("croupier_session", token)

    def post(self, path: str, body: Any = None):  # noqa: ANN201
        return self.client.post(path, json=body, headers={"X-CSRF-Token": self.csrf})


def with_gb_player(client: TestClient, make_event) -> TestClient:  # noqa: ANN001
    """`client` with a registered GB player p1 (GBP, Europe/London) and two officers."""
    registration = make_event.registered(jurisdiction="GB", country="GB", currency="GBP", timezone="Europe/London",
                                         language="en")
    assert client.post("/v1/events", json=[registration]).status_code == 200
    app = client.app
    client.officers = (Officer(app, "cleo"), Officer(app, "otto"))
    with app.state.runtime.db.engine.begin() as conn:
        client.admin = {"Authorization": f"Bearer {create_key(conn, 'admin', ['ingest', 'read', 'admin'])[0]}"}
    return client


@pytest.fixture
def gb(ledger_client: TestClient, make_event) -> TestClient:  # noqa: ANN001
    """Croupier's ledger is the wallet (money_of_record: ledger): money moves through /v1/wallet."""
    return with_gb_player(ledger_client, make_event)


@pytest.fixture
def gb_platform(app_client: TestClient, make_event) -> TestClient:  # noqa: ANN001
    """The operator's platform is the wallet (money_of_record: platform): money arrives as events."""
    return with_gb_player(app_client, make_event)


def approve_exchange(api: TestClient, exchange: dict[str, Any]) -> str:
    """Propose `exchange` as a merge patch (one officer) and approve it (the other): in force at once."""
    cleo, otto = api.officers
    r = cleo.post("/v1/config/versions", {"patch": {"exchange": exchange}, "comment": "exchange rates"})
    assert r.status_code == 201, r.text
    version = r.json()["version"]
    r = otto.post(f"/v1/config/versions/{version}/approve")
    assert r.status_code == 200, r.text
    return version


def limit(api: TestClient, kind: str, period: str, amount: str, currency: str = "GBP") -> None:
    r = api.post("/v1/players/p1/limits", json={"kind": kind, "period": period, "amount": amount,
                                                "currency": currency})
    assert r.status_code == 200 and r.json()["pending"] is False, r.text


def post(api: TestClient, what: str, tx: str, amount: str, currency: str, **fields: Any) -> tuple[int, dict]:
    r = api.post(f"/v1/wallet/p1/{what}", json={"transaction_id": tx, "amount": amount, "currency": currency,
                                                **fields})
    return r.status_code, r.json()


def features(api: TestClient) -> dict[str, Any]:
    return api.get("/v1/players/p1").json()["features"]


def usage_of(api: TestClient, key: str) -> dict[str, Any]:
    return next(u for u in api.get("/v1/wallet/p1").json()["usage"] if u["limit"] == key)


def test_a_used_up_gbp_limit_refuses_a_eur_deposit(gb: TestClient) -> None:
    """The issue's case: 200 GBP a day, used up; 5,000 EUR may not go through."""
    limit(gb, "deposit", "day", "200.00")
    assert post(gb, "deposits", "g1", "200.00", "GBP")[0] == 200
    # no rate yet: refused all the same (fail closed), nothing posted, nothing counted
    status, body = post(gb, "deposits", "e0", "5000.00", "EUR")
    assert status == 403 and {r["code"] for r in body["reasons"]} == {"exchange_rate_missing"}
    assert "EUR→GBP" in body["reasons"][0]["message"]
    assert body["reasons"][0]["exchange"] == [{"from": "EUR", "to": "GBP"}]
    version = approve_exchange(gb, {"base": "EUR", "rates": RATES})
    status, body = post(gb, "deposits", "e1", "5000.00", "EUR")
    assert status == 403, body
    [reason] = body["reasons"]
    assert (reason["code"], reason["limit"], reason["currency"]) == ("deposit_limit", "deposit:day", "GBP")
    assert (reason["counted"], reason["remaining"], reason["requested"]) == ("200.00", "0.00", "4250.00")
    assert "1 EUR = 0.85 GBP as of 2026-11-30" in reason["message"] and version in reason["message"]
    assert reason["exchange"] == [{"from": "EUR", "to": "GBP", "rate": "0.85", "as_of": "2026-11-30",
                                   "config_version": version}]
    assert {w["currency"]: w["cash"] for w in gb.get("/v1/wallet/p1").json()["wallets"]} == \
        {"GBP": "200.00", "EUR": "0.00"}                                                  # nothing posted
    f = features(gb)
    assert f["deposit_sum_1d"] == "200.00" and f["deposit_count_1d"] == 1


def test_usage_in_several_currencies_sums_converted_and_rounds_up(gb: TestClient) -> None:
    version = approve_exchange(gb, {"base": "EUR", "rates": RATES})
    limit(gb, "deposit", "day", "200.00")
    limit(gb, "deposit", "week", "300.00", currency="EUR")     # a limit in another currency than the player's
    assert post(gb, "deposits", "g1", "150.00", "GBP")[0] == 200
    status, body = post(gb, "deposits", "e1", "50.00", "EUR")
    assert status == 200, body
    # every rate the check used: this deposit into the GBP limit, the GBP usage into the EUR one
    assert body["exchange"] == [{"from": "EUR", "to": "GBP", "rate": "0.85", "as_of": "2026-11-30",
                                 "config_version": version, "amount": "42.50"},
                                {"from": "GBP", "to": "EUR", "rate": "1.176470588235294117647058824",
                                 "as_of": "2026-11-30", "config_version": version}]
    # the rate is recorded with the posting and with the event the posting logged
    assert gb.get("/v1/wallet/p1/transactions/e1").json()["exchange"] == body["exchange"]
    [logged] = [e["event"] for e in gb.get("/v1/players/p1/events").json()["events"]
                if e["event_id"] == body["event_id"]]
    assert logged["exchange"] == body["exchange"] and logged["currency"] == "EUR"

    day, week = usage_of(gb, "deposit:day"), usage_of(gb, "deposit:week")
    assert (day["currency"], day["counted"], day["remaining"]) == ("GBP", "192.50", "7.50")
    assert [x["from"] for x in day["exchange"]] == ["EUR"]
    # 150 GBP = 176.470588... EUR, rounded up to 176.48, + 50 EUR
    assert (week["currency"], week["counted"], week["remaining"]) == ("EUR", "226.48", "73.52")

    ask = {"player_id": "p1", "kind": "deposit", "currency": "EUR"}
    allowed = gb.post("/v1/authorize", json={**ask, "amount": "8.82"}).json()    # 7.497 GBP -> 7.50
    assert allowed["decision"] == "allow", allowed
    assert allowed["exchange"][0]["amount"] == "7.50"
    denied = gb.post("/v1/authorize", json={**ask, "amount": "8.83"}).json()     # 7.5055 GBP -> 7.51
    assert denied["decision"] == "deny"
    [reason] = denied["reasons"]
    assert (reason["limit"], reason["counted"], reason["requested"], reason["remaining"]) == \
        ("deposit:day", "192.50", "7.51", "7.50")
    # a GBP deposit counts against the EUR limit converted the other way
    denied = gb.post("/v1/authorize", json={**ask, "currency": "GBP", "amount": "7.50"}).json()
    assert denied["decision"] == "allow"
    status, body = post(gb, "deposits", "g2", "7.51", "GBP")
    assert status == 403 and body["reasons"][0]["limit"] == "deposit:day"
    # the features sum the EUR deposit converted into GBP, and name the configuration used
    f = features(gb)
    assert (f["deposit_sum_1d"], f["deposit_count_1d"]) == ("192.50", 2)
    assert (f["converted_currency_events"], f["foreign_currency_events"]) == (1, 0)
    assert f["exchange_rates_version"] == version


def test_bonus_credits_in_another_currency_count_against_a_deposit_limit(gb: TestClient) -> None:
    approve_exchange(gb, {"base": "EUR", "rates": RATES})
    limit(gb, "deposit", "day", "100.00")
    status, body = post(gb, "bonus-credits", "b1", "112.00", "SEK")      # 10 EUR = 8.50 GBP
    assert status == 200 and body["exchange"][0]["amount"] == "8.50"
    assert usage_of(gb, "deposit:day")["counted"] == "8.50"
    status, body = post(gb, "bonus-credits", "b2", "1300.00", "SEK")     # 98.66 GBP: over
    assert status == 403 and body["reasons"][0]["counted_by_source"] == {"bonus_credit": "8.50"}


def test_loss_and_wager_limits_count_stakes_and_wins_in_any_currency(gb: TestClient) -> None:
    approve_exchange(gb, {"base": "EUR", "rates": RATES})
    limit(gb, "loss", "day", "100.00")
    limit(gb, "wager", "day", "150.00")
    assert post(gb, "deposits", "e1", "500.00", "EUR")[0] == 200
    assert post(gb, "bets", "x1", "100.00", "EUR", bet_id="x1")[0] == 200         # 85.00 GBP staked
    assert post(gb, "wins", "w1", "20.01", "EUR", bet_id="x1")[0] == 200          # 17.0085 -> 17.00 GBP won
    loss, wager = usage_of(gb, "loss:day"), usage_of(gb, "wager:day")
    assert (loss["counted"], loss["remaining"]) == ("68.00", "32.00")
    assert (wager["counted"], wager["remaining"]) == ("85.00", "65.00")
    status, body = post(gb, "bets", "x2", "40.00", "EUR", bet_id="x2")           # 34.00 GBP: loss 102
    assert status == 403 and [r["limit"] for r in body["reasons"]] == ["loss:day"]
    assert body["reasons"][0]["counted_by_source"] == {"stake_cash": "85.00", "win_cash": "17.00"}
    assert post(gb, "wins", "w2", "100.00", "EUR", bet_id="x1")[0] == 200        # back up: loss -17
    status, body = post(gb, "bets", "x3", "80.00", "EUR", bet_id="x3")           # 68.00 GBP: wager 153
    assert status == 403 and [r["limit"] for r in body["reasons"]] == ["wager:day"]
    assert post(gb, "bets", "x4", "76.47", "EUR", bet_id="x4")[0] == 200         # 64.9995 -> 65.00: exactly
    assert usage_of(gb, "wager:day")["remaining"] == "0.00"
    f = features(gb)
    assert (f["stake_sum_1d"], f["win_sum_1d"]) == ("150.00", "102.00")         # 85 + 65; 17 + 85


def test_a_missing_rate_refuses_whatever_the_limit(gb: TestClient) -> None:
    approve_exchange(gb, {"base": "EUR", "rates": {"GBP": RATES["GBP"]}})      # no SEK
    status, body = post(gb, "deposits", "s1", "100.00", "SEK")
    assert status == 403 and body["reasons"][0]["code"] == "exchange_rate_missing"
    assert "SEK→GBP" in body["reasons"][0]["message"]
    limit(gb, "deposit", "week", "1000.00", currency="SEK")    # a limit in a currency with no rate
    status, body = post(gb, "deposits", "g1", "10.00", "GBP")
    assert status == 403
    [reason] = body["reasons"]
    assert (reason["code"], reason["limit"], reason["exchange"]) == \
        ("exchange_rate_missing", "deposit:week", [{"from": "GBP", "to": "SEK"}])
    assert gb.post("/v1/authorize", json={"player_id": "p1", "kind": "deposit", "amount": "10.00",
                                          "currency": "GBP"}).json()["decision"] == "deny"
    assert {w["cash"] for w in gb.get("/v1/wallet/p1").json()["wallets"]} == {"0.00"}


def test_usage_without_a_rate_shows_nothing_remaining(gb: TestClient) -> None:
    first = approve_exchange(gb, {"base": "EUR", "rates": RATES})
    limit(gb, "deposit", "day", "200.00")
    assert post(gb, "deposits", "e1", "10.00", "EUR")[0] == 200
    approve_exchange(gb, {"rates": {"GBP": None, "SEK": None}, "foreign_currency": "convert"})  # rates removed
    day = usage_of(gb, "deposit:day")
    assert (day["counted"], day["remaining"], day["missing_rates"]) == (None, "0.00", [{"from": "EUR", "to": "GBP"}])
    status, body = post(gb, "deposits", "g1", "1.00", "GBP")      # the EUR usage cannot be counted: refused
    assert status == 403 and body["reasons"][0]["code"] == "exchange_rate_missing"
    assert features(gb)["exchange_rates_version"] == first


def test_the_operator_can_refuse_foreign_currencies(gb: TestClient) -> None:
    approve_exchange(gb, {"foreign_currency": "refuse"})
    for what in ("deposits", "bets", "bonus-credits"):
        status, body = post(gb, what, f"e-{what}", "10.00", "EUR")
        assert status == 403, body
        [reason] = [r for r in body["reasons"] if r["code"] != "insufficient_funds"]
        assert reason["code"] == "foreign_currency_refused" and reason["currency"] == "EUR"
        assert "in EUR" in reason["message"] and "GBP" in reason["message"]
    assert post(gb, "deposits", "g1", "10.00", "GBP")[0] == 200
    denied = gb.post("/v1/authorize", json={"player_id": "p1", "kind": "deposit", "amount": "1.00",
                                            "currency": "USD"}).json()
    assert denied["decision"] == "deny" and denied["reasons"][0]["code"] == "foreign_currency_refused"


def test_features_sum_foreign_currency_events_converted(gb_platform: TestClient, make_event) -> None:  # noqa: ANN001
    """Money events from the operator's platform in another currency: summed converted, at
    the rates of the version in force when they are folded; before any rate, only counted."""
    gb = gb_platform
    early = make_event("payment.deposit", transaction_id="t0", amount="100.00", currency="EUR", status="approved")
    assert gb.post("/v1/events", json=[early]).status_code == 200
    assert (features(gb)["deposit_sum_1d"], features(gb)["foreign_currency_events"]) == ("0.00", 1)
    version = approve_exchange(gb, {"base": "EUR", "rates": RATES})
    events = [make_event("payment.deposit", transaction_id="t1", amount="100.00", currency="EUR", status="approved"),
              make_event("casino.bet", bet_id="b1", amount="20.00", currency="EUR", bonus_amount="0"),
              make_event("casino.win", bet_id="b1", amount="10.01", currency="EUR"),
              make_event("payment.withdrawal", transaction_id="w1", amount="10.01", currency="EUR",
                         status="approved")]
    assert gb.post("/v1/events", json=events).status_code == 200
    f = features(gb)
    assert (f["deposit_sum_1d"], f["stake_sum_1d"]) == ("85.00", "17.00")
    assert (f["win_sum_1d"], f["withdrawal_sum_1d"]) == ("8.50", "8.50")      # 8.5085: offsets round down
    assert (f["converted_currency_events"], f["foreign_currency_events"], f["exchange_rates_version"]) == \
        (4, 1, version)


def test_a_replay_converts_each_event_at_the_rates_in_force_at_its_place_in_the_log(gb_platform: TestClient,
                                                                                     make_event) -> None:  # noqa: ANN001
    from core.test_replay import assert_replay_is_identical   # tests/core
    gb = gb_platform

    def deposit(tx: str) -> dict[str, Any]:
        return make_event("payment.deposit", transaction_id=tx, amount="100.00", currency="EUR", status="approved")

    first = approve_exchange(gb, {"base": "EUR", "rates": RATES})
    assert gb.post("/v1/events", json=[deposit("t1")]).status_code == 200          # 85.00 GBP
    second = approve_exchange(gb, {"rates": {"GBP": {"rate": "0.90", "as_of": "2026-12-01"}}})
    assert gb.post("/v1/events", json=[deposit("t2")]).status_code == 200          # 90.00 GBP
    asked = gb.post("/v1/authorize", json={"player_id": "p1", "kind": "deposit", "amount": "10.00",
                                           "currency": "EUR"}).json()
    assert asked["decision"] == "allow", asked
    assert asked["exchange"][0]["config_version"] == second and asked["exchange"][0]["rate"] == "0.9"
    assert gb.post("/v1/events", json=[make_event("payment.deposit", transaction_id="e1", amount="10.00",
                                                  currency="EUR", status="approved")]).status_code == 200   # 9.00 GBP
    assert first != second
    expected = ("184.00", 3, second)
    f = features(gb)
    assert (f["deposit_sum_1d"], f["converted_currency_events"], f["exchange_rates_version"]) == expected
    assert_replay_is_identical(gb.app.state.runtime)
    f = features(gb)
    assert (f["deposit_sum_1d"], f["converted_currency_events"], f["exchange_rates_version"]) == expected


def test_rates_are_validated_versioned_and_audited(gb: TestClient) -> None:
    cleo, otto = gb.officers
    r = cleo.post("/v1/config/versions", {"patch": {"exchange": {"rates": {"GBP": {"rate": 0.85,
                                                                                   "as_of": "2026-11-30"}}}}})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "exchange.rates.GBP.rate"
    r = cleo.post("/v1/config/versions", {"patch": {"exchange": {"base": "XXX", "rates": {
        "GBP": {"rate": "0", "as_of": "30/11/2026"}}}}})
    assert r.status_code == 422
    assert {p["field"] for p in r.json()["errors"]} == {"exchange.base", "exchange.rates.GBP.rate",
                                                          "exchange.rates.GBP.as_of"}
    before = gb.get("/v1/config").json()["version"]
    r = cleo.post("/v1/config/versions", {"patch": {"exchange": {"rates": {"GBP": RATES["GBP"]}}}})
    assert r.status_code == 201, r.text
    version = r.json()["version"]
    assert {"path": "exchange.rates.GBP.rate", "change": "added", "before": None, "after": "0.85"} in r.json()["diff"]
    assert gb.post("/v1/wallet/p1/deposits", json={"transaction_id": "e0", "amount": "1.00", "currency": "EUR"}
                   ).status_code == 403                                           # proposed is not in force
    assert cleo.post(f"/v1/config/versions/{version}/approve").status_code == 403   # four eyes
    assert otto.post(f"/v1/config/versions/{version}/approve").status_code == 200
    config = gb.get("/v1/config").json()
    assert config["version"] == version != before
    assert config["config"]["exchange"]["rates"]["GBP"] == RATES["GBP"]
    # the patch applies to the configuration in force (here the start file's): its money of record carries over
    assert config["config"]["money_of_record"] == {"default": "ledger"}
    [approved] = gb.get("/v1/audit", params={"kind": "config.approved"}, headers=gb.admin).json()["records"]
    assert (approved["subject"], approved["actor"], approved["body"]["proposed_by"]) == (version, "otto", "cleo")
    assert post(gb, "deposits", "e1", "1.00", "EUR")[1]["exchange"][0]["config_version"] == version


def test_a_limit_the_posting_does_not_touch_needs_no_rate(gb: TestClient) -> None:
    approve_exchange(gb, {"base": "EUR", "rates": {"GBP": RATES["GBP"]}})      # no SEK
    limit(gb, "loss", "week", "1000.00", currency="SEK")
    assert post(gb, "deposits", "g1", "10.00", "GBP")[0] == 200                  # a deposit is no loss
    status, body = post(gb, "bets", "b1", "1.00", "GBP", bet_id="b1")            # a stake is
    assert status == 403 and body["reasons"][0]["exchange"] == [{"from": "GBP", "to": "SEK"}]


@pytest.fixture(params=["ledger", "platform"])
def gb_any(request: pytest.FixtureRequest, db_url: str, make_event) -> Any:  # noqa: ANN001
    """The GB player under each money of record: the ledger posts the money, or the
    platform sends it as events."""
    from conftest import client_for, ledger_config   # tests/conftest.py

    for client in client_for(db_url, ledger_config() if request.param == "ledger" else None):
        client.mode = request.param
        yield with_gb_player(client, make_event)


def move_money(api: TestClient, make_event, tx: str, amount: str, currency: str) -> None:  # noqa: ANN001
    """A deposit, through whichever wallet keeps the brand's money."""
    if api.mode == "ledger":
        status, body = post(api, "deposits", tx, amount, currency)
        assert status == 200, body
    else:
        sent = api.post("/v1/events", json=[make_event("payment.deposit", transaction_id=tx, amount=amount,
                                                       currency=currency, status="approved")]).json()
        assert sent["accepted"] == 1, sent


def test_a_limit_in_another_currency_shows_one_figure_in_both_modes(gb_any: TestClient, make_event) -> None:  # noqa: ANN001
    """A GBP player with a 250 EUR daily deposit limit deposits 150 GBP and 50 EUR. The wallet
    view, the protection panel, /v1/authorize and the gate's near-limit check all count
    226.48 EUR (150 GBP = 176.47... EUR rounded up, + 50 EUR; or, where the platform is the
    wallet, the engine's 192.50 GBP = 226.47... EUR rounded up) and leave 23.52 EUR."""
    from croupier.compliance import Proposal, decide

    api = gb_any
    approve_exchange(api, {"base": "EUR", "rates": RATES})
    limit(api, "deposit", "day", "250.00", currency="EUR")
    move_money(api, make_event, "d1", "150.00", "GBP")
    move_money(api, make_event, "d2", "50.00", "EUR")

    wallet = usage_of(api, "deposit:day")
    assert (wallet["currency"], wallet["counted"], wallet["remaining"]) == ("EUR", "226.48", "23.52"), wallet
    panel = api.get("/v1/players/p1").json()["protection"]
    [row] = [r["current"] for r in panel["limits"] if r["key"] == "deposit:day"]
    assert (row["currency"], row["used"], row["remaining"]) == ("EUR", "226.48", "23.52"), row
    assert panel["money_of_record"] == api.mode

    ask = {"player_id": "p1", "kind": "deposit", "currency": "EUR"}
    allowed = api.post("/v1/authorize", json={**ask, "amount": "23.52"}).json()
    assert allowed["decision"] == "allow", allowed
    denied = api.post("/v1/authorize", json={**ask, "amount": "23.53"}).json()
    [reason] = denied["reasons"]
    assert (reason["limit"], reason["currency"], reason["counted"], reason["remaining"]) == \
        ("deposit:day", "EUR", "226.48", "23.52")

    runtime = api.app.state.runtime
    state = runtime.engine.state_of("p1")
    now_us = int(datetime.now(timezone.utc).timestamp() * 1_000_000)
    decision = decide(Proposal(kind="bonus", name="offer", player_id="p1", cause_event_id="e"), state,
                      runtime.config, now_us)
    assert "near_limit:deposit:day:90%" in decision.reasons, decision.reasons     # 226.48 of 250


def test_a_ceiling_caps_a_limit_set_in_another_currency(app_client: TestClient, make_event) -> None:  # noqa: ANN001
    """Germany caps the monthly deposit limit at 1,000 EUR: a limit in GBP is compared
    converted (at the rates in force, rounded up), and refused without a rate."""
    api = with_gb_player(app_client, make_event)
    de = make_event.registered(jurisdiction="DE", country="DE", currency="EUR", timezone="Europe/Berlin",
                               language="de")
    assert api.post("/v1/events", json=[{**de, "player_id": "p2", "event_id": "reg-p2"}]).json()["accepted"] == 1

    def set_gbp(amount: str):  # noqa: ANN202
        return api.post("/v1/players/p2/limits", json={"kind": "deposit", "period": "month", "amount": amount,
                                                       "currency": "GBP"})

    r = set_gbp("900.00")
    assert r.status_code == 422 and r.json()["detail"]["field"] == "currency", r.text
    assert "GBP→EUR" in r.json()["detail"]["message"] and "1000.00 EUR" in r.json()["detail"]["message"]
    version = approve_exchange(api, {"base": "EUR", "rates": RATES})
    r = set_gbp("900.00")                                       # 1,058.82 EUR
    assert r.status_code == 422 and r.json()["detail"]["field"] == "amount", r.text
    message = r.json()["detail"]["message"]
    assert "900.00 GBP is 1058.82 EUR" in message and version in message
    r = set_gbp("850.01")                                       # 1,000.01 EUR
    assert r.status_code == 422 and "is 1000.01 EUR" in r.json()["detail"]["message"], r.text
    r = set_gbp("850.00")                                       # 1,000.00 EUR: at the cap
    assert r.status_code == 200, r.text
    r = api.post("/v1/players/p2/limits", json={"kind": "deposit", "period": "month", "amount": "1000.01",
                                                "currency": "EUR"})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "currency"   # the limit is in GBP now
