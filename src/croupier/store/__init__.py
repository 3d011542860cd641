"""Database access: SQLite (embedded default) and PostgreSQL, migrations, tables."""

from croupier.store import schema
from croupier.store.database import DEFAULT_URL, Database, database_url, open_database, upgrade

__all__ = ["DEFAULT_URL", "Database", "database_url", "open_database", "schema", "upgrade"]
