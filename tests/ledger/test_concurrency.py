"""Concurrent postings against one player cannot race past a limit or below zero
(SQLite: the write transaction is serialised; PostgreSQL: the wallet row is locked)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from croupier.ledger import PlayerContext, TransferRequest
from croupier.ledger.post import post

from .conftest import T0, Wallet
from .test_ledger import assert_double_entry

THREADS = 16
REQUESTS = 48


def _race(db, kind: str, amount: int, prefix: str) -> list[str]:  # noqa: ANN001
    barrier = threading.Barrier(THREADS)
    ctx = PlayerContext(brand="aurora", timezone="Europe/Stockholm")

    def one(i: int) -> str:
        if i < THREADS:
            barrier.wait()
        req = TransferRequest(transfer_id=f"{prefix}-{i}", player_id="p1", kind=kind, currency="SEK", amount=amount)
        with db.engine.begin() as conn:
            return post(conn, req, now=T0, context=ctx).status

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(one, range(REQUESTS)))


def test_parallel_deposits_stop_exactly_at_the_limit(db) -> None:  # noqa: ANN001
    w = Wallet(db)
    w.limit("deposit", "day", "1000.00")
    w.post("bonus_credit", 5_000)                       # 50 SEK of the limit used by a bonus
    statuses = _race(db, "deposit", 10_000, "dep")
    assert statuses.count("posted") == 9 and statuses.count("refused") == REQUESTS - 9
    assert w.cash() == "900.00"
    assert_double_entry(db)


def test_parallel_bets_never_overdraw(db) -> None:  # noqa: ANN001
    w = Wallet(db)
    w.post("deposit", 100_000)
    statuses = _race(db, "bet", 7_000, "bet")
    assert statuses.count("posted") == 14
    assert w.cash() == "20.00"
    assert_double_entry(db)
