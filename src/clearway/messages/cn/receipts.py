"""Receipts: the CEB312, CEB412, CEB512 and CEB622 answers to the declarations, in kind.

A receipt echoes the keys its declaration is matched by ([XSD22]: 312 ebpCode + ebcCode + orderNo,
412 payCode + payTransactionId, 512 logisticsCode + logisticsNo, 622 copNo + preNo) and says what
became of it with a ``returnStatus`` code. The input is small and pure: the declaration's keys, read
from the :class:`Mapped` result (its record, or for a refused block the elements its origins name),
and Clearway's outcome. Elements follow the schema's sequence; the namespace is the default one,
as in the official receipt samples; the text is UTF-8.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from lxml import etree

from clearway.clearance.lifecycle import HoldReason, State
from clearway.messages import xml_safe
from clearway.messages.cn.read import CEB_NS, CHINA_TIME, CLARK, NSMAP
from clearway.messages.model import Mapped, MessageError

RECEIPT_OF = {"CEB311": "CEB312", "CEB411": "CEB412", "CEB511": "CEB512", "CEB621": "CEB622"}
RETURN_BLOCK = {"CEB312": "OrderReturn", "CEB412": "PaymentReturn", "CEB512": "LogisticsReturn",
                "CEB622": "InventoryReturn"}  # fmt: skip
# Each return block's children in the schema's order ([XSD22]; docs/standards/cn-ceb.md 4.2-4.8).
SEQUENCES: dict[str, tuple[str, ...]] = {
    "CEB312": ("guid", "ebpCode", "ebcCode", "orderNo", "returnStatus", "returnTime", "returnInfo"),
    "CEB412": ("guid", "payCode", "payTransactionId", "returnStatus", "returnTime", "returnInfo"),
    "CEB512": ("guid", "logisticsCode", "logisticsNo", "returnStatus", "returnTime", "returnInfo"),
    "CEB622": ("guid", "customsCode", "ebpCode", "ebcCode", "agentCode", "copNo", "preNo", "invtNo",
               "returnStatus", "returnTime", "returnInfo"),
}  # fmt: skip
OPTIONAL = {"CEB622": frozenset({"customsCode", "ebpCode", "ebcCode", "agentCode", "invtNo"})}
RETURN_INFO_MAX = 1000  # returnInfo C..1000

# Where each key of a receipt is in the declaration's canonical record ("sender": Mapped.sender).
KEY_POINTERS: dict[str, dict[str, str]] = {
    "CEB311": {"ebpCode": "/platform/operator_id", "ebcCode": "/seller/operator_id", "orderNo": "/order_number"},
    "CEB411": {"payCode": "sender", "payTransactionId": "/payment_id"},
    "CEB511": {"logisticsCode": "sender", "logisticsNo": "/transport_document"},
    "CEB621": {"ebpCode": "/parties/platform/operator_id", "ebcCode": "/parties/seller/operator_id",
               "agentCode": "sender", "copNo": "/reference"},
}  # fmt: skip

_DOCUMENTS = frozenset({"CEB312", "CEB412", "CEB512", "CEB622"})
_INVENTORY = frozenset({"CEB622"})
# Clearway's outcome -> returnStatus, its words in the E-Port's code list ([XSD22], [PDF22] Tables
# 3-7, 3-14, 3-21, 3-35; docs/standards/cn-ceb.md 2.1), and the receipts that may carry it. Orders,
# payments and waybills end at 120 or 100; only the inventory has a customs lifecycle (300-899).
RETURN_STATUSES: dict[str, tuple[str, str, frozenset[str]]] = {
    # Clearway stored the record after every check: 海关入库, stored by customs (for an order, a
    # payment or a waybill the final success).
    "stored": ("120", "海关入库", _DOCUMENTS),
    # Clearway refused the record (the message's own rules or the canonical checks): 海关退单,
    # returned by customs; returnInfo lists the errors with the element at fault.
    "rejected": ("100", "海关退单", _DOCUMENTS),
    # A declaration received, waiting for its order, payment and waybill, or assessed and not yet
    # released: it is in customs' system (120), not yet concluded.
    State.RECEIVED: ("120", "海关入库", _INVENTORY),
    State.AWAITING_DOCUMENTS: ("120", "海关入库", _INVENTORY),
    State.ASSESSED: ("120", "海关入库", _INVENTORY),
    # Held for information (missing or disagreeing documents, an officer's question): 人工审核,
    # manual review.
    f"{State.HELD}:{HoldReason.REQUEST_FOR_INFORMATION}": ("300", "人工审核", _INVENTORY),
    # Held for an examination of the goods, or examined and waiting for the officer's decision: 查验.
    f"{State.HELD}:{HoldReason.INSPECTION}": ("500", "查验", _INVENTORY),
    State.INSPECTED: ("500", "查验", _INVENTORY),
    # Held not to be loaded (an ICS2 notion; an imported parcel is already here): the goods are
    # detained, and Clearway names no department they are handed to (501-503), so 其它扣留.
    f"{State.HELD}:{HoldReason.DO_NOT_LOAD}": ("599", "其它扣留", _INVENTORY),
    # Seized after the examination: detained (其它扣留, for the same reason).
    State.SEIZED: ("599", "其它扣留", _INVENTORY),
    State.RETURNED: ("700", "退运", _INVENTORY),
    State.RELEASED: ("800", "放行", _INVENTORY),
    # Not here: cancelled (a withdrawn inventory is answered by the cancellation receipt CEB624, not
    # built), and 399/899 (审结, 结关: customs' own closing steps, which Clearway does not model).
}

Status = Literal["stored", "rejected"] | State


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one declaration, as Clearway decided it."""

    status: Status
    at: dt.datetime  # when (with its offset); written in China time
    hold_reason: HoldReason | None = None  # with State.HELD
    errors: Sequence[MessageError] = ()  # with "rejected"
    # Clearway's numbers for an inventory (CEB622): the pre-entry number (preNo, 18 characters,
    # required by the schema) and the inventory number (invtNo) once it has one.
    pre_no: str | None = None
    invt_no: str | None = None

    @property
    def key(self) -> str:
        if self.status is State.HELD:
            if self.hold_reason is None:
                raise ValueError("a held declaration's outcome needs its hold reason")
            return f"{State.HELD}:{self.hold_reason}"
        return str(self.status)


@dataclasses.dataclass(frozen=True, slots=True)
class ReceiptKeys:
    """The keys of one declaration that its receipt echoes, by element name."""

    message_type: str  # the declaration's: "CEB311"
    values: Mapping[str, str]


def _pointer_value(record: Mapping[str, Any], pointer: str) -> str | None:
    value: Any = record
    for token in pointer.split("/")[1:]:
        if not isinstance(value, Mapping) or token not in value:
            return None
        value = value[token]
    return value if isinstance(value, str) else None


def keys_of(mapped: Mapped, message: bytes | None = None) -> ReceiptKeys:
    """The receipt keys of one block, from its record, or (for a refused block, which has none)
    from the elements its origins name in ``message``, the original bytes."""
    if mapped.message_type not in KEY_POINTERS:
        raise ValueError(f"{mapped.message_type} is not a CEB declaration with a receipt")
    root = xml_safe.parse(message) if mapped.record is None and message is not None else None
    values: dict[str, str] = {}
    if mapped.message_id:
        values["guid"] = mapped.message_id
    for name, pointer in KEY_POINTERS[mapped.message_type].items():
        value: str | None
        if pointer == "sender":
            value = mapped.sender
        elif mapped.record is not None:
            value = _pointer_value(mapped.record, pointer)
        else:
            where = mapped.origins.get(pointer)
            found = root.xpath(f"string({where})", namespaces=NSMAP) if root is not None and where else ""
            value = found.strip() if isinstance(found, str) and found.strip() else None
        if value is not None:
            values[name] = value
    return ReceiptKeys(mapped.message_type, values)


def china_time_ms(at: dt.datetime) -> str:
    """YYYYMMDDhhmmssSSS in China time (returnTime)."""
    if at.tzinfo is None:
        raise ValueError("the outcome's time needs its UTC offset")
    local = at.astimezone(CHINA_TIME)
    return f"{local:%Y%m%d%H%M%S}{local.microsecond // 1000:03d}"


def return_info(label: str, errors: Sequence[MessageError]) -> str:
    """The receipt's text: the status in the E-Port's words, then the errors, within 1000 characters."""
    text = label
    # Each error is added only while the "... (n more)" that may have to follow it still fits.
    for shown, error in enumerate(errors):
        item = f"{'; ' if shown else ': '}{error.where}: {error.detail}"
        more = f" ... ({len(errors) - shown} more)"
        if len(text) + len(item) + (len(more) if shown < len(errors) - 1 else 0) > RETURN_INFO_MAX:
            return text + more
        text += item
    return text


def build(receipts: Sequence[tuple[ReceiptKeys, Outcome]], *, guid: str | None = None) -> bytes:
    """One receipt message answering 1 to 100 blocks of one declaration type.

    ``guid`` is the receipt's own identifier (a new one by default); each return block's ``guid``
    echoes its declaration's, as the official samples do.
    """
    if not 1 <= len(receipts) <= 100:
        raise ValueError(f"a receipt answers 1 to 100 declarations, not {len(receipts)}")
    kinds = {keys.message_type for keys, _ in receipts}
    if len(kinds) != 1:
        raise ValueError(f"one receipt answers one declaration type, not {sorted(kinds)}")
    receipt = RECEIPT_OF[kinds.pop()]
    root = etree.Element(f"{CLARK}{receipt}Message", nsmap={None: CEB_NS})
    root.set("guid", guid or str(uuid.uuid4()).upper())
    root.set("version", "1.0")
    for keys, outcome in receipts:
        found = RETURN_STATUSES.get(outcome.key)
        if found is None or receipt not in found[2]:
            raise ValueError(f"a {receipt} has no returnStatus for the outcome '{outcome.key}'")
        code, label, _ = found
        values = {
            **keys.values,
            "preNo": outcome.pre_no,
            "invtNo": outcome.invt_no,
            "returnStatus": code,
            "returnTime": china_time_ms(outcome.at),
            "returnInfo": return_info(label, outcome.errors),
        }
        block = etree.SubElement(root, f"{CLARK}{RETURN_BLOCK[receipt]}")
        for name in SEQUENCES[receipt]:
            value = values.get(name)
            if value is None:
                if name in OPTIONAL.get(receipt, ()):
                    continue
                raise ValueError(f"a {receipt} needs {name}, which the declaration's keys do not hold")
            etree.SubElement(block, f"{CLARK}{name}").text = value
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
