"""The ingest benchmark: simulated events through the whole pipeline, beside the ceiling
(raw JSON decode, raw durable SQLite append) measured on the same events in the same run."""

from __future__ import annotations

import gc
import os
import platform
import resource
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import msgspec


@dataclass
class IngestBench:
    events: int = 0
    batches: int = 0
    players: int = 0
    generate_seconds: float = 0.0
    decode_rate: float = 0.0
    append_rate: float = 0.0
    pipeline_seconds: float = 0.0
    pipeline_rate: float = 0.0
    latency_p50_ms: float = 0.0
    latency_p99_ms: float = 0.0
    decisions: int = 0
    rss_peak_mb: float = 0.0
    state_bytes_per_player: float = 0.0
    shadow: dict | None = None          # the results of the version run in shadow, when one was
    notes: list[str] = field(default_factory=list)
    # With the engagement layer switched on (--segments/--journeys): the same events through a
    # second pipeline with the live segments and published journeys, and what they did.
    engaged: IngestBench | None = None
    live_segments: int = 0
    live_journeys: int = 0
    segment_triggered: int = 0          # journeys triggered by entering a live segment
    segment_moves: int = 0              # segment entries and exits written to the log
    in_journeys: int = 0                # players in a journey at the end

    def cost(self) -> float | None:
        """The engagement layer's cost: the share of the plain pipeline's throughput it takes."""
        if self.engaged is None or not self.pipeline_rate:
            return None
        return 1 - self.engaged.pipeline_rate / self.pipeline_rate


def simulated_batches(target: int, batch: int, seed: int = 7,
                      progress: Callable[[int], None] | None = None) -> tuple[list[bytes], int]:
    """Encode ~`target` simulated events into JSON array bodies of `batch` events each."""
    from croupier.sim import SimConfig, Simulator

    players = max(100, target // 200)         # ~260 events per player over 20 days: overshoot, stop at target
    days = 20
    start = (datetime.now(timezone.utc) - timedelta(days=days)).replace(second=0, microsecond=0)
    sim = Simulator(SimConfig(seed=seed, players=players, days=days, start=start))
    encode = msgspec.json.encode
    bodies, chunk, n = [], [], 0
    until = datetime.now(timezone.utc)
    for event in sim.events_until(until):
        chunk.append(event)
        if len(chunk) == batch:
            bodies.append(encode(chunk))
            n += len(chunk)
            chunk = []
            if progress:
                progress(n)
            if n >= target:
                break
    if chunk and n < target:
        bodies.append(encode(chunk))
        n += len(chunk)
    return bodies, n


def decode_ceiling(bodies: list[bytes], events: int) -> float:
    decode = msgspec.json.decode
    t = time.perf_counter()
    for body in bodies:
        decode(body)
    return events / (time.perf_counter() - t)


def append_ceiling(bodies: list[bytes], events: int, directory: Path) -> float:
    """Durable append with primary-key dedupe, straight through sqlite3: the storage floor."""
    raw = msgspec.json.Decoder(list[msgspec.Raw])
    rows_per_batch = []
    for body in bodies:
        rows = []
        for item in raw.decode(body):
            event_id = msgspec.json.decode(item, type=dict[str, object]).get("event_id")  # type: ignore[arg-type]
            rows.append((event_id, bytes(item)))
        rows_per_batch.append(rows)
    path = directory / "ceiling.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE log (seq INTEGER PRIMARY KEY, event_id TEXT UNIQUE, payload BLOB)")
    t = time.perf_counter()
    for rows in rows_per_batch:
        conn.execute("BEGIN")
        conn.executemany("INSERT OR IGNORE INTO log (event_id, payload) VALUES (?, ?)", rows)
        conn.execute("COMMIT")
    rate = events / (time.perf_counter() - t)
    conn.close()
    return rate


def resident_state_bytes(states: list) -> float:
    """Python heap held by the player states themselves: rebuild each from its snapshot
    encoding under tracemalloc and divide by the number of players."""
    import tracemalloc

    from croupier.store.states import decode, encode

    blobs = [encode(s) for s in states]
    gc.collect()
    tracemalloc.start()
    copies = [decode(b) for b in blobs]
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del copies
    return size / max(1, len(states))


def start_shadow(runtime, patch: dict) -> str:  # noqa: ANN001 - an api.Runtime
    """Propose `patch` (a JSON merge patch against the configuration in force) and run it in
    shadow on the live stream, as an officer would before approving it."""
    from croupier.compliance import config_store

    now_us = time.time_ns() // 1000
    with runtime.db.engine.begin() as conn:
        version = config_store.propose(conn, actor="bench", in_force=runtime.config, now_us=now_us,
                                       patch=patch, comment="croupier bench ingest --shadow").version_id
        config_store.start_shadow(conn, version, actor="bench", in_force=runtime.config, now_us=now_us)
    runtime.engine.load_shadows()
    return version


def run_pipeline(bodies: list[bytes], events: int, directory: Path, result: IngestBench,
                 progress: Callable[[int], None] | None = None, shadow: dict | None = None,
                 segments: int = 0, journeys: int = 0) -> None:
    from croupier.api import Runtime

    runtime = Runtime(f"sqlite:///{directory / 'bench.db'}")
    version = start_shadow(runtime, shadow) if shadow is not None else None
    if segments or journeys:
        from croupier.bench.engagement import switch_on

        switched = switch_on(runtime, segments, journeys)
        result.live_segments, result.live_journeys = len(runtime.engine.live), len(runtime.engine.journeys)
        result.segment_triggered = switched.segment_triggered
        if (result.live_segments, result.live_journeys) != (segments, journeys):
            result.notes.append(f"the engine follows {result.live_segments} live segments and "
                                f"{result.live_journeys} journeys, not {segments} and {journeys}")
    latencies: list[tuple[float, int]] = []
    gc.collect()
    done = 0
    t0 = time.perf_counter()
    for body in bodies:
        started = time.perf_counter()
        outcome = runtime.ingest(body)
        latencies.append((time.perf_counter() - started, outcome.accepted))
        done += outcome.accepted + len(outcome.duplicates) + len(outcome.rejected)
        if outcome.rejected:
            result.notes.append(f"{len(outcome.rejected)} rejected, first: {outcome.rejected[0].as_dict()}")
        if progress:
            progress(done)
    runtime.engine.flush()
    result.pipeline_seconds = time.perf_counter() - t0
    result.pipeline_rate = events / result.pipeline_seconds
    result.rss_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result.players = len(runtime.engine.states)
    result.state_bytes_per_player = resident_state_bytes(list(runtime.engine.states.values()))
    # Every event of a batch waits for the whole batch: its latency is the batch's time.
    per_event = sorted(lat for lat, n in latencies for _ in range(n))
    result.latency_p50_ms = statistics.median(per_event) * 1000
    result.latency_p99_ms = per_event[int(len(per_event) * 0.99) - 1] * 1000
    from sqlalchemy import func, select

    from croupier.store.schema import audit_log

    with runtime.db.reader.connect() as conn:
        result.decisions = conn.execute(select(func.count()).select_from(audit_log).where(
            audit_log.c.kind == "gate.decision")).scalar_one()
        if segments or journeys:
            from croupier.store.schema import events as events_table

            result.segment_moves = conn.execute(select(func.count()).select_from(events_table).where(
                events_table.c.type.in_(["croupier.segment_entered", "croupier.segment_left"]))).scalar_one()
            result.in_journeys = sum(1 for s in runtime.engine.states.values() if s.journeys)
        if version is not None:
            from croupier.store import shadows

            found = shadows.results(conn, version, limit=0) or {}
            result.shadow = {k: found.get(k) for k in ("version", "events", "players_folded", "counts")}
    runtime.close()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def bench_ingest(target: int, batch: int, progress: Callable[[str, int], None] | None = None,
                 workdir: Path | None = None, shadow: dict | None = None, segments: int = 0,
                 journeys: int = 0) -> IngestBench:
    """The pipeline on simulated events beside the ceilings; with `segments` live segments or
    `journeys` published journeys, the same events through a second pipeline (its own
    database) with them switched on, reported in `engaged` beside the plain run."""
    result = IngestBench()
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        directory = Path(tmp)
        t = time.perf_counter()
        bodies, n = simulated_batches(target, batch, progress=(lambda k: progress("generate", k)) if progress else None)
        result.generate_seconds = time.perf_counter() - t
        result.events, result.batches = n, len(bodies)
        result.decode_rate = decode_ceiling(bodies, n)
        result.append_rate = append_ceiling(bodies, n, directory)
        run_pipeline(bodies, n, directory, result, (lambda k: progress("pipeline", k)) if progress else None,
                     shadow)
        if segments or journeys:
            engaged = result.engaged = IngestBench(events=n, batches=len(bodies))
            (directory / "engaged").mkdir()
            run_pipeline(bodies, n, directory / "engaged", engaged,
                         (lambda k: progress("engaged", k)) if progress else None, shadow, segments, journeys)
    return result
