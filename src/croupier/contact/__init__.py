"""The contact arbiter: caps per player per local day and week across every source and
channel, caps per channel, priorities, fatigue and quiet hours, before the compliance gate.

Pure (no SQL, no clock): `arbitrate` and `choose` decide from the request, the player's
contact memory, the policy of the configuration version in force and the time; `record` and
`engaged` fold what went out and what the player opened or clicked into the memory.
docs/contact-policy.md says the rules for a CRM manager and a compliance officer.
"""

from croupier.contact.arbiter import (
    BYPASS, PURPOSES, REASON_CODES, SOURCE_KINDS, Choice, ContactRequest, Verdict, arbitrate, choose, contact_of, rank,
)
from croupier.contact.memory import EMPTY, MAX_CONTACTS, Contact, ContactMemory, engaged, record
from croupier.contact.policy import (
    CHANNELS, DEFAULT_POLICY, ContactPolicy, Fatigue, QuietHours, policy_of, problems,
)

__all__ = ["BYPASS", "CHANNELS", "DEFAULT_POLICY", "EMPTY", "MAX_CONTACTS", "PURPOSES", "REASON_CODES", "SOURCE_KINDS",
           "Choice", "Contact", "ContactMemory", "ContactPolicy", "ContactRequest", "Fatigue", "QuietHours",
           "Verdict", "arbitrate", "choose", "contact_of", "engaged", "policy_of", "problems", "rank", "record"]
