"""Every /v1 route against every API key scope (and no key), on SQLite and PostgreSQL, from
one table: who may call it, and for the protection routes (limits, exclusions and their ends,
persons, AML status, RG cases, registers, configuration) that an allowed call really
succeeds while every other scope gets 403 naming the scope it lacks. A route the table does
not name fails `test_every_route_has_a_scope_rule`, so a new route cannot ship without one.

A route whose body decides whose request it is (an exclusion, its end, a limit) has a row per
kind of request: a player's own request relayed by the operator's platform needs `ingest`, a
staff decision `protection`; `admin` implies every scope."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import EventFactory, _empty_all_tables  # tests/conftest.py

SCOPES = ("ingest", "read", "protection", "admin")
CALLERS = (*SCOPES, "no key")
ING, READ, PROT, ADMIN = {"ingest", "admin"}, {"read", "admin"}, {"protection", "admin"}, {"admin"}
PUBLIC = set(CALLERS)
SESSION_ONLY: set[str] = set()      # a back-office session only: no API key at all


class World:
    """The app and what the requests act on. Each allowed call gets fresh state, so one
    call's effect never decides another's outcome."""

    def __init__(self, client: TestClient, setup: dict[str, str]):
        self.client, self.setup, self._n = client, setup, itertools.count(1)
        self.staff = {**setup, "X-Croupier-Actor": "olga"}

    def n(self) -> int:
        return next(self._n)

    def ingest(self, events: list[dict[str, Any]]) -> None:
        answer = self.client.post("/v1/events", content=json.dumps(events), headers=self.setup)
        assert answer.status_code == 200 and not answer.json()["rejected"], answer.text

    def player(self, email: str | None = None, brand: str = "aurora") -> str:
        pid = f"p{self.n()}-{uuid.uuid4().hex[:6]}"
        self.ingest([EventFactory(player_id=pid, brand=brand).registered(   # nobody else's name or email
            timedelta(minutes=-10), email=email or f"{pid}@example.se", last_name=email or pid)])
        return pid

    def at_risk(self) -> str:
        """A player with an open RG case (severe risk, deposits blocked)."""
        pid = f"r{self.n()}-{uuid.uuid4().hex[:6]}"
        self.ingest(EventFactory(player_id=pid).at_severe_risk())
        return pid

    def pair(self) -> tuple[str, str]:
        """Two accounts of one person (the same email on two brands)."""
        email = f"twin{self.n()}@example.se"
        return self.player(email), self.player(email, "borealis")

    def exclusion(self, pid: str, kind: str = "self_exclusion", requested_by: str = "player") -> str:
        body = {"kind": kind, "period": "P30D" if kind == "operator" else "P1M", "requested_by": requested_by}
        answer = self.client.post(f"/v1/players/{pid}/exclusions", json=body, headers=self.setup)
        assert answer.status_code == 201, answer.text
        return answer.json()["exclusion"]["exclusion_id"]

    def version(self, draft: bool = True) -> str:
        """A draft (or proposal) by olga, each with content of its own."""
        answer = self.client.post("/v1/config/versions", headers=self.staff, json={
            "patch": {"stale_after_minutes": 100 + self.n()}, "draft": draft})
        assert answer.status_code == 201, answer.text
        return answer.json()["version"]

    def shadow_run(self) -> str:
        version = self.version()
        answer = self.client.post(f"/v1/config/versions/{version}/shadow", headers=self.staff,
                                  json={"last_events": 10})
        assert answer.status_code == 200, answer.text
        return version

    def shadowed(self) -> str:
        version = self.version()
        answer = self.client.post(f"/v1/config/versions/{version}/shadow/start", headers=self.staff)
        assert answer.status_code == 201, answer.text
        return version


Request = dict[str, Any]     # path, and optionally json / params / content


def fixed(path: str, **kw: Any) -> Callable[[World], Request]:
    return lambda _w: {"path": path, **kw}


@dataclass(frozen=True)
class Rule:
    method: str
    path: str                          # the OpenAPI path template
    allowed: set[str]                  # callers that may use it
    make: Callable[[World], Request] = field(compare=False)
    variant: str = ""                  # the kind of request, where the body decides the scope
    succeeds: bool = True              # an allowed call must answer 2xx (False: only "not 401/403")

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}" + (f" [{self.variant}]" if self.variant else "")


def _p(w: World) -> str:
    return w.player()


def _limit(source: str) -> Callable[[World], Request]:
    return lambda w: {"path": f"/v1/players/{w.player()}/limits", "json": {
        "kind": "deposit", "period": "day", "amount": "500.00", "currency": "SEK", "source": source,
        "actor": "olga"}}


def _end(requested_by: str, kind: str) -> Callable[[World], Request]:
    def make(w: World) -> Request:
        pid = w.player()
        # a time-out the player asked for ends at the player's request in no market here, so the
        # player's own request is for a closure (reopened on request); the operator ends its own
        xid = w.exclusion(pid, kind, "operator" if kind == "operator" else "player")
        return {"path": f"/v1/players/{pid}/exclusions/{xid}/end",
                "json": {"requested_by": requested_by, "reason": "as asked", "actor": "olga"}}
    return make


def _with_exclusion(suffix: str) -> Callable[[World], Request]:
    def make(w: World) -> Request:
        pid = w.player()
        return {"path": f"/v1/players/{pid}/exclusions/{w.exclusion(pid)}{suffix}"}
    return make


def _link(w: World) -> Request:
    return {"path": "/v1/persons/link", "json": {"player_id": w.player(), "other_player_id": w.player(),
                                                 "reason": "same passport at KYC"}}


def _unlink(w: World) -> Request:
    return {"path": "/v1/persons/unlink", "json": {"player_id": w.pair()[1], "reason": "different people"}}


def _person(w: World) -> Request:
    a, _ = w.pair()
    person = w.client.get(f"/v1/players/{a}/person", headers=w.setup).json()["person_id"]
    return {"path": f"/v1/persons/{person}"}


def _aml(w: World) -> Request:
    return {"path": f"/v1/players/{w.player()}/aml-status", "json": {"status": "review", "reason": "source of funds"}}


def _review(w: World) -> Request:
    return {"path": f"/v1/players/{w.at_risk()}/rg-review", "json": {"outcome": "contacted_player", "note": "called"}}


def _assignment(w: World) -> Request:
    return {"path": f"/v1/players/{w.at_risk()}/rg-case/assignment", "json": {"assignee": "olga"}}


def _version(suffix: str = "", *, draft: bool = True, **kw: Any) -> Callable[[World], Request]:
    return lambda w: {"path": f"/v1/config/versions/{w.version(draft)}{suffix}", **kw}


def _segment(suffix: str = "", **kw: Any) -> Callable[[World], Request]:
    """A segment of its own, made by olga (a compliance officer may edit segments)."""
    def make(w: World) -> Request:
        answer = w.client.post("/v1/segments", headers=w.staff, json={
            "name": f"segment {w.n()}", "purpose": "safer_play", "text": "limits.deposit.closeness >= 0.8"})
        assert answer.status_code == 201, answer.text
        return {"path": f"/v1/segments/{answer.json()['segment_id']}{suffix}", **kw}
    return make


def _journey_definition(w: World) -> dict[str, Any]:
    """A ready-made journey under a key and priority of its own (no two conflict)."""
    from croupier.journeys import template, to_builtins

    return to_builtins(template("vip_escalation")) | {"key": f"journey_{w.n()}", "priority": w.n()}


def _journey(suffix: str = "", *, live: bool = False, edit: bool = False, **kw: Any) -> Callable[[World], Request]:
    """A journey of its own, made by olga; live if asked; `edit`: the request sends it renamed."""
    def make(w: World) -> Request:
        definition = _journey_definition(w)
        answer = w.client.post("/v1/journeys", headers=w.staff, json={"definition": definition})
        assert answer.status_code == 201, answer.text
        jid = answer.json()["journey_id"]
        if live:
            published = w.client.post(f"/v1/journeys/{jid}/publish", headers=w.staff, json={"version": 1})
            assert published.status_code == 200, published.text
        if edit:
            kw["json"] = {"definition": definition | {"name": "renamed"}}
        return {"path": f"/v1/journeys/{jid}{suffix}", **kw}
    return make


def _campaign_form(w: World) -> dict[str, Any]:
    return {"name": f"campaign {w.n()}", "condition": "deposit_count_90d >= 1",
            "message": {"channel": "email", "template": "winter"}}


def _campaign(suffix: str = "", *, edit: bool = False, **kw: Any) -> Callable[[World], Request]:
    """A campaign of its own, made by olga; `edit`: the request sends it renamed."""
    def make(w: World) -> Request:
        form = _campaign_form(w)
        answer = w.client.post("/v1/campaigns", headers=w.staff, json=form)
        assert answer.status_code == 201, answer.text
        if edit:
            kw["json"] = form | {"name": "renamed"}
        return {"path": f"/v1/campaigns/{answer.json()['campaign_id']}{suffix}", **kw}
    return make


def _task(suffix: str = "", *, taken: bool = False, **kw: Any) -> Callable[[World], Request]:
    """A task of its own in the VIP host queue, made (and taken, if asked) by olga."""
    def make(w: World) -> Request:
        answer = w.client.post("/v1/tasks", headers=w.staff, json={
            "queue": "vip_host", "player_id": f"p{w.n()}", "title": "call", "reason": "scope test"})
        assert answer.status_code == 201, answer.text
        task_id = answer.json()["task_id"]
        if taken:
            assert w.client.post(f"/v1/tasks/{task_id}/take", headers=w.staff).status_code == 200
        return {"path": f"/v1/tasks/{task_id}{suffix}", **kw}
    return make


MONEY = {"transaction_id": "t", "amount": "1.00", "currency": "SEK"}

RULES: list[Rule] = [
    # -- protection: a player's own request (ingest) or a staff decision (protection) ---------------
    Rule("POST", "/v1/players/{player_id}/exclusions", ING, variant="player's own",
         make=lambda w: {"path": f"/v1/players/{_p(w)}/exclusions", "json": {"kind": "timeout", "period": "P1D"}}),
    Rule("POST", "/v1/players/{player_id}/exclusions", PROT, variant="operator exclusion",
         make=lambda w: {"path": f"/v1/players/{_p(w)}/exclusions", "json": {"kind": "operator", "period": "P30D"}}),
    Rule("POST", "/v1/players/{player_id}/exclusions", PROT, variant="imposed by staff",
         make=lambda w: {"path": f"/v1/players/{_p(w)}/exclusions",
                         "json": {"kind": "timeout", "period": "P7D", "requested_by": "operator"}}),
    Rule("GET", "/v1/players/{player_id}/exclusions", READ,
         make=lambda w: {"path": f"/v1/players/{_p(w)}/exclusions"}),
    Rule("POST", "/v1/players/{player_id}/exclusions/{exclusion_id}/end", ING, variant="player's own",
         make=_end("player", "closure")),
    Rule("POST", "/v1/players/{player_id}/exclusions/{exclusion_id}/end", PROT, variant="operator's decision",
         make=_end("operator", "operator")),
    Rule("GET", "/v1/players/{player_id}/exclusions/{exclusion_id}/ending", READ, make=_with_exclusion("/ending")),
    Rule("POST", "/v1/players/{player_id}/access-check", READ,
         make=lambda w: {"path": f"/v1/players/{_p(w)}/access-check", "json": {"action": "deposit"}}),
    Rule("GET", "/v1/players/{player_id}/person", READ, make=lambda w: {"path": f"/v1/players/{w.pair()[0]}/person"}),
    Rule("POST", "/v1/persons/rebuild", ADMIN, make=fixed("/v1/persons/rebuild")),
    Rule("PUT", "/v1/players/{player_id}/reality-check", ING,
         make=lambda w: {"path": f"/v1/players/{_p(w)}/reality-check", "json": {"interval_minutes": 30}}),
    Rule("GET", "/v1/registers", READ, make=fixed("/v1/registers")),
    Rule("GET", "/v1/registers/status", READ, make=fixed("/v1/registers/status")),
    Rule("POST", "/v1/registers/{register}/check", READ, succeeds=False,     # no register is configured: 404
         make=fixed("/v1/registers/SPELPAUS/check", json={"email": "a@example.se"})),
    Rule("POST", "/v1/protection/tick", ADMIN, make=fixed("/v1/protection/tick")),
    Rule("GET", "/v1/players/{player_id}/limits", READ, make=lambda w: {"path": f"/v1/players/{_p(w)}/limits"}),
    Rule("POST", "/v1/players/{player_id}/limits", ING, variant="player's own", make=_limit("player")),
    Rule("POST", "/v1/players/{player_id}/limits", PROT, variant="operator-set", make=_limit("operator")),
    Rule("POST", "/v1/players/{player_id}/limits", PROT, variant="regulator-set", make=_limit("regulator")),
    Rule("GET", "/v1/persons/{person_id}", READ, make=_person),
    Rule("POST", "/v1/persons/link", PROT, make=_link),
    Rule("POST", "/v1/persons/unlink", PROT, make=_unlink),
    Rule("POST", "/v1/players/{player_id}/aml-status", PROT, make=_aml),
    Rule("GET", "/v1/players/{player_id}/aml-status", READ, make=lambda w: {"path": f"/v1/players/{_p(w)}/aml-status"}),
    Rule("POST", "/v1/players/{player_id}/rg-review", PROT, make=_review),
    Rule("GET", "/v1/players/{player_id}/rg-case", READ, make=lambda w: {"path": f"/v1/players/{w.at_risk()}/rg-case"}),
    Rule("POST", "/v1/players/{player_id}/rg-case/assignment", PROT, make=_assignment),
    Rule("GET", "/v1/rg/queue", READ, make=fixed("/v1/rg/queue")),
    Rule("GET", "/v1/rg/population", READ, make=fixed("/v1/rg/population")),
    # -- configuration: proposals over a key need admin; approvals a back-office session -----------
    Rule("GET", "/v1/config/versions", READ, make=fixed("/v1/config/versions")),
    Rule("POST", "/v1/config/versions", ADMIN,
         make=lambda w: {"path": "/v1/config/versions", "json": {"patch": {"stale_after_minutes": 100 + w.n()}}}),
    Rule("GET", "/v1/config/versions/{version_id}", READ, make=_version()),
    Rule("PUT", "/v1/config/versions/{version_id}", ADMIN,
         make=lambda w: {"path": f"/v1/config/versions/{w.version()}",
                         "json": {"patch": {"stale_after_minutes": 100 + w.n()}}}),
    Rule("POST", "/v1/config/versions/{version_id}/propose", ADMIN, make=_version("/propose")),
    Rule("POST", "/v1/config/versions/{version_id}/approve", SESSION_ONLY, make=_version("/approve", draft=False)),
    Rule("POST", "/v1/config/versions/{version_id}/reject", SESSION_ONLY, make=_version("/reject", draft=False)),
    Rule("POST", "/v1/config/versions/{version_id}/shadow", ADMIN, make=_version("/shadow", json={"last_events": 10})),
    Rule("GET", "/v1/config/versions/{version_id}/shadow", READ,
         make=lambda w: {"path": f"/v1/config/versions/{w.shadow_run()}/shadow"}),
    Rule("POST", "/v1/config/versions/{version_id}/shadow/start", ADMIN, make=_version("/shadow/start")),
    Rule("POST", "/v1/config/versions/{version_id}/shadow/stop", ADMIN,
         make=lambda w: {"path": f"/v1/config/versions/{w.shadowed()}/shadow/stop"}),
    Rule("GET", "/v1/config/versions/{version_id}/shadow/results", READ,
         make=lambda w: {"path": f"/v1/config/versions/{w.shadowed()}/shadow/results"}),
    Rule("GET", "/v1/config", READ, make=fixed("/v1/config")),
    # -- the operator's RG models: reads as RG data; training and proposing as configuration proposals --
    Rule("GET", "/v1/models/rg", READ, make=fixed("/v1/models/rg")),
    Rule("GET", "/v1/models/rg/{version}", READ, succeeds=False, make=fixed("/v1/models/rg/rg-unknown")),  # 404
    Rule("POST", "/v1/models/rg/train", ADMIN, succeeds=False, make=fixed("/v1/models/rg/train", json={})),  # 422: no labels
    Rule("POST", "/v1/models/rg/{version}/propose", ADMIN, succeeds=False,   # no such model: 404
         make=fixed("/v1/models/rg/rg-unknown/propose", json={})),
    Rule("POST", "/v1/segments", ADMIN, make=lambda w: {"path": "/v1/segments", "json": {
        "name": f"new segment {w.n()}", "text": "bet_count_30d >= 1"}}),
    Rule("GET", "/v1/segments", READ, make=fixed("/v1/segments")),
    Rule("POST", "/v1/segments/preview", READ, make=fixed("/v1/segments/preview", json={"text": "bet_count_30d >= 1"})),
    Rule("GET", "/v1/segments/{segment_id}", READ, make=_segment()),
    Rule("PUT", "/v1/segments/{segment_id}", ADMIN, make=_segment(json={"description": "edited"})),
    Rule("DELETE", "/v1/segments/{segment_id}", ADMIN, make=_segment()),
    Rule("GET", "/v1/segments/{segment_id}/members", READ, make=_segment("/members")),
    Rule("POST", "/v1/segments/dry-run", READ, make=fixed("/v1/segments/dry-run", json={
        "text": "bet_count_30d >= 1", "since": "2020-01-01T00:00:00Z", "until": "2020-01-02T00:00:00Z"})),
    Rule("POST", "/v1/segments/{segment_id}/dry-run", READ, make=_segment("/dry-run", json={
        "since": "2020-01-01T00:00:00Z", "until": "2020-01-02T00:00:00Z"})),
    Rule("POST", "/v1/segments/{segment_id}/live", ADMIN, make=_segment("/live")),
    Rule("DELETE", "/v1/segments/{segment_id}/live", ADMIN, make=_segment("/live")),
    Rule("POST", "/v1/journeys", ADMIN,
         make=lambda w: {"path": "/v1/journeys", "json": {"definition": _journey_definition(w)}}),
    Rule("GET", "/v1/journeys", READ, make=fixed("/v1/journeys")),
    Rule("GET", "/v1/journeys/templates", READ, make=fixed("/v1/journeys/templates")),
    Rule("GET", "/v1/journeys/{journey_id}", READ, make=_journey()),
    Rule("GET", "/v1/journeys/{journey_id}/results", READ, make=_journey("/results")),
    Rule("PUT", "/v1/journeys/{journey_id}", ADMIN, make=_journey(edit=True)),
    Rule("POST", "/v1/journeys/{journey_id}/publish", ADMIN, make=_journey("/publish", json={"version": 1})),
    Rule("POST", "/v1/journeys/{journey_id}/pause", ADMIN, make=_journey("/pause", live=True)),
    Rule("POST", "/v1/journeys/{journey_id}/archive", ADMIN, make=_journey("/archive")),
    Rule("POST", "/v1/journeys/dry-run", READ, make=lambda w: {"path": "/v1/journeys/dry-run", "json": {
        "definition": _journey_definition(w), "since": "2020-01-01T00:00:00Z", "until": "2020-01-02T00:00:00Z"}}),
    Rule("POST", "/v1/journeys/{journey_id}/dry-run", READ, make=_journey("/dry-run", json={
        "since": "2020-01-01T00:00:00Z", "until": "2020-01-02T00:00:00Z"})),
    Rule("POST", "/v1/campaigns", ADMIN, make=lambda w: {"path": "/v1/campaigns", "json": _campaign_form(w)}),
    Rule("GET", "/v1/campaigns", READ, make=fixed("/v1/campaigns")),
    Rule("GET", "/v1/campaigns/{campaign_id}", READ, make=_campaign()),
    Rule("PUT", "/v1/campaigns/{campaign_id}", ADMIN, make=_campaign(edit=True)),
    Rule("POST", "/v1/campaigns/{campaign_id}/launch", ADMIN, make=_campaign("/launch")),
    Rule("POST", "/v1/campaigns/{campaign_id}/cancel", ADMIN, make=_campaign("/cancel")),
    Rule("GET", "/v1/journeys/{journey_id}/counts", READ, make=_journey("/counts", live=True)),
    Rule("GET", "/v1/players/{player_id}/journeys", READ, make=lambda w: {"path": f"/v1/players/{_p(w)}/journeys"}),
    # -- the staff task queue: reads with read; every change a staff action (tasks.work) -------------
    Rule("GET", "/v1/tasks", READ, make=fixed("/v1/tasks")),
    Rule("POST", "/v1/tasks", ADMIN, make=lambda w: {"path": "/v1/tasks", "json": {
        "queue": "support", "player_id": f"p{w.n()}", "title": "call back", "reason": "ticket"}}),
    Rule("GET", "/v1/tasks/{task_id}", READ, make=_task()),
    Rule("POST", "/v1/tasks/{task_id}/take", ADMIN, make=_task("/take")),
    Rule("POST", "/v1/tasks/{task_id}/release", ADMIN, make=_task("/release", taken=True)),
    Rule("POST", "/v1/tasks/{task_id}/complete", ADMIN, make=_task("/complete", taken=True,
                                                                    json={"outcome": "contacted"})),
    Rule("POST", "/v1/tasks/{task_id}/cancel", ADMIN, make=_task("/cancel", json={"reason": "not needed"})),
    # -- the rest of the API: who may call it (the body is not the point here) ---------------------
    *(Rule("POST", f"/v1/wallet/{{player_id}}/{what}", ING, make=fixed(f"/v1/wallet/p0/{what}", json={}),
           succeeds=False)
      for what in ("deposits", "withdrawals", "bets", "wins", "bonus-credits", "bonus-conversions", "chargebacks",
                   "sessions")),
    Rule("POST", "/v1/wallet/{player_id}/withdrawals/{transaction_id}/settle", ING, succeeds=False,
         make=fixed("/v1/wallet/p0/withdrawals/none/settle")),
    Rule("POST", "/v1/wallet/{player_id}/withdrawals/{transaction_id}/void", ING, succeeds=False,
         make=fixed("/v1/wallet/p0/withdrawals/none/void")),
    Rule("POST", "/v1/wallet/{player_id}/sessions/{session_id}/end", ING, succeeds=False,
         make=fixed("/v1/wallet/p0/sessions/s0/end")),
    Rule("POST", "/v1/wallet/{player_id}/adjustments", ADMIN, succeeds=False,
         make=fixed("/v1/wallet/p0/adjustments", json=MONEY)),
    Rule("GET", "/v1/wallet/{player_id}", READ, make=fixed("/v1/wallet/p0"), succeeds=False),
    Rule("GET", "/v1/wallet/{player_id}/transactions/{transaction_id}", READ, succeeds=False,
         make=fixed("/v1/wallet/p0/transactions/none")),
    Rule("POST", "/v1/authorize", ING, succeeds=False, make=fixed("/v1/authorize", json={})),
    Rule("POST", "/v1/events", ING, make=fixed("/v1/events", content=b"[]")),
    Rule("GET", "/v1/players", READ, make=fixed("/v1/players")),
    Rule("GET", "/v1/players/{player_id}", READ, make=lambda w: {"path": f"/v1/players/{_p(w)}"}),
    Rule("GET", "/v1/players/{player_id}/events", READ, make=fixed("/v1/players/p0/events"), succeeds=False),
    Rule("GET", "/v1/players/{player_id}/why", READ, make=fixed("/v1/players/p0/why", params={"action": "welcome"})),
    Rule("GET", "/v1/stats/dashboard", READ, make=fixed("/v1/stats/dashboard")),
    Rule("GET", "/v1/quarantine", READ, make=fixed("/v1/quarantine")),
    Rule("GET", "/v1/reports/rg-effectiveness", READ, make=fixed("/v1/reports/rg-effectiveness")),
    Rule("GET", "/v1/reports/global-holdout", READ, make=fixed("/v1/reports/global-holdout")),
    Rule("GET", "/v1/audit", ADMIN, make=fixed("/v1/audit")),
    Rule("GET", "/v1/audit/export", ADMIN, make=fixed("/v1/audit/export", params={"player_id": "p0"})),
    Rule("GET", "/v1/health", PUBLIC, make=fixed("/v1/health")),
    Rule("GET", "/v1/schema/events", PUBLIC, make=fixed("/v1/schema/events")),
    Rule("GET", "/v1/schema/facts", PUBLIC, make=fixed("/v1/schema/facts")),
    Rule("GET", "/v1/features", PUBLIC, make=fixed("/v1/features")),
]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, dict]]:
    """One app per database for the module, with a key of each scope and olga, a compliance
    officer (every protection permission and config.edit), named in X-Croupier-Actor."""
    from croupier.api import create_app
    from croupier.store.accounts import create_key, create_user

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('scopes') / 'croupier.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
        _empty_all_tables(url)
    app = create_app(url, background=False, web=False)
    with app.state.runtime.db.engine.begin() as conn:
        create_user(conn, "olga", "olga-password-1", "compliance_officer")
        keys = {scope: create_key(conn, scope, [scope])[0] for scope in SCOPES}
        setup, _ = create_key(conn, "setup", ["admin"])
    with TestClient(app) as client:
        yield World(client, {"Authorization": f"Bearer {setup}"}), keys
    app.state.runtime.close()


def test_every_route_has_a_scope_rule(world) -> None:  # noqa: ANN001
    w, _ = world
    served = {(method.upper(), path) for path, ops in w.client.app.openapi()["paths"].items()
              if path.startswith("/v1") for method in ops}
    ruled = {(r.method, r.path) for r in RULES}
    assert served - ruled == set(), "routes without a scope rule: add each to RULES"
    assert ruled - served == set(), "rules for routes the API does not serve"


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_each_route_answers_each_scope_as_its_rule_says(world, rule: Rule, caller: str) -> None:  # noqa: ANN001
    w, keys = world
    allowed = caller in rule.allowed
    sent = rule.make(w)
    headers = {"X-Croupier-Actor": "olga"}
    if caller != "no key":
        headers["Authorization"] = f"Bearer {keys[caller]}"
    path = sent.pop("path")
    answer = w.client.request(rule.method, path, headers=headers, **sent)
    if allowed:
        assert answer.status_code not in (401, 403), answer.text
        if rule.succeeds:
            assert 200 <= answer.status_code < 300, answer.text
    elif rule.allowed == SESSION_ONLY:
        assert answer.status_code == 403 and "needs a signed-in staff member" in answer.text, answer.text
    elif caller == "no key":
        assert answer.status_code == 401, answer.text
    else:       # 403 naming the key and the scope it lacks
        assert answer.status_code == 403, answer.text
        assert f"API key {keys[caller].split('_')[1]} lacks the" in answer.text, answer.text
        wanted = sorted(rule.allowed - {"admin"}) or ["admin"]
        assert any(f"'{scope}'" in answer.text for scope in wanted), answer.text
