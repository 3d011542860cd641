"""The configuration in force as versioned documents with four-eyes approval.

A document is the engine thresholds (`EngineConfig`) plus the jurisdiction rules table
(code -> `JurisdictionRules`). Its version id is the content hash the gate records on
every decision, so "which rules decided this?" has one answer: the stored document with
that id. A compliance officer proposes a document (whole, or a JSON merge patch against
the active one); a second officer approves it, which supersedes the previous one and makes
it active at once; rejected and superseded documents can never become active again (the
same content can be proposed afresh, as a new row). Every step is audited.

The document model, validation, merge patch and diff are pure and live in
`compliance/document.py`; the functions here take a `Connection` and read and write
`config_versions` and `config_shadow_runs`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec
from sqlalchemy import Connection, case, select

from croupier.compliance.document import (
    ConfigDocument, InvalidDocument, Problem, diff, effective, in_force_document, merge_patch, parse_document,
    to_builtins, version_of,
)
from croupier.events import CONFIG_STREAM, ConfigActivated
from croupier.players.config import EngineConfig
from croupier.store import audit as audit_store, shadows
from croupier.store.schema import config_shadow_runs, config_versions

STATUSES = ("draft", "proposed", "approved", "rejected", "superseded")
APPROVER_ROLES = ("compliance_officer", "admin")


# -- storage ---------------------------------------------------------------------------------
class ConfigRefused(Exception):
    """A request the workflow refuses; `status` is the HTTP status that fits."""

    def __init__(self, status: int, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.status, self.message, self.problems = status, message, problems or []


@dataclass(slots=True)
class ConfigVersion:
    seq: int
    version_id: str
    status: str
    document: dict[str, Any]
    parent_version: str | None
    proposed_by: str
    proposed_at_us: int
    comment: str = ""
    approved_by: str | None = None
    approved_at_us: int | None = None
    rejected_by: str | None = None
    rejected_at_us: int | None = None
    review_comment: str = ""
    superseded_at_us: int | None = None
    superseded_by: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def config(self) -> ConfigDocument:
        """The effective configuration of this version (what the engine runs with)."""
        doc = effective(msgspec.convert(self.document, ConfigDocument))
        if doc.version != self.version_id:
            raise RuntimeError(f"stored config version {self.version_id} hashes to {doc.version}: "
                               "the stored document was altered")
        return doc

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version_id, "status": self.status, "parent_version": self.parent_version,
                "proposed_by": self.proposed_by, "proposed_at_us": self.proposed_at_us,
                "comment": self.comment, "approved_by": self.approved_by,
                "approved_at_us": self.approved_at_us, "rejected_by": self.rejected_by,
                "rejected_at_us": self.rejected_at_us, "review_comment": self.review_comment,
                "superseded_at_us": self.superseded_at_us, "superseded_by": self.superseded_by}


def _row(row: Any, with_document: bool = True) -> ConfigVersion:
    return ConfigVersion(row.seq, row.version_id, row.status,
                         json.loads(row.document) if with_document else {}, row.parent_version,
                         row.proposed_by, row.proposed_at_us, row.comment or "", row.approved_by,
                         row.approved_at_us, row.rejected_by, row.rejected_at_us,
                         row.review_comment or "", row.superseded_at_us, row.superseded_by)


def active_version_id(conn: Connection) -> str | None:
    return conn.execute(select(config_versions.c.version_id).where(config_versions.c.status == "approved")
                        .order_by(config_versions.c.seq.desc()).limit(1)).scalar()


def active_version(conn: Connection) -> ConfigVersion | None:
    row = conn.execute(select(config_versions).where(config_versions.c.status == "approved")
                       .order_by(config_versions.c.seq.desc()).limit(1)).first()
    return _row(row) if row is not None else None


def list_versions(conn: Connection, limit: int = 100) -> list[ConfigVersion]:
    rows = conn.execute(select(config_versions).order_by(config_versions.c.seq.desc()).limit(limit)).all()
    return [_row(r, with_document=False) for r in rows]


def get_version(conn: Connection, version_id: str) -> ConfigVersion | None:
    """The row with this id that is still in play (a draft, a proposal or the approved
    version), else the latest one: the same content may have been proposed again after a
    rejection or after it was superseded, and a draft may be edited into such content."""
    settled = case((config_versions.c.status.in_(("rejected", "superseded")), 1), else_=0)
    row = conn.execute(select(config_versions).where(config_versions.c.version_id == version_id)
                       .order_by(settled, config_versions.c.seq.desc()).limit(1)).first()
    return _row(row) if row is not None else None


def _audit(conn: Connection, at_us: int, actor: str, kind: str, body: dict[str, Any], subject: str,
           config_version: str | None, via: str | None = None) -> None:
    """`via`: the authenticated party when it is not the staff member (an API key acting for
    them): it is the audit's actor, and the staff member is kept beside it as `on_behalf_of`."""
    if via and via != "session":
        actor, body = via, {**body, "on_behalf_of": actor}
    audit_store.append(conn, [audit_store.Entry(at_us=at_us, actor=actor, kind=kind, body=body,
                                                subject=subject, config_version=config_version)])


def _validated(conn: Connection, *, base: dict[str, Any], document: Any, patch: Any, in_force: EngineConfig,
               against: str, other_than: int | None = None) -> tuple[dict[str, Any], str]:
    """The canonical body and version id of `document`, or of `patch` merged into `base`;
    refused when invalid, identical to the version in force, or already awaiting review."""
    if (document is None) == (patch is None):
        raise ConfigRefused(400, "send either 'document' (the whole configuration) or 'patch' "
                                 f"(a JSON merge patch against {against}), not both or neither")
    if patch is not None:
        if not isinstance(patch, dict):
            raise ConfigRefused(400, "'patch' must be a JSON object (RFC 7396 merge patch)")
        document = merge_patch(base, patch)
    try:
        doc = parse_document(document)
    except InvalidDocument as exc:
        raise ConfigRefused(422, f"the proposed configuration is invalid: {exc}", exc.problems) from None
    version_id = version_of(doc)
    if version_id == in_force.version:
        raise ConfigRefused(409, f"the proposal is identical to the configuration in force ({version_id}): nothing to approve")
    query = select(config_versions.c.status).where(config_versions.c.version_id == version_id,
                                                  config_versions.c.status.in_(("draft", "proposed")))
    if other_than is not None:
        query = query.where(config_versions.c.seq != other_than)
    pending = conn.execute(query).scalar()
    if pending is not None:
        raise ConfigRefused(409, f"the same configuration is already {pending} as version {version_id}")
    return to_builtins(doc), version_id


def _changes(in_force: EngineConfig, body: dict[str, Any]) -> dict[str, Any]:
    changes = diff(to_builtins(in_force_document(in_force)), body)
    return {"changes": len(changes), "paths": [c["path"] for c in changes[:100]]}


def propose(conn: Connection, *, actor: str, in_force: EngineConfig, now_us: int,
            document: Any = None, patch: Any = None, comment: str = "", draft: bool = False,
            via: str | None = None) -> ConfigVersion:
    """Store a proposed version (or a draft) after validating it; audited as config.proposed
    (config.drafted). `patch` is a JSON merge patch against the document in force."""
    current = to_builtins(in_force_document(in_force))
    body, version_id = _validated(conn, base=current, document=document, patch=patch, in_force=in_force,
                                  against="the active version")
    status = "draft" if draft else "proposed"
    comment = comment.strip()[:2000]
    seq = conn.execute(config_versions.insert().values(
        version_id=version_id, status=status, document=json.dumps(body, ensure_ascii=False, sort_keys=True),
        parent_version=in_force.version, proposed_by=actor, proposed_at_us=now_us, comment=comment,
    )).inserted_primary_key[0]
    _audit(conn, now_us, actor, "config.drafted" if draft else "config.proposed",
           {"version": version_id, "parent_version": in_force.version, "comment": comment,
            **_changes(in_force, body)},
           version_id, in_force.version, via)
    version = get_version(conn, version_id)
    assert version is not None and version.seq == seq
    return version


def _own_draft(conn: Connection, version_id: str, actor: str, verb: str) -> ConfigVersion:
    """A draft is its author's working copy: only they edit or submit it, so the person
    whose content it is stays the proposer the four-eyes rule keeps from approving it."""
    version = get_version(conn, version_id)
    if version is None:
        raise ConfigRefused(404, f"no configuration version {version_id!r}")
    if version.status != "draft":
        raise ConfigRefused(409, f"version {version_id} is {version.status}, not a draft: only drafts can be "
                                 f"{verb} (propose a new version instead)")
    if version.proposed_by != actor:
        raise ConfigRefused(403, f"version {version_id} is a draft of {version.proposed_by}: only its author may "
                                 f"{verb} it, so the one whose content it is cannot also approve it")
    return version


def edit_draft(conn: Connection, version_id: str, *, actor: str, in_force: EngineConfig, now_us: int,
               document: Any = None, patch: Any = None, comment: str | None = None,
               via: str | None = None) -> ConfigVersion:
    """Replace a draft's document (whole, or a merge patch against the draft) after validating
    it. The draft keeps its row and the version it was drafted against; its id follows the
    new content. Audited as config.draft_edited; a shadow of the old content stops."""
    version = _own_draft(conn, version_id, actor, "edited")
    body, new_id = _validated(conn, base=version.document, document=document, patch=patch, in_force=in_force,
                              against="the draft", other_than=version.seq)
    comment = version.comment if comment is None else comment.strip()[:2000]
    if new_id == version_id and comment == version.comment:
        return version
    conn.execute(config_versions.update().where(config_versions.c.seq == version.seq).values(
        version_id=new_id, document=json.dumps(body, ensure_ascii=False, sort_keys=True), comment=comment,
        proposed_at_us=now_us))
    if new_id != version_id:
        shadows.stop(conn, version_id, actor=actor, now_us=now_us, reason="the draft was edited")
    _audit(conn, now_us, actor, "config.draft_edited",
           {"version": new_id, "previous_draft": version_id, "parent_version": version.parent_version,
            "comment": comment, **_changes(in_force, body)},
           new_id, in_force.version, via)
    return get_version(conn, new_id)  # type: ignore[return-value]


def submit(conn: Connection, version_id: str, *, actor: str, in_force: EngineConfig, now_us: int,
           via: str | None = None) -> ConfigVersion:
    """A draft becomes a proposal, submitted by its author."""
    version = _own_draft(conn, version_id, actor, "submitted")
    conn.execute(config_versions.update().where(config_versions.c.seq == version.seq)
                 .values(status="proposed", proposed_at_us=now_us))
    _audit(conn, now_us, actor, "config.proposed",
           {"version": version_id, "parent_version": version.parent_version, "comment": version.comment,
            "from_draft": True}, version_id, in_force.version, via)
    return get_version(conn, version_id)  # type: ignore[return-value]


def _pending(conn: Connection, version_id: str, allowed: tuple[str, ...]) -> ConfigVersion:
    version = get_version(conn, version_id)
    if version is None:
        raise ConfigRefused(404, f"no configuration version {version_id!r}")
    if version.status not in allowed:
        who = version.approved_by or version.rejected_by
        raise ConfigRefused(409, f"version {version_id} is {version.status}"
                                 + (f" (by {who})" if who else "")
                                 + ": only a proposed version can be approved or rejected; "
                                   "rejected and superseded versions never become active (propose a new one)")
    return version


def _check_reviewer(version: ConfigVersion, actor: str, role: str, verb: str) -> None:
    from croupier.privacy import can

    if role not in APPROVER_ROLES or not can(role, "config.edit"):
        raise ConfigRefused(403, f"only a compliance officer or an admin with the config.edit permission "
                                 f"may {verb} a configuration; {actor} is {role}")
    if actor == version.proposed_by:
        raise ConfigRefused(403, f"{actor} proposed version {version.version_id}: a second officer must "
                                 f"{verb} it (four-eyes rule)")


def approve(conn: Connection, version_id: str, *, actor: str, role: str, in_force: EngineConfig,
            now_us: int, comment: str = "") -> ConfigVersion:
    """Make a proposed version active: supersedes the active one, audited as config.approved.
    The caller swaps the running configuration after the commit."""
    version = _pending(conn, version_id, ("proposed",))
    _check_reviewer(version, actor, role, "approve")
    previous = active_version_id(conn)
    current = previous or in_force.version  # another process may have approved one meanwhile
    if version.parent_version != current:
        raise ConfigRefused(409, f"version {version_id} was proposed against {version.parent_version}, "
                                 f"but {current} is in force now: approving it would undo the changes "
                                 f"made since. Reject it and propose again against {current}")
    version.config()  # the stored document still hashes to its id
    if previous is not None:
        conn.execute(config_versions.update().where(config_versions.c.status == "approved")
                     .values(status="superseded", superseded_at_us=now_us, superseded_by=version_id))
    comment = comment.strip()[:2000]
    conn.execute(config_versions.update().where(config_versions.c.seq == version.seq)
                 .values(status="approved", approved_by=actor, approved_at_us=now_us, review_comment=comment))
    shadows.stop(conn, version_id, actor=actor, now_us=now_us, reason="approved: in force now")
    from croupier.ingest.facts import append_facts  # ingest depends on the store, as this does

    append_facts(conn, [activation_fact(version, approved_by=actor, at_us=now_us, previous=current,
                                        comment=comment)], now_us)
    _audit(conn, now_us, actor, "config.approved",
           {"version": version_id, "previous_version": current, "proposed_by": version.proposed_by,
            "comment": comment}, version_id, version_id)
    return get_version(conn, version_id)  # type: ignore[return-value]


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def activation_fact(version: ConfigVersion, *, approved_by: str, at_us: int, previous: str | None,
                    comment: str = "") -> ConfigActivated:
    """The log's record that `version` is in force from here on. Appended in the approval's
    transaction, so a version is never approved without its place in the log; its id names
    the stored row, so the same approval is never logged twice."""
    return ConfigActivated(event_id=f"config:{version.seq}:{version.version_id}", player_id=CONFIG_STREAM,
                           brand="croupier", occurred_at=_EPOCH + timedelta(microseconds=at_us),
                           actor=approved_by, reason=comment or None, version=version.version_id,
                           previous_version=previous, proposed_by=version.proposed_by)


def reject(conn: Connection, version_id: str, *, actor: str, role: str, in_force: EngineConfig,
           now_us: int, comment: str = "") -> ConfigVersion:
    version = _pending(conn, version_id, ("proposed", "draft"))
    _check_reviewer(version, actor, role, "reject")
    comment = comment.strip()[:2000]
    conn.execute(config_versions.update().where(config_versions.c.seq == version.seq)
                 .values(status="rejected", rejected_by=actor, rejected_at_us=now_us, review_comment=comment))
    shadows.stop(conn, version_id, actor=actor, now_us=now_us, reason="rejected")
    _audit(conn, now_us, actor, "config.rejected",
           {"version": version_id, "proposed_by": version.proposed_by, "comment": comment},
           version_id, in_force.version)
    return get_version(conn, version_id)  # type: ignore[return-value]


def start_shadow(conn: Connection, version_id: str, *, actor: str, in_force: EngineConfig, now_us: int,
                 via: str | None = None) -> shadows.Shadow:
    """Run a draft or proposal in shadow beside the live configuration on every event from
    now on, until it is stopped, approved or rejected. Audited as config.shadow_started."""
    version = get_version(conn, version_id)
    if version is None:
        raise ConfigRefused(404, f"no configuration version {version_id!r}")
    if version.status not in ("draft", "proposed"):
        raise ConfigRefused(409, f"version {version_id} is {version.status}: shadows are for versions awaiting "
                                 "approval")
    running = shadows.running_of(conn, version_id)
    if running is not None:
        raise ConfigRefused(409, f"version {version_id} has been running in shadow since log position "
                                 f"{running.from_seq} (started by {running.started_by}): stop it first")
    version.config()  # the stored document still hashes to its id
    shadow = shadows.start(conn, version_id, actor=actor, now_us=now_us, live_version=in_force.version)
    _audit(conn, now_us, actor, "config.shadow_started",
           {"version": version_id, "shadow_id": shadow.shadow_id, "from_seq": shadow.from_seq,
            "live_version": in_force.version}, version_id, in_force.version, via)
    return shadow


def stop_shadow(conn: Connection, version_id: str, *, actor: str, in_force: EngineConfig, now_us: int,
                via: str | None = None) -> shadows.Shadow:
    """Stop a version's running shadow; what it found stays readable. Audited as config.shadow_stopped."""
    stopped = shadows.stop(conn, version_id, actor=actor, now_us=now_us, reason=f"stopped by {actor}")
    if stopped is None:
        raise ConfigRefused(409, f"version {version_id} is not running in shadow")
    _audit(conn, now_us, actor, "config.shadow_stopped",
           {"version": version_id, "shadow_id": stopped.shadow_id, "events": stopped.events,
            "to_seq": stopped.to_seq}, version_id, in_force.version, via)
    return stopped


def save_shadow_run(conn: Connection, version_id: str, *, actor: str, now_us: int,
                    result: dict[str, Any], via: str | None = None) -> None:
    conn.execute(config_shadow_runs.insert().values(
        version_id=version_id, run_at_us=now_us, run_by=actor, live_version=result.get("live_version"),
        result=json.dumps(result, ensure_ascii=False, default=str)))
    summary = {k: result.get(k) for k in ("live_version", "window", "counts")}
    _audit(conn, now_us, actor, "config.shadow_run", {"version": version_id, **summary}, version_id,
           result.get("live_version"), via)


def latest_shadow_run(conn: Connection, version_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(config_shadow_runs).where(config_shadow_runs.c.version_id == version_id)
                       .order_by(config_shadow_runs.c.seq.desc()).limit(1)).first()
    if row is None:
        return None
    return {"run_at_us": row.run_at_us, "run_by": row.run_by, **json.loads(row.result)}
