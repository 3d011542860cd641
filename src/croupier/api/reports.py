"""Reports over the API: RG effectiveness (which interventions and variants work) and what
the whole CRM programme adds, measured against the global holdout."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import Connection, select

from croupier.analytics.journey_results import global_holdout_results
from croupier.analytics.rg_report import rg_effectiveness
from croupier.api.answers import exact_json
from croupier.api.auth import require_scope
from croupier.compliance.rules import rules_in_force
from croupier.players import PlayerState
from croupier.store.schema import audit_log, player_state
from croupier.store.states import decode

router = APIRouter(prefix="/v1/reports")
DECISION = "gate.decision"


def _states(conn: Connection, chunk: int = 2_000) -> Iterator[PlayerState]:
    last = ""
    while True:
        rows = conn.execute(select(player_state.c.player_id, player_state.c.state)
                            .where(player_state.c.player_id > last)
                            .order_by(player_state.c.player_id).limit(chunk)).all()
        if not rows:
            return
        for pid, blob in rows:
            yield decode(blob)
        last = rows[-1][0]


def _safer_play_decisions(conn: Connection) -> Iterator[dict[str, Any]]:
    stmt = select(audit_log.c.body).where(audit_log.c.kind == DECISION,
                                          audit_log.c.body.like('%"purpose":"safer_play"%'))
    for (body,) in conn.execute(stmt):
        yield json.loads(body)


@router.get("/rg-effectiveness", summary="RG effectiveness per intervention kind and message variant: "
            "time from alert to intervention and to the player's own protective step, the share "
            "de-escalated `follow_days` later, and the safer-play messages the gate let through")
def get_rg_effectiveness(request: Request, follow_days: int = Query(7, ge=1, le=365),
                         _key=Depends(require_scope("read"))) -> dict[str, Any]:  # noqa: ANN001
    return effectiveness_report(request.app.state.runtime, follow_days)


def effectiveness_report(runtime, follow_days: int) -> dict[str, Any]:  # noqa: ANN001
    """The report as the API answers it; the back office's report page shows the same."""
    now_us = time.time_ns() // 1000
    with runtime.fresh() as conn:
        rows = rg_effectiveness(_states(conn), now_us, follow_days, list(_safer_play_decisions(conn)),
                                rules_in_force(runtime.config))
    return {"follow_days": follow_days, "generated_at_us": now_us, "rows": [r.as_dict() for r in rows]}


@router.get("/global-holdout", summary="The whole CRM programme against the global holdout (players who get no "
            "promotion at all): players, conversion (an approved deposit), deposits and GGR over the last `days` "
            "days, and the programme's uplift with 95 % intervals and a verdict (docs/measurement.md)")
def get_global_holdout(request: Request, days: int = Query(28, ge=1, le=365),
                       currency: str | None = Query(None, pattern="^[A-Z]{3}$"),
                       _key=Depends(require_scope("read"))):  # noqa: ANN001, ANN201
    runtime = request.app.state.runtime
    with runtime.db.reader.connect() as conn:
        return exact_json(global_holdout_results(conn, runtime.config, time.time_ns() // 1000, days=days,
                                                 currency=currency))
