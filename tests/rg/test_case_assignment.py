"""Who works an RG case, on SQLite and PostgreSQL: an officer takes a case or releases their
own, a lead assigns, reassigns and unassigns it (only to staff who may review), the queue
shows and filters by assignee, the case's history names who assigned whom and when, every
change is audited, and the review that closes the case closes its assignment."""

from __future__ import annotations

import json

import pytest

from croupier.protection.rg_cases import AssignmentRefused, plan_assignment
from croupier.store.accounts import create_key, create_user

# --- the rules (pure) ---------------------------------------------------------------------------


@pytest.mark.parametrize(("current", "assignee", "actor", "lead", "action"), [
    (None, "rita", "rita", False, "take"),
    ("rita", None, "rita", False, "unassign"),            # releasing one's own case
    (None, "rita", "olga", True, "assign"),
    ("rita", "tom", "olga", True, "reassign"),
    ("rita", None, "olga", True, "unassign"),
    ("tom", "rita", "rita", True, "reassign"),             # a lead may take a colleague's case
])
def test_what_each_change_is(current, assignee, actor, lead, action):
    assert plan_assignment(current, assignee, actor=actor, may_assign=lead, assignee_role="rg_officer") == action


@pytest.mark.parametrize(("current", "assignee", "actor", "role", "status", "words"), [
    (None, "tom", "rita", "rg_officer", 403, "needs rg.assign"),          # an officer assigning someone else
    ("tom", "rita", "rita", "rg_officer", 403, "needs rg.assign"),        # ... or taking a colleague's case
    ("tom", None, "rita", "rg_officer", 403, "needs rg.assign"),          # ... or releasing it
    (None, "carl", "olga", "crm_manager", 422, "lacks rg.review"),
    (None, "ghost", "olga", None, 422, "not an enabled staff user"),
    ("rita", "rita", "olga", "rg_officer", 409, "already assigned to rita"),
    (None, None, "olga", None, 409, "already unassigned"),
])
def test_what_is_refused_and_why(current, assignee, actor, role, status, words):
    with pytest.raises(AssignmentRefused, match=words) as refused:
        plan_assignment(current, assignee, actor=actor, may_assign=actor == "olga", assignee_role=role)
    assert refused.value.status == status


# --- over the API -------------------------------------------------------------------------------

@pytest.fixture
def as_staff(app_client, make_event):  # noqa: ANN001, ANN201
    """A player with an open case, staff of three roles, and `as_staff(name)` headers."""
    assert app_client.post("/v1/events", content=json.dumps(make_event.at_severe_risk())).status_code == 200
    with app_client.app.state.runtime.db.engine.begin() as conn:
        create_user(conn, "olga", "olga-password-1", "compliance_officer")
        create_user(conn, "rita", "rita-password-1", "rg_officer")
        create_user(conn, "tom", "tom-password-01", "rg_officer")
        create_user(conn, "carl", "carl-password-1", "crm_manager")
        token, _ = create_key(conn, "rg tooling", ["admin", "read"])
    headers = lambda name=None: {"Authorization": f"Bearer {token}", **({"X-Croupier-Actor": name} if name else {})}  # noqa: E731
    headers.key = f"api-key:{token.split('_')[1]}"   # the actor the audit records for these requests
    return headers


def _assign(client, headers: dict, assignee: str | None, reason: str = ""):  # noqa: ANN001, ANN202
    return client.post("/v1/players/p1/rg-case/assignment", headers=headers,
                       json={"assignee": assignee, "reason": reason})


def test_take_assign_reassign_unassign_with_history_audit_and_queue(app_client, as_staff):
    queue = app_client.get("/v1/rg/queue", params={"assigned": "none"}, headers=as_staff()).json()["players"]
    assert [r["player_id"] for r in queue] == ["p1"] and queue[0]["case"]["assignee"] is None
    assert queue[0]["risk_level"] == "severe" and queue[0]["risk_score"] >= 0.8
    case_id = queue[0]["case"]["case_id"]

    taken = _assign(app_client, as_staff("rita"), "rita")
    assert taken.status_code == 200, taken.text
    assert taken.json()["assignee"] == "rita" and taken.json()["case_id"] == case_id
    refused = _assign(app_client, as_staff("rita"), "tom")
    assert refused.status_code == 403 and "rg.assign" in refused.json()["detail"]["error"]
    wrong = _assign(app_client, as_staff("olga"), "carl")
    assert wrong.status_code == 422
    assert wrong.json()["detail"] | {"message": None} == {"message": None, "field": "assignee", "value": "carl"}
    assert _assign(app_client, as_staff("carl"), "carl").status_code == 403      # no rg.review at all

    moved = _assign(app_client, as_staff("olga"), "tom", "rita is on leave")
    assert moved.status_code == 200 and moved.json()["assignee"] == "tom" and moved.json()["assigned_by"] == "olga"
    for assigned, expected in (("tom", ["p1"]), ("rita", []), ("none", [])):
        rows = app_client.get("/v1/rg/queue", params={"assigned": assigned}, headers=as_staff()).json()["players"]
        assert [r["player_id"] for r in rows] == expected, assigned
    everyone = app_client.get("/v1/rg/queue", headers=as_staff()).json()["players"]
    assert everyone[0]["case"]["assignee"] == "tom"
    me = app_client.get("/v1/rg/queue", params={"assigned": "me"}, headers=as_staff())
    assert me.status_code == 400 and me.json()["detail"]["field"] == "assigned"       # a key is nobody
    typo = app_client.get("/v1/rg/queue", params={"assigned": "tomm"}, headers=as_staff())
    assert typo.status_code == 422 and typo.json()["detail"]["field"] == "assigned"   # not an empty queue
    assert typo.json()["detail"]["value"] == "tomm" and "no staff user" in typo.json()["detail"]["message"]

    released = _assign(app_client, as_staff("olga"), None)
    assert released.status_code == 200 and released.json()["assignee"] is None
    assert _assign(app_client, as_staff("olga"), None).status_code == 409

    history = app_client.get("/v1/players/p1/rg-case", headers=as_staff()).json()["history"]
    key = as_staff.key
    assert [(h["action"], h["actor"], h.get("on_behalf_of"), h.get("assignee")) for h in history] == [
        ("opened", "engine", None, None), ("take", key, "rita", "rita"), ("reassign", key, "olga", "tom"),
        ("unassign", key, "olga", None)]
    assert history[2]["previous"] == "rita" and history[2]["detail"] == "rita is on leave"
    records = app_client.get("/v1/audit", params={"kind": "protection.rg_case_assigned"},
                             headers=as_staff()).json()["records"]
    assert [(r["actor"], r["body"]["on_behalf_of"], r["body"]["action"], r["subject"]) for r in reversed(records)] == [
        (key, "rita", "take", case_id), (key, "olga", "reassign", case_id), (key, "olga", "unassign", case_id)]


def test_the_review_closes_the_case_and_its_assignment(app_client, as_staff):
    _assign(app_client, as_staff("olga"), "rita")
    done = app_client.post("/v1/players/p1/rg-review", headers=as_staff("rita"),
                           json={"outcome": "contacted_player", "note": "called, agreed a limit"})
    assert done.status_code == 200, done.text
    case = app_client.get("/v1/players/p1/rg-case", headers=as_staff()).json()
    assert case["status"] == "reviewed"
    assert case["history"][-1] | {"at": None} == {"at": None, "actor": as_staff.key, "on_behalf_of": "rita",
                                                   "action": "reviewed",
                                                   "detail": "contacted_player: called, agreed a limit"}
    assert app_client.get("/v1/rg/queue", params={"assigned": "rita"}, headers=as_staff()).json()["players"] == []
    closed = _assign(app_client, as_staff("olga"), "tom")
    assert closed.status_code == 409 and "closed" in closed.json()["detail"]["error"]
    assert app_client.get("/v1/players/nobody/rg-case", headers=as_staff()).status_code == 404


def test_a_case_the_score_opened_without_a_marker_says_so(sqlite_url):
    """The score weighs how much and how the player plays, so a case can open with no marker
    fired; its history and the queue say so instead of leaving the reason blank."""
    from croupier.players.protection_state import InterventionView
    from croupier.protection.rg_cases import case_id_for, history
    from croupier.store import open_database

    db = open_database(sqlite_url)
    case = InterventionView(kind="human", at_us=1_790_000_000_000_000, level="high", cause_event_id="e1",
                            alert_us=1_789_990_000_000_000, status="open")
    with db.reader.connect() as conn:
        [opened] = history(conn, "p1", case_id_for("p1", case), case)
    db.dispose()
    assert opened["action"] == "opened"
    assert opened["detail"] == "high risk: the score alone, no marker (how much and how the player plays)"
