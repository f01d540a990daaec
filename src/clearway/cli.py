"""The `clearway` command line: serve, db upgrade, ingest, simulate, demo.

Every command goes through the same service as the API; machine-readable output with --json.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer
from rich.console import Console
from rich.table import Table

from clearway.cli_access import keys_app, operators_app, people_app
from clearway.cli_learning import register as register_learning
from clearway.cli_privacy import privacy_app
from clearway.cli_revenue import quote_command, revenue_app
from clearway.cli_risk import risk_app
from clearway.cli_screening import screening_app
from clearway.cli_stats import stats_app
from clearway.cli_tariff import tariff_app
from clearway.settings import Settings

app = typer.Typer(no_args_is_help=True, help="Clearway: customs clearance of cross-border e-commerce parcels.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
app.add_typer(db_app, name="db")
audit_app = typer.Typer(no_args_is_help=True, help="The tamper-evident audit trail.")
app.add_typer(audit_app, name="audit")
app.add_typer(operators_app, name="operators")
app.add_typer(keys_app, name="keys")
app.add_typer(people_app, name="people")
app.add_typer(privacy_app, name="privacy")
app.add_typer(tariff_app, name="tariff")
app.add_typer(revenue_app, name="revenue")
app.add_typer(screening_app, name="screening")
app.add_typer(risk_app, name="risk")
app.add_typer(stats_app, name="stats")
register_learning(risk_app)
app.command("quote")(quote_command)
console = Console(stderr=True)

OperatorOption = Annotated[
    str, typer.Option("--operator", help="Id of the operator on whose behalf the records are submitted.")
]


def _settings() -> Settings:
    return Settings.from_env()


def server_options() -> dict[str, Any]:
    """uvicorn's options as `clearway serve` sets them (the server tests start theirs with these too)."""
    return {
        # The application takes X-Forwarded-For itself, from CLEARWAY_TRUSTED_PROXIES only
        # (api/app.py); uvicorn's own handling would trust it from 127.0.0.1 and FORWARDED_ALLOW_IPS.
        "proxy_headers": False,
        # uvicorn's access log prints each path with its query string, which can carry personal data;
        # the application's own (clearway.access, api/access_log.py) names route templates only.
        "access_log": False,
        "server_header": False,
    }


def log_config() -> dict[str, Any]:
    """uvicorn's logging, plus the application's loggers (the access log among them) on its handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["clearway"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the API and the pages, with an access log on standard error (route templates, no queries)."""
    import uvicorn

    uvicorn.run(
        "clearway.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        log_config=log_config(),
        **server_options(),
    )


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Create or migrate the schema of the database that CLEARWAY_DATABASE_URL names."""
    from clearway.store.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url, revision)
    console.print(f"database at {_redacted(settings.database_url)} is at revision {revision}")


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@audit_app.command("verify")
def audit_verify(as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False) -> None:
    """Check every entry of the audit chain; name the first one altered, removed or out of order."""
    from clearway.service import Clearway

    with Clearway(_settings()) as svc:
        result = svc.verify_audit()
    if as_json:
        sys.stdout.write(msgspec.json.encode(result).decode() + "\n")
    elif result.ok:
        console.print(f"audit chain intact: {result.checked:,} entries verified")
    else:
        console.print(f"[bold red]audit chain BROKEN at entry {result.seq}[/]: {result.problem}")
        console.print(f"({result.checked:,} entries verified before it)")
    if not result.ok:
        raise typer.Exit(code=1)


@app.command()
def ingest(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="NDJSON, CSV or Parquet file.")],
    operator: OperatorOption,
    kind: Annotated[
        str | None, typer.Option(help="consignment, order, payment or waybill (default: from the file name).")
    ] = None,
    errors_to: Annotated[
        Path | None, typer.Option("--errors", help="Write every rejected record's errors here as NDJSON.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")] = False,
) -> None:
    """Submit a file of records through the full pipeline, with a progress bar and a summary."""
    from clearway.ingest import ingest_file
    from clearway.service import Clearway

    with Clearway(_settings()) as svc:
        summary = ingest_file(svc, file, operator=operator, kind=kind, errors_to=errors_to, console=console)
    if as_json:
        sys.stdout.write(msgspec.json.encode(summary).decode() + "\n")
    else:
        _print_summary(file, summary)
    # Exit 1 when any record was refused, so that scripts notice without parsing the summary.
    if summary.rejected or summary.conflicts:
        raise typer.Exit(code=1)


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


@app.command()
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


@app.command()
def demo(
    count: Annotated[int, typer.Option(min=1, help="Number of consignments.")] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 2026,
    force: Annotated[bool, typer.Option(help="Load even if the database already has consignments.")] = False,
) -> None:
    """Load simulated demo traffic into the database (skipped when it already holds data)."""
    from clearway.demo import load_demo
    from clearway.service import Clearway

    with Clearway(_settings()) as svc:
        loaded = load_demo(svc, count=count, seed=seed, force=force, console=console)
    if loaded is None:
        console.print("the database already holds consignments; demo data not loaded (use --force)")
    else:
        console.print(f"loaded {loaded:,} demo consignments with their documents")
        console.print(
            "demo sign-in: admin, officer or analyst with the password 'clearway-demo-2026' "
            "(demo data only); operators' API keys are in var/demo-keys.json"
        )


@app.command()
def sweep() -> None:
    """Hold declarations whose documents are overdue; expire unanswered pre-loading referrals."""
    from clearway.service import Clearway

    with Clearway(_settings()) as svc:
        held = svc.expire_overdue(now=dt.datetime.now(dt.UTC))
        expired = svc.preloading.expire_referrals()
    console.print(f"held {held:,} consignments whose documents are overdue")
    console.print(f"{expired:,} pre-loading referrals unanswered in time: do not load")


def main() -> Any:
    return app()


if __name__ == "__main__":
    main()
