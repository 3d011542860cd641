"""What the engine keeps of a player's contacts beside the rest of `PlayerState`: the contact
memory the arbiter counts caps and fatigue on (`croupier.contact.ContactMemory`), and the
messages the arbiter told to wait (`HeldContact`), each asked again by a
`croupier.contact_due` fact when its wait ends. Both are folded from the log, so a replay
holds and releases the same messages, and a restart finds every wait again in the states."""

from __future__ import annotations

from typing import Any

from msgspec import Struct, field

from croupier.contact import ContactRequest

# Messages one player may have waiting at once. A wait is bounded in time (the policy's
# max_wait_hours, quiet hours), so a player reaches this only when many sources propose many
# messages inside one wait; the one ranked last by the arbiter's order is then dropped
# (contact.queue_full:<n>), never an arbitrary one.
MAX_HELD = 24


class HeldContact(Struct, array_like=True, omit_defaults=True):
    """A message waiting for its place: asked again at `until_us`, as `request` (which keeps
    the time it was first proposed, so a wait never starts over), then proposed to the gate
    as the message `name` with its cause and parameters. `reasons` say why it waits."""

    until_us: int
    request: ContactRequest
    name: str                                   # the template (the gate's action name)
    cause_event_id: str                         # the step's cause: the gate's action id derives from it
    reasons: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message_id(self) -> str:
        return self.request.message_id
