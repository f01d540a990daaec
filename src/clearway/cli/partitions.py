"""`clearway db partitions`: the monthly partitions of consignments (PostgreSQL), and purging months."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import sys
from typing import Annotated

import typer

from clearway.cli.common import console, fail, platform
from clearway.cli.common import settings as load_settings
from clearway.store import partitions
from clearway.store.privacy_tables import purged_months
from clearway.store.purge import MonthOutcome, PurgeRefused, months_before, purge_month, shortest_horizon
from clearway.store.writer_lock import sole_writer

partitions_app = typer.Typer(no_args_is_help=True, help="Monthly partitions of consignments (PostgreSQL).")


@partitions_app.command("list")
def list_partitions(as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False) -> None:
    """Each month's partition with its number of consignments, the DEFAULT partition, months purged."""
    with platform() as svc, svc.engine.connect() as conn:
        found = partitions.listing(conn) if partitions.is_partitioned(conn) else []
        purged = conn.execute(purged_months.select().order_by(purged_months.c.month)).mappings().all()
        dialect = conn.dialect.name
    if as_json:
        for info in found:
            line = {"month": str(info.month) if info.month else None, "partition": info.name, "consignments": info.rows}
            sys.stdout.write(json.dumps(line) + "\n")
        for row in purged:
            line = {
                "month": row["month"],
                "purged_at": row["purged_at"].isoformat(),
                "consignments": row["consignments"],
            }
            sys.stdout.write(json.dumps(line) + "\n")
        return
    if dialect != "postgresql":
        console.print("SQLite keeps plain tables: no partitions (a purge deletes a month's rows by id range)")
    for info in found:
        label = str(info.month) if info.month else "DEFAULT"
        console.print(f"{label:<8} {info.name:<28} {info.rows:>12,} consignments", highlight=False)
    for row in purged:
        console.print(f"{row['month']:<8} purged {row['purged_at']:%Y-%m-%d} ({row['consignments']:,} consignments)")
    default = next((info for info in found if info.month is None), None)
    if default is not None and default.rows:
        console.print(
            f"[yellow]{default.rows:,} consignments wait in DEFAULT[/]: `clearway db partitions create "
            "--month YYYY-MM` moves a month's rows into their own partition"
        )


@partitions_app.command("create")
def create(
    ahead: Annotated[
        int | None, typer.Option(help="Months after the current one (default CLEARWAY_PARTITIONS_AHEAD).")
    ] = None,
    month: Annotated[str | None, typer.Option(help="One month (YYYY-MM), e.g. one whose rows wait in DEFAULT.")] = None,
) -> None:
    """Create the current month's and the next months' partitions (or one month's), moving the rows
    of those months out of the DEFAULT partition."""
    settings = load_settings()
    with platform(settings) as svc:
        if svc.engine.dialect.name != "postgresql":
            fail("partitions are for PostgreSQL: SQLite keeps plain tables", code=2)
        with svc.engine.begin() as conn:
            if not partitions.is_partitioned(conn):
                fail("consignments are not partitioned: run `clearway db upgrade` first", code=2)
            if month is not None:
                try:
                    chosen = partitions.Month.parse(month)
                except ValueError as exc:
                    fail(str(exc), code=2)
                partitions.ensure_default(conn)
                created = [chosen] if partitions.ensure_month(conn, chosen) else []
            else:
                count = settings.partitions_ahead if ahead is None else ahead
                if count < 0:
                    fail("--ahead cannot be negative", code=2)
                created = partitions.create_ahead(conn, dt.datetime.now(dt.UTC), count)
    console.print(f"created {', '.join(map(str, created))}" if created else "every partition asked for exists")


@partitions_app.command("drop")
def drop(
    before: Annotated[str, typer.Option(help="Purge the months before this one (YYYY-MM).")],
    yes: Annotated[bool, typer.Option("--yes", help="Do it; without it, only say what would go.")] = False,
) -> None:
    """Purge whole months before BEFORE: each month whose consignments are all closed and anonymised
    goes with every row keyed by them; a month with one that is not is kept whole and named. BEFORE
    may not be inside the anonymisation period (CLEARWAY_RETENTION_DAYS)."""
    settings = load_settings()
    try:
        first_kept = partitions.Month.parse(before)
    except ValueError as exc:
        fail(str(exc), code=2)
    now = dt.datetime.now(dt.UTC)
    newest_allowed = partitions.Month.of(now).plus(-shortest_horizon(settings.retention_days))
    if first_kept > newest_allowed:
        fail(
            f"refused: months from {newest_allowed} on are inside the anonymisation period "
            f"({settings.retention_days} days); --before may be {newest_allowed} at the latest",
            code=2,
        )
    actor = f"cli:{getpass.getuser()}"
    with platform(settings) as svc, sole_writer(settings.database_url, what="clearway db partitions drop"):
        with svc.engine.connect() as conn:
            candidates = months_before(conn, first_kept)
        if not candidates:
            console.print(f"no month before {first_kept} to purge")
            return
        if not yes:
            console.print(
                f"would purge, if every consignment of each is closed and anonymised: {', '.join(map(str, candidates))}"
            )
            console.print("run again with --yes to purge them")
            return
        outcomes: list[MonthOutcome] = []
        for month in candidates:
            with svc.engine.begin() as conn:
                try:
                    outcomes.append(purge_month(conn, month, now=now, actor=actor, first_kept=first_kept))
                except PurgeRefused as exc:  # pragma: no cover - months_before only yields earlier months
                    fail(str(exc), code=2)
    if not report(outcomes):
        raise typer.Exit(code=1)


def report(outcomes: list[MonthOutcome]) -> bool:
    """Print each month's outcome; False when a month was kept (it is named with why)."""
    for outcome in outcomes:
        if outcome.purged:
            console.print(
                f"purged {outcome.month}: {outcome.consignments:,} consignments, {sum(outcome.rows.values()):,} rows"
            )
        else:
            console.print(f"[yellow]kept {outcome.month}[/]: {outcome.refused}")
    return all(outcome.purged for outcome in outcomes)
