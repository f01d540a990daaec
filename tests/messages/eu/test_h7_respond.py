"""H7 answers written from each declaration's state alone, in IDMS-H7's flow: IE906 for a rejected
declaration, IE428 once accepted, then IE429 on release or IE451 when not released."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from clearway.messages.eu.h7 import H7Adapter
from clearway.messages.eu.h7_respond import respond
from clearway.messages.model import MessageError, RecordState

EU = Path(__file__).resolve().parents[2] / "fixtures" / "messages" / "eu"
DATA = (EU / "h7-2-declarations.xml").read_bytes()
MAPPED = H7Adapter().parse(DATA)
RECEIVED = dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC)
LATER = RECEIVED + dt.timedelta(hours=2)
NUMBER = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"


def kinds(states: list[RecordState | None]) -> list[tuple[str, str | None, str | None]]:
    found = []
    for answer in respond(MAPPED, DATA, states, guid="G"):
        root = etree.fromstring(answer.body)
        assert root.tag == answer.message_type
        found.append((answer.message_type, root.findtext("LRN"), root.findtext("MRN")))
    return found


def state(status: str, **extra: object) -> RecordState:
    return RecordState(status, LATER, number=NUMBER, received_at=RECEIVED, **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "answers"),
    [
        ("awaiting_documents", ["IE428"]),
        ("held", ["IE428"]),
        ("released", ["IE428", "IE429"]),
        ("seized", ["IE428", "IE451"]),
        ("returned", ["IE428", "IE451"]),
        ("cancelled", []),
    ],
)
def test_each_state_gives_its_answers(status: str, answers: list[str]) -> None:
    found = kinds([state(status), None])
    assert [kind for kind, _, _ in found] == answers
    assert all(lrn == "LRN2026000000000001" and mrn == "26DE0A1B2C3D4E5F60" for _, lrn, mrn in found)


def test_a_release_says_when_and_what_is_due() -> None:
    answers = respond(MAPPED, DATA, [state("released", duties=(Decimal("4.75"), "EUR")), None], guid="G")
    released = etree.fromstring(answers[1].body)
    assert released.findtext("releaseDate") == "2026-11-21T10:00:00Z"
    assert released.findtext("dutiesAndTaxes/totalPayableTaxAmount") == "4.75"
    assert etree.fromstring(answers[0].body).findtext("acceptanceDate") == "2026-11-21T08:00:00Z"


def test_a_rejected_declaration_gets_its_errors_typed() -> None:
    errors = (
        MessageError("/H7/x", "required element x is missing", "/items/0/hs_code"),
        MessageError("/H7/y", "'12,5' is not a decimal", "/transaction/goods_value"),
    )
    (rejected,) = respond(MAPPED, DATA, [None, RecordState("rejected", RECEIVED, errors=errors)], guid="G")
    root = etree.fromstring(rejected.body)
    assert (root.tag, root.findtext("LRN"), root.findtext("MRN")) == ("IE906", "LRN2026000000000002", None)
    found = [
        (e.findtext("errorType"), e.findtext("errorPointer"), e.findtext("canonicalPointer"))
        for e in root.iter("functionalError")
    ]
    assert found == [("13", "/H7/x", "/items/0/hs_code"), ("12", "/H7/y", "/transaction/goods_value")]
