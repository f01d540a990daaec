"""Monthly partitions of consignments and of every table keyed by a consignment id (PostgreSQL).

Consignment ids are time-ordered (clearance.model.new_id: 12 hex digits of Unix milliseconds, then
random), so a range of ids IS a range of receipt times: the partition of a month holds the ids from
the month's first millisecond to the next month's, as 12-digit hex prefixes. Partitioning by the id
keeps the primary key (id) and every foreign key to it as they are, and a lookup by id touches one
partition. The tables that reference ``consignments.id`` are partitioned the same way, by their
``consignment_id``, with the same bounds, so a month of every table can be dropped at once
(docs/adr/0008-date-partitions.md).

A DEFAULT partition of each table takes what no month holds (an id of a month not created yet,
an id not made by new_id), so that no insert ever fails for want of a partition; creating the
month later moves those rows into it in the same transaction.

The family is read from the catalogue (the tables with a foreign key on ``consignments.id``), so a
table a later migration adds is covered: if it is not partitioned, a purge deletes its rows of the
month instead of dropping a partition. SQLite keeps plain tables: nothing here applies to it.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt

import sqlalchemy as sa

PARENT = "consignments"
# Statements that create or drop partitions lock the parent tables; an insert running meanwhile
# waits for them and they for it. A sweep gives up after this long instead of stalling the intake,
# and tries again at its next pass.
LOCK_TIMEOUT = "5s"


@dataclasses.dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, moment: dt.datetime | dt.date) -> Month:
        return cls(moment.year, moment.month)

    @classmethod
    def parse(cls, text: str) -> Month:
        """'2026-12' -> Month(2026, 12); anything else is refused."""
        try:
            year, month = (int(part) for part in text.split("-"))
            if not (1970 <= year <= 9999 and 1 <= month <= 12) or len(text) != 7:
                raise ValueError
        except ValueError:
            raise ValueError(f"a month is written YYYY-MM, got {text!r}") from None
        return cls(year, month)

    def plus(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime(self.year, self.month, 1, tzinfo=dt.UTC)

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def low(self) -> str:
        """The smallest id of the month: its first millisecond as new_id writes it (a prefix sorts first)."""
        return id_bound(self.start)

    @property
    def high(self) -> str:
        """The first id after the month (exclusive bound)."""
        return self.plus(1).low

    def suffix(self) -> str:
        return f"p{self.year:04d}{self.month:02d}"

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def id_bound(moment: dt.datetime) -> str:
    return f"{int(moment.timestamp() * 1000):012x}"


def month_of_id(consignment_id: str) -> Month | None:
    """The month new_id made this id in; None for an id that is not 12 hex digits of a sane time."""
    try:
        millis = int(consignment_id[:12], 16)
    except ValueError:
        return None
    if len(consignment_id) < 12 or not (0 < millis < 253402300800000):  # before year 10000
        return None
    return Month.of(dt.datetime.fromtimestamp(millis / 1000, dt.UTC))


@dataclasses.dataclass(frozen=True)
class Member:
    """A table of the family and the column its partitions are keyed by."""

    table: str
    key: str
    partitioned: bool


@dataclasses.dataclass(frozen=True)
class PartitionInfo:
    name: str
    month: Month | None  # None: the DEFAULT partition
    rows: int  # consignments in it


def is_partitioned(conn: sa.Connection) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    return bool(
        conn.execute(
            sa.text(
                "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
                "WHERE c.relname = :t AND c.relnamespace = current_schema()::regnamespace)"
            ),
            {"t": PARENT},
        ).scalar_one()
    )


def family(conn: sa.Connection) -> list[Member]:
    """consignments first, then every table with a one-column foreign key on consignments.id, by name."""
    rows = conn.execute(
        sa.text(
            """SELECT DISTINCT child.relname, attr.attname, child.relkind = 'p'
               FROM pg_constraint con
               JOIN pg_class parent ON parent.oid = con.confrelid
               JOIN pg_class child ON child.oid = con.conrelid
               JOIN pg_attribute attr ON attr.attrelid = con.conrelid AND attr.attnum = con.conkey[1]
               WHERE con.contype = 'f' AND parent.relname = :parent AND array_length(con.conkey, 1) = 1
                 AND NOT child.relispartition AND con.conparentid = 0
                 AND child.relnamespace = current_schema()::regnamespace
               ORDER BY child.relname"""
        ),
        {"parent": PARENT},
    ).all()
    return [Member(PARENT, "id", is_partitioned(conn))] + [Member(str(t), str(k), bool(p)) for t, k, p in rows]


def _partitions_of(conn: sa.Connection, table: str) -> dict[str, str]:
    """Partition name -> its bound expression ('DEFAULT' or 'FOR VALUES FROM (...) TO (...)')."""
    rows = conn.execute(
        sa.text(
            """SELECT c.relname, pg_get_expr(c.relpartbound, c.oid)
               FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
               WHERE p.relname = :t AND p.relnamespace = current_schema()::regnamespace"""
        ),
        {"t": table},
    ).all()
    return {str(name): str(bound) for name, bound in rows}


def months(conn: sa.Connection) -> list[Month]:
    """The months that have a partition of consignments, oldest first."""
    found = []
    for name in _partitions_of(conn, PARENT):
        suffix = name.removeprefix(f"{PARENT}_p")
        if suffix != name and len(suffix) == 6 and suffix.isdigit():
            found.append(Month(int(suffix[:4]), int(suffix[4:])))
    return sorted(found)


def listing(conn: sa.Connection) -> list[PartitionInfo]:
    """Every partition of consignments with its exact number of consignments, DEFAULT last."""
    result = []
    for month in months(conn):
        name = f"{PARENT}_{month.suffix()}"
        rows = conn.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar_one()
        result.append(PartitionInfo(name, month, int(rows)))
    default = f"{PARENT}_default"
    if default in _partitions_of(conn, PARENT):
        rows = conn.execute(sa.text(f'SELECT count(*) FROM "{default}"')).scalar_one()
        result.append(PartitionInfo(default, None, int(rows)))
    return result


def _lock(conn: sa.Connection, members: list[Member]) -> None:
    conn.execute(sa.text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    # All at once, parent first: writers insert consignments before their other rows, so one of
    # them holding a child's lock already holds the parent's, and we wait there, not in a cycle.
    names = ", ".join(f'"{m.table}"' for m in members if m.partitioned)
    conn.execute(sa.text(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE"))


def lock_family(conn: sa.Connection) -> None:
    """Every partitioned member locked for the rest of the transaction: a purge checks its month and
    drops it with no writer in between (a row committed after the check would go unchecked)."""
    _lock(conn, family(conn))


def ensure_default(conn: sa.Connection) -> None:
    """A DEFAULT partition for each partitioned member that has none."""
    for member in family(conn):
        if member.partitioned and f"{member.table}_default" not in _partitions_of(conn, member.table):
            conn.execute(sa.text(f'CREATE TABLE "{member.table}_default" PARTITION OF "{member.table}" DEFAULT'))


def ensure_month(conn: sa.Connection, month: Month) -> bool:
    """Create the month's partition of every partitioned member; True when it did anything.

    Rows of the month that wait in a DEFAULT partition (the month was not created in time) are moved
    into it in the same transaction: PostgreSQL refuses a new partition whose range the DEFAULT
    partition already holds rows of, so they are taken out through the parent (children first,
    for the foreign keys), the partitions created, and put back through the parent.
    """
    members = [m for m in family(conn) if m.partitioned]
    missing = [m for m in members if f"{m.table}_{month.suffix()}" not in _partitions_of(conn, m.table)]
    if not missing:
        return False
    _lock(conn, members)
    bounds = {"low": month.low, "high": month.high}
    moved = []
    for member in reversed(members):  # children before consignments
        default = f"{member.table}_default"
        if default not in _partitions_of(conn, member.table):
            continue
        waiting = conn.execute(
            sa.text(
                f'SELECT EXISTS (SELECT 1 FROM "{default}" WHERE "{member.key}" >= :low AND "{member.key}" < :high)'
            ),
            bounds,
        ).scalar_one()
        if not waiting:
            continue
        holding = f"_moving_{member.table}"
        conn.execute(sa.text(f'CREATE TEMP TABLE "{holding}" (LIKE "{member.table}") ON COMMIT DROP'))
        conn.execute(
            sa.text(
                f'WITH gone AS (DELETE FROM "{member.table}" WHERE "{member.key}" >= :low AND "{member.key}" < :high '
                f'RETURNING *) INSERT INTO "{holding}" SELECT * FROM gone'
            ),
            bounds,
        )
        moved.append((member, holding))
    for member in missing:  # consignments first: the children's foreign keys point at it
        conn.execute(
            sa.text(
                f'CREATE TABLE "{member.table}_{month.suffix()}" PARTITION OF "{member.table}" '
                f"FOR VALUES FROM ('{month.low}') TO ('{month.high}')"
            )
        )
    for member, holding in reversed(moved):  # consignments first again
        conn.execute(sa.text(f'INSERT INTO "{member.table}" SELECT * FROM "{holding}"'))
        conn.execute(sa.text(f'DROP TABLE "{holding}"'))  # another month may be created in this transaction
    return True


def create_ahead(conn: sa.Connection, now: dt.datetime, ahead: int) -> list[Month]:
    """The current month's and the next ``ahead`` months' partitions; the months it created."""
    if not is_partitioned(conn):
        return []
    ensure_default(conn)
    first = Month.of(now)
    return [month for month in (first.plus(n) for n in range(ahead + 1)) if ensure_month(conn, month)]


def drop_month(conn: sa.Connection, month: Month) -> dict[str, int]:
    """Drop the month from every member (children first); the rows each table lost.

    The caller has checked that the month may go (store.purge). Rows of the month still in a
    DEFAULT partition, and in a member that is not partitioned, are deleted by range.
    """
    members = family(conn)
    _lock(conn, members)
    bounds = {"low": month.low, "high": month.high}
    counts: dict[str, int] = {}
    keys_table = conn.execute(sa.text("SELECT to_regclass('consignment_keys') IS NOT NULL")).scalar_one()
    if keys_table:
        conn.execute(
            sa.text("DELETE FROM consignment_keys WHERE consignment_id >= :low AND consignment_id < :high"), bounds
        )
    for member in reversed(members):
        partition = f"{member.table}_{month.suffix()}"
        count = 0
        if member.partitioned and partition in _partitions_of(conn, member.table):
            count = conn.execute(sa.text(f'SELECT count(*) FROM "{partition}"')).scalar_one()
            if member.table == PARENT:
                # A partition of a table other tables' foreign keys point at is detached first
                # (PostgreSQL checks that nothing refers to its rows: the children's months are gone).
                conn.execute(sa.text(f'ALTER TABLE "{PARENT}" DETACH PARTITION "{partition}"'))
            conn.execute(sa.text(f'DROP TABLE "{partition}"'))
        # Rows of the month elsewhere: in DEFAULT, or in a member that is not partitioned.
        deleted = conn.execute(
            sa.text(f'DELETE FROM "{member.table}" WHERE "{member.key}" >= :low AND "{member.key}" < :high'), bounds
        )
        counts[member.table] = int(count) + max(deleted.rowcount, 0)
    return counts


def upkeep(engine: sa.Engine, now: dt.datetime, ahead: int) -> list[Month]:
    """The sweep's job: months created ahead in one transaction; [] when there is nothing to do, or
    when the tables stayed locked by writers past LOCK_TIMEOUT (the next sweep tries again)."""
    if engine.dialect.name != "postgresql":
        return []
    try:
        with engine.begin() as conn:
            return create_ahead(conn, now, ahead)
    except sa.exc.OperationalError as exc:
        if getattr(getattr(exc, "orig", None), "sqlstate", None) == "55P03":  # lock_not_available
            return []
        raise


def drop_keys_table(conn: sa.Connection) -> None:
    """Drop what migration 0023 adds outside the tables' metadata (the keys table and its triggers'
    functions), for whoever empties a database with ``metadata.drop_all`` (tests, benches)."""
    if conn.dialect.name != "postgresql":
        return
    conn.execute(sa.text("DROP TABLE IF EXISTS consignment_keys"))
    conn.execute(sa.text("DROP FUNCTION IF EXISTS consignment_keys_added() CASCADE"))
    conn.execute(sa.text("DROP FUNCTION IF EXISTS consignment_keys_removed() CASCADE"))
