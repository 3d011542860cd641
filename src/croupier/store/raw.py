"""Hot statements compiled once per dialect and run straight on the DBAPI cursor.

SQLAlchemy's execution layer (cache key, compiled-parameter processing, result proxy,
events) costs 20–40 µs per statement; sqlite3 runs a primary-key read or insert in a few.
The wallet's posting runs about a dozen statements per request, so on its path statements
are built with SQLAlchemy (one schema, both dialects), compiled to the dialect's SQL text
once, and executed on the connection's own DBAPI cursor, inside the same transaction and
savepoints as everything else on that `Connection`.

Only statements without Python-side defaults or type processing belong here: parameters go
to the driver as given and rows come back as plain tuples (named, for readability)."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql import ClauseElement


class _Compiled:
    __slots__ = ("sql", "names", "row")

    def __init__(self, sql: str, names: tuple[str, ...] | None, row: type | None):
        self.sql, self.names, self.row = sql, names, row


def _row_class(columns: list[str]) -> type:
    """Named tuples that also answer `row._mapping[...]`, like SQLAlchemy's rows."""
    base = namedtuple("Row", columns, rename=True)  # type: ignore[misc]
    return type("Row", (base,), {"__slots__": (), "_mapping": property(lambda self: self._asdict())})


class RawStatement:
    """`stmt` compiled per dialect on first use; a callable builds it per dialect name (for
    dialect-specific constructs such as ON CONFLICT). `names` of a positional dialect
    (SQLite's qmark) give the order parameters are passed in; a named one (psycopg) takes
    the dict."""

    def __init__(self, stmt: ClauseElement | Callable[[str], ClauseElement]):
        self.stmt = stmt
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, conn: Connection) -> _Compiled:
        dialect = conn.dialect
        found = self._by_dialect.get(dialect.name)
        if found is None:
            stmt = self.stmt if isinstance(self.stmt, ClauseElement) else self.stmt(dialect.name)
            compiled = stmt.compile(dialect=dialect)
            names = tuple(compiled.positiontup) if compiled.positional else None
            columns = [c[0] for c in getattr(compiled, "_result_columns", ())]
            row = _row_class(columns) if columns else None
            found = self._by_dialect[dialect.name] = _Compiled(compiled.string, names, row)
        return found

    @staticmethod
    def _bind(c: _Compiled, params: Mapping[str, Any]) -> Any:
        return tuple(params[n] for n in c.names) if c.names is not None else params

    def execute(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """Run once; returns the DBAPI cursor (rowcount, fetch*)."""
        c = self._compiled(conn)
        cursor = conn.connection.driver_connection.cursor()
        cursor.execute(c.sql, self._bind(c, params))
        return cursor

    def executemany(self, conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
        c = self._compiled(conn)
        cursor = conn.connection.driver_connection.cursor()
        cursor.executemany(c.sql, [self._bind(c, r) for r in rows])
        cursor.close()

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[Any]:
        c = self._compiled(conn)
        cursor = self.execute(conn, params)
        rows = cursor.fetchall()
        cursor.close()
        return [c.row._make(r) for r in rows] if c.row is not None else rows

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        c = self._compiled(conn)
        cursor = self.execute(conn, params)
        row = cursor.fetchone()
        cursor.close()
        return None if row is None or c.row is None else c.row._make(row)

