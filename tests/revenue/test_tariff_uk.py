"""The UK Trade Tariff importer on a real API response (commodity 0101210000, all duties 0 %) and
on small documents in the same shape for what that response does not have (compound duties, units,
quotas, exclusions, minus)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from clearway.revenue.tariff import DutyTerm, TariffBook
from clearway.revenue.tariff_uk import UkTariffError, measures_from_uk_tariff, read_uk_tariff
from tests.conftest import REFERENCE_DATA

FIXTURE = REFERENCE_DATA / "uk-tariff-fixture" / "commodity_0101210000.json"
CODE = "0101210000"
D = Decimal


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text(), parse_float=Decimal)
    return data


def test_fixture_duty_measures_are_kept_and_the_rest_counted(document: dict[str, Any]) -> None:
    result = read_uk_tariff(document, source="fixture")
    # 36 import measures: 29 of series C (103 once, 142 28 times); 7 others (410 x2, 109, 305, 350, 728, 750).
    assert result.code == CODE
    assert len(result.measures) == 27
    assert result.ignored == 7
    # Ceuta (XC) and Melilla (XL) are TARIC areas with no ISO code a declaration could give.
    assert [(s.measure_id, s.measure_type) for s in result.skipped] == [("20126145", "142"), ("20126257", "142")]
    assert all("no ISO 3166 country" in s.reason for s in result.skipped)
    assert {m.measure_type for m in result.measures} == {"third_country", "preference"}
    assert all(m.jurisdiction == "GB" and m.code == CODE and m.source == "fixture" for m in result.measures)
    assert measures_from_uk_tariff(document, source="fixture") == result.measures


def test_fixture_third_country_duty(document: dict[str, Any]) -> None:
    [third_country] = [m for m in measures_from_uk_tariff(document, source="f") if m.measure_type == "third_country"]
    assert third_country.origins is None  # erga omnes (1011)
    assert third_country.terms == [DutyTerm(kind="ad_valorem", amount=D("0.0"))]
    assert third_country.expression == "0.00 %"
    assert third_country.start == dt.date(2021, 1, 1)
    assert third_country.end is None
    assert third_country.reference == "C2100001"


def test_fixture_group_origins_are_expanded_to_iso_countries(document: dict[str, Any]) -> None:
    by_origins = {tuple(m.origins or ()): m for m in measures_from_uk_tariff(document, source="f")}
    cariforum = ("AG", "BB", "BS", "BZ", "DM", "DO", "GD", "GY", "JM", "KN", "LC", "TT", "VC")  # group 1033
    assert by_origins[cariforum].measure_type == "preference"
    assert by_origins[cariforum].reference == "C2100006"
    european_union = next(origins for origins in by_origins if "DE" in origins)  # group 1013
    assert len(european_union) == 27 and "FR" in european_union and "EU" not in european_union
    assert ("JP",) in by_origins and ("TR",) in by_origins


def test_fixture_preference_dates_apply_in_the_book(document: dict[str, Any]) -> None:
    book = TariffBook(measures_from_uk_tariff(document, source="f"))
    turkey_from = dt.date(2021, 1, 20)
    assert book.find("GB", CODE, "TR", turkey_from).measure_type == "preference"  # type: ignore[union-attr]
    assert book.find("GB", CODE, "TR", turkey_from - dt.timedelta(days=1)).measure_type == "third_country"  # type: ignore[union-attr]
    assert book.find("GB", CODE, "CN", turkey_from).measure_type == "third_country"  # type: ignore[union-attr]
    assert book.find("GB", CODE, "JM", dt.date(2020, 12, 31)) is None  # before the UK tariff began


def test_fixture_without_decimal_parsing_still_gives_exact_amounts() -> None:
    document = json.loads(FIXTURE.read_text())  # duty_amount as float 0.0
    [third_country] = [m for m in measures_from_uk_tariff(document, source="f") if m.measure_type == "third_country"]
    assert third_country.terms[0].amount == D("0.0")


# -- documents built in the API's shape ----------------------------------------------------------


def ref(kind: str, ident: str) -> dict[str, str]:
    return {"id": ident, "type": kind}


def component(
    expression_id: str,
    amount: Any,
    abbreviation: str,
    currency: str | None = None,
    unit: str | None = None,
    qualifier: str | None = None,
) -> dict[str, Any]:
    return {
        "duty_expression_id": expression_id,
        "duty_amount": amount,
        "monetary_unit_code": currency,
        "measurement_unit_code": unit,
        "measurement_unit_qualifier_code": qualifier,
        "duty_expression_abbreviation": abbreviation,
    }


def build(*measures: dict[str, Any], areas: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """A commodity document with the given measures (keys: id, type, area, components, ...)."""
    included: list[dict[str, Any]] = [
        {"id": t, "type": "measure_type", "attributes": {"measure_type_series_id": s}}
        for t, s in {"103": "C", "112": "C", "142": "C", "143": "C", "305": "P", "552": "D", "999": "C"}.items()
    ]
    for area, members in (areas or {}).items():
        links = {"children_geographical_areas": {"data": [ref("geographical_area", c) for c in members]}}
        included.append({"id": area, "type": "geographical_area", "relationships": links})
    for m in measures:
        components = m.get("components", [])
        for i, c in enumerate(components):
            included.append({"id": f"{m['id']}-{i}", "type": "measure_component", "attributes": c})
        included.append({"id": f"{m['id']}-de", "type": "duty_expression", "attributes": {"base": m.get("base", "")}})
        relationships: dict[str, dict[str, Any]] = {
            "measure_type": {"data": ref("measure_type", m["type"])},
            "geographical_area": {"data": ref("geographical_area", m.get("area", "1011"))},
            "excluded_countries": {"data": [ref("geographical_area", e) for e in m.get("excluded", [])]},
            "measure_components": {
                "data": [ref("measure_component", f"{m['id']}-{i}") for i in range(len(components))]
            },
            "duty_expression": {"data": ref("duty_expression", f"{m['id']}-de")},
            "legal_acts": {"data": [ref("legal_act", a) for a in m.get("acts", ["R1"])]},
            "order_number": {"data": ref("order_number", m["quota"]) if "quota" in m else None},
        }
        attributes = {
            "effective_start_date": m.get("start", "2021-01-01T00:00:00.000Z"),
            "effective_end_date": m.get("end"),
            "import": True,
        }
        included.append({"id": m["id"], "type": "measure", "attributes": attributes, "relationships": relationships})
    data = {
        "id": "1",
        "type": "commodity",
        "attributes": {"goods_nomenclature_item_id": "0406109000"},
        "relationships": {"import_measures": {"data": [ref("measure", m["id"]) for m in measures]}},
    }
    return {"data": data, "included": included}


def test_compound_duty_with_max_and_specific_units() -> None:
    compound = [  # listed out of order: duty expressions are sorted by id
        component("17", D("18.9"), "MAX"),
        component("01", D("12.8"), "%"),
        component("19", D("18.7"), "+", "GBP", "DTN"),
        component("04", D("176.8"), "+", "GBP", "DTN"),
    ]
    base = "12.80 % + 176.80 GBP / 100 kg MAX 18.90 % + 18.70 GBP / 100 kg"
    doc = build({"id": "1", "type": "103", "components": compound, "base": base, "end": "2023-12-31T23:59:59.000Z"})
    [m] = measures_from_uk_tariff(doc, source="s")
    assert m.terms == [
        DutyTerm(kind="ad_valorem", amount=D("12.8")),
        DutyTerm(kind="specific", amount=D("176.8"), currency="GBP", unit="100kg"),
        DutyTerm(op="max", kind="ad_valorem", amount=D("18.9")),
        DutyTerm(kind="specific", amount=D("18.7"), currency="GBP", unit="100kg"),
    ]
    assert m.expression == base and m.code == "0406109000"
    assert m.end == dt.date(2023, 12, 31)


@pytest.mark.parametrize(
    ("unit", "expected"), [("KGM", "kg"), ("DTN", "100kg"), ("NAR", "item"), ("LTR", "l"), ("MIL", "1000items")]
)
def test_units(unit: str, expected: str) -> None:
    doc = build({"id": "1", "type": "103", "components": [component("01", 176.8, "%", "GBP", unit)]})
    [m] = measures_from_uk_tariff(doc, source="s")
    assert m.terms == [DutyTerm(kind="specific", amount=D("176.8"), currency="GBP", unit=expected)]  # type: ignore[arg-type]


def test_minimum_and_minus() -> None:
    parts = [component("01", 10, "%"), component("02", 1, "-", "EUR", "NAR"), component("15", 2, "MIN", "EUR", "NAR")]
    [m] = measures_from_uk_tariff(build({"id": "1", "type": "103", "components": parts}), source="s")
    assert m.terms == [
        DutyTerm(kind="ad_valorem", amount=D(10)),
        DutyTerm(kind="specific", amount=D(-1), currency="EUR", unit="item"),
        DutyTerm(op="min", kind="specific", amount=D(2), currency="EUR", unit="item"),
    ]


@pytest.mark.parametrize(
    ("parts", "reason"),
    [
        ([component("01", 10, "%", "GBP", "TNE")], "per TNE"),  # per tonne
        ([component("01", 10, "%", "GBP", "DTN", "E")], "per DTNE"),  # drained net weight
        ([component("01", 10, "%"), component("12", 0, "+ EA")], "expression 12"),  # agricultural component
        ([component("01", 10, "%", None, "ASV")], "per ASV"),  # % vol without money
        ([], "no duty components"),  # a duty set by conditions
    ],
)
def test_what_cannot_be_computed_is_skipped_with_its_reason(parts: list[dict[str, Any]], reason: str) -> None:
    result = read_uk_tariff(build({"id": "7", "type": "103", "components": parts}), source="s")
    assert result.measures == []
    assert [s.measure_id for s in result.skipped] == ["7"] and reason in result.skipped[0].reason


def test_measure_types_quotas_and_what_is_not_a_duty() -> None:
    zero = [component("01", 0, "%")]
    doc = build(
        {"id": "1", "type": "143", "area": "CA", "components": zero, "quota": "051234"},
        {"id": "2", "type": "142", "area": "CA", "components": zero, "quota": "051235"},
        {"id": "3", "type": "112", "components": zero},
        {"id": "4", "type": "305", "components": [component("01", 20, "%")]},  # VAT
        {"id": "5", "type": "552", "components": [component("01", 30, "%")]},  # anti-dumping
        {"id": "6", "type": "999", "components": zero},  # a series C type Clearway does not know
    )
    result = read_uk_tariff(doc, source="s")
    assert [m.measure_type for m in result.measures] == ["quota", "quota", "suspension"]
    assert result.ignored == 2
    assert [(s.measure_id, s.measure_type) for s in result.skipped] == [("6", "999")]


def test_origins_groups_exclusions_and_taric_codes() -> None:
    zero = [component("01", 0, "%")]
    areas = {
        "1011": ["CN", "US", "RU", "BY"],
        "2020": ["AL", "XS", "XK", "1099"],
        "1099": ["ME", "MK"],
        "1098": ["RU", "BY"],
    }
    doc = build(
        {"id": "1", "type": "103", "components": zero, "excluded": ["1098"]},  # erga omnes less two countries
        {"id": "2", "type": "142", "area": "2020", "components": zero, "excluded": ["AL"]},  # a group holding a group
        {"id": "3", "type": "142", "area": "XS", "components": zero},
        areas=areas,
    )
    first, second, third = measures_from_uk_tariff(doc, source="s")
    assert first.origins == ["CN", "US"]
    assert second.origins == ["ME", "MK", "RS"]  # XS is Serbia's RS; XK (Kosovo) has no ISO code
    assert third.origins == ["RS"]


def test_a_group_whose_members_are_missing_is_skipped() -> None:
    doc = build({"id": "1", "type": "142", "area": "2027", "components": [component("01", 0, "%")]})
    result = read_uk_tariff(doc, source="s")
    assert result.measures == [] and "members of geographical area 2027" in result.skipped[0].reason


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"errors": [{"detail": "not found"}]}, "not a UK Trade Tariff v2 commodity"),
        (
            build() | {"data": build()["data"] | {"attributes": {"goods_nomenclature_item_id": "0101"}}},
            "not a 10-digit",
        ),
        (
            {"data": build({"id": "9", "type": "103"})["data"]},
            "measure 9 is listed under import_measures but not included",
        ),
    ],
)
def test_not_a_commodity_document(document: dict[str, Any], message: str) -> None:
    with pytest.raises(UkTariffError, match=message):
        read_uk_tariff(document, source="s")


def test_a_malformed_measure_or_date_is_an_error() -> None:
    doc = build({"id": "1", "type": "103", "components": [component("01", 0, "%")]})
    [record] = [item for item in doc["included"] if item["type"] == "measure"]
    record["attributes"]["effective_start_date"] = "01/01/2021"
    with pytest.raises(UkTariffError, match="'01/01/2021' is not a date"):
        read_uk_tariff(doc, source="s")
    del record["attributes"]
    with pytest.raises(UkTariffError, match=r"import measure .* is malformed"):
        read_uk_tariff(doc, source="s")
