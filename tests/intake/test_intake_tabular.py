"""CSV and Parquet intake: round trips for every kind, the layout rules and every error rule."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearway.dataset.decode import RecordDecoder
from clearway.dataset.errors import FieldError
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.intake import (
    KINDS,
    Parsed,
    columns,
    read_csv,
    read_parquet,
    record_type,
    write_csv,
    write_parquet,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
DECODERS: dict[str, RecordDecoder[Any]] = {kind: RecordDecoder(record_type(kind)) for kind in KINDS}


def fixture(kind: str) -> Any:
    record, errors = DECODERS[kind].decode((FIXTURES / f"{kind}.json").read_bytes())
    assert errors == []
    return record


R = msgspec.structs.replace
C1: Consignment = fixture("consignment")
C2 = R(
    C1,
    reference="MSG-0002",
    items=[R(C1.items[0], description='Cotton scarf, "blue"', net_weight_kg=Decimal("0.120")), C1.items[1]],
    flags=R(C1.flags, nature="gift", relationship="C2C"),
)
C3 = R(C1, reference="MSG-0003")
O1: Order = fixture("order")
O2 = R(O1, order_number="SW-100200301", lines=[*O1.lines, R(O1.lines[0], sku=None)])
P1: Payment = fixture("payment")
P2 = R(P1, payment_id="PAY-778900", payer=R(P1.payer, authenticated=False, country=None))
W1: Waybill = fixture("waybill")
W2 = R(W1, transport_document="HWB-0002", document_type="house_waybill", departure_date=None)
RECORDS: dict[str, list[Any]] = {
    "consignment": [C1, C2],
    "order": [O1, O2],
    "payment": [P1, P2],
    "waybill": [W1, W2],
}
FIRST_ROWS = {"consignment": [2, 4], "order": [2, 4], "payment": [2, 3], "waybill": [2, 3]}


def csv_text(records: list[Any], kind: str, **options: Any) -> str:
    buffer = io.StringIO()
    write_csv(records, buffer, kind, **options)
    return buffer.getvalue()


def read_text(text: str, kind: str) -> list[Parsed[Any]]:
    return list(read_csv(io.StringIO(text, newline=""), kind, DECODERS[kind]))


def only(parsed: Parsed[Any]) -> tuple[int, FieldError]:
    assert parsed.record is None
    located = parsed.located_errors()
    assert len(located) == 1, located
    return located[0]


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_csv_round_trip(kind: str, tmp_path: Path) -> None:
    path = tmp_path / f"{kind}s.csv"
    write_csv(RECORDS[kind], path, kind)
    out = list(read_csv(path, kind, DECODERS[kind]))
    assert [p.errors for p in out] == [[], []]
    assert [p.record for p in out] == RECORDS[kind]
    assert [p.line for p in out] == FIRST_ROWS[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_parquet_round_trip(kind: str, tmp_path: Path) -> None:
    path = tmp_path / f"{kind}s.parquet"
    write_parquet(RECORDS[kind], path, kind)
    out = list(read_parquet(path, kind, DECODERS[kind]))
    assert [p.errors for p in out] == [[], []]
    assert [p.record for p in out] == RECORDS[kind]
    assert [p.line for p in out] == [n - 1 for n in FIRST_ROWS[kind]]


def test_grouped_rows_repeat_only_the_key() -> None:
    rows = list(csv.DictReader(io.StringIO(csv_text([C1, C2], "consignment"))))
    assert [r["reference"] for r in rows] == ["MSG-0001", "MSG-0001", "MSG-0002", "MSG-0002"]
    assert [r["items.line"] for r in rows] == ["1", "2", "1", "2"]
    assert rows[1]["destination_country"] == ""
    assert rows[0]["transaction.goods_value"] == "23.80"


def test_writer_uses_only_columns_with_values_in_canonical_order() -> None:
    header = csv_text([P1], "payment").splitlines()[0].split(",")
    assert header == [c for c in columns("payment") if c in header]
    assert "payer.authenticated" in header
    assert len(header) == len(columns("payment"))
    assert len(csv_text([W2], "waybill").splitlines()[0].split(",")) < len(columns("waybill"))


def test_columns_are_dotted_paths_with_entries_last() -> None:
    names = columns("consignment")
    for name in ("parties.seller.name", "parties.buyer.address.city", "transaction.goods_value"):
        assert name in names
    assert {"logistics.transport_document", "flags.nature", "items.description", "items.hs_code"} <= set(names)
    assert names[0] == "reference"
    first_item = names.index("items.line")
    assert all(n.startswith("items.") for n in names[first_item:])
    assert columns("order")[-4:] == ["lines.description", "lines.quantity", "lines.unit_price", "lines.sku"]


def test_typed_parquet_columns_are_read_exactly(tmp_path: Path) -> None:
    path = tmp_path / "payments.parquet"
    frame = pl.DataFrame(
        {
            "payment_id": ["PAY-1", "PAY-2"],
            "order_number": ["SW-100200300", "SW-100200300"],
            "provider": ["ShopWorld Pay", "ShopWorld Pay"],
            "payer.name": ["Anna Schmidt", "Anna Schmidt"],
            "payer.authenticated": [True, None],
            "amount": [Decimal("27.30"), Decimal("0.10")],
            "currency": ["EUR", "EUR"],
            "paid_at": [dt.datetime(2026, 11, 20, 9, 16, 30, tzinfo=dt.UTC)] * 2,
        },
        schema_overrides={"amount": pl.Decimal(12, 2), "paid_at": pl.Datetime("us", "UTC")},
    )
    frame.write_parquet(path)
    out = list(read_parquet(path, "payment", RecordDecoder(Payment)))
    assert [p.errors for p in out] == [[], []]
    first, second = (p.record for p in out if p.record is not None)
    assert first.amount == Decimal("27.30")
    assert str(first.amount) == "27.30"
    assert second.amount == Decimal("0.10")
    assert first.payer.authenticated is True
    assert second.payer.authenticated is False
    assert first.paid_at == dt.datetime(2026, 11, 20, 9, 16, 30, tzinfo=dt.UTC)


def test_typed_parquet_ints_and_dates(tmp_path: Path) -> None:
    path = tmp_path / "waybills.parquet"
    frame = pl.DataFrame(
        {
            "transport_document": ["RR123456785CN"],
            "document_type": ["upu_s10"],
            "carrier": ["China Post"],
            "consignee.name": ["Anna Schmidt"],
            "consignee.country": ["DE"],
            "origin_country": ["CN"],
            "destination_country": ["DE"],
            "packages": [3],
            "gross_weight_kg": [Decimal("0.450")],
            "transport_mode": ["post"],
            "departure_date": [dt.date(2026, 11, 21)],
        }
    )
    frame.write_parquet(path)
    (parsed,) = read_parquet(path, "waybill", RecordDecoder(Waybill))
    record = parsed.record
    assert record is not None, parsed.errors
    assert record.packages == 3
    assert record.departure_date == dt.date(2026, 11, 21)
    assert record.gross_weight_kg == Decimal("0.450")


def test_float_money_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "payments.parquet"
    frame = pl.read_csv(io.StringIO(csv_text([P1, P2], "payment")), infer_schema_length=0)
    frame.with_columns(pl.col("amount").cast(pl.Float64)).write_parquet(path)
    out = list(read_parquet(path, "payment", DECODERS["payment"]))
    assert len(out) == 1
    assert only(out[0]) == (0, FieldError("", "money must be a decimal or string column, not float: amount"))


def test_naive_parquet_datetime_is_an_error_at_its_pointer(tmp_path: Path) -> None:
    path = tmp_path / "payments.parquet"
    frame = pl.read_csv(io.StringIO(csv_text([P1], "payment")), infer_schema_length=0)
    frame.with_columns(pl.lit(dt.datetime(2026, 11, 20, 9, 16)).alias("paid_at")).write_parquet(path)
    (parsed,) = read_parquet(path, "payment", DECODERS["payment"])
    row, error = only(parsed)
    assert (row, error.pointer) == (1, "/paid_at")
    assert "timezone" in error.detail


def test_unreadable_parquet_file_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "orders.parquet"
    path.write_bytes(b"PAR1 not really")
    (parsed,) = read_parquet(path, "order", DECODERS["order"])
    assert only(parsed)[1].detail.startswith("not a readable Parquet file")


def test_unknown_parquet_columns_are_one_error(tmp_path: Path) -> None:
    path = tmp_path / "orders.parquet"
    pl.DataFrame({"order_number": ["X"], "colour": ["red"]}).write_parquet(path)
    (parsed,) = read_parquet(path, "order", DECODERS["order"])
    assert only(parsed)[1].detail.startswith("unknown columns: 'colour'")


# --- the layout rules ------------------------------------------------------------------------


def test_item_errors_point_into_the_item_and_its_row() -> None:
    text = csv_text([C1, C2], "consignment").replace("620620", "62x", 1)
    first, second = read_text(text, "consignment")
    row, error = only(first)
    assert (row, error.pointer) == (3, "/items/1/hs_code")
    assert first.line == 2
    assert second.record == C2


def test_record_level_errors_are_on_the_first_row() -> None:
    rows = list(csv.reader(io.StringIO(csv_text([C1, C2], "consignment"))))
    header = rows[0]
    rows[3][header.index("transaction.currency")] = "EURO"
    text = "\n".join(",".join(f'"{c}"' for c in row) for row in rows)
    first, second = read_text(text, "consignment")
    assert first.record == C1
    assert only(second)[0] == 4
    assert only(second)[1].pointer == "/transaction/currency"


def test_a_later_row_contradicting_a_scalar_is_an_error_on_that_row() -> None:
    rows = list(csv.reader(io.StringIO(csv_text([C1], "consignment"))))
    header = rows[0]
    rows[2][header.index("destination_country")] = "DE"  # repeating the same value is fine
    rows[2][header.index("transaction.currency")] = "USD"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    (parsed,) = read_text(buffer.getvalue(), "consignment")
    row, error = only(parsed)
    assert (row, error.pointer) == (3, "/transaction/currency")
    assert error.detail == "row 3 says 'USD' but the record's first row (row 2) says 'EUR'"


def test_rows_of_one_key_must_be_consecutive() -> None:
    text = csv_text([C1, C2], "consignment")
    lines = text.splitlines()
    again = "\n".join([*lines, lines[1]])
    out = read_text(again, "consignment")
    assert [p.line for p in out] == [2, 4, 6]
    assert out[2].record is not None
    assert len(out[2].record.items) == 1


def test_blank_rows_are_skipped_and_do_not_split_a_record() -> None:
    lines = csv_text([C1], "consignment").splitlines()
    text = "\n".join([lines[0], lines[1], "", "," * (lines[0].count(",")), lines[2], ""])
    (parsed,) = read_text(text, "consignment")
    assert parsed.record == C1


def test_empty_cells_are_absent_never_zero() -> None:
    text = csv_text([C2], "consignment")
    (parsed,) = read_text(text, "consignment")
    assert parsed.record is not None
    assert parsed.record.items[0].net_weight_kg == Decimal("0.120")
    assert parsed.record.items[1].net_weight_kg is None
    assert parsed.record.items[1].unit == "pcs"
    assert parsed.record.transaction.insurance == Decimal(0)


def test_a_required_field_left_empty_is_an_error() -> None:
    text = "payment_id,order_number,provider,payer.name,amount,currency,paid_at\n"
    text += "PAY-1,SW-1,ShopWorld Pay,Anna Schmidt,,EUR,2026-11-20T09:16:30Z\n"
    (parsed,) = read_text(text, "payment")
    assert only(parsed) == (2, FieldError("/amount", "required field is missing"))


def test_zero_is_never_a_date_and_text_is_never_a_number() -> None:
    header = "transport_document,carrier,consignee.name,consignee.country,origin_country,destination_country,"
    header += "packages,gross_weight_kg,transport_mode,departure_date\n"
    text = header + "HWB-1,Acme,Anna,DE,CN,DE,1,0.5,air,0\nHWB-2,Acme,Anna,DE,CN,DE,two,0.5,air,2026-11-21\n"
    first, second = read_text(text, "waybill")
    assert only(first)[1].pointer == "/departure_date"
    assert only(second) == (3, FieldError("/packages", "expected a whole number, got 'two'"))


@pytest.mark.parametrize(("cell", "expected"), [("true", True), ("YES", True), ("1", True), ("false", False)])
def test_boolean_cells(cell: str, expected: bool) -> None:
    text = "payment_id,order_number,provider,payer.name,payer.authenticated,amount,currency,paid_at\n"
    text += f"PAY-1,SW-1,ShopWorld Pay,Anna Schmidt,{cell},27.30,EUR,2026-11-20T09:16:30Z\n"
    (parsed,) = read_text(text, "payment")
    assert parsed.record is not None
    assert parsed.record.payer.authenticated is expected


def test_a_bad_decimal_is_one_error() -> None:
    text = csv_text([P1], "payment").replace("27.30", '"27,30"')
    row, error = only(read_text(text, "payment")[0])
    assert (row, error) == (2, FieldError("/amount", "expected a decimal number such as 12.50, got '27,30'"))


def test_bom_before_the_header_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "waybills.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_text([W1], "waybill").encode())
    (parsed,) = read_csv(path, "waybill", DECODERS["waybill"])
    assert parsed.record == W1


def test_crlf_rows_are_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(csv_text([O1, O2], "order").replace("\n", "\r\n").encode())
    assert [p.record for p in read_csv(path, "order", DECODERS["order"])] == [O1, O2]


def test_header_only_gives_nothing_and_an_empty_file_one_error() -> None:
    assert read_text(csv_text([P1], "payment").splitlines()[0] + "\n", "payment") == []
    (parsed,) = read_text("", "payment")
    assert only(parsed)[0] == 1
    assert only(parsed)[1].detail.startswith("the file is empty; a header row is required")


# --- the error rules -------------------------------------------------------------------------


def test_unknown_columns_are_one_whole_file_error() -> None:
    text = csv_text([P1, P2], "payment").replace("provider", "psp", 1).replace("currency", "ccy", 1)
    (parsed,) = read_text(text, "payment")
    row, error = only(parsed)
    assert row == 1
    assert error.detail.startswith("unknown columns: 'psp', 'ccy'; the first row must be the header")


def test_semicolon_separated_file_gets_a_hint() -> None:
    (parsed,) = read_text("payment_id;amount\nPAY-1;1.00\n", "payment")
    assert "(the file must be comma-separated)" in only(parsed)[1].detail


def test_duplicate_columns_are_a_whole_file_error() -> None:
    (parsed,) = read_text("payment_id,amount,amount\nPAY-1,1,1\n", "payment")
    assert only(parsed)[1].detail == "columns appear more than once: amount"


def test_row_with_the_wrong_number_of_cells_fails_alone() -> None:
    lines = csv_text([P1, P2, P1, P2, P1, P2, P1], "payment").splitlines()
    width = lines[0].count(",") + 1
    lines[6] = ",".join(lines[6].split(",")[:-3])
    out = read_text("\n".join(lines), "payment")
    assert [p.line for p in out] == [2, 3, 4, 5, 6, 7, 8]
    assert [p.ok for p in out] == [True] * 5 + [False, True]
    assert only(out[5]) == (7, FieldError("", f"row 7 has {width - 3} cells, the header has {width}"))


def test_a_short_row_inside_a_record_fails_the_record() -> None:
    lines = csv_text([C1, C2, C3], "consignment").splitlines()
    lines[4] += ",extra"
    out = read_text("\n".join(lines), "consignment")
    assert [p.record for p in out] == [C1, None, C3]
    row, error = only(out[1])
    assert row == 5
    assert re.fullmatch(r"row 5 has (\d+) cells, the header has (\d+)", error.detail)


def test_non_utf8_rows_are_errors_and_other_rows_parse(tmp_path: Path) -> None:
    path = tmp_path / "consignments.csv"
    lines = csv_text([C1, C2, C3], "consignment").encode().split(b"\n")
    lines[3] = lines[3].replace(b"Anna Schmidt", "Anna Schmïdt".encode("latin-1"))
    path.write_bytes(b"\n".join(lines))
    out = list(read_csv(path, "consignment", DECODERS["consignment"]))
    assert [p.record for p in out] == [C1, None, C3]
    offset = lines[3].index(b"\xef")
    assert only(out[1]) == (
        4,
        FieldError("", f"row 4 is not valid UTF-8 (line 4, byte offset {offset}); save it as UTF-8"),
    )


def test_non_utf8_header_is_a_whole_file_error(tmp_path: Path) -> None:
    path = tmp_path / "payments.csv"
    path.write_bytes("zahlungs_id,währung\n1,EUR\n".encode("latin-1"))
    (parsed,) = read_csv(path, "payment", DECODERS["payment"])
    assert only(parsed) == (
        1,
        FieldError("", "the file is not valid UTF-8 (line 1, byte offset 13); save it as UTF-8"),
    )


def test_text_stream_failing_to_decode_fails_the_pending_record() -> None:
    # A text stream decodes in chunks, so the bad byte surfaces some rows before it is reached:
    # the record being read then must fail, never load with the items read so far.
    good = csv_text([C1, C2, C3] * 40, "consignment").encode()
    stream = io.TextIOWrapper(io.BytesIO(good + "MSG-9,DE,Schmïdt\n".encode("latin-1")), encoding="utf-8")
    out = list(read_csv(stream, "consignment", DECODERS["consignment"]))
    *loaded, last = out
    assert 0 < len(loaded) < 120
    assert [p.record for p in loaded] == [C1, C2, C3] * (len(loaded) // 3) + [C1, C2][: len(loaded) % 3]
    assert last.record is None
    assert last.errors[-1].detail.startswith(f"the file is not valid UTF-8 after row {last.error_lines[-1] - 1}")


def test_decoder_must_match_the_kind() -> None:
    with pytest.raises(ValueError, match=r"needs a RecordDecoder\(Order\)"):
        list(read_csv(io.StringIO(""), "order", DECODERS["payment"]))
    with pytest.raises(ValueError, match="unknown record kind"):
        list(read_csv(io.StringIO(""), "invoice", DECODERS["payment"]))


def test_docs_example_is_valid() -> None:
    docs = (ROOT / "docs" / "formats.md").read_text()
    match = re.search(r"```csv\n(.*?)```", docs, re.DOTALL)
    assert match is not None, "expected a match"
    out = read_text(match.group(1), "consignment")
    assert [p.errors for p in out] == [[], []]
    assert [len(p.record.items) for p in out if p.record] == [2, 2]
    assert [p.line for p in out] == [2, 4]


def test_docs_list_every_column_name() -> None:
    docs = (ROOT / "docs" / "formats.md").read_text()
    for kind in KINDS:
        for name in columns(kind):
            leaf = name.split(".")[-1]
            assert re.search(rf"[`.]{re.escape(leaf)}`", docs), name


# --- property --------------------------------------------------------------------------------

PAYMENT_COLUMNS = columns("payment")
CONSIGNMENT_COLUMNS = [
    "reference",
    "destination_country",
    "items.line",
    "items.quantity",
    "logistics.packages",
]
cells = st.one_of(
    st.sampled_from(["", " ", "0", "1", "-1", "1.5", "true", "EUR", "DE", "2026-11-20", "2026-11-20T09:15:00Z"]),
    st.text(max_size=12),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["payment", "consignment"]),
    header=st.lists(st.sampled_from(PAYMENT_COLUMNS + CONSIGNMENT_COLUMNS + ["bogus"]), max_size=8),
    rows=st.lists(st.lists(cells, max_size=9), max_size=8),
)
def test_arbitrary_cells_never_raise(kind: str, header: list[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    out = read_text(buffer.getvalue(), kind)
    for parsed in out:
        assert (parsed.record is None) == bool(parsed.errors)
        assert all(isinstance(n, int) for n, _ in parsed.located_errors())


@settings(max_examples=100, deadline=None)
@given(
    text=st.lists(st.sampled_from([*',"\n\r ab\x00é;', "reference", "items.line", "\ufeff"]), max_size=60).map("".join)
)
def test_arbitrary_text_never_raises(text: str) -> None:
    for parsed in read_text(text, "consignment"):
        assert parsed.record is None or parsed.errors == []
