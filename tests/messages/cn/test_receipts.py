"""Receipts answer each declaration in kind: its keys echoed, Clearway's outcome as a returnStatus,
the schema's element order, China time, UTF-8; and they read back through the safe parser."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from clearway.clearance.lifecycle import HoldReason, State
from clearway.messages import xml_safe
from clearway.messages.cn import receipts
from clearway.messages.cn.read import CEB_NS
from clearway.messages.cn.receipts import Outcome, ReceiptKeys, build, keys_of
from clearway.messages.model import MessageError
from tests.messages.cn.ceb import ADAPTER, message, one

AT = dt.datetime(2024, 6, 15, 2, 1, 5, 123456, tzinfo=dt.UTC)  # 10:01:05.123 in China
STORED = Outcome("stored", AT)
# The return blocks' children as the research lists them from the 202205 XSD
# (docs/standards/cn-ceb.md 4.2, 4.4, 4.6, 4.8), typed again here so that a drift shows.
XSD_SEQUENCES = {
    "CEB312": ["guid", "ebpCode", "ebcCode", "orderNo", "returnStatus", "returnTime", "returnInfo"],
    "CEB412": ["guid", "payCode", "payTransactionId", "returnStatus", "returnTime", "returnInfo"],
    "CEB512": ["guid", "logisticsCode", "logisticsNo", "returnStatus", "returnTime", "returnInfo"],
    "CEB622": ["guid", "customsCode", "ebpCode", "ebcCode", "agentCode", "copNo", "preNo", "invtNo",
               "returnStatus", "returnTime", "returnInfo"],
}  # fmt: skip
KEYS = {
    "CEB311": {"ebpCode": "1105960001", "ebcCode": "1105960002", "orderNo": "SO20240615000123"},
    "CEB411": {"payCode": "3101960003", "payTransactionId": "PAY20240615000123"},
    "CEB511": {"logisticsCode": "1105980004", "logisticsNo": "YT2024061500000123"},
    "CEB621": {
        "ebpCode": "1105960001",
        "ebcCode": "1105960002",
        "agentCode": "1105980005",
        "copNo": "COP20240615000123",
    },
}
PRE_NO = "CW2024061500000001"


def read_back(data: bytes) -> tuple[etree._Element, list[dict[str, str]]]:
    root = xml_safe.parse(data)
    blocks = [{etree.QName(child).localname: child.text or "" for child in block} for block in root]
    return root, blocks


@pytest.mark.parametrize("declaration", sorted(KEYS))
def test_a_receipt_echoes_the_declaration_s_keys_in_the_schema_s_order(declaration: str) -> None:
    mapped = one(message(declaration))
    keys = keys_of(mapped)
    assert keys == ReceiptKeys(declaration, {"guid": mapped.message_id, **KEYS[declaration]})
    outcome = Outcome("stored", AT, pre_no=PRE_NO) if declaration == "CEB621" else STORED
    data = build([(keys, outcome)], guid="B1C2D3E4-F5A6-4B7C-8D9E-0F1A2B3C4D5E")
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root, [block] = read_back(data)
    receipt = receipts.RECEIPT_OF[declaration]
    assert root.tag == f"{{{CEB_NS}}}{receipt}Message" and root.prefix is None
    assert (root.get("guid"), root.get("version")) == ("B1C2D3E4-F5A6-4B7C-8D9E-0F1A2B3C4D5E", "1.0")
    assert etree.QName(root[0]).localname == receipts.RETURN_BLOCK[receipt]
    assert [n for n in XSD_SEQUENCES[receipt] if n in block] == list(block)
    assert block["guid"] == mapped.message_id
    assert {k: block[k] for k in KEYS[declaration]} == KEYS[declaration]
    assert (block["returnStatus"], block["returnTime"], block["returnInfo"]) == ("120", "20240615100105123", "海关入库")


@pytest.mark.parametrize(
    ("outcome", "status", "info"),
    [
        (Outcome(State.RECEIVED, AT), "120", "海关入库"),
        (Outcome(State.AWAITING_DOCUMENTS, AT), "120", "海关入库"),
        (Outcome(State.HELD, AT, hold_reason=HoldReason.REQUEST_FOR_INFORMATION), "300", "人工审核"),
        (Outcome(State.HELD, AT, hold_reason=HoldReason.INSPECTION), "500", "查验"),
        (Outcome(State.INSPECTED, AT), "500", "查验"),
        (Outcome(State.HELD, AT, hold_reason=HoldReason.DO_NOT_LOAD), "599", "其它扣留"),
        (Outcome(State.SEIZED, AT), "599", "其它扣留"),
        (Outcome(State.RETURNED, AT), "700", "退运"),
        (Outcome(State.RELEASED, AT, invt_no="22442024I000000001"), "800", "放行"),
    ],
)
def test_the_inventory_receipt_follows_the_consignment_s_lifecycle(outcome: Outcome, status: str, info: str) -> None:
    keys = keys_of(one(message("CEB621")))
    _, [block] = read_back(build([(keys, Outcome(**{**_fields(outcome), "pre_no": PRE_NO}))]))
    assert (block["returnStatus"], block["returnInfo"], block["preNo"]) == (status, info, PRE_NO)
    assert block.get("invtNo") == outcome.invt_no


def _fields(outcome: Outcome) -> dict[str, object]:
    return {name: getattr(outcome, name) for name in Outcome.__dataclass_fields__}


def test_a_status_the_receipt_may_not_carry_is_refused() -> None:
    order_keys = keys_of(one(message("CEB311")))
    with pytest.raises(ValueError, match="a CEB312 has no returnStatus for the outcome 'released'"):
        build([(order_keys, Outcome(State.RELEASED, AT))])
    inventory_keys = keys_of(one(message("CEB621")))
    with pytest.raises(ValueError, match="'cancelled'"):
        build([(inventory_keys, Outcome(State.CANCELLED, AT, pre_no=PRE_NO))])
    with pytest.raises(ValueError, match="needs preNo"):
        build([(inventory_keys, STORED)])
    with pytest.raises(ValueError, match="hold reason"):
        build([(inventory_keys, Outcome(State.HELD, AT, pre_no=PRE_NO))])
    with pytest.raises(ValueError, match="UTC offset"):
        build([(order_keys, Outcome("stored", AT.replace(tzinfo=None)))])
    with pytest.raises(ValueError, match="one declaration type"):
        build([(order_keys, STORED), (inventory_keys, STORED)])


def test_a_refused_block_is_answered_with_its_errors_and_keys_read_from_the_message() -> None:
    batch = message("CEB311Message.batch.xml")
    results = ADAPTER.parse(batch)
    answers = [(keys_of(r, batch), STORED if r.ok else Outcome("rejected", AT, errors=r.errors)) for r in results]
    _, blocks = read_back(build(answers))
    assert [b["orderNo"] for b in blocks] == ["SO20240615000123", "SO20240615000124", "SO20240615000125"]
    assert [b["returnStatus"] for b in blocks] == ["120", "100", "120"]
    assert blocks[1]["guid"] == "8A1C2E3F-4B5D-4E6F-8A7B-9C0D1E2F3A42" and blocks[1]["ebcCode"] == "1105960002"
    info = blocks[1]["returnInfo"]
    assert info.startswith("海关退单: /ceb:CEB311Message/ceb:Order[2]/ceb:OrderHead/ceb:goodsValue: use a full stop")
    assert "/ceb:Order[2]/ceb:OrderHead/ceb:currency: currency '156' is refused" in info


def test_the_receipt_text_stays_within_the_schema_s_1000_characters() -> None:
    mapped = one(message("CEB311"))
    errors = [MessageError(f"/ceb:CEB311Message/ceb:Order[1]/e{n}", "x" * 80) for n in range(40)]
    info = receipts.return_info("海关退单", errors)
    assert len(info) <= receipts.RETURN_INFO_MAX and info.endswith("more)")
    shown = info.count("/e")
    assert f"({40 - shown} more)" in info
    _, [block] = read_back(build([(keys_of(mapped), Outcome("rejected", AT, errors=errors))]))
    assert block["returnInfo"] == info


def test_one_receipt_answers_up_to_100_declarations() -> None:
    keys = keys_of(one(message("CEB411")))
    _, blocks = read_back(build([(keys, STORED)] * 100))
    assert len(blocks) == 100
    with pytest.raises(ValueError, match="1 to 100"):
        build([(keys, STORED)] * 101)
