"""One running Croupier: database, engine, config, and the loop that keeps the engine
caught up with events other processes append (e.g. `croupier ingest` into the same DB)."""

from __future__ import annotations

import gc
import logging
import threading
import time

from croupier.api.backfill import Backfill
from croupier.engine import Engine
from croupier.engine.runner import describe
from croupier.ingest import IngestResult, ingest_body
from croupier.players import EngineConfig
from croupier.store import Database, open_database
from croupier.store.accounts import ApiKey, find_key

log = logging.getLogger("croupier")
KEY_CACHE_SECONDS = 2.0
HEALTH_READ_SECONDS = 1.0   # how stale the log head and quarantine figures in GET /v1/health may be
CONFIG_CHECK_SECONDS = 2.0  # how soon an approval made by another process takes effect here
SNAPSHOT_SECONDS = 0.2      # a server's snapshot interval (the engine's default is 1 s)


_settled: set[str] = set()


def settle_heap(moment: str) -> None:
    """Collect once, then move every object alive (the app, routes, loaded player states) out
    of the cyclic collector's sight (`gc.freeze`). A server keeps these for its lifetime, and
    each full collection walked all of them: a pause of 100 ms and more in the middle of
    wallet requests. Refcounting still frees them; only cycles among them would outlive this.
    Once per `moment` ("started", "caught up") per process: a process that starts many
    runtimes (tests, embedders) pays for it once."""
    if moment in _settled:
        return
    _settled.add(moment)
    gc.collect()
    gc.freeze()


class Runtime:
    """`config` is what the API answers with and the wallet enforces: the approved version
    as soon as it is approved. The engine follows the log instead (`Engine.config`): it
    switches when it reaches the approval's `croupier.config_activated` fact."""

    def __init__(self, db_url: str | None = None, config: EngineConfig | None = None):
        self.db: Database = open_database(db_url)
        self.config = config or EngineConfig()
        self.engine = Engine(self.db, self.config)
        self.started_at = time.time()
        self._keys: dict[str, tuple[float, ApiKey | None]] = {}
        self._stop = threading.Event()
        self._loop: threading.Thread | None = None
        self.start_config = self.config  # what we were started with (file or defaults)
        self._config_checked = 0.0
        self._log_figures: tuple[float, tuple] = (0.0, (None, None, None))
        self.backfill = Backfill()  # the demo's replay of simulated history, shown on the dashboard
        self.refresh_config()

    def ingest(self, body: bytes, relayed_by: str | None = None) -> IngestResult:
        """Store a batch durably, then run it through the engine before answering. The
        configuration in force says which brands take money as events (`money_of_record`);
        `processed` is true only when this engine has processed the batch and is advancing
        (not stalled). `relayed_by`: the scopes of a key that may relay a player's own requests
        only (its operator- and regulator-set limit changes are rejected)."""
        result = ingest_body(self.db, body, config=self.config, relayed_by=relayed_by)
        if result.stored:
            try:
                self.engine.submit(result.stored)
            except Exception:  # stored is acknowledged: the engine retries from the log
                log.exception("engine failed on a stored batch; it will be processed on retry")
                result.processed = False
            else:
                result.processed = self.engine.processed_through(result.stored[-1][0])
        return result

    def fresh(self):  # noqa: ANN201 - a SQLAlchemy connection context
        """A connection for reads that must see every event this process has processed
        (search rows and totals are snapshotted at most every second otherwise). Should the
        snapshot fail, the reads answer from the last one saved: GET /v1/health names the
        failure, and a search or the dashboard stays available meanwhile."""
        try:
            self.engine.flush()
        except Exception:
            log.exception("snapshot before a read failed; answering from the last saved one")
        return self.db.reader.connect()

    def health(self) -> dict:
        """The engine's part of GET /v1/health: is it advancing, how far behind the log, why
        not, and what it quarantined. `failures_total` and `quarantined_total` only grow."""
        from croupier.store import eventlog, quarantine

        engine = self.engine
        stall = engine.stall.as_dict() if engine.stall is not None else None
        now = time.monotonic()
        try:
            if now - self._log_figures[0] >= HEALTH_READ_SECONDS:   # polled often: read at most once a second
                with self.db.reader.connect() as conn:
                    figures = eventlog.max_seq(conn), quarantine.count(conn), quarantine.latest(conn)
                self._log_figures = (now, figures)
            head, quarantined, latest = self._log_figures[1]
        except Exception as exc:  # the database is away: say so rather than fail the health check
            self._log_figures = (0.0, (None, None, None))
            head, quarantined, latest = None, None, None
            stall = stall or {"stage": "database", "cause": describe(exc), "at_seq": engine.snapshot_cursor,
                              "since": None, "failures": None}
        return {"leader": engine.leader, "cursor": engine.cursor, "saved_cursor": engine.snapshot_cursor,
                "log_head": head, "advancing": stall is None, "stalled": stall,
                "failures_total": engine.failures_total, "quarantined_total": quarantined,
                "last_quarantined": latest}

    def api_key(self, key_id: str) -> ApiKey | None:
        """Keys are cached briefly so the ingest hot path does not hit the database per call;
        a revocation in another process takes effect within KEY_CACHE_SECONDS, one made
        through this process (`forget_key`) at once."""
        now = time.monotonic()
        cached = self._keys.get(key_id)
        if cached is not None and now - cached[0] < KEY_CACHE_SECONDS:
            return cached[1]
        with self.db.reader.connect() as conn:
            key = find_key(conn, key_id)
        self._keys[key_id] = (now, key)
        return key

    def forget_key(self, key_id: str) -> None:
        self._keys.pop(key_id, None)

    def start(self, poll_seconds: float = 0.1) -> None:
        """Run the engine loop: it reads what other processes append, ticks protection's
        timers and writes the snapshots, every SNAPSHOT_SECONDS in a server. Small, frequent
        snapshots hold the wallet's group commit up for a few milliseconds where one a second
        held it for tens (BENCHMARKS.md); a player touched once in a second is written once
        either way."""
        if self._loop is None:
            settle_heap("started")
            self.engine.background_flush = True   # the loop snapshots; requests never wait for it
            self.engine.snapshot_seconds = SNAPSHOT_SECONDS
            self._loop = threading.Thread(target=self._run, args=(poll_seconds,),
                                          name="croupier-engine", daemon=True)
            self._loop.start()

    def _run(self, poll_seconds: float) -> None:
        caught_up = False
        while not self._stop.wait(poll_seconds):
            try:
                if time.monotonic() - self._config_checked >= CONFIG_CHECK_SECONDS:
                    self.refresh_config()
                    self.engine.load_shadows()  # shadows started or stopped by another process
                report = self.engine.process_pending()
                if not caught_up and report.events < self.engine.batch_size:
                    caught_up = True   # the backlog's player states are loaded: settle them too
                    settle_heap("caught up")
                self.engine.flush_if_due()
            except Exception:  # keep serving; the next tick retries from the durable cursor
                log.exception("engine tick failed")

    # -- configuration versions (compliance/config_store) --------------------------------
    def refresh_config(self) -> None:
        """Use the approved configuration version stored in the database, if there is one
        and it is not the one in use (approved here, or by another process sharing the
        database). Without any approved version the start configuration stays in force."""
        from croupier.compliance.config_store import active_version, active_version_id

        self._config_checked = time.monotonic()
        with self.db.reader.connect() as conn:
            active_id = active_version_id(conn)
            if active_id is None or active_id == self.config.version:
                return
            version = active_version(conn)
        if version is not None:
            self.use_config(version.config())

    def use_config(self, config: EngineConfig) -> None:
        """Answer and enforce with `config` from now on (the API, the wallet). The engine
        switches at the version's activation fact in the log, which it processes next."""
        if config.version != self.config.version:
            log.info("configuration %s in force", config.version)
        self.config = config

    def close(self) -> None:
        self._stop.set()
        if self._loop is not None:
            self._loop.join(timeout=10)
        screener = getattr(self.engine, "register_screener", None)
        if screener is not None:   # a look-up in flight records its answer (or stays pending)
            screener.wait(timeout=5)
        self.engine.close()
        self.db.dispose()
