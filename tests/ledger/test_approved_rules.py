"""The wallet enforces the jurisdiction rules of the approved configuration, not only the
shipped presets: an approved version changes cooling periods without a deployment."""

from __future__ import annotations

import json
from datetime import timedelta

from croupier.compliance.document import ConfigDocument
from croupier.compliance.rules import JurisdictionRules, LimitRules


def _limit(app_client, amount: str):  # noqa: ANN001, ANN202
    return app_client.post("/v1/players/p1/limits", json={"kind": "deposit", "period": "day", "amount": amount,
                                                           "currency": "SEK"})


def test_an_approved_cooling_period_applies_to_the_next_limit_increase(app_client, make_event) -> None:  # noqa: ANN001
    app_client.post("/v1/events", content=json.dumps([make_event.registered(timedelta(minutes=-5), jurisdiction="XX")]))
    assert _limit(app_client, "100.00").status_code == 200
    waited = _limit(app_client, "200.00").json()
    assert waited["pending"] is True            # presets: the default 24 h cooling period
    runtime = app_client.app.state.runtime
    runtime.use_config(ConfigDocument(jurisdictions={"XX": JurisdictionRules(
        code="XX", name="no cooling", currency="SEK", limits=LimitRules(increase_cooling_hours=0))}))
    immediate = _limit(app_client, "300.00").json()
    assert immediate["pending"] is False        # the approved table: no cooling period
