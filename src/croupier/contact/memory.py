"""A player's contact memory: the few recent promotional contacts the arbiter counts caps and
fatigue on. Small and bounded (MAX_CONTACTS), so it can live in PlayerState and be folded
from the log: `record` after the gate let a contact go, `engaged` on an open or a click.

Only promotional contacts are remembered: safer-play and transactional messages are neither
capped nor counted. The memory holds every contact of the current local day and week as
long as the policy's caps stay within MAX_CONTACTS (the policy's validation sees to that),
so the counts are exact, not estimates.
"""

from __future__ import annotations

from msgspec import Struct

MAX_CONTACTS = 24   # >= every cap and fatigue run the policy allows


class Contact(Struct, array_like=True, frozen=True):
    """One promotional contact that went out: when (UTC us), on which channel, from which
    source ("journey:welcome", "campaign:xmas"), at what priority, its message id (what
    message.feedback names) and whether the player opened or clicked it."""

    at_us: int
    channel: str
    source: str
    priority: int
    message_id: str
    engaged: bool = False


class ContactMemory(Struct, array_like=True, frozen=True):
    """The newest MAX_CONTACTS contacts, oldest first (by time, then message id)."""

    contacts: tuple[Contact, ...] = ()


EMPTY = ContactMemory()


def record(memory: ContactMemory, contact: Contact) -> ContactMemory:
    """`memory` with `contact` in its place by time; the oldest beyond MAX_CONTACTS fall out.
    Idempotent: a contact whose message id is already remembered changes nothing (a retried
    batch, a replay)."""
    if any(c.message_id == contact.message_id for c in memory.contacts):
        return memory
    contacts = sorted((*memory.contacts, contact), key=lambda c: (c.at_us, c.message_id))
    return ContactMemory(tuple(contacts[-MAX_CONTACTS:]))


def engaged(memory: ContactMemory, message_id: str) -> ContactMemory:
    """`memory` with the contact of `message_id` marked opened-or-clicked (message.feedback
    outcome opened or clicked). A message no longer remembered changes nothing."""
    for i, c in enumerate(memory.contacts):
        if c.message_id == message_id:
            if c.engaged:
                return memory
            marked = Contact(c.at_us, c.channel, c.source, c.priority, c.message_id, True)
            return ContactMemory((*memory.contacts[:i], marked, *memory.contacts[i + 1:]))
    return memory
