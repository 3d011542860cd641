"""Helpers for the ledger tests: a database, postings and limit changes at explicit times."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

from croupier.compliance.rules import JurisdictionRules, LimitRules
from croupier.ledger import PlayerContext, PostResult, TransferRequest
from croupier.ledger.post import post
from croupier.ledger.views import wallet_view
from croupier.protection.limits import LimitOutcome, LimitRequest, set_limit
from croupier.store import Database, open_database

STOCKHOLM = "Europe/Stockholm"
T0 = datetime(2026, 11, 18, 10, 0, tzinfo=timezone.utc)   # a Wednesday, 11:00 in Stockholm


class Wallet:
    """One player's wallet in one currency, driven with explicit times."""

    def __init__(self, db: Database, player_id: str = "p1", currency: str = "SEK", tz: str | None = STOCKHOLM,
                 rules: JurisdictionRules | None = None):
        self.db, self.player_id, self.currency, self.tz = db, player_id, currency, tz
        self.rules = rules or JurisdictionRules(code="XX", name="Testland", currency="SEK")
        self.context = PlayerContext(brand="aurora", timezone=tz, jurisdiction=self.rules.code)
        self._n = 0

    def _id(self) -> str:
        self._n += 1
        return f"{self.player_id}-tx-{self._n}"

    def post(self, kind: str, amount: int = 0, *, at: datetime = T0, tx: str | None = None, **fields) -> PostResult:
        req = TransferRequest(transfer_id=tx or self._id(), player_id=self.player_id, kind=kind,
                              currency=self.currency, amount=amount, **fields)
        with self.db.engine.begin() as conn:
            return post(conn, req, now=at, context=self.context)

    def limit(self, kind: str, period: str, amount: str | None = None, *, at: datetime = T0,
              minutes: int | None = None, **fields) -> LimitOutcome:
        currency = self.currency if amount is not None else None
        req = LimitRequest(kind=kind, period=period, amount=amount, currency=currency, minutes=minutes, **fields)
        with self.db.engine.begin() as conn:
            return set_limit(conn, self.player_id, "aurora", req, now=at, rules=self.rules, timezone_name=self.tz)

    def view(self, at: datetime = T0) -> dict:
        with self.db.engine.connect() as conn:
            return wallet_view(conn, self.player_id, now=at, context=self.context)

    def cash(self, at: datetime = T0) -> str:
        return next(w["cash"] for w in self.view(at)["wallets"] if w["currency"] == self.currency)


def rules(**limits) -> JurisdictionRules:  # noqa: ANN003
    return JurisdictionRules(code="XX", name="Testland", currency="SEK", limits=LimitRules(**limits))


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def wallet(db: Database) -> Wallet:
    return Wallet(db)
