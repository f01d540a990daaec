"""`clearway stats ...`: the statistics from the shell, the same figures as ``/v1/stats`` and the dashboard.

Each command loads the facts frame from the store (clearway.app.stats, as the server does) and
runs the same query function; ``--json`` prints exactly what the API answers.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, cast

import msgspec
import typer

from clearway.app.platform import Clearway
from clearway.app.stats import StatsService, stats_of
from clearway.cli.common import console, fail, platform
from clearway.stats.export import EXPORT_FORMATS, ExportFormat
from clearway.stats.model import (
    DIMENSIONS,
    METRICS,
    PERIODS,
    Dimension,
    Metric,
    Period,
    StatsBreakdown,
    StatsKpis,
    StatsSeries,
)
from clearway.stats.queries import BREAKDOWN_TOP_MAX, SERIES_TOP_MAX, Window, WindowError

stats_app = typer.Typer(no_args_is_help=True, help="Statistics: key figures, time series, breakdowns, exports.")

FromOption = Annotated[str | None, typer.Option("--from", help="First receipt date included (YYYY-MM-DD, UTC).")]
ToOption = Annotated[str | None, typer.Option("--to", help="Last receipt date included (YYYY-MM-DD, UTC).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (what the API answers).")]


def _choice(value: str | None, allowed: tuple[str, ...], option: str) -> str | None:
    if value is not None and value not in allowed:
        raise typer.BadParameter(f"expected one of {', '.join(allowed)}", param_hint=option)
    return value


def _window(start: str | None, end: str | None) -> Window:
    try:
        return Window.parse(start, end)
    except WindowError as exc:
        raise typer.BadParameter(exc.detail, param_hint="--from" if exc.pointer == "/from" else "--to") from None


def _stats(svc: Clearway) -> StatsService:
    return stats_of(svc)


def _print_json(value: Any) -> None:
    sys.stdout.write(msgspec.json.encode(value).decode() + "\n")


def _number(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


def _print_kpis(k: StatsKpis) -> None:
    lines = [
        ("consignments", _number(k.consignments)),
        ("declared value (EUR)", _number(k.value_eur, 2)),
        (
            "duty and tax of released (EUR)",
            f"{_number(k.revenue_eur, 2)}  (duty {k.duty_eur:,.2f}, tax {k.tax_eur:,.2f})",
        ),
        (
            "released automatically",
            f"{_rate(k.automatic_release_rate)}  ({k.released_automatically:,} of {k.decided:,})",
        ),
        ("examinations per million", f"{_number(k.examinations_per_million, 1)}  ({k.inspections:,} examined)"),
        ("hit rate", f"{_rate(k.hit_rate)}  ({k.findings:,} findings in {k.outcomes_recorded:,} outcomes)"),
        (
            "refusals per million",
            f"{_number(k.refusals_per_million, 1)}  ({k.seized:,} seized, {k.returned:,} returned)",
        ),
        (
            "time to release p50 / p95 (min)",
            f"{_number(k.release_minutes_p50, 1)} / {_number(k.release_minutes_p95, 1)}",
        ),
        ("filed late", f"{_rate(k.late_filing_share)}  ({k.late_filings:,} of {k.timeliness_checked:,} checked)"),
        ("median lead time (min)", _number(k.lead_minutes_median, 1)),
    ]
    window = f"{k.start or 'start'} .. {k.end or 'end'}"
    print(f"window {window}")
    for label, value in lines:
        print(f"  {label:34} {value}")


@stats_app.command("kpis")
def kpis_command(start: FromOption = None, end: ToOption = None, as_json: JsonOption = False) -> None:
    """Key figures of the consignments received in the window (docs/stats.md defines each)."""
    window = _window(start, end)
    with platform() as svc:
        result = _stats(svc).kpis(window)
    if as_json:
        _print_json(result)
    else:
        _print_kpis(result)


def _print_series(s: StatsSeries) -> None:
    money = s.metric != "consignments"
    print(f"{s.metric} per {s.period}, by {s.by or 'all'}, window {s.start or 'start'} .. {s.end or 'end'}")
    print("period      " + "".join(f"{line.key:>14}" for line in s.series))
    for index, day in enumerate(s.periods):
        cells = "".join(f"{_number(line.values[index], 2 if money else 0):>14}" for line in s.series)
        print(f"{day.isoformat():12}{cells}")


@stats_app.command("series")
def series_command(
    by: Annotated[str | None, typer.Option("--by", help=f"Group by: {', '.join(DIMENSIONS)}.")] = None,
    period: Annotated[str, typer.Option("--period", help=f"{', '.join(PERIODS)} (weeks start on Monday).")] = "day",
    metric: Annotated[str, typer.Option("--metric", help=f"{', '.join(METRICS)}.")] = "consignments",
    top: Annotated[int, typer.Option("--top", min=1, max=SERIES_TOP_MAX, help="Groups shown; the rest summed.")] = 8,
    start: FromOption = None,
    end: ToOption = None,
    as_json: JsonOption = False,
) -> None:
    """A metric per day, week or month for the largest groups (the rest as '(other)')."""
    chosen_by = cast(Dimension | None, _choice(by, DIMENSIONS, "--by"))
    chosen_period = cast(Period, _choice(period, PERIODS, "--period"))
    chosen_metric = cast(Metric, _choice(metric, METRICS, "--metric"))
    window = _window(start, end)
    with platform() as svc:
        result = _stats(svc).series(window, metric=chosen_metric, period=chosen_period, by=chosen_by, top=top)
    if as_json:
        _print_json(result)
    else:
        _print_series(result)


def _print_breakdown(b: StatsBreakdown) -> None:
    print(f"by {b.by}, window {b.start or 'start'} .. {b.end or 'end'}: {b.consignments:,} consignments")
    print(
        f"{'key':14}{'consignments':>14}{'share':>9}{'value EUR':>14}{'revenue EUR':>14}"
        f"{'examined':>10}{'findings':>10}{'hit rate':>10}{'refused':>9}"
    )
    for r in b.rows:
        print(
            f"{r.key:14}{r.consignments:>14,}{_rate(r.share):>9}{r.value_eur:>14,.2f}{r.revenue_eur:>14,.2f}"
            f"{r.inspections:>10,}{r.findings:>10,}{_rate(r.hit_rate):>10}{r.refusals:>9,}"
        )


@stats_app.command("breakdown")
def breakdown_command(
    by: Annotated[str, typer.Option("--by", help=f"Group by: {', '.join(DIMENSIONS)}.")],
    top: Annotated[int, typer.Option("--top", min=1, max=BREAKDOWN_TOP_MAX, help="Rows listed; the rest summed.")] = 20,
    start: FromOption = None,
    end: ToOption = None,
    as_json: JsonOption = False,
) -> None:
    """Volumes, values, revenue, inspections, findings and refusals per group, largest first."""
    chosen_by = cast(Dimension, _choice(by, DIMENSIONS, "--by"))
    window = _window(start, end)
    with platform() as svc:
        result = _stats(svc).breakdown(window, by=chosen_by, top=top)
    if as_json:
        _print_json(result)
    else:
        _print_breakdown(result)


def _format_of(out: Path, fmt: str | None) -> ExportFormat:
    if fmt is None:
        suffix = out.suffix.lower().lstrip(".")
        if suffix not in EXPORT_FORMATS:
            raise typer.BadParameter(
                "give --format csv or parquet, or name the file .csv or .parquet", param_hint="--format"
            )
        return suffix
    if fmt not in EXPORT_FORMATS:
        raise typer.BadParameter(f"expected one of {', '.join(EXPORT_FORMATS)}", param_hint="--format")
    return fmt


@stats_app.command("export")
def export_command(
    out: Annotated[Path, typer.Argument(dir_okay=False, help="The file to write (.csv or .parquet).")],
    fmt: Annotated[str | None, typer.Option("--format", help="csv or parquet (default: from the file name).")] = None,
    start: FromOption = None,
    end: ToOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the facts of the window (one row per consignment, no personal data) as CSV or Parquet."""
    chosen = _format_of(out, fmt)
    window = _window(start, end)
    with platform() as svc:
        content, rows = _stats(svc).export(window, chosen)
    try:
        out.write_bytes(content)
    except OSError as exc:
        fail(f"cannot write {out}: {exc}", code=2)
    summary = {"path": str(out), "format": chosen, "consignments": rows, "bytes": len(content)}
    if as_json:
        _print_json(summary)
    else:
        console.print(f"{rows:,} consignments written to {out} ({chosen}, {len(content):,} bytes)", highlight=False)
