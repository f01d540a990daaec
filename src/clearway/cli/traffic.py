"""`clearway ingest`, `simulate`, `demo` and `sweep`: files in, simulated traffic, demo data, the deadline sweep."""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer
from rich.table import Table

from clearway.app.schedule import run_due_jobs
from clearway.cli.common import console, platform
from clearway.cli.common import settings as _settings
from clearway.store.writer_lock import sole_writer

OperatorOption = Annotated[
    str, typer.Option("--operator", help="Id of the operator on whose behalf the records are submitted.")
]


def ingest(
    files: Annotated[
        list[Path], typer.Argument(exists=True, dir_okay=False, help="NDJSON, CSV or Parquet files, in order.")
    ],
    operator: OperatorOption,
    kind: Annotated[
        str | None, typer.Option(help="consignment, order, payment or waybill (default: from each file's name).")
    ] = None,
    errors_to: Annotated[
        Path | None,
        typer.Option("--errors", help="Write every rejected record's errors here as NDJSON (with its file's name)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print each file's summary as JSON on stdout.")] = False,
) -> None:
    """Submit files of records through the full pipeline in the order given (give the documents
    before the declarations they complete), with a progress bar and a summary for each file."""
    from clearway.app.intake import IngestJob, ingest_files

    settings = _settings()
    _log_lines(settings.log_format)
    with platform(settings) as svc, sole_writer(settings.database_url, what="clearway ingest"):
        summaries = ingest_files(
            svc,
            [IngestJob(file, operator, kind) for file in files],
            errors_to=errors_to,
            console=console,
            check_ahead=svc.settings.hs_check_ahead,
        )
    for file, summary in zip(files, summaries, strict=True):
        if as_json:
            sys.stdout.write(msgspec.json.encode(summary).decode() + "\n")
        else:
            _print_summary(file, summary)
    # Exit 1 when any record was refused, so that scripts notice without parsing the summary.
    if any(summary.rejected or summary.conflicts for summary in summaries):
        raise typer.Exit(code=1)


def _log_lines(log_format: str) -> None:
    """JSON lines for a collector from INFO up, each with the run's batch id; as text, warnings only,
    since the console already shows the progress and the summary."""
    from clearway.app.logs import configure

    configure(log_format, "INFO" if log_format == "json" else "WARNING")


def _print_summary(file: Path, summary: Any) -> None:
    table = Table(title=f"{summary.kind}s from {file.name}")
    for column in ("read", "accepted", "duplicates", "conflicts", "rejected", "seconds"):
        table.add_column(column, justify="right")
    table.add_row(
        *(f"{getattr(summary, c):,}" for c in ("read", "accepted", "duplicates", "conflicts", "rejected")),
        f"{summary.seconds:.1f}",
    )
    console.print(table)
    for line, pointer, detail in summary.first_errors:
        console.print(f"  line {line} {pointer or '(record)'}: {detail}")


class FraudPreset(StrEnum):
    """The choices of `simulate --fraud`: a preset of simulate.fraud.FRAUD_PRESETS, or none."""

    DEFAULT = "default"
    ALTERNATE = "alternate"
    HARD = "hard"
    NONE = "none"


def simulate(
    count: Annotated[int, typer.Option(min=1, help="Number of consignments.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same traffic.")] = 1,
    out: Annotated[Path | None, typer.Option(help="Directory to write the NDJSON files to.")] = None,
    post: Annotated[str | None, typer.Option(help="Base URL of a running server to send the traffic to.")] = None,
    keys: Annotated[
        Path, typer.Option(help="JSON file mapping operator ids to API keys, for --post (written by `clearway demo`).")
    ] = Path("var/demo-keys.json"),
    fraud: Annotated[
        FraudPreset,
        typer.Option(help="Hidden non-compliance preset, found only on inspection (truth.finding); none: without."),
    ] = FraudPreset.DEFAULT,
) -> None:
    """Generate realistic, seeded traffic: consignments, orders, payments, waybills and the truth."""
    from clearway.simulate import SimulationConfig, generate, write_traffic
    from clearway.simulate.fraud import FRAUD_PRESETS

    if out is None and post is None:
        raise typer.BadParameter("give --out DIR, --post URL or both")
    traffic = generate(count, seed, SimulationConfig(fraud=FRAUD_PRESETS.get(fraud.value)))
    if out is not None:
        write_traffic(traffic, out)
        console.print(f"wrote {count:,} consignments with their documents to {out}")
    if post is not None:
        from clearway.simulate.post import post_traffic

        if not keys.exists():
            raise typer.BadParameter(f"{keys} not found: run `clearway demo` first, or give --keys")
        summary = post_traffic(traffic, post, credentials=json.loads(keys.read_text()))
        console.print(summary)


def demo(
    count: Annotated[int, typer.Option(min=1, help="Number of consignments.")] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 2026,
    force: Annotated[bool, typer.Option(help="Load even if the database already has consignments.")] = False,
) -> None:
    """Load simulated demo traffic into the database (skipped when it already holds data)."""
    from clearway.app.demo import load_demo

    settings = _settings()
    with platform(settings) as svc, sole_writer(settings.database_url, what="clearway demo"):
        loaded = load_demo(svc, count=count, seed=seed, force=force, console=console)
    if loaded is None:
        console.print("the database already holds consignments; demo data not loaded (use --force)")
    else:
        console.print(f"loaded {loaded:,} demo consignments with their documents")
        console.print(
            "demo sign-in: admin, officer or analyst with the password 'clearway-demo-2026' "
            "(demo data only); operators' API keys are in var/demo-keys.json"
        )


def sweep() -> None:
    """Hold declarations whose documents are overdue; expire unanswered pre-loading referrals."""

    settings = _settings()
    _log_lines(settings.log_format)
    with platform(settings) as svc, sole_writer(settings.database_url, what="clearway sweep"):
        # As a server's sweep does, each job unless another process is running it (app/schedule.py).
        done = run_due_jobs(svc, now=dt.datetime.now(dt.UTC), retrain=False)
    console.print(f"held {done.held:,} consignments whose documents are overdue")
    console.print(f"{done.referrals_expired:,} pre-loading referrals unanswered in time: do not load")
    for job in done.skipped:
        console.print(f"{job}: running in another process, left to it")


def register(app: typer.Typer) -> None:
    for command in (ingest, simulate, demo, sweep):
        app.command()(command)
