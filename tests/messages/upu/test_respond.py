"""The UPU's answers to a kept message: one CUSRSP per item the message names, from its state."""

from __future__ import annotations

import datetime as dt
import warnings
from decimal import Decimal
from pathlib import Path

from pydifact.segmentcollection import Interchange

from clearway.messages.model import MessageError, RecordState
from clearway.messages.upu.itmatt import ItmattAdapter
from clearway.messages.upu.respond import respond

UPU = Path(__file__).resolve().parents[2] / "fixtures" / "messages" / "upu"
AT = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)


def _segments(text: str) -> list[tuple[str, list[object]]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (message,) = Interchange.from_str(text).get_messages()
    return [(s.tag, list(s.elements)) for s in message.segments]


def test_each_item_gets_its_own_answer_with_duties_and_reasons() -> None:
    data = (UPU / "itmatt-2-items.xml").read_bytes()
    mapped = ItmattAdapter().parse(data)
    states = [
        RecordState("released", AT, number="c1", duties=(Decimal("12.40"), "EUR"), reasons=("pay before delivery",)),
        RecordState("rejected", AT, errors=(MessageError("/ITMATT/item[2]/x", "bad value", "/items/0/quantity"),)),
    ]
    first, second = respond(mapped, data, states, guid="G")
    assert (first.message_type, first.media_type, first.charset) == ("CUSRSP", "application/edifact", "iso-8859-1")
    segments = dict(_segments(first.text))
    assert segments["BGM"][1] == "RR473124829FR"
    assert segments["GIS"][0][0] == "20"  # released
    assert segments["MOA"][0] == ["161", "12.40", "EUR"]
    assert segments["FTX"][3] == "pay before delivery"
    refused = _segments(second.text)
    assert dict(refused)["GIS"][0][0] == "90"
    assert ["/ITMATT/item[2]/x", "bad value", "/items/0/quantity"] in [e[3] for t, e in refused if t == "FTX"]


def test_nothing_is_answered_for_an_item_without_an_id_or_a_state() -> None:
    data = (UPU / "itmatt-2-items.xml").read_bytes()
    mapped = ItmattAdapter().parse(data)
    assert respond(mapped, data, [None, None], guid="G") == []
