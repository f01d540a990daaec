"""ICS2's answers written from the houses' states alone: registration, one notice per kind of answer,
one referral per referred house, the refused houses' errors; nothing for a house with no state."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from lxml import etree

from clearway.messages.eu.answers import mrn
from clearway.messages.eu.ics2 import Ics2HouseAdapter
from clearway.messages.eu.ics2_respond import respond
from clearway.messages.model import MessageError, RecordState

EU = Path(__file__).resolve().parents[2] / "fixtures" / "messages" / "eu"
AT = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
DATA = (EU / "ics2-IE3F22-2-houses.xml").read_bytes()
MAPPED = Ics2HouseAdapter().parse(DATA)


def test_the_mrn_has_eighteen_characters_and_is_stable() -> None:
    assert mrn("0a1b2c3d4e5f60718293a4b5c6d7e8f9", "de", AT) == "26DE0A1B2C3D4E5F60"
    assert mrn("x", "DE", AT) == "26DEX0000000000000"


def test_a_house_without_a_state_is_not_answered() -> None:
    assert respond(MAPPED, DATA, [None, None], guid="G") == []


def test_screening_and_refusal_each_have_their_message() -> None:
    due = AT + dt.timedelta(minutes=90)
    states = [
        RecordState("request_for_screening", AT, number="F1", reasons=("screen it",), due_at=due),
        RecordState("rejected", AT, errors=(MessageError("/IE3F22/x", "bad", "/packages"),)),
    ]
    answers = {r.message_type: etree.fromstring(r.body) for r in respond(MAPPED, DATA, states, guid="G")}
    assert sorted(answers) == ["IE3N99", "IE3Q03", "IE3R01"]
    assert [e.text for e in answers["IE3R01"].iter("documentNumber")] == ["HAWB0001"]
    details = answers["IE3Q03"].find("referralRequestDetails")
    assert details is not None
    assert (details.findtext("referralRequestReference"), details.findtext("requestType")) == ("F1", "RFS")
    assert details.findtext("responseDeadline") == "2026-11-20T10:30:00Z"
    error = answers["IE3N99"].find("functionalError")
    assert error is not None
    assert [error.findtext(n) for n in ("errorPointer", "errorReason", "canonicalPointer")] == [
        "/IE3F22/x",
        "bad",
        "/packages",
    ]
    assert answers["IE3N99"].findtext("MRN") is None and answers["IE3N99"].findtext("LRN") == "LRN-2026-000001"
