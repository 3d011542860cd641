"""A journey's counts per step and a player's journeys, after a real engine run: players enter
over the API, wait (timers in the log), branch, are sent messages through the gate (one of
them suppressed: the player took a time-out), reach the goal, are refused a second entry.
`GET /v1/journeys/{id}/counts` and `GET /v1/players/{id}/journeys` answer from the audit
log, the same numbers the journey decisions and the gate's verdicts there add up to."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from conftest import EventFactory, noon_zone
from croupier.journeys.counts import Tally, journey_view
from croupier.journeys.engine_shell import write_due
from croupier.store import journeys as journey_store
from croupier.store.accounts import create_key, create_user
from croupier.store.journey_counts import JourneyCounts

NOW = datetime.now(timezone.utc).replace(microsecond=0)
T0 = NOW - timedelta(minutes=30)    # recent: the gate holds promotions on data older than an hour

COUNTED = {
    "key": "counted", "name": "Counted welcome", "version": 1, "purpose": "promotional", "group": "counted",
    "priority": 10,
    "trigger": {"kind": "event", "event": "payment.deposit", "condition": 'event.status = "approved"'},
    "goals": [{"name": "first_bet", "event": "casino.bet", "window": "P7D"}],
    "steps": [{"kind": "send", "id": "hello", "channel": "email", "template": "counted_hello"},
              {"kind": "wait", "id": "pause", "duration": "P1D"},
              {"kind": "branch", "id": "regular", "condition": "deposit_count_lifetime >= 2", "then": "vip",
               "else": "nudge"},
              {"kind": "send", "id": "vip", "channel": "email", "template": "counted_vip", "next": "done"},
              {"kind": "send", "id": "nudge", "channel": "email", "template": "counted_nudge"},
              {"kind": "exit", "id": "done"}],
    "reentry": {"policy": "never"},
}


@pytest.fixture
def staff(app_client):  # noqa: ANN001, ANN201
    runtime = app_client.app.state.runtime
    with runtime.db.engine.begin() as conn:
        create_user(conn, "cleo", "cleo-password-1", "crm_manager")
        token, _ = create_key(conn, "crm tool", ["admin"])
        reader, _ = create_key(conn, "reader", ["read"])
    return app_client, {"Authorization": f"Bearer {token}", "X-Croupier-Actor": "cleo"}, \
        {"Authorization": f"Bearer {reader}"}


def _publish(client: Any, headers: dict[str, str], definition: dict[str, Any]) -> int:
    made = client.post("/v1/journeys", headers=headers, json={"definition": definition})
    assert made.status_code == 201, made.text
    jid = made.json()["journey_id"]
    assert client.post(f"/v1/journeys/{jid}/publish", headers=headers, json={"version": 1}).status_code == 200
    return jid


def _deposit(ev: EventFactory, at: datetime, tx: str) -> dict[str, Any]:
    return ev("payment.deposit", at - NOW, transaction_id=tx, amount="20.00", currency="SEK", status="approved",
              method="card")


def _ingest(client: Any, events: list[dict[str, Any]], headers: dict[str, str]) -> None:
    answer = client.post("/v1/events", content=json.dumps(events), headers=headers)
    assert answer.status_code == 200 and not answer.json()["rejected"], answer.text


def run_counted(client: Any, headers: dict[str, str]) -> int:
    """The journey run the tests read: four players enter (`calm`, `twice`, `paused` who took
    a time-out first, `better` who bets), a day's wait ends, and each goes their way."""
    jid = _publish(client, headers, COUNTED)
    calm, twice, paused, better = (EventFactory(player_id=p) for p in ("calm", "twice", "paused", "better"))
    before = T0 - NOW - timedelta(hours=1)
    players = (calm, twice, paused, better)
    _ingest(client, [ev.registered(before, jurisdiction="MT", country="MT", timezone=noon_zone(),  # no register
                                   email=f"{ev.player_id}@example.mt", last_name=ev.player_id) for ev in players]
            + [paused("exclusion.requested", T0 - NOW - timedelta(minutes=20), kind="timeout", duration="P30D")], headers)
    _ingest(client, [_deposit(calm, T0, "c1"), _deposit(twice, T0, "t1"), _deposit(paused, T0, "p1"),
                     _deposit(better, T0, "b1"),
                     _deposit(twice, T0 + timedelta(minutes=10), "t2"),          # already in: refused
                     better("casino.bet", T0 + timedelta(minutes=20) - NOW, bet_id="b", session_id="s", game_id="g",
                            game_category="slots", provider="p", amount="1.00", currency="SEK")], headers)
    return jid


def _counts(client: Any, jid: int, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    answer = client.get(f"/v1/journeys/{jid}/counts", headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _step(counts: dict[str, Any], step: str) -> dict[str, Any]:
    return next(s for s in counts["steps"] if s["step"] == step)


def test_counts_follow_the_run_waiting_passed_converted_and_suppressed_with_reasons(staff) -> None:  # noqa: ANN001
    client, headers, reader = staff
    jid = run_counted(client, headers)
    engine = client.app.state.runtime.engine

    counts = _counts(client, jid, reader)
    assert [s["step"] for s in counts["steps"]] == ["hello", "pause", "regular", "vip", "nudge", "done"]
    assert counts["totals"]["entered"] == 4 and counts["totals"]["held_out"] == 0
    assert counts["totals"]["refused"] == [{"code": "already_in", "count": 1, "words":
                                            "the player is in this journey already (never twice at the same time)"}]
    hello = _step(counts, "hello")
    assert (hello["passed"], hello["allowed"], hello["suppressed"]) == (4, 3, 1)
    (reason,) = hello["suppressed_reasons"]
    assert reason["count"] == 1 and reason["code"].startswith("excluded") and "time-out" in reason["words"]
    assert counts["totals"]["suppressed"] == 1 and counts["totals"]["suppressed_reasons"] == [reason]
    pause = _step(counts, "pause")
    assert (pause["waiting"], pause["passed"], pause["converted"]) == (3, 4, 1)    # `better` bet: goal, left
    assert counts["totals"]["waiting"] == 3
    assert counts["totals"]["converted"] == {"first_bet": 1}
    assert counts["totals"]["exited"][0]["code"] == "goal:first_bet"
    assert "reached the goal first_bet" in counts["totals"]["exited"][0]["words"]
    assert _step(counts, "regular")["passed"] == 0

    due = engine.states["calm"].journeys.runs["counted"].until_us
    assert write_due(engine, due) == 4      # the day's wait ends (`better`'s timer too: it left, ignored)
    counts = _counts(client, jid, reader)
    pause, regular = _step(counts, "pause"), _step(counts, "regular")
    assert (pause["waiting"], pause["passed"]) == (0, 4) and counts["totals"]["waiting"] == 0
    assert regular["passed"] == 3 and regular["took"] == {"else": 2, "then": 1}   # `twice` deposited twice
    vip, nudge, done = _step(counts, "vip"), _step(counts, "nudge"), _step(counts, "done")
    assert (vip["passed"], vip["allowed"], vip["suppressed"]) == (1, 1, 0)
    assert (nudge["passed"], nudge["allowed"], nudge["suppressed"]) == (2, 1, 1)  # `paused` still on a time-out
    assert nudge["suppressed_reasons"][0]["code"] == reason["code"]
    assert done["passed"] == 3
    exited = {r["code"]: r["count"] for r in counts["totals"]["exited"]}
    assert exited == {"exit_step": 3, "goal:first_bet": 1}
    assert counts["versions_counted"] == [1]
    assert _counts(client, jid, reader, version=1)["steps"] == counts["steps"]
    assert client.get(f"/v1/journeys/{jid}/counts", headers=reader, params={"version": 2}).status_code == 404
    assert client.get("/v1/journeys/999/counts", headers=reader).status_code == 404

    # The same numbers from a fold of the whole log at once (no request in between).
    with client.app.state.runtime.db.reader.connect() as conn:
        again = JourneyCounts().journey(conn, journey_store.get(conn, jid))
    assert again["steps"] == counts["steps"] and again["totals"] == counts["totals"]


def test_a_players_journeys_now_and_what_happened(staff) -> None:  # noqa: ANN001
    client, headers, reader = staff
    jid = run_counted(client, headers)
    answer = client.get("/v1/players/calm/journeys", headers=reader)
    assert answer.status_code == 200, answer.text
    mine = answer.json()
    (run,) = mine["runs"]
    assert (run["journey"], run["journey_id"], run["journey_name"], run["version"], run["step"]) == \
        ("counted", jid, "Counted welcome", 1, "pause")
    assert run["entered_at"].startswith(T0.strftime("%Y-%m-%d")) and run["until"] > run["entered_at"]
    (kept,) = mine["journeys"]
    assert kept["entries"] == 1 and kept["in_journey"] and not kept["held_out"]
    whats = [h["what"] for h in reversed(mine["happened"])]
    assert whats == ["entered", "step", "allowed", "waiting"]
    sent = next(h for h in mine["happened"] if h["what"] == "allowed")
    assert sent["proposal"]["name"] == "counted_hello" and sent["step"] == "hello"

    paused = client.get("/v1/players/paused/journeys", headers=reader).json()
    refused = next(h for h in paused["happened"] if h["what"] == "suppressed")
    assert refused["proposal"]["name"] == "counted_hello"
    assert refused["reasons"][0]["code"].startswith("excluded") and "time-out" in refused["words"]

    better = client.get("/v1/players/better/journeys", headers=reader).json()
    assert better["runs"] == [] and better["journeys"][0]["converted"][0]["goal"] == "first_bet"
    left = next(h for h in better["happened"] if h["what"] == "exited")
    assert left["reason"] == "goal:first_bet" and "reached the goal first_bet" in left["words"]
    assert client.get("/v1/players/nobody-here/journeys", headers=reader).status_code == 404


def test_the_fold_keeps_waiting_right_across_a_resume_and_a_second_wait() -> None:
    """An entry waits, resumes, waits at a second step: it waits at one step at a time."""
    t = Tally()
    rec = {"journey": "j", "version": 1, "entry_id": "e1"}
    t.fold("journey.record", {**rec, "kind": "entered", "reason": "trigger", "detail": {"window_until_us": 10}})
    t.fold("journey.record", {**rec, "kind": "waiting", "reason": "wait:5", "step": "a"})
    assert t.merged("j").steps["a"].waiting == 1
    t.fold("journey.record", {**rec, "kind": "resumed", "reason": "timer", "step": "a"})
    t.fold("journey.record", {**rec, "kind": "waiting", "reason": "wait:9", "step": "b"})
    merged = t.merged("j")
    assert (merged.steps["a"].waiting, merged.steps["b"].waiting) == (0, 1)
    t.fold("journey.record", {**rec, "kind": "exited", "reason": "exit_when:vip", "step": "b"})
    assert t.merged("j").steps["b"].waiting == 0 and t.merged("j").exited == {"exit_when:vip": 1}
    t.fold("gate.decision", {"allowed": False, "reasons": ["contact.cap_day:2"],
                             "params": {"journey": "j", "version": 1, "step": "c"}})
    assert t.merged("j").steps["c"].suppressed_by == {"contact.cap_day:2": 1}
    (view,) = [s for s in journey_view(t.merged("j"), [("c", "send")])["steps"] if s["step"] == "c"]
    assert view["suppressed_reasons"][0]["code"] == "contact.cap_day:2"
    assert "2 promotional contacts today" in view["suppressed_reasons"][0]["words"]   # the catalogue's words


def test_a_control_group_conversion_counts_apart_and_for_no_step() -> None:
    t = Tally()
    t.fold("journey.record", {"journey": "j", "version": 2, "entry_id": "e9", "kind": "held_out", "reason": "holdout",
                              "detail": {"window_until_us": 10}})
    t.fold("journey.record", {"journey": "j", "version": 2, "entry_id": "e9", "kind": "converted",
                              "reason": "goal:deposit", "detail": {"goal": "deposit", "holdout": True}})
    j = t.merged("j", 2)
    assert (j.held_out, j.entered, dict(j.converted), dict(j.converted_held_out)) == (1, 0, {}, {"deposit": 1})
    assert t.merged("j", 1).held_out == 0 and t.versions("j") == [2]
