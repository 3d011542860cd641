"""Results in the back office: a journey's results (the same figures as
GET /v1/journeys/{id}/results) and the whole CRM programme against the global holdout (as
GET /v1/reports/global-holdout), each with its verdict in words, so a CRM manager reads
whether a journey works, and whether it is too early to say, without an API key.

Reading needs `config.view`, as the journeys themselves."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from croupier.analytics.journey_results import NotMeasurable, global_holdout_results, journey_results
from croupier.api import journey_routes as api
from croupier.api.answers import now_us
from croupier.events.money import AmountError, exponent
from croupier.web.render import render
from croupier.web.staff import Staff, require

router = APIRouter(include_in_schema=False)
READ = "config.view"
GLOBAL_PAGE = "/reports/global-holdout"
METRIC_NAMES = {"conversion": "Conversion rate", "deposits": "Deposits per player", "ggr": "GGR per player"}


def major(minor: Any, currency: str) -> Decimal | None:  # noqa: ANN401
    """A per-player figure in minor units (a decimal) as an amount of the currency."""
    if minor is None:
        return None
    try:
        return Decimal(str(minor)).scaleb(-exponent(currency))
    except AmountError:
        return Decimal(str(minor))


def _context(result: dict[str, Any]) -> dict[str, Any]:
    return {"result": result, "major": major, "metric_names": METRIC_NAMES}


@router.get("/journeys/{journey_id}/results")
def journey_results_page(request: Request, journey_id: str, goal: str | None = Query(None, max_length=64),
                         staff: Staff = Depends(require(READ))) -> Response:
    runtime = request.app.state.runtime
    problem = None
    with runtime.db.reader.connect() as conn:
        try:
            result = journey_results(conn, api._journey_id(journey_id), runtime.config, now_us(), goal=goal)
        except NotMeasurable as exc:
            problem = f"{exc}; showing the first goal."
            result = journey_results(conn, api._journey_id(journey_id), runtime.config, now_us())
    if result is None:
        raise HTTPException(404, detail=f"no journey {journey_id}")
    return render(request, "journey_results.html", staff, page="/journeys", title=f"Results of {result['name']}",
                  problem=problem, **_context(result))


@router.get(GLOBAL_PAGE)
def global_holdout_page(request: Request, days: int = Query(28, ge=1, le=365),
                        staff: Staff = Depends(require(READ))) -> Response:
    runtime = request.app.state.runtime
    with runtime.db.reader.connect() as conn:
        result = global_holdout_results(conn, runtime.config, now_us(), days=days)
    return render(request, "report_global_holdout.html", staff, page=GLOBAL_PAGE, title="The programme against "
                  "the global holdout", **_context(result))
