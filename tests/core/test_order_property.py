"""Property: any arrival order of a player's events gives the features of the in-order
delivery, through the engine's own fold (`engine.step`: apply, undo on a rollback, a refold
from the log when apply asks for one). The only exceptions are the features
docs/protocol.md#order-per-player lists as order-dependent, with the reason."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from croupier.events import parse_event
from croupier.players import FeatureConfig, compute_features, micros

from . import FAR_FUTURE, Script, fold

# docs/protocol.md#order-per-player: the losing run within a casino session is counted as
# the session's bets and wins arrive. (The other exceptions listed there are bounds of memory
# this history stays inside: every win's bet arrives, fewer than 64 bets, one approval per
# transaction.)
ORDER_DEPENDENT = {"rtp_sensitivity"}

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
AS_OF = START + timedelta(days=130)
ZONES = ["Europe/Stockholm", "Europe/London", "Asia/Kolkata", "America/New_York"]
CATEGORIES = ["slots", "live_casino", "table", "crash"]
GAMES = {"g1": "slots", "g2": "live_casino", "g3": "crash"}   # a game has one category


class History:
    """Builds one player's events at times on a coarse grid (so equal times are common)."""

    def __init__(self, draw: Any, currency: str) -> None:  # noqa: ANN401
        self.draw, self.s, self.currency = draw, Script(currency=currency), currency
        self.events: list[dict[str, Any]] = []
        self.undoable: list[dict[str, Any]] = []
        self.n = 0

    def at(self, after: datetime | None = None) -> datetime:
        if after is not None:
            return after + timedelta(minutes=self.draw(st.sampled_from([0, 1, 5, 30, 90])))
        day = self.draw(st.integers(0, 110))
        return START + timedelta(days=day, hours=self.draw(st.sampled_from([0, 6, 12, 22, 23])),
                                 minutes=self.draw(st.sampled_from([0, 30])))

    def uid(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def add(self, *events: dict[str, Any], undoable: bool = False) -> None:
        self.events.extend(events)
        if undoable:
            self.undoable.extend(events)

    def money(self) -> str:
        return self.draw(st.sampled_from(["1.00", "5.00", "12.50", "40.00"]))

    def foreign(self) -> dict[str, str]:
        return {"currency": "USD"} if self.draw(st.integers(0, 9)) == 0 else {}

    # -- one activity each ----------------------------------------------------------------
    def deposit(self) -> None:
        status = self.draw(st.sampled_from(["approved", "approved", "approved", "declined", "requested"]))
        self.add(self.s.deposit(self.at(), self.money(), status=status, tx=self.uid("d"), **self.foreign()),
                 undoable=True)

    def withdrawal(self) -> None:
        tx, t = self.uid("w"), self.at()
        chain = [self.s.withdrawal(t, "10.00", "requested", tx)]
        if self.draw(st.booleans()):
            t = self.at(t)
            chain.append(self.s.withdrawal(t, "10.00", "approved", tx))
            if self.draw(st.integers(0, 3)) == 0:
                chain.append(self.s.withdrawal(self.at(t), "10.00",
                                               self.draw(st.sampled_from(["cancelled", "reversed"])), tx))
        self.add(*chain)

    def casino(self, t: datetime, session_id: str | None = None) -> datetime:
        bet_id, game = self.uid("b"), self.draw(st.sampled_from([*GAMES, None]))
        fields: dict[str, Any] = {"game_id": game} if game else {}
        if session_id:
            fields["session_id"] = session_id
        category = GAMES[game] if game else self.draw(st.sampled_from(CATEGORIES))
        self.add(self.s.bet(t, self.money(), bet_id, category, **fields, **self.foreign()), undoable=True)
        if self.draw(st.booleans()):
            t = self.at(t)
            self.add(self.s.win(t, self.money(), bet_id, **({"game_id": game} if game else {})), undoable=True)
        return t

    def session(self) -> None:
        sid, t = self.uid("s"), self.at()
        self.add(self.s("session.started", t, session_id=sid))
        for _ in range(self.draw(st.integers(0, 4))):
            t = self.casino(self.at(t), sid)
        if self.draw(st.integers(0, 4)):
            self.add(self.s("session.ended", self.at(t), session_id=sid))

    def bet(self) -> None:
        self.casino(self.at())

    def sports(self) -> None:
        bet_id, t = self.uid("sp"), self.at()
        self.add(self.s.sports(t, self.money(), bet_id), undoable=True)
        outcome = self.draw(st.sampled_from(["won", "lost", "void", None]))
        if outcome:
            payout = "0" if outcome != "won" else self.money()
            self.add(self.s.settled(self.at(t), bet_id, outcome, payout))

    def login(self) -> None:
        self.add(self.s("player.login", self.at(), success=self.draw(st.integers(0, 5)) > 0,
                        device_id=self.draw(st.sampled_from(["dev1", "dev2", "dev3"]))))

    def update(self) -> None:
        fields = self.draw(st.fixed_dictionaries({}, optional={
            "language": st.sampled_from(["sv", "en", "de"]), "timezone": st.sampled_from(ZONES),
            "email": st.sampled_from(["a@example.se", "b@example.se"])}))
        self.add(self.s("player.updated", self.at(), **fields))

    def consent(self) -> None:
        self.add(self.s("player.consent_changed", self.at(), channel=self.draw(st.sampled_from(["email", "sms"])),
                        granted=self.draw(st.booleans())))

    def kyc(self) -> None:
        self.add(self.s("kyc.status_changed", self.at(), status=self.draw(st.sampled_from(["pending", "verified"])),
                        level=self.draw(st.sampled_from(["basic", "full", None]))))

    def rollback(self) -> None:
        if self.undoable:
            target = self.draw(st.sampled_from(self.undoable))
            moment = datetime.fromisoformat(target["occurred_at"])
            self.add(self.s.rollback(self.at(moment), target))


MAX_ACTIVITIES = 14
ACTIVITIES = ["deposit", "deposit", "withdrawal", "session", "session", "bet", "sports", "login",
              "update", "consent", "kyc", "rollback"]


@st.composite
def histories(draw: Any) -> list[dict[str, Any]]:  # noqa: ANN401
    """A realistic history, in order of occurred_at (equal times by event id)."""
    h = History(draw, draw(st.sampled_from(["SEK", "EUR"])))
    if draw(st.integers(0, 5)):  # mostly registered, sometimes not (yet)
        h.add(h.s.registered(h.at(), timezone=draw(st.sampled_from(ZONES)), currency=h.currency))
    for activity in draw(st.lists(st.sampled_from(ACTIVITIES), min_size=1, max_size=MAX_ACTIVITIES)):
        getattr(h, activity)()
    if not h.events:
        h.login()
    return sorted(h.events, key=lambda e: (micros(parse_event(e, now=FAR_FUTURE).occurred_at), e["event_id"]))


def features(events: list[dict[str, Any]]) -> dict[str, Any]:
    f = compute_features(fold(events), micros(AS_OF), FeatureConfig())
    return {k: v for k, v in f.items() if k not in ORDER_DEPENDENT}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_any_arrival_order_gives_the_in_order_features(data: st.DataObject) -> None:
    in_order = data.draw(histories(), label="history")
    arrived = data.draw(st.permutations(in_order), label="arrival order")
    expected, got = features(in_order), features(arrived)
    assert got == expected, {k: (got[k], v) for k, v in expected.items() if got[k] != v}
