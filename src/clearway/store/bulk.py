"""Bulk writes through the driver's executemany, bypassing SQLAlchemy's per-row parameter work.

On the hot paths (a 10,000-record chunk writes ~50,000 rows) SQLAlchemy Core spends more time
building parameters than SQLite spends writing. Here rows are plain tuples, adapted once to what
each driver stores: SQLite keeps money as decimal strings and UTC times as naive ISO text in
SQLAlchemy's own format (so Core reads them back unchanged); PostgreSQL takes Decimal and aware
datetimes as they are.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

_log = logging.getLogger(__name__)

# Rows a process COPYs into a table, in one batch or many, before it looks at the table's statistics.
ANALYZE_AFTER = 5000
# Per (database, table): rows this process added since it last refreshed the statistics, and how
# many it must add before it looks again (a tenth of the table, as autovacuum would).
_PENDING: dict[tuple[str, str], int] = {}
_LOOK_AGAIN_AT: dict[tuple[str, str], int] = {}
# The tables a connection's transaction marked for ANALYZE (in its DBAPI connection's info, so a
# mark left by a transaction that failed is taken by the next batch on that connection).
_ANALYZE_KEY = "clearway.analyze_due"


def take_due(conn: sa.Connection) -> set[str]:
    """The tables this connection's writes marked for ANALYZE, unmarked."""
    due: set[str] = conn.info.pop(_ANALYZE_KEY, set())
    return due


def analyze_due(engine: sa.Engine, tables: set[str]) -> None:
    """ANALYZE the tables, each in a transaction of its own, outside any batch's; a table another
    session is analyzing (or locking for partition upkeep) is skipped, not waited for. It runs after
    a batch has committed, so a failure here is logged, never raised: the batch's callers must not
    take a stored batch for a failed one (and run it again)."""
    if not tables:
        return
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for name in sorted(tables):
                conn.exec_driver_sql(f"ANALYZE (SKIP_LOCKED) {name}")
    except sa.exc.SQLAlchemyError as exc:
        _log.warning("could not refresh the statistics of %s: %s", ", ".join(sorted(tables)), exc)


# SQLite times are stored in SQLAlchemy's DATETIME format, "YYYY-MM-DD HH:MM:SS.ffffff" in UTC,
# so string order equals time order.


class BulkWriter:
    def __init__(self, connection: sa.Connection) -> None:
        self.conn = connection
        self.sqlite = connection.dialect.name == "sqlite"
        self.mark = "?" if self.sqlite else "%s"
        self._last_time: dt.datetime | None = None
        self._last_text = ""

    def among(self, column: str, values: Sequence[str]) -> tuple[str, tuple[Any, ...]]:
        """A condition that ``column`` is one of ``values``, and its parameters.

        PostgreSQL takes one array parameter (``= ANY``): a 2,000-placeholder IN list costs more to
        convert and plan than to run. SQLite has no arrays, and a plain IN list is cheap there.
        """
        if self.sqlite:
            return f"{column} IN ({', '.join([self.mark] * len(values))})", tuple(values)
        return f"{column} = ANY({self.mark})", (list(values),)

    def read_optional_time(self, value: Any) -> dt.datetime | None:
        return None if value is None else self.read_time(value)

    def read_time(self, value: Any) -> dt.datetime:
        """A stored time as an aware UTC datetime (SQLite hands back the text written by time())."""
        if isinstance(value, str):
            return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
        result: dt.datetime = value.astimezone(dt.UTC)
        return result

    def money(self, value: Decimal | None) -> Any:
        if value is None or not self.sqlite:
            return value
        return str(value)

    def time(self, value: dt.datetime | None) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC time")
        if not self.sqlite:
            return value
        # A batch stamps most rows with the same time: remember the last conversion.
        if value is self._last_time:
            return self._last_text
        utc = value if value.tzinfo is dt.UTC else value.astimezone(dt.UTC)
        # SQLAlchemy's format; isoformat is several times faster than strftime, and slicing off
        # the "+00:00" is cheaper than replace(tzinfo=None).
        text = utc.isoformat(" ", "microseconds")[:26]
        self._last_time, self._last_text = value, text
        return text

    def insert(self, table: sa.Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if not self.sqlite:
            self._copy(table, columns, rows)
            return
        marks = ", ".join([self.mark] * len(columns))
        self.conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", list(rows))

    def _copy(self, table: sa.Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        """PostgreSQL's COPY: one stream per batch instead of a statement per row."""
        raw = self.conn.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
        self._added(table, len(rows))

    def _added(self, table: sa.Table, count: int) -> None:
        """Mark a table for ANALYZE once this process has grown it by a tenth, in one load or in many
        batches; ``analyze_due`` runs it after the batch commits.

        A bulk load outruns autovacuum (and a server may run without it): with statistics from when
        the table was empty, the planner scans the whole table for the numbers a batch looks up
        instead of probing the index (a Kafka worker's 500-record batches slowed down as the table
        grew, each lookup reading every row). The table's size is asked at most once every
        ``ANALYZE_AFTER`` rows, and then once every tenth of it. The counts are approximate on
        purpose (a batch rolled back or run again counts twice; threads may lose an update): they
        only decide when to look again.
        """
        key = (str(self.conn.engine.url), table.name)
        pending = _PENDING.get(key, 0) + count
        if pending < _LOOK_AGAIN_AT.get(key, ANALYZE_AFTER):
            _PENDING[key] = pending
            return
        found = self.conn.exec_driver_sql(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", (table.name,)
        ).scalar_one_or_none()
        estimate = max(float(found), 0.0) if found is not None else 0.0
        if 10 * pending >= estimate:
            # Not in this transaction: ANALYZE holds a lock on the table (and on every partition)
            # to the commit, which would make another worker's ANALYZE, and partition upkeep, wait
            # on this batch's row locks.
            self.conn.info.setdefault(_ANALYZE_KEY, set()).add(table.name)
            estimate, pending = estimate + pending, 0
        _PENDING[key] = pending
        _LOOK_AGAIN_AT[key] = max(ANALYZE_AFTER, int(estimate) // 10)

    def update(self, table: sa.Table, columns: Sequence[str], key: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """UPDATE each row's ``columns`` where ``key`` matches; the key is the last value of a row."""
        if not rows:
            return
        sets = ", ".join(f"{c} = {self.mark}" for c in columns)
        self.conn.exec_driver_sql(f"UPDATE {table.name} SET {sets} WHERE {key} = {self.mark}", list(rows))
