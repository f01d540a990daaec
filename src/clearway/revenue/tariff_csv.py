"""Tariff schedules as CSV, for jurisdictions without a tariff API Clearway reads (docs/tariff.md).

One measure per row, columns ``jurisdiction,code,origins,measure_type,duty,start,end,reference``.
A customs administration keeps its schedule in a spreadsheet; a file that a person edits is
checked strictly, and every error names its row (the header is row 1, as a spreadsheet shows it)
and its column, so that it can be found and fixed without guessing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import get_args

from clearway.dataset.identifiers import COUNTRIES, CURRENCIES
from clearway.revenue.tariff import MEASURE_TYPES, DutyTerm, TariffMeasure, TermOp, Unit

COLUMNS = ("jurisdiction", "code", "origins", "measure_type", "duty", "start", "end", "reference")
# Customs territories that are not countries and have a tariff of their own.
TERRITORIES = frozenset({"EU"})
_CODE = re.compile(r"^[0-9]{2,10}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_UNITS: dict[str, Unit] = {unit: unit for unit in get_args(Unit)} | {"items": "item", "litre": "l", "litres": "l"}
# A number, then "%" or "CUR/unit"; or an operator. Spaces are free: "3.50 EUR / 100 kg".
_TOKEN = re.compile(
    r"\s*(?:(?P<op>\+|MAX\b|MIN\b)"
    r"|(?P<number>[0-9]+(?:\.[0-9]+)?)\s*(?:(?P<percent>%)|(?P<currency>[A-Za-z]{3})\s*/\s*(?P<unit>[0-9]*\s*[a-z]+)))",
    re.IGNORECASE,
)
_OPS: dict[str, TermOp] = {"+": "+", "MAX": "max", "MIN": "min"}


class TariffFormatError(ValueError):
    """A bad cell (or header) of a tariff CSV: ``row`` counts the header as 1."""

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None) -> None:
        where = ", ".join(
            part for part in (f"row {row}" if row else "", f"column '{column}'" if column else "") if part
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.row = row
        self.column = column
        self.detail = message


def parse_duty_expression(text: str) -> list[DutyTerm]:
    """Terms of a duty such as ``12% + 3.50 EUR/100kg MAX 20%``; ``free`` is no terms (no duty).

    Amounts are ``N%`` (ad valorem) or ``N CUR/unit`` with unit kg, 100kg, item, 1000items or l;
    ``+`` adds, ``MAX`` caps what precedes (the smaller applies), ``MIN`` floors it (the larger).
    """
    source = text.strip()
    if source.lower() == "free":
        return []
    if not source:
        raise ValueError("empty: write 'free' for no duty")
    terms: list[DutyTerm] = []
    op: TermOp | None = "+"
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None or match.end() == position:
            raise ValueError(f"cannot read '{source[position:].strip()}' in '{source}'")
        position = match.end()
        if match["op"]:
            if op is not None:
                raise ValueError(f"'{match['op']}' must follow an amount in '{source}'")
            op = _OPS[match["op"].upper()]
            continue
        if op is None:
            raise ValueError(f"amounts need '+', 'MAX' or 'MIN' between them in '{source}'")
        terms.append(_amount(match, op, source))
        op = None
    if op is not None:
        raise ValueError(f"'{source}' ends with an operator")
    return terms


def _amount(match: re.Match[str], op: TermOp, source: str) -> DutyTerm:
    amount = Decimal(match["number"])
    if match["percent"]:
        return DutyTerm(op=op, kind="ad_valorem", amount=amount)
    currency = match["currency"].upper()
    if currency not in CURRENCIES:
        raise ValueError(f"'{currency}' is not an ISO 4217 currency code in '{source}'")
    written = re.sub(r"\s+", "", match["unit"]).lower()
    unit = _UNITS.get(written)
    if unit is None:
        raise ValueError(f"unit '{written}' in '{source}' is not one of {', '.join(get_args(Unit))}")
    return DutyTerm(op=op, kind="specific", amount=amount, currency=currency, unit=unit)


def read_tariff_csv(text_or_path: str | Path, *, source: str = "") -> list[TariffMeasure]:
    """The measures of a tariff CSV given as its text (a ``str``) or as a file (a ``Path``).

    Raises TariffFormatError at the first bad cell. ``source`` names where the schedule comes
    from on every measure (the CLI gives the file name).
    """
    if isinstance(text_or_path, Path):
        try:
            text = text_or_path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise TariffFormatError(f"cannot read {text_or_path}: {exc}") from exc
    else:
        text = text_or_path.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise TariffFormatError(f"missing column(s) {', '.join(missing)}; the header is {','.join(COLUMNS)}", row=1)
    unknown = [name for name in header if name not in COLUMNS]
    if unknown or len(set(header)) != len(header):
        raise TariffFormatError(f"unknown or repeated column(s) in the header: {','.join(header)}", row=1)
    measures = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        if len(cells) != len(header):
            raise TariffFormatError(f"{len(cells)} cells, the header has {len(header)}", row=number)
        row = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
        measures.append(_measure(row, number, source))
    return measures


def _measure(row: dict[str, str], number: int, source: str) -> TariffMeasure:
    def fail(column: str, message: str) -> TariffFormatError:
        return TariffFormatError(message, row=number, column=column)

    jurisdiction = row["jurisdiction"].upper()
    if jurisdiction not in COUNTRIES and jurisdiction not in TERRITORIES:
        raise fail("jurisdiction", f"'{row['jurisdiction']}' is not an ISO 3166-1 alpha-2 code nor EU")
    code = re.sub(r"[\s.]", "", row["code"])  # "8471.30" and "0101 21 00" as printed in schedules
    if not _CODE.match(code):
        raise fail("code", f"'{row['code']}' is not a commodity code of 2 to 10 digits")
    origins = sorted({origin.upper() for origin in row["origins"].split()}) or None
    for origin in origins or []:
        if origin not in COUNTRIES:
            raise fail("origins", f"'{origin}' is not an ISO 3166-1 alpha-2 country code")
    measure_type = row["measure_type"] or ("third_country" if origins is None else "preference")
    if measure_type not in MEASURE_TYPES:
        raise fail("measure_type", f"'{measure_type}' is not one of {', '.join(sorted(MEASURE_TYPES))}")
    try:
        terms = parse_duty_expression(row["duty"])
    except ValueError as exc:
        raise fail("duty", str(exc)) from None
    start = _date(row["start"], fail, "start")
    if start is None:
        raise fail("start", "the date the measure applies from is required (YYYY-MM-DD)")
    end = _date(row["end"], fail, "end")
    if end is not None and end < start:
        raise fail("end", f"{end} is before the start, {start}")
    return TariffMeasure(
        jurisdiction=jurisdiction,
        code=code,
        terms=terms,
        start=start,
        end=end,
        origins=origins,
        measure_type=measure_type,
        expression=row["duty"],
        reference=row["reference"],
        source=source,
    )


def _date(text: str, fail: Callable[[str, str], TariffFormatError], column: str) -> dt.date | None:
    if not text:
        return None
    try:
        if not _DATE.match(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise fail(column, f"'{text}' is not a date YYYY-MM-DD") from None
