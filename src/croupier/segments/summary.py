"""A definition in plain English for the builder and the segment list, worded from the
vocabulary's own descriptions (the feature catalogue's definitions), e.g.

    players whose slots bets in the last 30 days are at least 5, and whose latest bet was
    at least 14 days ago, and whose RG risk level is below medium"""

from __future__ import annotations

import re
from decimal import Decimal

from croupier.players.state import CATEGORIES
from croupier.segments.definition import All, AnyOf, Condition, Node, Not, Scalar
from croupier.segments.vocabulary import Identifier, Vocabulary, default_vocabulary

_LABELS = {
    "lifecycle_stage": "lifecycle stage", "rfm_recency": "RFM recency score", "rfm_frequency": "RFM frequency score",
    "rfm_monetary": "RFM monetary score", "rfm_score": "RFM score", "currency": "wallet currency",
    "net_deposit": "deposits minus withdrawals", "registered_at": "registration time",
    "session_mean_seconds": "mean session duration", "inflow_sum": "money in counted by deposit limits",
    "bonus_stake_share_30d": "share of stakes paid with bonus funds in the last 30 days",
    "unmatched_rollbacks": "unmatched rollbacks", "session_minutes_avg_last5": "average minutes of the last 5 sessions", "exchange_rates_version": "exchange-rate configuration version",
}
# Words before the noun that says whether a label is plural ("approved deposits").
_MODIFIERS = {"approved", "casino", "successful", "payment", "manual", "wallet", "total", "bonus", "live", "the",
              "money", "RG", "risk"}
_WINDOWS = {"1d": "today", "7d": "in the last 7 days", "30d": "in the last 30 days", "90d": "in the last 90 days",
            "lifetime": "over their lifetime"}
_SINGULAR = {"sum", "status", "bonus", "gross", "mean", "median", "average", "share", "return", "ratio", "less", "closeness"}
_NUMBER_OPS = {"=": "", "!=": "not ", "<": "below ", "<=": "at most ", ">": "more than ", ">=": "at least "}
_LEVEL_OPS = {"=": "{v}", "!=": "not {v}", "<": "below {v}", "<=": "{v} or below", ">": "above {v}",
              ">=": "{v} or above"}
_AGO_OPS = {"=": "exactly ", "!=": "not ", "<": "less than ", "<=": "at most ", ">": "more than ", ">=": "at least "}


def summarise(node: Node, vocabulary: Vocabulary | None = None) -> str:
    """`node` in words, starting with "players"."""
    vocab = default_vocabulary() if vocabulary is None else vocabulary
    return "players " + _phrase(node, vocab)


def _phrase(node: Node, vocab: Vocabulary) -> str:
    if isinstance(node, Condition):
        return _condition(node, vocab.get(node.feature) or Identifier(node.feature, "", ""))
    if isinstance(node, Not):
        return "excluding those " + _nested(node.not_, vocab)
    parts = node.all if isinstance(node, All) else node.any
    joiner = ", and " if isinstance(node, All) else ", or "
    return joiner.join(_nested(p, vocab) for p in parts)


def _nested(node: Node, vocab: Vocabulary) -> str:
    text = _phrase(node, vocab)
    return f"({text})" if isinstance(node, (All, AnyOf)) else text


def label(ident: Identifier) -> tuple[str, bool]:
    """The identifier's name in words and whether it is plural ("slots bets", True)."""
    text = _LABELS.get(ident.name) or (_LABELS.get("_".join(ident.name.split("_")[:-1])) if ident.window else None)
    if not text:
        head, _, tail = re.sub(r" \([^)]*\)", "", ident.text).partition(": ")
        if "_" in head and tail:                 # "x_sum / y_sum: what it means": the words, not the formula
            head = tail
        text = re.split(r" \(|, |: ", head)[0].strip() or ident.name.replace("_", " ")
    head = next((w for w in text.split(" ") if w not in _MODIFIERS), "")
    plural = head.endswith("s") and head not in _SINGULAR
    category = re.fullmatch(r"(.*) in category (\w+)", text)
    if category:
        text = f"{category.group(2).replace('_', ' ')} {category.group(1)}"
    window = ident.window
    if window and window in _WINDOWS and not re.search(rf"\b{window[:-1]} days\b|_{window}\b", ident.text):
        text = f"{text} {_WINDOWS[window]}"
    return text, plural


def _condition(c: Condition, ident: Identifier) -> str:
    what, plural = label(ident)
    be = "are" if plural else "is"
    op, kind = c.op, ident.kind
    if op in ("is_set", "is_not_set"):
        return f"whose {what} {be} {'known' if op == 'is_set' else 'not known'}"
    items: tuple[Scalar, ...] = c.value if isinstance(c.value, tuple) else (c.value,)  # type: ignore[assignment]
    if kind == "boolean":
        yes = (items[0] is True) == (op == "=")
        text = ident.text or f"have {ident.name} set"
        if not yes:
            text = "do not " + text if text.startswith("have ") else f"do not match {ident.name}"
        return "who " + re.split(r" \(", text)[0]
    since = _since(ident)
    ago = since is not None
    if since is not None:
        what, be = since, "was"
    words = [_word(v, kind) for v in items]
    if op == "between":
        tail = f"between {words[0]} and {words[1]}"
    elif op in ("in", "not_in"):
        listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
        tail = (("" if len(words) == 1 else "one of ") if op == "in" else "none of ") + listed
    elif kind == "level":
        tail = _LEVEL_OPS[op].format(v=words[0])
    else:
        tail = (_AGO_OPS if ago else _NUMBER_OPS).get(op, op + " ") + words[0]
    if ago:
        return f"whose {what} was {tail} {'day' if tail.endswith(' 1') else 'days'} ago"
    return f"whose {what} {be} {tail}"


def _since(ident: Identifier) -> str | None:
    """For a days-since identifier, what it counts from ("latest slots bet"), else None."""
    if ident.kind != "days":
        return None
    category = re.fullmatch(r"days_since_last_bet_(\w+)", ident.name)
    if category and category.group(1) in CATEGORIES:
        return f"latest {category.group(1).replace('_', ' ')} bet"
    if ident.text.startswith("whole days since "):
        return ident.text[len("whole days since "):].split(" (")[0].removeprefix("the ")
    return None


def _word(v: Scalar, kind: str) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, Decimal)):
        text = format(v, "f") if isinstance(v, Decimal) else str(v)
        if kind == "seconds":
            if v % 60 == 0 and v:
                minutes = int(v // 60)
                return f"{minutes} minute{'s' if minutes != 1 else ''}"
            return f"{text} second{'s' if v != 1 else ''}"
        return text
    return str(v)
