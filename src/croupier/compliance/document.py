"""The configuration document: engine thresholds, the jurisdiction rules table, the
exchange rates, the contact policy and the measurement settings (the global holdout).

Pure (no SQL, no clock): the document type and its version hash, its validation with a path
for every problem, canonical and effective forms, the JSON merge patch and the diff between
two documents. The four-eyes workflow that stores versions is `compliance/config_store.py`;
the gate and the package's face import this module, never the service.
"""

from __future__ import annotations

import json
import re
import typing
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from croupier.compliance import rates
from croupier.compliance import holdout
from croupier.compliance.holdout import DEFAULT_MEASUREMENT, Measurement
from croupier.compliance.rates import ExchangeRules
from croupier.compliance.rules import ExclusionRules, JurisdictionRules, presets
from croupier.contact import policy as contact_policy
from croupier.contact.policy import DEFAULT_POLICY, ContactPolicy
from croupier.models.rg.scorecard import RgModel
from croupier.players.config import EngineConfig

MAX_DOCUMENT_BYTES = 1_000_000
MAX_OPT_OUT_REASON = 1000


class ConfigDocument(EngineConfig, forbid_unknown_fields=True):
    """EngineConfig thresholds plus the jurisdiction rules table and the exchange rates. An
    instance built by `effective()` is what the engine runs with: its `version` is the
    stored version id."""

    jurisdictions: dict[str, JurisdictionRules] = msgspec.field(default_factory=dict)
    exchange: ExchangeRules = msgspec.field(default_factory=ExchangeRules)   # hashed only when set: players.config
    # An operator-trained RG model (`croupier models train rg --propose`); None: the shipped
    # scorecard. Hashed only when set (players.config), so it goes live like any change.
    rg_model: RgModel | None = None
    # The contact arbiter's caps, quiet hours and fatigue (contact.policy, docs/contact-policy.md);
    # None: the defaults (DEFAULT_POLICY). Hashed only when set, and the defaults written out
    # read back as None (`canonical`), so a document keeps its version id until the policy changes.
    contact: ContactPolicy | None = None
    # How the CRM programme is measured: the global holdout's share (compliance.holdout,
    # docs/measurement.md). None: the defaults (no global holdout), hashed only when set.
    measurement: Measurement | None = None


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
    if not where:
        located = _post_init_problem(raw, message)
        if located is not None:
            return located
    return Problem(".".join(path), None if value is _MISSING else value, message)


def _post_init_problem(raw: Any, message: str) -> Problem | None:
    """A check a struct makes itself (RgRules' `__post_init__`) comes without a location:
    find the jurisdiction it is about and the field its message names (`rg.level_scores ...`),
    so the problem has a path and the value found there, not the whole document."""
    table = raw.get("jurisdictions") if isinstance(raw, dict) else None
    named = re.match(r"([a-z_]+(?:\.[a-z_]+)*) ", message)
    if not isinstance(table, dict) or named is None:
        return None
    for code, rules in table.items():
        try:
            msgspec.convert(rules, JurisdictionRules, strict=True)
        except msgspec.ValidationError as exc:
            if str(exc) != message:
                continue
            value: Any = rules
            for key in named.group(1).split("."):
                value = value.get(key) if isinstance(value, dict) else None
            return Problem(f"jurisdictions.{code}.{named.group(1)}", value, message)
    return None


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
    if doc.rg_model is not None:
        problems.extend(_check_rg_model(doc.rg_model))
    if doc.contact is not None:
        problems.extend(Problem(f"contact.{path}", value, message)
                        for path, value, message in contact_policy.problems(doc.contact))
    if doc.measurement is not None:
        problems.extend(Problem(f"measurement.{path}", value, message)
                        for path, value, message in holdout.problems(doc.measurement))
    if problems:
        raise InvalidDocument(problems)
    return canonical(doc)


def _check_rg_model(model: RgModel) -> list[Problem]:
    """Every input a model weighs must be one the live fold computes, every number finite."""
    import math

    from croupier.protection.markers import MARKERS
    from croupier.protection.measures import MEASURES

    known = set(MEASURES) | {f"marker:{m}" for m in MARKERS}
    problems = []
    if not math.isfinite(model.intercept):
        problems.append(Problem("rg_model.intercept", model.intercept, "must be a finite number"))
    for i, term in enumerate(model.terms):
        if term.input not in known:
            problems.append(Problem(f"rg_model.terms[{i}].input", term.input,
                                    "not a measure (protection.measures.MEASURES) nor marker:<name> of a known marker"))
        if not math.isfinite(term.weight):
            problems.append(Problem(f"rg_model.terms[{i}].weight", term.weight, "must be a finite number"))
        if term.cap is not None and not math.isfinite(term.cap):
            problems.append(Problem(f"rg_model.terms[{i}].cap", term.cap, "must be a finite number"))
        if term.group and term.group not in model.group_caps:
            problems.append(Problem(f"rg_model.terms[{i}].group", term.group,
                                    f"no such group in rg_model.group_caps ({', '.join(sorted(model.group_caps)) or 'none'})"))
    for group, cap in model.group_caps.items():
        if not (math.isfinite(cap) and cap > 0):
            problems.append(Problem(f"rg_model.group_caps.{group}", cap, "must be a finite number above 0 (log-odds)"))
    named = {t.input for t in model.terms}
    for k, tree in enumerate(model.trees or ()):
        if not tree.nodes:
            problems.append(Problem(f"rg_model.trees[{k}].nodes", [], "a tree needs at least one node"))
        for j, node in enumerate(tree.nodes):
            path = f"rg_model.trees[{k}].nodes[{j}]"
            if not math.isfinite(node.value) or not math.isfinite(node.threshold):
                problems.append(Problem(f"{path}.value", node.value, "value and threshold must be finite numbers"))
            if node.input is None:
                continue
            if node.input not in named:
                problems.append(Problem(f"{path}.input", node.input,
                                        "a split's input must be one of the model's terms (which give its transform)"))
            if not (j < node.left < len(tree.nodes) and j < node.right < len(tree.nodes)):
                problems.append(Problem(f"{path}.left", [node.left, node.right],
                                        "children must be later nodes of the same tree"))
    return problems


def canonical(doc: ConfigDocument) -> ConfigDocument:
    """min_age entries that only repeat a jurisdiction's own min_age are dropped: the
    jurisdiction table is where a market's minimum age lives. A contact policy equal to the
    defaults reads as none (the defaults), so writing them out moves no version id."""
    kept = {k: v for k, v in doc.min_age.items() if k not in doc.jurisdictions}
    if kept != doc.min_age:
        doc = msgspec.structs.replace(doc, min_age=kept)
    if doc.contact is not None and doc.contact == DEFAULT_POLICY:
        doc = msgspec.structs.replace(doc, contact=None)
    if doc.measurement is not None and doc.measurement == DEFAULT_MEASUREMENT:
        doc = msgspec.structs.replace(doc, measurement=None)
    return doc


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
    out = _expand(doc)
    if out.get("contact") is None:   # no section: the defaults in force, spelled out
        out["contact"] = _expand(DEFAULT_POLICY)
    if out.get("measurement") is None:
        out["measurement"] = _expand(DEFAULT_MEASUREMENT)
    return out


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
    # every engine setting carries over (money_of_record included: a patch proposed on top of
    # a --config file must not move a brand's money elsewhere by leaving it out)
    doc = ConfigDocument(**{name: getattr(config, name) for name in EngineConfig.__struct_fields__},
                         jurisdictions=table)
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
    """Leaves by path. An empty table has no leaves (a ceiling added to a market without any
    is one change, the ceiling, not also the empty table "removed"); the whole document
    empty stays one leaf."""
    if isinstance(value, dict) and (value or prefix):
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
