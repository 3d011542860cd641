"""Features behind "slots players idle 14 days whose last 5 sessions averaged > 45 minutes":
days_since_last_bet_<category> (UTC calendar days) and session_minutes_avg_last5, in any
arrival order, through rollbacks, and across snapshots old and new."""

from __future__ import annotations

import random
from datetime import timedelta

import msgspec
from hypothesis import given, settings, strategies as st

from croupier.players import FeatureConfig, compute_features
from croupier.players.state import CATEGORIES, KEEP_DAYS, N_CATS
from croupier.store.states import decode, encode

from . import Script, fold, t, us

CONFIG = FeatureConfig()
IDLE = [f"days_since_last_bet_{cat}" for cat in CATEGORIES]


def features(events: list[dict], as_of: str) -> dict:
    return compute_features(fold(events), us(as_of), CONFIG)


def test_days_since_last_bet_per_category_counts_utc_calendar_days():
    s = Script()
    events = [s.registered("2026-02-01T09:00"),
              s.bet("2026-03-01T23:59:59.999", "1.00", "b1", "slots"),
              s.bet("2026-03-05T12:00", "1.00", "b2", "table"),
              s.sports("2026-03-10T08:00", "2.00", "b3", odds="2.00", sport="football", market="1x2", live=False)]
    # 2026-03-01 to 2026-03-15 is 14 calendar days, however few hours of the 15th have passed.
    f = features(events, "2026-03-15T00:00")
    assert f["days_since_last_bet_slots"] == 14
    assert f["days_since_last_bet_table"] == 10
    assert f["days_since_last_bet_sports"] == 5
    assert f["days_since_last_bet_live_casino"] is None and f["days_since_last_bet_poker"] is None
    assert features(events, "2026-03-14T23:59:59.999999")["days_since_last_bet_slots"] == 13
    # The overall feature counts elapsed 24-hour periods since the latest bet's moment.
    assert f["days_since_last_bet"] == 4
    assert features(events, "2026-03-01T23:59:59.999")["days_since_last_bet_slots"] == 0


def test_a_bet_at_midnight_belongs_to_the_day_it_opens():
    s = Script()
    events = [s.registered("2026-02-01T09:00"), s.bet("2026-03-02T00:00:00", "1.00", "b1", "slots")]
    assert features(events, "2026-03-16T00:00")["days_since_last_bet_slots"] == 14
    assert features(events, "2026-03-15T23:59:59.999999")["days_since_last_bet_slots"] == 13
    assert features(events, "2026-03-02T00:00")["days_since_last_bet_slots"] == 0
    # One microsecond earlier is the day before.
    earlier = [s.registered("2026-02-01T09:00"), s.bet("2026-03-01T23:59:59.999999", "1.00", "b1", "slots")]
    assert features(earlier, "2026-03-15T00:00")["days_since_last_bet_slots"] == 14


def test_a_late_older_bet_does_not_move_the_last_day_back():
    s = Script()
    reg = s.registered("2026-02-01T09:00")
    new, old = s.bet("2026-03-10T10:00", "1.00", "b1", "slots"), s.bet("2026-03-02T10:00", "1.00", "b2", "slots")
    assert features([reg, new, old], "2026-03-20T10:00")["days_since_last_bet_slots"] == 10
    assert features([reg, old, new], "2026-03-20T10:00")["days_since_last_bet_slots"] == 10


def test_rolling_back_the_last_bet_of_a_category_restores_the_one_before():
    s = Script()
    reg = s.registered("2026-02-01T09:00")
    first = s.bet("2026-03-01T10:00", "1.00", "b1", "slots")
    live = s.bet("2026-03-03T10:00", "1.00", "b2", "live_casino")
    last = s.bet("2026-03-08T10:00", "1.00", "b3", "slots")
    also = s.bet("2026-03-08T11:00", "1.00", "b4", "live_casino")
    back = s.rollback("2026-03-09T10:00", last)
    f = features([reg, first, live, last, also, back], "2026-03-20T10:00")
    assert f["days_since_last_bet_slots"] == 19
    assert f["days_since_last_bet_live_casino"] == 12
    only = features([reg, first, s.rollback("2026-03-02T10:00", first)], "2026-03-20T10:00")
    assert only["days_since_last_bet_slots"] is None
    # The rollback arriving before its bet: the bet never counts.
    assert features([reg, s.rollback("2026-03-02T10:00", first), first], "2026-03-20T10:00")[
        "days_since_last_bet_slots"] is None


def test_an_undo_whose_previous_bet_is_past_the_kept_days_refolds_exactly():
    s = Script()
    reg = s.registered("2025-10-01T09:00")
    old = s.bet("2025-10-02T10:00", "1.00", "b1", "slots")
    recent = [s.bet(f"2026-03-{d:02d}T10:00", "1.00", f"r{d}", "table") for d in range(1, 6)]
    last = s.bet("2026-03-06T10:00", "1.00", "b2", "slots")
    same_day = s.bet("2026-03-06T11:00", "1.00", "b3", "table")   # so the day's RG moments allow an undo
    events = [reg, old, *recent, last, same_day, s.rollback("2026-03-07T10:00", last)]
    state = fold(events)
    assert (t("2026-03-06") - t("2025-10-02")).days > KEEP_DAYS  # old's day bucket was dropped
    f = compute_features(state, us("2026-03-20T00:00"), CONFIG)
    assert f["days_since_last_bet_slots"] == (t("2026-03-20") - t("2025-10-02")).days
    assert f["days_since_last_bet_table"] == 14


def _sessions(s: Script, spans: list[tuple[str, str]]) -> list[dict]:
    out: list[dict] = []
    for i, (start, end) in enumerate(spans):
        out += s.session(start, end, f"s{i}")
    return out


def test_session_minutes_avg_last5_uses_the_five_that_ended_last():
    s = Script()
    spans = [("2026-03-01T10:00", "2026-03-01T12:00"),      # 120 min, ended first: left out
             ("2026-03-02T10:00", "2026-03-02T10:30"),      # 30
             ("2026-03-03T10:00", "2026-03-03T11:00"),      # 60
             ("2026-03-04T10:00", "2026-03-04T10:45:30"),   # 45.5
             ("2026-03-05T10:00", "2026-03-05T10:50"),      # 50
             ("2026-03-06T10:00", "2026-03-06T10:40:10")]   # 40 1/6
    events = [s.registered("2026-02-01T09:00"), *_sessions(s, spans)]
    f = features(events, "2026-03-20T10:00")
    # (30 + 60 + 45.5 + 50 + 40.1666...) / 5 = 45.1333... -> 45.13
    assert f["session_minutes_avg_last5"] == 45.13
    assert f["session_last5_mean_seconds"] == 2708
    random.Random(3).shuffle(events)  # any arrival order, registration included
    assert features(events, "2026-03-20T10:00")["session_minutes_avg_last5"] == 45.13


def test_three_sessions_average_three_and_none_is_null():
    s = Script()
    spans = [("2026-03-02T10:00", "2026-03-02T10:30"), ("2026-03-03T10:00", "2026-03-03T11:00"),
             ("2026-03-04T10:00", "2026-03-04T10:46:01")]
    events = [s.registered("2026-02-01T09:00"), *_sessions(s, spans)]
    # (1800 + 3600 + 2761) s / 3 / 60 = 45.3388... -> 45.34
    assert features(events, "2026-03-20T10:00")["session_minutes_avg_last5"] == 45.34
    assert features([Script().registered("2026-02-01T09:00")], "2026-03-20T10:00")["session_minutes_avg_last5"] is None
    # Started and not ended: not a duration yet. Ended with no start seen: not one either.
    p = Script("p2")
    pending = [p.registered("2026-02-01T09:00"), *p.session("2026-03-02T10:00", None, "a"),
               p("session.ended", "2026-03-03T10:00", session_id="never-started")]
    assert features(pending, "2026-03-20T10:00")["session_minutes_avg_last5"] is None


def test_a_late_session_that_ended_earlier_does_not_displace_the_last_five():
    s = Script()
    recent = [(f"2026-03-1{d}T10:00", f"2026-03-1{d}T11:00") for d in range(5)]   # five of 60 min
    events = [s.registered("2026-02-01T09:00"), *_sessions(s, recent),
              *s.session("2026-03-01T10:00", "2026-03-01T10:05", "late")]           # 5 min, arrives last
    assert features(events, "2026-03-20T10:00")["session_minutes_avg_last5"] == 60.0
    # A start arriving after its end still makes one session.
    q = Script("p3")
    start, end = q.session("2026-03-02T10:00", "2026-03-02T10:50", "x")
    assert features([q.registered("2026-02-01T09:00"), end, start], "2026-03-20T10:00")[
        "session_minutes_avg_last5"] == 50.0


def test_minutes_round_half_to_even_on_exact_hundredths():
    s = Script()
    # 3 s over one session is 0.05 min exactly; 27 s is 0.45; 1 s is 0.01666 -> 0.02
    for seconds, expected in ((3, 0.05), (27, 0.45), (1, 0.02), (0, 0.0)):
        start = t("2026-03-02T10:00")
        events = [s.registered("2026-02-01T09:00"), *s.session(start, start.replace(second=seconds), f"k{seconds}")]
        assert features(events, "2026-03-20T10:00")["session_minutes_avg_last5"] == expected
    p = Script("p4")  # two sessions of 0 s and 3 s: 1.5 s = 0.025 min -> 0.02 (half to even)
    two = [p.registered("2026-02-01T09:00"), *p.session("2026-03-02T10:00", "2026-03-02T10:00", "a"),
           *p.session("2026-03-03T10:00", "2026-03-03T10:00:03", "b")]
    assert features(two, "2026-03-20T10:00")["session_minutes_avg_last5"] == 0.02


_DAYS = st.integers(min_value=0, max_value=40)
_PLAY = st.lists(st.one_of(
    st.tuples(st.just("bet"), _DAYS, st.integers(0, 86_399), st.sampled_from(CATEGORIES[:-1])),
    st.tuples(st.just("session"), _DAYS, st.integers(0, 80_000), st.integers(0, 6_000)),
), min_size=1, max_size=14)


@settings(max_examples=60, deadline=None)
@given(play=_PLAY, order=st.randoms(use_true_random=False), undo=st.integers(0, 13))
def test_any_arrival_order_and_rollback_gives_the_in_order_values(play, order, undo):
    s = Script()
    base = t("2026-01-01T00:00")
    events = [s.registered("2025-12-01T00:00")]
    bets = []
    for i, item in enumerate(play):
        if item[0] == "bet":
            _, day, second, cat = item
            bets.append(s.bet(base + _delta(day, second), "1.00", f"b{i}", cat))
            events.append(bets[-1])
        else:
            _, day, second, length = item
            start = base + _delta(day, second)
            events += s.session(start, start + _delta(0, length), f"s{i}")
    if bets:
        events.append(s.rollback("2026-02-15T00:00", bets[undo % len(bets)]))
    as_of = "2026-02-20T00:00"
    in_order = features(events, as_of)
    shuffled = list(events)
    order.shuffle(shuffled)
    got = features(shuffled, as_of)
    names = [*IDLE, "session_minutes_avg_last5", "days_since_last_bet"]
    assert {n: got[n] for n in names} == {n: in_order[n] for n in names}
    # And the value is what the surviving bets say, computed without the fold.
    kept = [b for b in bets if b is not bets[undo % len(bets)]]
    for cat in CATEGORIES[:-1]:
        days = [t(b["occurred_at"]).date() for b in kept if b["game_category"] == cat]
        want = (t(as_of).date() - max(days)).days if days else None
        assert in_order[f"days_since_last_bet_{cat}"] == want


def _delta(days: int, seconds: int) -> timedelta:
    return timedelta(days=days, seconds=seconds)


def test_snapshots_round_trip_and_old_ones_derive_the_last_days():
    s = Script()
    events = [s.registered("2026-02-01T09:00"), s.bet("2026-03-01T10:00", "1.00", "b1", "slots"),
              s.bet("2026-03-04T10:00", "1.00", "b2", "crash"), *s.session("2026-03-04T10:00", "2026-03-04T11:00", "x")]
    state = fold(events)
    assert decode(encode(state)).last_cat_bet_day == state.last_cat_bet_day
    assert len(state.last_cat_bet_day) == N_CATS
    as_of = us("2026-03-20T10:00")
    expected = compute_features(state, as_of, CONFIG)
    # A snapshot written before the field existed: the same bytes without it.
    raw = msgspec.msgpack.decode(encode(state))
    del raw["last_cat_bet_day"]
    old = decode(msgspec.msgpack.encode(raw))
    assert old.last_cat_bet_day == state.last_cat_bet_day
    assert compute_features(old, as_of, CONFIG) == expected
    # A player who never bet has no such field at all (omitted as the default).
    quiet = fold([Script("p9").registered("2026-02-01T09:00")])
    assert "last_cat_bet_day" not in msgspec.msgpack.decode(encode(quiet))
    assert all(compute_features(quiet, as_of, CONFIG)[n] is None for n in IDLE)
