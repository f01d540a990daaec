"""What a stream record is, read without the store or a broker: its operator from the key, its kind
or standard from a header, the record decoded; refused with where and why when it is none of these."""

from __future__ import annotations

import json
from typing import Any

import pytest

from clearway.app.stream.records import (
    MAX_VALUE,
    Canonical,
    Incoming,
    Message,
    Refusal,
    StreamResult,
    dead_letter,
    read,
    result_record,
    source_of,
)
from clearway.dataset.errors import FieldError
from tests.conftest import fixture_json


def incoming(key: bytes | None, value: bytes, **headers: str) -> Incoming:
    named = {name.replace("_", "-"): v.encode() for name, v in headers.items()}
    return Incoming(topic="in", partition=2, offset=41, key=key, value=value, headers=named, timestamp_ms=1)


def declaration(**changes: Any) -> bytes:
    return json.dumps({**fixture_json("consignment.json"), **changes}).encode()


def test_a_canonical_record_is_decoded_for_its_operator() -> None:
    what = read(incoming(b"op-courier-1", declaration(), clearway_kind="consignment"))
    assert isinstance(what, Canonical)
    assert (what.kind, what.operator, what.record.reference) == ("consignment", "op-courier-1", "MSG-0001")


def test_a_standard_message_is_passed_on_as_bytes() -> None:
    what = read(incoming(b"op-post-fr", b"<xml/>", clearway_standard="upu-itmatt", content_type="Text/XML; x=1"))
    assert what == Message("upu-itmatt", "op-post-fr", b"<xml/>", "text/xml")


@pytest.mark.parametrize(
    ("key", "value", "headers", "stage", "says"),
    [
        (None, declaration(), {"clearway_kind": "consignment"}, "key", "operator's id"),
        (b"\xff\xfe", declaration(), {"clearway_kind": "consignment"}, "key", "not UTF-8"),
        (b"x" * 65, declaration(), {"clearway_kind": "consignment"}, "key", "operator's id"),
        (b"op-courier-1", declaration(), {}, "header", "clearway-kind"),
        (b"op-courier-1", declaration(), {"clearway_kind": "parcel"}, "header", "'parcel'"),
        (b"op-post-fr", b"<x/>", {"clearway_standard": "zz-none"}, "header", "no adapter"),
        (b"op-courier-1", b"{not json", {"clearway_kind": "consignment"}, "decode", ""),
        (b"op-courier-1", b" " * (MAX_VALUE + 1), {"clearway_kind": "consignment"}, "decode", "larger"),
    ],
)
def test_what_cannot_be_read_is_refused_with_its_stage(
    key: bytes | None, value: bytes, headers: dict[str, str], stage: str, says: str
) -> None:
    what = read(incoming(key, value, **headers))
    assert isinstance(what, Refusal) and what.stage == stage
    assert says in what.errors[0].detail


def test_a_record_in_another_operators_name_is_refused() -> None:
    data = fixture_json("consignment.json")
    data["parties"]["declarant"] = {"name": "Other", "country": "DE", "operator_id": "op-courier-2"}
    what = read(incoming(b"op-courier-1", json.dumps(data).encode(), clearway_kind="consignment"))
    assert isinstance(what, Refusal) and what.stage == "operator"
    assert what.errors[0].pointer == "/parties/declarant/operator_id"
    # Naming itself as declarant is what a declarant does.
    data["parties"]["declarant"]["operator_id"] = "op-courier-1"
    assert isinstance(
        read(incoming(b"op-courier-1", json.dumps(data).encode(), clearway_kind="consignment")), Canonical
    )


def test_results_and_dead_letters_carry_the_inputs_key_and_position() -> None:
    record = incoming(b"op-courier-1", b"{not json", clearway_kind="consignment")
    result = result_record(record, StreamResult(status="rejected", source=source_of(record)))
    assert result.key == b"op-courier-1"
    assert dict(result.headers) == {"clearway-source": b"in/2/41", "clearway-kind": b"consignment"}
    assert json.loads(result.value)["source"] == {"topic": "in", "partition": 2, "offset": 41, "timestamp_ms": 1}
    letter = dead_letter(record, "decode", [FieldError("", "bad")])
    assert (letter.key, letter.value) == (b"op-courier-1", b"{not json")
    assert dict(letter.headers)["clearway-error"] == b'[{"pointer":"","detail":"bad"}]'
    assert dict(letter.headers)["clearway-error-stage"] == b"decode"
