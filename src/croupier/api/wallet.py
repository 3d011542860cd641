"""The synchronous wallet API: money movements through the ledger (limits enforced in the
posting transaction), `POST /v1/authorize`, and player limits with history and pending
changes. Every posting's protocol event is handed to the engine after commit."""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import AfterValidator, BaseModel, Field, StrictBool
from sqlalchemy import Connection

from croupier.api import money_of_record as money
from croupier.api.auth import need_scope, principal_of, require_scope
from croupier.compliance.rules import rules_in_force
from croupier.events import bounded_minor, player_id_problem
from croupier.events.money import AmountError
from croupier.ingest.facts import append_facts
from croupier.ledger import LedgerError, PlayerContext, PostResult, TransferRequest
from croupier.ledger import sessions as ledger_sessions, views as ledger_views
from croupier.ledger.group_commit import GroupCommit
from croupier.ledger.post import post as ledger_post
from croupier.players import micros
from croupier.players.protection_state import limits_in_force
from croupier.protection import limits as limit_store
from croupier.protection.limits import LimitError, LimitRequest, set_limit
from croupier.store import states as state_store
from croupier.store.accounts import ApiKey

log = logging.getLogger("croupier.wallet")
router = APIRouter(prefix="/v1", tags=["wallet"])
T = TypeVar("T")

AmountStr = Annotated[str, Field(pattern=r"^[0-9]{1,12}(\.[0-9]{1,8})?$", examples=["50.00"],
                                 description="decimal string in major units, never a JSON number")]
CurrencyStr = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["SEK"])]
_URL_SAFE = r"^[^/\\\x00-\x1f\x7f-\x9f]+$"


def _url_segment(value: str) -> str:
    """An id that later appears in a URL (a player, a pending withdrawal, a session) follows the
    player id grammar (docs/protocol.md): otherwise the record it names could not be reached."""
    problem = player_id_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


# The pattern documents the rule; the validator enforces it with a message that says why.
SegmentId = Annotated[str, Field(min_length=1, max_length=128, json_schema_extra={"pattern": _URL_SAFE}),
                      AfterValidator(_url_segment)]
TxId = Annotated[SegmentId, Field(examples=["tx-1001"],
                                  description="your idempotency key: a retry with the same id and body returns "
                                              "the original result; another body under it is refused with 409. "
                                              "No '/', '\\' or control characters: it appears in URLs")]
Short = Annotated[str, Field(max_length=128)]


class Money(BaseModel):
    transaction_id: TxId
    amount: AmountStr
    currency: CurrencyStr
    brand: Short | None = None


class DepositBody(Money):
    method: Short | None = None
    instrument_id: Short | None = None


class BetBody(Money):
    bonus_amount: AmountStr | None = Field(None, description="bonus part of the stake; omitted: cash first, then bonus")
    bet_id: Short | None = None
    session_id: Short | None = None
    game_id: Short | None = None
    game_category: Literal["slots", "live_casino", "table", "crash", "bingo", "poker", "other"] | None = None


class WinBody(Money):
    bet_id: Short | None = None
    bonus_amount: AmountStr | None = Field(None, description="part of the payout credited to the bonus balance")
    game_id: Short | None = None


class BonusBody(Money):
    reason: Annotated[str, Field(max_length=1000)] | None = None


class AdjustmentBody(Money):
    account: Literal["cash", "bonus"] = "cash"
    direction: Literal["credit", "debit"]
    reason: Annotated[str, Field(min_length=1, max_length=1000)]
    actor: Short | None = Field(None, description="the staff user making the adjustment: kept in the audit as "
                                                  "`claimed_actor` beside the API key, which is the actor")


class SessionBody(BaseModel):
    session_id: SegmentId
    brand: Short | None = None


class AuthorizeBody(BaseModel):
    player_id: SegmentId
    kind: Literal["deposit", "bet", "withdrawal", "bonus_credit"]
    amount: AmountStr
    currency: CurrencyStr
    bonus_amount: AmountStr | None = None


class LimitBody(BaseModel):
    kind: Literal["deposit", "loss", "wager", "session_time"]
    period: Literal["day", "week", "month"]
    amount: AmountStr | None = None
    currency: CurrencyStr | None = None
    minutes: Annotated[int, Field(ge=1, le=525_600)] | None = None
    remove: StrictBool = False   # strict: "no" or 0 are refused, not read as false (or "yes" as a removal)
    source: Literal["player", "operator", "regulator"] = Field(
        "player", description="'player': the player's own limit (scope ingest); 'operator' or 'regulator': imposed "
                              "(scope protection; the player may lower it, never raise or remove it)")
    actor: Short | None = Field(None, description="a name for the record (e.g. the staff user): kept in the "
                                                  "audit as `claimed_actor` beside the API key, which is the actor")
    reason: Annotated[str, Field(max_length=1000)] | None = None
    request_id: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    brand: Short | None = None


# -- plumbing -------------------------------------------------------------------------------
_committers: weakref.WeakKeyDictionary[Any, GroupCommit] = weakref.WeakKeyDictionary()
_committers_lock = threading.Lock()


def _runtime(request: Request):  # noqa: ANN202
    return request.app.state.runtime


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _table(runtime: Any) -> dict | None:
    """The approved configuration's jurisdiction table (None: the shipped presets)."""
    return getattr(runtime.config, "jurisdictions", None) or None


def context_for(runtime: Any, player_id: str, brand: str | None = None,
                conn: Connection | None = None) -> PlayerContext:
    """Time zone, jurisdiction, brand and protection state from the engine's view of the
    player (the latest player.registered / player.updated); the wallet row keeps the last ones.
    Pass the posting's `conn` so a snapshot read happens inside that transaction (on SQLite a
    separate read would queue behind the writer for the database lock)."""
    state = runtime.engine.states.get(player_id)      # a dict read: no engine lock
    if state is None and conn is not None:             # not in memory: its last snapshot
        state = state_store.load(conn, [player_id]).get(player_id)
    elif state is None:
        with runtime.db.reader.connect() as own:
            state = state_store.load(own, [player_id]).get(player_id)
    rates = rules_in_force(runtime.config).rates
    if state is None:
        return PlayerContext(brand=brand, rules_table=_table(runtime), rates=rates)
    profile = state.profile
    return PlayerContext(rules_table=_table(runtime), brand=brand or state.brand or None, timezone=profile.get("timezone"),
                         jurisdiction=profile.get("jurisdiction"), protection=state.protection,
                         currency=state.currency, rates=rates)


def _committer(runtime: Any) -> GroupCommit:
    with _committers_lock:
        committer = _committers.get(runtime)
        if committer is None:
            committer = _committers[runtime] = GroupCommit(
                runtime.db, after_commit=lambda results: _to_engine(runtime, results))
        return committer


def _items_of(result: Any) -> list:
    if isinstance(result, list):
        return result
    return list(getattr(result, "items", None) or [])


def _to_engine(runtime: Any, results: list[Any]) -> None:
    """On the writer thread, after a batch is answered: its events, in log order. (An API
    process without the engine lease hands them to an engine that ignores them; the lease
    holder reads them from the log.)"""
    items = sorted((item for r in results for item in _items_of(r)), key=lambda item: item[0])
    if items:
        try:
            runtime.engine.submit(items)
        except Exception:  # committed: the engine picks the events up from the log on its next pass
            log.exception("engine failed on wallet events; they will be processed from the log")


def transact(runtime: Any, work: Callable[[Connection], T]) -> T:
    """Run `work` in a write transaction and return once it is durable: through the runtime's
    group commit (one fsync for every request waiting, each in its own savepoint). The
    writer hands what `work` appended to the engine right after the commit."""
    return _committer(runtime).run(work)


async def transact_async(runtime: Any, work: Callable[[Connection], T]) -> T:
    """`transact` for async endpoints: waits on the commit without holding a worker thread."""
    return await asyncio.wrap_future(_committer(runtime).submit(work))


def _minor(value: str | None, currency: str, field: str) -> int | None:
    if value is None:
        return None
    try:
        return bounded_minor(value, currency)
    except AmountError as exc:
        raise HTTPException(422, detail={"field": field, "value": value, "message": str(exc)}) from None


def _error(exc: LedgerError | LimitError) -> HTTPException:
    status = getattr(exc, "status", 422)
    return HTTPException(status, detail={"field": exc.field, "message": str(exc)})


async def respond(runtime: Any, request: TransferRequest, brand: str | None = None) -> Response:
    def work(conn: Connection) -> PostResult:
        context = money.posting_context(runtime, request.player_id, brand, conn)   # registered, ledger brand
        return ledger_post(conn, request, now=_now(), context=context)

    try:
        result: PostResult = await transact_async(runtime, work)
    except LedgerError as exc:
        raise _error(exc) from None
    except Exception as exc:  # a concurrent request took the same id on another wallet
        if type(exc).__name__ == "IntegrityError":
            raise HTTPException(409, detail={"field": "transaction_id", "message":
                                f"transaction_id {request.transfer_id!r} is already in use"}) from None
        raise
    status = 403 if result.refused else 200
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    # msgspec encodes the body several times faster than the stdlib encoder JSONResponse uses
    return Response(msgspec.json.encode(result.body), status_code=status, headers=headers,
                    media_type="application/json")


def transfer_of(player_id: str, body: Money, kind: str, **extra: Any) -> TransferRequest:
    """The posting a validated request body asks for (amounts to minor units)."""
    return TransferRequest(transfer_id=body.transaction_id, player_id=player_id, kind=kind, currency=body.currency,
                           amount=_minor(body.amount, body.currency, "amount") or 0, **extra)


async def _post(request: Request, player_id: str, body: Money, kind: str, **extra: Any) -> Response:
    return await respond(_runtime(request), transfer_of(player_id, body, kind, **extra), body.brand)


_NOT_HERE = ("; or the player is not registered (`field: player_id`, code `player_not_registered`: send "
             "player.registered first); or the brand's money of record is the operator's platform "
             "(`field: brand`, code `money_of_record_platform`: this wallet moves no money for it)")
_REFUSED = {403: {"description": "Refused by a limit, a protection rule or the balance: `reasons` says "
                                 "which limit, the period, what counted and what remains, in the limit's "
                                 "currency (money in other currencies converted at the configuration's "
                                 "exchange rates, listed in `exchange`); `exchange_rate_missing` when a "
                                 "needed rate is not configured, `foreign_currency_refused` when the "
                                 "operator refuses other currencies than the player's"},
            409: {"description": "transaction_id already used with a different body" + _NOT_HERE},
            422: {"description": "A field is invalid: `detail` names it"}}


def play_fields(body: DepositBody | BetBody | WinBody) -> dict[str, Any]:
    """A deposit's, withdrawal's, bet's or win's fields beyond the common ones, as the
    posting takes them (shared with `api.wallet_lane`)."""
    if isinstance(body, DepositBody):
        return {"method": body.method, "instrument_id": body.instrument_id}
    bonus = _minor(body.bonus_amount, body.currency, "bonus_amount")
    if isinstance(body, BetBody):
        return {"bonus_amount": bonus, "bet_id": body.bet_id, "session_id": body.session_id,
                "game_id": body.game_id, "game_category": body.game_category}
    return {"bonus_amount": bonus, "bet_id": body.bet_id, "game_id": body.game_id}


# -- money movements ------------------------------------------------------------------------
@router.post("/wallet/{player_id}/deposits", summary="Deposit (checked against every deposit limit)",
             responses=_REFUSED)
async def post_deposit(player_id: str, body: DepositBody, request: Request,
                 _key: ApiKey = Depends(require_scope("ingest"))) -> Response:
    return await _post(request, player_id, body, "deposit", **play_fields(body))


@router.post("/wallet/{player_id}/withdrawals", summary="Request a withdrawal (reserved as pending)",
             responses=_REFUSED)
async def post_withdrawal(player_id: str, body: DepositBody, request: Request,
                    _key: ApiKey = Depends(require_scope("ingest"))) -> Response:
    return await _post(request, player_id, body, "withdrawal", **play_fields(body))


async def _resolve(request: Request, player_id: str, transaction_id: str, kind: str) -> Response:
    runtime = _runtime(request)
    req = TransferRequest(transfer_id=transaction_id, player_id=player_id, kind=kind, currency="",
                          pending_id=transaction_id)
    return await respond(runtime, req)


@router.post("/wallet/{player_id}/withdrawals/{transaction_id}/settle", summary="Settle a pending withdrawal",
             responses=_REFUSED)
async def post_settle(player_id: str, transaction_id: str, request: Request,
                _key: ApiKey = Depends(require_scope("ingest"))) -> Response:
    return await _resolve(request, player_id, transaction_id, "settle")


@router.post("/wallet/{player_id}/withdrawals/{transaction_id}/void",
             summary="Void a pending withdrawal (the reserved cash is released)", responses=_REFUSED)
async def post_void(player_id: str, transaction_id: str, request: Request,
              _key: ApiKey = Depends(require_scope("ingest"))) -> Response:
    return await _resolve(request, player_id, transaction_id, "void")


@router.post("/wallet/{player_id}/bets", summary="Bet (checked against balance, loss, wager and session limits)",
             responses=_REFUSED)
async def post_bet(player_id: str, body: BetBody, request: Request,
             _key: ApiKey = Depends(require_scope("ingest"))) -> Response:
    return await _post(request, player_id, body, "bet", **play_fields(body))


@router.post("/wallet/{player_id}/wins", summary="Win (credited to cash, or partly to bonus)", responses=_REFUSED)
async def post_win(player_id: str, body: WinBody, request: Request,
             _key: ApiKey = Depends(require_scope("ingest"))) -> Response:
    return await _post(request, player_id, body, "win", **play_fields(body))


@router.post("/wallet/{player_id}/bonus-credits", summary="Credit bonus funds (counts against deposit limits)",
             responses=_REFUSED)
async def post_bonus_credit(player_id: str, body: BonusBody, request: Request,
                      _key: ApiKey = Depends(require_scope("ingest"))) -> Response:
    return await _post(request, player_id, body, "bonus_credit", reason=body.reason)


@router.post("/wallet/{player_id}/bonus-conversions", summary="Convert bonus funds to cash", responses=_REFUSED)
async def post_bonus_conversion(player_id: str, body: BonusBody, request: Request,
                          _key: ApiKey = Depends(require_scope("ingest"))) -> Response:
    return await _post(request, player_id, body, "bonus_conversion", reason=body.reason)


@router.post("/wallet/{player_id}/chargebacks", summary="Chargeback (recovered from cash as far as it goes)",
             responses=_REFUSED)
async def post_chargeback(player_id: str, body: Money, request: Request,
                    _key: ApiKey = Depends(require_scope("ingest"))) -> Response:
    return await _post(request, player_id, body, "chargeback")


@router.post("/wallet/{player_id}/adjustments", summary="Manual adjustment by staff, with a reason (audited)",
             responses=_REFUSED)
async def post_adjustment(player_id: str, body: AdjustmentBody, request: Request,
                    key: ApiKey = Depends(require_scope("admin"))) -> Response:
    return await _post(request, player_id, body, "adjustment", account=body.account, direction=body.direction,
                       reason=body.reason, actor=principal_of(key), claimed_actor=body.actor)


# -- sessions -------------------------------------------------------------------------------
def _session(request: Request, player_id: str, session_id: str, brand: str | None, started: bool) -> dict[str, Any]:
    runtime = _runtime(request)
    now = _now()
    fn = ledger_sessions.start if started else ledger_sessions.end

    def work(conn: Connection) -> list:
        ctx = money.posting_context(runtime, player_id, brand, conn)   # registered, ledger brand
        event = fn(conn, player_id, ctx.brand or "default", session_id, now)
        return append_facts(conn, [event]) if event is not None else []

    transact(runtime, work)
    return {"player_id": player_id, "session_id": session_id, "status": "started" if started else "ended"}


_SESSION_REFUSED = {409: {"description": "The player is not registered, or the brand's money of record is the "
                                         "operator's platform (whose session events count instead)"}}


@router.post("/wallet/{player_id}/sessions", summary="Start a play session (session-time limits count it)",
             responses=_SESSION_REFUSED)
def post_session(player_id: str, body: SessionBody, request: Request,
                 _key: ApiKey = Depends(require_scope("ingest"))) -> dict[str, Any]:
    return _session(request, player_id, body.session_id, body.brand, True)


@router.post("/wallet/{player_id}/sessions/{session_id}/end", summary="End a play session",
             responses=_SESSION_REFUSED)
def post_session_end(player_id: str, session_id: str, request: Request,
                     _key: ApiKey = Depends(require_scope("ingest"))) -> dict[str, Any]:
    return _session(request, player_id, session_id, None, False)


# -- reads ----------------------------------------------------------------------------------
@router.get("/wallet/{player_id}", summary="Balances, limits in force, pending limit changes, usage per limit "
            "(counted from the brand's money of record)")
def get_wallet(player_id: str, request: Request, _key: ApiKey = Depends(require_scope("read"))) -> dict[str, Any]:
    runtime = _runtime(request)
    with runtime.db.reader.connect() as conn:
        return money.usage_view(runtime, conn, player_id, context_for(runtime, player_id, conn=conn), _now())


@router.get("/wallet/{player_id}/transactions/{transaction_id}", summary="One transaction's recorded result")
def get_transaction(player_id: str, transaction_id: str, request: Request,
                    _key: ApiKey = Depends(require_scope("read"))) -> dict[str, Any]:
    with _runtime(request).db.reader.connect() as conn:
        body = ledger_views.transfer(conn, transaction_id)
    if body is None or body.get("player_id") != player_id:
        raise HTTPException(404, detail={"field": "transaction_id", "message":
                                         f"no transaction {transaction_id!r} for player {player_id!r}"})
    return body


@router.post("/authorize", summary="May this deposit / bet proceed? Allow or deny with reasons (nothing is posted)",
             description="The same checks as a posting: protection, every limit in force, and for a brand whose "
                         "money of record is the ledger, the balances. For a brand whose money of record is the "
                         "operator's platform, limits count the money events the platform sent (the figure the "
                         "wallet view and the protection panel show) and the balances are the platform's to check. "
                         "A player nobody registered is denied (`player_not_registered`).",
             responses={422: {"description": "A field is invalid: `detail` names it"}})
def post_authorize(body: AuthorizeBody, request: Request,
                   _key: ApiKey = Depends(require_scope("ingest"))) -> dict[str, Any]:
    runtime = _runtime(request)
    req = TransferRequest(transfer_id="authorize", player_id=body.player_id, kind=body.kind, currency=body.currency,
                          amount=_minor(body.amount, body.currency, "amount") or 0,
                          bonus_amount=_minor(body.bonus_amount, body.currency, "bonus_amount"))
    try:
        with runtime.db.reader.connect() as conn:
            state = money.registered_state(runtime, body.player_id, conn)
            if state is None:   # the request is still checked (422 names a bad field) before the deny
                return money.not_registered_answer(ledger_views.authorize(conn, req, now=_now()))
            context = money.context_of(runtime, state, None)
            source = money.platform_usage(state) if money.mode_of(runtime, context.brand) == "platform" else None
            return ledger_views.authorize(conn, req, now=_now(), context=context, usage_source=source)
    except LedgerError as exc:
        raise _error(exc) from None


# -- limits ---------------------------------------------------------------------------------
@router.get("/players/{player_id}/limits", summary="Limits in force, pending changes and the full history")
def get_limits(player_id: str, request: Request, _key: ApiKey = Depends(require_scope("read"))) -> dict[str, Any]:
    now = _now()
    with _runtime(request).db.reader.connect() as conn:
        rows = limit_store.history(conn, player_id)
    state = limit_store.fold_history(rows)
    return {"player_id": player_id,
            "in_force": [limit_store.view_dict(v) for _, v in sorted(limits_in_force(state, micros(now)).items())],
            "pending": [limit_store.view_dict(v) for _, v in sorted(limit_store.pending_changes(state, now).items())],
            "history": [limit_store.record_of(r) for r in rows]}


@router.post("/players/{player_id}/limits", summary="Set, change or remove a limit (decreases at once, increases "
             "and removals after the jurisdiction's cooling period)",
             responses={403: {"description": "An operator/regulator limit a player tried to raise, or the key "
                                             "lacks the scope the source needs (`ingest` for the player, "
                                             "`protection` for the operator or a regulator)"},
                        409: {"description": "A mandatory limit cannot be removed"},
                        422: {"description": "A field is invalid: `detail` names it (e.g. `amount` above the "
                                             "jurisdiction's ceiling, in another currency compared converted at "
                                             "the exchange rates in force; `currency` when there is no rate)"}})
def post_limit(player_id: str, body: LimitBody, request: Request,
               key: ApiKey = Depends(require_scope("ingest", "protection"))) -> JSONResponse:
    if body.source == "player":
        need_scope(key, "ingest", "source", body.source, "a player's own limit, relayed by the operator's "
                                                         "platform, needs the ingest scope")
    else:
        need_scope(key, "protection", "source", body.source, f"a {body.source}-set limit is a staff decision "
                                                             "and needs the protection scope")
    runtime = _runtime(request)
    ctx = context_for(runtime, player_id, body.brand)
    req = LimitRequest(kind=body.kind, period=body.period, amount=body.amount, currency=body.currency,
                       minutes=body.minutes, remove=body.remove, source=body.source, actor=principal_of(key),
                       reason=body.reason, request_id=body.request_id, claimed_actor=body.actor)
    now = _now()
    try:
        outcome = transact(runtime, lambda conn: set_limit(
            conn, player_id, ctx.brand or "default", req, now=now, rules=ctx.rules(),
            timezone_name=ctx.timezone, rates=ctx.rates))
    except LimitError as exc:
        raise _error(exc) from None
    return JSONResponse({**outcome.record, "pending": outcome.pending, "replayed": outcome.replayed},
                        status_code=200)
