"""ICS2 house-level filing (IE3F22) in: each house consignment is exactly its PLACI twin, each fault
named by XPath and pointer."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from clearway.dataset.decode import RecordDecoder
from clearway.messages.eu.ics2 import Ics2HouseAdapter
from clearway.messages.model import MessageError
from clearway.messages.registry import adapter_for
from clearway.risk.preloading import PlaciFiling, placi_errors

EU = Path(__file__).resolve().parents[2] / "fixtures" / "messages" / "eu"
DECODER = RecordDecoder(PlaciFiling, placi_errors)
ADAPTER = Ics2HouseAdapter()
HOUSES = ("HAWB0001", "HAWB0002")
HOUSE_1 = "/IE3F22/consignmentMasterLevel/consignmentHouseLevel[1]"
HOUSE_2 = "/IE3F22/consignmentMasterLevel/consignmentHouseLevel[2]"


def fixture(name: str) -> bytes:
    return (EU / name).read_bytes()


def twin(house: str) -> PlaciFiling:
    record, errors = DECODER.decode(fixture(f"preloading-{house}.json"))
    assert errors == [] and record is not None
    return record


def test_each_house_maps_exactly_to_its_placi_twin() -> None:
    results = ADAPTER.parse(fixture("ics2-IE3F22-2-houses.xml"))
    assert [(m.index, m.message_type, m.kind, m.message_id, m.sender) for m in results] == [
        (1, "IE3F22", "preloading", HOUSES[0], "DE123456789012345"),
        (2, "IE3F22", "preloading", HOUSES[1], "DE123456789012345"),
    ]
    for mapped, house in zip(results, HOUSES, strict=True):
        assert mapped.ok, mapped.errors
        assert DECODER.convert(mapped.record) == (twin(house), [])


def test_every_origin_is_an_xpath_to_an_element_of_the_document() -> None:
    data = fixture("ics2-IE3F22-2-houses.xml")
    root = etree.fromstring(data)
    for mapped in ADAPTER.parse(data):
        for pointer, where in mapped.origins.items():
            found = root.xpath(where)
            assert isinstance(found, list) and len(found) == 1, (pointer, where)
        assert mapped.origins["/master_waybill"].endswith("/transportDocumentMasterLevel/documentNumber")
    first = ADAPTER.parse(data)[0]
    assert first.origins["/gross_weight_kg"] == f"{HOUSE_1}/totalGrossMass"


@pytest.mark.parametrize(
    ("name", "bad", "errors"),
    [
        (
            "ics2-comma-decimal.xml",
            1,
            (
                MessageError(
                    f"{HOUSE_1}/totalGrossMass",
                    "'0,750' uses a comma as its decimal separator, but XML decimals (xs:decimal) take a full stop: "
                    "write 0.750",
                    "/gross_weight_kg",
                ),
            ),
        ),
        (
            "ics2-missing-element.xml",
            2,
            (MessageError(HOUSE_2, "required element transportDocumentHouseLevel is missing", "/reference"),),
        ),
    ],
)
def test_a_bad_house_is_refused_precisely_and_the_other_still_maps(
    name: str, bad: int, errors: tuple[MessageError, ...]
) -> None:
    results = ADAPTER.parse(fixture(name))
    refused, good = (results[0], results[1]) if bad == 1 else (results[1], results[0])
    assert refused.errors == errors and refused.record is None
    assert good.ok and DECODER.convert(good.record) == (twin(good.message_id or ""), [])


def test_a_root_other_than_ie3f22_is_refused() -> None:
    (only,) = ADAPTER.parse(fixture("ics2-IE3F22-2-houses.xml").replace(b"IE3F22>", b"IE3F42>"))
    assert only.errors[0].where == "/IE3F42" and "<IE3F22>" in only.errors[0].detail


def test_the_adapter_is_offered_as_eu_ics2() -> None:
    assert isinstance(adapter_for("eu-ics2"), Ics2HouseAdapter)
