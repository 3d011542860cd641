"""What journeys did, over the API: a journey's counts per step (waiting now, passed,
converted, suppressed with the gate's reasons in words; entered, held out, refused and exited
by reason) and a player's journeys (where they are now, what each journey kept, and every
decision and verdict about them). Reads only, with the `read` scope; counted from the audit
log by `croupier.store.journey_counts`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from croupier.api.answers import exact_json, iso
from croupier.api.auth import require_scope
from croupier.api.journey_routes import _journey_id
from croupier.store import journey_counts
from croupier.store import journeys as journey_store

router = APIRouter(prefix="/v1", tags=["journeys"])


def counts_now(runtime: Any, journey_id: int, version: int | None = None) -> dict[str, Any]:  # noqa: ANN401
    """A journey's counts (404 when there is no such journey); the page shows the same."""
    with runtime.db.reader.connect() as conn:
        stored = journey_store.get(conn, journey_id)
        if stored is None:
            raise HTTPException(404, detail=f"no journey {journey_id}")
        if version is not None and journey_store.version(conn, journey_id, version) is None:
            raise HTTPException(404, detail=f"journey {journey_id} has no version {version}")
        return journey_counts.counts_of(runtime).journey(conn, stored, version)


@router.get("/journeys/{journey_id}/counts",
            summary="A journey's counts per step: waiting now, passed, converted, suppressed (by reason, in words)",
            description="Counted from the audit log (every journey decision and every gate verdict on a journey "
                        "step's proposal), of one `version` or of every version added up. `totals`: players "
                        "entered, held out (control group), waiting now, goals reached (by goal; control-group "
                        "players apart), refused entry and exited (by reason), proposals suppressed (by reason). "
                        "`steps`, in the definition's order: `waiting` (players waiting there now), `passed` "
                        "(reached it), `skipped` (reached, its condition did not hold), `allowed` and "
                        "`suppressed` (the gate's verdicts on what it proposed; `suppressed_reasons`: each "
                        "reason code with its words and count), `converted` (goals reached with this the last "
                        "step passed), `took` (a branch's then/else, a split's variants) and `left_here` (left "
                        "before the step, by reason).")
def journey_counts_route(journey_id: str, request: Request,
                         version: int | None = Query(None, ge=1, description="one version's counts only"),
                         _key=Depends(require_scope("read"))) -> Response:  # noqa: ANN001
    return exact_json(counts_now(request.app.state.runtime, _journey_id(journey_id), version))


def with_moments(value: Any) -> Any:  # noqa: ANN401
    """`…_us` integers as ISO 8601 moments: `entered_us` → `entered_at`, `until_us` → `until`."""
    if isinstance(value, list):
        return [with_moments(v) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for k, v in value.items():
        if k.endswith("_us") and (v is None or isinstance(v, int)):
            name = k[:-3]
            out[name if name.endswith(("at", "until")) else name + "_at"] = iso(v)
        else:
            out[k] = with_moments(v)
    return out


def player_journeys_now(runtime: Any, player_id: str) -> dict[str, Any] | None:  # noqa: ANN401
    """A player's journeys, or None when nothing is known of the player."""
    state = runtime.engine.state_of(player_id)
    with runtime.db.reader.connect() as conn:
        found = journey_counts.player_journeys(conn, state, player_id)
    if state is None and not found["happened"]:
        return None
    return found


@router.get("/players/{player_id}/journeys",
            summary="A player's journeys: where they are now, what each journey kept, and what happened, with reasons",
            description="`runs`: the journeys the player is in now (version, the step they wait at, since when, "
                        "until when, the event awaited, split variants). `journeys`: every journey they entered "
                        "(entries, latest entry and exit, held out or not, goals reached). `happened`, newest "
                        "first: every journey decision (entered, held out, refused, step, skipped, waiting, "
                        "resumed, exited, converted) with its reason in words, and the gate's verdict on every "
                        "message or bonus a journey step proposed, with its reasons.")
async def player_journeys_route(player_id: str, request: Request,
                                _key=Depends(require_scope("read"))) -> Response:  # noqa: ANN001
    found = await run_in_threadpool(player_journeys_now, request.app.state.runtime, player_id)
    if found is None:
        raise HTTPException(404, detail=f"no player {player_id!r}: no events have arrived for that id")
    return exact_json(with_moments(found))
