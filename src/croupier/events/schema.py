"""JSON Schema export of protocol v1, served at GET /v1/schema/events and kept in docs/."""

from __future__ import annotations

from typing import Any

import msgspec

from croupier.events.types import AnyEvent, AnyFact


def event_json_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of one event, as a oneOf over the event types."""
    schema = msgspec.json.schema(AnyEvent)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Croupier event (protocol v1)"
    schema["description"] = (
        "One event. Send a JSON array of up to 10,000 of them to POST /v1/events. "
        "Amounts are decimal strings with the currency's minor-unit precision; times are "
        "RFC 3339 with an offset; unknown fields are kept."
    )
    return schema


def fact_json_schema() -> dict[str, Any]:
    """The JSON Schema of Croupier's own facts: producers cannot send them, but they are in the
    same log, so timelines, exports and replays show them beside the events."""
    schema = msgspec.json.schema(AnyFact)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Croupier fact (protocol v1)"
    schema["description"] = (
        "One of Croupier's own facts (limit set, exclusion started, bonus credited, AML status "
        "changed, ...), written by Croupier into the event log. POST /v1/events rejects them."
    )
    return schema
