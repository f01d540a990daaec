from __future__ import annotations

import json
from typing import Any

import pytest

from clearway.dataset.decode import RecordDecoder
from clearway.dataset.records import Consignment
from clearway.intake.json_array import NotAJsonArray, parse_json_array
from clearway.intake.ndjson import TooManyLines, parse_ndjson


def test_each_item_is_decoded_like_the_same_ndjson_line(consignment_data: dict[str, Any]) -> None:
    decoder = RecordDecoder(Consignment)
    good = json.dumps(consignment_data).encode()
    bad_utf8 = good.replace(b"Anna", b"Ann\xe9")
    wrong = json.dumps(dict(consignment_data, destination_country=7)).encode()
    items = [good, bad_utf8, wrong, b"[]"]
    array = parse_json_array(b"[" + b",\n".join(items) + b"]", decoder)
    lines = parse_ndjson(b"\n".join(items), decoder).parsed
    assert [p.line for p in array] == [p.line for p in lines] == [1, 2, 3, 4]
    assert array[0].record == lines[0].record and array[0].errors == []
    # The same errors, located in the array: the item's index, then the pointer inside it.
    assert (
        [e.pointer for e in array[2].errors]
        == ["/2" + e.pointer for e in lines[2].errors]
        == ["/2/destination_country"]
    )
    assert [(e.pointer, e.detail) for e in array[3].errors] == [("/3", "expected an object, got an array")]
    assert array[1].record is None and array[1].errors[0].pointer == "/1" and "UTF-8" in array[1].errors[0].detail


def test_limits_and_bodies_that_are_no_array() -> None:
    decoder = RecordDecoder(Consignment)
    with pytest.raises(TooManyLines):
        parse_json_array(b"[{}, {}, {}]", decoder, max_records=2)
    [item] = parse_json_array(b'[{"reference": "' + b"x" * 100 + b'"}]', decoder, max_record_bytes=50)
    assert item.errors[0].pointer == "/0" and "more than the limit of 50 bytes" in item.errors[0].detail
    for body in (b"{}", b"", b"[1", b"null"):
        with pytest.raises(NotAJsonArray):
            parse_json_array(body, decoder)


def test_an_array_of_tiny_items_is_counted_before_they_are_built() -> None:
    import resource

    from clearway.intake.json_array import _more_items_than

    # 20 million tiny items (40 MB): refused by the count, without building 20 million item objects.
    data = b"[" + b"0," * 20_000_000 + b"0]"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert _more_items_than(data, 100_000)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 400, f"counting took {grown_mb:.0f} MB more"
    # Commas inside strings and nested values are not separators.
    assert not _more_items_than(b'[{"a": "x,y,z", "b": [1, 2, 3]}, {"c": {"d": 1, "e": 2}}]', 2)
    assert _more_items_than(b'[{"a": "x,y"}, {"b": 1}, {"c": "\\\\", "d": [1,2]}]', 2)
    assert not _more_items_than(b'["a\\",b", "c"]', 2)
