"""Segments through the real app, on SQLite and PostgreSQL: create (text or JSON), read with
the summary, text, JSON and versions, edit, archive, list, preview with the players a
promotional segment leaves out and why, members paged and as CSV, the audit of each staff
action, and every kind of bad input answered with a 4xx naming where it is."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from conftest import EventFactory
from croupier.store.accounts import create_key, create_user
from croupier.store.schema import audit_log


def bets(pid: str, n: int, category: str = "slots", **registration: Any) -> list[dict[str, Any]]:
    ev = EventFactory(player_id=pid)
    out = [ev.registered(timedelta(days=-30), email=f"{pid}@example.se", last_name=pid, phone=None,  # nobody else
                         **registration)]
    out += [ev("casino.bet", timedelta(days=-20, minutes=i), bet_id=f"{pid}-b{i}", amount="10.00", currency="SEK",
               game_category=category, game_id="g1", provider="pv", session_id="s1") for i in range(n)]
    return out


@pytest.fixture
def world(app_client):  # noqa: ANN001, ANN201
    """Five slots players: ann and bea may be promoted to; cid self-excluded, dan without any
    marketing consent; eve bet on tables only. A staff member (cleo, CRM manager) and an
    admin key that names her."""
    events = bets("ann", 6) + bets("bea", 9) + bets("cid", 7) + bets("dan", 5, consents={"email": False}) + \
        bets("eve", 8, "table")
    events.append(EventFactory(player_id="cid")("exclusion.requested", timedelta(days=-1), kind="self_exclusion",
                                                duration="P6M"))
    answer = app_client.post("/v1/events", content=json.dumps(events))
    assert answer.status_code == 200 and not answer.json()["rejected"], answer.text
    runtime = app_client.app.state.runtime
    with runtime.db.engine.begin() as conn:
        create_user(conn, "cleo", "cleo-password-1", "crm_manager")
        token, _ = create_key(conn, "crm tool", ["admin"])
    staff = {"Authorization": f"Bearer {token}", "X-Croupier-Actor": "cleo"}
    return app_client, staff


SLOTS = "bet_count_slots_30d >= 5 and days_since_last_bet >= 14"


def test_a_segment_lives_through_create_read_edit_archive(world) -> None:  # noqa: ANN001
    client, staff = world
    made = client.post("/v1/segments", headers=staff, json={"name": "Idle slots", "text": SLOTS,
                                                            "description": "slots players gone quiet"})
    assert made.status_code == 201, made.text
    seg = made.json()
    sid = seg["segment_id"]
    assert (seg["version"], seg["purpose"], seg["text"], seg["created_by"]) == (1, "promotional", SLOTS, "cleo")
    assert seg["definition"] == {"all": [{"feature": "bet_count_slots_30d", "op": ">=", "value": 5},
                                         {"feature": "days_since_last_bet", "op": ">=", "value": 14}]}
    assert seg["summary"].startswith("players whose slots bets in the last 30 days are at least 5")
    assert seg["created_at"].endswith("Z") and "." in seg["created_at"]

    got = client.get(f"/v1/segments/{sid}").json()
    assert [v["version"] for v in got["versions"]] == [1] and got["name"] == "Idle slots"

    # the same definition as JSON, with a decimal kept exact; a second segment of the same name is refused
    again = client.post("/v1/segments", headers=staff, json={"name": "idle SLOTS", "text": SLOTS})
    assert again.status_code == 409, again.text
    edited = client.put(f"/v1/segments/{sid}", headers={**staff, "Content-Type": "application/json"}, content=(
        '{"definition": {"all": [{"feature": "bet_count_slots_30d", "op": ">=", "value": 5}, '
        '{"feature": "stake_slots_30d", "op": ">", "value": 10.10}]}, "purpose": "service"}'))
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["segment_id"], body["version"], body["purpose"]) == (sid, 2, "service")
    assert body["text"] == "bet_count_slots_30d >= 5 and stake_slots_30d > 10.10"
    assert '"value":10.10' in edited.text                      # the number as written, not a float
    assert [v["text"] for v in body["versions"]] == [SLOTS, body["text"]]
    # the same definition spaced and bracketed otherwise, and the same purpose: no new version
    same = client.put(f"/v1/segments/{sid}", headers=staff, json={
        "text": "(bet_count_slots_30d>=5)   and\n  stake_slots_30d >  10.10", "purpose": "service"})
    assert same.status_code == 200 and same.json()["version"] == 2, same.text

    listed = client.get("/v1/segments").json()["segments"]
    assert [s["segment_id"] for s in listed] == [sid]
    archived = client.delete(f"/v1/segments/{sid}", headers=staff)
    assert archived.status_code == 200 and archived.json()["archived"] is True
    assert client.get("/v1/segments").json()["segments"] == []
    assert [s["version"] for s in client.get("/v1/segments", params={"archived": "true"}).json()["segments"]] == [3]
    assert client.put(f"/v1/segments/{sid}", headers=staff, json={"name": "x"}).status_code == 409
    assert client.get(f"/v1/segments/{sid}/members").status_code == 409

    with client.app.state.runtime.db.reader.connect() as conn:
        kinds = [(r.kind, r.actor, json.loads(r.body).get("on_behalf_of")) for r in conn.execute(
            select(audit_log).where(audit_log.c.kind.like("segment.%")).order_by(audit_log.c.seq))]
    assert [k for k, _, _ in kinds] == ["segment.created", "segment.updated", "segment.archived"]
    assert all(actor.startswith("api-key:") and who == "cleo" for _, actor, who in kinds)


def test_writes_need_the_permission_and_reads_the_read_scope(world) -> None:  # noqa: ANN001
    client, staff = world
    assert client.post("/v1/segments", json={"name": "n", "text": SLOTS}).status_code == 403   # a read key
    runtime = client.app.state.runtime
    with runtime.db.engine.begin() as conn:
        create_user(conn, "sue", "sue-password-1", "support_agent")
    answer = client.post("/v1/segments", headers={**staff, "X-Croupier-Actor": "sue"}, json={"name": "n", "text": SLOTS})
    assert answer.status_code == 403 and "segments.edit" in answer.text


def test_preview_counts_and_leaves_out_whom_the_gate_would_hold(world) -> None:  # noqa: ANN001
    client, _ = world
    answer = client.post("/v1/segments/preview", json={"text": "bet_count_slots_30d >= 5", "sample": 10})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["count"], body["sample"]) == (2, ["ann", "bea"])
    reasons = {r["code"]: r["players"] for r in body["left_out"]["by_reason"]}
    assert body["left_out"]["total"] == 2
    assert reasons == {"excluded:self_exclusion:national": 1, "no_consent": 1}   # Swedish self-exclusion is national
    assert all(r["text"] for r in body["left_out"]["by_reason"])
    service = client.post("/v1/segments/preview", json={"definition": {"feature": "bet_count_slots_30d", "op": ">=",
                                                                        "value": 5}, "purpose": "service"}).json()
    assert (service["count"], service["sample"], service["left_out"]["total"]) == (4, ["ann", "bea", "cid", "dan"], 0)
    assert service["summary"] and service["text"] == "bet_count_slots_30d >= 5"

    # a player who arrives later is in the next copy: on demand, or once the copy is older than its age
    client.post("/v1/events", content=json.dumps(bets("fay", 5)))
    fresh = client.post("/v1/segments/preview", json={"text": "bet_count_slots_30d >= 5", "refresh": True}).json()
    assert fresh["count"] == 3 and "fay" in fresh["sample"]


def test_members_page_with_a_cursor_and_export_as_csv(world) -> None:  # noqa: ANN001
    client, staff = world
    sid = client.post("/v1/segments", headers=staff, json={"name": "All slots", "purpose": "service",
                                                           "text": "bet_count_slots_30d >= 1"}).json()["segment_id"]
    first = client.get(f"/v1/segments/{sid}/members", params={"limit": 3}).json()
    assert first["members"] == ["ann", "bea", "cid"] and first["next"] == "cid"
    second = client.get(f"/v1/segments/{sid}/members", params={"limit": 3, "after": first["next"]}).json()
    assert second["members"] == ["dan"] and second["next"] is None
    exported = client.get(f"/v1/segments/{sid}/members", params={"format": "csv"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(exported.text))) == [["player_id"], ["ann"], ["bea"], ["cid"], ["dan"]]
    accepted = client.get(f"/v1/segments/{sid}/members", headers={"Accept": "text/csv"})
    assert accepted.text == exported.text
    assert client.get("/v1/segments/999/members").status_code == 404
    assert client.get("/v1/segments/not-a-number").status_code == 404


def test_problems_name_where_they_are(world) -> None:  # noqa: ANN001
    client, staff = world
    text = "deposit_count_30d >= 1 and\n    depost_sum_30d >= 100 and rg.level >= meduim"
    answer = client.post("/v1/segments/preview", json={"text": text})
    assert answer.status_code == 422, answer.text
    errors = answer.json()["errors"]
    assert [(e["line"], e["column"], e["identifier"]) for e in errors] == [(2, 5, "depost_sum_30d"),
                                                                           (2, 43, "rg.level")]
    assert "did you mean 'deposit_sum_30d'" in errors[0]["message"] and "deposit_sum_30d" in errors[0]["suggestions"]
    answer = client.post("/v1/segments", headers=staff, json={"name": "x", "definition": {"all": [
        {"feature": "bet_count_30d", "op": ">=", "value": 1}, {"feature": "deposit_sum_30d", "op": ">=", "value": "a"}]}})
    assert answer.status_code == 422
    [problem] = answer.json()["errors"]
    assert problem["path"] == "$.all[1].value" and problem["field"] == "definition.all[1].value"


@pytest.mark.parametrize("body", [
    {"text": "a" * 20_000},                                           # huge text
    {"text": "".join(f"bet_count_30d >= {i} {'and' if i % 2 else 'or'} (" for i in range(60))   # deep nesting
     + "bet_count_30d >= 1" + ")" * 60},
    {"text": "".join(f"bet_count_30d >= {i} {'and' if i % 2 else 'or'} (" for i in range(3000))
     + "bet_count_30d >= 1" + ")" * 3000},
    {"text": "not " * 3000 + "bet_count_30d >= 1"},
    {"text": " and ".join(["bet_count_30d >= 1"] * 300)},             # too many conditions
    {"definition": [1, 2]}, {"text": 5}, {"definition": {"feature": "bet_count_30d", "op": ">=", "value": {}}},
    {"text": SLOTS, "purpose": "spam"}, {"text": SLOTS, "sample": -1}, {"text": SLOTS, "sample": True},
    {"text": SLOTS, "refresh": "yes"}, {"text": SLOTS, "definition": {"feature": "x"}}, {},
    {"text": SLOTS, "surprise": 1}, {"definition": {"feature": "bet_count_30d", "op": ">=", "value": 1e300}},
    {"definition": {"feature": "deposit_sum_30d", "op": ">=", "value": 1e-300}},
])
def test_hostile_previews_get_a_clear_4xx(world, body: dict[str, Any]) -> None:  # noqa: ANN001
    client, _ = world
    answer = client.post("/v1/segments/preview", json=body)
    assert 400 <= answer.status_code < 500 or (answer.status_code == 200 and "value" in body.get("definition", {})), \
        answer.text


def test_redundant_parentheses_are_not_nesting(world) -> None:  # noqa: ANN001
    client, _ = world
    answer = client.post("/v1/segments/preview", json={"text": "(" * 3000 + "bet_count_30d >= 1" + ")" * 3000})
    assert answer.status_code == 200 and answer.json()["text"] == "bet_count_30d >= 1"
    if answer.status_code == 422:
        assert answer.json()["detail"]["message"]


@pytest.mark.parametrize("raw", [b'{"text": NaN}', b'{"definition": {"feature": "rg.score", "op": ">", "value": NaN}}',
                                 b'{"definition": {"feature": "rg.score", "op": ">", "value": 1e999}}',
                                 b"[" * 100 + b"]" * 100, b"not json", b'"a string"', b"",
                                 b'{"definition": ' + b'{"not": ' * 60 + b'{"feature": "bet_count_30d", "op": "is_set"}'
                                 + b"}" * 61])
def test_hostile_bodies_get_a_clear_4xx(world, raw: bytes) -> None:  # noqa: ANN001
    client, staff = world
    for path, headers in (("/v1/segments/preview", {}), ("/v1/segments", staff)):
        answer = client.post(path, content=raw, headers={**headers, "Content-Type": "application/json"})
        assert 400 <= answer.status_code < 500, (path, raw[:40], answer.text)


def test_a_segment_goes_live_follows_edits_and_is_switched_off(world) -> None:  # noqa: ANN001
    """Live: real-time membership as the engine folds it (the definition's match, so the
    self-excluded cid is a member here; the gate holds promotions to her), a new version goes
    live when a live segment is edited, archiving switches it off, each step audited."""
    client, staff = world
    sid = client.post("/v1/segments", headers=staff, json={"name": "Slots regulars",
                                                           "text": "bet_count_slots_lifetime >= 6"}).json()["segment_id"]
    assert client.get(f"/v1/segments/{sid}").json()["live_version"] is None
    assert client.get(f"/v1/segments/{sid}/members?source=live").status_code == 409
    assert client.post(f"/v1/segments/{sid}/live").status_code == 403          # a read key cannot
    made = client.post(f"/v1/segments/{sid}/live", headers=staff)
    assert made.status_code == 200 and made.json()["live_version"] == 1, made.text
    engine = client.app.state.runtime.engine
    engine.process_pending()     # the engine's idle tick (a server's loop runs it): the sweep takes everyone in
    live = client.get(f"/v1/segments/{sid}/members?source=live").json()
    assert (live["source"], live["version"], live["members"]) == ("live", 1, ["ann", "bea", "cid"])
    assert set(live["entered"]) == {"ann", "bea", "cid"}
    page = client.get(f"/v1/segments/{sid}/members?source=live&limit=2").json()
    assert page["members"] == ["ann", "bea"] and page["next"] == "bea"
    assert client.get(f"/v1/segments/{sid}/members?source=live&after=bea").json()["members"] == ["cid"]
    exported = client.get(f"/v1/segments/{sid}/members?source=live&format=csv")
    assert exported.text.split() == ["player_id", "ann", "bea", "cid"]
    assert client.get(f"/v1/segments/{sid}/members?source=everything").status_code == 422

    edited = client.put(f"/v1/segments/{sid}", headers=staff, json={"text": "bet_count_slots_lifetime >= 7"})
    assert edited.json()["live_version"] == 2
    engine.process_pending()
    assert client.get(f"/v1/segments/{sid}/members?source=live").json()["members"] == ["bea", "cid"]
    listed = {s["segment_id"]: s["live_version"] for s in client.get("/v1/segments").json()["segments"]}
    assert listed[sid] == 2
    assert client.post(f"/v1/segments/{sid}/live", headers=staff).json()["live_version"] == 2   # already: no change

    off = client.delete(f"/v1/segments/{sid}/live", headers=staff)
    assert off.status_code == 200 and off.json()["live_version"] is None
    assert client.get(f"/v1/segments/{sid}/members?source=live").status_code == 409
    client.post(f"/v1/segments/{sid}/live", headers=staff)
    client.delete(f"/v1/segments/{sid}", headers=staff)                               # archived: switched off
    assert client.get(f"/v1/segments/{sid}").json()["live_version"] is None
    assert client.post(f"/v1/segments/{sid}/live", headers=staff).status_code == 409
    with client.app.state.runtime.db.reader.connect() as conn:
        kinds = [k for (k,) in conn.execute(select(audit_log.c.kind).where(audit_log.c.subject == str(sid))
                                            .order_by(audit_log.c.seq))]
    assert kinds == ["segment.created", "segment.live", "segment.updated", "segment.off", "segment.live",
                     "segment.archived"]
