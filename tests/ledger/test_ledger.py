"""The ledger on SQLite and PostgreSQL: postings, limits in the posting transaction,
idempotency, double entry, two-phase withdrawals."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from croupier.ledger import IdConflict, NotFound
from croupier.store.schema import ledger_entries, ledger_transfers, ledger_wallets

from .conftest import T0, Wallet

UTC = timezone.utc


def test_deposit_limit_counts_bonus_credits_the_sek_scenario(wallet: Wallet) -> None:
    """Daily deposit limit 5,000 SEK; deposit 3,000; promotion credits 500 bonus; a deposit of
    2,000 is refused naming the limit, the period, what counted and what remains (1,500)."""
    assert wallet.limit("deposit", "day", "5000.00").change == "new"
    assert wallet.post("deposit", 300_000).status == "posted"
    assert wallet.post("bonus_credit", 50_000, at=T0 + timedelta(minutes=5)).status == "posted"
    result = wallet.post("deposit", 200_000, at=T0 + timedelta(minutes=10))
    assert result.status == "refused"
    [reason] = result.body["reasons"]
    assert reason["code"] == "deposit_limit"
    assert reason["limit"] == "deposit:day" and reason["period"] == "day"
    assert reason["limit_amount"] == "5000.00" and reason["currency"] == "SEK"
    assert reason["counted"] == "3500.00"
    assert reason["counted_by_source"] == {"deposit": "3000.00", "bonus_credit": "500.00"}
    assert reason["remaining"] == "1500.00"
    assert reason["timezone"] == "Europe/Stockholm"
    assert reason["period_start"] == "2026-11-17T23:00:00Z" and reason["period_end"] == "2026-11-18T23:00:00Z"
    message = reason["message"]
    for words in ("daily deposit limit of 5,000.00 SEK", "3,500.00 SEK counted",
                  "3,000.00 SEK deposits + 500.00 SEK bonus credits", "1,500.00 SEK remains",
                  "this deposit of 2,000.00 SEK"):
        assert words in message
    assert wallet.cash() == "3000.00"                                  # nothing moved
    assert wallet.post("deposit", 150_000, at=T0 + timedelta(minutes=11)).status == "posted"   # exactly what remains
    assert wallet.post("bonus_credit", 1, at=T0 + timedelta(minutes=12)).status == "refused"   # bonus counts too


def test_the_day_boundary_is_local_midnight_in_stockholm(wallet: Wallet) -> None:
    evening = datetime(2026, 11, 18, 22, 30, tzinfo=UTC)       # 23:30 in Stockholm
    wallet.limit("deposit", "day", "100.00", at=evening)
    assert wallet.post("deposit", 10_000, at=evening).status == "posted"
    assert wallet.post("deposit", 100, at=evening + timedelta(minutes=20)).status == "refused"   # 23:50 local
    # 23:10 UTC is still 18 November in UTC but already the 19th in Stockholm: a new day
    assert wallet.post("deposit", 10_000, at=datetime(2026, 11, 18, 23, 10, tzinfo=UTC)).status == "posted"


def test_utc_players_reset_at_utc_midnight(db) -> None:  # noqa: ANN001
    w = Wallet(db, player_id="utc-player", tz=None)
    w.limit("deposit", "day", "100.00", at=datetime(2026, 11, 18, 22, 30, tzinfo=UTC))
    assert w.post("deposit", 10_000, at=datetime(2026, 11, 18, 22, 30, tzinfo=UTC)).status == "posted"
    assert w.post("deposit", 10_000, at=datetime(2026, 11, 18, 23, 10, tzinfo=UTC)).status == "refused"
    assert w.post("deposit", 10_000, at=datetime(2026, 11, 19, 0, 10, tzinfo=UTC)).status == "posted"


def test_loss_limit_is_net_of_wins_per_week(wallet: Wallet) -> None:
    wallet.post("deposit", 1_000_000)
    wallet.limit("loss", "week", "1000.00")
    assert wallet.post("bet", 80_000, bet_id="b1").status == "posted"
    assert wallet.post("win", 30_000, bet_id="b1").status == "posted"        # net loss 500
    refused = wallet.post("bet", 60_000, at=T0 + timedelta(days=2))         # Friday, same week
    assert refused.status == "refused"
    assert refused.body["reasons"][0]["counted"] == "500.00" and refused.body["reasons"][0]["remaining"] == "500.00"
    assert wallet.post("bet", 50_000, at=T0 + timedelta(days=2)).status == "posted"
    # the next Monday (local) starts a new week
    monday = datetime(2026, 11, 22, 23, 5, tzinfo=UTC)    # 00:05 Monday 23 November in Stockholm
    assert wallet.post("bet", 60_000, at=monday - timedelta(minutes=10)).status == "refused"
    assert wallet.post("bet", 60_000, at=monday).status == "posted"


def test_wager_limit_per_month_counts_bonus_stakes(wallet: Wallet) -> None:
    wallet.post("deposit", 500_000)
    wallet.post("bonus_credit", 100_000)
    wallet.limit("wager", "month", "2000.00")
    assert wallet.post("bet", 150_000, bonus_amount=50_000).status == "posted"
    refused = wallet.post("bet", 60_000, bonus_amount=10_000, at=T0 + timedelta(days=5))
    assert refused.status == "refused" and [r["limit"] for r in refused.body["reasons"]] == ["wager:month"]
    assert wallet.post("bet", 60_000, at=datetime(2026, 11, 30, 23, 30, tzinfo=UTC)).status == "posted"  # 1 Dec local


def test_session_time_limit_refuses_bets_once_the_time_is_used(wallet: Wallet) -> None:
    wallet.post("deposit", 100_000)
    wallet.limit("session_time", "day", minutes=60)
    assert wallet.post("bet", 100, session_id="s1").status == "posted"      # opens s1 at T0
    assert wallet.post("bet", 100, session_id="s1", at=T0 + timedelta(minutes=59)).status == "posted"
    refused = wallet.post("bet", 100, session_id="s1", at=T0 + timedelta(minutes=60))
    assert refused.status == "refused"
    assert refused.body["reasons"][0]["code"] == "session_time_limit"
    assert refused.body["reasons"][0]["used_minutes"] == 60
    # deposits are not bets: the session-time limit does not stop them
    assert wallet.post("deposit", 100, at=T0 + timedelta(minutes=61)).status == "posted"
    # the next local day starts afresh (sessions are counted inside the period only)
    with wallet.db.engine.begin() as conn:
        from croupier.ledger.sessions import end as end_session

        end_session(conn, "p1", "aurora", "s1", T0 + timedelta(minutes=61))
    assert wallet.post("bet", 100, session_id="s2", at=T0 + timedelta(days=1)).status == "posted"


def test_idempotent_retry_returns_the_original_and_a_different_body_is_409(wallet: Wallet) -> None:
    first = wallet.post("deposit", 10_000, tx="dep-1")
    again = wallet.post("deposit", 10_000, tx="dep-1", at=T0 + timedelta(hours=1))
    assert again.replayed and again.body == first.body and again.items == []
    assert wallet.cash() == "100.00"
    with pytest.raises(IdConflict) as err:
        wallet.post("deposit", 20_000, tx="dep-1")
    assert "dep-1" in str(err.value) and err.value.field == "transaction_id"
    with pytest.raises(IdConflict):
        Wallet(wallet.db, player_id="p2").post("deposit", 10_000, tx="dep-1")   # another player's id


def test_balances_never_go_negative_and_bets_take_cash_first(wallet: Wallet) -> None:
    wallet.post("deposit", 1_000)
    wallet.post("bonus_credit", 500)
    bet = wallet.post("bet", 1_200)
    assert bet.body["cash_amount"] == "10.00" and bet.body["bonus_amount"] == "2.00"
    refused = wallet.post("bet", 400)
    assert refused.status == "refused" and refused.body["reasons"][0]["code"] == "insufficient_funds"
    assert wallet.post("withdrawal", 1).status == "refused"
    assert wallet.post("adjustment", 1, account="cash", direction="debit", reason="test").status == "refused"
    assert wallet.post("bonus_conversion", 301).status == "refused"
    assert wallet.post("bonus_conversion", 300).status == "posted"
    assert wallet.cash() == "3.00"


def test_withdrawal_is_pending_then_settled_or_voided(wallet: Wallet) -> None:
    wallet.post("deposit", 10_000)
    pending = wallet.post("withdrawal", 6_000, tx="wd-1")
    assert pending.status == "pending"
    assert pending.body["balance"] == {"cash": "100.00", "bonus": "0.00", "cash_pending": "60.00",
                                       "withdrawable": "40.00"}
    assert wallet.post("bet", 5_000).status == "refused"                 # reserved cash cannot be staked
    settled = wallet.post("settle", pending_id="wd-1", tx="wd-1")
    assert settled.status == "settled" and settled.body["balance"]["cash"] == "40.00"
    assert wallet.post("settle", pending_id="wd-1", tx="wd-1").replayed
    with pytest.raises(IdConflict):
        wallet.post("void", pending_id="wd-1", tx="wd-1")
    wallet.post("withdrawal", 3_000, tx="wd-2")
    voided = wallet.post("void", pending_id="wd-2", tx="wd-2")
    assert voided.status == "voided" and voided.body["balance"]["withdrawable"] == "40.00"
    with pytest.raises(NotFound):
        wallet.post("settle", pending_id="nope", tx="nope")


def test_chargeback_recovers_what_the_balance_covers(wallet: Wallet) -> None:
    wallet.post("deposit", 10_000)
    wallet.post("bet", 7_000)
    result = wallet.post("chargeback", 10_000)
    assert result.body["recovered"] == "30.00" and result.body["unrecovered"] == "70.00"
    assert wallet.cash() == "0.00"


def test_adjustments_need_a_reason_count_as_inflow_and_are_audited(wallet: Wallet) -> None:
    from croupier.ledger import LedgerError
    from croupier.store.schema import audit_log

    with pytest.raises(LedgerError) as err:
        wallet.post("adjustment", 100, account="cash", direction="credit", reason="")
    assert err.value.field == "reason"
    wallet.limit("deposit", "day", "10.00")
    assert wallet.post("adjustment", 1_000, account="bonus", direction="credit", reason="goodwill",
                       actor="alice").status == "posted"
    assert wallet.post("deposit", 1).body["reasons"][0]["counted_by_source"] == {"adjustment_in": "10.00"}
    with wallet.db.engine.connect() as conn:
        row = conn.execute(select(audit_log).where(audit_log.c.kind == "ledger.adjustment")).one()
    assert row.actor == "alice" and "goodwill" in row.body


def test_double_entry_every_transfer_sums_to_zero_and_balances_equal_their_entries(wallet: Wallet) -> None:
    other = Wallet(wallet.db, player_id="p2")
    for w in (wallet, other):
        w.post("deposit", 50_000)
        w.post("bonus_credit", 5_000)
        w.post("bet", 20_000, bonus_amount=2_000)
        w.post("win", 9_000, bonus_amount=1_000)
        w.post("bonus_conversion", 1_000)
        w.post("withdrawal", 10_000, tx=f"{w.player_id}-wd")
        w.post("settle", pending_id=f"{w.player_id}-wd", tx=f"{w.player_id}-wd")
        w.post("chargeback", 100_000)
        w.post("adjustment", 500, account="cash", direction="credit", reason="fix")
    with wallet.db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ledger_entries)).scalar() == 2 * 2 * 11
    assert_double_entry(wallet.db)


def assert_double_entry(db) -> None:  # noqa: ANN001
    with db.engine.connect() as conn:
        assert conn.execute(select(func.coalesce(func.sum(ledger_entries.c.amount_minor), 0))).scalar() == 0
        per_transfer = conn.execute(select(ledger_entries.c.transfer_id, func.sum(ledger_entries.c.amount_minor))
                                    .group_by(ledger_entries.c.transfer_id)).all()
        assert all(total == 0 for _, total in per_transfer)
        sums = {(p, c, a): s for p, c, a, s in conn.execute(
            select(ledger_entries.c.player_id, ledger_entries.c.currency, ledger_entries.c.account,
                   func.sum(ledger_entries.c.amount_minor))
            .group_by(ledger_entries.c.player_id, ledger_entries.c.currency, ledger_entries.c.account))}
        for w in conn.execute(select(ledger_wallets)):
            cash = w.cash_credits_posted - w.cash_debits_posted
            bonus = w.bonus_credits_posted - w.bonus_debits_posted
            assert cash == sums.get((w.player_id, w.currency, "cash"), 0) >= 0
            assert bonus == sums.get((w.player_id, w.currency, "bonus"), 0) >= 0
            pending = conn.execute(select(func.coalesce(func.sum(ledger_transfers.c.amount_minor), 0)).where(
                ledger_transfers.c.player_id == w.player_id, ledger_transfers.c.currency == w.currency,
                ledger_transfers.c.status == "pending")).scalar()
            assert w.cash_debits_pending == pending and cash - pending >= 0


def test_wallet_postings_reach_the_log_with_ids_from_the_transaction(wallet: Wallet) -> None:
    from croupier.store.schema import events

    wallet.post("deposit", 1_000, tx="dep-9")
    wallet.post("bet", 500, tx="bet-9", bet_id="round-1", session_id="s9", game_category="slots")
    wallet.post("win", 700, tx="win-9", bet_id="round-1")
    wallet.post("withdrawal", 100, tx="wd-9")
    wallet.post("void", pending_id="wd-9", tx="wd-9")
    wallet.post("deposit", 10**13, tx="dep-huge")   # no limit, fine
    wallet.limit("deposit", "day", "1.00")
    wallet.post("deposit", 1_000, tx="dep-refused")
    with wallet.db.engine.connect() as conn:
        rows = dict(conn.execute(select(events.c.event_id, events.c.type)).all())
    assert rows["wallet:dep-9"] == "payment.deposit"
    assert rows["wallet:bet-9"] == "casino.bet" and rows["wallet:win-9"] == "casino.win"
    assert rows["wallet:wd-9:requested"] == rows["wallet:wd-9:cancelled"] == "payment.withdrawal"
    assert rows["wallet:session:p1:s9:started"] == "session.started"
    assert rows["wallet:dep-refused:declined"] == "payment.deposit"
    assert "wallet:dep-refused" not in rows
