"""`croupier.journeys.publishing` on a database: two publishes of equal-priority promotional
journeys of one group, at the same time, cannot both go live (on PostgreSQL, where
transactions really run side by side), and the store's rows follow each change."""

from __future__ import annotations

import threading
import time

import pytest

from conftest import _empty_all_tables  # tests/conftest.py
from croupier.journeys import from_json, publishing, template, to_builtins
from croupier.store import journeys as store
from croupier.store import open_database


def _journey(key: str):  # noqa: ANN202
    return from_json(to_builtins(template("welcome")) | {"key": key})


@pytest.mark.postgres
def test_concurrent_publishes_in_one_group_cannot_both_go_live(postgres_url: str) -> None:
    _empty_all_tables(postgres_url)          # the server is shared by the session's tests
    db = open_database(postgres_url)
    now = time.time_ns() // 1000
    with db.engine.begin() as conn:
        first = publishing.create(conn, _journey("first_copy"), "cleo", now).journey_id
        second = publishing.create(conn, _journey("second_copy"), "cleo", now).journey_id
    outcome: dict[str, object] = {}

    with db.engine.connect() as holding:
        transaction = holding.begin()
        publishing.publish(holding, first, 1, "cleo", now)       # live, not committed yet

        def other() -> None:
            try:
                with db.engine.begin() as conn:
                    publishing.publish(conn, second, 1, "otto", now)
                outcome["second"] = "live"
            except publishing.JourneyConflict as exc:
                outcome["second"] = exc.problems

        racer = threading.Thread(target=other)
        racer.start()
        racer.join(timeout=1.0)
        assert racer.is_alive(), "the second publish waits for the first's transaction"
        transaction.commit()
    racer.join()
    [problem] = outcome["second"]  # type: ignore[misc]
    assert problem.path == "$.priority" and "'second_copy' and 'first_copy'" in problem.message
    with db.engine.connect() as conn:
        assert [(j.key, j.status) for j in store.listing(conn)] == [("first_copy", "live"), ("second_copy", "draft")]
    db.dispose()
