"""Money events for a brand whose wallet of record is Croupier's ledger are refused one by
one at ingest: that brand's money is what the ledger posts (its own facts reach the log
without passing here), and an event counted beside the postings would make a second figure
for limit usage (docs/integration.md#money-of-record). Staff decisions sent as events by a key
that relays players' own requests are refused the same way. Pure: a parsed batch in, out."""

from __future__ import annotations

from collections.abc import Callable

from croupier.events import Event, ParsedBatch, Rejection
from croupier.players import EngineConfig, money_of_record

# What moves or undoes money: limits, features and the panel count these.
MONEY_EVENT_TYPES = frozenset({
    "payment.deposit", "payment.withdrawal", "payment.chargeback", "casino.bet", "casino.win",
    "sports.bet_placed", "sports.bet_settled", "rollback",
})


def refuse_ledger_money(parsed: ParsedBatch, config: EngineConfig) -> ParsedBatch:
    """`parsed` without the money events of ledger brands, which join its rejections (by
    index, naming the event type and what to do instead)."""
    if "ledger" not in config.money_of_record.values():
        return parsed

    def refusal(event: Event) -> tuple[str, str, str] | None:
        kind = event.__struct_config__.tag
        if kind in MONEY_EVENT_TYPES and money_of_record(config, event.brand) == "ledger":
            return "type", _reason(kind, event.brand), kind
        return None

    return _without(parsed, refusal)


def refuse_staff_decisions(parsed: ParsedBatch, scopes: str) -> ParsedBatch:
    """`parsed` without the `limit.changed` events an operator or a regulator decided, which
    join its rejections: a key without the `protection` scope relays a player's own requests
    only, so it cannot raise or remove what staff set by sending the change as an event
    (docs/integration.md#api-keys)."""
    def refusal(event: Event) -> tuple[str, str, str] | None:
        source = getattr(event, "source", "player")
        if event.__struct_config__.tag == "limit.changed" and source != "player":
            return "source", (f"a {source}-set limit is a staff decision: it needs an API key with the protection "
                              f"scope (this one has: {scopes}); a player's own limit has source \"player\""), source
        return None

    return _without(parsed, refusal)


def _without(parsed: ParsedBatch, refusal: Callable[[Event], tuple[str, str, str] | None]) -> ParsedBatch:
    """`parsed` without the events `refusal` names a (field, reason, value) for; each joins the
    rejections at its index."""
    kept = ParsedBatch(rejected=list(parsed.rejected))
    for event, raw, index in zip(parsed.events, parsed.raws, parsed.indexes, strict=True):
        refused = refusal(event)
        if refused is not None:
            kept.rejected.append(Rejection(index, event.event_id, *refused))
            continue
        kept.events.append(event)
        kept.raws.append(raw)
        kept.indexes.append(index)
    kept.rejected.sort(key=lambda r: r.index)
    return kept


def _reason(kind: str, brand: str) -> str:
    return (f"brand {brand!r} keeps its money in Croupier's ledger (money_of_record: ledger), so a {kind} "
            "cannot arrive as an event: it would count beside the ledger's postings. Move the money through "
            "/v1/wallet/{player_id}/... (the ledger logs the event itself), or set the brand's "
            "money_of_record to \"platform\" if your platform is the wallet")
