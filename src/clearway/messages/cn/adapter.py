"""``CebAdapter``: China's CEB311, CEB411, CEB511 and CEB621 import declarations, one canonical record
per block.

The root element says which message it is; each message holds 1 to 100 blocks (orders, payments,
waybills or inventories), and each block becomes one :class:`Mapped` (``index`` is its position), so
one bad block never stops the others. A block is mapped in two steps: the message's own rules
(required elements, N19,5 decimals, YYYYMMDDhhmmss times, the code tables, appType and appStatus),
whose errors name the element; then the canonical checks of the record (``RecordDecoder``), whose
errors are located back to the element the field came from (``Mapped.where_of``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, cast

from lxml import etree

from clearway.dataset.decode import RecordDecoder
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.messages import xml_safe
from clearway.messages.cn import documents, inventory
from clearway.messages.cn.read import ACTIONS, CEB_NS, CLARK, Block, Fields
from clearway.messages.model import Adapter, Mapped, MessageError, RecordKind, Standard

MAX_BLOCKS = 100  # Order, Payment, Logistics, Inventory: maxOccurs 100 ([XSD22])
MAX_LINES = 99  # OrderList, InventoryList: maxOccurs 99


@dataclasses.dataclass(frozen=True, slots=True)
class MessageSpec:
    """One declaration message: its elements, the record it maps to and who sends it."""

    message_type: str  # "CEB311"
    block: str  # the repeated element: "Order"
    head: str  # "OrderHead"
    lines: str | None  # "OrderList", or None when the block has no list part
    kind: RecordKind
    sender: str  # the head element naming the sender's customs registration code
    build: Callable[[Fields, list[Fields]], dict[str, Any]]
    decoder: RecordDecoder[Any]

    @property
    def head_tag(self) -> str:
        return CLARK + self.head

    @property
    def lines_tag(self) -> str | None:
        return None if self.lines is None else CLARK + self.lines

    @property
    def root(self) -> str:
        return f"{self.message_type}Message"

    @property
    def lines_at(self) -> str:
        """The canonical list the lines become."""
        return "/items" if self.kind == "consignment" else "/lines"


_MESSAGES = (
    MessageSpec("CEB311", "Order", "OrderHead", "OrderList", "order", "ebpCode", documents.order, RecordDecoder(Order)),
    MessageSpec("CEB411", "Payment", "PaymentHead", None, "payment", "payCode", documents.payment,
                RecordDecoder(Payment)),
    MessageSpec("CEB511", "Logistics", "LogisticsHead", None, "waybill", "logisticsCode", documents.waybill,
                RecordDecoder(Waybill)),
    MessageSpec("CEB621", "Inventory", "InventoryHead", "InventoryList", "consignment", "agentCode",
                inventory.consignment, RecordDecoder(Consignment)),
)  # fmt: skip
SPECS: dict[str, MessageSpec] = {f"{CLARK}{spec.root}": spec for spec in _MESSAGES}
ACCEPTED_ROOTS = ", ".join(spec.root for spec in SPECS.values())
_RECEIPTS = frozenset({"CEB312Message", "CEB412Message", "CEB512Message", "CEB622Message"})


def _whole(message_type: str, where: str, detail: str) -> list[Mapped]:
    """The one result of a message refused as a whole (unreadable, wrong root, too many blocks)."""
    error = MessageError(where=where, detail=detail)
    return [Mapped(1, message_type, None, None, None, {}, (error,))]


def _wrong_root(root: etree._Element) -> list[Mapped]:
    name = etree.QName(root)
    where = f"/{root.prefix}:{name.localname}" if root.prefix else f"/{name.localname}"
    message_type = name.localname.removesuffix("Message") if name.localname.startswith("CEB") else name.localname
    if name.namespace != CEB_NS and f"{CLARK}{name.localname}" in SPECS:
        detail = f"the root element {name.localname} is not in the CEB namespace {CEB_NS}"
    else:
        receipt = " (a receipt, which Clearway sends rather than reads)" if name.localname in _RECEIPTS else ""
        qualified = f"{{{name.namespace}}}{name.localname}" if name.namespace else name.localname
        detail = (
            f"the root element {qualified}{receipt} is not a CEB declaration: "
            f"accepted roots are {ACCEPTED_ROOTS} in the namespace {CEB_NS}"
        )
    return _whole(message_type, where, detail)


def _map_block(spec: MessageSpec, index: int, element: etree._Element) -> Mapped:
    path = f"/ceb:{spec.root}/ceb:{spec.block}[{index}]"
    block = Block(path)
    # The head (the first, as the schema has one) and the lines, in one pass over the block's children.
    head_tag, lines_tag = spec.head_tag, spec.lines_tag
    head_element: etree._Element | None = None
    line_elements: list[etree._Element] = []
    for child in element:
        tag = child.tag
        if tag == lines_tag:
            line_elements.append(child)
        elif tag == head_tag and head_element is None:
            head_element = child
    if head_element is None:
        error = MessageError(where=f"{path}/ceb:{spec.head}", detail=f"the required element {spec.head} is missing")
        return Mapped(index, spec.message_type, spec.kind, None, None, block.origins, (error,))
    head = Fields(block, head_element, f"{path}/ceb:{spec.head}")
    lines: list[Fields] = []
    if spec.lines is not None:
        lines = [
            Fields(block, line, f"{path}/ceb:{spec.lines}[{number}]") for number, line in enumerate(line_elements, 1)
        ]
        if not lines:
            block.error(
                f"{path}/ceb:{spec.lines}",
                f"the required element {spec.lines} is missing (1 to {MAX_LINES})",
                spec.lines_at,
            )
        elif len(lines) > MAX_LINES:
            detail = f"the block holds {len(lines)} {spec.lines}: the standard allows {MAX_LINES}"
            block.error(lines[MAX_LINES].path, detail, spec.lines_at)
    message_id = head.text("guid")
    sender = head.text(spec.sender, required=False)
    record = spec.build(head, lines)
    # Converted from the built objects: no JSON text in between, whose form rules (amounts as text)
    # the message's own checks have already applied to the elements.
    _, field_errors = spec.decoder.convert(record)
    action = ACTIONS.get(head.text("appType", required=False) or "1", "new")
    mapped = Mapped(index, spec.message_type, spec.kind, message_id, record, block.origins, (), sender, action)
    # A field the message's own checks refused is absent from the record: the canonical "required
    # field is missing" would say it a second time, less precisely.
    refused = {e.pointer for e in block.errors if e.pointer}
    canonical = tuple(
        MessageError(where=mapped.where_of(e.pointer), detail=e.detail, pointer=e.pointer)
        for e in field_errors
        if e.pointer not in refused
    )
    if block.errors:
        return dataclasses.replace(mapped, record=None, errors=(*block.errors, *canonical))
    return dataclasses.replace(mapped, errors=canonical) if canonical else mapped


class CebAdapter:
    """China's cross-border e-commerce import declarations (standard "cn-ceb")."""

    standard: Standard = "cn-ceb"
    media_types: tuple[str, ...] = ("application/xml", "text/xml")

    def parse(self, data: bytes) -> list[Mapped]:
        try:
            root = xml_safe.parse(data)
        except xml_safe.XmlRefused as refused:
            return _whole("unknown", refused.where, refused.detail)
        spec = SPECS.get(cast(str, root.tag))
        if spec is None:
            return _wrong_root(root)
        tag = f"{CLARK}{spec.block}"
        blocks = [child for child in root if child.tag == tag]
        if not blocks:
            return _whole(spec.message_type, f"/ceb:{spec.root}/ceb:{spec.block}", f"the message holds no {spec.block}")
        if len(blocks) > MAX_BLOCKS:
            return _whole(
                spec.message_type,
                f"/ceb:{spec.root}/ceb:{spec.block}[{MAX_BLOCKS + 1}]",
                f"the message holds {len(blocks)} {spec.block} blocks: the standard allows {MAX_BLOCKS}",
            )
        return [_map_block(spec, index, block) for index, block in enumerate(blocks, 1)]


_CONFORMS: Adapter = CebAdapter()  # mypy holds the class to the Adapter protocol
