"""The staff task queue in the back office: `/tasks`, the queue (filter by queue, status and
"mine"; the oldest due first, overdue ones marked) with **Take**, **Complete** (an outcome
and a note), **Release** and, for a lead, **Cancel**; a form for a task by hand; and the
player-360's *Tasks* tab (`player_tasks`).

Reading needs `players.view` (every task is about a player; AML tasks only with `aml.view`);
working tasks needs `tasks.work`. Every change is the API's own operation
(`croupier.api.task_routes`), checked and audited the same way."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from croupier.api import task_routes as api
from croupier.api.auth import Actor
from croupier.store import tasks as task_store
from croupier.store.tasks import TaskFilter
from croupier.tasks import OUTCOMES, PRIORITIES, QUEUES, SUPERVISE, WORK, TaskRefused, may_see
from croupier.web.render import render
from croupier.web.security import safe_next
from croupier.web.staff import Staff, check_csrf, require

router = APIRouter(include_in_schema=False)
PAGE = "/tasks"
READ = "players.view"
PAGE_SIZE = 200
PLAYER_TASKS = 50
QUEUE_WORDS = {"vip_host": "VIP host", "rg_officer": "RG officer", "aml_analyst": "AML analyst",
               "support": "Support", "retention": "Retention"}
STATUS_CHOICES = (("active", "open and taken"), ("open", "open"), ("taken", "taken"), ("done", "done"),
                  ("cancelled", "cancelled"), ("all", "every status"))
# "Due in" choices of the manual-task form, in hours (0: no due time).
DUE_CHOICES = ((0, "no due time"), (1, "1 hour"), (4, "4 hours"), (24, "1 day"), (48, "2 days"), (168, "1 week"))


def _who(staff: Staff) -> Actor:
    return Actor(staff.username, staff.role, "session")


def _queues(staff: Staff) -> list[str]:
    return [q for q in QUEUES if may_see(q, staff.role)]


def rows(tasks: list[Any], staff: Staff) -> list[dict[str, Any]]:
    """Tasks as the pages show them, with what this staff member may do to each."""
    now_us = time.time_ns() // 1000
    worker, lead = staff.can(WORK), staff.can(SUPERVISE)
    out = []
    for t in tasks:
        v = api.view(t, now_us)
        mine = t.taken_by == staff.username
        v |= {"due_at_us": t.due_at_us, "queue_words": QUEUE_WORDS.get(t.queue, t.queue),
              "may_take": worker and t.status == "open",
              "may_finish": worker and t.status == "taken" and (mine or lead),
              "may_cancel": worker and t.status in ("open", "taken") and (mine or lead)}
        out.append(v)
    return out


def player_tasks(runtime: Any, staff: Staff, player_id: str) -> list[dict[str, Any]]:  # noqa: ANN401
    """The player's tasks for the player-360 page, the oldest due first (closed ones too)."""
    hidden = () if staff.can("aml.view") else ("aml_analyst",)
    with runtime.db.reader.connect() as conn:
        found = task_store.listing(conn, TaskFilter(player_id=player_id, hidden_queues=hidden), limit=PLAYER_TASKS)
    return rows(found, staff)


@router.get(PAGE)
def tasks_page(request: Request, queue: str = Query("", max_length=32), status: str = Query("active", max_length=16),
               mine: bool = False, player_id: str = Query("", max_length=128),
               staff: Staff = Depends(require(READ))) -> Response:
    queue = queue if queue in _queues(staff) else ""
    status = status if status in {s for s, _ in STATUS_CHOICES} else "active"
    filters = TaskFilter(queue=queue or None, statuses=() if status == "all" else api._statuses(status),
                         player_id=player_id.strip() or None, assignee=staff.username if mine else None,
                         hidden_queues=() if staff.can("aml.view") else ("aml_analyst",))
    with request.app.state.runtime.db.reader.connect() as conn:
        found = task_store.listing(conn, filters, limit=PAGE_SIZE + 1)
    here = request.url.path + ("?" + request.url.query if request.url.query else "")
    return render(request, "tasks.html", staff, page=PAGE, title="Tasks", rows=rows(found[:PAGE_SIZE], staff),
                  more=len(found) > PAGE_SIZE, queue=queue, status_filter=status, mine=mine,
                  player_id=player_id.strip(),
                  queues=[(q, QUEUE_WORDS[q]) for q in _queues(staff)], statuses=STATUS_CHOICES,
                  outcomes=OUTCOMES, priorities=PRIORITIES, due_choices=DUE_CHOICES, here=here,
                  can_work=staff.can(WORK))


def _refusal(request: Request, staff: Staff, status: int, message: str) -> Response:
    return render(request, "error.html", staff, status=status, page=PAGE, title="Not done",
                  heading="The task was not changed", message=message)


def _act(request: Request, staff: Staff, task_id: str, action: str, body: dict[str, Any], back: str) -> Response:
    try:
        api.act_now(request.app.state.runtime, _who(staff), api._task_id(task_id), action, body)
    except api.Invalid as exc:
        return _refusal(request, staff, 422, f"{exc.problem['field']}: {exc.problem['message']}")
    except TaskRefused as exc:
        return _refusal(request, staff, exc.status, exc.message)
    return RedirectResponse(safe_next(back, PAGE), status_code=303)


@router.post(PAGE + "/{task_id}/take")
def take_form(request: Request, task_id: str, csrf_token: str = Form(""), next: str = Form(""),  # noqa: A002
              staff: Staff = Depends(require(WORK))) -> Response:
    check_csrf(staff, csrf_token)
    return _act(request, staff, task_id, "take", {}, next)


@router.post(PAGE + "/{task_id}/release")
def release_form(request: Request, task_id: str, csrf_token: str = Form(""), next: str = Form(""),  # noqa: A002
                 staff: Staff = Depends(require(WORK))) -> Response:
    check_csrf(staff, csrf_token)
    return _act(request, staff, task_id, "release", {}, next)


@router.post(PAGE + "/{task_id}/complete")
def complete_form(request: Request, task_id: str, outcome: str = Form(""), note: str = Form(""),
                  csrf_token: str = Form(""), next: str = Form(""),  # noqa: A002
                  staff: Staff = Depends(require(WORK))) -> Response:
    check_csrf(staff, csrf_token)
    return _act(request, staff, task_id, "complete", {"outcome": outcome, "note": note}, next)


@router.post(PAGE + "/{task_id}/cancel")
def cancel_form(request: Request, task_id: str, reason: str = Form(""), csrf_token: str = Form(""),
                next: str = Form(""), staff: Staff = Depends(require(WORK))) -> Response:  # noqa: A002
    check_csrf(staff, csrf_token)
    return _act(request, staff, task_id, "cancel", {"reason": reason}, next)


@router.post(PAGE + "/new")
def create_form(request: Request, queue: str = Form(""), player_id: str = Form(""), title: str = Form(""),
                detail: str = Form(""), priority: str = Form("normal"), due_in_hours: int = Form(0, ge=0, le=8760),
                reason: str = Form(""), csrf_token: str = Form(""),
                staff: Staff = Depends(require(WORK))) -> Response:
    """A task by hand, for a colleague's queue (the API's `POST /v1/tasks`)."""
    check_csrf(staff, csrf_token)
    body: dict[str, Any] = {"queue": queue, "player_id": player_id, "title": title, "detail": detail,
                            "priority": priority, "reason": reason}
    if due_in_hours:
        body["due_at"] = api._iso(time.time_ns() // 1000 + due_in_hours * 3_600_000_000)
    try:
        task, _ = api.create_now(request.app.state.runtime, _who(staff), body)
    except api.Invalid as exc:
        return _refusal(request, staff, 422, f"{exc.problem['field']}: {exc.problem['message']}")
    except TaskRefused as exc:
        return _refusal(request, staff, exc.status, exc.message)
    return RedirectResponse(f"{PAGE}?queue={task.queue}#task-{task.task_id}", status_code=303)
