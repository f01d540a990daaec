"""CSV tariff schedules: duty expressions, rows, and errors that name their row and column."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from clearway.revenue.tariff import DutyTerm
from clearway.revenue.tariff_csv import TariffFormatError, parse_duty_expression, read_tariff_csv

D = Decimal
HEADER = "jurisdiction,code,origins,measure_type,duty,start,end,reference"


def pct(amount: str, op: str = "+") -> DutyTerm:
    return DutyTerm(op=op, kind="ad_valorem", amount=D(amount))  # type: ignore[arg-type]


def per(amount: str, currency: str, unit: str, op: str = "+") -> DutyTerm:
    return DutyTerm(op=op, kind="specific", amount=D(amount), currency=currency, unit=unit)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("12%", [pct("12")]),
        ("12.8 %", [pct("12.8")]),
        ("free", []),
        (" FREE ", []),
        ("0%", [pct("0")]),
        ("3.50 EUR/kg", [per("3.50", "EUR", "kg")]),
        ("3.50 EUR / 100 kg", [per("3.50", "EUR", "100kg")]),
        ("2 usd/item", [per("2", "USD", "item")]),
        ("4.5 GBP/1000items", [per("4.5", "GBP", "1000items")]),
        ("0.32 EUR/l", [per("0.32", "EUR", "l")]),
        ("12% + 3.50 EUR/100kg MAX 20%", [pct("12"), per("3.50", "EUR", "100kg"), pct("20", "max")]),
        ("2 EUR/item MIN 5%", [per("2", "EUR", "item"), pct("5", "min")]),
        (
            "12.8% + 176.8 GBP/100kg MAX 18.9% + 18.7 GBP/100kg",
            [pct("12.8"), per("176.8", "GBP", "100kg"), pct("18.9", "max"), per("18.7", "GBP", "100kg")],
        ),
        (
            "10% min 2 EUR/item max 5 EUR/item",
            [pct("10"), per("2", "EUR", "item", "min"), per("5", "EUR", "item", "max")],
        ),
    ],
)
def test_parse_duty_expression(text: str, terms: list[DutyTerm]) -> None:
    assert parse_duty_expression(text) == terms


def test_amounts_keep_their_decimals() -> None:
    [term] = parse_duty_expression("3.50 EUR/kg")
    assert str(term.amount) == "3.50"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty: write 'free'"),
        ("12", "cannot read '12'"),
        ("12 %%", "cannot read '%'"),
        ("twelve percent", "cannot read"),
        ("12% 3 EUR/kg", "need '+', 'MAX' or 'MIN' between them"),
        ("MAX 20%", "'MAX' must follow an amount"),
        ("12% + + 3%", "'+' must follow an amount"),
        ("12% +", "ends with an operator"),
        ("3 EURO/kg", "cannot read"),
        ("3 ABC/kg", "'ABC' is not an ISO 4217 currency code"),
        ("3 EUR/tonne", "unit 'tonne'"),
        ("-3%", "cannot read '-3%'"),
    ],
)
def test_bad_duty_expressions(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_duty_expression(text)


def test_read_rows() -> None:
    text = (
        f"{HEADER}\n"
        "EU,6109,,third_country,12%,2024-01-01,,R2658/87\n"
        "\n"
        "eu,6109.10.00,vn cn,,free,2024-01-01,2024-12-31,EU-VN FTA\n"
        'AU,2204,,,"5% + 2.10 AUD/l",2024-01-01,,"Customs Tariff Act 1995, Sch 3"\n'
    )
    first, second, third = read_tariff_csv(text, source="schedule.csv")
    assert first.jurisdiction == "EU" and first.code == "6109" and first.origins is None
    assert first.measure_type == "third_country" and first.terms == [pct("12")]
    assert first.start == dt.date(2024, 1, 1) and first.end is None
    assert first.expression == "12%" and first.reference == "R2658/87" and first.source == "schedule.csv"
    assert second.jurisdiction == "EU" and second.code == "61091000"
    assert second.origins == ["CN", "VN"] and second.measure_type == "preference"  # the default when origins are given
    assert second.terms == [] and second.end == dt.date(2024, 12, 31)
    assert third.terms == [pct("5"), per("2.10", "AUD", "l")] and third.reference == "Customs Tariff Act 1995, Sch 3"


def test_read_a_file_in_any_column_order_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "tariff.csv"
    path.write_text(
        "\ufeffcode,jurisdiction,duty,start,end,origins,measure_type,reference\r\n"
        "0406,GB,6% + 151 GBP/100kg,2021-01-01,,,,\r\n",
        encoding="utf-8",
    )
    [measure] = read_tariff_csv(path)
    assert (measure.jurisdiction, measure.code, measure.source) == ("GB", "0406", "")
    assert measure.terms == [pct("6"), per("151", "GBP", "100kg")]
    assert read_tariff_csv(HEADER + "\n") == []


@pytest.mark.parametrize(
    ("row", "line", "column", "message"),
    [
        ("UK,6109,,,12%,2024-01-01,,", 2, "jurisdiction", "'UK' is not an ISO 3166-1 alpha-2 code nor EU"),
        (",6109,,,12%,2024-01-01,,", 2, "jurisdiction", "is not an ISO 3166-1"),
        ("EU,6,,,12%,2024-01-01,,", 2, "code", "'6' is not a commodity code of 2 to 10 digits"),
        ("EU,61091000001,,,12%,2024-01-01,,", 2, "code", "of 2 to 10 digits"),
        ("EU,61O9,,,12%,2024-01-01,,", 2, "code", "'61O9'"),
        ("EU,6109,UK,,12%,2024-01-01,,", 2, "origins", "'UK' is not an ISO 3166-1 alpha-2 country code"),
        ('EU,6109,"CN,VN",,12%,2024-01-01,,', 2, "origins", "'CN,VN'"),
        ("EU,6109,,mfn,12%,2024-01-01,,", 2, "measure_type", "'mfn' is not one of end_use, preference, quota"),
        ("EU,6109,,,12 percent,2024-01-01,,", 2, "duty", "cannot read '12 percent'"),
        ("EU,6109,,,,2024-01-01,,", 2, "duty", "empty"),
        ("EU,6109,,,12%,,,", 2, "start", "required"),
        ("EU,6109,,,12%,01/02/2024,,", 2, "start", "'01/02/2024' is not a date YYYY-MM-DD"),
        ("EU,6109,,,12%,2024-02-30,,", 2, "start", "'2024-02-30' is not a date"),
        ("EU,6109,,,12%,2024-01-01,2023-12-31,", 2, "end", "2023-12-31 is before the start, 2024-01-01"),
        ("EU,6109,,,12%,2024-01-01,20240601,", 2, "end", "not a date"),
        ("EU,6109,,,12%,2024-01-01", 2, None, "6 cells, the header has 8"),
    ],
)
def test_errors_name_the_row_and_the_column(row: str, line: int, column: str | None, message: str) -> None:
    with pytest.raises(TariffFormatError) as caught:
        read_tariff_csv(f"{HEADER}\n{row}\n")
    error = caught.value
    assert (error.row, error.column) == (line, column)
    assert message in error.detail
    where = f"row {line}" + (f", column '{column}'" if column else "")
    assert str(error).startswith(where + ": ")


def test_the_row_number_counts_the_header_and_blank_lines() -> None:
    good = "EU,6109,,,12%,2024-01-01,,"
    with pytest.raises(TariffFormatError, match=r"^row 5, column 'code': "):
        read_tariff_csv(f"{HEADER}\n{good}\n\n{good}\nEU,x,,,12%,2024-01-01,,\n")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("jurisdiction,code,origins,duty,start,end,reference", "missing column(s) measure_type"),
        (HEADER + ",note", "unknown or repeated column(s)"),
        (HEADER + ",code", "unknown or repeated column(s)"),
        ("", "missing column(s) jurisdiction, code"),
    ],
)
def test_bad_header(header: str, message: str) -> None:
    with pytest.raises(TariffFormatError) as caught:
        read_tariff_csv(header + "\n")
    assert caught.value.row == 1 and caught.value.column is None and message in str(caught.value)


def test_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(TariffFormatError, match="cannot read"):
        read_tariff_csv(tmp_path / "missing.csv")
