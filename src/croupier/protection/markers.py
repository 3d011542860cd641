"""RG risk markers: detectors over the player's own history, each explained in numbers.

Every detector is a pure function `(state, event, at_us, config) -> Hit | None` that reads the
feature buckets and the RG evidence (`state.rg`) folded so far. `observe` runs the detectors
an event can move, folds their hits into `state.protection.markers` (with decay), re-scores
the risk level and takes the interventions the player's jurisdiction sets for it
(protection.risk, protection.interventions). It is called from `players.apply` for the
event types below, so a replay or a refold of the log reproduces markers, levels, history
and interventions exactly. docs/rg-markers.md describes every marker.
"""

from __future__ import annotations

from collections.abc import Callable


from croupier.events import (
    Deposit, Event, ExclusionRequested, ExclusionStarted, LimitChanged, LimitSet, RgReviewed, SessionEnded,
    SupportMessage, Withdrawal, to_minor,
)
from croupier.compliance.rules import MarkerConfig, RulesInForce
from croupier.players.config import FeatureConfig
from croupier.players.facts import DEPOSIT, DEPOSIT_DECLINED, WITHDRAWAL_CANCELLED
from croupier.players.protection_state import MarkerView
from croupier.players.state import (
    BET_N, DAY_US, LATE_BET_N, SESS_N, SESS_SECONDS, STAKE, WIN, PlayerState,
)
from croupier.protection.chasing import deposit_flags, reversal_text, stake_chasing
from croupier.protection.detecting import (
    HOUR_US, MINUTE_US, Detector, Hit, _recent_count, _sums, grade, median, money, remember_time, windows,
)
from croupier.protection.intensity import ABSOLUTE, DETECTORS as ABSOLUTE_DETECTORS


# Facts `observe` adds to what `apply` returns (detect turns them into signals).
RG_MARKER = "rg_marker"              # a marker appeared or got stronger
RISK_CHANGED = "risk_changed"        # the risk level changed
RG_INTERVENTION = "rg_intervention"  # an intervention was taken at this event

MARKERS = ("loss_chasing", "session_escalation", "deposit_spike", "withdrawal_reversal",
           "declined_deposits", "late_night", "stake_variability", "limit_increase", "distress",
           "stake_chasing", *ABSOLUTE)  # chasing within play: protection.chasing; absolute: protection.intensity

DEFAULT_CONFIG = MarkerConfig()


# --- detectors -------------------------------------------------------------------------------
def loss_chasing(state: PlayerState, event: Event, at_us: int, cfg: MarkerConfig,
                 features: FeatureConfig) -> Hit | None:
    """Deposits soon after losses, and deposit sizes rising from one chase to the next."""
    since = at_us - cfg.chase_hours * HOUR_US
    deposits = state.rg.deposits
    chases = [d for d in deposits if d[0] >= since and d[0] <= at_us and d[3]]
    severity = grade(len(chases), cfg.chase_counts)
    if not severity:
        return None
    lost = sum(d[2] for d in chases)
    base = median([d[1] for d in deposits if at_us - cfg.baseline_days * DAY_US <= d[0] < since]) \
        or median([d[1] for d in deposits if d[0] <= at_us])
    text = (f"{len(chases)} deposits within {cfg.chase_minutes} min of play after losing "
            f"{money(lost, state)} in {cfg.chase_hours} h")
    text += deposit_flags(chases, cfg, state)  # right after a losing run or a played-down balance
    sizes = [d[1] for d in chases]
    rising = len(sizes) >= 2 and all(b >= a for a, b in zip(sizes, sizes[1:])) and sizes[-1] > sizes[0]
    if rising and base:
        first, last = round(100 * sizes[0] / base), round(100 * sizes[-1] / base)
        text += f"; deposit sizes rose {first}% → {last}% of the median deposit ({money(int(base), state)})"
        if last >= cfg.chase_rise_pct:
            severity = min(3, severity + 1)
    return Hit(severity, text)


def deposit_spike(state: PlayerState, event: Event, at_us: int, cfg: MarkerConfig,
                  features: FeatureConfig) -> Hit | None:
    """A deposit, or a day's deposits, far above the player's own median deposit."""
    if not isinstance(event, Deposit) or event.status != "approved":
        return None
    since = at_us - DAY_US
    deposits = state.rg.deposits
    before = [d[1] for d in deposits if at_us - cfg.baseline_days * DAY_US <= d[0] < since]
    if len(before) < cfg.spike_min_deposits:
        return None
    base = median(before)
    amount = to_minor(event.amount, event.currency) if event.currency == state.currency else 0
    day_total = sum(d[1] for d in deposits if since <= d[0] <= at_us)
    single, daily = 100 * amount / base, 100 * day_total / base
    severity = grade(max(single, daily / 2), cfg.spike_ratios_pct)  # a day of deposits counts half
    if not severity:
        return None
    return Hit(severity, f"deposit of {money(amount, state)} is {single / 100:.1f}× and the last 24 h "
                         f"({money(day_total, state)}) {daily / 100:.1f}× the median deposit of "
                         f"{money(int(base), state)} over the previous {cfg.baseline_days} days "
                         f"({len(before)} deposits)")


def session_escalation(state: PlayerState, event: Event, at_us: int, cfg: MarkerConfig,
                       features: FeatureConfig) -> Hit | None:
    """Play time per day, session length or session frequency rising against the baseline."""
    recent, baseline = windows(state, at_us, cfg)
    if len(baseline) < cfg.min_baseline_days:
        return None
    open_recent = sum(1 for s in state.sessions.values() if s.started_us >= recent.start * DAY_US)
    r_n, r_sec = _sums(state, recent, (SESS_N, SESS_SECONDS))
    b_n, b_sec = _sums(state, baseline, (SESS_N, SESS_SECONDS))
    r_days, b_days = len(recent), len(baseline)
    r_min_day = r_sec / 60 / r_days
    if r_min_day < cfg.session_min_minutes_per_day or not b_n:
        return None
    b_min_day = max(b_sec / 60 / b_days, 1.0)
    r_len = r_sec / 60 / max(1, r_n - open_recent)
    b_len = max(b_sec / 60 / b_n, 1.0)
    r_freq, b_freq = r_n / r_days, b_n / b_days
    ratio = 100 * r_min_day / b_min_day
    if 100 * r_freq < cfg.session_both_pct * b_freq or 100 * r_len < cfg.session_both_pct * b_len:
        return None
    severity = grade(ratio, cfg.session_ratios_pct)
    if not severity:
        return None
    return Hit(severity, f"last {r_days} days: {r_freq:.1f} sessions/day of {r_len:.0f} min "
                         f"({r_min_day:.0f} min/day) vs {b_freq:.1f} sessions/day of {b_len:.0f} min "
                         f"({b_min_day:.0f} min/day) over the previous {b_days} days: play time ×{ratio / 100:.1f}")


def withdrawal_reversal(state: PlayerState, event: Event, at_us: int, cfg: MarkerConfig,
                        features: FeatureConfig) -> Hit | None:
    """Withdrawals cancelled by the player (money back into play) or reversed."""
    count = _recent_count(state.rg.cancels, at_us - cfg.cancel_days * DAY_US)
    severity = grade(count, cfg.cancel_counts)
    text = f"{count} withdrawal{'' if count == 1 else 's'} cancelled or reversed in the last {cfg.cancel_days} days"
    more, restaked = reversal_text(state, at_us, cfg)
    if restaked and count:  # the money went back into play: one step more
        severity = min(3, severity + 1)
    if not severity:
        return None
    return Hit(severity, text + more)


def declined_deposits(state: PlayerState, event: Event, at_us: int, cfg: MarkerConfig,
                      features: FeatureConfig) -> Hit | None:
    """Repeated declined or failed deposits: trying to deposit money that is not there."""
    count = _recent_count(state.rg.declines, at_us - cfg.decline_hours * HOUR_US)
    severity = grade(count, cfg.decline_counts)
    if not severity:
        return None
    return Hit(severity, f"{count} deposits declined or failed in the last {cfg.decline_hours} h")


def late_night(state: PlayerState, event: Event, at_us: int, cfg: MarkerConfig,
               features: FeatureConfig) -> Hit | None:
    """A large and rising share of bets placed late at night, in the player's local time."""
    recent, baseline = windows(state, at_us, cfg)
    r_bets, r_late = _sums(state, recent, (BET_N, LATE_BET_N))
    if r_late < cfg.late_min_bets:
        return None
    nights = sum(1 for day in recent if (b := state.days.get(day)) is not None and b[LATE_BET_N])
    if nights < cfg.late_min_days:
        return None
    share = 100 * r_late / r_bets
    b_bets, b_late = _sums(state, baseline, (BET_N, LATE_BET_N))
    known = len(baseline) >= cfg.min_baseline_days and b_bets >= cfg.late_min_bets
    b_share = 100 * b_late / b_bets if known else 0.0
    if known and share - b_share < cfg.late_over_baseline_pct:
        return None
    severity = grade(share, cfg.late_shares_pct)
    if not severity:
        return None
    zone = state.profile.get("timezone") or "UTC"
    window = f"{features.late_night_start_hour:02d}:00–{features.late_night_end_hour:02d}:00"
    text = (f"{share:.0f}% of {r_bets:,} bets in the last {len(recent)} days (on {nights} of them) placed "
            f"{window} local time ({zone})")
    text += (f", vs {b_share:.0f}% of {b_bets:,} bets over the previous {len(baseline)} days" if known
             else " (no baseline yet)")
    return Hit(severity, text)


def _stake_stats(stakes: dict[int, list[int]], days: range) -> tuple[int, float, float]:
    n = total = squares = 0
    for day in days:
        s = stakes.get(day)
        if s is not None:
            n, total, squares = n + s[0], total + s[1], squares + s[2]
    if not n:
        return 0, 0.0, 0.0
    mean = total / n
    variance = max(0.0, squares / n - mean * mean)
    return n, mean, (variance ** 0.5) / mean if mean else 0.0


def stake_variability(state: PlayerState, event: Event, at_us: int, cfg: MarkerConfig,
                      features: FeatureConfig) -> Hit | None:
    """Stakes varying (and climbing) more than they used to: the coefficient of variation and
    the mean stake of the recent days against the baseline."""
    recent, baseline = windows(state, at_us, cfg)
    if len(baseline) < cfg.min_baseline_days:
        return None
    r_n, r_mean, r_cv = _stake_stats(state.rg.stakes, recent)
    b_n, b_mean, b_cv = _stake_stats(state.rg.stakes, baseline)
    if r_n < cfg.stake_min_bets or b_n < cfg.stake_min_bets or not b_mean:
        return None
    if sum(1 for day in recent if day in state.rg.stakes) < cfg.stake_min_days:
        return None
    cv_ratio = 100 * r_cv / max(b_cv, 0.05)
    mean_ratio = 100 * r_mean / b_mean
    severity = max(grade(cv_ratio, cfg.stake_cv_ratios_pct), grade(mean_ratio, cfg.stake_mean_ratios_pct))
    if not severity:
        return None
    return Hit(severity, f"stake variation (CV) {r_cv:.2f} over {r_n:,} bets in the last {len(recent)} days "
                         f"vs {b_cv:.2f} over {b_n:,} bets before (×{cv_ratio / 100:.1f}); mean stake "
                         f"{money(int(r_mean), state)} vs {money(int(b_mean), state)} (×{mean_ratio / 100:.1f})")


def limit_increase(state: PlayerState, event: Event, at_us: int, cfg: MarkerConfig,
                   features: FeatureConfig) -> Hit | None:
    """Requests to raise or remove a limit."""
    since = at_us - cfg.limit_days * DAY_US
    ups = [u for u in state.rg.limit_ups if u[0] >= since]
    severity = grade(len(ups), cfg.limit_counts)
    if not severity:
        return None
    kinds = ", ".join(sorted({u[1] for u in ups}))
    return Hit(severity, f"{len(ups)} request{'' if len(ups) == 1 else 's'} to raise or remove a limit ({kinds}) in "
                         f"the last {cfg.limit_days} days")


def distress(state: PlayerState, event: Event, at_us: int, cfg: MarkerConfig,
             features: FeatureConfig) -> Hit | None:
    """Distress in the player's own words to support (models.sentiment, offline)."""
    since = at_us - cfg.distress_days * DAY_US
    hits = [d for d in state.rg.distress if d[0] >= since]
    if not hits:
        return None
    top = max(d[1] for d in hits)
    severity = 3 if len(hits) >= 2 or top >= 80 else 2
    cues = ""
    if isinstance(event, SupportMessage):
        from croupier.models.sentiment import score

        found = score(event.text, event.language).cues
        cues = " (latest: " + ", ".join(f'"{c}"' for c in found[:4]) + ")" if found else ""
    return Hit(severity, f"{len(hits)} support message{'s' if len(hits) > 1 else ''} with distress in the last "
                         f"{cfg.distress_days} days, highest score {top / 100:.2f}{cues}")


DETECTORS: dict[str, Detector] = {
    "loss_chasing": loss_chasing, "session_escalation": session_escalation,
    "deposit_spike": deposit_spike, "withdrawal_reversal": withdrawal_reversal,
    "declined_deposits": declined_deposits, "late_night": late_night,
    "stake_variability": stake_variability, "limit_increase": limit_increase, "distress": distress,
    "stake_chasing": stake_chasing,
    **ABSOLUTE_DETECTORS,
}
_PLAY = ("session_escalation", "late_night", "stake_variability", "stake_chasing", *ABSOLUTE)


# --- evidence: what each event adds to state.rg ----------------------------------------------
KEEP_DEPOSITS, KEEP_TIMES = 48, 16
STAKE_DAYS = 34                  # the baseline and recent days, and one more


def note_stake(state: PlayerState, day: int, minor: int) -> bool:
    """Per-day stake moments for the variability detector (called per bet from apply; cheap).
    Returns True on the day's first bet, when the play detectors are due."""
    stakes = state.rg.stakes
    s = stakes.get(day)
    if s is not None:
        s[0] += 1
        s[1] += minor
        s[2] += minor * minor
        return False
    stakes[day] = [1, minor, minor * minor]
    if len(stakes) > STAKE_DAYS:
        for old in sorted(stakes)[: len(stakes) - STAKE_DAYS]:
            del stakes[old]
    return True


def _deposit_evidence(state: PlayerState, e: Deposit, at_us: int, cfg: MarkerConfig,
                      facts: list[str], features: FeatureConfig | None = None) -> tuple[str, ...]:
    rg = state.rg
    if DEPOSIT_DECLINED in facts:
        remember_time(rg.declines, at_us, KEEP_TIMES)
        return ("declined_deposits",)
    if DEPOSIT not in facts:
        return ()  # a request, a repeated approval or a foreign currency: apply counted nothing
    minor = to_minor(e.amount, e.currency)
    net = state.life[STAKE] - state.life[WIN]
    lost = max(0, net - rg.loss_mark)
    rg.loss_mark = net
    previous = rg.deposits[-1][1] if rg.deposits else None
    last_bet = state.last_bet_us
    chase = int(previous is not None and last_bet is not None and 0 <= at_us - last_bet <= cfg.chase_minutes * MINUTE_US
                and 100 * lost >= cfg.chase_loss_pct * previous)
    run, before = _redeposit(state, e, at_us, minor, cfg, features)
    if run >= (features.losing_run_bets if features is not None else 3):
        chase |= 2      # within redeposit_minutes of a losing run
    if before is not None and previous and 100 * before <= cfg.redeposit_balance_pct * previous:
        chase |= 4      # ... or of the balance played down
    entry = [at_us, minor, lost, chase]
    if chase & 6:
        entry += [run, -1 if before is None else before]
    remember_time(rg.deposits, entry, KEEP_DEPOSITS)
    return ("loss_chasing", "deposit_spike", *_PLAY) if chase else ("deposit_spike", "loss_chasing", *ABSOLUTE)


def _redeposit(state: PlayerState, e: Deposit, at_us: int, minor: int, cfg: MarkerConfig,
               features: FeatureConfig | None) -> tuple[int, int | None]:
    """The losing run (bets since the last win) and the balance just before a deposit made
    within `redeposit_minutes` of the last bet; (0, None) when it came later."""
    last_bet, window = state.last_bet_us, cfg.redeposit_minutes * MINUTE_US
    if last_bet is None or not 0 <= at_us - last_bet <= window:
        return 0, None
    rg = state.rg
    run = max((s.losing_streak for s in state.sessions.values() if s.started_us >= 0), default=0)
    if rg.ended_run and 0 <= at_us - rg.ended_run[0] <= window:
        run = max(run, rg.ended_run[1])
    if rg.loose and 0 <= at_us - rg.loose[0] <= window:
        run = max(run, rg.loose[6])
    before = None
    if e.balance is not None and e.currency == state.currency:   # the balance after the deposit, less it
        before = max(0, to_minor(e.balance, e.currency) - minor)
    elif state.balance is not None and state.balance_at_us is not None and 0 <= at_us - state.balance_at_us <= window:
        before = to_minor(state.balance, state.currency or "EUR")
    return run, before


def _withdrawal_evidence(state: PlayerState, e: Withdrawal, at_us: int, cfg: MarkerConfig, facts: list[str]) -> tuple[str, ...]:
    if WITHDRAWAL_CANCELLED not in facts:
        return ()
    rg = state.rg
    remember_time(rg.cancels, at_us, KEEP_TIMES)
    if e.currency == state.currency:  # the money back in the account: is it staked again?
        minor = to_minor(e.amount, e.currency)
        mark = state.life[STAKE]
        remember_time(rg.reversals, [at_us, minor, int(e.status == "reversed"), mark, 0], KEEP_TIMES)
        open_marks = [r[3] + r[1] for r in rg.reversals if not r[4]]
        rg.restake_due = min(open_marks) if open_marks else 0
    return ("withdrawal_reversal",)


def _limit_value(amount: str | None, currency: str | None, minutes: int | None) -> int | None:
    if amount is not None and currency:
        return to_minor(amount, currency)
    return minutes


def _limit_request(state: PlayerState, key: str, value: int | None, at_us: int, increase: bool) -> tuple[str, ...]:
    rg = state.rg
    if not increase:
        remember_time(rg.actions, [at_us, f"limit:{key}"], KEEP_TIMES)
        return ()
    # The same request arriving as the operator's limit.changed and Croupier's limit_set counts once.
    if any(u[1] == key and abs(u[0] - at_us) <= HOUR_US for u in rg.limit_ups):
        return ("limit_increase",)
    remember_time(rg.limit_ups, [at_us, key], 8)
    return ("limit_increase",)


def _limit_changed(state: PlayerState, e: LimitChanged, at_us: int, cfg: MarkerConfig, facts: list[str]) -> tuple[str, ...]:
    key = f"{e.kind}:{e.period}"
    value = _limit_value(e.amount, e.currency, e.minutes)
    previous = state.rg.limit_values.get(key)
    if value is None:
        state.rg.limit_values.pop(key, None)
    else:
        state.rg.limit_values[key] = value
    increase = previous is not None and (value is None or value > previous)
    if value is None and previous is None:
        return ()
    return _limit_request(state, key, value, at_us, increase)


def _limit_set(state: PlayerState, e: LimitSet, at_us: int, cfg: MarkerConfig, facts: list[str]) -> tuple[str, ...]:
    key = f"{e.kind}:{e.period}"
    return _limit_request(state, key, _limit_value(e.amount, e.currency, e.minutes), at_us,
                          e.change in ("increase", "removal"))


def _support(state: PlayerState, e: SupportMessage, at_us: int, cfg: MarkerConfig, facts: list[str]) -> tuple[str, ...]:
    from croupier.models.sentiment import score

    result = score(e.text, e.language)
    pct = round(100 * result.distress)
    if pct < cfg.distress_threshold_pct:
        return ()
    remember_time(state.rg.distress, [at_us, pct], 8)
    return ("distress",)


def _exclusion(state: PlayerState, e: Event, at_us: int, cfg: MarkerConfig, facts: list[str]) -> tuple[str, ...]:
    remember_time(state.rg.actions, [at_us, f"exclusion:{e.kind}"], KEEP_TIMES)  # type: ignore[attr-defined]
    return ()


def _session(state: PlayerState, e: Event, at_us: int, cfg: MarkerConfig, facts: list[str]) -> tuple[str, ...]:
    return _PLAY  # at the end of a session: its length is known then


def _reviewed(state: PlayerState, e: Event, at_us: int, cfg: MarkerConfig, facts: list[str]) -> tuple[str, ...]:
    return ()  # an RG officer's review: no evidence, but the cases it closed no longer hold the level


_EVIDENCE: dict[type, Callable[[PlayerState, Event, int, MarkerConfig, list[str]], tuple[str, ...]]] = {
    Deposit: _deposit_evidence, Withdrawal: _withdrawal_evidence,  # type: ignore[dict-item]
    SessionEnded: _session,
    LimitChanged: _limit_changed, LimitSet: _limit_set,  # type: ignore[dict-item]
    SupportMessage: _support,  # type: ignore[dict-item]
    ExclusionRequested: _exclusion, ExclusionStarted: _exclusion, RgReviewed: _reviewed,
}
EVENT_TYPES = frozenset(_EVIDENCE)


# --- decay and folding -----------------------------------------------------------------------
def decay_us(name: str, cfg: MarkerConfig) -> int:
    return cfg.decay_days.get(name, cfg.decay_days.get("default", 7)) * DAY_US


def effective_severity(marker: MarkerView, at_us: int, cfg: MarkerConfig = DEFAULT_CONFIG) -> int:
    """The marker's severity at `at_us`: one step less per decay period without evidence."""
    quiet = at_us - marker.last_us
    return marker.severity - (quiet // decay_us(marker.name, cfg) if quiet > 0 else 0)


def fold_hit(state: PlayerState, name: str, hit: Hit, at_us: int, cfg: MarkerConfig) -> bool:
    """Fold a detector's hit into the marker; True when it appeared or got stronger."""
    markers = state.protection.markers
    current = markers.get(name)
    now = effective_severity(current, at_us, cfg) if current is not None else 0
    if now <= 0:
        markers[name] = MarkerView(name, hit.severity, at_us, at_us, hit.explanation)
        return True
    if hit.severity >= now:  # fresh evidence at least as strong: the marker restarts its decay
        current.severity, current.last_us, current.explanation = hit.severity, max(at_us, current.last_us), hit.explanation
        return hit.severity > now
    return False  # weaker evidence: the stronger marker decays down to it


def run_detectors(state: PlayerState, event: Event, at_us: int, names: tuple[str, ...],
                  cfg: MarkerConfig, features: FeatureConfig) -> list[tuple[str, Hit]]:
    hits = []
    for name in dict.fromkeys(names):
        hit = DETECTORS[name](state, event, at_us, cfg, features)
        if hit is not None:
            hits.append((name, hit))
    return hits


def thresholds(state: PlayerState, rules: RulesInForce | None) -> MarkerConfig:
    """The detector thresholds of the player's jurisdiction in the version in force."""
    if rules is None:
        return DEFAULT_CONFIG
    return rules.of(state.profile.get("jurisdiction")).rg.markers or DEFAULT_CONFIG


def observe(state: PlayerState, event: Event, at_us: int, features: FeatureConfig, facts: list[str],
            rules: RulesInForce | None = None, cfg: MarkerConfig | None = None,
            names: tuple[str, ...] | None = None) -> None:
    """Fold an event's RG evidence, run the detectors it can move, decay, re-score and
    intervene under `rules` (the configuration version in force at the event). Mutates the
    state (it is part of the fold); appends facts for `detect`."""
    cfg = cfg or thresholds(state, rules)
    if names is None:
        evidence = _EVIDENCE[type(event)]
        names = (_deposit_evidence(state, event, at_us, cfg, facts, features)  # type: ignore[arg-type]
                 if evidence is _deposit_evidence else evidence(state, event, at_us, cfg, facts))
    raised = False
    for name, hit in run_detectors(state, event, at_us, names, cfg, features):
        raised |= fold_hit(state, name, hit, at_us, cfg)
    if raised:
        facts.append(RG_MARKER)
    from croupier.protection.risk import settle

    settle(state, event, at_us, facts, cfg, rules, features)   # the score weighs play itself, markers or not


# What a bet can make due (players.apply's facts): the play detectors on a day's first bet (for
# feeds without session events), stake chasing on a chase step, reversals on a re-stake.
PLAY_DUE = {"rg_day": _PLAY, "rg_chase": ("stake_chasing",), "rg_restake": ("withdrawal_reversal",)}


def observe_play(state: PlayerState, event: Event, at_us: int, features: FeatureConfig,
                 facts: list[str], rules: RulesInForce | None = None, due: tuple[str, ...] = ("rg_day",)) -> None:
    """The detectors a bet made due (see PLAY_DUE)."""
    names = PLAY_DUE[due[0]] if len(due) == 1 else tuple(n for d in due for n in PLAY_DUE[d])
    observe(state, event, at_us, features, facts, rules, names=names)
