"""The UPU fixtures and their canonical twins, shared by the ITMATT, CUSITM and CUSRSP tests."""

from __future__ import annotations

from pathlib import Path

from clearway.dataset.decode import RecordDecoder
from clearway.dataset.records import Consignment

UPU = Path(__file__).resolve().parents[2] / "fixtures" / "messages" / "upu"
# Both fixtures carry the same two postal items, in this order.
ITEMS = ("RR473124829FR", "LX202501115FR")
DECODER = RecordDecoder(Consignment)


def fixture(name: str) -> bytes:
    return (UPU / name).read_bytes()


def twin(item_id: str) -> Consignment:
    """The canonical record an item must map to, decoded as the JSON API decodes it."""
    record, errors = DECODER.decode(fixture(f"consignment-{item_id}.json"))
    assert errors == [] and record is not None
    return record
