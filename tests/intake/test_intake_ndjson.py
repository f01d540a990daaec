"""NDJSON intake: every line rule, the 10,000-line batch, streaming and property tests."""

from __future__ import annotations

import gc
import io
import json
import time
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearway.dataset.decode import RecordDecoder
from clearway.dataset.errors import FieldError
from clearway.dataset.records import Consignment
from clearway.intake import Parsed, TooManyLines, iter_ndjson_lines, parse_ndjson

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RAW: dict[str, Any] = json.loads((FIXTURES / "consignment.json").read_text())
LINE = msgspec.json.encode(RAW)
DECODER = RecordDecoder(Consignment)


def line_with(reference: str, **changes: Any) -> bytes:
    raw = json.loads(LINE)
    raw["reference"] = reference
    raw.update(changes)
    return msgspec.json.encode(raw)


class CountingDecoder(RecordDecoder[Consignment]):
    def __init__(self) -> None:
        super().__init__(Consignment)
        self.calls = 0

    def decode(self, data: bytes | str) -> tuple[Consignment | None, list[FieldError]]:
        self.calls += 1
        return super().decode(data)


def only_error(parsed: Parsed[Any]) -> FieldError:
    assert parsed.record is None
    assert len(parsed.errors) == 1, parsed.errors
    return parsed.errors[0]


def test_valid_lines_parse_with_their_line_numbers() -> None:
    data = line_with("A-1") + b"\n" + line_with("A-2") + b"\n"
    result = parse_ndjson(data, DECODER)
    assert [p.line for p in result.parsed] == [1, 2]
    assert [r.reference for r in result.records] == ["A-1", "A-2"]
    assert result.failed == []
    assert result.records[0].items[1].hs_code == "620620"


def test_blank_lines_are_skipped_not_errors() -> None:
    data = b"\n   \n" + line_with("A-1") + b"\n\t\r\n\n" + line_with("A-2") + b"\n\n"
    result = parse_ndjson(data, DECODER)
    assert [(p.line, p.ok) for p in result.parsed] == [(3, True), (6, True)]


def test_invalid_utf8_in_a_string_is_an_error_for_that_line_only() -> None:
    bad = line_with("A-2").replace(b"Anna Schmidt", b"Anna Schm\xffdt")
    data = line_with("A-1") + b"\n" + bad + b"\n" + line_with("A-3")
    result = parse_ndjson(data, DECODER)
    assert [p.line for p in result.parsed] == [1, 2, 3]
    assert [r.reference for r in result.records] == ["A-1", "A-3"]
    offset = bad.index(b"\xff")
    assert offset > 100
    assert only_error(result.parsed[1]) == FieldError("", f"line is not valid UTF-8 (byte offset {offset})")


def test_invalid_utf8_outside_a_string_is_reported_as_utf8() -> None:
    result = parse_ndjson(b'{"reference": \xc3\x28}\n', DECODER)
    assert only_error(result.parsed[0]).detail == "line is not valid UTF-8 (byte offset 14)"


def test_truncated_last_line_is_reported_as_truncated() -> None:
    cut = LINE[:400]
    result = parse_ndjson(line_with("A-1") + b"\n" + cut, DECODER)
    assert result.parsed[0].ok
    error = only_error(result.parsed[1])
    assert result.parsed[1].line == 2
    assert error.pointer == ""
    assert error.detail.startswith("truncated JSON: the input ends in the middle of this record after 400 bytes")


def test_body_cut_inside_a_multibyte_character_is_truncation_not_bad_utf8() -> None:
    line = line_with("A-1").replace(b"Anna Schmidt", "Anna Schmidt ü".encode())
    cut = line[: line.index("ü".encode()) + 1]
    error = only_error(parse_ndjson(cut, DECODER).parsed[0])
    assert error.detail.startswith("truncated JSON")


def test_complete_last_line_without_newline_is_fine() -> None:
    result = parse_ndjson(line_with("A-1") + b"\n" + line_with("A-2"), DECODER)
    assert [r.reference for r in result.records] == ["A-1", "A-2"]


def test_incomplete_line_in_the_middle_says_one_record_per_line() -> None:
    pretty = json.dumps(RAW, indent=2).encode()
    result = parse_ndjson(pretty.split(b"\n", 1)[0] + b"\n" + line_with("A-2") + b"\n", DECODER)
    assert only_error(result.parsed[0]).detail.startswith("incomplete JSON: the line ends in the middle")
    assert result.parsed[1].ok


def test_unpaired_surrogate_escape_is_not_mistaken_for_truncation() -> None:
    error = only_error(parse_ndjson(b'{"reference": "\\ud800"}', DECODER).parsed[0])
    assert error.detail == "malformed JSON: invalid \\u escape (an unpaired UTF-16 surrogate)"


def test_deeply_nested_json_is_an_error_not_a_crash() -> None:
    result = parse_ndjson(b"[" * 100_000 + b"\n" + LINE, DECODER)
    assert only_error(result.parsed[0]).detail.startswith("malformed JSON")
    assert result.parsed[1].ok


def test_line_longer_than_the_limit_is_an_error_and_not_decoded() -> None:
    decoder = CountingDecoder()
    long_line = line_with("A-2", destination_country="X" * 5000)
    data = line_with("A-1") + b"\n" + long_line + b"\n" + line_with("A-3") + b"\n"
    result = parse_ndjson(data, decoder, max_line_bytes=4000)
    assert decoder.calls == 2
    assert only_error(result.parsed[1]) == FieldError(
        "", f"line is {len(long_line):,} bytes long, more than the limit of 4,000 bytes"
    )
    assert [r.reference for r in result.records] == ["A-1", "A-3"]


def test_too_many_lines_raises_before_decoding_anything() -> None:
    decoder = CountingDecoder()
    data = b"\n".join([LINE] * 4)
    with pytest.raises(TooManyLines) as caught:
        parse_ndjson(data, decoder, max_lines=3)
    assert caught.value.limit == 3
    assert decoder.calls == 0


def test_blank_lines_do_not_count_towards_the_line_limit() -> None:
    data = b"\n\n".join([LINE] * 3) + b"\n\n\n"
    assert len(parse_ndjson(data, DECODER, max_lines=3).records) == 3


def test_bom_and_crlf_are_tolerated() -> None:
    data = b"\xef\xbb\xbf" + line_with("A-1") + b"\r\n" + line_with("A-2") + b"\r\n\r\n"
    result = parse_ndjson(data, DECODER)
    assert [r.reference for r in result.records] == ["A-1", "A-2"]
    assert [p.line for p in result.parsed] == [1, 2]


def test_utf8_offset_on_the_first_line_counts_the_bom() -> None:
    error = only_error(parse_ndjson(b"\xef\xbb\xbf\xff{}\n", DECODER).parsed[0])
    assert error.detail == "line is not valid UTF-8 (byte offset 3)"


def test_identical_lines_both_parse() -> None:
    result = parse_ndjson(LINE + b"\n" + LINE + b"\n", DECODER)
    assert len(result.records) == 2
    assert result.records[0] == result.records[1]


def test_field_errors_carry_json_pointers() -> None:
    raw = json.loads(LINE)
    raw["items"][1]["hs_code"] = "62x"
    del raw["logistics"]["packages"]
    parsed = parse_ndjson(msgspec.json.encode(raw), DECODER).parsed[0]
    assert parsed.record is None
    assert {e.pointer for e in parsed.errors} == {"/items/1/hs_code", "/logistics/packages"}
    assert parsed.located_errors() == [(1, e) for e in parsed.errors]


def test_batch_of_10000_lines_with_10_bad_ones() -> None:
    bad_at = {17, 999, 1000, 2500, 4096, 5000, 7777, 8191, 9998, 10000}
    raw = json.loads(LINE)
    lines = []
    for number in range(1, 10_001):
        raw["reference"] = f"B-{number}"
        if number in bad_at:
            saved = raw["items"][1]["quantity"]
            raw["items"][1]["quantity"] = "two"
            lines.append(msgspec.json.encode(raw))
            raw["items"][1]["quantity"] = saved
        else:
            lines.append(msgspec.json.encode(raw))
    result = parse_ndjson(b"\n".join(lines) + b"\n", DECODER)
    assert len(result.parsed) == 10_000
    assert len(result.records) == 9_990
    failed = result.failed
    assert [p.line for p in failed] == sorted(bad_at)
    for parsed in failed:
        assert [e.pointer for e in parsed.errors] == ["/items/1/quantity"]
    assert result.records[16].reference == "B-18"


def test_parser_costs_little_more_than_decoding() -> None:
    lines = [line_with(f"S-{n}") for n in range(4000)]
    data = b"\n".join(lines)

    def bare() -> None:  # keeps the records, as the parser does
        kept = [DECODER.decode(line) for line in lines]
        assert len(kept) == len(lines)

    def parsed() -> None:
        parse_ndjson(data, DECODER)

    def cpu(fn: Any) -> float:
        start = time.process_time()  # CPU time: a neighbour's load on the machine is not the parser's
        fn()
        return time.process_time() - start

    # The collector's pauses depend on what earlier tests left alive, not on the parser; the two are
    # timed in turn, so that a slow moment of the machine falls on both, and the best of each kept.
    times: dict[str, list[float]] = {"bare": [], "parsed": []}
    gc.collect()
    gc.disable()
    try:
        for _ in range(7):
            times["bare"].append(cpu(bare))
            times["parsed"].append(cpu(parsed))
    finally:
        gc.enable()
    assert min(times["parsed"]) < 1.5 * min(times["bare"]) + 0.02


# --- streaming -------------------------------------------------------------------------------


def stream(data: bytes, chunk_size: int, **limits: int) -> list[Parsed[Consignment]]:
    return list(iter_ndjson_lines(io.BytesIO(data), DECODER, chunk_size=chunk_size, **limits))


@pytest.mark.parametrize("chunk_size", [1, 2, 5, 64, 1 << 20])
def test_streaming_matches_whole_body_parsing(chunk_size: int) -> None:
    data = (
        b"\xef\xbb\xbf"
        + line_with("A-1")
        + b"\r\n\n  \n"
        + line_with("A-2").replace(b"Anna", b"An\xffna")
        + b"\n"
        + LINE[:300]
        + b"\n"
        + line_with("A-4", destination_country="Y" * 3000)
        + b"\n"
        + line_with("A-5")
        + b"\n"
        + LINE[:123]
    )
    expected = parse_ndjson(data, DECODER, max_line_bytes=2500).parsed
    assert stream(data, chunk_size, max_line_bytes=2500) == expected
    assert [p.line for p in expected] == [1, 4, 5, 6, 7, 8]
    assert only_error(expected[-1]).detail.startswith("truncated JSON")


def test_streaming_skips_an_overlong_line_without_buffering_it() -> None:
    long_line = b'{"reference": "' + b"z" * 200_000 + b'"}'
    data = long_line + b"\n" + line_with("A-2") + b"\n" + long_line
    out = stream(data, 4096, max_line_bytes=10_000)
    assert [p.line for p in out] == [1, 2, 3]
    assert only_error(out[0]).detail == f"line is {len(long_line):,} bytes long, more than the limit of 10,000 bytes"
    assert out[1].ok
    assert only_error(out[2]).detail.startswith(f"line is {len(long_line):,} bytes long")


def test_streaming_raises_too_many_lines_after_the_limit() -> None:
    data = b"\n".join([LINE] * 3)
    seen: list[Parsed[Consignment]] = []
    with pytest.raises(TooManyLines) as caught:
        seen.extend(iter_ndjson_lines(io.BytesIO(data), DECODER, max_lines=2, chunk_size=100))
    assert caught.value.limit == 2
    assert len(seen) == 2


def test_streaming_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "consignments.ndjson"
    path.write_bytes(b"".join(line_with(f"F-{n}") + b"\n" for n in range(50)))
    with path.open("rb") as handle:
        out = list(iter_ndjson_lines(handle, DECODER, chunk_size=997))
    assert [p.record.reference for p in out if p.record] == [f"F-{n}" for n in range(50)]


# --- properties ------------------------------------------------------------------------------

FRAGMENTS = [
    *[LINE, LINE[:250], b"\n", b"\r\n", b"  ", b"\xff", b"\xe2\x82", b"\xef\xbb\xbf", b"{}", b"[", b"0"],
    *[b"[" * 5000, b'"\\ud800"', b'{"reference": "', b'"}', b"\xed\xa0\x80", b"1" * 30],
]
inputs = st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from(FRAGMENTS) | st.binary(max_size=8), max_size=25).map(b"".join),
)


def non_blank_lines(data: bytes, max_line_bytes: int) -> list[int]:
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    return [
        n for n, line in enumerate(body.split(b"\n"), 1) if len(line) > max_line_bytes or (line and not line.isspace())
    ]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=inputs, max_lines=st.integers(1, 30), max_line_bytes=st.integers(1, 2000))
def test_arbitrary_bytes_never_raise_and_give_one_parsed_per_line(
    data: bytes, max_lines: int, max_line_bytes: int
) -> None:
    expected = non_blank_lines(data, max_line_bytes)
    if len(expected) > max_lines:
        with pytest.raises(TooManyLines) as caught:
            parse_ndjson(data, DECODER, max_lines=max_lines, max_line_bytes=max_line_bytes)
        assert caught.value.limit == max_lines
        return
    result = parse_ndjson(data, DECODER, max_lines=max_lines, max_line_bytes=max_line_bytes)
    assert [p.line for p in result.parsed] == expected
    for parsed in result.parsed:
        assert (parsed.record is None) == bool(parsed.errors)


@settings(max_examples=200, deadline=None)
@given(data=inputs, chunk_size=st.integers(1, 40), max_line_bytes=st.integers(1, 2000))
def test_streaming_agrees_with_whole_body_on_arbitrary_bytes(data: bytes, chunk_size: int, max_line_bytes: int) -> None:
    expected = parse_ndjson(data, DECODER, max_line_bytes=max_line_bytes).parsed
    assert stream(data, chunk_size, max_line_bytes=max_line_bytes) == expected
