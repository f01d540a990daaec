"""The customs code tables map to real ISO codes and canonical values, and refuse what they lack."""

from __future__ import annotations

from typing import get_args

import pytest

from clearway.dataset.identifiers import COUNTRIES
from clearway.dataset.records import TransportMode
from clearway.messages.cn import codes
from clearway.messages.cn.countries import CUSTOMS_COUNTRIES, ONE_SOURCE


def test_every_customs_country_code_maps_to_an_iso_country() -> None:
    assert set(CUSTOMS_COUNTRIES.values()) <= COUNTRIES
    assert all(len(code) == 3 and code.isdigit() for code in CUSTOMS_COUNTRIES)
    assert not CUSTOMS_COUNTRIES.keys() & codes.NOT_A_COUNTRY.keys()
    assert CUSTOMS_COUNTRIES.keys() >= ONE_SOURCE
    assert len(CUSTOMS_COUNTRIES) > 200


@pytest.mark.parametrize(
    ("code", "iso"),
    [("110", "HK"), ("116", "JP"), ("133", "KR"), ("142", "CN"), ("143", "TW"), ("303", "GB"), ("304", "DE"),
     ("305", "FR"), ("307", "IT"), ("309", "NL"), ("312", "ES"), ("331", "CH"), ("344", "RU"), ("501", "CA"),
     ("502", "US"), ("601", "AU"), ("609", "NZ"), ("141", "VN"), ("132", "SG")],
)  # fmt: skip
def test_the_common_trading_partners(code: str, iso: str) -> None:
    assert codes.country(code) == iso


def test_the_currency_table_corroborates_the_country_codes() -> None:
    # [CC-2]: the customs currency codes are the issuing countries' codes.
    currencies = {"110": "HK", "116": "JP", "122": "MY", "132": "SG", "136": "TH", "142": "CN", "302": "DK",
                  "303": "GB", "326": "NO", "330": "SE", "331": "CH", "501": "CA", "502": "US", "601": "AU",
                  "609": "NZ"}  # fmt: skip
    assert {code: CUSTOMS_COUNTRIES[code] for code in currencies} == currencies


def test_units_fit_the_canonical_unit_and_say_what_they_measure() -> None:
    assert all(1 <= len(unit) <= 8 for unit in codes.UNITS.values())
    assert [codes.unit(c) for c in ("007", "011", "035", "122", "142")] == ["pcs", "pcs", "kg", "can", "bottle"]
    assert codes.KILOGRAMS_PER_UNIT.keys() <= codes.UNITS.keys()


def test_transport_modes_are_canonical_modes() -> None:
    assert set(codes.TRANSPORT_MODES.values()) <= set(get_args(TransportMode))
    assert not codes.TRANSPORT_MODES.keys() & codes.NOT_A_TRANSPORT_MODE.keys()


def test_only_the_renminbi_is_a_currency_of_the_import_messages() -> None:
    assert codes.currency("142") == "CNY"
    for code in ("CNY", "156", "502", "", "1420"):
        with pytest.raises(codes.Refused, match=f"currency '{code}' is refused"):
            codes.currency(code)
