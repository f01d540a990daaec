"""The CEB fixtures (one purchase: order, payment, waybill, inventory) and ways to spoil them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
from lxml import etree

from clearway.dataset.decode import RecordDecoder
from clearway.dataset.records import Consignment, Order, Payment, Waybill
from clearway.messages.cn import CebAdapter
from clearway.messages.cn.read import NSMAP
from clearway.messages.model import Mapped

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "messages" / "cn"
# Each declaration, the JSON twin it must map to, and that twin's record class.
TWINS: dict[str, tuple[str, type[Any]]] = {
    "CEB311": ("order.json", Order),
    "CEB411": ("payment.json", Payment),
    "CEB511": ("waybill.json", Waybill),
    "CEB621": ("consignment.json", Consignment),
}
ADAPTER = CebAdapter()


def message(name: str) -> bytes:
    """A fixture's bytes: "CEB311" or a file name."""
    return (FIXTURES / (f"{name}Message.xml" if name in TWINS else name)).read_bytes()


def twin(name: str) -> Any:
    file, cls = TWINS[name]
    record, errors = RecordDecoder(cls).decode((FIXTURES / file).read_bytes())
    assert errors == []
    return record


def decoded(mapped: Mapped) -> Any:
    """The mapped record as the API would decode it."""
    assert mapped.record is not None and mapped.kind is not None
    cls = {"order": Order, "payment": Payment, "waybill": Waybill, "consignment": Consignment}[mapped.kind]
    record, errors = RecordDecoder(cls).decode(msgspec.json.encode(mapped.record))
    assert errors == []
    return record


def one(data: bytes) -> Mapped:
    [mapped] = ADAPTER.parse(data)
    return mapped


def edit(name: str, path: str, text: str | None = None, *, remove: bool = False) -> bytes:
    """The fixture ``name`` with the element at ``path`` (ceb: prefix) given ``text``, or removed."""
    root = etree.fromstring(message(name))
    [element] = root.xpath(path, namespaces=NSMAP)
    if remove:
        element.getparent().remove(element)
    else:
        element.text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def head(name: str) -> str:
    """The path of the first block's head of a fixture."""
    block = {"CEB311": "Order", "CEB411": "Payment", "CEB511": "Logistics", "CEB621": "Inventory"}[name]
    return f"/ceb:{name}Message/ceb:{block}[1]/ceb:{block}Head"
