"""UPU messages through the application: a post's ITMATT and CUSITM items become consignments like
their JSON twins, and a message naming another post as its sender is refused.

The fixtures name the posts by UPU-style codes (FRA, DEA); Clearway's operator ids are lower-case,
so the messages here name the posts by their operator ids (docs/messages.md, "Sender")."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydifact.segmentcollection import Interchange

from clearway.app.platform import Clearway
from clearway.clearance.lifecycle import HoldReason, State
from clearway.dataset.records import Consignment
from clearway.messages.upu import cusrsp
from tests.app.summary import summary
from tests.conftest import decode, empty, fixture_json, register_operators

UPU = Path(__file__).resolve().parents[1] / "fixtures" / "messages" / "upu"
ITMATT = (UPU / "itmatt-2-items.xml").read_bytes().replace(b">FRA<", b">op-post-fr<")
CUSITM = (UPU / "cusitm-2-messages.edi").read_bytes().replace(b"+DEA+", b"+op-post-de+")
NOW = dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=4)


@pytest.fixture
def posts(service: Clearway) -> None:
    # The French post writes the ITMATT; the German post sends the CUSITM to its customs.
    register_operators(service, {"op-post-fr": "postal_operator", "op-post-de": "postal_operator"})


@pytest.mark.usefixtures("posts")
@pytest.mark.parametrize(
    ("standard", "data", "operator", "media_type"),
    [
        ("upu-itmatt", ITMATT, "op-post-fr", "application/xml"),
        ("upu-cusitm", CUSITM, "op-post-de", "application/edifact"),
    ],
)
def test_each_item_is_accepted_as_a_consignment(
    service: Clearway, standard: str, data: bytes, operator: str, media_type: str
) -> None:
    received = service.messages.receive(standard, operator, data, media_type)
    assert [(r.status, r.message_ref, r.reference) for r in received.records] == [
        ("accepted", "RR473124829FR", "RR473124829FR"),
        ("accepted", "LX202501115FR", "LX202501115FR"),
    ]


@pytest.mark.usefixtures("posts")
def test_a_message_in_another_posts_name_is_refused(service: Clearway) -> None:
    received = service.messages.receive("upu-itmatt", "op-post-de", ITMATT, "text/xml")
    assert {r.status for r in received.records} == {"rejected"}
    assert "'op-post-fr' as its sender" in received.records[0].errors[0].detail


def _cusrsp(text: str) -> tuple[str, str, list[str]]:
    """Item id (BGM), decision code (GIS) and the MOA amounts of a CUSRSP, as a receiver reads them."""
    with warnings.catch_warnings():  # pydifact 0.2.3 warns that it has no directory for UNB
        warnings.simplefilter("ignore")
        (message,) = Interchange.from_str(text).get_messages()
    assert message.type == "CUSRSP"
    bgm, gis = message.get_segment("BGM"), message.get_segment("GIS")
    assert bgm is not None and gis is not None
    amounts = [str(s.elements[0][1]) for s in message.get_segments("MOA")]
    return str(bgm.elements[1]), str(gis.elements[0][0]), amounts


@pytest.mark.usefixtures("posts")
@pytest.mark.parametrize(
    ("standard", "data", "operator"),
    [("upu-itmatt", ITMATT, "op-post-fr"), ("upu-cusitm", CUSITM, "op-post-de")],
)
def test_each_item_is_answered_by_a_cusrsp_from_its_state_now(
    service: Clearway, standard: str, data: bytes, operator: str
) -> None:
    received = service.messages.receive(standard, operator, data, "application/edifact")
    first, second = (str(r.id) for r in received.records)
    answers = service.messages.responses(received.id) or []
    assert [a.message_type for a in answers] == ["CUSRSP", "CUSRSP"]
    # Two interchanges from one sender never share a control reference (UNB 0020), even when their
    # items' states share their second.
    references = {a.text.split("'")[1].split("+")[5] for a in answers}
    assert len(references) == 2, references
    for answer, record in zip(answers, received.records, strict=True):
        item, code, amounts = _cusrsp(answer.text)
        dossier = service.dossier(None, str(record.id))
        assert dossier is not None
        state = dossier.consignment.status
        assert (item, code) == (record.message_ref, cusrsp.response_for(state.state, state.hold_reason).code)
        total = None if dossier.assessment is None else dossier.assessment.total
        assert amounts == ([format(total, "f")] if total is not None and total > 0 else [])
    # An officer holds the first item for examination: its answer follows, the other's does not move.
    service.control(first, State.HELD, actor="person:officer", reason="x-ray", hold_reason=HoldReason.INSPECTION)
    item, code, _ = _cusrsp((service.messages.responses(received.id) or [])[0].text)
    assert (item, code) == ("RR473124829FR", "30")
    # Per consignment: the answers about that item alone, and only to its own post.
    (only,) = service.messages.responses_for(second, operator) or []
    assert only[0] == received.id and _cusrsp(only[1].text)[0] == "LX202501115FR"
    other = "op-post-de" if operator == "op-post-fr" else "op-post-fr"
    assert service.messages.responses_for(second, other) is None


@pytest.mark.parametrize(
    ("standard", "data", "operator"),
    [("upu-itmatt", ITMATT, "op-post-fr"), ("upu-cusitm", CUSITM, "op-post-de")],
)
def test_each_item_ends_as_its_json_twin(
    service: Clearway, engine: sa.Engine, standard: str, data: bytes, operator: str
) -> None:
    """Stored, linked, assessed and decided alike: the whole pipeline, not only the mapping."""
    register_operators(service, {"op-post-fr": "postal_operator", "op-post-de": "postal_operator"})
    received = service.messages.receive(standard, operator, data, "application/edifact", now=NOW)
    # Without its documents a declaration waits for them; past the wait it is held for them (decided).
    service.expire_overdue(now=LATER)
    by_messages = {str(r.message_ref): summary(service, operator, str(r.id)) for r in received.records}
    empty(engine)
    register_operators(service, {"op-post-fr": "postal_operator", "op-post-de": "postal_operator"})
    twins = [decode(Consignment, fixture_json(f"messages/upu/consignment-{item}.json")) for item in by_messages]
    results = service.submit_consignments(operator, twins, now=NOW)
    service.expire_overdue(now=LATER)
    by_json = {str(r.reference): summary(service, operator, str(r.id)) for r in results}
    assert by_messages == by_json
    assert all(s["total"] is not None and s["decision"] is not None for s in by_json.values()), by_json
