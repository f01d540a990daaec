"""China's appType 2 (变更) and 3 (删除) on an inventory: a change is an amendment and a deletion a
withdrawal, through the same controls as the API's. A declaration in customs' hands is neither
changed nor withdrawn by a message; another agent's declaration is not found; a change to an order,
payment or waybill is refused (a document received is kept as evidence)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from clearway.app.platform import Clearway
from clearway.clearance.lifecycle import HoldReason, State
from tests.conftest import register_operators

CN = Path(__file__).resolve().parents[1] / "fixtures" / "messages" / "cn"
NOW = dt.datetime(2024, 6, 15, 3, 0, tzinfo=dt.UTC)
PLATFORM, AGENT, OTHER_AGENT = "1105960001", "1105980005", "1105980009"
INVENTORY = (CN / "CEB621Message.xml").read_bytes()
APP_TYPE = b"<ceb:appType>1</ceb:appType>"


def inventory(app_type: str, *, agent: str = AGENT, description: bytes | None = None) -> bytes:
    data = INVENTORY.replace(APP_TYPE, f"<ceb:appType>{app_type}</ceb:appType>".encode())
    data = data.replace(f"<ceb:agentCode>{AGENT}<".encode(), f"<ceb:agentCode>{agent}<".encode())
    return data if description is None else data.replace(b"<ceb:gname>", b"<ceb:gname>" + description, 1)


@pytest.fixture
def filed(service: Clearway) -> str:
    register_operators(service, {PLATFORM: "marketplace", AGENT: "broker", OTHER_AGENT: "broker"})
    received = service.messages.receive("cn-ceb", AGENT, inventory("1"), "application/xml", now=NOW)
    (record,) = received.records
    assert record.status == "accepted" and record.id, record
    return record.id


def _version(service: Clearway, consignment_id: str) -> tuple[int, State]:
    dossier = service.dossier(None, consignment_id)
    assert dossier is not None
    return dossier.consignment.version, dossier.consignment.status.state


def test_a_change_is_a_new_version_of_the_same_declaration(service: Clearway, filed: str) -> None:
    changed = service.messages.receive("cn-ceb", AGENT, inventory("2", description=b"New "), "application/xml")
    (record,) = changed.records
    assert (record.status, record.id) == ("accepted", filed)
    assert _version(service, filed)[0] == 2


def test_a_deletion_withdraws_the_declaration(service: Clearway, filed: str) -> None:
    deleted = service.messages.receive("cn-ceb", AGENT, inventory("3"), "application/xml")
    (record,) = deleted.records
    assert (record.status, record.id, record.state) == ("accepted", filed, "cancelled")
    assert _version(service, filed) == (1, State.CANCELLED)


@pytest.mark.parametrize("app_type", ["2", "3"])
def test_a_declaration_in_customs_hands_is_neither_changed_nor_withdrawn(
    service: Clearway, filed: str, app_type: str
) -> None:
    service.control(filed, State.HELD, actor="person:o", reason="x-ray", hold_reason=HoldReason.INSPECTION)
    answer = service.messages.receive("cn-ceb", AGENT, inventory(app_type, description=b"Harmless "), "text/xml")
    (record,) = answer.records
    assert record.status == "conflict" and "can no longer be" in record.errors[0].detail, record
    assert _version(service, filed) == (1, State.HELD)
    # The message is kept with its refusal, and the receipt still says held for inspection (500).
    kept = service.messages.read(answer.id)
    assert kept is not None and kept.records[0].status == "conflict"


def test_another_agents_declaration_is_not_found(service: Clearway, filed: str) -> None:
    answer = service.messages.receive("cn-ceb", OTHER_AGENT, inventory("3", agent=OTHER_AGENT), "application/xml")
    (record,) = answer.records
    assert record.status == "rejected" and record.errors[0].pointer == "/reference"
    assert "no declaration of yours" in record.errors[0].detail
    assert _version(service, filed) != (1, State.CANCELLED)


def test_a_change_that_names_no_declaration_is_refused(service: Clearway) -> None:
    register_operators(service, {AGENT: "broker"})
    answer = service.messages.receive("cn-ceb", AGENT, inventory("2"), "application/xml")
    (record,) = answer.records
    assert record.status == "rejected" and record.errors[0].pointer == "/reference"
    assert record.errors[0].where == "/ceb:CEB621Message/ceb:Inventory[1]/ceb:InventoryHead/ceb:copNo"


def test_a_change_to_an_order_is_refused_as_evidence_kept(service: Clearway) -> None:
    register_operators(service, {PLATFORM: "marketplace"})
    order = (CN / "CEB311Message.xml").read_bytes().replace(APP_TYPE, b"<ceb:appType>2</ceb:appType>")
    (record,) = service.messages.receive("cn-ceb", PLATFORM, order, "application/xml").records
    assert record.status == "rejected" and "kept as evidence" in record.errors[0].detail
    assert record.errors[0].where.endswith("ceb:appType")
