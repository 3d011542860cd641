"""One-off campaigns: a segment, a message and/or a bonus, a send time (at launch, at a
moment, or at a wall-clock time in each player's zone), a control group and a throttle.
A campaign is a journey with a one-off trigger (`form.to_journey`), so it runs, is gated,
audited, counted, measured and dry-run as journeys are. Pure; `campaigns.service` stores and launches
campaigns through `croupier.journeys.publishing` for the API, the back office and the CLI."""

from croupier.campaigns.form import (
    BonusOffer, Campaign, Message, from_journey, from_json, key_from, passed, problems, to_builtins,
    to_journey, validate,
)

__all__ = ["BonusOffer", "Campaign", "Message", "from_journey", "from_json", "key_from", "passed", "problems",
           "to_builtins", "to_journey", "validate"]
