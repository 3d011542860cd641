"""Campaigns at rest: stored, edited, launched and cancelled as the journeys they are, through
`croupier.journeys.publishing` (the same audit entries and facts in the log), with what a
campaign adds: a key derived from its name, every problem at the form's fields, and a send
time that has passed refused at launch. Owns no SQL of its own: the journeys' store does."""

from __future__ import annotations

from typing import Any

from msgspec.structs import replace
from sqlalchemy import Connection

from croupier.campaigns.form import Campaign, from_journey, key_from, passed, problems, validate
from croupier.journeys import JourneyError, Problem
from croupier.journeys import publishing
from croupier.store import journeys as journey_store
from croupier.store.journeys import StoredJourney


def get(conn: Connection, campaign_id: int) -> tuple[StoredJourney, Campaign]:
    """The stored campaign and its latest form; JourneyNotFound unless it is a campaign."""
    stored = journey_store.get(conn, campaign_id)
    latest = journey_store.version(conn, campaign_id, stored.latest_version) if stored else None
    campaign = from_journey(publishing.definition_of(latest)) if latest else None
    if stored is None or campaign is None:
        raise publishing.JourneyNotFound(f"no campaign {campaign_id}")
    return stored, campaign


def listing(conn: Connection, *, archived: bool = False) -> list[tuple[StoredJourney, Campaign]]:
    """The campaigns among the journeys (those whose latest version is in a campaign's shape)."""
    out = []
    for stored in journey_store.listing(conn, archived=archived):
        latest = journey_store.version(conn, stored.journey_id, stored.latest_version)
        campaign = from_journey(publishing.definition_of(latest)) if latest else None
        if campaign is not None:
            out.append((stored, campaign))
    return out


def _checked(campaign: Campaign) -> None:
    found = problems(campaign)
    if found:
        raise JourneyError(found)


def free_key(conn: Connection, base: str) -> str:
    """`base`, or `base_2`, `base_3`, ...: the first key no journey has."""
    key, n = base, 1
    while journey_store.by_key(conn, key) is not None:
        n += 1
        key = f"{base[:60]}_{n}"
    return key


def create(conn: Connection, campaign: Campaign, actor: str, now_us: int, *, on_behalf_of: str | None = None,
           note: str = "") -> StoredJourney:
    """Store a campaign (a draft journey, version 1); a campaign is stored only when it could run."""
    _checked(campaign)
    keyed = replace(campaign, key=campaign.key or free_key(conn, key_from(campaign.name)))
    return publishing.create(conn, validate(keyed), actor, now_us, on_behalf_of=on_behalf_of,
                             note=note or "campaign created")


def revise(conn: Connection, campaign_id: int, campaign: Campaign, actor: str, now_us: int, *,
           on_behalf_of: str | None = None, note: str = "") -> tuple[StoredJourney, bool]:
    """A new version (none when nothing changed); the key stays."""
    _checked(campaign)
    stored, _ = get(conn, campaign_id)
    if campaign.key is not None and campaign.key != stored.key:
        raise JourneyError([Problem("$.key", f"a campaign keeps its key {stored.key!r}", value=campaign.key)])
    return publishing.revise(conn, campaign_id, validate(replace(campaign, key=stored.key)), actor, now_us,
                             on_behalf_of=on_behalf_of, note=note)


def launch(conn: Connection, campaign_id: int, actor: str, now_us: int, *,
           on_behalf_of: str | None = None) -> StoredJourney:
    """Publish the latest version, unless its send time has passed (everywhere, for a send in
    each player's local time)."""
    stored, campaign = get(conn, campaign_id)
    why = passed(campaign, now_us)
    if why:
        raise JourneyError([Problem("$.send_at", why, value=campaign.send_at)])
    return publishing.publish(conn, campaign_id, stored.latest_version, actor, now_us, on_behalf_of=on_behalf_of)


def cancel(conn: Connection, campaign_id: int, actor: str, now_us: int, *,
           on_behalf_of: str | None = None) -> StoredJourney:
    """Stop the campaign (players not yet sent to get nothing) and archive it."""
    get(conn, campaign_id)
    return publishing.archive(conn, campaign_id, actor, now_us, on_behalf_of=on_behalf_of)


def view_links(campaign_id: int) -> dict[str, Any]:
    base = f"/v1/journeys/{campaign_id}"
    return {"journey": base, "steps": f"{base}/steps", "results": f"{base}/results", "dry_run": f"{base}/dry-run"}
