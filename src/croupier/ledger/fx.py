"""Money in another currency, counted against limits: a limit protects a person, not a
currency. Every inflow, stake and win converts into the currency of each limit in force at
the rates of the configuration in force, usage posted in several currencies sums converted,
and without a rate the posting is refused (fail closed). Rounding is conservative: what
counts against a limit rounds up, what offsets it (cash wins) rounds down.

Pure: the ledger reads usage per currency inside its transaction and hands it here."""

from __future__ import annotations

from collections.abc import Mapping

from croupier.compliance.rates import NO_RATES, Quote, RateTable
from croupier.events import format_amount
from croupier.players.protection_state import LimitView
from croupier.protection.limits_check import Refusal, Usage, check_limits
from croupier.protection.limits_periods import Window

FOREIGN_KINDS = ("deposit", "bonus_credit", "adjustment", "bet")   # what refuse mode stops
REASON_CODES = ("foreign_currency_refused", "exchange_rate_missing")   # its refusals (compliance.reasons)
_WORDS = {"deposit": "deposits", "bonus_credit": "bonus credits", "adjustment": "adjustments", "bet": "bets"}


def has_money(u: Usage) -> bool:
    return bool(u.deposit or u.bonus_credit or u.adjustment_in or u.stake_cash or u.stake_bonus or u.win_cash)


def money_limits(in_force: Mapping[str, LimitView]) -> dict[str, dict[str, LimitView]]:
    """Money limits in force by the currency they are set in."""
    out: dict[str, dict[str, LimitView]] = {}
    for key, view in in_force.items():
        if view.kind != "session_time" and view.currency and view.amount_minor is not None:
            out.setdefault(view.currency, {})[key] = view
    return out


def _adds_to(kind: str, delta: Usage) -> bool:
    """Whether a posting adding `delta` counts against a limit of this kind."""
    return (delta.inflow if kind == "deposit" else delta.stake_cash if kind == "loss" else delta.wager) > 0


class Exchange:
    """One posting's (or one view's) conversions, remembering the rates it used so the
    posting can record them."""

    def __init__(self, rates: RateTable = NO_RATES, player_currency: str | None = None):
        self.rates, self.player_currency = rates, player_currency
        self.used: dict[tuple[str, str], Quote] = {}
        self._refused: set[tuple[str, str]] = set()   # missing pairs already given as a reason

    def quote(self, source: str, target: str) -> Quote | None:
        found = self.rates.quote(source, target)
        if found is not None and source != target:
            self.used[(source, target)] = found
        return found

    def convert(self, u: Usage, source: str, target: str) -> Usage | None:
        """`u` (in `source`) in `target`, or None without a rate. Session seconds are not money."""
        if source == target:
            return u
        if not has_money(u):
            return Usage(session_seconds=u.session_seconds)
        q = self.quote(source, target)
        if q is None:
            return None
        return Usage(deposit=q.convert(u.deposit, up=True), bonus_credit=q.convert(u.bonus_credit, up=True),
                     adjustment_in=q.convert(u.adjustment_in, up=True), stake_cash=q.convert(u.stake_cash, up=True),
                     stake_bonus=q.convert(u.stake_bonus, up=True), win_cash=q.convert(u.win_cash, up=False),
                     session_seconds=u.session_seconds)

    def total(self, by_currency: Mapping[str, Mapping[str, Usage]], target: str,
              periods: Mapping[str, Window]) -> tuple[dict[str, Usage], list[str]]:
        """Usage per period in `target`, every currency's converted and summed; and the
        currencies that had usage but no rate to `target`."""
        if by_currency.keys() <= {target}:      # the common case: nothing to convert
            own = by_currency.get(target, {})
            return {period: own.get(period) or Usage() for period in periods}, []
        out = {period: Usage() for period in periods}
        missing: set[str] = set()
        for currency, per_period in by_currency.items():
            for period in periods:
                u = per_period.get(period)
                if u is None or not has_money(u):
                    continue
                converted = self.convert(u, currency, target)
                if converted is None:
                    missing.add(currency)
                    break
                out[period] = out[period].plus(converted)
        return out, sorted(missing)

    def foreign_refusals(self, currency: str, kind: str, in_force: Mapping[str, LimitView]) -> list[Refusal]:
        """Refuse mode: inflows and stakes in another currency than the player's. Convert
        mode: a posting the engine could not sum into the player's currency (no rate)."""
        own = self.player_currency or next(iter(sorted(money_limits(in_force))), None)
        if own is None or currency == own or kind not in FOREIGN_KINDS:
            return []
        if self.rates.mode == "refuse":
            return [Refusal(code="foreign_currency_refused", currency=currency,
                            message=f"Refused: the player's currency is {own} and this operator refuses "
                                    f"{_WORDS[kind]} in any other currency (exchange.foreign_currency = refuse); "
                                    f"this one is in {currency}. Send it in {own}.")]
        if self.player_currency is None or self.quote(currency, own) is not None:
            return []
        self._refused.add((currency, own))
        return [Refusal(code="exchange_rate_missing", currency=currency, exchange=[{"from": currency, "to": own}],
                        message=f"Refused: the player's currency is {own} and this {kind.replace('_', ' ')} is in "
                                f"{currency}; it must count in {own} for the player's protection, but "
                                f"{self._config()} has no {currency}→{own} exchange rate. An operator adds one under "
                                f"exchange.rates (docs/configuration.md), or the player uses {own}.")]

    def check(self, by_currency: Mapping[str, Mapping[str, Usage]], in_force: Mapping[str, LimitView],
              delta: Usage, currency: str, windows: Mapping[str, Window]) -> list[Refusal]:
        """Refusals of every money limit in force, each in its own currency: usage in every
        currency and the posting's `delta` (in `currency`) converted into it."""
        out: list[Refusal] = []
        for target, limits in sorted(money_limits(in_force).items()):
            views = {k: v for k, v in limits.items() if _adds_to(v.kind, delta)}
            if not views:       # e.g. a deposit and a loss limit: nothing to convert or check
                continue
            mine = {v.period: windows[v.period] for v in views.values()}
            totals, missing = self.total(by_currency, target, mine)
            proposed = self.convert(delta, currency, target)
            if proposed is None:
                missing = sorted({*missing, currency})
            if missing:
                out += [self._missing(source, target, views) for source in missing
                        if (source, target) not in self._refused]
                continue
            out += [self._noted(r, target) for r in check_limits(totals, views, proposed, target, windows)]
        return out

    def records(self, amount: int = 0, currency: str | None = None) -> list[dict[str, str]]:
        """The rates used, as recorded with the posting: with the posting's own `amount` in
        `currency`, that amount in each target currency (rounded up, as it counts)."""
        out = []
        for (source, target), q in sorted(self.used.items()):
            item = q.as_dict()
            if source == currency:
                item["amount"] = format_amount(q.convert(amount, up=True), target)
            out.append(item)
        return out

    def notes(self, target: str) -> str:
        """'EUR counted in GBP at 1 EUR = 0.85 GBP (as of ..., configuration cfg-...)'."""
        quotes = [q for (_, t), q in sorted(self.used.items()) if t == target]
        if not quotes:
            return ""
        rates = "; ".join(f"1 {q.source} = {q.as_dict()['rate']} {q.target}" + (f" as of {q.as_of}" if q.as_of else "")
                          for q in quotes)
        return (f" Amounts in {', '.join(q.source for q in quotes)} are counted in {target} at {rates} "
                f"(configuration {quotes[0].version}), rounded up.")

    def _noted(self, refusal: Refusal, target: str) -> Refusal:
        note = self.notes(target)
        if note:
            refusal.message += note
            refusal.exchange = [q.as_dict() for (_, t), q in sorted(self.used.items()) if t == target]
        return refusal

    def _missing(self, source: str, target: str, views: Mapping[str, LimitView]) -> Refusal:
        key = sorted(views)[0]
        return Refusal(code="exchange_rate_missing", limit=key, currency=target,
                       exchange=[{"from": source, "to": target}],
                       message=f"Refused: the {', '.join(sorted(views))} limit{'s are' if len(views) > 1 else ' is'} "
                               f"in {target} and money in {source} must count against "
                               f"{'them' if len(views) > 1 else 'it'}, but {self._config()} has no "
                               f"{source}→{target} exchange rate, so the limit cannot be checked. An operator "
                               f"adds one under exchange.rates (docs/configuration.md).")

    def _config(self) -> str:
        version = self.rates.version
        return f"the configuration in force ({version})" if version else "the configuration in force"

