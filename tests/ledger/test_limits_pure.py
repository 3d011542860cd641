"""The pure parts: periods in the player's calendar, the limit check, the limit fold."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from croupier.events import LimitSet
from croupier.players import micros
from croupier.players.protection_state import LimitView, ProtectionState, fold_limit, limits_in_force
from croupier.protection.limits_check import Usage, check_limits
from croupier.protection.limits_periods import window

UTC = timezone.utc


def test_a_stockholm_day_starts_at_local_midnight_not_utc() -> None:
    late_utc = datetime(2026, 1, 1, 23, 30, tzinfo=UTC)        # 00:30 on 2 January in Stockholm
    w = window("day", late_utc, "Europe/Stockholm")
    assert w.start == datetime(2026, 1, 1, 23, 0, tzinfo=UTC)
    assert w.end == datetime(2026, 1, 2, 23, 0, tzinfo=UTC)
    assert window("day", late_utc, None).start == datetime(2026, 1, 1, tzinfo=UTC)


def test_week_starts_monday_and_month_on_the_first_across_dst() -> None:
    # Sunday 29 March 2026 is the spring DST change in Stockholm
    moment = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
    week = window("week", moment, "Europe/Stockholm")
    assert week.start == datetime(2026, 3, 22, 23, 0, tzinfo=UTC)    # Monday 23 March 00:00 CET
    assert week.end == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)      # Monday 30 March 00:00 CEST
    month = window("month", moment, "Europe/Stockholm")
    assert month.start == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    assert month.end == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)
    assert window("month", datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "Europe/Stockholm").end == \
        datetime(2027, 1, 31, 23, 0, tzinfo=UTC)


def _limit(kind: str, period: str, amount: int | None = None, minutes: int | None = None) -> LimitView:
    return LimitView(kind=kind, period=period, amount_minor=amount, currency="SEK" if amount is not None else None,
                     minutes=minutes)


NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
WINDOWS = {p: window(p, NOW, "Europe/Stockholm") for p in ("day", "week", "month")}


def test_deposit_limit_counts_every_inflow_and_says_what_remains() -> None:
    limits = {"deposit:day": _limit("deposit", "day", 500_000)}
    usage = {"day": Usage(deposit=300_000, bonus_credit=50_000)}
    [refusal] = check_limits(usage, limits, Usage(deposit=200_000), "SEK", WINDOWS)
    assert refusal.code == "deposit_limit" and refusal.limit == "deposit:day"
    assert (refusal.counted, refusal.remaining, refusal.limit_amount) == ("3500.00", "1500.00", "5000.00")
    assert refusal.counted_by_source == {"deposit": "3000.00", "bonus_credit": "500.00"}
    assert "daily deposit limit of 5,000.00 SEK" in refusal.message
    assert "3,000.00 SEK deposits + 500.00 SEK bonus credits" in refusal.message
    assert "1,500.00 SEK remains" in refusal.message and "Europe/Stockholm" in refusal.message
    assert check_limits(usage, limits, Usage(deposit=150_000), "SEK", WINDOWS) == []   # exactly to the limit


def test_loss_is_net_of_wins_and_wager_counts_bonus_stakes() -> None:
    limits = {"loss:week": _limit("loss", "week", 100_000), "wager:day": _limit("wager", "day", 200_000)}
    usage = {"week": Usage(stake_cash=150_000, win_cash=80_000), "day": Usage(stake_cash=150_000, stake_bonus=40_000)}
    assert check_limits(usage, limits, Usage(stake_cash=10_000), "SEK", WINDOWS) == []
    refused = check_limits(usage, limits, Usage(stake_cash=40_000, stake_bonus=10_000), "SEK", WINDOWS)
    assert [r.limit for r in refused] == ["loss:week", "wager:day"]
    assert refused[0].counted == "700.00" and refused[0].remaining == "300.00"


def test_other_currency_limits_and_non_bet_session_checks_do_not_apply() -> None:
    limits = {"deposit:day": LimitView(kind="deposit", period="day", amount_minor=100, currency="EUR"),
              "session_time:day": _limit("session_time", "day", minutes=60)}
    usage = {"day": Usage(session_seconds=3_600)}
    assert check_limits(usage, limits, Usage(deposit=10_000), "SEK", WINDOWS) == []
    [refusal] = check_limits(usage, limits, Usage(stake_cash=100), "SEK", WINDOWS, bet=True)
    assert refusal.code == "session_time_limit" and refusal.used_minutes == 60


def _fact(amount: str | None, at: datetime, effective: datetime) -> LimitSet:
    return LimitSet(event_id=f"f-{at.isoformat()}", player_id="p1", brand="b", occurred_at=at, kind="deposit",
                    period="day", amount=amount, currency="SEK" if amount else None, effective_at=effective)


def test_a_matured_pending_increase_is_what_a_later_change_replaces() -> None:
    p = ProtectionState()
    t = NOW
    fold_limit(p, _fact("100.00", t, t), micros(t), micros(t))
    later = t + timedelta(hours=24)
    fold_limit(p, _fact("200.00", t, later), micros(t), micros(later))
    assert limits_in_force(p, micros(t))["deposit:day"].amount_minor == 10_000
    t2, t3 = t + timedelta(hours=30), t + timedelta(hours=60)
    fold_limit(p, _fact("300.00", t2, t3), micros(t2), micros(t3))     # the 200 matured before this
    assert limits_in_force(p, micros(t2))["deposit:day"].amount_minor == 20_000
    assert limits_in_force(p, micros(t3))["deposit:day"].amount_minor == 30_000
    fold_limit(p, _fact(None, t3, t3 + timedelta(hours=24)), micros(t3), micros(t3 + timedelta(hours=24)))
    assert "deposit:day" in limits_in_force(p, micros(t3))
    assert limits_in_force(p, micros(t3 + timedelta(hours=24))) == {}
