"""The contact arbiter in the engine's step: every message a live journey proposes passes
`croupier.contact` before the compliance gate, with the policy of the configuration version
in force and the player's own time zone, at the time of the event (or of the wait's end)
being folded, so a replay decides exactly as live did.

- `settle`: several messages of one step are settled together (`choose`). One the arbiter
  lets go is decided by the gate as before (a promotion the gate suppresses takes no place:
  the messages after it that lost their place are asked again); if the gate allows a promotional one, it goes
  into the player's contact memory (safer-play and transactional ones pass at once and are
  not counted). One told to wait is kept in the player's state (`PlayerState.held`) and a
  `croupier.contact_due` fact is written when the wait ends (the shell,
  engine.contact_shell). One dropped never reaches the gate. Both are recorded
  (`ContactNote`, audited as `contact.verdict`), so "why did player X not receive Y" answers.
- `due`: the fact folds the held message back: asked again against the player's state and
  memory as they are then. A journey message whose player has left the journey since (its
  exit condition holds now, a goal ended it, it was paused, a safer-play journey took over)
  is dropped with `contact.left_journey:<why>`; an offer that expired meanwhile with
  `contact.expired`.
- `feedback`: an open or a click (`message.feedback`) marks the contact engaged, which ends
  fatigue.

Pure: reads and folds the state it is given, returns the gate's decisions and the notes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from croupier.compliance import Decision, Proposal, decide, record_sent
from croupier.compliance.rules import rules_for
from croupier.contact import (
    BYPASS, ContactRequest, Verdict, arbitrate, choose, contact_of, engaged, policy_of, rank, record,
)
from croupier.events import ContactDue, MessageFeedback
from croupier.journeys.run import LiveJourneys
from croupier.players import EngineConfig, PlayerState
from croupier.players.contact_state import MAX_HELD, HeldContact

VERDICT = "contact.verdict"   # the audit kind of a message the arbiter held or dropped
# The codes the engine adds to the arbiter's (compliance.reasons says each in words).
REASON_CODES = ("contact.queue_full:<n>", "contact.left_journey:<why>")
ENGAGED = frozenset({"opened", "clicked"})
ValuesOf = Callable[[frozenset[str]], Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class ContactNote:
    """A message the arbiter held (`wait`, with the time it is asked again) or dropped, with
    its reasons: what the audit log records beside the gate's decisions."""

    proposal: Proposal
    verdict: Verdict
    at_us: int
    cause_id: str          # the event (or contact_due fact) whose fold asked
    config_version: str

    @property
    def subject(self) -> str:
        """The audit subject: the same verdict on the same message at the same moment (a
        replay, a retried batch) is recorded once."""
        v = self.verdict
        digest = hashlib.sha256(f"{self.proposal.action_id}|{v.outcome}|{self.at_us}|{v.until_us}|{','.join(v.reasons)}"
                                .encode()).hexdigest()[:32]
        return "cv_" + digest

    def as_dict(self) -> dict[str, Any]:
        p, v = self.proposal, self.verdict
        out = {"action_id": p.action_id, "kind": p.kind, "name": p.name, "purpose": p.purpose, "channel": p.channel,
               "player_id": p.player_id, "cause_event_id": p.cause_event_id, "params": p.params, "allowed": False,
               "outcome": v.outcome, "reasons": list(v.reasons), "asked_by": self.cause_id,
               "config_version": self.config_version}
        if v.until_us is not None:
            out["until_us"] = v.until_us
        return out


def _arbiter_inputs(state: PlayerState, config: EngineConfig) -> tuple[Any, str | None, Sequence[int] | None]:
    """The policy in force, the player's time zone (None: the policy's default) and their
    market's quiet hours (the gate would suppress a promotion in them; the arbiter waits)."""
    rules = rules_for(state.profile.get("jurisdiction"), getattr(config, "jurisdictions", None) or None)
    return policy_of(config), state.profile.get("timezone") or None, rules.marketing.quiet_hours or None


def settle(state: PlayerState, asked: Sequence[tuple[ContactRequest, Proposal]], config: EngineConfig,
           received_us: int, at_us: int, cause_id: str) -> tuple[list[Decision], list[ContactNote]]:
    """Arbitrate the messages of one step together, then let the gate decide those that go
    (in the arbiter's order). Folds the player's contact memory and held messages."""
    if not asked:
        return [], []
    policy, zone, market = _arbiter_inputs(state, config)
    proposal_of = {id(request): proposal for request, proposal in asked}
    choice = choose([request for request, _ in asked], state.contacts, policy, at_us, zone, market)
    decisions: list[Decision] = []
    notes: list[ContactNote] = []
    refused = False   # the gate suppressed a promotion `choose` had given a place to
    for request, verdict in choice.settled:
        proposal = proposal_of[id(request)]
        if refused and not verdict.sends:   # the place it lost may be free after all: ask again
            again = arbitrate(request, state.contacts, policy, at_us, zone, market)
            verdict = again if again.sends else verdict
        if verdict.sends:
            decision = decide(proposal, state, config, received_us, at_us)
            record_sent(state, decision)   # the market's daily cap counts what was let through
            if request.purpose not in BYPASS:
                if decision.allowed:
                    state.contacts = record(state.contacts, contact_of(request, at_us, proposal.action_id))
                else:
                    refused = True
            decisions.append(decision)
            continue
        if verdict.outcome == "wait":
            dropped = _hold(state, request, proposal, verdict)
            for other, why in dropped:
                notes.append(ContactNote(other, why, at_us, cause_id, config.version))
            if any(other.action_id == proposal.action_id for other, _ in dropped):
                continue
        notes.append(ContactNote(proposal, verdict, at_us, cause_id, config.version))
    return decisions, notes


def _hold(state: PlayerState, request: ContactRequest, proposal: Proposal,
          verdict: Verdict) -> list[tuple[Proposal, Verdict]]:
    """Keep a waiting message in the state (one per message id, ordered by due time and id).
    Beyond MAX_HELD the one ranked last by the arbiter's order is dropped (returned)."""
    assert verdict.until_us is not None
    held = [h for h in state.held if h.message_id != request.message_id]
    held.append(HeldContact(verdict.until_us, request, proposal.name, proposal.cause_event_id, verdict.reasons,
                            dict(proposal.params)))
    dropped: list[tuple[Proposal, Verdict]] = []
    while len(held) > MAX_HELD:
        last = max(held, key=lambda h: rank(h.request))
        held.remove(last)
        dropped.append((_proposal(state, last), Verdict("drop", (f"contact.queue_full:{MAX_HELD}", *last.reasons))))
    state.held = sorted(held, key=lambda h: (h.until_us, h.message_id))
    return dropped


def _proposal(state: PlayerState, held: HeldContact) -> Proposal:
    r = held.request
    return Proposal(kind="message", name=held.name, player_id=state.player_id, cause_event_id=held.cause_event_id,
                    purpose=r.purpose, channel=r.channel, params=dict(held.params))


def due(state: PlayerState, fact: ContactDue, config: EngineConfig, live: LiveJourneys, values_of: ValuesOf,
        received_us: int, at_us: int) -> tuple[list[Decision], list[ContactNote]]:
    """A held message's wait ended: ask again (a fact for a message no longer held, or one
    whose wait was moved later, changes nothing)."""
    held = next((h for h in state.held if h.message_id == fact.message_id), None)
    if held is None or held.until_us > at_us:
        return [], []
    state.held = [h for h in state.held if h is not held]
    proposal = _proposal(state, held)
    why = left_source(state, held, live, values_of)
    if why is not None:
        return [], [ContactNote(proposal, Verdict("drop", (f"contact.left_journey:{why}",)), at_us, fact.event_id,
                                config.version)]
    return settle(state, [(held.request, proposal)], config, received_us, at_us, fact.event_id)


def left_source(state: PlayerState, held: HeldContact, live: LiveJourneys, values_of: ValuesOf) -> str | None:
    """Why the source of a held message no longer wants it sent, or None. For a journey:
    the journey was paused or archived (`paused`), the player reached a goal that ends it
    for the entry that proposed it (`goal`), a safer-play journey now runs for them and the
    message promotes (`safer_play`), or one of its exit conditions holds now (`exit_when`)."""
    request, params = held.request, held.params
    if request.source_kind != "journey":
        return None
    key, version, entry = request.source_id, params.get("version"), params.get("entry_id")
    compiled = live.version(key, version) if isinstance(version, int) else None
    if compiled is None or key not in live.live:
        return "paused"
    history = state.journeys.history.get(key)
    if history is not None and history.last_entry_id == entry \
            and any(g.ends_journey and history.reached(g.name) for g in compiled.goals):
        return "goal"
    if request.purpose not in BYPASS:
        for other_key, run in state.journeys.runs.items():
            other = live.version(other_key, run.version)
            if other is not None and other.safer_play:
                return "safer_play"
    for check in compiled.exits:
        if check.predicate(values_of(check.names)):
            return "exit_when"
    return None


def feedback(state: PlayerState, event: MessageFeedback) -> None:
    """An open or a click marks the contact engaged in the memory (fatigue counts ignored
    contacts); other outcomes change nothing here."""
    if event.outcome in ENGAGED:
        state.contacts = engaged(state.contacts, event.message_id)
