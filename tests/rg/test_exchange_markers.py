"""RG markers count money in every currency (issue 7, point 1): a deposit in another currency
than the player's is converted at the configuration's rate, so a spike in EUR on a GBP
account fires the deposit-spike marker with the amount in GBP; without a rate it is only
counted and the marker cannot see it."""

from __future__ import annotations

from croupier.compliance.document import ConfigDocument
from croupier.compliance.rates import ExchangeRules, Rate
from croupier.players.state import DEP_SUM

from . import Player, at
from .test_markers import baseline_days

WITH_RATES = ConfigDocument(exchange=ExchangeRules(base="EUR", rates={"GBP": Rate("0.85", "2026-03-01")}))


def gb_player(config: ConfigDocument | None) -> Player:
    p = Player(currency="GBP", jurisdiction="GB", timezone_name="Europe/London", config=config)
    p.register(country="GB", language="en")
    baseline_days(p)                                          # 200.00 GBP every other day
    return p


def eur_deposit(p: Player, amount: str) -> None:
    p.send("payment.deposit", at(12), transaction_id="eur-1", amount=amount, currency="EUR", status="approved",
           method="card")


def test_a_deposit_spike_in_another_currency_fires_converted() -> None:
    p = gb_player(WITH_RATES)
    eur_deposit(p, "5000.00")
    marker = p.markers["deposit_spike"]
    assert marker.severity == 3
    assert "deposit of 4,250.00 GBP is 21.2×" in marker.explanation
    assert p.state.converted_currency_events == 1 and p.state.exchange_version == WITH_RATES.version
    assert p.state.rg.deposits[-1][1] == 425_000


def test_without_a_rate_a_foreign_deposit_is_counted_not_summed() -> None:
    p = gb_player(None)
    eur_deposit(p, "5000.00")
    assert "deposit_spike" not in p.markers
    assert (p.state.foreign_currency_events, p.state.converted_currency_events) == (1, 0)


def test_undoing_a_converted_deposit_refolds_at_the_same_rate() -> None:
    p = gb_player(WITH_RATES)
    eur_deposit(p, "100.00")
    total = p.state.life[DEP_SUM]
    p.send("rollback", at(12, minutes=5), ref_event_id=p.raw[-1]["event_id"], reason="test")
    assert p.state.life[DEP_SUM] == total - 8_500
    assert p.state.converted_currency_events == 0
