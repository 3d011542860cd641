"""The wallet lane (`api.wallet_lane`) answers exactly as the documented FastAPI routes do.

The same sequence of requests goes to two apps, one with the lane and one without; every
answer (status, body, the replay header) must be the same, apart from the posting time. The
sequence covers what the lane answers itself (postings, refusals by a limit and by the
balance, retries, a reused id, an amount in an unknown currency) and what it must hand to
the route (a body that fails validation, no key, a key without the scope, a form body)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from croupier.api import create_app, wallet_lane
from croupier.players.state import DEP_N, DEP_SUM
from croupier.store.accounts import create_key

from conftest import ledger_config  # tests/conftest.py


def _client(url: str, lane: bool, make_event) -> Iterator[TestClient]:  # noqa: ANN001
    app = create_app(url, ledger_config(), background=False, wallet_lane=lane)
    with app.state.runtime.db.engine.begin() as conn:
        ingest, _ = create_key(conn, "casino", ["ingest", "read"])
        reader, _ = create_key(conn, "reports", ["read"])
    with TestClient(app) as client:
        client.tokens = {"ingest": ingest, "read": reader}
        client.headers["Authorization"] = f"Bearer {ingest}"
        assert client.post("/v1/events", json=[make_event.registered()]).status_code == 200
        assert client.post("/v1/players/p1/limits", json={"kind": "deposit", "period": "day", "amount": "100.00",
                                                          "currency": "SEK"}).status_code == 200
        yield client


def _requests(tokens: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    money = {"currency": "SEK"}
    return [
        ("/v1/wallet/p1/deposits", {"json": {"transaction_id": "d1", "amount": "60.00", **money, "method": "card"}}),
        ("/v1/wallet/p1/deposits", {"json": {"transaction_id": "d1", "amount": "60.00", **money, "method": "card"}}),
        ("/v1/wallet/p1/deposits", {"json": {"transaction_id": "d1", "amount": "61.00", **money}}),
        ("/v1/wallet/p1/deposits", {"json": {"transaction_id": "d2", "amount": "50.00", **money}}),   # over the limit
        ("/v1/wallet/p1/bets", {"json": {"transaction_id": "b1", "amount": "5.00", **money, "session_id": "s1",
                                         "game_id": "g1", "game_category": "slots"}}),
        ("/v1/wallet/p1/bets", {"json": {"transaction_id": "b2", "amount": "500.00", **money}}),    # over the balance
        ("/v1/wallet/p1/wins", {"json": {"transaction_id": "w1", "amount": "12.50", **money, "bet_id": "b1"}}),
        ("/v1/wallet/p1/withdrawals", {"json": {"transaction_id": "x1", "amount": "20.00", **money}}),
        ("/v1/wallet/p1/deposits", {"json": {"transaction_id": "d3", "amount": "1.00", "currency": "XYZ"}}),
        ("/v1/wallet/p1/deposits", {"json": {"transaction_id": "d4", "amount": "1.001", **money}}),
        ("/v1/wallet/p1/deposits", {"json": {"transaction_id": "d5", "amount": 10, **money}}),
        ("/v1/wallet/p1/bets", {"json": {"transaction_id": "b3", "amount": "1.00", **money, "game_category": "dice"}}),
        ("/v1/wallet/p1/deposits", {"json": {"amount": "1.00", **money}}),
        ("/v1/wallet/p1/deposits", {"content": b"{not json", "headers": {"Content-Type": "application/json"}}),
        ("/v1/wallet/p1/deposits", {"data": {"transaction_id": "d6", "amount": "1.00", **money}}),
        ("/v1/wallet/p1/deposits", {"json": {"transaction_id": "d7", "amount": "1.00", **money},
                                    "headers": {"Authorization": ""}}),
        ("/v1/wallet/p1/deposits", {"json": {"transaction_id": "d8", "amount": "1.00", **money},
                                    "headers": {"Authorization": f"Bearer {tokens['read']}"}}),
        ("/v1/wallet/p1/deposits", {"json": {"transaction_id": "d9", "amount": "1.00", **money},
                                    "headers": {"Authorization": "Bearer crp_nope_nope"}}),
    ]


def _answers(client: TestClient) -> list[tuple[int, Any, str | None]]:
    out = []
    for path, kwargs in _requests(client.tokens):
        r = client.post(path, **kwargs)
        body = r.json()
        if isinstance(body, dict):
            body.pop("posted_at", None)
        out.append((r.status_code, _without_keys(body, client.tokens), r.headers.get("idempotent-replayed")))
    return out


def _without_keys(body: Any, tokens: dict[str, str]) -> Any:
    """Key ids differ between the two databases; error texts that name one are compared without it."""
    text = repr(body)
    for token in tokens.values():
        text = text.replace(token.split("_")[1], "KEY")
    return text


def test_the_lane_answers_as_the_routes_do(tmp_path, make_event) -> None:  # noqa: ANN001
    answers, taken = {}, {}
    for lane in (True, False):
        for client in _client(f"sqlite:///{tmp_path / f'lane-{lane}.db'}", lane, make_event):
            before = wallet_lane.answered
            answers[lane] = _answers(client)
            taken[lane] = wallet_lane.answered - before
    assert taken == {True: 10, False: 0}   # the lane answered the well-formed, authorised ones
    statuses = [a[0] for a in answers[True]]
    assert statuses == [200, 200, 409, 403, 200, 403, 200, 200, 422, 422, 422, 422, 422, 422, 422, 401, 403, 401]
    assert answers[True][1][2] == "true"                    # the retry is a replay
    assert answers[True] == answers[False]


@pytest.mark.parametrize("lane", [True, False])
def test_both_paths_hand_the_postings_to_the_engine(tmp_path, make_event, lane: bool) -> None:  # noqa: ANN001
    for client in _client(f"sqlite:///{tmp_path / 'engine.db'}", lane, make_event):
        assert client.post("/v1/wallet/p1/deposits", json={"transaction_id": "d1", "amount": "60.00",
                                                           "currency": "SEK"}).status_code == 200
        client.app.state.runtime.engine.process_pending()   # fed right after commit; catch up
        state = client.app.state.runtime.engine.state_of("p1")
        assert state is not None and (state.life[DEP_N], state.life[DEP_SUM]) == (1, 6000)   # folded by the engine
