"""The player-360 view, shared by the API and the back office."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, func, or_, select

from croupier.api.answers import iso as _iso
from croupier.api.money_of_record import money_view
from croupier.api.runtime import Runtime
from croupier.compliance.gate import limit_usage
from croupier.compliance.rates import NO_RATES, RateTable
from croupier.compliance.rules import RgRules, rules_for, rules_in_force
from croupier.engine.react import LIFECYCLE_MESSAGES
from croupier.events import format_amount
from croupier.players import compute_features
from croupier.players.protection_state import active_exclusions
from croupier.protection.risk import explain as risk_explanation
from croupier.privacy.tipping_off import decision_for_viewer, timeline_for_viewer
from croupier.store import audit as audit_store
from croupier.store import eventlog, outbox
from croupier.store.schema import players
from croupier.store.states import RISK_LEVELS

PII_FIELDS = ("email", "phone", "first_name", "last_name", "birth_date", "ip", "device_id")


def mask(field: str, value: Any) -> Any:
    """Hide contact details from roles without players.pii, keeping enough to recognise."""
    if value is None or not isinstance(value, str):
        return value
    if field == "email" and "@" in value:
        local, domain = value.split("@", 1)
        return f"{local[:1]}***@{domain}"
    if field == "birth_date":
        return value[:4] + "-**-**"
    if field in ("first_name", "last_name"):
        return value[:1] + "."
    return "***" + value[-2:] if len(value) > 4 else "***"


def timeline(conn: Connection, player_id: str, limit: int = 50, before_seq: int | None = None) -> list[dict[str, Any]]:
    rows = eventlog.player_history(conn, player_id, before_seq - 1 if before_seq else None,
                                   limit=limit, newest_first=True)
    out = []
    for seq, payload, received_us in rows:
        body = json.loads(payload)
        out.append({"seq": seq, "event_id": body.get("event_id"), "type": body.get("type"),
                    "occurred_at": body.get("occurred_at"), "received_at": _iso(received_us),
                    "event": body})
    return out


def player_360(runtime: Runtime, player_id: str, *, pii: bool = True, timeline_limit: int = 50,
               aml: bool = True) -> dict[str, Any] | None:
    """Everything about one player. Without `aml` (a viewer who may not see AML status) the
    gate's AML reasons read `compliance_hold`, and AML records and the AML status are left out
    (no tipping off)."""
    state = runtime.engine.state_of(player_id)
    with runtime.db.reader.connect() as conn:
        events = timeline(conn, player_id, timeline_limit)
        if state is None and not events:
            return None
        messages = outbox.for_player(conn, player_id)
        decisions = audit_store.for_player(conn, player_id)
    now_us = time.time_ns() // 1000
    profile: dict[str, Any] = {}
    features: dict[str, Any] = {}
    money: dict[str, Any] = {"money_of_record": None, "wallets": [], "figures": {}}
    if state is not None:
        profile = {k: (v if pii or k not in PII_FIELDS else mask(k, v)) for k, v in state.profile.items()}
        features = compute_features(state, now_us, runtime.config.features)
        money = money_view(runtime, state, datetime.fromtimestamp(now_us / 1_000_000, tz=timezone.utc))
    registered = bool(state and state.registered)
    return {
        "player_id": player_id,
        "brand": state.brand if state else None,
        "registered": registered,
        "status": "registered" if registered else
                  "unregistered: events arrived before player.registered; they are kept and counted",
        "profile": profile,
        "consents": state.consents if state else {},
        "kyc": {"status": state.kyc_status if state else None, "level": state.kyc_level if state else None},
        "balances": _balances(state, money),
        "lifecycle_stage": features.get("lifecycle_stage"),
        "event_count": state.event_count if state else 0,
        "first_event_at": _iso(state.first_event_us) if state else None,
        "last_event_at": _iso(state.last_event_us) if state else None,
        "features": features,
        "timeline": timeline_for_viewer(events, aml),
        "messages": [{"action_id": m["action_id"], "kind": m["kind"], "channel": m["channel"],
                      "status": m["status"], "created_at": _iso(m["created_at_us"]),
                      "name": json.loads(m["body"]).get("name")} for m in messages],
        "decisions": [{**decision_for_viewer(json.loads(d["body"]), aml), "seq": d["seq"], "at": _iso(d["at_us"]),
                       "record_kind": d["kind"], "config_version": d["config_version"]}
                      for d in decisions if aml or not d["kind"].startswith("aml.")],
        "protection": _protection(runtime, state, now_us, aml, money) if state is not None else None,
    }


def _balances(state, money: dict[str, Any]) -> dict[str, Any]:  # noqa: ANN001 - PlayerState
    """The balance of record: the ledger's (in the player's currency, else its first wallet)
    where the ledger is the brand's wallet, else the latest the platform reported."""
    if money["money_of_record"] == "ledger":
        wallets = money["wallets"]
        wallet = next((w for w in wallets if w["currency"] == state.currency), wallets[0] if wallets else None)
        return {"currency": wallet["currency"] if wallet else state.currency,
                "balance": wallet["cash"] if wallet else None, "bonus_balance": wallet["bonus"] if wallet else None,
                "reported_at": None, "note": "Croupier's ledger (money_of_record: ledger): GET /v1/wallet/{player_id}"}
    return {"currency": state.currency if state else None,
            "balance": state.balance if state else None,
            "bonus_balance": state.bonus_balance if state else None,
            "reported_at": _iso(state.balance_at_us) if state else None,
            "note": "as reported by the operator's wallet on its latest event"}


def _protection(runtime: Runtime, state, now_us: int, aml: bool, money: dict[str, Any]) -> dict[str, Any]:  # noqa: ANN001
    """The protection view with each money limit's usage from the brand's money of record:
    the figure the wallet view and `/v1/authorize` show."""
    in_force = rules_in_force(runtime.config)
    view = protection_view(state, now_us, *_register_named(runtime, state), money["figures"],
                           money["money_of_record"], in_force.rates,
                           in_force.of(state.profile.get("jurisdiction")).rg)
    view["money_of_record"] = money["money_of_record"]
    if not aml:
        view["aml"] = None
    return view


def _register_named(runtime: Runtime, state) -> tuple[str | None, bool]:  # noqa: ANN001 - PlayerState
    """The national register the rules in force name for the player's jurisdiction, and
    whether they opt the market out of it."""
    table = getattr(runtime.engine.config, "jurisdictions", None) or None
    exclusions = rules_for(state.profile.get("jurisdiction"), table).exclusions
    return exclusions.register, exclusions.register_opt_out


def register_check_view(p, register: str | None, opted_out: bool = False) -> dict[str, Any]:  # noqa: ANN001
    """The national register check as the gate reads it: pending (registered, not yet
    screened), clear, hit, unavailable, not_configured or opted_out (None where the market
    names no register), since when, and the lifecycle messages waiting for its answer.
    `opted_out`: the rules in force opt the market out of its register."""
    status = p.register_check or None
    unconfigured = status == "not_configured" or (status == "opted_out" and not opted_out)
    return {"register": register, "status": status, "at": _iso(p.register_check_us or None),
            "holds_promotions": status in ("pending", "unavailable") or (unconfigured and register is not None),
            "opted_out": opted_out,
            "waiting": [LIFECYCLE_MESSAGES[f][0] for f in p.register_held if f in LIFECYCLE_MESSAGES]}


def protection_view(state, now_us: int, register: str | None = None,  # noqa: ANN001 - PlayerState
                    opted_out: bool = False, figures: dict[tuple[str, str], dict[str, str]] | None = None,
                    mode: str | None = None, rates: RateTable = NO_RATES, rg: RgRules | None = None) -> dict[str, Any]:
    """Limits in force with pending changes, active exclusions, the national register check,
    RG risk with its markers and history, as folded from the log: what the gate sees when it
    decides. `register` is the register the player's market names; `opted_out`, whether the
    rules in force opt the market out of it; `figures` the usage per (limit, currency) from the
    brand's money of record `mode` (`api.money_of_record.money_view`); a limit without one shows
    what the engine folded (converted into the limit's currency at `rates`, as the wallet view
    converts), unless the ledger keeps the money. `rg` are the RG rules of the player's market
    in force (their score levels and calm days explain the level; None: the defaults)."""
    p = state.protection
    limits = []
    for key, view in sorted(p.limits.items()):
        current = view if (view.amount_minor is not None or view.minutes is not None) else None
        pending = view.pending
        if pending is not None and pending.effective_us <= now_us:
            # its time has come: it is the limit in force (as limits_in_force and every check
            # read it), though the fold promotes it only at the player's next limit event
            current = None if (pending.amount_minor is None and pending.minutes is None) else pending
            pending = None
            if current is None:
                continue
        row = {"key": key, "kind": view.kind, "period": view.period,
               "current": _limit_row(state, current, now_us, key, figures, mode, rates) if current is not None else None,
               "pending": None}
        if pending is not None:
            row["pending"] = {**_limit_row(state, pending, now_us, key, figures, mode, rates), "remaining": None,
                              "takes_effect_at": _iso(pending.effective_us),
                              "removal": pending.amount_minor is None and pending.minutes is None}
        limits.append(row)
    return {
        "limits": limits,
        "exclusions": [{"exclusion_id": x.exclusion_id, "kind": x.kind, "scope": x.scope, "brand": x.brand,
                        "started_at": _iso(x.started_us), "until": _iso(x.until_us) if x.until_us else None,
                        "indefinite": x.until_us is None, "source": x.source}
                       for x in active_exclusions(p, now_us)],
        "register_check": register_check_view(p, register, opted_out),
        "person_id": p.person_id, "person_evidence": list(p.person_evidence),
        "risk_level": p.risk_level, "risk_since": _iso(p.risk_since_us),
        "risk": risk_explanation(p, now_us, rg),
        "markers": [{"name": m.name, "severity": m.severity, "first_seen": _iso(m.first_us),
                     "last_seen": _iso(m.last_us), "explanation": m.explanation}
                    for m in sorted(p.markers.values(), key=lambda m: (-m.severity, m.name))],
        "risk_history": [{"at": _iso(entry[0]), "level": entry[1], "markers": list(entry[2]),
                          "score": entry[3] if len(entry) > 3 else None,
                          "config_version": entry[4] if len(entry) > 4 else None,
                          "risk_score": entry[5] / 10_000 if len(entry) > 5 else None,
                          "model_version": entry[6] if len(entry) > 6 else None,
                          "cause": entry[7] if len(entry) > 7 else None}
                         for entry in reversed(p.risk_history)],
        "interventions": [{"kind": i.kind, "at": _iso(i.at_us), "level": i.level, "markers": list(i.markers),
                           "variant": i.variant, "status": i.status, "config_version": i.config_version or None,
                           "model_version": i.model_version or None}
                          for i in reversed(p.interventions)],
        "open_cases": sum(1 for i in p.interventions if i.status == "open"),
        "promotions_paused": p.promotions_paused, "deposits_blocked": p.deposits_blocked,
        "reality_checks": p.reality_checks,
        "aml": aml_view(p),
    }


def aml_view(p) -> dict[str, Any]:  # noqa: ANN001 - ProtectionState
    """The AML status as compliance staff see it: current, since when, the latest changes
    newest first (the back office shows it only to roles with aml.view)."""
    return {"status": p.aml_status, "since": _iso(p.aml_since_us),
            "history": [{"at": _iso(at_us), "status": status, "source": source, "actor": who, "reason": reason}
                        for at_us, status, source, who, reason in reversed(p.aml_history)]}


def _limit_row(state, view, now_us: int, key: str = "",  # noqa: ANN001
               figures: dict[tuple[str, str], dict[str, str]] | None = None, mode: str | None = None,
               rates: RateTable = NO_RATES) -> dict[str, Any]:
    """One limit's row; money in the limit's currency, as the wallet view shows it."""
    amount = (format_amount(view.amount_minor, view.currency)
              if view.amount_minor is not None and view.currency else None)
    row = {"source": view.source, "amount": amount, "currency": view.currency, "minutes": view.minutes,
           "in_force_since": _iso(view.effective_us) if view.effective_us else None, "used": None, "remaining": None}
    if view.amount_minor is None or not view.currency:
        return row
    figure = figures.get((key, view.currency)) if figures is not None else None
    if figure is not None:
        row.update(used=figure["counted"], remaining=figure["remaining"])
    elif mode != "ledger" and view.kind in ("deposit", "loss", "wager"):   # the engine's fold: the platform's figure
        used = limit_usage(state, view.kind, view.period, now_us, view.currency, rates)
        if used is None:   # no rate to count it in the limit's currency: nothing remains (as the wallet view says)
            row.update(remaining=format_amount(0, view.currency))
        else:
            row.update(used=format_amount(used, view.currency),
                       remaining=format_amount(max(0, view.amount_minor - used), view.currency))
    return row


def _matching(query: str):  # noqa: ANN202 - a SQLAlchemy condition, or None for every player
    """Players whose id, email or last name starts with `query`, case-insensitive."""
    q = query.strip().lower()
    if not q:
        return None
    like = q.replace("%", r"\%").replace("_", r"\_") + "%"
    return or_(func.lower(players.c.player_id).like(like, escape="\\"),
               func.lower(players.c.email).like(like, escape="\\"),
               func.lower(players.c.last_name).like(like, escape="\\"))


def search(conn: Connection, query: str, limit: int = 50, *, pii: bool = True, offset: int = 0) -> list[dict[str, Any]]:
    """Players whose id, email or last name starts with `query` (case-insensitive), newest
    activity first; an empty query lists the most recently active players. `offset` skips
    that many matches, for paging (with `count_matches` for the total); ties in activity
    are ordered by id so that pages neither repeat nor skip a player."""
    stmt = (select(players).order_by(players.c.last_event_at_us.desc().nulls_last(), players.c.player_id)
            .limit(limit).offset(max(0, offset)))
    condition = _matching(query)
    if condition is not None:
        stmt = stmt.where(condition)
    return [_player_row(r, pii) for r in conn.execute(stmt)]


def count_matches(conn: Connection, query: str) -> int:
    """How many players `search` pages through for `query` (all players for an empty one)."""
    stmt = select(func.count()).select_from(players)
    condition = _matching(query)
    if condition is not None:
        stmt = stmt.where(condition)
    return int(conn.execute(stmt).scalar_one())


def _player_row(r, pii: bool) -> dict[str, Any]:  # noqa: ANN001 - a players row
    """A `players` row as the API shows it: ISO times, the risk level named, contact details
    masked for roles without players.pii."""
    row = dict(r._mapping)
    row["risk_level"] = RISK_LEVELS[row.pop("risk_rank", None) or 0]
    row["risk_since"] = _iso(row.pop("risk_since_us", None))
    bp = row.pop("risk_bp", None)
    row["risk_score"] = None if bp is None else round(bp / 10_000, 4)
    row["registered_at"] = _iso(row.pop("registered_at_us"))
    row["last_event_at"] = _iso(row.pop("last_event_at_us"))
    if not pii:
        for field in PII_FIELDS:
            if field in row:
                row[field] = mask(field, row[field])
    return row


def rg_queue(conn: Connection, min_level: str = "medium", limit: int = 100, *, pii: bool = True) -> list[dict[str, Any]]:
    """Players at or above `min_level` of RG risk, highest first and longest-waiting first
    within a level: the RG officer's queue."""
    rank = RISK_LEVELS.index(min_level)
    stmt = (select(players).where(players.c.risk_rank >= rank)
            .order_by(players.c.risk_rank.desc(), players.c.risk_since_us.asc().nulls_last()).limit(limit))
    return [_player_row(r, pii) for r in conn.execute(stmt)]


def queue_rows(conn: Connection, player_ids: list[str], *, pii: bool = True) -> list[dict[str, Any]]:
    """These players as RG queue rows, in the queue's order, whatever their level now (an
    officer's own cases stay on their list when the risk falls)."""
    if not player_ids:
        return []
    stmt = (select(players).where(players.c.player_id.in_(player_ids))
            .order_by(players.c.risk_rank.desc().nulls_last(), players.c.risk_since_us.asc().nulls_last()))
    return [_player_row(r, pii) for r in conn.execute(stmt)]
