"""`croupier bench ingest --segments N --journeys M`: the engagement layer switched on before
the run, through the paths an operator's staff use, so the pipeline folds it on every event.

Segments are the real-time benchmark's mix (`bench.realtime.definitions`: play and deposit
windows, "days since" conditions, session lengths, the RG level and protection state, sets
and negations), stored and put live (`segments.realtime.go_live`: the activation fact in the
log). Journeys are the ready-made templates' steps (waits, branches, sends, bonuses, tasks,
tags) under varied triggers: frequent event types (deposits, logins, casino and sports bets,
sessions) and entering one of those live segments; each is created and published
(`journeys.publishing`: the publication fact in the log), in its own group with its own
priority so none conflicts with another."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import msgspec

# (template whose steps, goals and exits the journey takes; its trigger: an event type and
# a condition, or None for "entered a live segment")
_PLANS: tuple[tuple[str, str | None, str | None], ...] = (
    ("second_deposit", "payment.deposit", 'event.status = "approved" and deposit_count_lifetime = 1'),
    ("welcome", "player.login", "deposit_count_lifetime = 0"),
    ("reactivation_7d", None, None),
    ("vip_escalation", "payment.deposit", 'event.status = "approved" and deposit_sum_30d >= 500'),
    ("milestone_anniversary", "casino.bet", "bet_count_1d = 20"),
    ("reactivation_7d", "sports.bet_placed", "bet_count_sports_7d = 3"),
    ("welcome", None, None),
    ("second_deposit", "session.started", "session_count_7d = 2 and deposit_count_lifetime >= 1"),
    ("milestone_anniversary", None, None),
    ("vip_escalation", "casino.bet", "stake_sum_7d >= 1000.00"),
)


@dataclass
class Engagement:
    """What was switched on before the run."""

    segments: list[int]           # live segment ids
    journeys: list[str]           # published journey keys
    segment_triggered: int        # journeys triggered by entering a segment


def journey_definitions(count: int, segment_ids: list[int]) -> list[Any]:
    """`count` journeys made from the templates, with distinct keys, groups and priorities;
    the segment-triggered ones cycle over `segment_ids` (an event trigger stands in for them
    when there is no live segment)."""
    from croupier.journeys.definition import EventTrigger, SegmentEntered
    from croupier.journeys.templates import template

    out = []
    for i in range(count):
        key, event, condition = _PLANS[i % len(_PLANS)]
        base = template(key)
        if event is None and segment_ids:
            trigger: Any = SegmentEntered(segment_id=segment_ids[i % len(segment_ids)])
        else:
            trigger = EventTrigger(event=event or "player.login", condition=condition)
        out.append(msgspec.structs.replace(
            base, key=f"bench_{i + 1}_{key}", name=f"bench {i + 1}: {base.name}", version=1,
            group=f"bench_{i + 1}", priority=100 + i, trigger=trigger))
    return out


def switch_on(runtime: Any, segments: int, journeys: int, actor: str = "bench") -> Engagement:
    """Store and put live `segments` segments and create and publish `journeys` journeys on
    `runtime`, and let its engine follow them before any event arrives."""
    from croupier.bench.realtime import definitions
    from croupier.journeys import publishing
    from croupier.journeys.definition import SegmentEntered
    from croupier.segments import parse_valid, to_json, to_text
    from croupier.segments.realtime import go_live
    from croupier.store import segments as segment_store

    now_us = time.time_ns() // 1000
    ids: list[int] = []
    facts: list = []
    with runtime.db.engine.begin() as conn:
        for i, text in enumerate(definitions(segments), 1):
            node = parse_valid(text)
            stored = segment_store.create(conn, name=f"bench {i}", description="croupier bench ingest",
                                          purpose="promotional", definition=to_json(node).decode(),
                                          text=to_text(node), actor=actor, now_us=now_us)
            ids.append(stored.segment_id)
            facts += go_live(conn, stored, actor=actor, now_us=now_us)
    if facts:
        runtime.engine.submit(facts)
    made = journey_definitions(journeys, ids)
    with runtime.db.engine.begin() as conn:
        for journey in made:
            created = publishing.create(conn, journey, actor, now_us, note="croupier bench ingest")
            publishing.publish(conn, created.journey_id, 1, actor, now_us)
    runtime.engine.process_pending()
    return Engagement(ids, [j.key for j in made], sum(isinstance(j.trigger, SegmentEntered) for j in made))
