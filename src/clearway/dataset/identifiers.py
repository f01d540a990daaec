"""Identifier checks: ISO 3166 countries, ISO 4217 currencies, HS codes, UPU S10, EORI, IOSS, VAT.

Each check is a small function named for what it tests that returns an error message or ``None``;
the record validator turns a message into a field error with its JSON pointer.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

import pycountry
from stdnum import vatin
from stdnum.eu import oss
from stdnum.exceptions import ValidationError as StdnumError

COUNTRIES: frozenset[str] = frozenset(c.alpha_2 for c in pycountry.countries)
CURRENCIES: frozenset[str] = frozenset(c.alpha_3 for c in pycountry.currencies)
# An IOSS number: "IM", the member state's ISO 3166-1 numeric code, 7 digits (no check digit).
IOSS_MEMBER_STATES: frozenset[str] = frozenset(oss.ISO_3166_1_MEMBER_STATES)
_IOSS = re.compile("IM(" + "|".join(sorted(IOSS_MEMBER_STATES)) + ")[0-9]{7}")

# ISO 4217 minor units. Two decimals is the rule; these are the exceptions among active currencies
# (ISO 4217 list one, "Minor unit" column). pycountry does not carry the column.
_ZERO_DECIMALS = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "UYI",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
_THREE_DECIMALS = frozenset(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"])
_FOUR_DECIMALS = frozenset(["CLF", "UYW"])

# EU EORI: the issuing member state's ISO code and up to 15 alphanumerics (Regulation (EU)
# 2015/2447 art. 7 and the EORI specification); GB/XI numbers follow the same shape.
_EORI = re.compile(r"^[A-Z]{2}[A-Z0-9]{1,15}$")
# UPU S10: two service letters, an 8-digit serial, a check digit, the issuing country (UPU S10-12).
_S10 = re.compile(r"^([A-Z]{2})([0-9]{8})([0-9])([A-Z]{2})$")


def currency_exponent(currency: str) -> int:
    """Number of minor-unit digits of an ISO 4217 currency."""
    if currency in _ZERO_DECIMALS:
        return 0
    if currency in _THREE_DECIMALS:
        return 3
    if currency in _FOUR_DECIMALS:
        return 4
    return 2


@lru_cache(maxsize=512)
def currency_quantum(currency: str) -> Decimal:
    """The smallest amount of a currency, e.g. Decimal('0.01') for EUR, Decimal('1') for JPY."""
    return Decimal(1).scaleb(-currency_exponent(currency))


def unknown_country(code: str) -> str | None:
    return None if code in COUNTRIES else f"'{code}' is not an ISO 3166-1 alpha-2 country code"


def unknown_currency(code: str) -> str | None:
    return None if code in CURRENCIES else f"'{code}' is not an ISO 4217 currency code"


def s10_check_digit(serial: str) -> int:
    """Check digit of an 8-digit S10 serial number (UPU standard S10, section 5.2)."""
    d = [ord(ch) - 48 for ch in serial]
    total = 8 * d[0] + 6 * d[1] + 4 * d[2] + 2 * d[3] + 3 * d[4] + 5 * d[5] + 9 * d[6] + 7 * d[7]
    check = 11 - total % 11
    if check == 10:
        return 0
    if check == 11:
        return 5
    return check


def invalid_s10(item_id: str) -> str | None:
    match = _S10.match(item_id)
    if match is None:
        return f"'{item_id}' is not a UPU S10 item id (2 letters, 8 digits, check digit, country)"
    _, serial, check, country = match.groups()
    if s10_check_digit(serial) != int(check):
        return f"'{item_id}' has a wrong S10 check digit (expected {s10_check_digit(serial)})"
    if country not in COUNTRIES:
        return f"'{item_id}' ends in '{country}', which is not an ISO country code"
    return None


@lru_cache(maxsize=65536)
def invalid_eori(eori: str) -> str | None:
    if not _EORI.match(eori):
        return f"'{eori}' is not an EORI number (country code and up to 15 letters or digits)"
    if eori[:2] not in COUNTRIES and eori[:2] != "XI":
        return f"'{eori}' does not start with an ISO country code"
    return None


@lru_cache(maxsize=65536)
def invalid_vat(number: str) -> str | None:
    """A VAT number with its country prefix, checked by python-stdnum (format and check digits)."""
    try:
        vatin.validate(number)
    except StdnumError as exc:
        return f"'{number}' is not a valid VAT number: {exc}"
    return None


@lru_cache(maxsize=65536)
def invalid_tax_scheme_id(number: str) -> str | None:
    """Shape check of the registration used at checkout.

    Only the EU IOSS number (``IM`` + member state code + 7 digits) has a shape we can test here
    without a registry; the other schemes (VOEC, ABN/ARN, UK VAT, OVR) are checked against the
    registries that the revenue engine loads.
    """
    # Written as the register prints it: stdnum's own check would also take "IM 372 0000015".
    if number.startswith("IM") and not _IOSS.fullmatch(number):
        return f"'{number}' is not a valid IOSS number: IM, a member state's numeric code and 7 digits"
    return None
