"""Shaping `player_360` for the player page: features grouped by window, the figures worth
seeing at a glance, and timeline rows (contact details masked for roles without PII)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from croupier.api.player_view import PII_FIELDS, mask
from croupier.players import CATALOGUE, WINDOWS, Feature
from croupier.web import formatting as fmt
from croupier.web.formatting import DEFAULT_READER, EMPTY, Reader

BY_NAME: dict[str, Feature] = {f.name: f for f in CATALOGUE}
WINDOW_LABELS = {"1d": "Today (1 day)", "7d": "7 days", "30d": "30 days", "90d": "90 days",
                 "lifetime": "Lifetime", None: "Point in time"}
GLANCE_WINDOWS = ("7d", "30d", "lifetime")
GLANCE_ROWS = (("Deposits", "deposit_count"), ("Deposit sum", "deposit_sum"),
               ("Withdrawals", "withdrawal_count"), ("Withdrawal sum", "withdrawal_sum"),
               ("Net deposit", "net_deposit"), ("Bonus credited", "bonus_credit_sum"),
               ("Bets", "bet_count"), ("Stakes", "stake_sum"),
               ("Wins", "win_sum"), ("GGR", "ggr"), ("Sessions", "session_count"),
               ("Logins", "login_count"))
GLANCE_SCALARS = ("days_since_last_login", "days_since_last_bet", "days_since_last_deposit",
                  "favourite_category_30d", "favourite_category_lifetime", "rfm_score",
                  "late_night_share_30d", "rtp_sensitivity", "session_median_seconds")
_COMMON = {"event_id", "type", "player_id", "brand", "occurred_at"}


@dataclass(frozen=True)
class FeatureCell:
    name: str
    definition: str
    type: str
    value: str
    negative: bool = False   # shown with the class `negative` beside its minus sign


def show(feature: Feature, value: Any, currency: str | None, reader: Reader = DEFAULT_READER) -> str:  # noqa: ANN401
    """A feature's value as the reader writes it: money with its currency, counts grouped,
    ratios as percentages, moments on the reader's clock."""
    if value is None:
        return EMPTY
    if feature.type == "money":
        return fmt.money(value, currency, reader)
    if feature.type == "timestamp":
        moment = fmt.to_moment(value)
        return fmt.moment_text(moment, reader) if moment else str(value)
    if feature.type == "seconds":
        return f"{fmt.count(value, reader)} s"
    if feature.type == "minutes":
        return fmt.minutes(value, reader)
    if feature.type == "days":
        return f"{fmt.count(value, reader)} d"
    if feature.type == "integer" and isinstance(value, int):
        return fmt.count(value, reader)
    if feature.type == "ratio" and isinstance(value, int | float | str) and not isinstance(value, bool):
        return fmt.percent(value, reader)
    return str(value)


def cell(name: str, features: dict[str, Any], currency: str | None, reader: Reader = DEFAULT_READER) -> FeatureCell:
    feature = BY_NAME[name]
    value = features.get(name)
    return FeatureCell(name, feature.definition, feature.type, show(feature, value, currency, reader),
                       feature.type in ("money", "integer") and fmt.is_negative(value))


def glance(features: dict[str, Any], currency: str | None, reader: Reader = DEFAULT_READER) -> dict[str, Any]:
    return {
        "windows": [WINDOW_LABELS[w] for w in GLANCE_WINDOWS],
        "rows": [(label, [cell(f"{stem}_{w}", features, currency, reader) for w in GLANCE_WINDOWS])
                 for label, stem in GLANCE_ROWS],
        "scalars": [cell(name, features, currency, reader) for name in GLANCE_SCALARS],
    }


def feature_groups(features: dict[str, Any], currency: str | None,
                   reader: Reader = DEFAULT_READER) -> list[tuple[str, str, list[FeatureCell]]]:
    """(window id, label, cells) for every catalogue feature, in window order."""
    order = [w for w, _ in WINDOWS] + [None]
    groups: dict[str | None, list[FeatureCell]] = {w: [] for w in order}
    for feature in CATALOGUE:
        groups.setdefault(feature.window, []).append(cell(feature.name, features, currency, reader))
    return [(w or "point", WINDOW_LABELS.get(w, str(w)), cells) for w, cells in groups.items() if cells]


def masked_event(event: dict[str, Any], pii: bool) -> dict[str, Any]:
    if pii:
        return event
    return {k: (mask(k, v) if k in PII_FIELDS else v) for k, v in event.items()}


def summary(event: dict[str, Any], limit: int = 160, reader: Reader = DEFAULT_READER) -> str:
    """The type-specific fields of an event on one line, amount with its currency first."""
    parts: list[str] = []
    if "amount" in event:
        parts.append(f"amount {fmt.money(event['amount'], event.get('currency'), reader)}")
    for key, value in event.items():
        if key in _COMMON or key == "amount" or (key == "currency" and "amount" in event):
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        parts.append(f"{key}={text}")
    line = " · ".join(str(p) for p in parts)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def moment_fields(name: str, value: Any, reader: Reader) -> dict[str, Any]:  # noqa: ANN401
    """`name` as sent (RFC 3339 UTC), with `name_text` (the reader's clock) and `name_title`
    (the exact time for the hover): scripts that add rows show the server's words."""
    moment = fmt.to_moment(value)
    if moment is None:
        return {name: value, f"{name}_text": EMPTY if value in (None, "") else str(value), f"{name}_title": ""}
    return {name: fmt.iso(moment), f"{name}_text": fmt.moment_text(moment, reader),
            f"{name}_title": fmt.exact_text(moment, reader)}


def timeline_rows(events: list[dict[str, Any]], pii: bool, reader: Reader = DEFAULT_READER) -> list[dict[str, Any]]:
    """Timeline rows for the page and for the "load older" JSON alike: raw times plus the
    reader's words for them, so both show the same thing."""
    rows = []
    for item in events:
        event = masked_event(item["event"], pii)
        rows.append({"seq": item["seq"], "type": item["type"], "event_id": item["event_id"],
                     **moment_fields("occurred_at", item["occurred_at"], reader),
                     **moment_fields("received_at", item["received_at"], reader),
                     "summary": summary(event, reader=reader), "raw": json.dumps(event, indent=2, ensure_ascii=False)})
    return rows
