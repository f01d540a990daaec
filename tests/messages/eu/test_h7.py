"""H7 in: each declaration is exactly its JSON twin, each fault named by XPath and pointer."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from clearway.dataset.decode import RecordDecoder
from clearway.dataset.records import Consignment
from clearway.messages.eu.h7 import H7Adapter
from clearway.messages.model import MessageError
from clearway.messages.registry import adapter_for

EU = Path(__file__).resolve().parents[2] / "fixtures" / "messages" / "eu"
DECODER = RecordDecoder(Consignment)
ADAPTER = H7Adapter()
LRNS = ("LRN2026000000000001", "LRN2026000000000002")
DECL_1 = "/H7Message/H7Declaration[1]"
DECL_2 = "/H7Message/H7Declaration[2]"
EORI = "DE123456789012345"


def fixture(name: str) -> bytes:
    return (EU / name).read_bytes()


def twin(lrn: str) -> Consignment:
    record, errors = DECODER.decode(fixture(f"consignment-{lrn}.json"))
    assert errors == [] and record is not None
    return record


def test_the_adapter_is_registered_for_xml() -> None:
    adapter = adapter_for("eu-h7")
    assert isinstance(adapter, H7Adapter)
    assert adapter.media_types == ("application/xml", "text/xml")


def test_each_declaration_maps_exactly_to_its_json_twin() -> None:
    results = ADAPTER.parse(fixture("h7-2-declarations.xml"))
    assert [(m.index, m.message_type, m.kind, m.message_id) for m in results] == [
        (1, "H7", "consignment", LRNS[0]),
        (2, "H7", "consignment", LRNS[1]),
    ]
    for mapped, lrn in zip(results, LRNS, strict=True):
        assert mapped.ok, mapped.errors
        record, errors = DECODER.convert(mapped.record)
        assert errors == []
        assert record == twin(lrn)


def test_the_ioss_number_is_the_fr5_fiscal_reference_only() -> None:
    first, _ = ADAPTER.parse(fixture("h7-2-declarations.xml"))
    assert first.record is not None and first.record["transaction"]["tax_scheme_id"] == "IM3720000015"
    other_role = fixture("h7-2-declarations.xml").replace(b"<role>FR5</role>", b"<role>FR1</role>")
    first, _ = ADAPTER.parse(other_role)
    assert first.record is not None and "tax_scheme_id" not in first.record["transaction"]


def test_the_declarants_eori_is_the_sender() -> None:
    assert {m.sender for m in ADAPTER.parse(fixture("h7-2-declarations.xml"))} == {EORI}
    without = fixture("h7-2-declarations.xml").replace(
        f"<identificationNumber>{EORI}</identificationNumber>".encode(), b""
    )
    assert {m.sender for m in ADAPTER.parse(without)} == {None}


def test_every_origin_is_an_xpath_to_an_element_of_the_document() -> None:
    data = fixture("h7-2-declarations.xml")
    root = etree.fromstring(data)
    for mapped in ADAPTER.parse(data):
        assert len(mapped.origins) > 25
        for pointer, where in mapped.origins.items():
            found = root.xpath(where)
            assert isinstance(found, list) and len(found) == 1, (pointer, where)
        assert mapped.record is not None
        assert root.xpath(mapped.origins["/items/0/hs_code"])[0].text == mapped.record["items"][0]["hs_code"]
        assert mapped.origins["/reference"] == f"{mapped.origins['']}/lrn"
    first = ADAPTER.parse(data)[0]
    assert first.origins["/transaction/tax_scheme_id"].endswith("/additionalFiscalReference/vatIdentificationNumber")
    assert first.origins["/logistics/transport_document"].endswith("/transportDocument/referenceNumber")


def test_every_origin_is_written_as_lxml_writes_the_path_of_its_element() -> None:
    """Origins are built from the parent's path rather than asked of lxml for each element: they
    must still be exactly lxml's own paths, the position given only where a name repeats (a single
    item, a repeated one, a repeat the data set refuses)."""
    text = fixture("h7-2-declarations.xml").decode()
    missing_number = text.replace('<goodsItemNumber de="11 03 001 000">2</goodsItemNumber>', "", 1)
    repeated_lrn = text.replace("</lrn>", "</lrn><lrn>LRN-AGAIN</lrn>", 1)
    for data in (text, missing_number, repeated_lrn):
        tree = etree.fromstring(data.encode()).getroottree()
        for mapped in ADAPTER.parse(data.encode()):
            for pointer, where in mapped.origins.items():
                [element] = tree.xpath(where)  # type: ignore[misc]
                assert tree.getpath(element) == where, pointer
    [first, _] = ADAPTER.parse(repeated_lrn.encode())
    assert first.origins["/reference"] == f"{DECL_1}/lrn[1]"
    assert (
        MessageError(f"{DECL_1}/lrn[2]", "<lrn> appears more than once in <H7Declaration>: the H7 data set has it once")
        in first.errors
    )


@pytest.mark.parametrize(
    ("name", "bad", "error"),
    [
        (
            "h7-comma-decimal.xml",
            2,
            MessageError(
                f"{DECL_2}/goodsShipment/goodsShipmentItem/intrinsicValue/amount",
                "'30,00' uses a comma as its decimal separator, but XML decimals (xs:decimal) take a full stop: "
                "write 30.00",
                "/items/0/unit_price",
            ),
        ),
        (
            "h7-missing-element.xml",
            1,
            MessageError(
                f"{DECL_1}/goodsShipment/goodsShipmentItem[1]",
                "required element commodityCode is missing",
                "/items/0/hs_code",
            ),
        ),
        (
            "h7-cn-digits.xml",
            2,
            MessageError(
                f"{DECL_2}/goodsShipment/goodsShipmentItem/commodityCode/harmonizedSystemSubHeadingCode",
                "'49030000' is not a 6-digit HS sub-heading: H7 takes the commodity code as 18 09 056 000 (an6), "
                "without CN or TARIC digits",
                "/items/0/hs_code",
            ),
        ),
    ],
)
def test_a_bad_declaration_is_refused_precisely_and_the_other_still_maps(
    name: str, bad: int, error: MessageError
) -> None:
    results = ADAPTER.parse(fixture(name))
    assert len(results) == 2
    refused, good = (results[0], results[1]) if bad == 1 else (results[1], results[0])
    assert refused.errors == (error,)
    assert refused.record is None and not refused.ok
    assert good.ok
    assert DECODER.convert(good.record)[0] == twin(good.message_id or "")


def test_a_root_other_than_h7message_is_refused_naming_the_accepted_root() -> None:
    (only,) = ADAPTER.parse(fixture("h7-wrong-root.xml"))
    assert only.kind is None and only.record is None
    (error,) = only.errors
    assert error.where == "/H7Declarations"
    assert "<H7Message>" in error.detail and "<H7Declaration>" in error.detail


def test_a_misspelt_element_is_refused_by_name() -> None:
    data = fixture("h7-2-declarations.xml").replace(b"descriptionOfGoods", b"goodsDescription", 2)
    first, second = ADAPTER.parse(data)
    assert second.ok
    assert (
        MessageError(
            f"{DECL_1}/goodsShipment/goodsShipmentItem[1]/goodsDescription",
            "<goodsDescription> is not an element of <goodsShipmentItem> in H7",
        )
        in first.errors
    )


def test_a_de_number_naming_another_data_element_is_refused() -> None:
    data = fixture("h7-2-declarations.xml").replace(b'<lrn de="12 09 001 000">', b'<lrn de="12 08 001 000">', 1)
    first, second = ADAPTER.parse(data)
    assert second.ok
    assert first.errors == (
        MessageError(
            f"{DECL_1}/lrn", "de='12 08 001 000' is not the number of <lrn>: its EUCDM number is 12 09 001 000"
        ),
    )


def test_a_missing_lrn_and_importer_are_named_at_the_declaration() -> None:
    data = fixture("h7-2-declarations.xml").replace(b'<lrn de="12 09 001 000">LRN2026000000000001</lrn>', b"")
    first, _ = ADAPTER.parse(data)
    assert MessageError(DECL_1, "required element lrn (12 09 001 000, the LRN) is missing", "/reference") in (
        first.errors
    )


def test_currencies_must_agree_within_a_declaration() -> None:
    data = fixture("h7-2-declarations.xml").replace(
        b"<currency>EUR</currency><amount>45.50", b"<currency>USD</currency><amount>45.50"
    )
    first, _ = ADAPTER.parse(data)
    (error,) = first.errors
    assert error.where == f"{DECL_1}/goodsShipment/goodsShipmentItem[2]/intrinsicValue/currency"
    assert error.pointer == "/transaction/currency"


def test_an_unknown_transport_document_type_is_refused_with_the_known_ones() -> None:
    data = fixture("h7-2-declarations.xml").replace(b"<type>N740</type>", b"<type>N999</type>", 1)
    first, _ = ADAPTER.parse(data)
    (error,) = first.errors
    assert error.where == f"{DECL_1}/goodsShipment/transportDocument/type"
    assert "N740" in error.detail and error.pointer == "/logistics/transport_mode"


def test_too_many_declarations_are_refused_whole() -> None:
    one = b"<H7Declaration/>"
    data = b"<H7Message><preparationDateAndTime>2026-11-20T09:30:00Z</preparationDateAndTime>" + one * 101
    (only,) = ADAPTER.parse(data + b"</H7Message>")
    assert "at most 100 declarations" in only.errors[0].detail


def test_unreadable_xml_is_one_error_with_its_line_and_column() -> None:
    (only,) = ADAPTER.parse(b"<H7Message>\n  <H7Declaration>\n</H7Message>")
    assert only.errors[0].where.startswith("line 3, column")


def test_a_missing_preparation_time_is_named_in_each_declaration() -> None:
    data = fixture("h7-2-declarations.xml").replace(
        b"<preparationDateAndTime>2026-11-20T09:30:00Z</preparationDateAndTime>", b""
    )
    for mapped in ADAPTER.parse(data):
        assert mapped.errors == (
            MessageError("/H7Message", "required element preparationDateAndTime is missing", "/transaction/order_date"),
        )


def test_a_missing_importer_is_named_at_the_declaration() -> None:
    start = fixture("h7-2-declarations.xml").index(b"<importer")
    end = fixture("h7-2-declarations.xml").index(b"</importer>") + len(b"</importer>")
    data = fixture("h7-2-declarations.xml")
    first, second = ADAPTER.parse(data[:start] + data[end:])
    assert second.ok
    assert MessageError(DECL_1, "required element importer (13 04 000 000) is missing", "/parties/buyer") in (
        first.errors
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'<lrn de="12 09 001 000">', b'<lrn de="12 09 000 000">'),
        (b"<name>Anna Schmidt</name>", b'<name de="13 04 016 000">Anna Schmidt</name>'),
        (b"<name>Anna Schmidt</name>", b'<name de="016 000">Anna Schmidt</name>'),
    ],
)
def test_a_de_number_may_name_the_class_or_the_full_sub_element(old: bytes, new: bytes) -> None:
    data = fixture("h7-2-declarations.xml").replace(old, new, 1)
    assert all(m.ok for m in ADAPTER.parse(data))


def test_more_than_100_declarations_are_refused_even_without_the_envelope_element() -> None:
    (only,) = ADAPTER.parse(b"<H7Message>" + b"<H7Declaration/>" * 101 + b"</H7Message>")
    assert "at most 100 declarations" in only.errors[0].detail


def leaves(value: object, pointer: str = "") -> list[str]:
    """The JSON pointers of a record's values."""
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in leaves(item, f"{pointer}/{key}")]
    if isinstance(value, list):
        return [leaf for i, item in enumerate(value) for leaf in leaves(item, f"{pointer}/{i}")]
    return [pointer]


def test_every_mapped_field_names_an_element_below_its_declaration() -> None:
    for mapped in ADAPTER.parse(fixture("h7-2-declarations.xml")):
        assert mapped.record is not None
        vague = [p for p in leaves(mapped.record) if mapped.where_of(p) == mapped.origins[""]]
        assert vague == []
        # Fields the data set does not have name the element that stands in for them.
        assert mapped.where_of("/destination_country").endswith("/importer/address/country")
        assert mapped.where_of("/items/0/origin_country").endswith("/exporter/address/country")
