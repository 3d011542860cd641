"""Opening a database by URL: SQLite (embedded default) or PostgreSQL, migrated to head."""

from __future__ import annotations

import os
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


def _sqlite_engine(url: str, begin: str) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", lambda conn: conn.exec_driver_sql(begin))
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
