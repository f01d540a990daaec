"""`clearway tariff ...`: load tariff schedules into the database and look a measure up.

Assessments read tariff measures from the database only, never from the network at run time: an
administrator imports a UK Trade Tariff commodity document or a CSV schedule (docs/tariff.md),
and the import is recorded in the audit chain as reference data that changes the duty charged.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer

from clearway.cli.common import console, fail, platform
from clearway.revenue.tariff import TariffBook, TariffMeasure, describe
from clearway.revenue.tariff_csv import TariffFormatError, read_tariff_csv
from clearway.revenue.tariff_uk import SkippedMeasure, UkTariffError, read_uk_tariff
from clearway.store.tariff_repo import SqlTariffStore

tariff_app = typer.Typer(no_args_is_help=True, help="Tariff measures: import schedules, look a measure up.")
FORMATS = {".json": "uk-json", ".csv": "csv"}
_ENCODER = msgspec.json.Encoder(decimal_format="string")


def _print_json(value: Any) -> None:
    sys.stdout.write(_ENCODER.encode(value).decode() + "\n")


def _read(file: Path, file_format: str, source: str | None) -> tuple[str, list[TariffMeasure], list[SkippedMeasure]]:
    """The source name, the measures and the skipped UK measures of a file (exits 1 on a bad one)."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {exc}")
    if file_format == "csv":
        try:
            return source or file.name, read_tariff_csv(text, source=source or file.name), []
        except TariffFormatError as exc:
            fail(f"{file}: {exc}")
    try:
        document = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        fail(f"{file}: not JSON ({exc})")
    if not isinstance(document, dict):
        fail(f"{file}: not a UK Trade Tariff commodity document (expected a JSON object)")
    data = document.get("data")
    attributes = data.get("attributes") if isinstance(data, dict) else None
    code = attributes.get("goods_nomenclature_item_id") if isinstance(attributes, dict) else None
    # One source per commodity: importing the commodity again replaces its measures, whatever the file's name.
    name = source or f"uk-trade-tariff:{code}"
    try:
        result = read_uk_tariff(document, source=name)
    except UkTariffError as exc:
        fail(f"{file}: {exc}")
    return name, result.measures, result.skipped


@tariff_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A UK Trade Tariff commodity (.json) or a CSV schedule.")],
    file_format: Annotated[
        str | None, typer.Option("--format", help="uk-json or csv (default: from the extension, .json or .csv).")
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            help="Name of the schedule, whose earlier import this replaces (default: the file name for CSV, "
            "uk-trade-tariff:<commodity> for UK JSON)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")] = False,
) -> None:
    """Import a tariff schedule: it replaces the measures the same source imported before."""
    chosen = file_format or FORMATS.get(file.suffix.lower())
    if chosen is None or chosen not in FORMATS.values():
        fail(
            f"unknown format '{file_format}'; use uk-json or csv"
            if file_format
            else f"cannot tell the format of {file.name} from its extension; give --format uk-json or --format csv"
        )
    if not file.is_file():
        fail(f"{file} is not a file")
    name, measures, skipped = _read(file, chosen, source)
    by_jurisdiction: dict[str, list[TariffMeasure]] = {}
    for measure in measures:
        by_jurisdiction.setdefault(measure.jurisdiction, []).append(measure)
    if chosen == "uk-json":
        by_jurisdiction.setdefault("GB", [])  # a commodity without a duty measure now: its old ones go
    elif not measures:
        fail(f"{file}: no measures (only a header)")
    imported: dict[str, int] = {}
    with platform() as svc:
        store = SqlTariffStore(svc.engine)
        for jurisdiction, group in sorted(by_jurisdiction.items()):
            imported[jurisdiction] = store.replace(group, jurisdiction=jurisdiction, source=name)
            svc.audit_event(
                f"cli:{getpass.getuser()}",
                "tariff.import",
                name,
                jurisdiction=jurisdiction,
                measures=imported[jurisdiction],
            )
    if as_json:
        _print_json({"source": name, "imported": imported, "skipped": skipped})
        return
    for jurisdiction, count in imported.items():
        console.print(f"imported {count:,} measures for {jurisdiction} from {name}")
    if skipped:
        console.print(f"skipped {len(skipped):,} duty measures Clearway cannot compute exactly:")
        for skip in skipped:
            console.print(f"  measure {skip.measure_id} (type {skip.measure_type}): {skip.reason}", highlight=False)


@tariff_app.command("show")
def show(
    code: Annotated[str, typer.Argument(help="Commodity code, 2 to 10 digits.")],
    jurisdiction: Annotated[str, typer.Option(help="Jurisdiction of the tariff, e.g. GB or EU.")],
    origin: Annotated[str | None, typer.Option(help="ISO country of origin (default: none, erga omnes only).")] = None,
    date: Annotated[str | None, typer.Option(help="Date YYYY-MM-DD (default: today).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the measure as JSON on stdout.")] = False,
) -> None:
    """The measure that applies to goods of a code and origin on a date, and its duty expression."""
    digits = re.sub(r"[\s.]", "", code)
    if not re.fullmatch(r"[0-9]{2,10}", digits):
        fail(f"'{code}' is not a commodity code of 2 to 10 digits")
    try:
        as_of = dt.date.fromisoformat(date) if date else dt.date.today()
    except ValueError:
        fail(f"--date '{date}' is not a date YYYY-MM-DD")
    jurisdiction = jurisdiction.upper()
    with platform() as svc:
        book = TariffBook(SqlTariffStore(svc.engine).measures(jurisdiction))
    measure = book.find(jurisdiction, digits, (origin or "").upper(), as_of)
    if measure is None:
        where = f" from {origin.upper()}" if origin else ""
        fail(f"no {jurisdiction} measure in force for {digits}{where} on {as_of} ({len(book):,} measures loaded)")
    duty = describe(measure.terms)
    if as_json:
        _print_json({**msgspec.structs.asdict(measure), "duty": duty, "as_of": as_of})
        return
    origins = "any origin" if measure.origins is None else " ".join(measure.origins)
    until = f" to {measure.end}" if measure.end else ""
    sys.stdout.write(
        f"{measure.jurisdiction} {measure.code} {measure.measure_type.replace('_', ' ')} ({origins})\n"
        f"  duty: {duty}" + (f"  [as published: {measure.expression}]" if measure.expression else "") + "\n"
        f"  in force: from {measure.start}{until}\n"
        f"  reference: {measure.reference or '-'}; source: {measure.source or '-'}\n"
    )
