"""The jurisdiction file format: strict loading, dated resolution, member states and cases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from clearway.jurisdictions import Catalogue, UnknownDestination
from clearway.jurisdictions.loader import JurisdictionError, load_folder

HEAD = """
code: XX
name: Example
currency: EUR
formulas:
  duty: {values: [{from: 2021-01-01, value: none, reference: "Act 1"}]}
"""


def _write(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "xx"
    folder.mkdir()
    (folder / "params.yaml").write_text(HEAD + body, encoding="utf-8")
    return folder


def test_a_value_is_the_last_entry_on_or_before_the_date(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        """
parameters:
  tax.rate:
    description: rate
    values:
      - {from: 2021-01-01, value: "0.20", reference: "Act 1 s.2"}
      - {from: 2024-07-01, value: "0.21", reference: "Act 2 s.1"}
      - {from: 2026-01-01, value: null, reference: "Act 3 (repeal)"}
""",
    )
    catalogue = Catalogue({"XX": load_folder(folder)})
    assert catalogue.params("XX", dt.date(2020, 12, 31), {}).find("tax.rate") is None
    day_before = catalogue.params("XX", dt.date(2024, 6, 30), {}).get("tax.rate")
    assert (day_before.decimal(), day_before.version, day_before.reference) == (
        Decimal("0.20"),
        "tax.rate@2021-01-01",
        "Act 1 s.2",
    )
    assert catalogue.params("XX", dt.date(2024, 7, 1), {}).get("tax.rate").decimal() == Decimal("0.21")
    assert catalogue.params("XX", dt.date(2026, 1, 1), {}).find("tax.rate") is None


def test_cases_match_the_context_in_order(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        """
parameters:
  duty.threshold:
    values:
      - from: 2021-01-01
        reference: "Order s.3"
        cases:
          - {when: {origin: [US, MX], channel: courier}, value: "150"}
          - {value: "20"}
""",
    )
    catalogue = Catalogue({"XX": load_folder(folder)})
    on = dt.date(2022, 1, 1)
    assert catalogue.params("XX", on, {"origin": "US", "channel": "courier"}).get("duty.threshold").decimal() == 150
    assert catalogue.params("XX", on, {"origin": "US", "channel": "post"}).get("duty.threshold").decimal() == 20
    assert catalogue.params("XX", on, {"origin": "CN", "channel": "courier"}).get("duty.threshold").decimal() == 20


def test_codes_keep_their_leading_zero(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        'parameters:\n  restricted.hs_prefixes: {values: [{from: 2021-01-01, value: ["0402", "2208"], reference: r}]}',
    )
    catalogue = Catalogue({"XX": load_folder(folder)})
    assert catalogue.params("XX", dt.date(2022, 1, 1), {}).value("restricted.hs_prefixes") == ("0402", "2208")


def test_members_resolve_to_their_union_with_their_own_dated_values() -> None:
    catalogue = Catalogue.load()
    assert catalogue.resolve("FI")[0].code == "EU"
    rate = catalogue.params("FI", dt.date(2024, 8, 31), {})
    assert rate.get("tax.rate").decimal() == Decimal("0.24")
    assert catalogue.params("FI", dt.date(2024, 9, 1), {}).get("tax.rate").decimal() == Decimal("0.255")
    assert catalogue.params("EE", dt.date(2025, 7, 1), {}).get("tax.rate").decimal() == Decimal("0.24")
    with pytest.raises(UnknownDestination, match="ZZ"):
        catalogue.resolve("ZZ")


def test_every_eu_member_has_a_vat_rate_on_every_date() -> None:
    catalogue = Catalogue.load()
    eu = catalogue.jurisdictions["EU"]
    assert len(eu.members) == 27
    for member in eu.members:
        for year in range(2021, 2027):
            rate = catalogue.params(member, dt.date(year, 6, 1), {}).get("tax.rate").decimal()
            assert Decimal("0.15") <= rate <= Decimal("0.27"), (member, year, rate)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('parameters:\n  a: {values: [{from: 2021-01-01, value: 0.2, reference: "x"}]}', "quoted strings"),
        ("parameters:\n  a: {values: [{from: 2021-01-01, value: '1'}]}", "legal 'reference'"),
        (
            'parameters:\n  a: {values: [{from: 2022-01-01, value: "1", reference: x}, '
            '{from: 2021-01-01, value: "2", reference: y}]}',
            "increasing 'from'",
        ),
        ('parameters:\n  a: {values: [{from: 2021-01-01, value: "1", reference: x, oops: 1}]}', "unknown keys"),
        ('parameters:\n  a: {values: [{from: soon, value: "1", reference: x}]}', "'from' must be a date"),
        ("parameters:\n  a: {values: []}", "non-empty list"),
        (
            "parameters:\n  a: {values: [{from: 2021-01-01, reference: x, "
            'cases: [{when: {colour: red}, value: "1"}]}]}',
            "'when' may test only",
        ),
    ],
)
def test_a_malformed_file_fails_with_where_and_why(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(JurisdictionError, match=message):
        load_folder(_write(tmp_path, body))
