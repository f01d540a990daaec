"""CUSITM in: each message of an interchange is exactly its JSON twin, each fault named by segment
position, tag and element beside its JSON pointer; the envelope's counts are checked."""

from __future__ import annotations

import re

import pytest

from clearway.messages.model import MessageError
from clearway.messages.registry import adapter_for
from clearway.messages.upu import edifact
from clearway.messages.upu.cusitm import CusitmAdapter
from tests.messages.upu.conftest import DECODER, ITEMS, fixture, twin

ADAPTER = CusitmAdapter()
_PLACE = re.compile(r"segment (\d+) ([A-Z]{3})(?:, element (\d+)(?:\.(\d+))?)?\Z")


def test_the_adapter_is_registered_for_edifact() -> None:
    adapter = adapter_for("upu-cusitm")
    assert isinstance(adapter, CusitmAdapter)
    assert adapter.media_types == ("application/edifact",)


def test_each_message_maps_exactly_to_its_json_twin() -> None:
    results = ADAPTER.parse(fixture("cusitm-2-messages.edi"))
    assert [(m.index, m.message_type, m.kind, m.message_id, m.sender) for m in results] == [
        (1, "CUSITM", "consignment", ITEMS[0], "DEA"),
        (2, "CUSITM", "consignment", ITEMS[1], "DEA"),
    ]
    for mapped, item_id in zip(results, ITEMS, strict=True):
        assert mapped.ok, mapped.errors
        record, errors = DECODER.convert(mapped.record)
        assert errors == []
        assert record == twin(item_id)


def test_release_characters_are_undone_by_pydifact() -> None:
    first, second = ADAPTER.parse(fixture("cusitm-2-messages.edi"))
    assert first.record is not None and second.record is not None
    # FTX+AAA+++Cotton T-shirts, men?'s' and COM+?+49301234567:TE' in the fixture
    assert first.record["items"][0]["description"] == "Cotton T-shirts, men's"
    assert first.record["parties"]["buyer"]["phone"] == "+49301234567"
    # Latin-1 (UNOC) letters come through as themselves.
    assert second.record["parties"]["buyer"]["address"]["city"] == "Köln"


def test_every_origin_names_a_segment_that_holds_the_value() -> None:
    data = fixture("cusitm-2-messages.edi")
    interchange = edifact.read(data)
    for mapped, message in zip(ADAPTER.parse(data), interchange.messages, strict=True):
        segments = {1: message.header} | {p.position: p for p in message.body}
        assert len(mapped.origins) > 30
        for pointer, where in mapped.origins.items():
            match = _PLACE.match(where)
            assert match is not None, (pointer, where)
            position, tag, element, component = match.groups()
            place = segments[int(position)]
            assert place.tag == tag, (pointer, where)
            if element is not None:
                assert place.value(int(element), int(component) if component else None), (pointer, where)


def test_a_cusitm_and_an_itmatt_of_the_same_items_give_the_same_records() -> None:
    itmatt = adapter_for("upu-itmatt")
    assert itmatt is not None
    edifact_items = ADAPTER.parse(fixture("cusitm-2-messages.edi"))
    xml_items = itmatt.parse(fixture("itmatt-2-items.xml"))
    for cusitm, xml in zip(edifact_items, xml_items, strict=True):
        assert DECODER.convert(cusitm.record)[0] == DECODER.convert(xml.record)[0]


@pytest.mark.parametrize(
    ("name", "bad", "error"),
    [
        (
            "cusitm-bad-check-digit.edi",
            1,
            MessageError(
                "segment 2 BGM, element 2",
                "'RR473124828FR' has a wrong S10 check digit (expected 9)",
                "/logistics/transport_document",
            ),
        ),
        (
            "cusitm-comma-decimal.edi",
            2,
            MessageError(
                "segment 20 MOA, element 1.2",
                "'25,50' uses a comma as its decimal separator, but this interchange's decimal mark is '.' (UNA): "
                "write 25.50",
                "/items/1/unit_price",
            ),
        ),
        (
            "cusitm-missing-segment.edi",
            1,
            MessageError(
                "segment 1 UNH",
                "required segment DTM+137 (the posting date and time) is missing",
                "/transaction/order_date",
            ),
        ),
        (
            "cusitm-wrong-unt-count.edi",
            1,
            MessageError("segment 17 UNT, element 1", "UNT counts 18, but there are 17 segments from UNH to UNT"),
        ),
    ],
)
def test_a_bad_message_is_refused_precisely_and_the_other_still_maps(name: str, bad: int, error: MessageError) -> None:
    results = ADAPTER.parse(fixture(name))
    assert len(results) == 2
    refused, good = (results[0], results[1]) if bad == 1 else (results[1], results[0])
    assert refused.errors == (error,)
    assert refused.record is None and refused.message_id is not None
    assert good.ok
    assert DECODER.convert(good.record)[0] == twin(good.message_id or "")


@pytest.mark.parametrize(
    ("name", "where", "detail"),
    [
        (
            "cusitm-wrong-unz-count.edi",
            "interchange segment 42 UNZ, element 1",
            "UNZ counts 3, but there are 2 messages in the interchange",
        ),
        (
            "cusitm-cut-short.edi",
            "end of the interchange",
            "the last segment has no terminator ('): the interchange is cut short",
        ),
    ],
)
def test_a_bad_interchange_is_refused_whole(name: str, where: str, detail: str) -> None:
    (only,) = ADAPTER.parse(fixture(name))
    assert only.errors == (MessageError(where, detail),)
    assert only.kind is None and only.record is None


def _one_message(replace: tuple[str, str] = ("", ""), *, una: str = "UNA:+.? '") -> bytes:
    text = fixture("cusitm-2-messages.edi").decode("latin-1")
    text = text[: text.index("UNH+2")] + "UNZ+1+CI0001'\n"
    old, new = replace
    assert old in text
    # A segment added or taken away changes the count UNT checks (no release character in these).
    count = 17 + new.count("'") - old.count("'")
    text = text.replace(old, new, 1).replace("UNT+17+1'", f"UNT+{count}+1'")
    return text.replace("UNA:+.? '", una, 1).encode("latin-1")


@pytest.mark.parametrize(
    ("replace", "error"),
    [
        (
            ("MEA+AAE+AAD+KGM:0.450'", "MEA+AAE+AAD+GRM:450'"),
            MessageError(
                "segment 5 MEA, element 3.1",
                "weights are read in kilograms (KGM), not 'GRM'",
                "/logistics/gross_weight_kg",
            ),
        ),
        (
            ("GIS+31'", "GIS+91'"),
            MessageError(
                "segment 4 GIS, element 1.1",
                "category of item '91' is not one Clearway reads: 11 (sale of goods), 21 (returned goods), 31 (gift)",
                "/flags/nature",
            ),
        ),
        (
            ("DTM+137:20261120093000:204'", "DTM+137:20261131093000:204'"),
            MessageError(
                "segment 3 DTM, element 1.2",
                "'20261131093000' is not a date and time in format 204 (CCYYMMDDHHMMSS)",
                "/transaction/order_date",
            ),
        ),
        (
            ("LOC+27+FR'", "LOC+35+FR'"),
            MessageError(
                "segment 16 LOC, element 1",
                "LOC qualifier '35' is not one Clearway reads in CUSITM (it reads BGM, DTM+137, GIS, MEA+AAD, MOA+64, "
                "NAD+CZ, NAD+CN, CST, FTX+AAA, QTY+1, MOA+40, MEA+AAC, LOC+27, COM+TE, COM+EM)",
            ),
        ),
        (
            ("QTY+1:2'", "QTY+1:2'RFF+ABO:X1'"),
            MessageError(
                "segment 14 RFF",
                "RFF is not a segment Clearway reads in CUSITM (it reads BGM, DTM+137, GIS, MEA+AAD, MOA+64, "
                "NAD+CZ, NAD+CN, CST, FTX+AAA, QTY+1, MOA+40, MEA+AAC, LOC+27, COM+TE, COM+EM)",
            ),
        ),
        (
            ("+Berlin++10969+DE'", "+++10969+DE'"),
            MessageError(
                "segment 9 NAD", "required element 6 (city name) of NAD is missing", "/parties/buyer/address/city"
            ),
        ),
        (
            ("MOA+40:30.00:EUR'", "MOA+40:30.00:USD'"),
            MessageError(
                "segment 6 MOA, element 1.3", "the postage is in EUR, the content in USD", "/transaction/freight"
            ),
        ),
        (
            ("CST+1+610910'", "CST+1+610910'MOA+64:1.00:EUR'"),
            MessageError("segment 12 MOA", "MOA+64 (the postage) belongs before the first CST"),
        ),
        (
            ("CST+1+610910'", "QTY+1:2'CST+1+610910'"),
            MessageError(
                "segment 11 QTY", "QTY+1 (the number of articles) belongs to a content line: it follows that line's CST"
            ),
        ),
        (
            ("QTY+1:2'", "QTY+1:2'QTY+1:3'"),
            MessageError("segment 14 QTY", "a second QTY+1 in the line of segment 11 CST"),
        ),
        (
            ("UNH+1+CUSITM:D:96B:UN'", "UNH+1+CUSDEC:D:96B:UN'"),
            MessageError("segment 1 UNH, element 2.1", "the message is CUSDEC; this reads CUSITM"),
        ),
    ],
)
def test_each_fault_names_its_segment_and_element(replace: tuple[str, str], error: MessageError) -> None:
    (mapped,) = ADAPTER.parse(_one_message(replace))
    assert error in mapped.errors, mapped.errors
    assert mapped.record is None


def test_the_una_decimal_mark_is_the_one_read() -> None:
    comma = _one_message(("MOA+40:30.00:EUR'", "MOA+40:30,00:EUR'"), una="UNA:+,? '")
    comma = comma.replace(b"0.450", b"0,450").replace(b"0.400", b"0,400").replace(b"12.50", b"12,50")
    (mapped,) = ADAPTER.parse(comma)
    assert mapped.ok and mapped.record is not None
    assert DECODER.convert(mapped.record)[0] == twin(ITEMS[0])
    (stop,) = ADAPTER.parse(comma.replace(b"12,50", b"12.50"))
    assert stop.errors == (
        MessageError(
            "segment 6 MOA, element 1.2",
            "'12.50' uses a full stop as its decimal separator, but this interchange's decimal mark is ',' (UNA): "
            "write 12,50",
            "/transaction/freight",
        ),
    )


def test_without_una_the_standard_service_characters_apply() -> None:
    text = _one_message().decode("latin-1").removeprefix("UNA:+.? '\n").encode("latin-1")
    (mapped,) = ADAPTER.parse(text)
    assert mapped.ok, mapped.errors


@pytest.mark.parametrize(
    ("data", "where", "detail"),
    [
        (b"", "", "the interchange is empty"),
        (
            b"UNH+1+CUSITM:D:96B:UN'UNT+2+1'",
            "interchange",
            "no UNB interchange header: an interchange is UNB ... UNZ",
        ),
        (
            b"UNB+UNOX:3+A+B+261121:1500+1'UNZ+0+1'",
            "interchange segment 1 UNB, element 1.1",
            "syntax identifier 'UNOX' is not one of UNOA, UNOB, UNOC, UNOD, UNOE, UNOF, UNOW, UNOY",
        ),
        (b"UNB+UNOA:3+A+B+261121:1500+1'UNZ+0+1'", "interchange", "the interchange holds no message"),
        (
            b"UNB+UNOA:3+A+B+261121:1500+1'BGM+X'UNZ+0+1'",
            "interchange segment 2 BGM",
            "a segment outside any UNH ... UNT message",
        ),
        (
            b"UNB+UNOA:3+A+B+261121:1500+1'UNZ+0+2'",
            "interchange segment 2 UNZ, element 2",
            "the reference '2' is not the UNB's '1'",
        ),
        (
            b"UNB+UNOA:3+A+B+261121:1500+1'UNZ+0+1'UNH+1'",
            "interchange segment 3 UNH",
            "a segment after UNZ, the interchange's end",
        ),
        (
            b"UNB+UNOA:3+A+B+261121:1500+1'UNH+1+CUSITM:D:96B:UN'",
            "interchange",
            "no UNZ at the end: the interchange may be cut short",
        ),
        (
            "UNB+UNOA:3+A+B+261121:1500+1'UNH+1+CUSITM'BGM++É'UNT+3+1'UNZ+1+1'".encode("latin-1"),
            "byte 47",
            "not UNOA text (ascii): ordinal not in range(128)",
        ),
    ],
)
def test_an_unreadable_interchange_is_one_precise_error(data: bytes, where: str, detail: str) -> None:
    (only,) = ADAPTER.parse(data)
    assert only.errors == (MessageError(where, detail),)


def test_a_message_without_its_unt_is_refused_and_the_next_still_read() -> None:
    text = fixture("cusitm-2-messages.edi").decode("latin-1").replace("UNT+17+1'\n", "")
    first, second = ADAPTER.parse(text.encode("latin-1"))
    assert first.errors == (MessageError("segment 1 UNH", "the message has no UNT before the next UNH"),)
    assert second.ok


def test_a_missing_country_is_one_error_though_the_party_and_its_address_need_it() -> None:
    (mapped,) = ADAPTER.parse(_one_message(("+69003+FR'", "+69003'")))
    missing = "required element 9 (country code) of NAD is missing"
    assert mapped.errors == (MessageError("segment 7 NAD", missing, "/parties/seller/country"),)


def test_an_element_less_segment_is_read_as_it_is_without_a_warning(recwarn: pytest.WarningsRecorder) -> None:
    """pydifact warns that a segment without elements ("GIS'") should be omitted: the adapter reads
    it as it is, and the warning (silenced only for such a segment) never reaches the caller."""
    data = fixture("cusitm-2-messages.edi").replace(b"GIS+31'", b"GIS'")
    first, second = ADAPTER.parse(data)
    assert recwarn.list == []
    assert first.message_id == ITEMS[0] and second.ok
    assert "flags" not in (first.record or {})
