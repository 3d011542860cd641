"""Deterministic ids for what journeys do: an entry, a step's cause (the gate's action id
and the task's origin derive from it) and a timer, each a SHA-256 of its cause's parts, so
live processing, a retry and a replay name the same things and nothing is done twice."""

from __future__ import annotations

import hashlib


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]


def entry_id(key: str, version: int, player_id: str, cause_id: str) -> str:
    """The player's entry into a journey, from the event (or firing) that caused it."""
    return "je_" + _digest("entry", key, version, player_id, cause_id)


def step_cause(key: str, version: int, player_id: str, cause_id: str, step_id: str, seq: int) -> str:
    """The cause of one step taken: the journey, the version, the player, the entry's cause,
    the step and how many steps the entry had taken (a step revisited through a loop is a
    new cause)."""
    return "js_" + _digest("step", key, version, player_id, cause_id, step_id, seq)


def timer_id(entry: str, step_id: str, seq: int, due_us: int) -> str:
    """The id of the timer fact a wait asks for."""
    return "jt_" + _digest("timer", entry, step_id, seq, due_us)
