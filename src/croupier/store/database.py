"""Opening a database by URL: SQLite (embedded default) or PostgreSQL, migrated to head."""

from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import NullPool

DEFAULT_URL = "sqlite:///croupier.db"
_MIGRATIONS = Path(__file__).with_name("migrations")


def database_url(url: str | None = None) -> str:
    """The URL to use: explicit, else CROUPIER_DATABASE_URL, else the embedded SQLite file."""
    url = url or os.environ.get("CROUPIER_DATABASE_URL") or DEFAULT_URL
    # Bare postgresql:// URLs mean psycopg 3, the driver we ship.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@dataclass(frozen=True)
class Database:
    """`engine` for writes; `reader` for reads. On SQLite they are separate pools: writers
    take the write lock up front (BEGIN IMMEDIATE) so they queue instead of deadlocking, and
    readers use a deferred BEGIN, which in WAL mode never waits for the writer. On
    PostgreSQL both are the same engine."""

    url: str
    engine: Engine
    reader: Engine

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def dispose(self) -> None:
        self.engine.dispose()
        if self.reader is not self.engine:
            self.reader.dispose()


def open_database(url: str | None = None, *, migrate: bool = True) -> Database:
    """Connect and bring the schema to the latest migration."""
    url = database_url(url)
    if url.startswith("sqlite"):
        engine = _sqlite_engine(url, "BEGIN IMMEDIATE")
        reader = _sqlite_engine(url, "BEGIN")
    else:
        engine = reader = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    db = Database(url, engine, reader)
    if migrate:
        upgrade(db)
    return db


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DBAPI hook
    # WAL lets the back office read while the engine writes; synchronous=FULL makes every
    # commit durable (fsync), which is what "acknowledged" promises.
    dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN drive transactions
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


_WRITE_LOCKS: dict[str, threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()
WRITE_WAIT_SECONDS = 30.0


def _write_lock(url: str) -> threading.Lock:
    key = os.path.abspath(url.split("///", 1)[-1]) if "///" in url else url
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(key, threading.Lock())


class _WriterConnection(sqlite3.Connection):
    """A writer holds its database's in-process lock from BEGIN IMMEDIATE to COMMIT or
    ROLLBACK. Writers of one process (wallet postings, the engine, the back office) then
    queue on a lock that wakes the next one at once, instead of SQLite's busy handler, which
    polls with sleeps of up to 100 ms and turned every collision into a latency spike.
    Other processes still meet SQLite's own lock and busy timeout."""

    write_lock: threading.Lock
    _owner: int | None = None

    def begin_immediate(self) -> None:
        me = threading.get_ident()
        if self._owner != me:   # a nested writer in the same thread: SQLite decides, as before
            if not self.write_lock.acquire(timeout=WRITE_WAIT_SECONDS):
                raise sqlite3.OperationalError("database is locked (waited for this process's writer)")
            self._owner = me
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release()
            raise

    def _release(self) -> None:
        if self._owner is not None:
            self._owner = None
            self.write_lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()


def _sqlite_engine(url: str, begin: str) -> Engine:
    connect_args: dict = {"check_same_thread": False, "timeout": 30}
    if begin == "BEGIN IMMEDIATE":
        lock = _write_lock(url)
        connect_args["factory"] = type("WriterConnection", (_WriterConnection,), {"write_lock": lock})
        begin_tx = lambda conn: conn.connection.driver_connection.begin_immediate()  # noqa: E731
    else:
        begin_tx = lambda conn: conn.exec_driver_sql(begin)  # noqa: E731
    engine = create_engine(url, connect_args=connect_args)
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", begin_tx)
    return engine


def alembic_config(url: str):  # noqa: ANN201 - alembic type
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(db: Database) -> None:
    """Apply every pending migration (idempotent)."""
    from alembic import command

    cfg = alembic_config(db.url)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")  # parallel feature branches may each add a head


__all__ = ["DEFAULT_URL", "Database", "NullPool", "database_url", "open_database", "upgrade"]
