"""Bad CEB messages are refused precisely: the element at fault as an XPath, the canonical field it
maps to as a JSON pointer, and a sentence that says what is wrong in the standard's own terms."""

from __future__ import annotations

import pytest

from clearway.messages.model import MessageError
from tests.messages.cn.ceb import ADAPTER, edit, head, message, one

H311, H411, H511, H621 = head("CEB311"), head("CEB411"), head("CEB511"), head("CEB621")
LINE1, LINE2 = (f"/ceb:CEB621Message/ceb:Inventory[1]/ceb:InventoryList[{n}]" for n in (1, 2))


def only_error(data: bytes) -> MessageError:
    mapped = one(data)
    assert mapped.record is None or not mapped.ok
    [error] = mapped.errors
    return error


@pytest.mark.parametrize(
    ("name", "path", "text", "pointer", "detail"),
    [
        # A decimal comma is not converted: the standard's decimals have a full stop.
        ("CEB311", f"{H311}/ceb:goodsValue", "487,50", "/goods_value",
         "use a full stop: 487,50 is not a decimal in this standard"),
        ("CEB411", f"{H411}/ceb:amountPaid", "537,78", "/amount",
         "use a full stop: 537,78 is not a decimal in this standard"),
        ("CEB621", f"{LINE1}/ceb:price", "1,199.00", "/items/0/unit_price",
         "1,199.00 is not a decimal in this standard: no thousands separators, and a full stop before the fraction"),
        ("CEB511", f"{H511}/ceb:weight", "1.234567", "/gross_weight_kg",
         "1.234567 has 6 decimal places: the standard allows 5 (N19,5)"),
        # Only 142 (CNY in the customs table) is a currency of the import messages.
        ("CEB311", f"{H311}/ceb:currency", "156", "/currency",
         "currency '156' is refused: the CEB import messages allow only 142, the renminbi (CNY) ('156' is the ISO"
         " 4217 code; the customs code of the renminbi is 142)"),
        ("CEB411", f"{H411}/ceb:currency", "502", "/currency",
         "currency '502' is refused: the CEB import messages allow only 142, the renminbi (CNY) (502 is another"
         " customs currency code, which the import messages do not allow)"),
        # Times are YYYYMMDDhhmmss (China time); dates YYYYMMDD; nothing else is guessed at.
        ("CEB311", f"{H311}/ceb:appTime", "2024-06-15 10:00:00", "/order_date",
         "'2024-06-15 10:00:00' is not a time in the form YYYYMMDDhhmmss (China time, UTC+8)"),
        ("CEB411", f"{H411}/ceb:payTime", "20240631095930", "/paid_at",
         "'20240631095930' is not a time in the form YYYYMMDDhhmmss (China time, UTC+8)"),
        ("CEB621", f"{H621}/ceb:ieDate", "20241301", "/logistics/arrival_date",
         "'20241301' is not a date in the form YYYYMMDD"),
        # Country codes are the customs table's; an unknown one is refused, never guessed.
        ("CEB621", f"{LINE2}/ceb:country", "998", "/items/1/origin_country",
         "country '998' is not a code of the customs country table (docs/messages.md lists the codes)"),
        ("CEB621", f"{LINE2}/ceb:country", "701", "/items/1/origin_country",
         "country '701' means country (region) unknown: it names no single country"),
        ("CEB621", f"{LINE2}/ceb:country", "JPN", "/items/1/origin_country",
         "country 'JPN' is not a customs country code: the CEB messages use the customs table's 3-digit codes"
         " (142 China, 116 Japan, 304 Germany, 502 United States)"),
        ("CEB621", f"{LINE1}/ceb:unit", "999", "/items/0/unit",
         "unit '999' is not a unit code this adapter maps (docs/messages.md lists them)"),
        ("CEB621", f"{H621}/ceb:trafMode", "0", "/logistics/transport_mode",
         "trafMode '0' (非保税区, the non-bonded area) names no means of transport: Clearway needs 2 (water),"
         " 3 (rail), 4 (road), 5 (air) or 6 (post)"),
        ("CEB311", f"{H311}/ceb:buyerIdType", "2", "/buyer/id_type",
         "identity document type '2' is refused: the schema allows only 1, the PRC resident identity card"),
        # Amounts that must agree with each other.
        ("CEB311", f"{H311}/ceb:acturalPaid", "540.00", "/total",
         "acturalPaid 540.00 is not goodsValue + freight + taxTotal - discount (487.50 + 10.00 + 45.28 - 5.00"
         " = 537.78)"),
        ("CEB621", f"{LINE1}/ceb:totalPrice", "400.00", "/items/0",
         "totalPrice 400.00 is not qty x price (2 x 199.00 = 398.00)"),
    ],
)  # fmt: skip
def test_a_value_the_standard_does_not_allow_is_refused_at_its_element(
    name: str, path: str, text: str, pointer: str, detail: str
) -> None:
    mapped = one(edit(name, path, text))
    assert mapped.record is None
    assert mapped.errors == (MessageError(where=path, detail=detail, pointer=pointer),)


@pytest.mark.parametrize(
    ("name", "element", "pointer"),
    [("CEB311", "orderNo", "/order_number"), ("CEB411", "payTransactionId", "/payment_id"),
     ("CEB511", "logisticsNo", "/transport_document"), ("CEB621", "copNo", "/reference"),
     ("CEB621", "buyerName", "/parties/buyer/name")],
)  # fmt: skip
def test_a_missing_or_empty_required_element_is_named(name: str, element: str, pointer: str) -> None:
    path = f"{head(name)}/ceb:{element}"
    missing = only_error(edit(name, path, remove=True))
    assert missing == MessageError(where=path, detail=f"the required element {element} is missing", pointer=pointer)
    # The canonical check's own "required field is missing" is not said a second time.
    empty = only_error(edit(name, path, "  "))
    assert empty == MessageError(where=path, detail=f"the required element {element} is empty", pointer=pointer)


@pytest.mark.parametrize(
    ("app_type", "detail"),
    [
        ("2", "appType 2 (变更, a change) applies to an inventory (CEB621): an order, payment or waybill received is "
         "kept as evidence, not replaced; send the corrected document as new (appType 1)"),
        ("3", "appType 3 (删除, a deletion) applies to an inventory (CEB621): an order, payment or waybill received "
         "is kept as evidence, not deleted"),
        ("9", "appType '9' is not a submission type (1 new, 2 change, 3 delete)"),
    ],
)  # fmt: skip
def test_a_change_or_a_deletion_of_a_document_is_refused(app_type: str, detail: str) -> None:
    for name in ("CEB311", "CEB411", "CEB511"):
        path = f"{head(name)}/ceb:appType"
        assert only_error(edit(name, path, app_type)) == MessageError(where=path, detail=detail, pointer="")


@pytest.mark.parametrize(("app_type", "action"), [("1", "new"), ("2", "change"), ("3", "delete")])
def test_an_inventory_says_whether_it_is_new_a_change_or_a_deletion(app_type: str, action: str) -> None:
    (mapped,) = ADAPTER.parse(edit("CEB621", f"{head('CEB621')}/ceb:appType", app_type))
    assert mapped.ok and mapped.action == action, mapped.errors


def test_an_inventory_of_an_unknown_app_type_is_refused() -> None:
    path = f"{head('CEB621')}/ceb:appType"
    detail = "appType '9' is not a submission type (1 new, 2 change, 3 delete)"
    assert only_error(edit("CEB621", path, "9")) == MessageError(where=path, detail=detail, pointer="")


def test_a_temporary_save_is_not_a_declaration() -> None:
    path = f"{H411}/ceb:appStatus"
    assert only_error(edit("CEB411", path, "1")) == MessageError(
        where=path,
        detail="appStatus 1 (暂存, a temporary save) is a draft kept at the E-Port, not a declaration: declare it"
        " with appStatus 2 (申报)",
    )


def test_the_canonical_checks_name_the_element_the_field_came_from() -> None:
    path = f"{LINE2}/ceb:gcode"
    error = only_error(edit("CEB621", path, "3304990"))
    assert (error.where, error.pointer) == (path, "/items/1/hs_code")
    assert error.detail == "expected an HS code of 6, 8 or 10 digits"
    # qty 0 with its total 0: the message's rules allow it, the canonical "above 0" does not.
    zero = edit("CEB621", f"{LINE1}/ceb:qty", "0").replace(b"<ceb:totalPrice>398.00<", b"<ceb:totalPrice>0<")
    assert only_error(zero) == MessageError(f"{LINE1}/ceb:qty", "expected a number greater than 0", "/items/0/quantity")


def test_every_error_of_a_block_is_reported_at_once() -> None:
    data = edit("CEB311", f"{H311}/ceb:freight", "10,00").replace(b"<ceb:qty>2</ceb:qty>", b"<ceb:qty>0</ceb:qty>")
    mapped = one(data)
    pointers = {e.pointer for e in mapped.errors}
    assert {"/shipping", "/lines/0", "/lines/0/quantity"} <= pointers


def test_a_message_that_is_not_a_ceb_declaration_names_the_roots_accepted() -> None:
    accepted = "accepted roots are CEB311Message, CEB411Message, CEB511Message, CEB621Message"
    itmatt = ADAPTER.parse(b'<ITMATT xmlns="urn:upu"><Item/></ITMATT>')
    assert len(itmatt) == 1 and itmatt[0].record is None and itmatt[0].message_type == "ITMATT"
    [error] = itmatt[0].errors
    assert error.where == "/ITMATT" and error.pointer == ""
    assert error.detail.startswith("the root element {urn:upu}ITMATT is not a CEB declaration: " + accepted)
    [receipt] = ADAPTER.parse(message("CEB311").replace(b"CEB311Message", b"CEB312Message"))
    assert "CEB312Message (a receipt, which Clearway sends rather than reads) is not a CEB declaration" in (
        receipt.errors[0].detail
    )
    [no_namespace] = ADAPTER.parse(b"<CEB311Message><Order/></CEB311Message>")
    assert no_namespace.errors[0].detail == (
        "the root element CEB311Message is not in the CEB namespace http://www.chinaport.gov.cn/ceb"
    )


def test_unreadable_xml_is_one_error_naming_the_line_and_column() -> None:
    [mapped] = ADAPTER.parse(message("CEB311")[:400])
    [error] = mapped.errors
    assert mapped.message_type == "unknown" and error.where.startswith("line ")
    assert "not well-formed" in error.detail


def test_blocks_are_counted_as_the_schema_allows() -> None:
    empty = ADAPTER.parse(message("CEB411").replace(b"<ceb:Payment>", b"<ceb:Nothing>").replace(
        b"</ceb:Payment>", b"</ceb:Nothing>"))  # fmt: skip
    assert empty[0].errors == (MessageError("/ceb:CEB411Message/ceb:Payment", "the message holds no Payment"),)
    source = message("CEB411").decode()
    block = source[source.index("  <ceb:Payment>") : source.index("  <ceb:BaseTransfer>")]
    too_many = source.replace(block, block * 101).encode()
    [refused] = ADAPTER.parse(too_many)
    assert refused.errors == (
        MessageError(
            "/ceb:CEB411Message/ceb:Payment[101]", "the message holds 101 Payment blocks: the standard allows 100"
        ),
    )
    assert len(ADAPTER.parse(source.replace(block, block * 100).encode())) == 100
    no_lines = one(edit_remove_all_lines(message("CEB621")))
    assert no_lines.errors == (
        MessageError(
            "/ceb:CEB621Message/ceb:Inventory[1]/ceb:InventoryList",
            "the required element InventoryList is missing (1 to 99)",
            "/items",
        ),
    )
    order = message("CEB311").decode()
    first = order.index("    <ceb:OrderList>")
    line = order[first : order.index("    <ceb:OrderList>", first + 10)]
    hundred = one(order.replace(line, line * 99).encode())  # 99 copies of the first and the second: 100
    assert [(e.where, e.pointer) for e in hundred.errors if "allows 99" in e.detail] == [
        ("/ceb:CEB311Message/ceb:Order[1]/ceb:OrderList[100]", "/lines")
    ]


def edit_remove_all_lines(data: bytes) -> bytes:
    start = data.index(b"<ceb:InventoryList>")
    end = data.rindex(b"</ceb:InventoryList>") + len(b"</ceb:InventoryList>")
    return data[:start] + data[end:]
