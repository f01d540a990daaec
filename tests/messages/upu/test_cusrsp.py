"""CUSRSP out: built from a consignment's state, read back by pydifact (and by our own reader) with
the item id, the decision code, the reason and the duties intact."""

from __future__ import annotations

import datetime as dt
import warnings
from decimal import Decimal

import pytest
from pydifact.segmentcollection import Interchange, Message

from clearway.clearance.lifecycle import HoldReason, State
from clearway.messages.model import MessageError
from clearway.messages.upu import cusrsp, edifact
from clearway.messages.upu.cusrsp import DutiesDue, Situation, build

AT = dt.datetime(2026, 11, 22, 11, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def _read(text: str) -> Message:
    with warnings.catch_warnings():  # pydifact 0.2.3 warns that it has no directory for UNB
        warnings.simplefilter("ignore")
        interchange = Interchange.from_str(text)
    (message,) = interchange.get_messages()
    assert message.type == "CUSRSP"
    return message


def _answer(message: Message) -> tuple[str, str, str]:
    """Item id (BGM 1004), decision code (GIS 7365) and reason (FTX+AAI) as a receiver reads them."""
    bgm, gis = message.get_segment("BGM"), message.get_segment("GIS")
    assert bgm is not None and gis is not None
    assert gis.elements[0][1:] == [cusrsp.CODE_LIST, cusrsp.AGENCY]
    reason = message.get_segment("FTX", lambda s: s.elements[0] == "AAI")
    return str(bgm.elements[1]), str(gis.elements[0][0]), "" if reason is None else str(reason.elements[3])


@pytest.mark.parametrize(
    ("state", "hold", "code"),
    [
        (State.RECEIVED, None, "10"),
        (State.AWAITING_DOCUMENTS, None, "10"),
        (State.ASSESSED, None, "10"),
        (State.HELD, HoldReason.INSPECTION, "30"),
        (State.HELD, HoldReason.DO_NOT_LOAD, "30"),
        (State.HELD, HoldReason.REQUEST_FOR_INFORMATION, "31"),
        (State.INSPECTED, None, "30"),
        (State.RELEASED, None, "20"),
        (State.SEIZED, None, "40"),
        (State.RETURNED, None, "50"),
        (State.CANCELLED, None, "60"),
        ("refused", None, "90"),
    ],
)
def test_each_state_round_trips_with_its_code(state: Situation, hold: HoldReason | None, code: str) -> None:
    reason = f"the consignment is {state}"
    text = build("RR473124829FR", state, reason, None, AT, hold=hold)
    assert _answer(_read(text)) == ("RR473124829FR", code, reason)


def test_every_state_has_an_answer() -> None:
    assert set(cusrsp.RESPONSES) == {*State, "refused"}
    codes = [r.code for r in {*cusrsp.RESPONSES.values(), cusrsp.INFORMATION}]
    assert len(codes) == len(set(codes)) == 8


def test_the_envelope_counts_hold_and_the_times_are_utc() -> None:
    text = build("RR473124829FR", State.RELEASED, "", DutiesDue(Decimal("4.20"), "EUR"), AT)
    assert text.startswith("UNA:+.? 'UNB+UNOC:3+CLEARWAY+POST+261122:1000+261122100005'")
    interchange = edifact.read(text.encode("latin-1"))  # our reader checks UNT's and UNZ's counts
    (message,) = interchange.messages
    assert message.errors == [] and message.kind == "CUSRSP"
    dtm = next(p for p in message.body if p.tag == "DTM")
    assert (dtm.value(1, 1), dtm.value(1, 2), dtm.value(1, 3)) == ("137", "20261122100005", "204")


def test_duties_due_are_a_tax_group_with_the_amount_and_currency() -> None:
    message = _read(build("LX202501115FR", State.HELD, "pay first", DutiesDue(Decimal("7.05"), "EUR"), AT))
    tags = [s.tag for s in message.segments]
    assert tags == ["BGM", "DTM", "FTX", "GIS", "TAX", "MOA"]
    moa = message.get_segment("MOA")
    assert moa is not None and moa.elements[0] == ["161", "7.05", "EUR"]
    assert "TAX" not in [s.tag for s in _read(build("LX202501115FR", State.RELEASED, "", None, AT)).segments]


def test_release_characters_in_the_reason_survive_the_round_trip() -> None:
    reason = "Why? Value 2+2 isn't 5: see O'Brien's note"
    text = build("RR473124829FR", State.HELD, reason, None, AT, hold=HoldReason.REQUEST_FOR_INFORMATION)
    assert "Why?? Value 2?+2 isn?'t 5?: see O?'Brien?'s note" in text
    assert _answer(_read(text))[2] == reason


def test_a_refused_record_carries_its_errors() -> None:
    errors = [
        MessageError("segment 20 MOA, element 1.2", "'25,50' uses a comma", "/items/1/unit_price"),
        MessageError(
            "segment 2 BGM, element 2",
            "'RR473124828FR' has a wrong S10 check digit (expected 9)",
            "/logistics/transport_document",
        ),
    ]
    message = _read(build("RR473124828FR", "refused", "the declaration was refused", None, AT, errors=errors))
    lines = [s.elements[3] for s in message.get_segments("FTX", lambda s: s.elements[0] == "AAO")]
    assert [MessageError(*line) for line in lines] == errors
    assert _answer(message)[1] == "90"


def test_many_errors_fit_the_nine_free_texts_cusres_allows() -> None:
    errors = [MessageError(f"segment {n} MOA", "bad", "") for n in range(20)]
    message = _read(build("RR473124828FR", "refused", "refused", None, AT, errors=errors))
    free = list(message.get_segments("FTX"))
    assert len(free) == 9
    assert free[-1].elements[3] == ["", "and 13 more errors"]


def test_text_outside_latin_1_is_replaced_not_dropped() -> None:
    text = build("RR473124829FR", State.HELD, "货物 held\nfor control", None, AT)
    assert _answer(_read(text))[2] == "?? held for control"
    text.encode("latin-1")  # UNOC: it encodes


def test_the_same_answer_built_twice_is_the_same_text() -> None:
    first, second = (build("RR473124829FR", State.RELEASED, "ok", None, AT) for _ in range(2))
    assert first == second
