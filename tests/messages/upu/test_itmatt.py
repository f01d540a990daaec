"""ITMATT in: each CDSView item is exactly its JSON twin, each fault named by XPath and pointer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from clearway.messages.model import MessageError
from clearway.messages.registry import adapter_for
from clearway.messages.upu import cds
from clearway.messages.upu.itmatt import ItmattAdapter
from tests.messages.upu.conftest import DECODER, ITEMS, fixture, twin

ADAPTER = ItmattAdapter()
ITEM_1 = "/ITMATT/CDSView[1]"
ITEM_2 = "/ITMATT/CDSView[2]"


def test_the_adapter_is_registered_for_xml() -> None:
    adapter = adapter_for("upu-itmatt")
    assert isinstance(adapter, ItmattAdapter)
    assert adapter.media_types == ("application/xml", "text/xml")


def test_each_item_maps_exactly_to_its_json_twin() -> None:
    results = ADAPTER.parse(fixture("itmatt-2-items.xml"))
    assert [(m.index, m.message_type, m.kind, m.message_id) for m in results] == [
        (1, "ITMATT", "consignment", ITEMS[0]),
        (2, "ITMATT", "consignment", ITEMS[1]),
    ]
    for mapped, item_id in zip(results, ITEMS, strict=True):
        assert mapped.ok, mapped.errors
        record, errors = DECODER.convert(mapped.record)
        assert errors == []
        assert record == twin(item_id)


def test_the_origin_post_is_the_sender() -> None:
    assert {m.sender for m in ADAPTER.parse(fixture("itmatt-2-items.xml"))} == {"FRA"}
    without = fixture("itmatt-2-items.xml").replace(b"<OrigPostOrgCd>FRA</OrigPostOrgCd>", b"")
    assert {m.sender for m in ADAPTER.parse(without)} == {None}


def test_every_origin_is_an_xpath_to_an_element_of_the_document() -> None:
    data = fixture("itmatt-2-items.xml")
    root = etree.fromstring(data)
    for mapped in ADAPTER.parse(data):
        assert len(mapped.origins) > 30
        for pointer, where in mapped.origins.items():
            found = root.xpath(where)
            assert isinstance(found, list) and len(found) == 1, (pointer, where)
        # The leaves point at the element holding the value itself.
        assert root.xpath(mapped.origins["/items/0/hs_code"])[0].text == mapped.record["items"][0]["hs_code"]


def leaves(value: object, pointer: str = "") -> list[str]:
    """The JSON pointers of a record's values."""
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in leaves(item, f"{pointer}/{key}")]
    if isinstance(value, list):
        return [leaf for i, item in enumerate(value) for leaf in leaves(item, f"{pointer}/{i}")]
    return [pointer]


# What every postal item is, whatever its message says: these come from no element.
CONSTANTS = {"/logistics/document_type", "/logistics/transport_mode", "/logistics/packages"}


def test_every_mapped_field_names_an_element_of_its_own() -> None:
    for mapped in ADAPTER.parse(fixture("itmatt-2-items.xml")):
        assert mapped.record is not None
        item = mapped.origins[""]
        vague = [p for p in leaves(mapped.record) if p not in CONSTANTS and mapped.where_of(p) == item]
        assert vague == []
        assert mapped.where_of("/flags/relationship").endswith("/NatureTypeCd")


@pytest.mark.parametrize(
    ("name", "bad", "error"),
    [
        (
            "itmatt-bad-check-digit.xml",
            1,
            MessageError(
                f"{ITEM_1}/MailObject/Id",
                "'RR473124828FR' has a wrong S10 check digit (expected 9)",
                "/logistics/transport_document",
            ),
        ),
        (
            "itmatt-comma-decimal.xml",
            2,
            MessageError(
                f"{ITEM_2}/Declaration/Data/ContentPieces/ContentPiece[2]/Amount",
                "'25,50' uses a comma as its decimal separator, but XML decimals (xs:decimal) take a full stop: "
                "write 25.50",
                "/items/1/unit_price",
            ),
        ),
        (
            "itmatt-missing-element.xml",
            1,
            MessageError(
                f"{ITEM_1}/Declaration/Data/ContentPieces/ContentPiece[1]",
                "required element HS is missing",
                "/items/0/hs_code",
            ),
        ),
        (
            "itmatt-unconfirmed-category.xml",
            2,
            MessageError(
                f"{ITEM_2}/Declaration/Data/NatureTypeCd",
                "category of item '32' is not one Clearway reads: 11 (sale of goods), 21 (returned goods), 31 (gift)",
                "/flags/nature",
            ),
        ),
    ],
)
def test_a_bad_item_is_refused_precisely_and_the_other_still_maps(name: str, bad: int, error: MessageError) -> None:
    results = ADAPTER.parse(fixture(name))
    assert len(results) == 2
    refused, good = (results[0], results[1]) if bad == 1 else (results[1], results[0])
    assert refused.errors == (error,)
    assert refused.record is None and not refused.ok
    assert good.ok
    assert DECODER.convert(good.record)[0] == twin(good.message_id or "")


def test_a_root_other_than_itmatt_is_refused_naming_the_accepted_root() -> None:
    (only,) = ADAPTER.parse(fixture("itmatt-wrong-root.xml"))
    assert only.kind is None and only.record is None
    (error,) = only.errors
    assert error.where == "/ItemAttributes"
    assert "<ITMATT>" in error.detail and "<CDSView>" in error.detail


def test_a_namespaced_root_is_not_the_itmatt_root() -> None:
    data = b'<ITMATT xmlns="http://schemas.datacontract.org/2004/07/CDS.BusinessLayer.Operational"/>'
    (only,) = ADAPTER.parse(data)
    assert "<{http://schemas.datacontract.org/2004/07/CDS.BusinessLayer.Operational}ITMATT>" in only.errors[0].detail


def test_unreadable_xml_is_one_error_with_its_line_and_column() -> None:
    (only,) = ADAPTER.parse(b"<ITMATT>\n  <CDSView>\n</ITMATT>")
    assert only.errors[0].where.startswith("line 3, column")
    assert "not well-formed" in only.errors[0].detail


def _one_item(replace: tuple[str, str] = ("", "")) -> bytes:
    text = fixture("itmatt-2-items.xml").decode()
    start = text.index("  <CDSView>", text.index("</CDSView>"))
    text = text[:start] + text[text.index("</CDSView>", start) + len("</CDSView>\n") :]
    old, new = replace
    assert text.count(old) >= 1
    return text.replace(old, new, 1).encode()


@pytest.mark.parametrize(
    ("replace", "where", "detail", "pointer"),
    [
        (
            ("<HS>610910</HS>", "<HSCode>610910</HSCode>"),
            f"{ITEM_1}/Declaration/Data/ContentPieces/ContentPiece[1]/HSCode",
            "<HSCode> is not an element of <ContentPiece> in ITMATT",
            "",
        ),
        (
            ("<CurrencyCd>EUR</CurrencyCd>", "<CurrencyCd>USD</CurrencyCd>"),
            f"{ITEM_1}/Declaration/Data/PostageCurrencyCd",
            "the postage is in EUR, the content in USD",
            "/transaction/freight",
        ),
        (
            ("<Number>2</Number>", "<Number>2.5</Number>"),
            f"{ITEM_1}/Declaration/Data/ContentPieces/ContentPiece[1]/Number",
            "'2.5' is not a whole number of articles",
            "/items/0/quantity",
        ),
        (
            ("<GrossWeight>0.450</GrossWeight>", "<GrossWeight>0</GrossWeight>"),
            f"{ITEM_1}/Declaration/Data/GrossWeight",
            "expected a number greater than 0",
            "/logistics/gross_weight_kg",
        ),
        (
            ("<PostingDt>2026-11-20T09:30:00Z</PostingDt>", "<PostingDt>2026-11-20T09:30:00</PostingDt>"),
            f"{ITEM_1}/MailObject/PostingDt",
            "Expected `datetime` with a timezone component",
            "/transaction/order_date",
        ),
        (
            ("<RecipientCountryCd>DE</RecipientCountryCd>", "<RecipientCountryCd>XX</RecipientCountryCd>"),
            f"{ITEM_1}/Declaration/Data/RecipientCountryCd",
            "'XX' is not an ISO 3166-1 alpha-2 country code",
            "/destination_country",
        ),
        (
            ("<NatureTypeCd>31</NatureTypeCd>", "<NatureTypeCd>21</NatureTypeCd>"),
            f"{ITEM_1}/Declaration/Data/NatureTypeCd",
            "a return must name the consignment it returns",
            "/flags/return_reference",
        ),
        (
            ("<SenderCity>Lyon</SenderCity>", ""),
            f"{ITEM_1}/Declaration/Data",
            "required element SenderCity is missing",
            "/parties/seller/address/city",
        ),
    ],
)
def test_each_fault_names_its_element_and_field(
    replace: tuple[str, str], where: str, detail: str, pointer: str
) -> None:
    (mapped,) = ADAPTER.parse(_one_item(replace))
    assert MessageError(where, detail, pointer) in mapped.errors, mapped.errors
    assert mapped.record is None


def test_a_missing_item_id_is_one_error_though_three_fields_come_from_it() -> None:
    (mapped,) = ADAPTER.parse(_one_item(("<Id>RR473124829FR</Id>", "")))
    missing = "required element Id (the S10 item id) is missing"
    assert mapped.errors == (MessageError(f"{ITEM_1}/MailObject", missing, "/logistics/transport_document"),)


def test_a_name_in_two_parts_is_one_name() -> None:
    halves = "<RecipientFirstName>Anna</RecipientFirstName><RecipientLastName>Schmidt</RecipientLastName>"
    (mapped,) = ADAPTER.parse(_one_item(("<RecipientName>Anna Schmidt</RecipientName>", halves)))
    assert mapped.ok and mapped.record is not None
    assert mapped.record["parties"]["buyer"]["name"] == "Anna Schmidt"
    assert mapped.origins["/parties/buyer/name"] == f"{ITEM_1}/Declaration/Data/RecipientFirstName"


def test_a_line_value_that_does_not_divide_keeps_six_decimals_and_gives_the_value_back() -> None:
    (mapped,) = ADAPTER.parse(_one_item(("<Number>2</Number>", "<Number>7</Number>")))
    assert mapped.ok and mapped.record is not None
    assert mapped.record["items"][0]["unit_price"] == "4.285714"  # 30.00 / 7, half up
    assert mapped.record["transaction"]["goods_value"] == "30.00"


def test_a_line_too_finely_divided_to_give_its_value_back_is_refused() -> None:
    (mapped,) = ADAPTER.parse(_one_item(("<Number>2</Number>", "<Number>7000000</Number>")))
    assert [e.pointer for e in mapped.errors] == ["/items/0/unit_price"]
    assert "does not give back 30.00 EUR" in mapped.errors[0].detail


def test_an_empty_message_and_a_stray_element_under_the_root() -> None:
    (empty,) = ADAPTER.parse(b"<ITMATT/>")
    assert empty.errors[0].where == "/ITMATT" and "holds no item" in empty.errors[0].detail
    results = ADAPTER.parse(_one_item(("</ITMATT>", "<Item/></ITMATT>")))
    assert [m.ok for m in results] == [True, False]
    assert results[1].index == 2 and results[1].errors[0].where == "/ITMATT/Item"


def test_a_missing_country_is_one_error_though_the_party_and_its_address_need_it() -> None:
    (mapped,) = ADAPTER.parse(_one_item(("<SenderCountryCd>FR</SenderCountryCd>", "")))
    missing = "required element SenderCountryCd is missing"
    assert mapped.errors == (MessageError(f"{ITEM_1}/Declaration/Data", missing, "/parties/seller/country"),)


def test_the_elements_the_docs_name_are_the_ones_the_adapter_reads() -> None:
    docs = (Path(__file__).resolve().parents[3] / "docs" / "messages.md").read_text()
    table = docs[docs.index("| element (under `/ITMATT/CDSView[n]`)") :]
    table = table[: table.index("\n\n")]
    known = (
        cds.VIEW | cds.MAIL_OBJECT | cds.DECLARATION | cds.DATA | cds.CONTENT_PIECE | {"ContentPieces", "ContentPiece"}
    )
    named = set()
    for row in table.splitlines()[2:]:
        first_cell = row.split("|")[1]
        for path in re.findall(r"`([^`]+)`", first_cell):
            named |= {re.sub(r"\[k\]$", "", part) for part in path.split("/") if part not in ("...", "")}
    named -= {"...Line2", "Recipient..."}  # the table's shorthands for the same names
    assert len(named) > 20
    assert named - known == set()
    # Every element of the fixture is one the adapter knows.
    root = etree.fromstring(fixture("itmatt-2-items.xml"))
    assert {e.tag for e in root.iter() if isinstance(e.tag, str)} - known - {"ITMATT", "CDSView"} == set()
