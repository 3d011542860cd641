"""The national register check in the gate and the fold, asked directly: while a registration's
check is pending, the register cannot be asked or nobody configured it, every promotion is
held (transactional and safer-play messages pass); a market the approved rules opt out of its
register lets marketing through with a note; the register's clear answer releases the held
welcome under an action id of its own, a hit never does. And a refold keeps the gate's daily
count of promotional messages."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from croupier.compliance import Proposal, decide, record_sent
from croupier.compliance.document import ConfigDocument
from croupier.compliance.rules import (
    ExclusionRules, JurisdictionRules, MarketingRules, RulesInForce, presets,
)
from croupier.engine import step
from croupier.events import RegisterScreened, parse_event
from croupier.players import EngineConfig, apply, micros, new_state, rebuild
from croupier.players.config import FeatureConfig

NOW = datetime(2026, 1, 15, 10, 0, tzinfo=timezone.utc)
NOW_US = micros(NOW)
CONFIG = EngineConfig()
SE = JurisdictionRules(code="SE", name="Sweden-like", currency="SEK", exclusions=ExclusionRules(register="SPELPAUS"))
KINDS = ("message", "bonus", "mission_enrolment", "tournament_enrolment", "reward")


def player(check: str = ""):  # noqa: ANN201
    state = new_state("g1")
    state.registered = True
    state.profile = {"jurisdiction": "SE", "birth_date": "1990-01-01", "timezone": "Europe/Stockholm"}
    state.consents = {"email": True, "sms": False, "push": True}
    state.protection.register_check = check
    return state


def ask(state, kind: str = "message", purpose: str = "promotional"):  # noqa: ANN001, ANN201
    p = Proposal(kind=kind, name="offer", player_id="g1", cause_event_id="e1",
                 purpose=purpose if kind == "message" else "promotional", channel="email" if kind == "message" else None)
    return decide(p, state, CONFIG, NOW_US, NOW_US - 60_000_000, SE)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("check", "reason"), [("pending", "register_check_pending"),
                                               ("unavailable", "register_unavailable")])
def test_every_promotion_waits_for_the_register(kind: str, check: str, reason: str) -> None:
    d = ask(player(check), kind)
    assert not d.allowed and d.reasons == (reason,)
    assert ask(player(""), kind).allowed        # the market names no register: nothing to wait for


@pytest.mark.parametrize("check", ["pending", "unavailable"])
@pytest.mark.parametrize("purpose", ["transactional", "safer_play"])
def test_transactional_and_safer_play_messages_pass_while_it_waits(check: str, purpose: str) -> None:
    d = ask(player(check), "message", purpose)
    assert d.allowed and d.notes == ()


@pytest.mark.parametrize("kind", KINDS)
def test_a_clear_answer_or_a_hit_adds_no_reason_of_its_own(kind: str) -> None:
    assert ask(player("clear"), kind).allowed
    assert ask(player("hit"), kind).allowed     # a hit suppresses through its register exclusion


@pytest.mark.parametrize("kind", KINDS)
def test_a_register_nobody_configured_holds_every_promotion(kind: str) -> None:
    """Fail closed: nobody asked the register, so the person may be listed."""
    d = ask(player("not_configured"), kind)
    assert not d.allowed and d.reasons == ("register_not_configured:SPELPAUS",) and d.notes == ()
    assert ask(player("not_configured"), "message", "transactional").allowed
    assert ask(player("not_configured"), "message", "safer_play").allowed
    # an opt-out recorded for the account passes only while the rules in force still opt out
    assert ask(player("opted_out"), kind).reasons == ("register_not_configured:SPELPAUS",)


OPTED_OUT = JurisdictionRules(code="SE", name="Sweden-like, opted out", currency="SEK", exclusions=ExclusionRules(
    register="SPELPAUS", register_opt_out=True, register_opt_out_reason="test market"))


@pytest.mark.parametrize("kind", KINDS)
def test_a_market_opted_out_of_its_register_lets_marketing_through_with_a_note(kind: str) -> None:
    p = Proposal(kind=kind, name="offer", player_id="g1", cause_event_id="e1",
                 channel="email" if kind == "message" else None)
    d = decide(p, player("opted_out"), CONFIG, NOW_US, NOW_US - 60_000_000, OPTED_OUT)
    assert d.allowed and d.reasons == ("all_checks_passed",) and d.notes == ("register_opted_out:SPELPAUS",)
    assert d.as_dict()["notes"] == ["register_opted_out:SPELPAUS"]
    # the account's recorded status must say so too: not_configured stays held until it does
    held = decide(p, player("not_configured"), CONFIG, NOW_US, NOW_US - 60_000_000, OPTED_OUT)
    assert held.reasons == ("register_not_configured:SPELPAUS",)
    # a market whose rules name no register any more holds nothing for it
    unnamed = JurisdictionRules(code="SE", name="no register", currency="SEK")
    assert decide(p, player("not_configured"), CONFIG, NOW_US, NOW_US - 60_000_000, unnamed).allowed
    assert "notes" not in ask(player("clear"), kind).as_dict()   # audit bodies unchanged otherwise


# --- the fold and the engine's core ---------------------------------------------------------

class Log:
    """`engine.step.PlayerLog` over a list."""

    def __init__(self) -> None:
        self.items: list[tuple[int, object]] = []

    def history(self, player_id: str, up_to_seq: int) -> list:
        return [(s, e) for s, e in self.items if s <= up_to_seq]

    def find(self, player_id: str, event_id: str, before_seq: int):  # noqa: ANN201
        return next(((s, e) for s, e in self.items if s < before_seq and e.event_id == event_id), None)


def _event(type_: str, n: int, minutes: int, **fields):  # noqa: ANN003, ANN201
    at = (NOW + timedelta(minutes=minutes)).isoformat()
    raw = {"event_id": f"r{n}", "type": type_, "player_id": "g1", "brand": "aurora", "occurred_at": at, **fields}
    return parse_event(raw, now=NOW + timedelta(days=1))


def _registration(jurisdiction: str = "SE"):  # noqa: ANN202
    return _event("player.registered", 1, 0, jurisdiction=jurisdiction, country="SE", currency="SEK",
                  timezone="Europe/Stockholm", birth_date="1990-01-01", email="g1@example.se",
                  consents={"email": True, "sms": False, "push": True})


def _screened(status: str, n: int = 9, minutes: int = 2) -> RegisterScreened:
    at = NOW + timedelta(minutes=minutes)
    return RegisterScreened(event_id=f"rs_{n}", player_id="g1", brand="aurora", occurred_at=at,
                            register="SPELPAUS", status=status, checked_at=at)


def _run(events: list, config: EngineConfig = CONFIG) -> tuple[object, list]:  # noqa: ANN001
    """Each event through `step` as the engine runs it; returns the state and every decision."""
    state, log, decided = new_state("g1"), Log(), []
    for seq, event in enumerate(events, 1):
        log.items.append((seq, event))
        result = step(state, event, seq, micros(event.occurred_at) + 1_000_000, config, log)
        state = result.state
        decided.extend(result.decisions)
    return state, decided


def test_the_fold_marks_a_registration_pending_where_the_rules_name_a_register() -> None:
    state = new_state("g1")
    apply(state, _registration(), 1, FeatureConfig())         # the presets: Sweden names Spelpaus
    p = state.protection
    assert (p.register_check, p.register_check_us, p.register_held) == ("pending", NOW_US, ("registered",))
    malta = new_state("g1")
    apply(malta, _registration("MT"), 1, FeatureConfig())
    assert (malta.protection.register_check, malta.protection.register_held) == ("", ())
    # the rules of the configuration version in force decide, not the presets
    table = dict(presets()) | {"MT": JurisdictionRules(code="MT", name="Malta with a register", currency="EUR",
                                                        exclusions=ExclusionRules(register="MT_REG"))}
    ruled = new_state("g1")
    apply(ruled, _registration("MT"), 1, FeatureConfig(), None, RulesInForce("v2", table))
    assert ruled.protection.register_check == "pending"


def test_the_welcome_is_held_then_proposed_again_when_the_register_answers_clear() -> None:
    state, decided = _run([_registration(), _screened("clear")])
    held, released = decided
    assert (held.proposal.name, held.allowed, held.reasons) == ("welcome", False, ("register_check_pending",))
    assert (released.proposal.name, released.allowed, released.reasons) == ("welcome", True, ("all_checks_passed",))
    assert released.proposal.cause_event_id == "rs_9" and released.proposal.params == {"signal": "registered"}
    assert released.proposal.action_id != held.proposal.action_id
    assert (state.protection.register_check, state.protection.register_held) == ("clear", ())
    # deterministic: the same log gives the same decisions and action ids
    _, again = _run([_registration(), _screened("clear")])
    assert [(d.proposal.action_id, d.allowed, d.reasons) for d in again] == \
        [(d.proposal.action_id, d.allowed, d.reasons) for d in decided]


def test_nothing_to_ask_keeps_the_welcome_held_until_a_configured_register_answers_clear() -> None:
    """`not_configured` proposes the held welcome again, so its decision says why it is held,
    and keeps it (and a later lifecycle message) for the answer of a register configured later."""
    deposit = _event("payment.deposit", 2, 5, transaction_id="t1", amount="10.00", currency="SEK",
                     status="approved")
    events = [_registration(), _screened("not_configured"), deposit]
    state, decided = _run(events)
    assert [(d.proposal.name, d.allowed, d.reasons) for d in decided] == [
        ("welcome", False, ("register_check_pending",)), ("welcome", False, ("register_not_configured:SPELPAUS",)),
        ("first_deposit_thanks", False, ("register_not_configured:SPELPAUS",))]
    assert decided[1].proposal.cause_event_id == "rs_9"
    assert (state.protection.register_check, state.protection.register_held) == \
        ("not_configured", ("registered", "first_deposit"))
    state, decided = _run([*events, _screened("clear", 10, 60)])
    released = [(d.proposal.name, d.allowed, d.reasons) for d in decided if d.proposal.cause_event_id == "rs_10"]
    assert sorted(released) == [("first_deposit_thanks", True, ("all_checks_passed",)),
                                ("welcome", True, ("all_checks_passed",))]
    assert state.protection.register_held == ()


def test_an_opt_out_recorded_for_the_account_releases_the_welcome_once() -> None:
    opted = ConfigDocument(jurisdictions={**presets(), "SE": OPTED_OUT})
    events = [_registration(), _screened("not_configured"), _screened("opted_out", 10, 60)]
    state, decided = _run(events, opted)
    assert [(d.allowed, d.reasons, d.notes) for d in decided] == [
        (False, ("register_check_pending",), ()), (False, ("register_not_configured:SPELPAUS",), ()),
        (True, ("all_checks_passed",), ("register_opted_out:SPELPAUS",))]
    assert decided[-1].proposal.cause_event_id == "rs_10" and state.protection.register_held == ()
    state, decided = _run([*events, _screened("clear", 11, 90)], opted)   # configured later: no second welcome
    assert [d.allowed for d in decided] == [False, False, True]


def test_a_hit_never_gets_a_welcome_and_a_later_clear_does_not_bring_one() -> None:
    state, decided = _run([_registration(), _screened("hit"), _screened("clear", 10, 60)])
    assert [(d.proposal.name, d.allowed) for d in decided] == [("welcome", False)]
    assert state.protection.register_check == "clear"


def test_an_unavailable_register_keeps_marketing_waiting_and_held_messages_follow_the_answer() -> None:
    deposit = _event("payment.deposit", 2, 5, transaction_id="t1", amount="10.00", currency="SEK",
                     status="approved")
    state, decided = _run([_registration(), _screened("unavailable"), deposit,
                           _screened("unavailable", 10, 20)])
    assert [(d.proposal.name, d.reasons) for d in decided] == [
        ("welcome", ("register_check_pending",)), ("first_deposit_thanks", ("register_unavailable",))]
    assert state.protection.register_held == ("registered", "first_deposit")
    state, decided = _run([_registration(), _screened("unavailable"), deposit, _screened("clear", 11, 30)])
    released = [d for d in decided if d.proposal.cause_event_id == "rs_11"]
    assert sorted((d.proposal.name, d.allowed) for d in released) == [("first_deposit_thanks", True), ("welcome", True)]


def test_a_refold_keeps_the_gate_daily_count_of_promotional_messages() -> None:
    """A refold rebuilds the state from the log; the count of messages the gate let through
    today is not in the log, and those messages went out: the cap must still see them."""
    capped = JurisdictionRules(code="XX", name="one a day", currency="SEK",
                               marketing=MarketingRules(max_messages_per_day=1))
    registration = _registration("XX")
    withdrawal = _event("payment.withdrawal", 2, 5, transaction_id="w1", amount="5.00", currency="SEK",
                        status="approved")
    state, decided = _run([registration, withdrawal])
    [welcome] = decided
    record_sent(state, decide(welcome.proposal, state, CONFIG, NOW_US, NOW_US, capped))   # sent today
    assert state.protection.promo_count == 1
    assert not ask_capped(state, capped).allowed
    log = Log()
    log.items = [(1, registration), (2, withdrawal)]
    rollback = _event("rollback", 3, 10, ref_event_id="r2")   # a withdrawal is undone by a refold
    log.items.append((3, rollback))
    result = step(state, rollback, 3, micros(rollback.occurred_at), CONFIG, log)
    assert result.state is not state                              # refolded from the log
    assert (result.state.protection.promo_day, result.state.protection.promo_count) == \
        (state.protection.promo_day, 1)
    d = ask_capped(result.state, capped)
    assert not d.allowed and d.reasons == ("message_cap:1/day",)
    # rebuild on its own carries the count only from the state it replaces
    assert rebuild("g1", log.items, FeatureConfig()).protection.promo_count == 0
    assert rebuild("g1", log.items, FeatureConfig(), previous=state).protection.promo_count == 1


def ask_capped(state, rules):  # noqa: ANN001, ANN201
    p = Proposal(kind="message", name="offer", player_id="g1", cause_event_id="e2", channel="email")
    return decide(p, state, CONFIG, NOW_US + 600_000_000, NOW_US + 600_000_000, rules)
