"""detect(state, event, facts): the signals an event raises for reactions to act on.

Signals are named, explained facts about a player. The RG risk markers themselves are
folded by `apply` (protection.markers, so replay reproduces them); here they become
signals: a marker that appeared or got stronger, a change of risk level, and each
intervention taken, with the numbers that explain it.
"""

from __future__ import annotations

from dataclasses import dataclass

from croupier.events import Event, RegisterScreened
from croupier.players import facts as fold
from croupier.players.state import PlayerState
from croupier.protection.markers import RG_INTERVENTION, RG_MARKER, RISK_CHANGED


@dataclass(frozen=True, slots=True)
class Signal:
    name: str
    player_id: str
    cause_event_id: str
    explanation: str
    detail: str = ""          # e.g. the intervention kind of an rg_intervention signal


_EXPLAINED = {
    fold.REGISTERED: "player registered",
    fold.FIRST_DEPOSIT: "first approved deposit",
    fold.REACTIVATED: "activity after a lapse of at least lapsed_days",
    fold.DEPOSIT_DECLINED: "deposit declined or failed",
    fold.WITHDRAWAL_CANCELLED: "withdrawal cancelled or reversed",
}
# why a held lifecycle signal is raised again, by the register's answer
_RELEASED_NOTE = {
    "clear": "; held until the national register check answered: not listed",
    "opted_out": "; held until the national register check answered: the market is opted out of its register",
    "not_configured": "; held for the national register check: no register is configured to ask, so it "
                      "stays held until one is (or the market is opted out)",
}


def _markers_text(state: PlayerState, names: list[str] | None = None) -> str:
    markers = state.protection.markers
    chosen = names if names is not None else sorted(markers)
    return "; ".join(f"{n} (severity {markers[n].severity}): {markers[n].explanation}"
                     for n in chosen if n in markers)


_CAUSE_WORDS = {"calm": "; came down a step after the calm days", "review": "; an RG officer's review closed the case "
                "that held it", "case": "; held by an open RG case"}


def rg_signals(state: PlayerState, event: Event, facts: list[str]) -> list[Signal]:
    p, pid, cause = state.protection, state.player_id, event.event_id
    out = []
    if RG_MARKER in facts:
        at = p.markers and max(m.last_us for m in p.markers.values())
        raised = [n for n, m in sorted(p.markers.items()) if m.last_us == at]
        out.append(Signal("rg_marker", pid, cause, _markers_text(state, raised)))
    if RISK_CHANGED in facts and p.risk_history:
        entry = p.risk_history[-1]
        level, names, points = entry[1:4]
        before = p.risk_history[-2][1] if len(p.risk_history) > 1 else "none"
        cause_words = _CAUSE_WORDS.get(entry[7] if len(entry) > 7 else "", "")
        text = (f"risk {before} → {level} (score {p.risk_bp / 10_000:.2f}, marker points {points}; "
                f"peak in 90 days {p.peak_level}{cause_words})")
        if p.risk_top:
            from croupier.protection.risk import contribution_words

            text += "; raised by " + ", ".join(contribution_words(n, v, lo / 100) for n, v, lo in p.risk_top)
        if names:
            text += ": " + _markers_text(state, names)
        out.append(Signal("rg_risk_changed", pid, cause, text, level))
    if RG_INTERVENTION in facts:
        for view in p.interventions:
            if view.cause_event_id == cause:
                out.append(Signal("rg_intervention", pid, cause,
                                  f"{view.kind} intervention at risk {view.level}: " + _markers_text(state, view.markers),
                                  view.kind))
    return out


def released_signals(state: PlayerState, event: Event, facts: list[str]) -> list[Signal]:
    """Lifecycle facts the register check held, raised again by the register's answer (the
    event here): same signal, caused by the answer, so its actions get ids of their own."""
    n = len(fold.RELEASED)
    note = _RELEASED_NOTE.get(getattr(event, "status", ""), "")
    return [Signal(f[n:], state.player_id, event.event_id, _EXPLAINED[f[n:]] + note)
            for f in facts if f.startswith(fold.RELEASED) and f[n:] in _EXPLAINED]


def detect(state: PlayerState, event: Event, facts: list[str]) -> list[Signal]:
    signals = [Signal(fact, state.player_id, event.event_id, _EXPLAINED[fact])
               for fact in facts if fact in _EXPLAINED]
    if isinstance(event, RegisterScreened):
        signals.extend(released_signals(state, event, facts))
    if RG_MARKER in facts or RISK_CHANGED in facts or RG_INTERVENTION in facts:
        signals.extend(rg_signals(state, event, facts))
    return signals
