"""Purge: remove whole months of consignments, after anonymisation, once they are past a second horizon.

Retention (store.privacy_sql) anonymises a closed consignment in place after
CLEARWAY_RETENTION_DAYS; the rows stay for statistics and the audit chain refers to their ids. The
purge is the second, optional step (CLEARWAY_PURGE_AFTER_MONTHS, off by default): a month of
consignments (by the time their ids were made, i.e. when the platform accepted the declarations)
older than the horizon goes entirely, with every row keyed by those consignments, but only when
every consignment of the month is closed AND anonymised; a month with one that is not is refused
and named, and nothing of it is touched. On PostgreSQL a month is a partition of each table
(store.partitions), dropped whole; on SQLite the same rows are deleted by id range in chunks.

What stays of a purged month: its row in ``purged_months`` (rows per table, no personal data), the
audit chain's entries (which name ids only) and one ``privacy.purge`` event appended in the same
transaction as the drop, so the chain verifies and says what went. Documents (orders, payments,
waybills) are not consignments' rows and are not purged (retention anonymises them).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math

import sqlalchemy as sa

from clearway.audit.chain import AuditEvent
from clearway.clearance.lifecycle import FINAL_STATES
from clearway.store import partitions
from clearway.store.audit_log import SqlAuditLog
from clearway.store.partitions import Month
from clearway.store.privacy_tables import purged_months, retention_log
from clearway.store.tables import consignments, metadata

_FINAL = sorted(state.value for state in FINAL_STATES)
CHUNK = 10_000
# An average month, for comparing a horizon in months with a period in days: 36 months cover 1,095 days.
MONTH_DAYS = 30.44


class PurgeRefused(ValueError):
    """A purge that must not run as asked (a horizon inside the anonymisation period)."""


@dataclasses.dataclass(frozen=True)
class MonthOutcome:
    month: Month
    purged: bool
    consignments: int = 0
    rows: dict[str, int] = dataclasses.field(default_factory=dict)
    refused: str | None = None  # why the month was left as it is


def shortest_horizon(retention_days: int) -> int:
    """The fewest whole months a purge horizon may be: not shorter than the anonymisation period."""
    return max(1, math.ceil(retention_days / MONTH_DAYS))


def horizon(now: dt.datetime, after_months: int, retention_days: int) -> Month:
    """The first month kept: months before it may be purged. Refuses a horizon inside the retention
    period, since a month must have been anonymised before it can go."""
    if after_months < shortest_horizon(retention_days):
        raise PurgeRefused(
            f"a purge horizon of {after_months} months is shorter than the anonymisation period "
            f"({retention_days} days): at least {shortest_horizon(retention_days)} months"
        )
    return Month.of(now).plus(-after_months)


def months_before(conn: sa.Connection, first_kept: Month) -> list[Month]:
    """The months before ``first_kept`` that hold consignments, or an (empty) partition, oldest first."""
    found: set[Month] = set()
    after = ""
    limit = first_kept.low
    while True:
        oldest = conn.execute(
            sa.select(sa.func.min(consignments.c.id)).where(consignments.c.id >= after, consignments.c.id < limit)
        ).scalar_one()
        if oldest is None:
            break
        month = partitions.month_of_id(oldest)
        if month is None or month >= first_kept:  # an id not made by new_id: no month to purge it with
            break
        found.add(month)
        after = month.high
    if partitions.is_partitioned(conn):
        found.update(month for month in partitions.months(conn) if month < first_kept)
    return sorted(found)


def blockers(conn: sa.Connection, month: Month) -> str | None:
    """Why the month cannot go (open or not yet anonymised consignments), or None."""
    c = consignments.c
    open_count, kept_count = conn.execute(
        sa.select(
            sa.func.count().filter(c.state.not_in(_FINAL)),
            sa.func.count().filter(retention_log.c.consignment_id.is_(None)),
        )
        .select_from(consignments.outerjoin(retention_log, retention_log.c.consignment_id == c.id))
        .where(c.id >= month.low, c.id < month.high)
    ).one()
    if not open_count and not kept_count:
        return None
    return (
        f"{month}: {open_count:,} consignments not closed and {kept_count:,} not anonymised yet; "
        "the month is kept whole until every one of them is both"
    )


def purge_month(conn: sa.Connection, month: Month, *, now: dt.datetime, actor: str, first_kept: Month) -> MonthOutcome:
    """Purge one month in the caller's transaction, or refuse it; the audit event goes in the same one."""
    if month >= first_kept:
        raise PurgeRefused(f"{month} is not before the purge horizon ({first_kept})")
    partitioned = partitions.is_partitioned(conn)
    if partitioned:
        # Locked before the check: an insert or a state change committed between the two would be
        # dropped unchecked. (On SQLite the transaction's snapshot does the same: a writer that
        # committed after it makes the DELETE fail rather than see stale counts.)
        partitions.lock_family(conn)
    reason = blockers(conn, month)
    if reason is not None:
        return MonthOutcome(month, purged=False, refused=reason)
    rows = partitions.drop_month(conn, month) if partitioned else _delete_month(conn, month)
    count = rows.get(consignments.name, 0)
    if not any(rows.values()):  # an empty month's partitions: nothing of anyone's went, nothing to record
        return MonthOutcome(month, purged=True, rows=rows)
    previous = conn.execute(sa.select(purged_months).where(purged_months.c.month == str(month))).mappings().first()
    if previous is None:
        conn.execute(
            purged_months.insert().values(
                month=str(month), purged_at=now, actor=actor, consignments=count, rows=json.dumps(rows, sort_keys=True)
            )
        )
    else:  # rows of the month that came after an earlier purge (an id from a clock set back): add them up
        total = json.loads(previous["rows"])
        for table, removed in rows.items():
            total[table] = total.get(table, 0) + removed
        conn.execute(
            purged_months.update()
            .where(purged_months.c.month == str(month))
            .values(purged_at=now, actor=actor, consignments=previous["consignments"] + count, rows=json.dumps(total))
        )
    SqlAuditLog(conn).append(
        [
            AuditEvent(
                at=now,
                actor=actor,
                action="privacy.purge",
                subject=f"month:{month}",
                detail={"consignments": count, "rows": rows, "before": str(first_kept)},
            )
        ]
    )
    return MonthOutcome(month, purged=True, consignments=count, rows=rows)


def _members(conn: sa.Connection) -> list[tuple[sa.Table, sa.Column[str]]]:
    """consignments and the tables whose foreign key points at it, children first (SQLite)."""
    children = [
        (table, column)
        for table in metadata.sorted_tables
        for column in table.columns
        if any(fk.column is consignments.c.id for fk in column.foreign_keys)
    ]
    return [*children, (consignments, consignments.c.id)]


def _delete_month(conn: sa.Connection, month: Month, chunk: int = CHUNK) -> dict[str, int]:
    """The month's rows deleted by id range, a chunk of consignments at a time (children first)."""
    counts = {table.name: 0 for table, _ in _members(conn)}
    after = month.low
    while True:
        ids = (
            conn.execute(
                sa.select(consignments.c.id)
                .where(consignments.c.id >= after, consignments.c.id < month.high)
                .order_by(consignments.c.id)
                .limit(chunk)
            )
            .scalars()
            .all()
        )
        if not ids:
            return counts
        low, high = ids[0], ids[-1]
        for table, column in _members(conn):
            deleted = conn.execute(table.delete().where(column >= low, column <= high))
            counts[table.name] += max(deleted.rowcount, 0)
        after = high + "\x00"


def purge(
    engine: sa.Engine, *, now: dt.datetime, after_months: int, retention_days: int, actor: str
) -> list[MonthOutcome]:
    """Every month before the horizon, each in its own transaction: purged, or refused with why."""
    first_kept = horizon(now, after_months, retention_days)
    with engine.connect() as conn:
        candidates = months_before(conn, first_kept)
    outcomes = []
    for month in candidates:
        with engine.begin() as conn:
            outcomes.append(purge_month(conn, month, now=now, actor=actor, first_kept=first_kept))
    return outcomes
