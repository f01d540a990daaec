"""China's CEB declarations map to exactly their JSON twins, say where each field came from, and link
through the three-document matching as the twins do."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from lxml import etree

from clearway.clearance.linking import link
from clearway.clearance.senders import named_senders, source_of
from clearway.messages.cn.read import NSMAP
from tests.messages.cn.ceb import ADAPTER, TWINS, decoded, edit, head, message, one, twin

SENDERS = {"CEB311": "1105960001", "CEB411": "3101960003", "CEB511": "1105980004", "CEB621": "1105980005"}
GUIDS = {
    "CEB311": "8A1C2E3F-4B5D-4E6F-8A7B-9C0D1E2F3A41",
    "CEB411": "2D4F6A8C-1E3B-4C5D-9F7A-0B1C2D3E4F52",
    "CEB511": "3E5A7B9D-2F4C-4D6E-8A0B-1C2D3E4F5A63",
    "CEB621": "4F6B8C0E-3A5D-4E7F-9B1C-2D3E4F5A6B74",
}


def test_the_adapter_names_its_standard_and_media_types() -> None:
    assert (ADAPTER.standard, ADAPTER.media_types) == ("cn-ceb", ("application/xml", "text/xml"))


@pytest.mark.parametrize("name", sorted(TWINS))
def test_each_message_maps_to_exactly_its_json_twin(name: str) -> None:
    mapped = one(message(name))
    assert mapped.ok, mapped.errors
    assert (mapped.index, mapped.message_type, mapped.message_id, mapped.sender) == (
        1,
        name,
        GUIDS[name],
        SENDERS[name],
    )
    assert decoded(mapped) == twin(name)


def leaves(value: Any, pointer: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{pointer}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, f"{pointer}/{index}")
    else:
        yield pointer


# Fields no element holds: the country of parties registered in China (and of a buyer with a PRC
# identity card), and the waybill's origin and mode, which the CEB511 does not carry (docs/messages.md).
CONSTANT = re.compile(r"(/parties)?/\w+/country$|^/destination_country$|^/origin_country$|^/transport_mode$")


@pytest.mark.parametrize("name", sorted(TWINS))
def test_every_mapped_field_has_an_origin_and_every_origin_finds_its_elements(name: str) -> None:
    mapped = one(message(name))
    assert mapped.record is not None
    root = etree.fromstring(message(name))
    unexplained = [p for p in leaves(mapped.record) if p not in mapped.origins and not CONSTANT.search(p)]
    assert unexplained == []
    for pointer, where in mapped.origins.items():
        found = root.xpath(where, namespaces=NSMAP)
        assert isinstance(found, list) and found, (pointer, where)


def test_origins_name_the_element_each_field_came_from() -> None:
    mapped = one(message("CEB621"))
    root = etree.fromstring(message("CEB621"))

    def text_at(pointer: str) -> str:
        return str(root.xpath(f"string({mapped.origins[pointer]})", namespaces=NSMAP))

    assert text_at("/reference") == "COP20240615000123"
    assert text_at("/items/1/hs_code") == "3304990099"
    assert text_at("/items/0/unit_price") == "199.00"
    assert text_at("/parties/carrier/operator_id") == "1105980004"
    assert (
        mapped.where_of("/items/1/origin_country")
        == "/ceb:CEB621Message/ceb:Inventory[1]/ceb:InventoryList[2]/ceb:country"
    )
    # A field no element holds (the destination, CN for an import) names the element that says so.
    assert mapped.origins["/destination_country"].endswith("/ceb:InventoryHead/ceb:ieFlag")


def test_the_document_s_own_prefix_does_not_matter() -> None:
    # The CEB511 fixture uses the default namespace; the paths still use ceb: and find the elements.
    assert b"<ceb:" not in message("CEB511")
    mapped = one(message("CEB511"))
    assert (
        mapped.origins["/transport_document"] == "/ceb:CEB511Message/ceb:Logistics[1]/ceb:LogisticsHead/ceb:logisticsNo"
    )


def test_a_gb18030_message_reads_as_its_utf8_original() -> None:
    data = message("CEB311Message.gb18030.xml")
    assert data.startswith(b'<?xml version="1.0" encoding="GB18030"?>') and "张三".encode("gb18030") in data
    mapped = one(data)
    assert mapped.ok, mapped.errors
    assert decoded(mapped) == twin("CEB311")
    assert decoded(mapped).buyer.name == "张三"


def test_a_batch_keeps_one_result_per_block_and_one_bad_block_stops_no_other() -> None:
    results = ADAPTER.parse(message("CEB311Message.batch.xml"))
    assert [r.index for r in results] == [1, 2, 3]
    assert [r.ok for r in results] == [True, False, True]
    assert [r.record["order_number"] for r in (results[0], results[2]) if r.record] == [
        "SO20240615000123",
        "SO20240615000125",
    ]
    bad = results[1]
    assert bad.record is None and bad.message_id == "8A1C2E3F-4B5D-4E6F-8A7B-9C0D1E2F3A42"
    assert {(e.where, e.pointer) for e in bad.errors} == {
        ("/ceb:CEB311Message/ceb:Order[2]/ceb:OrderHead/ceb:goodsValue", "/goods_value"),
        ("/ceb:CEB311Message/ceb:Order[2]/ceb:OrderHead/ceb:currency", "/currency"),
    }


def test_a_direct_purchase_inventory_maps_its_flight_and_master_waybill() -> None:
    # 9610 (直购进口): the cross-border leg by air, with the master air waybill and the flight.
    root = etree.fromstring(message("CEB621"))
    [inventory_head] = root.xpath(head("CEB621"), namespaces=NSMAP)
    traf_mode = inventory_head.find("{http://www.chinaport.gov.cn/ceb}trafMode")
    traf_mode.text = "5"
    for name, value in (("billNo", "160-12345675"), ("voyageNo", "CX100"), ("trafNo", "B-LJA")):
        element = etree.Element(f"{{http://www.chinaport.gov.cn/ceb}}{name}")
        element.text = value
        traf_mode.addnext(element)
    mapped = one(etree.tostring(root))
    assert mapped.ok, mapped.errors
    assert decoded(mapped).logistics.transport_mode == "air"
    assert decoded(mapped).logistics.master_waybill == "160-12345675"
    assert decoded(mapped).logistics.flight_or_voyage == "CX100"


def test_the_four_documents_match_as_three_document_matching_wants() -> None:
    consignment, order, payment, waybill = (decoded(one(message(n))) for n in ("CEB621", "CEB311", "CEB411", "CEB511"))
    result = link(consignment, order, payment, waybill)
    assert (result.status, result.reasons, result.missing) == ("linked", [], [])
    # A disagreement the checks exist for is still found: a waybill weighed at twice the declared weight.
    heavy = decoded(one(edit("CEB511", f"{head('CEB511')}/ceb:weight", "3.90")))
    assert [r.code for r in link(consignment, order, payment, heavy).reasons] == ["weight_mismatch"]


def test_the_order_and_the_waybill_come_from_the_senders_the_inventory_names() -> None:
    consignment = decoded(one(message("CEB621")))
    declarant = SENDERS["CEB621"]
    assert source_of(consignment, declarant, "order", SENDERS["CEB311"], "marketplace") == "independent"
    assert source_of(consignment, declarant, "waybill", SENDERS["CEB511"], "courier") == "independent"
    # Someone else's order under the same number is not linked.
    assert source_of(consignment, declarant, "order", "1105969999", "marketplace") is None


def test_the_payment_comes_from_the_provider_the_linked_order_names() -> None:
    """The CEB621 names no payment enterprise; its CEB311 order does (payCode), and the payment counts
    from that provider, as an independent source, once the order itself is from the platform."""
    consignment = decoded(one(message("CEB621")))
    order = decoded(one(message("CEB311")))
    assert SENDERS["CEB411"] not in named_senders(consignment, "payment")
    assert order.payment_provider.operator_id == SENDERS["CEB411"]
    declarant = SENDERS["CEB621"]
    paid_to = {order.payment_provider.operator_id}
    assert source_of(consignment, declarant, "payment", SENDERS["CEB411"], "payment_provider", paid_to) == "independent"
    assert source_of(consignment, declarant, "payment", SENDERS["CEB411"], "payment_provider") is None
