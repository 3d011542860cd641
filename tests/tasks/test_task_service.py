"""The staff task queue's service on SQLite and PostgreSQL: creating a task is idempotent on
its origin (a journey's replay or retry makes one task and one audit record); the state
machine (take, release, complete with an outcome, cancel) refuses every move it does not
allow, with the permission or the status that stops it; AML tasks stay out of sight of roles
without aml.view; every change is audited; listings page in due order."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from croupier.store import open_database
from croupier.store import tasks as task_store
from croupier.store.schema import audit_log
from croupier.store.tasks import TaskFilter
from croupier.tasks import OUTCOMES, QUEUES, Source, TaskRefused, origin_id
from croupier.tasks import service

HOUR = 3_600_000_000
T0 = 1_780_000_000_000_000


@pytest.fixture
def db(db_url: str):  # noqa: ANN201
    database = open_database(db_url)
    yield database
    database.dispose()


def make(conn, origin: str = "o-1", *, queue: str = "vip_host", player: str = "p1", due: int | None = None,  # noqa: ANN001
         source: Source | None = None, now: int = T0):  # noqa: ANN201
    return service.create_task(conn, origin_id=origin, queue=queue, player_id=player, title="Call the player",
                               detail="deposits up", priority="high", due_at_us=due,
                               source=source or Source.journey("vip_escalation", 3, "host"), now_us=now)


def audit(conn, subject: str) -> list[tuple[str, str]]:  # noqa: ANN001
    return [(r.kind, r.actor) for r in conn.execute(select(audit_log).where(audit_log.c.subject == subject)
                                                    .order_by(audit_log.c.seq))]


def test_the_same_origin_makes_one_task_and_one_audit_record(db) -> None:  # noqa: ANN001
    origin = origin_id("vip_escalation", 3, "host", "p1", "entry-1")
    assert origin == origin_id("vip_escalation", 3, "host", "p1", "entry-1")
    assert origin != origin_id("vip_escalation", 3, "host", "p1", "entry-2")
    with db.engine.begin() as conn:
        first, made = make(conn, origin, due=T0 + 48 * HOUR)
        assert made and first.status == "open" and first.priority == 2 and first.due_at_us == T0 + 48 * HOUR
        assert (first.source_kind, first.source_id, first.created_by) == ("journey", "vip_escalation/v3/host", "engine")
    with db.engine.begin() as conn:          # a replay, later, with another title: the task it made
        again, made_again = service.create_task(
            conn, origin_id=origin, queue="vip_host", player_id="p1", title="Another title", detail="",
            priority="normal", due_at_us=None, source=Source.journey("vip_escalation", 3, "host"), now_us=T0 + HOUR)
        assert not made_again and again == first
        assert len(task_store.listing(conn, TaskFilter())) == 1
        assert audit(conn, str(first.task_id)) == [("task.created", "engine")]
        record = conn.execute(select(audit_log).where(audit_log.c.kind == "task.created")).one()
        assert record.player_id == "p1"


@pytest.mark.parametrize("field, kwargs, value", [
    ("queue", {"queue": "cashier"}, "cashier"),
    ("title", {"title": "   "}, ""),
    ("priority", {"priority": "asap"}, "asap"),
    ("origin_id", {"origin_id": ""}, ""),
    ("player_id", {"player_id": ""}, ""),
    ("source", {"source": Source("robot", "x")}, "robot"),
])
def test_a_new_task_out_of_bounds_is_refused_naming_the_field(db, field: str, kwargs: dict, value: str) -> None:  # noqa: ANN001
    args = {"origin_id": "o", "queue": "support", "player_id": "p", "title": "t", "detail": "", "priority": "low",
            "due_at_us": None, "source": Source.manual("sam"), "now_us": T0, **kwargs}
    with db.engine.begin() as conn:
        with pytest.raises(TaskRefused) as refused:
            service.create_task(conn, **args)
        assert (refused.value.status, refused.value.field, refused.value.value) == (422, field, value)
        assert task_store.listing(conn, TaskFilter()) == []


def test_take_complete_and_the_moves_refused_on_the_way(db) -> None:  # noqa: ANN001
    with db.engine.begin() as conn:
        task, _ = make(conn)
        tid = task.task_id
        with pytest.raises(TaskRefused, match="nobody has taken it"):
            service.complete(conn, tid, outcome="contacted", note="", actor="sam", role="support_agent", now_us=T0)
        with pytest.raises(TaskRefused, match="lacks tasks.work") as refused:
            service.take(conn, tid, actor="aud", role="auditor", now_us=T0)
        assert refused.value.status == 403
        taken = service.take(conn, tid, actor="sam", role="support_agent", now_us=T0 + 1)
        assert (taken.status, taken.taken_by, taken.taken_at_us) == ("taken", "sam", T0 + 1)
        with pytest.raises(TaskRefused, match="already taken by sam"):
            service.take(conn, tid, actor="rita", role="rg_officer", now_us=T0 + 2)
        # only the taker completes or releases; a colleague without tasks.supervise may not
        for move in (service.release, service.complete):
            extra = {"outcome": "contacted", "note": ""} if move is service.complete else {}
            with pytest.raises(TaskRefused, match="only its taker") as refused:
                move(conn, tid, actor="rita", role="rg_officer", now_us=T0 + 2, **extra)
            assert refused.value.status == 403
        with pytest.raises(TaskRefused) as refused:
            service.complete(conn, tid, outcome="limits_agreed", note="", actor="sam", role="support_agent",
                             now_us=T0 + 3)
        assert (refused.value.status, refused.value.field, refused.value.value) == (422, "outcome", "limits_agreed")
        done = service.complete(conn, tid, outcome="contacted", note="  called, happy  ", actor="sam",
                                role="support_agent", now_us=T0 + 4)
        assert (done.status, done.outcome, done.note, done.completed_by, done.completed_at_us) == (
            "done", "contacted", "called, happy", "sam", T0 + 4)
        for move, extra in ((service.take, {}), (service.release, {}), (service.cancel, {"reason": "x"})):
            with pytest.raises(TaskRefused, match="it is closed"):
                move(conn, tid, actor="ada", role="admin", now_us=T0 + 5, **extra)
        assert audit(conn, str(tid)) == [("task.created", "engine"), ("task.taken", "sam"),
                                         ("task.completed", "sam")]
        body = conn.execute(select(audit_log.c.body).where(audit_log.c.kind == "task.completed")).scalar_one()
        assert '"outcome":"contacted"' in body.replace(" ", "") and "called, happy" in body


def test_release_cancel_and_a_lead_finishing_a_colleagues_task(db) -> None:  # noqa: ANN001
    with db.engine.begin() as conn:
        a, _ = make(conn, "a")
        b, _ = make(conn, "b")
        service.take(conn, a.task_id, actor="sam", role="support_agent", now_us=T0)
        released = service.release(conn, a.task_id, actor="sam", role="support_agent", now_us=T0 + 1)
        assert (released.status, released.taken_by, released.taken_at_us) == ("open", None, None)
        with pytest.raises(TaskRefused, match="needs tasks.supervise"):
            service.cancel(conn, a.task_id, reason="duplicate", actor="sam", role="support_agent", now_us=T0 + 2)
        with pytest.raises(TaskRefused) as refused:
            service.cancel(conn, a.task_id, reason=" ", actor="carl", role="crm_manager", now_us=T0 + 2)
        assert (refused.value.status, refused.value.field) == (422, "reason")
        cancelled = service.cancel(conn, a.task_id, reason="duplicate of b", actor="carl", role="crm_manager",
                                   now_us=T0 + 3)
        assert (cancelled.status, cancelled.note, cancelled.completed_by) == ("cancelled", "duplicate of b", "carl")
        # a lead (tasks.supervise) completes the task sam took, recorded as theirs
        service.take(conn, b.task_id, actor="sam", role="support_agent", now_us=T0 + 4)
        done = service.complete(conn, b.task_id, outcome="no_answer", note="", actor="carl", role="crm_manager",
                                now_us=T0 + 5, principal="api-key:k1")
        assert (done.status, done.completed_by, done.taken_by) == ("done", "carl", "sam")
        assert audit(conn, str(a.task_id)) == [("task.created", "engine"), ("task.taken", "sam"),
                                               ("task.released", "sam"), ("task.cancelled", "carl")]
        assert audit(conn, str(b.task_id))[-1] == ("task.completed", "api-key:k1")   # the key, for carl
        body = conn.execute(select(audit_log.c.body).where(audit_log.c.kind == "task.completed")).scalar_one()
        assert '"on_behalf_of":"carl"' in body.replace(" ", "")


def test_protected_queues_need_their_permission_and_aml_tasks_stay_hidden(db) -> None:  # noqa: ANN001
    with db.engine.begin() as conn:
        rg, _ = make(conn, "rg", queue="rg_officer")
        aml, _ = make(conn, "aml", queue="aml_analyst")
        with pytest.raises(TaskRefused, match="lacks rg.review"):
            service.take(conn, rg.task_id, actor="sam", role="support_agent", now_us=T0)
        assert service.take(conn, rg.task_id, actor="rita", role="rg_officer", now_us=T0).taken_by == "rita"
        for role in ("support_agent", "rg_officer", "crm_manager"):     # no aml.view: no such task for them
            with pytest.raises(TaskRefused, match=f"no task {aml.task_id}") as refused:
                service.take(conn, aml.task_id, actor="x", role=role, now_us=T0)
            assert refused.value.status == 404
        assert service.take(conn, aml.task_id, actor="alma", role="aml_analyst", now_us=T0).status == "taken"
        assert OUTCOMES["aml_analyst"] and set(OUTCOMES) == set(QUEUES)


def test_listing_filters_and_pages_in_due_order(db) -> None:  # noqa: ANN001
    with db.engine.begin() as conn:
        late, _ = make(conn, "late", due=T0 + 5 * HOUR, player="p2")
        none, _ = make(conn, "none", due=None)
        soon, _ = make(conn, "soon", due=T0 + HOUR, queue="support")
        soon2, _ = make(conn, "soon2", due=T0 + HOUR, queue="aml_analyst")
        service.take(conn, late.task_id, actor="sam", role="support_agent", now_us=T0)
        everything = [t.task_id for t in task_store.listing(conn, TaskFilter())]
        assert everything == [soon.task_id, soon2.task_id, late.task_id, none.task_id]
        pages, after = [], None
        while True:
            page = task_store.listing(conn, TaskFilter(), limit=1, after=after)
            if not page:
                break
            pages.append(page[0].task_id)
            after = task_store.parse_cursor(task_store.cursor_of(page[0]))
        assert pages == everything
        ids = lambda **f: [t.task_id for t in task_store.listing(conn, TaskFilter(**f))]  # noqa: E731
        assert ids(queue="support") == [soon.task_id]
        assert ids(statuses=("taken",)) == ids(assignee="sam") == ids(player_id="p2") == [late.task_id]
        assert ids(assignee="none", hidden_queues=("aml_analyst",)) == [soon.task_id, none.task_id]
    assert task_store.parse_cursor("x.1") is None and task_store.parse_cursor("1") is None


def test_a_move_written_over_a_colleagues_earlier_one_is_refused(db) -> None:  # noqa: ANN001
    """Two staff press Take at once: the second write finds the task no longer as it read it."""
    with db.engine.begin() as conn:
        task, _ = make(conn, "race")
        stale = task_store.get(conn, task.task_id)
        service.take(conn, task.task_id, actor="sam", role="support_agent", now_us=T0 + 1)
        with pytest.raises(TaskRefused, match="changed meanwhile") as refused:
            service._change(conn, stale, status="taken", taken_by="rita", taken_at_us=T0 + 2, updated_at_us=T0 + 2)
        assert refused.value.status == 409
        assert task_store.get(conn, task.task_id).taken_by == "sam"
