"""`clearway privacy ...`: retention, an operator's data export, pseudonymised exports."""

from __future__ import annotations

import datetime as dt
import getpass
import json
from pathlib import Path
from typing import Annotated

import msgspec
import typer

from clearway.cli.common import console, platform
from clearway.cli.common import settings as load_settings
from clearway.cli.partitions import report as report_purge
from clearway.store.privacy_sql import apply_retention, export_operator_data, pseudonymised_consignments
from clearway.store.purge import PurgeRefused, purge
from clearway.store.webhook_retention import prune_webhooks
from clearway.store.writer_lock import sole_writer

privacy_app = typer.Typer(no_args_is_help=True, help="Personal data: retention and exports.")


@privacy_app.command("retention")
def retention(
    days: Annotated[int | None, typer.Option(help="Age after closure (default CLEARWAY_RETENTION_DAYS).")] = None,
) -> None:
    """Anonymise the personal data of consignments closed longer ago than the retention period,
    prune finished webhook deliveries older than CLEARWAY_WEBHOOKS_RETENTION_DAYS, and, when
    CLEARWAY_PURGE_AFTER_MONTHS is set, purge the whole months before that horizon."""
    settings = load_settings()
    older_than = dt.timedelta(days=days if days is not None else settings.retention_days)
    hooks_cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=settings.webhooks_retention_days)
    total = orphans = cleared = filings = pruned = 0
    with platform(settings) as svc, sole_writer(settings.database_url, what="clearway privacy retention"):
        while True:
            # One transaction per step, so the write lock is never held for the whole backlog.
            with svc.engine.begin() as conn:
                report = apply_retention(conn, now=dt.datetime.now(dt.UTC), older_than=older_than, limit=10_000)
            cleared += report.messages
            filings += report.filings
            if report.done:
                break
            total += report.consignments
            orphans += report.orphans
        while True:
            with svc.engine.begin() as conn:
                step = prune_webhooks(conn, hooks_cutoff)
            if not step:
                break
            pruned += step
        svc.audit_event(
            f"cli:{getpass.getuser()}",
            "privacy.retention",
            "consignments",
            anonymised=total,
            documents_unlinked=orphans,
            messages_cleared=cleared,
            filings_anonymised=filings,
            older_than_days=older_than.days,
            webhook_deliveries_pruned=pruned,
            webhooks_older_than_days=settings.webhooks_retention_days,
        )
    console.print(
        f"anonymised {total:,} closed consignments older than {older_than.days} days, "
        f"and {orphans:,} documents of that age that no kept consignment refers to; "
        f"cleared the bytes of {cleared:,} standard messages received before then, and anonymised the parties "
        f"of {filings:,} closed pre-loading filings; "
        f"pruned {pruned:,} finished webhook deliveries older than {settings.webhooks_retention_days} days"
    )
    if settings.purge_after_months:
        # The guard is the configured period (the law's), not --days: anonymising sooner by hand must not
        # let whole months be dropped sooner too. A longer --days only makes it more careful.
        _purge(settings.database_url, settings.purge_after_months, max(settings.retention_days, older_than.days))


def _purge(url: str, after_months: int, retention_days: int) -> None:
    """The second horizon: whole months, each only once all of its consignments are anonymised."""
    settings = load_settings()
    with platform(settings) as svc, sole_writer(url, what="clearway privacy retention"):
        try:
            outcomes = purge(
                svc.engine,
                now=dt.datetime.now(dt.UTC),
                after_months=after_months,
                retention_days=retention_days,
                actor=f"cli:{getpass.getuser()}",
            )
        except PurgeRefused as exc:
            console.print(f"[red]purge refused[/]: {exc} (CLEARWAY_PURGE_AFTER_MONTHS)")
            raise typer.Exit(code=2) from None
    if not outcomes:
        console.print(f"no month older than {after_months} months to purge")
    report_purge(outcomes)  # a month kept is named; the next run tries it again


@privacy_app.command("export-operator")
def export_operator(operator_id: str, out: Annotated[Path, typer.Option(help="NDJSON file to write.")]) -> None:
    """Everything the platform holds about an operator's submissions, as NDJSON."""
    lines = 0
    with platform() as svc, svc.engine.connect() as conn, out.open("w") as handle:
        for line in export_operator_data(conn, operator_id):
            handle.write(json.dumps(line, default=str) + "\n")
            lines += 1
    console.print(f"wrote {lines:,} lines for {operator_id} to {out}")


@privacy_app.command("export-consignments")
def export_consignments(out: Annotated[Path, typer.Option(help="NDJSON file to write.")]) -> None:
    """Current declarations with personal data pseudonymised (keyed), for analysis."""
    encoder = msgspec.json.Encoder(decimal_format="string")
    count = 0
    with platform() as svc, svc.engine.connect() as conn, out.open("wb") as handle:
        for record in pseudonymised_consignments(conn, svc.access.pseudonym_key):
            handle.write(encoder.encode(record) + b"\n")
            count += 1
    console.print(f"wrote {count:,} pseudonymised declarations to {out}")
