"""The configuration in force as versioned documents with four-eyes approval.

A document is the engine thresholds (`EngineConfig`) plus the jurisdiction rules table
(code -> `JurisdictionRules`). Its version id is the content hash the gate records on
every decision, so "which rules decided this?" has one answer: the stored document with
that id. A compliance officer proposes a document (whole, or a JSON merge patch against
the active one); a second officer approves it, which supersedes the previous one and makes
it active at once; rejected and superseded documents can never become active again (the
same content can be proposed afresh, as a new row). Every step is audited.

The document model, validation, merge patch and diff are pure; the functions that take a
`Connection` read and write `config_versions` and `config_shadow_runs`.
"""

from __future__ import annotations

import hashlib
import json
import re
import typing
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec
from sqlalchemy import Connection, case, select

from croupier.compliance import rates
from croupier.compliance.rates import ExchangeRules
from croupier.compliance.rules import ExclusionRules, JurisdictionRules, presets
from croupier.events import CONFIG_STREAM, ConfigActivated
from croupier.players.config import EngineConfig
from croupier.store import shadows
from croupier.store.schema import config_shadow_runs, config_versions

STATUSES = ("draft", "proposed", "approved", "rejected", "superseded")
APPROVER_ROLES = ("compliance_officer", "admin")
MAX_DOCUMENT_BYTES = 1_000_000
MAX_OPT_OUT_REASON = 1000


class ConfigDocument(EngineConfig, forbid_unknown_fields=True):
    """EngineConfig thresholds plus the jurisdiction rules table and the exchange rates. An
    instance built by `effective()` is what the engine runs with: its `version` is the
    stored version id."""

    jurisdictions: dict[str, JurisdictionRules] = msgspec.field(default_factory=dict)
    exchange: ExchangeRules = msgspec.field(default_factory=ExchangeRules)

    @property
    def version(self) -> str:
        return document_version(self)


_NO_EXCHANGE = ExchangeRules()
_DOC_VERSIONS: dict[int, tuple[ConfigDocument, str]] = {}


def document_version(doc: ConfigDocument) -> str:
    """The content hash, as `config_version` computes it; a document whose `exchange` section
    is empty hashes without it, so versions stored before the section existed keep their id."""
    cached = _DOC_VERSIONS.get(id(doc))
    if cached is not None and cached[0] is doc:
        return cached[1]
    body = msgspec.to_builtins(doc)
    if doc.exchange == _NO_EXCHANGE:
        body.pop("exchange", None)
    version = "cfg-" + hashlib.sha256(msgspec.json.encode(body, order="sorted")).hexdigest()[:12]
    if len(_DOC_VERSIONS) >= 256:
        _DOC_VERSIONS.clear()
    _DOC_VERSIONS[id(doc)] = (doc, version)
    return version


# -- validation ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a document: where (dotted path), what was there, and why."""

    path: str
    value: Any
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "value": self.value, "message": self.message}

    def __str__(self) -> str:
        shown = json.dumps(self.value, ensure_ascii=False, default=str)
        return f"{self.path or '(document)'} = {shown}: {self.message}"


class InvalidDocument(ValueError):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


_MISSING = object()
_TOKEN = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[(\.\.\.)\]")
_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
_MONEY = re.compile(r"^\d{1,12}(\.\d{1,2})?$")
_LIMIT_KEY = re.compile(r"^(deposit|loss|wager|session_time):(day|week|month)$")
_WINDOW_KEY = re.compile(r"^[a-z_]+:(day|week|month|\d+d)$")


def _unwrap(tp: Any) -> Any:
    """The container/struct type behind Annotated[...] and `X | None`."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp


def _field_type(struct: Any, name: str) -> Any:
    for f in msgspec.structs.fields(struct):
        if f.encode_name == name:
            return f.type
    return None


def _locate(raw: Any, tp: Any, where: str) -> tuple[list[str], Any]:
    """Follow a msgspec error path (`$.a.b[0]`, `[...]` for a dict key) through the raw
    document, naming the dict keys msgspec leaves out, so the problem's path is exact."""
    path: list[str] = []
    obj: Any = raw
    for match in _TOKEN.finditer(where):
        name, index, hidden = match.groups()
        tp = _unwrap(tp)
        if name is not None:
            path.append(name)
            obj = obj.get(name, _MISSING) if isinstance(obj, dict) else _MISSING
            tp = _field_type(tp, name) if isinstance(tp, type) and issubclass(tp, msgspec.Struct) else Any
        elif index is not None:
            path.append(index)
            obj = obj[int(index)] if isinstance(obj, list) and int(index) < len(obj) else _MISSING
            args = typing.get_args(tp)
            tp = args[0] if args else Any
        elif hidden:
            args = typing.get_args(tp)
            value_type = args[1] if len(args) == 2 else Any
            found = None
            if isinstance(obj, dict):
                for key, value in obj.items():
                    try:
                        msgspec.convert(value, value_type)
                    except (msgspec.ValidationError, TypeError):
                        found = key
                        break
            path.append(str(found) if found is not None else "?")
            obj = obj.get(found, _MISSING) if isinstance(obj, dict) and found is not None else _MISSING
            tp = value_type
    return path, obj


def _schema_problem(raw: Any, exc: msgspec.ValidationError) -> Problem:
    text = str(exc)
    message, _, where = text.partition(" - at `")
    where = where.rstrip("`")
    path, value = _locate(raw, ConfigDocument, where[1:] if where.startswith("$") else "")
    unknown = re.match(r"Object contains unknown field `(.+)`", message)
    if unknown:
        path.append(unknown.group(1))
        value = value.get(unknown.group(1)) if isinstance(value, dict) else None
        message = "unknown field: check the spelling (unknown fields are refused so a typo cannot pass silently)"
    missing = re.match(r"Object missing required field `(.+)`", message)
    if missing:
        path.append(missing.group(1))
        value = None
        message = "required field is missing"
    return Problem(".".join(path), None if value is _MISSING else value, message)


def _field_paths(struct: type, prefix: str = "") -> set[str]:
    out = set()
    for f in msgspec.structs.fields(struct):
        name = prefix + f.encode_name
        out.add(name)
        tp = _unwrap(f.type)
        if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
            out |= _field_paths(tp, name + ".")
    return out


_RULE_PATHS = _field_paths(JurisdictionRules)


def _check_rules(code: str, rules: JurisdictionRules) -> list[Problem]:
    """Checks the schema cannot express: formats of money, durations, limit keys, hours."""
    at = f"jurisdictions.{code}."
    problems: list[Problem] = []

    def bad(path: str, value: Any, message: str) -> None:
        problems.append(Problem(at + path, value, message))

    if rules.code != code:
        bad("code", rules.code, f"must equal its key in the table ({code!r})")
    if not re.fullmatch(r"[A-Z]{3}", rules.currency):
        bad("currency", rules.currency, "an ISO 4217 code in capitals, e.g. EUR")
    if not 0 <= rules.min_age <= 99:
        bad("min_age", rules.min_age, "an age from 0 to 99")
    if rules.young_adult_under is not None and not rules.min_age < rules.young_adult_under <= 99:
        bad("young_adult_under", rules.young_adult_under, "an age above min_age")
    limits = rules.limits
    for name in ("ceilings", "ceilings_young", "defaults", "operator_contact_above"):
        for key, amount in getattr(limits, name).items():
            if not _LIMIT_KEY.match(key):
                bad(f"limits.{name}.{key}", amount, "key must be <deposit|loss|wager|session_time>:<day|week|month>")
            elif not _MONEY.match(amount):
                bad(f"limits.{name}.{key}", amount, "an amount as a decimal string with at most 2 decimals, e.g. \"1000.00\"")
    for name in ("affordability_check_above", "affordability_check_above_young"):
        for key, amount in getattr(limits, name).items():
            if not _WINDOW_KEY.match(key):
                bad(f"limits.{name}.{key}", amount, "key must be <measure>:<day|week|month|Nd>, e.g. net_deposit:30d")
            elif not _MONEY.match(amount):
                bad(f"limits.{name}.{key}", amount, "an amount as a decimal string, e.g. \"150.00\"")
    for key, amount in limits.ceilings.items():
        default = limits.defaults.get(key)
        try:
            if default is not None and Decimal(default) > Decimal(amount):
                bad(f"limits.defaults.{key}", default, f"above the ceiling {amount}")
        except InvalidOperation:
            pass
    ex = rules.exclusions
    for name in ("self_exclusion_periods", "timeout_periods"):
        for i, period in enumerate(getattr(ex, name)):
            if period != "indefinite" and not _DURATION.match(period):
                bad(f"exclusions.{name}.{i}", period, "an ISO 8601 duration (P6M, P1Y, PT24H) or \"indefinite\"")
    for name in ("min_self_exclusion", "indefinite_min", "third_party_min"):
        value = getattr(ex, name)
        if value is not None and not _DURATION.match(value):
            bad(f"exclusions.{name}", value, "an ISO 8601 duration, e.g. P6M")
    problems.extend(Problem(at + path, value, message) for path, value, message in _check_opt_out(ex))
    for path, value in (("reality_check.interval_minutes", rules.reality_check.interval_minutes),
                        ("reality_check.session_limit_minutes", rules.reality_check.session_limit_minutes),
                        ("reality_check.inactivity_logout_minutes", rules.reality_check.inactivity_logout_minutes),
                        ("marketing.max_messages_per_day", rules.marketing.max_messages_per_day)):
        if value is not None and not 0 < value <= 100_000:
            bad(path, value, "a positive whole number (or null for none)")
    for name in ("quiet_hours", "advertising_banned_hours"):
        hours = getattr(rules.marketing, name)
        if hours is not None and (len(hours) != 2 or not 0 <= hours[0] <= 23 or not 0 <= hours[1] <= 24):
            bad(f"marketing.{name}", hours, "[start_hour, end_hour): start 0-23, end 0-24, local time")
    for name in ("max_value",):
        value = getattr(rules.bonuses, name)
        if value is not None and not _MONEY.match(value):
            bad(f"bonuses.{name}", value, "an amount as a decimal string, e.g. \"1000.00\"")
    if rules.bonuses.max_wagering_multiple is not None and not 0 <= rules.bonuses.max_wagering_multiple <= 1000:
        bad("bonuses.max_wagering_multiple", rules.bonuses.max_wagering_multiple, "a multiple from 0 to 1000")
    for name in ("cdd_threshold", "report_threshold", "low_risk_below"):
        value = getattr(rules.aml, name)
        if value is not None and not _MONEY.match(value):
            bad(f"aml.{name}", value, "an amount as a decimal string, e.g. \"2000.00\"")
    if rules.aml.threshold_currency is not None and not re.fullmatch(r"[A-Z]{3}", rules.aml.threshold_currency):
        bad("aml.threshold_currency", rules.aml.threshold_currency, "an ISO 4217 code in capitals")
    for name in ("max_stake", "max_stake_young"):
        for key, amount in getattr(rules.games, name).items():
            if not _MONEY.match(amount):
                bad(f"games.{name}.{key}", amount, "an amount as a decimal string, e.g. \"1.00\"")
    for years, path in ((rules.record_retention_years, "record_retention_years"),
                        (rules.aml.record_retention_years, "aml.record_retention_years")):
        if not 0 <= years <= 100:
            bad(path, years, "a number of years from 0 to 100")
    for key in rules.sources:
        if key not in _RULE_PATHS:
            bad(f"sources.{key}", rules.sources[key], "names no field of the jurisdiction rules")
    return problems


def _check_opt_out(ex: ExclusionRules) -> list[tuple[str, Any, str]]:
    """An opt-out from the national register names the register it leaves out and says why,
    so the approver and the audit see what was decided; a reason alone opts nothing out."""
    out: list[tuple[str, Any, str]] = []
    reason = (ex.register_opt_out_reason or "").strip()
    if ex.register_opt_out:
        if ex.register is None:
            out.append(("exclusions.register_opt_out", True, "the market names no register to opt out of"))
        if not reason:
            out.append(("exclusions.register_opt_out_reason", ex.register_opt_out_reason,
                        f"required with register_opt_out: say why promotions in this market need not wait "
                        f"for {ex.register or 'its register'}"))
    elif ex.register_opt_out_reason is not None:
        out.append(("exclusions.register_opt_out_reason", ex.register_opt_out_reason,
                    "only with register_opt_out: true (remove it, or set register_opt_out)"))
    if len(reason) > MAX_OPT_OUT_REASON:
        out.append(("exclusions.register_opt_out_reason", f"{reason[:40]}…",
                    f"at most {MAX_OPT_OUT_REASON} characters"))
    return out


def _check_engine(doc: ConfigDocument) -> list[Problem]:
    problems = []
    cuts = doc.features.rfm
    for name in ("recency_days", "frequency_days", "monetary"):
        values = getattr(cuts, name)
        if len(values) != 4 or values != sorted(values, reverse=name == "recency_days"):
            order = "descending" if name == "recency_days" else "ascending"
            problems.append(Problem(f"features.rfm.{name}", values, f"needs four cut points in {order} order"))
    for code, age in doc.min_age.items():
        rules = doc.jurisdictions.get(code)
        if rules is not None and rules.min_age != age:
            problems.append(Problem(f"min_age.{code}", age,
                                    f"disagrees with jurisdictions.{code}.min_age = {rules.min_age}: the "
                                    f"jurisdiction's rules set its minimum age; remove min_age.{code} "
                                    f"(merge patch: {{\"min_age\": {{\"{code}\": null}}}})"))
    return problems


def parse_document(raw: bytes | str | dict[str, Any]) -> ConfigDocument:
    """Validate a whole document (missing keys take their defaults) and return it in
    canonical form. Raises InvalidDocument listing every problem found, each with its path."""
    if isinstance(raw, bytes | str):
        if len(raw) > MAX_DOCUMENT_BYTES:
            raise InvalidDocument([Problem("", None, f"document larger than {MAX_DOCUMENT_BYTES} bytes")])
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InvalidDocument([Problem("", None, f"not valid JSON: {exc.msg} at line {exc.lineno}, "
                                                     f"column {exc.colno}")]) from None
    if not isinstance(raw, dict):
        raise InvalidDocument([Problem("", raw, "the document must be a JSON object")])
    try:
        doc = msgspec.convert(raw, ConfigDocument, strict=True)
    except msgspec.ValidationError as exc:
        raise InvalidDocument([_schema_problem(raw, exc)]) from None
    problems = _check_engine(doc)
    for code, rules in doc.jurisdictions.items():
        problems.extend(_check_rules(code, rules))
    problems.extend(Problem(f"exchange.{path}", value, message) for path, value, message in rates.problems(doc.exchange))
    if problems:
        raise InvalidDocument(problems)
    return canonical(doc)


def canonical(doc: ConfigDocument) -> ConfigDocument:
    """min_age entries that only repeat a jurisdiction's own min_age are dropped: the
    jurisdiction table is where a market's minimum age lives."""
    kept = {k: v for k, v in doc.min_age.items() if k not in doc.jurisdictions}
    return msgspec.structs.replace(doc, min_age=kept) if kept != doc.min_age else doc


def effective(doc: ConfigDocument) -> ConfigDocument:
    """What the engine runs with: the jurisdictions' minimum ages merged into `min_age`
    (the map the gate reads). Its `version` is the document's version id."""
    merged = dict(doc.min_age)
    merged.update({code: rules.min_age for code, rules in doc.jurisdictions.items()})
    return msgspec.structs.replace(doc, min_age=merged)


def version_of(doc: ConfigDocument) -> str:
    return effective(doc).version


def to_builtins(doc: EngineConfig) -> dict[str, Any]:
    return msgspec.to_builtins(doc)


def _expand(value: Any) -> Any:
    if isinstance(value, msgspec.Struct):
        return {f: _expand(getattr(value, f)) for f in value.__struct_fields__}
    if isinstance(value, dict):
        return {k: _expand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v) for v in value]
    return value


def expanded(document: dict[str, Any] | ConfigDocument) -> dict[str, Any]:
    """A document with every default spelled out (stored documents leave the jurisdiction
    rules' defaults out), for diffs and for reading."""
    doc = document if isinstance(document, ConfigDocument) else msgspec.convert(document, ConfigDocument)
    return _expand(doc)


def in_force_document(config: EngineConfig) -> ConfigDocument:
    """The document form of the configuration a runtime is using. A plain EngineConfig (from
    a file or the defaults, before any version was approved) gets the shipped presets as its
    jurisdiction table, with per-jurisdiction ages from its own `min_age`."""
    if isinstance(config, ConfigDocument):
        return canonical(config)
    table = dict(presets())
    table.pop("default", None)
    for code, age in config.min_age.items():
        if code in table:
            table[code] = msgspec.structs.replace(table[code], min_age=age)
    doc = ConfigDocument(features=config.features, min_age=dict(config.min_age),
                         stale_after_minutes=config.stale_after_minutes, jurisdictions=table)
    return canonical(doc)


def jurisdiction_table(config: EngineConfig) -> dict[str, JurisdictionRules]:
    """The rules table of the configuration in force: the approved document's, or the
    shipped presets while no version has been approved. Use with `rules_for(code, table)`."""
    if isinstance(config, ConfigDocument) and config.jurisdictions:
        return config.jurisdictions
    return presets()


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: objects merge, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            _flatten(inner, f"{prefix}.{key}" if prefix else str(key), out)
    else:
        out[prefix] = value


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    """Changes from document `before` to `after` as [{path, change, before, after}], by
    path, defaults spelled out (so a default that changes shows its old value)."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    _flatten(expanded(before) if before is not None else {}, "", old)
    _flatten(expanded(after), "", new)
    changes = []
    for path in sorted(old.keys() | new.keys()):
        a, b = old.get(path, _MISSING), new.get(path, _MISSING)
        if a == b:
            continue
        kind = "added" if a is _MISSING else "removed" if b is _MISSING else "changed"
        changes.append({"path": path, "change": kind, "before": None if a is _MISSING else a,
                        "after": None if b is _MISSING else b})
    return changes


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
           config_version: str | None) -> None:
    from croupier.store import audit as audit_store  # store.audit imports this package

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
            **_changes(in_force, body), **({"via": via} if via else {})},
           version_id, in_force.version)
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
            "comment": comment, **_changes(in_force, body), **({"via": via} if via else {})},
           new_id, in_force.version)
    return get_version(conn, new_id)  # type: ignore[return-value]


def submit(conn: Connection, version_id: str, *, actor: str, in_force: EngineConfig, now_us: int) -> ConfigVersion:
    """A draft becomes a proposal, submitted by its author."""
    version = _own_draft(conn, version_id, actor, "submitted")
    conn.execute(config_versions.update().where(config_versions.c.seq == version.seq)
                 .values(status="proposed", proposed_at_us=now_us))
    _audit(conn, now_us, actor, "config.proposed",
           {"version": version_id, "parent_version": version.parent_version, "comment": version.comment,
            "from_draft": True}, version_id, in_force.version)
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
            "live_version": in_force.version, **({"via": via} if via else {})}, version_id, in_force.version)
    return shadow


def stop_shadow(conn: Connection, version_id: str, *, actor: str, in_force: EngineConfig, now_us: int,
                via: str | None = None) -> shadows.Shadow:
    """Stop a version's running shadow; what it found stays readable. Audited as config.shadow_stopped."""
    stopped = shadows.stop(conn, version_id, actor=actor, now_us=now_us, reason=f"stopped by {actor}")
    if stopped is None:
        raise ConfigRefused(409, f"version {version_id} is not running in shadow")
    _audit(conn, now_us, actor, "config.shadow_stopped",
           {"version": version_id, "shadow_id": stopped.shadow_id, "events": stopped.events,
            "to_seq": stopped.to_seq, **({"via": via} if via else {})}, version_id, in_force.version)
    return stopped


def save_shadow_run(conn: Connection, version_id: str, *, actor: str, now_us: int,
                    result: dict[str, Any]) -> None:
    conn.execute(config_shadow_runs.insert().values(
        version_id=version_id, run_at_us=now_us, run_by=actor, live_version=result.get("live_version"),
        result=json.dumps(result, ensure_ascii=False, default=str)))
    summary = {k: result.get(k) for k in ("live_version", "window", "counts")}
    _audit(conn, now_us, actor, "config.shadow_run", {"version": version_id, **summary}, version_id,
           result.get("live_version"))


def latest_shadow_run(conn: Connection, version_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(config_shadow_runs).where(config_shadow_runs.c.version_id == version_id)
                       .order_by(config_shadow_runs.c.seq.desc()).limit(1)).first()
    if row is None:
        return None
    return {"run_at_us": row.run_at_us, "run_by": row.run_by, **json.loads(row.result)}
