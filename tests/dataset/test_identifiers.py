from __future__ import annotations

from decimal import Decimal

import pytest

from clearway.dataset.identifiers import (
    currency_exponent,
    currency_quantum,
    invalid_eori,
    invalid_s10,
    invalid_tax_scheme_id,
    invalid_vat,
    s10_check_digit,
    unknown_country,
    unknown_currency,
)


@pytest.mark.parametrize(
    ("serial", "check"),
    [
        # weighted sums by hand with weights 8 6 4 2 3 5 9 7; check = 11 - sum mod 11, 10 -> 0, 11 -> 5
        ("47312482", 9),  # sum 200, 200 mod 11 = 2 -> 9
        ("12345678", 5),  # sum 231 = 21 * 11 -> 11 -> 5
        ("00000000", 5),  # sum 0 -> 11 -> 5
        ("10000000", 3),  # sum 8 -> 3
        ("00000001", 4),  # sum 7 -> 4
        ("00000020", 4),  # sum 18, 18 mod 11 = 7 -> 4
        ("00004000", 0),  # sum 12, 12 mod 11 = 1 -> 10 -> 0
    ],
)
def test_s10_check_digit(serial: str, check: int) -> None:
    assert s10_check_digit(serial) == check


@pytest.mark.parametrize(
    ("item_id", "ok"),
    [
        ("RR123456785CN", True),
        ("RR123456784CN", False),  # wrong check digit
        ("RR12345678CN", False),  # too short
        ("RR123456785XX", False),  # not a country
        ("rr123456785CN", False),  # lower case service indicator
    ],
)
def test_s10_item_ids(item_id: str, ok: bool) -> None:
    assert (invalid_s10(item_id) is None) is ok


@pytest.mark.parametrize(
    ("eori", "ok"),
    [
        ("DE1234567", True),
        ("GB123456789000", True),
        ("XI123456789000", True),
        ("D1234", False),
        ("QQ123", False),
        ("DE" + "1" * 16, False),
    ],
)
def test_eori_shape(eori: str, ok: bool) -> None:
    assert (invalid_eori(eori) is None) is ok


@pytest.mark.parametrize(
    ("number", "ok"),
    [("IM3720000015", True), ("IM9990000015", False), ("IM37200000", False), ("ABN12345", True)],
)
def test_tax_scheme_ids(number: str, ok: bool) -> None:
    # Only IOSS has a testable shape; other schemes pass here and are checked against registries.
    assert (invalid_tax_scheme_id(number) is None) is ok


def test_vat_numbers_use_stdnum_check_digits() -> None:
    assert invalid_vat("IE6388047V") is None
    message = invalid_vat("IE6388047W")
    assert message is not None and "IE6388047W" in message


def test_codes() -> None:
    assert unknown_country("DE") is None and unknown_country("XX") is not None
    assert unknown_currency("EUR") is None and unknown_currency("EUX") is not None


@pytest.mark.parametrize(
    ("currency", "digits", "quantum"),
    [("EUR", 2, "0.01"), ("JPY", 0, "1"), ("KRW", 0, "1"), ("KWD", 3, "0.001"), ("CNY", 2, "0.01")],
)
def test_currency_precision(currency: str, digits: int, quantum: str) -> None:
    assert currency_exponent(currency) == digits
    assert currency_quantum(currency) == Decimal(quantum)
