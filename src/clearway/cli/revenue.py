"""`clearway quote FILE` and `clearway revenue ...`: quotes, registries, customs rates, statements."""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import io
import json
import sys
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer

from clearway.cli.common import console, platform
from clearway.revenue.context import RevenueError
from clearway.revenue.quote import QuoteDecoder
from clearway.revenue.rates import TableRate
from clearway.revenue.schemes import Registration

revenue_app = typer.Typer(no_args_is_help=True, help="Duties and taxes: scheme registries, customs rates, statements.")
schemes_app = typer.Typer(no_args_is_help=True, help="Registries of vendor tax schemes (IOSS, VOEC, ...).")
rates_app = typer.Typer(no_args_is_help=True, help="Customs exchange rate tables.")
revenue_app.add_typer(schemes_app, name="schemes")
revenue_app.add_typer(rates_app, name="rates")
_ENCODER = msgspec.json.Encoder(decimal_format="string")


class CsvError(ValueError):
    pass


def _documents(text: str) -> Iterator[tuple[int, str]]:
    """One JSON object (possibly over several lines) or NDJSON: (line number, JSON text) pairs."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            json.loads(stripped)
        except json.JSONDecodeError:
            pass
        else:
            yield 1, stripped
            return
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield number, line


def quote_command(
    file: Annotated[str, typer.Argument(help="A JSON quote request, or NDJSON (one per line); '-' reads stdin.")],
) -> None:
    """Landed cost of parcels: one JSON result per request line, with every duty and tax line explained.

    The request is the body of POST /v1/quotes. A request with errors prints its problems (with
    JSON pointers) on its line, and the command exits 1.
    """
    text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    decoder = QuoteDecoder()
    failed = 0
    with platform() as svc:
        for number, document in _documents(text):
            request, errors = decoder.decode(document)
            if request is None:
                failed += 1
                print(_error(number, [{"pointer": e.pointer, "detail": e.detail} for e in errors]))
                continue
            try:
                print(_ENCODER.encode(svc.revenue.quote(request)).decode())
            except RevenueError as exc:
                failed += 1
                print(_error(number, [{"pointer": exc.pointer, "detail": str(exc)}]))
    if failed:
        raise typer.Exit(code=1)


def _error(line: int, errors: list[dict[str, str]]) -> str:
    return json.dumps({"line": line, "title": "the quote request has invalid fields", "errors": errors})


def _rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise CsvError(f"{path}: missing column(s) {', '.join(missing)}; expected {','.join(required)}")
    for number, row in enumerate(reader, start=2):
        yield number, {k: (v or "").strip() for k, v in row.items() if k}


def _date(path: Path, number: int, column: str, value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CsvError(f"{path}, row {number}, column {column}: expected a date YYYY-MM-DD, got {value!r}") from None


def read_registrations(path: Path) -> list[Registration]:
    """CSV columns scheme,number,holder,start,end (end may be empty)."""
    out = []
    for number, row in _rows(path, ("scheme", "number", "holder", "start", "end")):
        if not row["scheme"] or not row["number"]:
            raise CsvError(f"{path}, row {number}: scheme and number are required")
        out.append(
            Registration(
                scheme=row["scheme"].upper(),
                number=row["number"].replace(" ", ""),
                holder=row["holder"],
                start=_date(path, number, "start", row["start"]),
                end=_date(path, number, "end", row["end"]) if row["end"] else None,
            )
        )
    return out


def read_rates(path: Path, source: str) -> list[TableRate]:
    """CSV columns currency,to_currency,start,end,rate: one unit of currency is worth rate to_currency."""
    out = []
    for number, row in _rows(path, ("currency", "to_currency", "start", "end", "rate")):
        try:
            rate = Decimal(row["rate"])
        except InvalidOperation:
            raise CsvError(f"{path}, row {number}, column rate: expected a decimal, got {row['rate']!r}") from None
        if not rate.is_finite() or rate <= 0:
            raise CsvError(f"{path}, row {number}, column rate: expected a positive rate")
        start, end = _date(path, number, "start", row["start"]), _date(path, number, "end", row["end"])
        out.append(TableRate(row["currency"].upper(), row["to_currency"].upper(), start, end, rate, source))
    return out


@schemes_app.command("import")
def schemes_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV file.")]) -> None:
    """Replace the registry of each scheme in FILE (columns scheme,number,holder,start,end)."""
    try:
        rows = read_registrations(file)
    except CsvError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=1) from exc
    by_scheme: dict[str, list[Registration]] = {}
    for row in rows:
        by_scheme.setdefault(row.scheme, []).append(row)
    with platform() as svc:
        for scheme, registrations in sorted(by_scheme.items()):
            count = svc.revenue.import_registrations(
                scheme, registrations, source=file.name, actor=f"cli:{getpass.getuser()}"
            )
            console.print(f"{scheme}: {count:,} registrations")


@rates_app.command("import")
def rates_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV file.")]) -> None:
    """Load a customs rate table (columns currency,to_currency,start,end,rate); it takes precedence over ECB rates."""
    try:
        rows = read_rates(file, source=f"customs rate table {file.name}")
    except CsvError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=1) from exc
    with platform() as svc:
        count = svc.revenue.import_rates(rows, source=file.name, actor=f"cli:{getpass.getuser()}")
    console.print(f"{count:,} customs rates loaded")


@revenue_app.command("statement")
def statement(
    month: Annotated[str, typer.Option(help="The month, YYYY-MM.")],
    kind: Annotated[str, typer.Option(help="schemes (value per scheme number) or intermediaries.")] = "schemes",
    operator: Annotated[str | None, typer.Option(help="Only this operator.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The monthly statement per scheme number (e.g. IOSS) or per intermediary."""
    if kind not in ("schemes", "intermediaries"):
        raise typer.BadParameter("--kind is schemes or intermediaries")
    try:
        dt.date.fromisoformat(f"{month}-01")
    except ValueError:
        raise typer.BadParameter("--month is YYYY-MM") from None
    with platform() as svc:
        read = svc.revenue.scheme_statement if kind == "schemes" else svc.revenue.intermediary_statement
        lines: list[dict[str, Any]] = read(month, operator)
    if as_json:
        print(_ENCODER.encode({"month": month, "kind": kind, "lines": lines}).decode())
        return
    if not lines:
        console.print(f"no {kind} lines for {month}")
    for line in lines:
        print("  ".join(f"{k}={v}" for k, v in line.items()))


@revenue_app.command("jurisdictions")
def jurisdictions(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The jurisdictions loaded, with their destinations and currency."""
    with platform() as svc:
        catalogue = svc.revenue.catalogue
    rows = [
        {"code": j.code, "name": j.name, "currency": j.currency, "destinations": sorted(j.members) or [j.code]}
        for j in sorted(catalogue.jurisdictions.values(), key=lambda j: j.code)
    ]
    if as_json:
        print(json.dumps(rows))
        return
    for row in rows:
        print(f"{row['code']:4} {row['currency']}  {row['name']}  ({', '.join(row['destinations'])})")
