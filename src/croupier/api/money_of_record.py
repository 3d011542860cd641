"""Where a brand's money is kept, and what every money movement needs before it can happen.

- The player must be registered: without player.registered no jurisdiction, age, exclusion
  or register check can apply, so no money moves (409, field `player_id`) and
  `POST /v1/authorize` denies (`player_not_registered`). A registration stored in the log
  but not yet folded by the engine counts: the player's log is folded here (`registered_state`).
- `money_of_record` (configuration, per brand) names the one source limits count:
  `ledger` (the wallet routes post, money events are refused at ingest) or `platform` (the
  wallet routes refuse, 409 field `brand`; `/v1/authorize`, the wallet view and the
  protection panel count the money events the engine folded). See docs/integration.md."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec
from fastapi import HTTPException
from sqlalchemy import Connection, select

from croupier.compliance.rules import rules_in_force
from croupier.events import decode_stored
from croupier.ledger import PlayerContext
from croupier.ledger.post import UsageSource
from croupier.ledger.views import wallet_view
from croupier.players import PlayerState, micros, money_of_record, new_state, rebuild
from croupier.players.limit_usage import session_seconds, sums
from croupier.players.protection_state import LimitView
from croupier.protection.limits_check import Refusal, Usage
from croupier.protection.limits_periods import Window, window
from croupier.store import eventlog, states as state_store
from croupier.store.schema import events


def mode_of(runtime: Any, brand: str | None) -> str:
    """`ledger` or `platform`: the configuration in force for the brand."""
    return money_of_record(runtime.config, brand)


def registered_state(runtime: Any, player_id: str, conn: Connection) -> PlayerState | None:
    """The player's state if the player is registered, else None. The engine's view first
    (memory, then its snapshot); when that does not show a registration, the log decides:
    a player.registered acknowledged but not yet folded (the engine lags, or runs in
    another process) is folded here from the player's log, so a registered player is never
    refused for the engine's delay."""
    state = runtime.engine.states.get(player_id)     # a dict read: no engine lock
    if state is None:
        state = state_store.load(conn, [player_id]).get(player_id)
    if state is not None and state.registered:
        return state
    logged = conn.execute(select(events.c.seq).where(events.c.player_id == player_id,
                                                     events.c.type == "player.registered").limit(1)).first()
    if logged is None:
        return None
    engine = runtime.engine
    history = [(seq, decode_stored(payload)) for seq, payload, _ in eventlog.player_history(conn, player_id)]
    return rebuild(player_id, history, engine.config.features, engine.rules)


REASON_CODES = ("player_not_registered", "money_of_record_platform")   # its refusal codes (compliance.reasons)


def not_registered(player_id: str, retry: str = " (the same transaction_id is safe to reuse)") -> str:
    return (f"player {player_id!r} is not registered: without player.registered no jurisdiction, age, exclusion "
            "or register check can apply, so no money moves for it. Send the player's player.registered event "
            f"first (POST /v1/events), then repeat this request{retry}")


def context_of(runtime: Any, state: PlayerState, brand: str | None) -> PlayerContext:
    """What the ledger needs from the engine's view of the player, with the exchange rates
    of the configuration in force (limits count every currency, converted)."""
    profile = state.profile
    return PlayerContext(rules_table=getattr(runtime.config, "jurisdictions", None) or None,
                         brand=brand or state.brand or None, timezone=profile.get("timezone"),
                         jurisdiction=profile.get("jurisdiction"), protection=state.protection,
                         currency=state.currency, rates=rules_in_force(runtime.config).rates)


def posting_context(runtime: Any, player_id: str, brand: str | None, conn: Connection) -> PlayerContext:
    """The context a wallet posting runs with, once it may run at all: the player is
    registered and the brand's money of record is the ledger (else 409 naming the field)."""
    state = registered_state(runtime, player_id, conn)
    if state is None:
        raise HTTPException(409, detail={"field": "player_id", "value": player_id, "code": "player_not_registered",
                                         "message": not_registered(player_id)})
    context = context_of(runtime, state, brand)
    name = context.brand or "default"
    if mode_of(runtime, name) != "ledger":
        raise HTTPException(409, detail={
            "field": "brand", "value": name, "code": "money_of_record_platform",
            "message": f"brand {name!r} keeps its money on the operator's platform (money_of_record: platform): "
                       "Croupier's wallet moves no money for it, and limits count the money events the platform "
                       "sends. Ask POST /v1/authorize before moving money and send the events after "
                       f"(POST /v1/events), or have a configuration version set money_of_record.{name} to "
                       "\"ledger\" to use this wallet"})
    return context


def platform_usage(state: PlayerState) -> UsageSource:
    """Limit usage as the engine folded the platform's money events (UTC calendar periods:
    `players.limit_usage`), in the shape of the ledger's `usage_for`. The fold has already
    converted money events in other currencies into the player's currency (at the rates in
    force at each event's log position), so all of it is in `state.currency`; the ledger
    converts that into the currency of each limit (`ledger.fx`), as it does its own postings."""
    def usage_for(conn: Connection, player_id: str, views: dict[str, LimitView], now: datetime,
                  tz: str | None, *, bet: bool = True) -> tuple[dict[str, Window], dict[str, dict[str, Usage]],
                                                               dict[str, Usage]]:
        now_us = micros(now)
        windows: dict[str, Window] = {}
        money: dict[str, Usage] = {}
        sessions: dict[str, Usage] = {}
        for view in views.values():
            w = windows[view.period] = window(view.period, now, "UTC")
            first, last = w.first_day - _EPOCH_ORDINAL, w.today - _EPOCH_ORDINAL   # UTC days since 1970
            money[view.period] = Usage(*sums(state, first, last))
            if view.kind == "session_time":
                sessions[view.period] = Usage(session_seconds=session_seconds(state, first, now_us))
        return windows, ({state.currency: money} if state.currency else {}), sessions

    return usage_for


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def not_registered_answer(answer: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/authorize`'s answer for a player nobody registered: deny, whatever else held."""
    refusal = Refusal(code="player_not_registered", message="Refused: " + not_registered(answer["player_id"], ""))
    return {**answer, "decision": "deny", "reasons": [msgspec.to_builtins(refusal)]}


def usage_view(runtime: Any, conn: Connection, player_id: str, context: PlayerContext, now: datetime,
               state: PlayerState | None = None) -> dict[str, Any]:
    """`GET /v1/wallet/{player_id}`: balances, limits and their usage counted from the
    brand's money of record (the ledger's postings, or the platform's money events as the
    engine folded them: `state`, else the engine's). The protection panel shows these figures."""
    mode = mode_of(runtime, context.brand)
    source = None
    if mode == "platform":
        state = state or registered_state(runtime, player_id, conn) or runtime.engine.state_of(player_id)
        source = platform_usage(state or new_state(player_id))
    view = wallet_view(conn, player_id, now=now, context=context, usage_source=source)
    return {**view, "money_of_record": mode}


def money_view(runtime: Any, state: PlayerState, now: datetime) -> dict[str, Any]:
    """For the player-360 view and its protection panel: the brand's money of record, per
    (limit, currency) what counted and what remains exactly as the wallet view and
    `/v1/authorize` count it, and the ledger's balances."""
    with runtime.db.reader.connect() as conn:
        view = usage_view(runtime, conn, state.player_id, context_of(runtime, state, None), now, state)
    return {"money_of_record": view["money_of_record"], "wallets": view["wallets"],
            "figures": {(row["limit"], row["currency"]): row for row in view["usage"] if "currency" in row}}
