"""Where the law places a destination: customs territory and VAT territory, not the country list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from clearway.dataset.records import Consignment
from clearway.jurisdictions import Catalogue
from clearway.jurisdictions.territories import Territories
from clearway.revenue.context import RevenueError, Sources
from clearway.revenue.declared import shipment_for
from clearway.revenue.engine import assess
from clearway.revenue.model import Goods, Shipment
from clearway.revenue.quote import QuoteDecoder
from clearway.revenue.rates import EcbRates
from clearway.revenue.schemes import RegistrySnapshot
from clearway.revenue.tariff import TariffBook

CATALOGUE = Catalogue.load()
SOURCES = Sources(rates=EcbRates(), tariff=TariffBook(), registry=RegistrySnapshot())
DAY = dt.date(2025, 3, 3)


def _shipment(destination: str, origin: str = "CN", postcode: str | None = None, **extra: Any) -> Shipment:
    return Shipment(
        destination=destination,
        as_of=extra.pop("as_of", DAY),
        currency=extra.pop("currency", "EUR"),
        origin_country=origin,
        items=[
            Goods(
                line=1, description="t-shirt", hs_code="610910", quantity=Decimal(1),
                unit_value=Decimal(100), origin="CN", duty_rate=Decimal("0.12"),
            )
        ],
        destination_postcode=postcode,
        **extra,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("code", "postcode", "assessed_as", "customs", "vat"),
    [
        ("MC", None, "FR", "EU", "EU"),
        ("FR", "98000", "FR", "EU", "EU"),
        ("FR", "75001", "FR", "EU", "EU"),
        ("DE", "78266", "CH", "CH", "CH"),
        ("LI", None, "CH", "CH", "CH"),
        ("IC", None, "ES", "EU", "IC"),
        ("ES", "35001", "ES", "EU", "IC"),
        ("ES", "38700", "ES", "EU", "IC"),
        ("ES", "28001", "ES", "EU", "EU"),
        ("AX", None, "FI", "EU", "AX"),
        ("FI", "AX-22100", "FI", "EU", "AX"),
        ("GP", None, "FR", "EU", "GP"),
        ("FR", "97400", "FR", "EU", "RE"),
        ("GR", "630 86", "GR", "EU", "athos"),
        ("IT", "22061", "IT", "EU", "campione"),
        ("XI", None, "GB", "EU", "EU"),
        ("GB", "BT1 1AA", "GB", "EU", "EU"),
        ("GB", "SW1A 1AA", "GB", "GB", "GB"),
        ("IM", None, "GB", "GB", "GB"),
    ],
)
def test_a_place_is_where_the_law_puts_it(
    code: str, postcode: str | None, assessed_as: str, customs: str, vat: str
) -> None:
    place = CATALOGUE.locate(code, postcode, DAY)
    assert (place.assessed_as, place.customs, place.vat) == (assessed_as, customs, vat)
    assert place.refusal is None
    if place.territory is not None:
        assert place.territory.reference


@pytest.mark.parametrize(
    ("code", "postcode", "name"),
    [
        ("XC", None, "Ceuta"),
        ("ES", "51001", "Ceuta"),
        ("XL", None, "Melilla"),
        ("ES", "52006", "Melilla"),
        ("DE", "27498", "Heligoland"),
        ("JE", None, "Channel Islands"),
        ("GB", "GY1 1AA", "Channel Islands"),
        ("SM", None, "San Marino"),
        ("AD", None, "Andorra"),
        ("PF", None, "overseas"),
        ("FR", "98714", "overseas"),
    ],
)
def test_a_place_no_one_assesses_is_refused_saying_why(code: str, postcode: str | None, name: str) -> None:
    with pytest.raises(RevenueError) as caught:
        assess(_shipment(code, postcode=postcode), CATALOGUE, SOURCES)
    assert name in str(caught.value)
    assert "UCC" in str(caught.value) or "VAT" in str(caught.value)
    assert caught.value.pointer == ("/destination_postcode" if postcode else "/destination")


def test_campione_joined_the_customs_territory_on_1_january_2020() -> None:
    with pytest.raises(RevenueError, match="before 1 January 2020"):
        assess(_shipment("IT", postcode="22061", as_of=dt.date(2019, 12, 31)), CATALOGUE, SOURCES)
    after = assess(_shipment("IT", postcode="22061", as_of=dt.date(2021, 1, 4)), CATALOGUE, SOURCES)
    assert not after.complete and after.tax is None  # Campione's local tax: due, not computed
    assert any("Campione" in m for m in after.missing)


@pytest.mark.parametrize(
    ("origin", "destination", "kind"),
    [
        ("FR", "DE", "no_import"),
        ("MC", "FR", "no_import"),
        ("FR", "XI", "no_import"),
        ("GB", "XI", "no_import"),
        ("XI", "GB", "no_import"),
        ("GB", "GB", "no_import"),
        ("CH", "LI", "no_import"),
        ("IC", "ES", "fiscal_import"),
        ("ES", "IC", "fiscal_import"),
        ("FI", "AX", "fiscal_import"),
        ("JE", "GB", "fiscal_import"),
        ("CN", "FR", "import"),
        ("XC", "ES", "import"),
        ("GB", "FR", "import"),
        ("DE", "CH", "import"),
        ("CN", "XI", "import"),
    ],
)
def test_a_movement_within_one_customs_territory_is_not_a_customs_import(
    origin: str, destination: str, kind: str
) -> None:
    places = [CATALOGUE.locate(code, None, DAY) for code in (origin, destination)]
    assert CATALOGUE.territories.movement(*places).kind == kind


def test_an_intra_union_movement_assesses_nothing_and_says_why() -> None:
    a = assess(_shipment("DE", "FR", currency="USD"), CATALOGUE, SOURCES)
    assert (a.duty, a.tax, a.total) == (Decimal(0), Decimal(0), Decimal(0))
    assert (a.collection_model, a.complete) == ("none", True)
    [line] = [line for line in a.lines if line.kind != "info"]
    assert line.code == "territory.intra_union" and "One-Stop Shop" in line.description
    assert "Art. 5(23)" in line.reference and "Art. 201" in line.reference


@pytest.mark.parametrize("postcode", ["7826", "782666", "7826 6", "78266x", "DE-78266", "BT1 1AA"])
def test_a_postcode_not_in_the_country_format_places_nothing(postcode: str) -> None:
    # A malformed postcode never moves the destination into a special (lower-tax) territory: it is
    # assessed as Germany, with a warning.
    a = assess(_shipment("DE", postcode=postcode), CATALOGUE, SOURCES)
    assert a.jurisdiction == "EU" and a.tax is not None and a.tax > 0
    assert "postcode_not_recognised" in {w.code for w in a.warnings}
    # Nor is the result complete: whether the place is Büsingen (Swiss VAT) cannot be told.
    assert not a.complete and any("cannot be told" in m for m in a.missing)


@pytest.mark.parametrize(
    ("postcode", "place", "refused"),
    [("97133", "french_overseas_countries", True), ("97150", "saint_martin", False), ("97100", "guadeloupe", False)],
)
def test_the_most_specific_postcode_pattern_places_the_parcel(postcode: str, place: str, refused: bool) -> None:
    # 97133 (Saint-Barthélemy, outside the Union's customs territory) and 97150 (Saint-Martin) also
    # fit Guadeloupe's 971xx: the postcode written out wins over the range.
    found = CATALOGUE.locate("FR", postcode, DAY)
    assert found.territory is not None and found.territory.key == place
    assert (found.refusal is not None) == refused


def test_a_postcode_shared_with_livigno_leaves_the_result_incomplete() -> None:
    a = assess(_shipment("IT", postcode="23030"), CATALOGUE, SOURCES)
    assert a.jurisdiction == "EU" and not a.complete
    assert any("Livigno" in m for m in a.missing)


@pytest.mark.parametrize(
    ("field", "value"),
    [("destination", "mc"), ("destination", "EU"), ("destination", "ZZ"), ("origin_country", "EU"),
     ("destination", "MCO"), ("destination_postcode", "78266\n"), ("destination_postcode", " 78266"),
     ("destination_postcode", "")],
)  # fmt: skip
def test_look_alike_codes_and_postcodes_are_refused_by_the_request(field: str, value: str) -> None:
    raw = {
        "destination": "FR", "as_of": "2025-03-03", "currency": "EUR", "origin_country": "CN",
        "items": [{"description": "t-shirt", "hs_code": "610910", "quantity": "1", "unit_value": "10", "origin": "CN"}],
    }  # fmt: skip
    raw[field] = value
    request, errors = QuoteDecoder().convert(raw)
    assert request is None and [e.pointer for e in errors] == [f"/{field}"]


def test_the_eus_territory_codes_are_accepted_by_the_request() -> None:
    for code in ("XI", "IC", "XC", "XL"):
        raw = {
            "destination": code, "as_of": "2025-03-03", "currency": "EUR", "origin_country": "IC",
            "items": [{"description": "t", "hs_code": "610910", "quantity": "1", "unit_value": "10", "origin": "CN"}],
        }  # fmt: skip
        request, errors = QuoteDecoder().convert(raw)
        assert request is not None, errors


def test_an_ioss_number_does_not_cover_a_place_outside_the_vat_territory() -> None:
    a = assess(_shipment("AX", tax_scheme_id="IM2460000001"), CATALOGUE, SOURCES)
    assert "tax_scheme_not_applicable" in {w.code for w in a.warnings}
    assert a.collection_model != "vendor"


def test_a_declaration_is_placed_by_its_consignees_postcode(consignment_data: dict[str, Any]) -> None:
    consignment_data["parties"]["buyer"]["address"]["postcode"] = "78266"
    record = msgspec.convert(consignment_data, Consignment)
    shipment = shipment_for(record, DAY)
    assert shipment.destination_postcode == "78266"
    assert CATALOGUE.locate(shipment.destination, shipment.destination_postcode, DAY).assessed_as == "CH"
    # An address in another country than the destination places nothing.
    consignment_data["parties"]["buyer"]["address"]["country"] = "AT"
    assert shipment_for(msgspec.convert(consignment_data, Consignment), DAY).destination_postcode is None


def test_every_code_names_one_territory_and_every_assessed_territory_has_its_jurisdiction() -> None:
    table = Territories.load()
    for territory in table.territories.values():
        assert territory.reference
        if territory.assessed_as is not None:
            CATALOGUE.resolve(territory.assessed_as)
        else:
            assert territory.refusal
        if territory.tax == "not_computed":
            assert territory.local_tax


def test_a_declaration_from_a_seller_in_the_destination_country_is_still_an_import(
    consignment_data: dict[str, Any],
) -> None:
    # The abuse: a declaration naming a seller in the destination's own customs territory must not
    # turn an import into "no import" - a declaration names the seller, not where the goods left from.
    destination = consignment_data["destination_country"]
    consignment_data["parties"]["seller"]["country"] = destination
    if consignment_data["parties"]["seller"].get("address"):
        consignment_data["parties"]["seller"]["address"]["country"] = destination
    record = msgspec.convert(consignment_data, Consignment)
    assessment = assess(shipment_for(record, DAY), CATALOGUE, SOURCES)
    codes = [line.code for line in assessment.lines]
    assert "territory.intra_union" not in codes and "territory.domestic" not in codes
    assert assessment.lines and any(line.kind in ("tax", "duty") for line in assessment.lines)
    # The same movement quoted from inside the territory is no import.
    quoted = assess(
        _shipment(destination, origin=destination, currency=record.transaction.currency), CATALOGUE, SOURCES
    )
    assert any(line.code.startswith("territory.") for line in quoted.lines) and quoted.total == 0


@pytest.mark.parametrize(
    ("origin", "origin_postcode", "destination", "destination_postcode"),
    [("GB", None, "GB", "BT1 1AA"), ("GB", "BT1 1AA", "GB", "SW1A 1AA"), ("GB", None, "XI", None)],
)
def test_northern_ireland_is_the_same_place_by_its_code_or_its_postcode(
    origin: str, origin_postcode: str | None, destination: str, destination_postcode: str | None
) -> None:
    here = CATALOGUE.locate(origin, origin_postcode, DAY)
    there = CATALOGUE.locate(destination, destination_postcode, DAY)
    assert CATALOGUE.territories.movement(here, there).code == "territory.uk_internal_market"
