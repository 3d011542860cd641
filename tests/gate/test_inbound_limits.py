"""A limit change reported by the operator's PAM (`limit.changed`) goes through the same
`set_limit` as the API: cooling periods, history, the fact in the log, the audit entry."""

from __future__ import annotations

import json
from datetime import timedelta

from croupier.players import micros
from croupier.players.protection_state import limits_in_force


def test_a_pam_reported_limit_is_enforced_with_its_cooling_period(app_client, make_event) -> None:  # noqa: ANN001
    registered = make_event.registered(timedelta(minutes=-10), jurisdiction="XX")
    lower = make_event("limit.changed", timedelta(minutes=-9), kind="deposit", period="day",
                       amount="200.00", currency="SEK", source="player")
    higher = make_event("limit.changed", timedelta(minutes=-8), kind="deposit", period="day",
                        amount="900.00", currency="SEK", source="player")
    assert app_client.post("/v1/events", content=json.dumps([registered, lower, higher])).status_code == 200
    runtime = app_client.app.state.runtime
    runtime.engine.process_pending()
    state = runtime.engine.state_of("p1")
    now = micros(make_event.now)
    in_force = limits_in_force(state.protection, now)["deposit:day"]
    assert in_force.amount_minor == 200_00                       # the decrease at once
    pending = state.protection.limits["deposit:day"].pending
    assert pending is not None and pending.amount_minor == 900_00  # the increase waits (24 h default)
    assert limits_in_force(state.protection, now + 25 * 3_600_000_000)["deposit:day"].amount_minor == 900_00
    wallet = app_client.get("/v1/players/p1/limits").json()
    assert json.dumps(wallet).count("900.00") >= 1
    # a redelivery of the same events changes nothing
    app_client.post("/v1/events", content=json.dumps([lower, higher]))
    runtime.engine.process_pending()
    assert runtime.engine.state_of("p1").protection.limits["deposit:day"].pending.amount_minor == 900_00
