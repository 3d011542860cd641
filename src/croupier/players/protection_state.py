"""The protection side of a player's state, folded from Croupier's own facts (limit set,
exclusion started/ended, person linked, reality check) and read by the gate and the
detectors. The authoritative records live in the protection tables; these are the same
facts, replayed through the log, so a decision can be taken from the state alone."""

from __future__ import annotations

from msgspec import Struct, field

from croupier.events import (
    AmlStatusChanged, ExclusionEnded, ExclusionStarted, LimitSet, PersonLinked, RealityCheck, RegisterScreened,
    to_minor,
)
from croupier.players.facts import REGISTERED

AML_HISTORY = 20                                # AML status changes kept in the state (the log keeps all)


class LimitView(Struct, omit_defaults=True):
    kind: str
    period: str
    source: str = "player"
    amount_minor: int | None = None
    currency: str | None = None
    minutes: int | None = None
    effective_us: int = 0                       # in force from
    pending: "LimitView | None" = None          # an increase or removal waiting for its time


class ExclusionView(Struct, omit_defaults=True):
    exclusion_id: str
    kind: str
    scope: str
    brand: str
    started_us: int
    until_us: int | None = None                 # None: indefinite
    source: str | None = None


class MarkerView(Struct, omit_defaults=True):
    """An RG risk marker: what fired, how strongly, since when, and why in words.
    `severity` is as of `last_us` (the latest evidence); it decays by one step per
    `decay_days` of the marker without new evidence (protection.markers.effective_severity)."""

    name: str
    severity: int                               # 1 low .. 3 high
    first_us: int
    last_us: int
    explanation: str


class InterventionView(Struct, omit_defaults=True):
    """An RG intervention taken (soft, firm, human, hard_stop), with what caused it: the
    level, the markers, the event, when the episode's first alert was raised, and the
    message variant (A/B) the player was given."""

    kind: str
    at_us: int
    level: str
    cause_event_id: str
    alert_us: int                               # first alert of the episode that led here
    markers: list[str] = field(default_factory=list)
    variant: str = ""
    status: str = "done"                        # human cases: "open" until reviewed
    config_version: str = ""                    # the configuration version whose rules called for it
    model_version: str = ""                     # the RG model whose score set the level (protection.risk)


class RgTrack(Struct, omit_defaults=True):
    """Per-player evidence the RG detectors need beyond the feature buckets (each list is
    short and bounded; see protection.markers for how each one is read)."""

    loss_mark: int = 0                          # lifetime stakes - wins at the last approved deposit
    deposits: list[list[int]] = field(default_factory=list)  # [at_us, minor, loss_before, chase 0/1]
    declines: list[int] = field(default_factory=list)        # times of declined / failed deposits
    cancels: list[int] = field(default_factory=list)         # times of cancelled / reversed withdrawals
    limit_ups: list[list] = field(default_factory=list)      # [at_us, "kind:period"] increase requests
    limit_values: dict[str, int] = field(default_factory=dict)  # last requested limit per kind:period
    distress: list[list[int]] = field(default_factory=list)  # [at_us, score in %] distressed messages
    stakes: dict[int, list[int]] = field(default_factory=dict)  # UTC day -> [bets, sum, sum of squares]
    actions: list[list] = field(default_factory=list)        # [at_us, what] the player's own protective steps
    # Stake chasing within play (protection.chasing), counted per bet in players.apply:
    # UTC day -> [bets after a lost bet, chase steps, longest chain, its first stake, its last
    # stake, the largest step's previous stake, its stake, steps on sports bets]
    chase: dict[int, list[int]] = field(default_factory=dict)
    # Bets without an open session: the player's last bet is the play sequence while the next
    # comes within MarkerConfig.stake_chase_gap_minutes: [at_us, stake, won, bet id, chain,
    # chain_from, bets since the last win]
    loose: list = field(default_factory=list)
    sports_loss: list[int] = field(default_factory=list)     # the latest settled losing sports bet: [at_us, stake, chain, chain_from]
    ended_run: list[int] = field(default_factory=list)       # the latest ended session: [end_us, its losing run]
    # Withdrawals cancelled or reversed: [at_us, minor, 0 player / 1 operator, lifetime stakes
    # then, when that much more was staked (0: not yet)]; restake_due: the lifetime stakes at
    # which the oldest open one is staked again (0: none open), checked per bet.
    reversals: list[list[int]] = field(default_factory=list)
    restake_due: int = 0


class ProtectionState(Struct, omit_defaults=True):
    limits: dict[str, LimitView] = field(default_factory=dict)        # "deposit:day" -> limit
    exclusions: list[ExclusionView] = field(default_factory=list)     # active ones
    person_id: str | None = None
    person_evidence: list[str] = field(default_factory=list)
    reality_checks: int = 0
    # RG risk (owned by protection.markers / protection.risk)
    risk_level: str = "none"                    # none, low, medium, high, severe
    risk_since_us: int | None = None
    markers: dict[str, MarkerView] = field(default_factory=dict)
    # [at_us, level, [marker names], marker points, config version, score bp, model version, cause] per change
    risk_history: list[list] = field(default_factory=list)
    promotions_paused: bool = False
    deposits_blocked: bool = False
    risk_score: int = 0                         # marker points (weight x severity), for display; levels use risk_bp
    interventions: list[InterventionView] = field(default_factory=list)  # newest last, bounded
    reality_check_forced: bool = False          # firm intervention: reality checks whatever the player chose
    # [at_us, behaviour rank, case floor rank, step_us, evidence_us low..severe (4), calm_days] when the
    # memory that sets the level changed (protection.risk.level_at replays the calm rule from it)
    risk_trail: list[list] = field(default_factory=list)
    risk_bp: int = 0                            # the risk score (probability) in basis points, 0..10000
    risk_model: str = ""                        # the model version that scored it
    risk_config: str = ""                       # the configuration version in force when it was scored
    risk_top: list[list] = field(default_factory=list)  # [input, value, log-odds x 100]: what raised it, largest first
    # behaviour level memory: [rank, step_us, evidence_us for low, medium, high, severe] (0: never)
    risk_memory: list[int] = field(default_factory=list)
    peak_level: str = "none"                    # the highest level in the last 90 days, as of the last score
    peak_us: int | None = None                  # when the player last reached it
    reviewed_us: int = 0                        # the latest RG officer review
    # AML status (risk.aml): clear, review, restricted or blocked; read by the gate and the ledger
    aml_status: str = "clear"
    aml_since_us: int | None = None
    aml_history: list[list] = field(default_factory=list)  # [at_us, status, source, actor, reason], newest last
    # Promotional messages allowed on the player's local day (for per-day caps; owned by the gate)
    promo_day: int = 0
    promo_count: int = 0
    # National register check: "" (the market names none), pending (registered, not yet
    # screened), clear, hit, unavailable, not_configured or opted_out; since when (the
    # registration for pending, else the check). The gate holds promotions while pending,
    # unavailable or not_configured (and opted_out, unless the rules in force opt out).
    register_check: str = ""
    register_check_us: int = 0
    register_held: tuple[str, ...] = ()         # lifecycle facts (registered, ...) waiting for its answer


def limit_key(kind: str, period: str) -> str:
    return f"{kind}:{period}"


def _is_removal(view: LimitView) -> bool:
    return view.amount_minor is None and view.minutes is None


def _promote(p: ProtectionState, key: str, at_us: int) -> None:
    """A pending change whose time has come becomes the limit (or removes it)."""
    current = p.limits.get(key)
    pending = current.pending if current is not None else None
    if pending is None or pending.effective_us > at_us:
        return
    if _is_removal(pending):
        del p.limits[key]
    else:
        p.limits[key] = pending


def fold_limit(p: ProtectionState, e: LimitSet, at_us: int, effective_us: int) -> None:
    """A change in force at once replaces the limit (and drops any pending change); a later
    one waits as `pending`, replacing an earlier pending one. A pending change that matured
    before this one is promoted first, so the limit it set is what the new one replaces."""
    key = limit_key(e.kind, e.period)
    _promote(p, key, at_us)
    view = LimitView(kind=e.kind, period=e.period, source=e.source,
                     amount_minor=to_minor(e.amount, e.currency) if e.amount is not None and e.currency else None,
                     currency=e.currency, minutes=e.minutes, effective_us=effective_us)
    removed = _is_removal(view)
    current = p.limits.get(key)
    if effective_us <= at_us:
        if removed:
            p.limits.pop(key, None)
        else:
            p.limits[key] = view
    elif current is not None:
        current.pending = view
    elif not removed:
        p.limits[key] = LimitView(kind=e.kind, period=e.period, pending=view)


def limits_in_force(p: ProtectionState, at_us: int) -> dict[str, LimitView]:
    """The limits that apply at `at_us`: pending changes whose time has come replace the old."""
    out: dict[str, LimitView] = {}
    for key, view in p.limits.items():
        pending = view.pending
        if pending is not None and pending.effective_us <= at_us:
            if not _is_removal(pending):
                out[key] = pending
        elif not _is_removal(view):
            out[key] = view
    return out


def fold_exclusion(p: ProtectionState, e: ExclusionStarted, at_us: int, until_us: int | None) -> None:
    """A start, or the same exclusion re-stated with a new `until` (a reactivation waiting out
    its cooling-off): it keeps its first start time."""
    started = next((x.started_us for x in p.exclusions if x.exclusion_id == e.exclusion_id), at_us)
    p.exclusions = [x for x in p.exclusions if x.exclusion_id != e.exclusion_id]
    p.exclusions.append(ExclusionView(exclusion_id=e.exclusion_id, kind=e.kind, scope=e.scope,
                                      brand=e.brand, started_us=started, until_us=until_us, source=e.source))


def fold_exclusion_end(p: ProtectionState, e: ExclusionEnded) -> None:
    p.exclusions = [x for x in p.exclusions if x.exclusion_id != e.exclusion_id]


def active_exclusions(p: ProtectionState, at_us: int) -> list[ExclusionView]:
    return [x for x in p.exclusions if x.until_us is None or x.until_us > at_us]


def fold_person(p: ProtectionState, e: PersonLinked) -> None:
    """Each fact states the account's whole link as it now stands; one without evidence says
    the account no longer belongs to a person (the matcher regrouped it, or staff unlinked it)."""
    p.person_id = e.person_id if e.evidence else None
    p.person_evidence = sorted(set(e.evidence))


def fold_reality_check(p: ProtectionState, e: RealityCheck) -> None:
    p.reality_checks += 1


def fold_review(p: ProtectionState, at_us: int, lift_hard_stop: bool) -> None:
    """An RG officer's review: open cases close; the hard stop lifts only if they say so."""
    for view in p.interventions:
        if view.status == "open":
            view.status = "reviewed"
    p.reviewed_us = max(p.reviewed_us, at_us)
    if lift_hard_stop:
        p.deposits_blocked = False


def fold_aml(p: ProtectionState, e: AmlStatusChanged, at_us: int) -> None:
    """The latest AML status in log order wins; the last AML_HISTORY changes stay for staff."""
    p.aml_status = e.status
    p.aml_since_us = at_us
    p.aml_history.append([at_us, e.status, e.source, e.actor, e.reason])
    del p.aml_history[:-AML_HISTORY]


def fold_registration_check(p: ProtectionState, register: str | None, at_us: int) -> None:
    """A registration in a market whose rules name a national register is screened after it
    is stored: until the answer arrives the check is pending, and the welcome waits."""
    if register:
        p.register_check, p.register_check_us, p.register_held = "pending", at_us, (REGISTERED,)
    elif p.register_check:  # registered again, in a market without a register
        p.register_check, p.register_check_us, p.register_held = "", 0, ()


def hold_for_register(p: ProtectionState, facts: list[str], lifecycle: frozenset[str]) -> None:
    """Lifecycle facts raised while the check is pending or unavailable: the gate holds their
    messages; they are proposed again when the register answers clear."""
    for fact in facts:
        if fact in lifecycle and fact not in p.register_held:
            p.register_held = (*p.register_held, fact)


def fold_register_screened(p: ProtectionState, e: RegisterScreened, checked_us: int) -> list[str]:
    """The register's answer; returns the held lifecycle facts it proposes again. Clear (or a
    market opted out of its register) releases them all; a hit drops them (a listed person
    gets no welcome, ever); an unavailable register keeps them waiting. Nothing to ask
    (`not_configured`) proposes them again, so their decisions say why they are held
    (register_not_configured), and keeps them for the answer a configured register gives."""
    p.register_check, p.register_check_us = e.status, checked_us
    if not p.register_held or e.status == "unavailable":
        return []
    if e.status == "not_configured":
        return list(p.register_held)
    held, p.register_held = p.register_held, ()
    return [] if e.status == "hit" else list(held)


def carry_gate_counts(before: ProtectionState, after: ProtectionState) -> None:
    """A refold rebuilds what the log holds; the daily count of promotional messages already
    let through is the gate's record of decisions taken (they stay taken), so it carries over."""
    after.promo_day, after.promo_count = before.promo_day, before.promo_count
