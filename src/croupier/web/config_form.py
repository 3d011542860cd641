"""Form fields for the settings officers change most, per market: limits and their ceilings,
cooling-off periods, marketing caps and quiet hours, RG thresholds.

The form is another way of writing the configuration document, never a second set of rules:
`apply` turns the submitted strings into the document's own types, writes them into a copy
of the document and validates the whole result with `parse_document`, so a value the JSON
editor would refuse is refused here with the same message, and a saved form is exactly the
document the JSON editor would have saved. Each problem is attached to the field it is
about (by its path in the document) and names the field and the value."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from croupier.compliance.document import InvalidDocument, expanded, parse_document
from croupier.compliance.rules import DEFAULT_SCORE_LEVELS

_INT = re.compile(r"^[+-]?\d{1,9}$")
KINDS = ("deposit", "loss", "wager", "session_time")
KIND_LABELS = {"deposit": "Deposit", "loss": "Loss", "wager": "Wager", "session_time": "Session time"}
PERIODS = ("day", "week", "month")
LEVELS = ("low", "medium", "high", "severe")
NEVER = "never"


@dataclass(frozen=True, slots=True)
class Field:
    """One setting of a market. `path` is its place in the market's rules (and the form
    input's name); `kind` says how the text typed is read:

    - int: a whole number; `nullable` ones may be left empty (none),
    - money: an entry of an amount table (`limits.ceilings.deposit:month`), empty removes it,
    - level: a risk level or "never",
    - kinds: the limit kinds checked (a list),
    - bool: a check box,
    - hours: [start, end) hours, both empty for none,
    - scores: four rising scores (basis points of the risk score)."""

    path: str
    label: str
    help: str
    kind: str
    unit: str = ""
    nullable: bool = False

    @property
    def dom_id(self) -> str:
        return "cfg-" + re.sub(r"[^a-z0-9]+", "-", self.path.lower()).strip("-")

    @property
    def parts(self) -> tuple[tuple[str, str], ...]:
        """(input name, label) of a field typed in several boxes."""
        if self.kind == "hours":
            return ((f"{self.path}.0", "From hour"), (f"{self.path}.1", "Until hour"))
        if self.kind == "scores":
            return tuple((f"{self.path}.{i}", level.capitalize()) for i, level in enumerate(LEVELS))
        return ()


@dataclass(frozen=True, slots=True)
class Group:
    key: str
    legend: str
    help: str
    fields: tuple[Field, ...]


def _ceilings() -> tuple[Field, ...]:
    out = []
    for kind in ("deposit", "loss", "wager"):
        for period in PERIODS:
            out.append(Field(f"limits.ceilings.{kind}:{period}", f"{KIND_LABELS[kind]} ceiling per {period}",
                             f"The highest {kind} limit a player may set per {period}, e.g. 1000.00. "
                             f"Empty: no ceiling.", "money", unit="{currency}"))
    return tuple(out)


_RG_LEVEL_HELP = "the lowest risk level that triggers it; Never: not in this market."

GROUPS: tuple[Group, ...] = (
    Group("limits", "Deposit and loss limits",
          "Limits a player must have and the ceilings they may not set a limit above.",
          (Field("limits.mandatory", "Mandatory limits",
                 "Limit kinds every player in this market must have: they can be raised (after the "
                 "cooling-off period) but not removed.", "kinds"),
           *_ceilings())),
    Group("cooling", "Cooling-off periods",
          "How long a player waits before a change that loosens protection takes effect.",
          (Field("limits.increase_cooling_hours", "Limit increase cooling-off",
                 "An increase or removal of a limit takes effect after this many hours; a decrease is "
                 "immediate. 0: at once.", "int", unit="hours"),
           Field("limits.increase_min_interval_days", "Days between limit increases",
                 "At most one limit increase per this many days. Empty: no minimum interval.",
                 "int", unit="days", nullable=True),
           Field("exclusions.reactivation_cooling_hours", "Reactivation cooling-off",
                 "After an exclusion or time-out ends and the player asks to come back, the account "
                 "reopens after this many hours (when reactivation is on request after cooling).",
                 "int", unit="hours"))),
    Group("marketing", "Marketing",
          "Caps on direct marketing to players of this market.",
          (Field("marketing.banned", "No direct marketing",
                 "Checked: no marketing message is sent to any player of this market.", "bool"),
           Field("marketing.max_messages_per_day", "Messages per day",
                 "At most this many marketing messages to one player in a day. Empty: no cap.",
                 "int", unit="messages", nullable=True),
           Field("marketing.quiet_hours", "Quiet hours",
                 "No marketing from the first hour until the second, in the player's local time "
                 "(0-23 and 0-24; 22 until 8 crosses midnight). Both empty: no quiet hours.",
                 "hours", unit="hours, local time", nullable=True))),
    Group("rg", "RG thresholds",
          "The risk scores at which each RG level begins, how long a level is kept, and the "
          "interventions each level triggers.",
          (Field("rg.score_levels", "Risk scores where each level begins",
                 "Four rising whole numbers from 1 to 10000: the risk score (a probability, in "
                 "basis points: 1500 is 0.15) at which low, medium, high and severe begin.",
                 "scores", unit="basis points"),
           Field("rg.calm_days", "Calm days before a level comes down",
                 "A level comes down one step only after this many days without a score at or "
                 "above its threshold (1-365).", "int", unit="days"),
           Field("rg.look_severity", "Heaviest players worth a look from severity",
                 "An intensity, frequency or net-loss marker at this severity (1-3; 2 is the top 2 % of "
                 "players) puts the player at least at low, whatever the score. Empty: off.",
                 "int", unit="severity", nullable=True),
           Field("rg.soft_at", "Safer-play message from",
                 "A safer-play message and a suggested deposit limit: " + _RG_LEVEL_HELP, "level", nullable=True),
           Field("rg.firm_at", "Firm intervention from",
                 "Promotions paused, a reality check forced and a limit required: " + _RG_LEVEL_HELP,
                 "level", nullable=True),
           Field("rg.human_at", "RG case from",
                 "A case for an RG officer to call the player: " + _RG_LEVEL_HELP, "level", nullable=True),
           Field("rg.hard_stop_at", "Deposits blocked from",
                 "Deposits blocked pending a review: " + _RG_LEVEL_HELP, "level", nullable=True),
           Field("rg.repeat_after_days", "Repeat an intervention after",
                 "The same intervention is made at most once in this many days (1-365).", "int", unit="days"))),
)

FIELDS: dict[str, Field] = {f.path: f for g in GROUPS for f in g.fields}


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """What is wrong, on which field (None: a part of the document the form does not show),
    with the document path and the value found there."""

    field: Field | None
    path: str
    value: Any
    message: str

    @property
    def shown_value(self) -> str:
        return self.value if isinstance(self.value, str) else json.dumps(self.value, ensure_ascii=False)

    @property
    def text(self) -> str:
        """The field's label (or the path) and the value, then why: the whole message, for
        screen readers and the list at the top of the form."""
        name = self.field.label if self.field is not None else self.path or "(document)"
        return f"{name} = {self.shown_value}: {self.message}"


class FormInvalid(ValueError):
    def __init__(self, problems: list[FieldProblem]):
        super().__init__("; ".join(p.text for p in problems))
        self.problems = problems


def markets(document: Mapping[str, Any]) -> list[str]:
    return sorted(document.get("jurisdictions", {}))


def _get(tree: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(tree, dict):
            return None
        tree = tree.get(key)
    return tree


def _entry(path: str) -> tuple[str, str]:
    """`limits.ceilings.deposit:day` -> (`limits.ceilings`, `deposit:day`)."""
    table, _, key = path.rpartition(".")
    return table, key


# Settings whose default is "absent" in the document, and what that default is.
SPELLED_OUT: dict[str, Any] = {"rg.score_levels": list(DEFAULT_SCORE_LEVELS), "rg.look_severity": 2}


def values(document: Mapping[str, Any], market: str) -> dict[str, Any]:
    """The form's inputs for a market of `document`, defaults spelled out: input name ->
    text (a list of checked kinds for `kinds`)."""
    rules = expanded(dict(document))["jurisdictions"][market]
    out: dict[str, Any] = {}
    for f in FIELDS.values():
        if f.kind == "money":
            table, key = _entry(f.path)
            value = (_get(rules, table) or {}).get(key)
        else:
            value = _get(rules, f.path)
        if value is None and f.path in SPELLED_OUT:
            value = SPELLED_OUT[f.path]
        if f.kind == "kinds":
            out[f.path] = list(value or [])
        elif f.kind == "bool":
            out[f.path] = bool(value)
        elif f.parts:
            items = list(value or [])
            for i, (name, _) in enumerate(f.parts):
                out[name] = str(items[i]) if i < len(items) else ""
        elif f.kind == "level":
            out[f.path] = NEVER if value is None else str(value)
        else:
            out[f.path] = "" if value is None else str(value)
    return out


def submitted(form: Any) -> dict[str, Any]:
    """The inputs of a posted form (a starlette FormData or a plain mapping), as `values`
    gives them: unknown names are ignored."""
    out: dict[str, Any] = {}
    for f in FIELDS.values():
        if f.kind == "kinds":
            got = form.getlist(f.path) if hasattr(form, "getlist") else form.get(f.path, [])
            out[f.path] = [str(v) for v in ([got] if isinstance(got, str) else got)]
        elif f.kind == "bool":
            out[f.path] = str(form.get(f.path, "")) in ("1", "on", "true")
        elif f.parts:
            for name, _ in f.parts:
                out[name] = str(form.get(name, ""))
        else:
            out[f.path] = str(form.get(f.path, ""))
    return out


def _int(f: Field, text: str, problems: list[FieldProblem], path: str) -> int | None:
    text = text.strip()
    if not text:
        if not f.nullable:
            problems.append(FieldProblem(f, path, text, "a value is required: a whole number"))
        return None
    if not _INT.match(text):
        problems.append(FieldProblem(f, path, text, "a whole number, e.g. 24"))
        return None
    return int(text)


def _read(f: Field, inputs: Mapping[str, Any], at: str, problems: list[FieldProblem]) -> tuple[bool, Any]:
    """(write?, value) for one field: the text typed, in the document's type. Only what
    the document's validation cannot see (text that is no number at all, half of a pair)
    is refused here; ranges and formats are left to `parse_document`."""
    path = at + f.path
    if f.kind == "int":
        before = len(problems)
        value = _int(f, str(inputs.get(f.path, "")), problems, path)
        return len(problems) == before, value
    if f.kind == "money":
        text = str(inputs.get(f.path, "")).strip()
        return True, text or None
    if f.kind == "level":
        text = str(inputs.get(f.path, "")).strip()
        return True, None if text in ("", NEVER) else text
    if f.kind == "bool":
        return True, bool(inputs.get(f.path))
    if f.kind == "kinds":
        chosen = list(dict.fromkeys(inputs.get(f.path) or []))
        return True, [k for k in KINDS if k in chosen] + [k for k in chosen if k not in KINDS]
    texts = [str(inputs.get(name, "")).strip() for name, _ in f.parts]
    if f.nullable and not any(texts):
        return True, None
    if not all(texts):
        problems.append(FieldProblem(f, path, [t or None for t in texts],
                                     f"give all {len(texts)} values, or leave every one empty for none"
                                     if f.nullable else f"give all {len(texts)} values"))
        return False, None
    numbers = []
    for text in texts:
        if not _INT.match(text):
            problems.append(FieldProblem(f, path, texts, f"whole numbers only; {text!r} is not one"))
            return False, None
        numbers.append(int(text))
    return True, numbers


def _put(rules: dict[str, Any], f: Field, value: Any) -> None:
    if f.kind == "money":
        table, key = _entry(f.path)
        node = rules
        for part in table.split("."):
            node = node.setdefault(part, {})
        if value is None:
            node.pop(key, None)
        else:
            node[key] = value
        return
    *parents, last = f.path.split(".")
    node = rules
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def field_for(path: str, market: str) -> Field | None:
    """The form field a document path is about (its own path, or a part of it)."""
    prefix = f"jurisdictions.{market}."
    if not path.startswith(prefix):
        return None
    rest = path[len(prefix):]
    for candidate in sorted(FIELDS, key=len, reverse=True):
        if rest == candidate or rest.startswith(candidate + "."):
            return FIELDS[candidate]
    return None


def apply(document: Mapping[str, Any], market: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """`document` with the market's settings set from the form's inputs, validated as a
    whole by the document's own rules. Raises FormInvalid with every problem found: those of
    the text typed first (all of them), else those `parse_document` finds, each on its field."""
    if market not in document.get("jurisdictions", {}):
        raise FormInvalid([FieldProblem(None, "jurisdictions", market,
                                        f"no market {market!r} in this configuration")])
    out = copy.deepcopy(dict(document))
    rules = out["jurisdictions"][market]
    at = f"jurisdictions.{market}."
    problems: list[FieldProblem] = []
    for f in FIELDS.values():
        ok, value = _read(f, inputs, at, problems)
        if ok:
            _put(rules, f, value)
    if problems:
        raise FormInvalid(problems)
    try:
        parse_document(out)
    except InvalidDocument as exc:
        raise FormInvalid([FieldProblem(field_for(p.path, market), p.path, p.value, p.message)
                           for p in exc.problems]) from None
    return out


@dataclass
class FormView:
    """What the template needs to draw the form for one market."""

    market: str
    markets: Sequence[tuple[str, str]]          # (code, name)
    currency: str
    inputs: dict[str, Any]
    problems: list[FieldProblem] = field(default_factory=list)
    comment: str = ""

    def errors_of(self, f: Field) -> list[FieldProblem]:
        return [p for p in self.problems if p.field is f]

    @property
    def other_problems(self) -> list[FieldProblem]:
        return [p for p in self.problems if p.field is None]

    def unit(self, f: Field) -> str:
        return f.unit.replace("{currency}", self.currency)


def view(document: Mapping[str, Any], market: str | None, *, inputs: dict[str, Any] | None = None,
         problems: list[FieldProblem] | None = None, comment: str = "") -> FormView | None:
    """The form for `market` (the first market when it is not one of the document's), or
    None when the document has no market."""
    codes = markets(document)
    if not codes:
        return None
    if market not in codes:
        market = codes[0]
    table = document["jurisdictions"]
    return FormView(market=market, markets=[(c, str(table[c].get("name", c))) for c in codes],
                    currency=str(table[market].get("currency", "")),
                    inputs=inputs if inputs is not None else values(document, market),
                    problems=problems or [], comment=comment)
