"""Audit search, the regulator's export (CSV and JSON), and "why did player X receive / not
receive Y", answered from the hash-chained audit log. Shared by the API and the back office."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from croupier.api.auth import require_scope, sees_aml
from croupier.compliance.reasons import explain_all, in_words
from croupier.privacy.tipping_off import decision_for_viewer
from croupier.store import Database
from croupier.store import audit as audit_store
from croupier.store.schema import MAX_SEQ

router = APIRouter(prefix="/v1")
# `explanation` (last, so the columns before it keep their places) says a record's reason
# codes in words; it is not part of the hash.
EXPORT_COLUMNS = ("seq", "at", "at_us", "actor", "kind", "player_id", "subject", "config_version", "body",
                  "prev_hash", "hash", "explanation")


def _iso(us: int) -> str:
    return datetime.fromtimestamp(us / 1_000_000, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def parse_time(value: str | None, name: str) -> int | None:
    """RFC 3339 query parameter -> microseconds; a clear 422 names the parameter otherwise."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(422, detail={"field": name, "value": value, "message":
                                         f"{name} must be an RFC 3339 time such as 2026-11-21T00:00:00Z, "
                                         f"got {value!r}"}) from None
    if moment.tzinfo is None:
        raise HTTPException(422, detail={"field": name, "value": value,
                                         "message": f"{name} needs a UTC offset, got {value!r}"})
    delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def audit_filter(player_id: str = "", kind: str = "", actor: str = "", subject: str = "",
                 since: str = "", until: str = "") -> audit_store.AuditFilter:
    return audit_store.AuditFilter(player_id=player_id.strip() or None, kind=kind.strip() or None,
                                   actor=actor.strip() or None, subject=subject.strip() or None,
                                   since_us=parse_time(since, "since"), until_us=parse_time(until, "until"))


def codes_of(body: Any) -> tuple[list[str], list[str]]:
    """The reason codes and note codes a record's body carries (a gate decision's `reasons`
    and `notes`; refusals recorded as objects with a `code`)."""
    if not isinstance(body, dict):
        return [], []

    def codes(values: Any) -> list[str]:
        if not isinstance(values, list):
            return []
        return [str(v.get("code")) if isinstance(v, dict) else str(v) for v in values
                if isinstance(v, (str, dict)) and (not isinstance(v, dict) or v.get("code"))]

    return codes(body.get("reasons")), codes(body.get("notes"))


def explanation_of(body: Any) -> str:
    """A record's reasons (and notes) in words, each followed by its code: empty when it has none."""
    reasons, notes = codes_of(body)
    said = in_words(reasons)
    if notes:
        said += ("; " if said else "") + "note: " + in_words(notes)
    return said


def present(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row[k] for k in ("seq", "at_us", "actor", "kind", "player_id", "subject",
                               "config_version", "prev_hash", "hash")}
    out["at"] = _iso(row["at_us"])
    out["body"] = json.loads(row["body"])
    said = explanation_of(out["body"])
    if said:
        out["explanation"] = said
    return out


def export_stream(db: Database, filters: audit_store.AuditFilter, fmt: str, actor: str) -> Iterator[str]:
    """Stream matching records in chain order; the export itself is audited first."""
    with db.engine.begin() as conn:
        audit_store.append(conn, [audit_store.Entry(time.time_ns() // 1000, actor=actor, kind="audit.exported",
                                                    body={"format": fmt, "filters": filters.as_dict()},
                                                    subject=fmt)])
    with db.reader.connect() as conn:
        records = audit_store.export(conn, filters)
        if fmt == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(EXPORT_COLUMNS)
            for row in records:
                writer.writerow([row["seq"], _iso(row["at_us"]), row["at_us"], row["actor"], row["kind"], row["player_id"] or "",
                                 row["subject"] or "", row["config_version"] or "", row["body"],
                                 row["prev_hash"], row["hash"], explanation_of(json.loads(row["body"]))])
                if buffer.tell() > 64_000:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()
            return
        yield "["
        for i, row in enumerate(records):
            yield ("," if i else "") + "\n" + json.dumps(present(row), ensure_ascii=False)
        yield "\n]\n"


def export_response(db: Database, filters: audit_store.AuditFilter, fmt: str, actor: str) -> StreamingResponse:
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(export_stream(db, filters, fmt, actor), media_type=media,
                             headers={"Content-Disposition": f'attachment; filename="croupier-audit-{stamp}.{fmt}"',
                                      "Cache-Control": "no-store"})


class ReasonText(BaseModel):
    """A reason code and the same in plain words (docs/gate-and-audit.md, "Reasons in words")."""

    code: str = Field(description="the code, exactly as recorded (for programs and regulators)")
    text: str = Field(description="the code in plain words, parameters read out (for people)")


class WhyDecision(BaseModel):
    """One gate decision about the action, or one verdict of the contact arbiter that held or
    dropped it before the gate (with `outcome` `wait` or `drop`, and `until_us` for a wait),
    as recorded in the audit log (its other recorded fields, such as `kind`, `purpose`,
    `channel`, `cause_event_id`, come along)."""

    model_config = ConfigDict(extra="allow")
    seq: int
    at: str = Field(description="when it was decided (RFC 3339, UTC)")
    allowed: bool
    reasons: list[str] = Field(description="every reason code, or `all_checks_passed`")
    explanations: list[ReasonText] = Field(description="`reasons` in words, in the same order")
    notes: list[str] | None = Field(None, description="what the gate let through but wants seen, when there is some")
    note_explanations: list[ReasonText] | None = Field(None, description="`notes` in words, when there are notes")
    config_version: str | None = None
    hash: str = Field(description="the audit record's hash")


class WhyAnswer(BaseModel):
    player_id: str
    action: str
    received: bool = Field(description="whether any decision about the action allowed it")
    summary: str = Field(description="the latest decision in one sentence, its reasons in words with their codes")
    decisions: list[WhyDecision] = Field(description="every decision about the action, newest first")
    risk: dict[str, Any] | None = Field(None, description=(
        "when a decision was held for RG risk (`rg_risk:*`, `promotions_paused`, `bonus_banned_for_risk:*`): "
        "the player's risk now: score (0..1), level, the score's own level, the peak level of the last 90 "
        "days, why the level is held (`held`: code and words) and what raised the score (`contributions`)"))


def why(db: Database, player_id: str, action: str, *, aml: bool = True) -> dict[str, Any]:
    """Every gate decision about `action` for the player, newest first, and a sentence.
    Without `aml` (a viewer who may not see AML status) AML reasons read `compliance_hold`."""
    with db.reader.connect() as conn:
        decisions = [decision_for_viewer(d, aml) for d in audit_store.decisions_about(conn, player_id, action)]
        proposed = sorted({d["name"] for d in audit_store.decisions_about(conn, player_id)}) if not decisions else []
    for d in decisions:
        d["at"] = _iso(d.pop("at_us"))
        d["explanations"] = explain_all(d.get("reasons") or [])
        if d.get("notes"):
            d["note_explanations"] = explain_all(d["notes"])
    if not decisions:
        summary = (f"No action named {action!r} was ever proposed for player {player_id}"
                   + (f"; actions proposed for this player: {', '.join(proposed)}." if proposed else "."))
    else:
        latest = decisions[0]
        verdict = "allowed (sent to the outbox)" if latest["allowed"] else "suppressed"
        if latest.get("outcome") == "wait":    # the contact arbiter held it (engine.contacts)
            verdict = f"held by the contact policy until {_iso(latest['until_us'])}"
        elif latest.get("outcome") == "drop":
            verdict = "dropped by the contact policy"
        summary = (f"{action!r} for player {player_id} was last {verdict} at {latest['at']} under config "
                   f"{latest['config_version']}: {in_words(latest['reasons'])}. "
                   f"{len(decisions)} decision(s) in all, {sum(d['allowed'] for d in decisions)} allowed.")
    return {"player_id": player_id, "action": action, "received": any(d["allowed"] for d in decisions),
            "summary": summary, "decisions": decisions}


@router.get("/audit", summary="Search the audit log (newest first)")
def get_audit(request: Request, filters: audit_store.AuditFilter = Depends(audit_filter),
              limit: int = Query(100, ge=1, le=1000),
              before_seq: int | None = Query(None, ge=1, le=MAX_SEQ),
              _key=Depends(require_scope("admin"))) -> dict[str, Any]:  # noqa: ANN001
    with request.app.state.runtime.db.reader.connect() as conn:
        rows = audit_store.search(conn, filters, limit, before_seq)
    return {"records": [present(r) for r in rows],
            "next_before_seq": rows[-1]["seq"] if len(rows) == limit else None}


@router.get("/audit/export", summary="Export the audit log for a regulator (CSV or JSON), with hashes",
            responses={200: {"description": "The records in chain order, as an attachment: `format=csv` sends "
                                            "text/csv (a header row, then one row per record), `format=json` a "
                                            "JSON array of records",
                             "content": {"text/csv": {"schema": {"type": "string"}},
                                         "application/json": {"schema": {"type": "array",
                                                                          "items": {"type": "object"}}}}}})
def get_audit_export(request: Request, format: Literal["csv", "json"] = "json",  # noqa: A002
                     filters: audit_store.AuditFilter = Depends(audit_filter),
                     key=Depends(require_scope("admin"))) -> StreamingResponse:  # noqa: ANN001
    return export_response(request.app.state.runtime.db, filters, format, f"api-key:{key.key_id}")


@router.get("/players/{player_id}/why", summary="Why did the player receive / not receive an action",
            response_model=WhyAnswer, response_model_exclude_unset=True,
            description="Each decision's `reasons` are codes; `explanations` says each in plain words, in the "
                        "same order. For a staff member named in `X-Croupier-Actor` whose role lacks `aml.view`, "
                        "AML reasons (`aml_review`, `aml_restricted`, `aml_blocked`) read `compliance_hold`.")
def get_why(player_id: str, request: Request, action: str = Query(..., min_length=1,
            description="the action's name: a message template, bonus, mission or tournament"),
            key=Depends(require_scope("read"))) -> dict[str, Any]:  # noqa: ANN001
    runtime = request.app.state.runtime
    answer = why(runtime.db, player_id, action, aml=sees_aml(request, key))
    if any(code.startswith(_RG_REASONS) for d in answer["decisions"] for code in d.get("reasons") or []):
        answer["risk"] = risk_now(runtime, player_id)
    return answer


_RG_REASONS = ("rg_risk:", "promotions_paused", "bonus_banned_for_risk:")


def risk_now(runtime, player_id: str) -> dict[str, Any] | None:  # noqa: ANN001 - Runtime
    """The player's RG risk explained as of now, under the rules in force (None: no state)."""
    from croupier.compliance.rules import rules_in_force
    from croupier.protection.risk import explain

    state = runtime.engine.state_of(player_id)
    if state is None:
        return None
    rg = rules_in_force(runtime.config).of(state.profile.get("jurisdiction")).rg
    return explain(state.protection, time.time_ns() // 1000, rg)
