"""Format and kind detection from file names."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearway.intake import UnknownFormat, detect_format, detect_kind


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("orders.ndjson", "ndjson"),
        ("orders.jsonl", "ndjson"),
        ("ORDERS.JSON", "ndjson"),
        ("data/consignments.csv", "csv"),
        (Path("/tmp/waybills.2026.parquet"), "parquet"),
    ],
)
def test_detect_format_by_extension(name: str | Path, expected: str) -> None:
    assert detect_format(name) == expected


@pytest.mark.parametrize("name", ["orders.xlsx", "orders", "orders.csv.gz", "orders.parquet.bak"])
def test_unknown_extension_is_a_clear_error(name: str) -> None:
    with pytest.raises(UnknownFormat, match=r"cannot tell the format of .* use \.ndjson, \.jsonl or \.json"):
        detect_format(name)
    assert issubclass(UnknownFormat, ValueError)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("orders.ndjson", "order"),
        ("order.csv", "order"),
        ("2026-11_Consignments.parquet", "consignment"),
        ("payments-export.jsonl", "payment"),
        ("dhl_waybills.csv", "waybill"),
        ("in/consignments/orders.csv", "order"),
        ("border.csv", None),
        ("reorders.csv", None),
        ("data.ndjson", None),
        ("orders_and_payments.csv", None),
        ("consignments/data.csv", None),
    ],
)
def test_detect_kind_from_the_file_name(name: str, expected: str | None) -> None:
    assert detect_kind(name) == expected
