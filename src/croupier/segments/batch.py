"""Batch membership: a columnar copy of every player's values in DuckDB (in process, no
extension), and counts, samples and member lists from it in SQL.

The copy holds one row per player: the catalogue's features as `players.compute_features`
gives them and `segments.protection_values`, both as of the moment the copy is built, one
column per identifier (named as the identifier), plus `left_out`: the first reason the
compliance gate would suppress a promotional message to the player with, or NULL. Building
it is a Python pass over the player states; evaluating a definition is one SQL statement
(`segments.sql.where`), whose meaning is `segments.matches`'s exactly.

A promotional segment leaves out the players with a `left_out` reason (answers say how many
and why); a service or safer-play segment does not. `Batch` keeps a copy and rebuilds it
when it is older than `max_age_seconds` (in the background, answering from the last copy
meanwhile), or on demand."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb
import numpy as np

from croupier.compliance.actions import Proposal
from croupier.compliance.gate import decide
from croupier.compliance.rules import rules_for
from croupier.players import EngineConfig, PlayerState, compute_features
from croupier.segments.definition import Node
from croupier.segments.protection import protection_values
from croupier.segments.sql import BIGINT, BOOLEAN, DECIMAL, DECIMAL_TYPE, DOUBLE, VARCHAR, quote, where
from croupier.segments.vocabulary import NUMERIC, Vocabulary, default_vocabulary

PLAYER, LEFT_OUT = "player_id", "left_out"
TABLE = "player_values"
DEFAULT_MAX_AGE_SECONDS = 5.0
# Reasons that belong to a moment or a channel, not to the player: the gate applies them
# when a message is sent, and they do not take anyone out of a segment.
_MOMENTARY = ("no_channel", "no_consent:", "quiet_hours:", "message_cap:", "stale_data:")
_SQL_TYPES = {BIGINT: "BIGINT", DOUBLE: "DOUBLE", DECIMAL: DECIMAL_TYPE, VARCHAR: "VARCHAR", BOOLEAN: "BOOLEAN"}


def player_values(state: PlayerState, at_us: int, config: EngineConfig) -> dict[str, Any]:
    """What a segment reads for one player at `at_us`: the catalogue and the protection values."""
    return {**compute_features(state, at_us, config.features), **protection_values(state, at_us)}


def promotion_hold(state: PlayerState, config: EngineConfig, at_us: int) -> str | None:
    """The first reason the gate would suppress a promotional message to this player at
    `at_us` for (exclusion, RG risk, promotions paused, a limit nearly used, the market's
    marketing ban, AML, the national register, age...), or `no_consent` when the market
    needs consent and the player gave it on no channel; None when it would not be held.
    Quiet hours, the daily cap and the channel are the send's business, not the segment's."""
    proposal = Proposal(kind="message", name="segment", player_id=state.player_id, cause_event_id="segment",
                        purpose="promotional", channel=None)
    decision = decide(proposal, state, config, at_us)
    for reason in decision.reasons:
        if reason != "all_checks_passed" and not reason.startswith(_MOMENTARY):
            return reason
    rules = rules_for(state.profile.get("jurisdiction"), getattr(config, "jurisdictions", None) or None)
    if rules.marketing.consent_required and not any(state.consents.values()):
        return "no_consent"
    return None


def column_type(kind: str, seen: set[type]) -> str:
    """A column's type from its identifier's kind and the Python types of its values: floats
    make a DOUBLE (compared as the evaluator compares floats), decimal strings and Decimals a
    DECIMAL, integers alone a BIGINT."""
    if kind in ("string", "level", "timestamp"):
        return VARCHAR
    if kind == "boolean":
        return BOOLEAN
    if kind not in NUMERIC:
        return VARCHAR
    if float in seen:
        return DOUBLE
    if seen & {str, Decimal} or (not seen and kind == "money"):
        return DECIMAL
    if not seen and kind in ("ratio", "number"):
        return DOUBLE
    return BIGINT


def _cell(value: Any, kind: str) -> str | None:
    """A value as the text DuckDB casts into the column (exact for numbers; a value that is
    not of the column's kind, such as a money string that is not a number, becomes NULL)."""
    if value is None:
        return None
    t = type(value)
    if t is str:
        return value if kind != BOOLEAN else None      # TRY_CAST makes a non-number NULL
    if t is bool:
        return ("true" if value else "false") if kind == BOOLEAN else None
    if kind == BOOLEAN:
        return None
    if t is int:
        return str(value)
    if t is float:
        return repr(value) if kind == DOUBLE else (format(Decimal(repr(value)), "f") if value == value else None)
    if t is Decimal:
        return None if not value.is_finite() else (repr(float(value)) if kind == DOUBLE else format(value, "f"))
    return str(value)


@dataclass
class Copy:
    """One columnar copy: the DuckDB connection holding it, each identifier's column type,
    the moment its values are as of, and when it was built (monotonic seconds)."""

    connection: duckdb.DuckDBPyConnection
    columns: dict[str, str]
    at_us: int
    built: float
    players: int
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def query(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        with self._lock:
            return self.connection.execute(sql, params).fetchall()

    def close(self) -> None:
        self.connection.close()


def build(rows: Iterable[tuple[str, Mapping[str, Any], str | None]], at_us: int,
          vocabulary: Vocabulary | None = None) -> Copy:
    """A copy from (player_id, values, left_out reason) rows: every identifier of the
    vocabulary that some player has a value for gets a column, missing values are NULL."""
    vocab = default_vocabulary() if vocabulary is None else vocabulary
    names = list(vocab)
    if PLAYER in vocab or LEFT_OUT in vocab:
        raise ValueError(f"an identifier is named {PLAYER!r} or {LEFT_OUT!r}, as the copy's own columns are")
    raw: dict[str, list[Any]] = {n: [] for n in names}
    ids: list[str] = []
    holds: list[str | None] = []
    columns_in_order = [raw[n] for n in names]
    for player_id, values, hold in rows:
        ids.append(player_id)
        holds.append(hold)
        get = values.get
        for n, column in zip(names, columns_in_order):
            column.append(get(n))
    # an identifier no player has a value for gets no column: the SQL reads it as missing,
    # which is what a column of NULLs would say, without holding one
    names = [n for n in names if any(v is not None for v in raw[n])] if ids else names
    columns = {n: column_type(vocab[n].kind, {type(v) for v in raw[n] if v is not None}) for n in names}
    arrays: dict[str, np.ndarray] = {"c0": np.array(ids, dtype=object), "c1": np.array(holds, dtype=object)}
    selects = [f"CAST(c0 AS VARCHAR) AS {quote(PLAYER)}", f"CAST(c1 AS VARCHAR) AS {quote(LEFT_OUT)}"]
    for i, n in enumerate(names, start=2):
        kind = columns[n]
        arrays[f"c{i}"] = np.array([None if v is None else _cell(v, kind) for v in raw[n]], dtype=object)
        selects.append(f"TRY_CAST(c{i} AS {_SQL_TYPES[kind]}) AS {quote(n)}")
    connection = duckdb.connect(":memory:")
    if ids:
        connection.register("incoming", arrays)
        connection.execute(f"CREATE TABLE {TABLE} AS SELECT {', '.join(selects)} FROM incoming ORDER BY c0")
        connection.unregister("incoming")
    else:
        typed = [f"{quote(PLAYER)} VARCHAR", f"{quote(LEFT_OUT)} VARCHAR"]
        typed += [f"{quote(n)} {_SQL_TYPES[columns[n]]}" for n in names]
        connection.execute(f"CREATE TABLE {TABLE} ({', '.join(typed)})")
    return Copy(connection, columns, at_us, time.monotonic(), len(ids))


def build_from_states(states: Iterable[PlayerState], at_us: int, config: EngineConfig,
                      vocabulary: Vocabulary | None = None) -> Copy:
    """A copy from player states as of `at_us` (a Python pass; the evaluation is SQL)."""
    return build(((s.player_id, player_values(s, at_us, config), promotion_hold(s, config, at_us)) for s in states),
                 at_us, vocabulary)


@dataclass(frozen=True)
class Answer:
    """A count, a sample (player ids, in id order), and who a promotional segment left out."""

    count: int
    sample: list[str]
    left_out: dict[str, int]                    # reason -> players it took out
    at_us: int

    @property
    def left_out_total(self) -> int:
        return sum(self.left_out.values())


def _condition(copy: Copy, node: Node, vocabulary: Vocabulary | None) -> tuple[str, list[Any]]:
    return where(node, copy.columns, vocabulary)


def count(copy: Copy, node: Node, *, promotional: bool, sample: int = 0,
          vocabulary: Vocabulary | None = None) -> Answer:
    """How many players match (a promotional segment: of those the gate would not hold back),
    the first `sample` of them by id, and the left-out counts by reason."""
    cond, params = _condition(copy, node, vocabulary)
    keep = f" AND {quote(LEFT_OUT)} IS NULL" if promotional else ""
    [(total,)] = copy.query(f"SELECT count(*) FROM {TABLE} WHERE {cond}{keep}", params)
    ids: list[str] = []
    if sample > 0:
        ids = [r[0] for r in copy.query(f"SELECT {quote(PLAYER)} FROM {TABLE} WHERE {cond}{keep} "
                                        f"ORDER BY {quote(PLAYER)} LIMIT {int(sample)}", params)]
    left: dict[str, int] = {}
    if promotional:
        for reason, n in copy.query(f"SELECT {quote(LEFT_OUT)}, count(*) FROM {TABLE} WHERE {cond} "
                                    f"AND {quote(LEFT_OUT)} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1", params):
            left[reason] = n
    return Answer(int(total), ids, left, copy.at_us)


def members(copy: Copy, node: Node, *, promotional: bool, after: str | None = None, limit: int = 100,
            vocabulary: Vocabulary | None = None) -> list[str]:
    """Up to `limit` members after player id `after` (a cursor), in id order."""
    cond, params = _condition(copy, node, vocabulary)
    keep = f" AND {quote(LEFT_OUT)} IS NULL" if promotional else ""
    start = ""
    if after is not None:
        start = f" AND {quote(PLAYER)} > CAST(? AS VARCHAR)"
        params = [*params, after]
    return [r[0] for r in copy.query(f"SELECT {quote(PLAYER)} FROM {TABLE} WHERE {cond}{keep}{start} "
                                     f"ORDER BY {quote(PLAYER)} LIMIT {int(limit)}", params)]


def all_members(copy: Copy, node: Node, *, promotional: bool, chunk: int = 10_000,
                vocabulary: Vocabulary | None = None) -> Iterator[str]:
    """Every member in id order, a chunk at a time (for exports)."""
    after: str | None = None
    while True:
        page = members(copy, node, promotional=promotional, after=after, limit=chunk, vocabulary=vocabulary)
        yield from page
        if len(page) < chunk:
            return
        after = page[-1]


class Batch:
    """The copy a process answers from, built from `load()` (player states and the
    configuration in force). A copy older than `max_age_seconds` is rebuilt in the
    background while answers keep coming from it (each says its `at_us`); the first copy,
    and one asked for with `refresh`, is built before answering."""

    def __init__(self, load: Callable[[], tuple[Iterable[PlayerState], EngineConfig]],
                 max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS,
                 clock_us: Callable[[], int] = lambda: time.time_ns() // 1000) -> None:
        self._load, self.max_age_seconds, self._clock_us = load, max_age_seconds, clock_us
        self._copy: Copy | None = None
        self._building = threading.Lock()
        self._background: threading.Thread | None = None

    def _fresh(self, copy: Copy | None) -> bool:
        return copy is not None and time.monotonic() - copy.built < self.max_age_seconds

    def _build(self) -> Copy:
        with self._building:              # one build at a time; a caller waiting for one shares it
            states, config = self._load()
            fresh = build_from_states(states, self._clock_us(), config)
            self._copy = fresh
        return fresh

    def copy(self, refresh: bool = False) -> Copy:
        current = self._copy
        if refresh or current is None:
            if not refresh:
                with self._building:
                    if self._copy is not None:
                        return self._copy
            return self._build()
        if not self._fresh(current) and (self._background is None or not self._background.is_alive()):
            self._background = threading.Thread(target=self._rebuild_quietly, name="croupier-segment-copy",
                                                daemon=True)
            self._background.start()
        return current

    def _rebuild_quietly(self) -> None:
        try:
            self._build()
        except Exception:  # the next request tries again; answers keep coming from the last copy
            logging.getLogger("croupier").exception("rebuilding the segments' batch copy failed")

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a background rebuild in flight (tests, shutdown)."""
        if self._background is not None:
            self._background.join(timeout)

    def close(self) -> None:
        self.wait(timeout=30)
        if self._copy is not None:
            self._copy.close()
            self._copy = None
