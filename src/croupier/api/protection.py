"""REST API for exclusions, access checks, persons, national registers and reality checks.

A player's own request relayed by the operator's platform (a self-exclusion, a time-out, its
end as the rules allow) takes the `ingest` scope; a staff decision (an exclusion imposed by
staff, an end by the operator's decision) takes `protection`. The key is the actor the audit
records; a name the body gives is kept beside it as `claimed_actor`."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from croupier.api.auth import need_scope, principal_of, require_scope
from croupier.protection import exclusions as ex
from croupier.protection.exclusions_hook import access_check, policy_for, register_markets, tick
from croupier.protection.exclusions_rules import ExclusionRefused
from croupier.protection.persons import Identity, person_view, rebuild_persons
from croupier.protection.reality import set_interval
from croupier.protection.registers import RegisterUnavailable, register_status

router = APIRouter(prefix="/v1", tags=["protection"])
log = logging.getLogger("croupier.protection")


class ExclusionRequest(BaseModel):
    kind: Literal["self_exclusion", "timeout", "cooling_off", "panic", "closure", "operator"]
    period: str | None = Field(None, description="ISO 8601 duration (P7D, P6M, P1Y, PT24H) or 'indefinite'",
                               examples=["P6M"])
    scope: Literal["brand", "operator", "national"] | None = Field(
        None, description="Wider than the jurisdiction's scope if the player asks; never narrower")
    until: datetime | None = Field(None, description="operator exclusions: an end time instead of a period")
    reason: str | None = Field(None, max_length=2_000)
    requested_by: Literal["player", "operator"] | None = Field(
        None, description="'player': the player's own request (scope ingest); 'operator': imposed by staff "
                          "(scope protection; only the operator may end it). Default: 'operator' for kind "
                          "operator, else 'player'")
    actor: str | None = Field(None, max_length=128, description="a name for the record (e.g. the staff user); "
                              "kept in the audit as `claimed_actor` beside the API key, which is the actor")


class EndRequest(BaseModel):
    requested_by: Literal["player", "operator"] = Field(
        "player", description="'player': the player's request (scope ingest; never ends an exclusion staff "
                              "imposed, nor one within the jurisdiction's minimum); 'operator': the operator's "
                              "decision (scope protection)")
    actor: str | None = Field(None, max_length=128, description="kept in the audit as `claimed_actor`")
    reason: str | None = Field(None, max_length=2_000)


class IdentityIn(BaseModel):
    """Plain identifiers are hashed on arrival and never stored; or send the hashes."""

    national_id: str | None = Field(None, max_length=64)
    national_id_hash: str | None = Field(None, pattern=r"^[0-9a-fA-F]{64}$")
    email: str | None = Field(None, max_length=256)
    phone: str | None = Field(None, max_length=64)
    first_name: str | None = Field(None, max_length=256)
    last_name: str | None = Field(None, max_length=256)
    birth_date: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$")

    def hashed(self) -> Identity:
        return Identity.from_profile(self.model_dump(exclude_none=True))


class AccessCheck(BaseModel):
    action: Literal["registration", "login", "deposit", "bet", "marketing"]
    identity: IdentityIn | None = Field(None, description="registration: the applicant's identifiers")
    brand: str | None = Field(None, max_length=128)
    jurisdiction: str | None = Field(None, max_length=64)


class RealityCheckSetting(BaseModel):
    interval_minutes: int = Field(..., ge=5, le=24 * 60)


def _runtime(request: Request):  # noqa: ANN202
    return request.app.state.runtime


def _now() -> datetime:
    return datetime.now(timezone.utc)


_STAFF = "a staff decision (imposed by the operator) needs the protection scope"
_PLAYER = "a player's own request relayed by the operator's platform needs the ingest scope"
_SCOPE_403 = {403: {"description": "The key lacks the scope this request needs: `ingest` for a player's own "
                                   "request, `protection` for a staff decision; `field` and `value` say which"}}


def authorise_request(key: Any, requested_by: str, field: str) -> None:  # noqa: ANN401
    """A player's request needs `ingest`; the operator's decision needs `protection`."""
    if requested_by == "player":
        need_scope(key, "ingest", field, requested_by, _PLAYER)
    else:
        need_scope(key, "protection", field, requested_by, _STAFF)


def claimed(actor: str | None) -> dict[str, str]:
    """A name the request supplied, labelled as such for the audit body."""
    return {"claimed_actor": actor} if actor else {}


def _submit(runtime: Any, stored: list) -> bool:  # noqa: ANN401
    """Hand stored facts to the engine; they are durable either way (it retries from the log)."""
    if not stored:
        return True
    try:
        runtime.engine.submit(stored)
        return True
    except Exception:
        log.exception("engine failed on protection facts; it will process them on retry")
        return False


@router.post("/players/{player_id}/exclusions", status_code=201,
             summary="Start an exclusion: self-exclusion, time-out, cooling-off, panic button, closure, operator",
             responses={**_SCOPE_403, 409: {"description": "Already excluded in a way that makes this moot"},
                        422: {"description": "Not allowed by the jurisdiction's rules; `allowed` lists what is"}})
def post_exclusion(player_id: str, body: ExclusionRequest, request: Request,
                   key=Depends(require_scope("ingest", "protection"))) -> dict[str, Any]:  # noqa: ANN001
    requested_by = body.requested_by or ("operator" if body.kind == "operator" else "player")
    if body.kind == "operator" and requested_by == "player":
        raise HTTPException(422, detail={"field": "requested_by", "value": requested_by,
                                         "message": "an operator exclusion is imposed by staff, not requested "
                                                    "by the player"})
    authorise_request(key, requested_by, "kind" if body.kind == "operator" else "requested_by")
    runtime = _runtime(request)
    policy = policy_for(runtime.engine)
    try:
        with runtime.db.engine.begin() as conn:
            outcome = ex.start_exclusion(conn, player_id, body.kind, body.period, _now(), actor=principal_of(key),
                                         reason=body.reason, scope=body.scope, until=body.until,
                                         source=requested_by, rules=policy.rules_of,
                                         attribution=claimed(body.actor))
    except ExclusionRefused as exc:
        raise HTTPException(422, detail=exc.as_dict()) from None
    processed = _submit(runtime, outcome.stored)
    return {"exclusion": outcome.exclusion, "facts": len(outcome.stored), "processed": processed}


@router.get("/players/{player_id}/exclusions", summary="Exclusions that apply to an account (its own and "
            "those of the same person's other accounts whose scope covers it)")
def get_exclusions(player_id: str, request: Request, active: bool = False,
                   _key=Depends(require_scope("read"))) -> dict[str, Any]:  # noqa: ANN001
    with _runtime(request).db.reader.connect() as conn:
        return {"player_id": player_id, "exclusions": ex.exclusions_of(conn, player_id, _now(), not active)}


@router.post("/players/{player_id}/exclusions/{exclusion_id}/end",
             summary="End an exclusion, or request reactivation, as the jurisdiction's rules allow",
             responses={**_SCOPE_403, 404: {"description": "No such exclusion for this player"},
                        409: {"description": "The rules do not allow it now (or, at the player's request, staff "
                                             "imposed it); `error` says why"}})
def post_end(player_id: str, exclusion_id: str, body: EndRequest, request: Request,
             key=Depends(require_scope("ingest", "protection"))) -> dict[str, Any]:  # noqa: ANN001
    authorise_request(key, body.requested_by, "requested_by")
    runtime = _runtime(request)
    policy = policy_for(runtime.engine)
    try:
        with runtime.db.engine.begin() as conn:
            if exclusion_id not in {x["exclusion_id"] for x in ex.exclusions_of(conn, player_id, _now())}:
                raise LookupError(exclusion_id)
            outcome = ex.end_exclusion(conn, exclusion_id, _now(), actor=principal_of(key),
                                       requested_by=body.requested_by, reason=body.reason, rules=policy.rules_of,
                                       attribution=claimed(body.actor))
    except LookupError:
        raise HTTPException(404, detail=f"player {player_id!r} has no exclusion {exclusion_id!r}") from None
    except ExclusionRefused as exc:
        raise HTTPException(409, detail=exc.as_dict()) from None
    processed = _submit(runtime, outcome.stored)
    return {"exclusion": outcome.exclusion, "facts": len(outcome.stored), "processed": processed}


@router.get("/players/{player_id}/exclusions/{exclusion_id}/ending",
            summary="What the jurisdiction's rules allow for ending an exclusion now",
            description="The reactivation rule in words, the earliest end of the chosen period, and for an "
                        "end at the player's request and at the operator's: allowed or not, the rule's reason, "
                        "and when the account would reopen (later than now: a cooling-off).",
            responses={404: {"description": "No such active exclusion for this player"}})
def get_ending(player_id: str, exclusion_id: str, request: Request,
               _key=Depends(require_scope("read"))) -> dict[str, Any]:  # noqa: ANN001
    runtime = _runtime(request)
    with runtime.db.reader.connect() as conn:
        found = ex.ending_options(conn, player_id, _now(), policy_for(runtime.engine).rules_of, exclusion_id)
    if not found:
        raise HTTPException(404, detail=f"player {player_id!r} has no active exclusion {exclusion_id!r}")
    return found[0]


@router.post("/players/{player_id}/access-check",
             summary="May this account register, log in, deposit, bet or be marketed to now?",
             description="Checks every exclusion of the same person across brands; at registration and "
                         "login also asks the jurisdiction's national register, refusing when it cannot "
                         "be asked (fail closed).")
def post_access_check(player_id: str, body: AccessCheck, request: Request,
                      _key=Depends(require_scope("read"))) -> dict[str, Any]:  # noqa: ANN001
    identity = body.identity.hashed() if body.identity else None
    verdict = access_check(_runtime(request).engine, player_id, body.action, _now(), identity=identity,
                           brand=body.brand, jurisdiction=body.jurisdiction)
    return {"player_id": player_id, "action": body.action} | verdict.as_dict()


@router.get("/players/{player_id}/person", summary="The person behind an account: linked accounts and evidence")
def get_person(player_id: str, request: Request, _key=Depends(require_scope("read"))) -> dict[str, Any]:  # noqa: ANN001
    with _runtime(request).db.reader.connect() as conn:
        return person_view(conn, player_id)


@router.post("/persons/rebuild", summary="Re-match every account into persons from the stored identities")
def post_rebuild(request: Request, key=Depends(require_scope("admin"))) -> dict[str, Any]:  # noqa: ANN001
    runtime = _runtime(request)
    now = _now()
    with runtime.db.engine.begin() as conn:
        facts, joined, persons = rebuild_persons(conn, now, actor=principal_of(key))
        stored = ex.append_facts(conn, facts) if facts else []
        stored += ex.propagate_to(conn, [pid for pid, _ in joined], now)
    processed = _submit(runtime, sorted(stored, key=lambda item: item[0]))
    return {"persons": persons, "changed_links": len(facts), "processed": processed}


@router.put("/players/{player_id}/reality-check", summary="The player's own reality-check interval")
def put_reality_check(player_id: str, body: RealityCheckSetting, request: Request,
                      _key=Depends(require_scope("ingest"))) -> dict[str, Any]:  # noqa: ANN001
    with _runtime(request).db.engine.begin() as conn:
        set_interval(conn, player_id, body.interval_minutes, _now())
    return {"player_id": player_id, "interval_minutes": body.interval_minutes}


@router.get("/registers", summary="National registers: configured adapters and imported lists")
def get_registers(request: Request, _key=Depends(require_scope("read"))) -> dict[str, Any]:  # noqa: ANN001
    runtime = _runtime(request)
    registers = policy_for(runtime.engine).all_registers()
    with runtime.db.reader.connect() as conn:
        lists = {r["register"]: r for r in register_status(conn)}
    return {"registers": [{"register": name, "adapter": type(reg).__name__, "list": lists.get(name)}
                          for name, reg in sorted(registers.items())]}


class MarketRegister(BaseModel):
    jurisdiction: str
    name: str
    register_name: str = Field(alias="register", description="the national register the market's rules name")
    status: Literal["configured", "opted_out", "missing"] = Field(
        description="configured: an adapter or an imported list answers; opted_out: not configured, and the "
                    "approved rules opt the market out (promotions pass, noted register_opted_out:<REGISTER>); "
                    "missing: not configured, so every promotion there is held (register_not_configured:<NAME>)")
    held: int = Field(description="accounts recorded as waiting for a register nobody configured")
    opt_out_reason: str | None = None


class RegistersStatus(BaseModel):
    missing: list[str] = Field(description="markets whose register is missing: marketing there is held")
    held_players: int = Field(description="accounts held for a missing register, all markets")
    markets: list[MarketRegister]


@router.get("/registers/status", response_model=RegistersStatus,
            summary="Markets whose national register is missing, and how many players wait for it",
            description="Marketing fails closed: in a market whose rules name a register nobody configured "
                        "or imported, every promotion is held until the register is configured and answers, "
                        "or the market is opted out through an approved configuration "
                        "(`exclusions.register_opt_out`).")
def get_registers_status(request: Request, _key=Depends(require_scope("read"))) -> dict[str, Any]:  # noqa: ANN001
    markets = register_markets(_runtime(request).engine)
    missing = [m for m in markets if m["status"] == "missing"]
    return {"missing": [m["jurisdiction"] for m in missing],
            "held_players": sum(m["held"] for m in markets), "markets": markets}


@router.post("/registers/{register}/check", summary="Ask one register about an identity (hashed on arrival)",
             responses={503: {"description": "The register could not be asked"}})
def post_register_check(register: str, body: IdentityIn, request: Request,
                        _key=Depends(require_scope("read"))) -> dict[str, Any]:  # noqa: ANN001
    adapter = policy_for(_runtime(request).engine).all_registers().get(register)
    if adapter is None:
        raise HTTPException(404, detail=f"register {register!r} is neither configured nor imported")
    try:
        hit = adapter.check(body.hashed())
    except RegisterUnavailable as exc:
        raise HTTPException(503, detail={"error": str(exc), "register": register}) from None
    return {"register": register, "listed": hit is not None,
            "matched_on": hit.matched_on if hit else None,
            "until": hit.until.isoformat() if hit and hit.until else None}


@router.post("/protection/tick", summary="Run protection's timers now: automatic ends, reality checks, "
             "register refreshes (the engine loop runs them every 15 s)")
def post_tick(request: Request, _key=Depends(require_scope("admin"))) -> dict[str, Any]:  # noqa: ANN001
    report = tick(_runtime(request).engine, force=True)
    return {"ended": report.ended, "reality_checks": report.reality_checks, "refreshed": report.refreshed,
            "rescreened": report.rescreened, "reconsidered": report.reconsidered}
