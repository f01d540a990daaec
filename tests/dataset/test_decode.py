from __future__ import annotations

import json
from typing import Any

import pytest

from clearway.dataset.decode import RecordDecoder
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from tests.conftest import fixture_json

DECODER = RecordDecoder(Consignment)


def errors_of(data: dict[str, Any]) -> dict[str, str]:
    record, errors = DECODER.decode(json.dumps(data).encode())
    assert record is None
    return {e.pointer: e.detail for e in errors}


def test_fixture_records_are_valid() -> None:
    for name, cls in (
        ("consignment", Consignment),
        ("order", Order),
        ("payment", Payment),
        ("waybill", Waybill),
    ):
        record, errors = RecordDecoder(cls).decode(json.dumps(fixture_json(f"{name}.json")).encode())
        assert errors == [] and isinstance(record, cls)


def test_money_is_exact_decimal(consignment_data: dict[str, Any]) -> None:
    consignment_data["transaction"]["goods_value"] = "0.1"
    record, _ = DECODER.decode(json.dumps(consignment_data).encode())
    assert record is not None, "expected a record"
    assert str(record.transaction.goods_value) == "0.1"
    # A whole JSON number is exact in every client, and read as written.
    raw = json.dumps(consignment_data).replace('"0.1"', "12").encode()
    record, _ = DECODER.decode(raw)
    assert record is not None and str(record.transaction.goods_value) == "12"


@pytest.mark.parametrize("number", ["0.1", "12.0", "1e3", "1E-2"])
def test_a_json_number_with_a_fraction_or_exponent_is_refused(consignment_data: dict[str, Any], number: str) -> None:
    consignment_data["transaction"]["goods_value"] = "MARK"
    record, errors = DECODER.decode(json.dumps(consignment_data).replace('"MARK"', number).encode())
    assert record is None
    assert [(e.pointer, "send it as text" in e.detail) for e in errors] == [("/transaction/goods_value", True)]


@pytest.mark.parametrize("text", ["1_000", " 1", "1 ", "1e3", "+1", ".5", "1.", "\uff11", "\u0661", "1\n", "NaN"])
def test_amount_text_is_digits_and_a_fraction_only(consignment_data: dict[str, Any], text: str) -> None:
    # Python's Decimal reads every one of these; the documented form is ASCII digits and a fraction.
    consignment_data["items"][0]["quantity"] = text
    consignment_data["transaction"]["goods_value"] = "12.50"  # one error, at the quantity, also
    errors = errors_of(consignment_data)
    assert list(errors) == ["/items/0/quantity"]
    assert errors["/items/0/quantity"].startswith('expected decimal text such as "12.50"')


def test_amount_form_errors_come_with_every_other_failing_field(consignment_data: dict[str, Any]) -> None:
    consignment_data["items"][0]["unit_price"] = "1_000"
    consignment_data["items"][1]["hs_code"] = "61"
    assert set(errors_of(consignment_data)) == {"/items/0/unit_price", "/items/1/hs_code"}


def test_every_failing_field_is_reported_with_its_pointer(consignment_data: dict[str, Any]) -> None:
    consignment_data["transaction"]["order_date"] = 0
    consignment_data["items"][1]["hs_code"] = "61"
    consignment_data["items"][0]["unit_price"] = ""
    del consignment_data["logistics"]["packages"]
    consignment_data["colour"] = "red"
    errors = errors_of(consignment_data)
    assert set(errors) == {
        "/transaction/order_date",
        "/items/1/hs_code",
        "/items/0/unit_price",
        "/logistics/packages",
        "/colour",
    }
    assert "datetime" in errors["/transaction/order_date"]
    assert errors["/logistics/packages"] == "required field is missing"
    assert errors["/colour"] == "unknown field"


@pytest.mark.parametrize(
    ("path", "value", "pointer"),
    [
        (("transaction", "order_date"), 0, "/transaction/order_date"),  # no 0 -> date coercion
        (("transaction", "goods_value"), "", "/transaction/goods_value"),  # no "" -> number coercion
        (("transaction", "order_date"), "2026-11-20T09:15:00", "/transaction/order_date"),  # naive time
        (("logistics", "packages"), "1", "/logistics/packages"),  # no "1" -> int coercion
        (("logistics", "packages"), True, "/logistics/packages"),  # no bool -> int
        (("transaction", "currency"), "eur", "/transaction/currency"),
        (("destination_country", None), "XX", "/destination_country"),
        (("transaction", "currency"), "EUX", "/transaction/currency"),
        (("transaction", "amount_paid"), "-1", "/transaction/amount_paid"),
        (("transaction", "amount_paid"), "NaN", "/transaction/amount_paid"),
        (("transaction", "amount_paid"), "1E+999999", "/transaction/amount_paid"),
        (("transaction", "tax_scheme_id"), "IM9990000015", "/transaction/tax_scheme_id"),
        (("logistics", "transport_document"), "RR123456784CN", "/logistics/transport_document"),
        (("reference", None), "x" * 65, "/reference"),
        (("reference", None), "has space", "/reference"),
    ],
)
def test_strict_field_checks(
    consignment_data: dict[str, Any], path: tuple[str, str | None], value: Any, pointer: str
) -> None:
    outer, inner = path
    if inner is None:
        consignment_data[outer] = value
    else:
        consignment_data[outer][inner] = value
    assert pointer in errors_of(consignment_data)


def test_item_level_checks(consignment_data: dict[str, Any]) -> None:
    consignment_data["items"][1]["line"] = 1
    consignment_data["items"][0]["quantity"] = "0"
    consignment_data["items"][1]["origin_country"] = "ZZ"
    errors = errors_of(consignment_data)
    assert "appears twice" in errors["/items/1/line"]
    assert "greater than 0" in errors["/items/0/quantity"]
    assert "/items/1/origin_country" in errors


def test_party_identifiers(consignment_data: dict[str, Any]) -> None:
    consignment_data["parties"]["platform"]["vat"] = "IE6388047W"
    consignment_data["parties"]["seller"]["eori"] = "1234"
    errors = errors_of(consignment_data)
    assert set(errors) == {"/parties/platform/vat", "/parties/seller/eori"}


def test_malformed_json_is_one_record_error() -> None:
    record, errors = DECODER.decode(b'{"reference": "A",')
    assert record is None and len(errors) == 1
    assert errors[0].pointer == "" and "malformed JSON" in errors[0].detail


def test_a_return_names_what_it_returns(consignment_data: dict[str, Any]) -> None:
    consignment_data["flags"] = {"nature": "return"}
    assert "/flags/return_reference" in errors_of(consignment_data)


def test_pointer_escaping() -> None:
    record, errors = DECODER.decode(b'{"a/b~c": 1}')
    assert record is None
    assert "/a~1b~0c" in {e.pointer for e in errors}


def test_hostile_bytes_become_field_errors() -> None:
    record, errors = DECODER.decode(b'{"reference": "A\xff\xfe"}')
    assert record is None and len(errors) == 1 and "UTF-8" in errors[0].detail
    deep = b'{"reference": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    record, errors = DECODER.decode(deep)
    assert record is None and len(errors) == 1
    assert "nested too deeply" in errors[0].detail or "malformed JSON" in errors[0].detail


@pytest.mark.parametrize(
    ("value", "message"),
    [(" ", "visible character"), ("Anna\x00", "control characters"), ("\t", "visible character")],
)
def test_names_need_visible_text(consignment_data: dict[str, Any], value: str, message: str) -> None:
    consignment_data["parties"]["buyer"]["name"] = value
    assert message in errors_of(consignment_data)["/parties/buyer/name"]


def test_pattern_errors_are_explained(consignment_data: dict[str, Any]) -> None:
    consignment_data["destination_country"] = "de"
    consignment_data["items"][0]["hs_code"] = "12345A"
    errors = errors_of(consignment_data)
    assert errors["/destination_country"] == "expected an ISO 3166-1 alpha-2 country code (two capital letters)"
    assert errors["/items/0/hs_code"] == "expected an HS code of 6, 8 or 10 digits"
