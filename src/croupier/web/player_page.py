"""Shaping `player_360` for the player page: features grouped by window, the figures worth
seeing at a glance, and timeline rows (contact details masked for roles without PII)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from croupier.api.player_view import PII_FIELDS, mask
from croupier.players import CATALOGUE, WINDOWS, Feature
from croupier.web.render import EMPTY, utc

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


def show(feature: Feature, value: Any, currency: str | None) -> str:
    if value is None:
        return EMPTY
    if feature.type == "money":
        return f"{value} {currency}" if currency else str(value)
    if feature.type == "timestamp":
        return utc(value)
    if feature.type == "seconds":
        return f"{value} s"
    if feature.type == "days":
        return f"{value} d"
    if feature.type == "integer" and isinstance(value, int):
        return f"{value:,}"
    return str(value)


def cell(name: str, features: dict[str, Any], currency: str | None) -> FeatureCell:
    feature = BY_NAME[name]
    return FeatureCell(name, feature.definition, feature.type, show(feature, features.get(name), currency))


def glance(features: dict[str, Any], currency: str | None) -> dict[str, Any]:
    return {
        "windows": [WINDOW_LABELS[w] for w in GLANCE_WINDOWS],
        "rows": [(label, [cell(f"{stem}_{w}", features, currency) for w in GLANCE_WINDOWS])
                 for label, stem in GLANCE_ROWS],
        "scalars": [cell(name, features, currency) for name in GLANCE_SCALARS],
    }


def feature_groups(features: dict[str, Any], currency: str | None) -> list[tuple[str, str, list[FeatureCell]]]:
    """(window id, label, cells) for every catalogue feature, in window order."""
    order = [w for w, _ in WINDOWS] + [None]
    groups: dict[str | None, list[FeatureCell]] = {w: [] for w in order}
    for feature in CATALOGUE:
        groups.setdefault(feature.window, []).append(cell(feature.name, features, currency))
    return [(w or "point", WINDOW_LABELS.get(w, str(w)), cells) for w, cells in groups.items() if cells]


def masked_event(event: dict[str, Any], pii: bool) -> dict[str, Any]:
    if pii:
        return event
    return {k: (mask(k, v) if k in PII_FIELDS else v) for k, v in event.items()}


def summary(event: dict[str, Any], limit: int = 160) -> str:
    """The type-specific fields of an event on one line, amount with its currency first."""
    parts: list[str] = []
    if "amount" in event:
        parts.append(f"amount {event['amount']} {event.get('currency', '')}".rstrip())
    for key, value in event.items():
        if key in _COMMON or key == "amount" or (key == "currency" and "amount" in event):
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        parts.append(f"{key}={text}")
    line = " · ".join(str(p) for p in parts)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def timeline_rows(events: list[dict[str, Any]], pii: bool) -> list[dict[str, Any]]:
    rows = []
    for item in events:
        event = masked_event(item["event"], pii)
        rows.append({"seq": item["seq"], "type": item["type"], "event_id": item["event_id"],
                     "occurred_at": utc(item["occurred_at"]), "received_at": utc(item["received_at"]),
                     "summary": summary(event), "raw": json.dumps(event, indent=2, ensure_ascii=False)})
    return rows
