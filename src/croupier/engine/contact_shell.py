"""What the contact arbiter needs of the engine's shell, outside the pure fold
(engine.contacts): the audit record of every message it held or dropped (`contact.verdict`,
beside the gate's decisions, so the player's "why" answers for them too), and the
`croupier.contact_due` facts that ask a held message again when its wait ends, written by
the engine's idle tick.

The waits are kept in memory by due time; on start they are found again from the player
states (`PlayerState.held`), so a restart loses none. A due fact's id derives from the
player, the message and the due time: written twice (a retry, two ticks), it is stored
once; folded for a message no longer held, it changes nothing."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from typing import Any

from croupier.engine.contacts import VERDICT, ContactNote
from croupier.events import ContactDue
from croupier.engine.everyone import DueHeap
from croupier.players import moment
from croupier.store import audit as audit_store


def due_id(player_id: str, message_id: str, due_us: int) -> str:
    return "contact:" + hashlib.sha256(f"{player_id}|{message_id}|{due_us}".encode()).hexdigest()[:32]


def waits_of(engine: Any) -> DueHeap:
    """The held messages whose due fact is not written yet: (due, fact id, player, brand, message)."""
    waits = getattr(engine, "contact_waits", None)
    if waits is None:
        waits = engine.contact_waits = DueHeap()
    return waits


def _wait(waits: DueHeap, due_us: int, player_id: str, brand: str | None, message_id: str) -> None:
    waits.add(due_us, due_id(player_id, message_id, due_us), player_id, brand or "croupier", message_id)


def carry_out(engine: Any, noted: Sequence[tuple[str, str, list[ContactNote]]]) -> None:
    """After a batch: keep the waits, audit the verdicts (once each)."""
    waits = waits_of(engine)
    entries: dict[str, audit_store.Entry] = {}
    for pid, brand, notes in noted:
        for note in notes:
            if note.verdict.outcome == "wait" and note.verdict.until_us is not None:
                _wait(waits, note.verdict.until_us, pid, brand, note.proposal.action_id)
            entries[note.subject] = audit_store.Entry(
                at_us=note.at_us, actor="engine", kind=VERDICT, player_id=pid, subject=note.subject,
                body=note.as_dict(), config_version=note.config_version)
    if entries:
        with engine.db.engine.begin() as conn:
            audit_store.append_once(conn, VERDICT, entries)


def load_waits(engine: Any) -> None:
    """The waits of every player's held messages, from the states (after a start or a rewind)."""
    waits_of(engine).refill(engine, _add_held)


def _add_held(waits: DueHeap, state: Any) -> None:
    for h in state.held:
        _wait(waits, h.until_us, state.player_id, state.brand, h.message_id)


def _due_fact(due_us: int, fact_id: str, pid: str, brand: str, message_id: str) -> ContactDue:
    return ContactDue(event_id=fact_id, player_id=pid, brand=brand, occurred_at=moment(due_us), actor="engine",
                      message_id=message_id)


def write_due(engine: Any, now_us: int) -> int:
    """Write the due facts of the waits ended by `now_us` and let the engine fold them;
    returns how many were stored."""
    return waits_of(engine).write_due(engine, now_us, _add_held, _due_fact)


def tick(engine: Any) -> None:
    """The engine's idle tick: write the due facts of the waits now ended (nothing to do,
    and no states read, while no journey was ever live and nothing waits)."""
    if engine.journeys or waits_of(engine).heap:
        write_due(engine, time.time_ns() // 1000)
