"""NDJSON intake: one JSON record per line, each decoded on its own with precise errors.

The HTTP batch endpoint parses a whole request body with :func:`parse_ndjson`; the CLI streams a
file with :func:`iter_ndjson_lines`. Both yield one :class:`~clearway.intake.parsed.Parsed` per
non-blank line and agree on every rule:

* blank (whitespace-only) lines are skipped; CRLF line endings and a leading UTF-8 BOM are fine;
* a line longer than ``max_line_bytes`` is an error for that line and is never decoded;
* a line that is not valid UTF-8 is an error for that line ("byte offset" counts from the start
  of the line, BOM included on line 1); the other lines still parse;
* a last line without a newline that is incomplete JSON is reported as truncated input (the body
  was cut off); a complete last line without a newline is fine;
* more than ``max_lines`` non-blank lines raises :class:`TooManyLines` (the API answers 413).

The fast path per line is one msgspec decode of the line's bytes: no per-byte Python work, and
UTF-8 is only checked by Python when decoding a line has already failed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import BinaryIO, Generic

import msgspec

from clearway.dataset.decode import RecordDecoder
from clearway.dataset.errors import FieldError
from clearway.intake.parsed import Parsed, T

__all__ = [
    "DEFAULT_MAX_LINES",
    "DEFAULT_MAX_LINE_BYTES",
    "NdjsonResult",
    "TooManyLines",
    "iter_ndjson_lines",
    "parse_ndjson",
]

DEFAULT_MAX_LINES = 100_000
DEFAULT_MAX_LINE_BYTES = 1_048_576
BOM = b"\xef\xbb\xbf"
# msgspec's message for input that ends inside a JSON value (RecordDecoder prefixes it).
_TRUNCATED = "Input data was truncated"


class TooManyLines(Exception):
    """The input holds more non-blank lines than the limit: the whole request is refused."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the input has more than {limit:,} records; split it into smaller batches")
        self.limit = limit


class NdjsonResult(msgspec.Struct, Generic[T], frozen=True):
    """Every non-blank line of an NDJSON input, in input order."""

    parsed: list[Parsed[T]]

    @property
    def records(self) -> list[T]:
        return [p.record for p in self.parsed if p.record is not None]

    @property
    def failed(self) -> list[Parsed[T]]:
        return [p for p in self.parsed if p.record is None]


def _too_long(size: int, limit: int) -> FieldError:
    return FieldError("", f"line is {size:,} bytes long, more than the limit of {limit:,} bytes")


def _explain(line: bytes, errors: list[FieldError] | None, *, unterminated: bool, offset: int) -> list[FieldError]:
    """The slow path: say precisely why a line did not decode."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        if unterminated and exc.reason == "unexpected end of data" and exc.end == len(line):
            # The body was cut inside a multi-byte character: that is truncation, not bad text.
            return [_truncated(line)]
        return [FieldError("", f"line is not valid UTF-8 (byte offset {offset + exc.start})")]
    if errors is None:  # msgspec refused the text although Python accepts it: report msgspec's view
        return [FieldError("", "line is not valid UTF-8")]
    if len(errors) == 1 and not errors[0].pointer and errors[0].detail.endswith(_TRUNCATED):
        if _complete(line):
            # msgspec also says "truncated" for an unpaired surrogate escape such as "\ud800".
            return [FieldError("", "malformed JSON: invalid \\u escape (an unpaired UTF-16 surrogate)")]
        if unterminated:
            return [_truncated(line)]
        return [
            FieldError(
                "",
                "incomplete JSON: the line ends in the middle of a record "
                "(NDJSON needs each record complete on one line)",
            )
        ]
    return errors


def _complete(line: bytes) -> bool:
    """Whether Python's own JSON parser reads the whole line (run only on failed lines)."""
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


def _truncated(line: bytes) -> FieldError:
    return FieldError(
        "",
        f"truncated JSON: the input ends in the middle of this record after {len(line):,} bytes "
        "(was the upload cut off?)",
    )


def _parse_line(decoder: RecordDecoder[T], line: bytes, number: int, *, unterminated: bool, offset: int) -> Parsed[T]:
    try:
        record, errors = decoder.decode(line)
    except UnicodeDecodeError:  # msgspec found invalid UTF-8 inside a string
        return Parsed(number, None, _explain(line, None, unterminated=unterminated, offset=offset))
    except RecursionError:  # thousands of nested brackets: no record nests that deep
        return Parsed(number, None, [FieldError("", "malformed JSON: nested too deeply")])
    if record is not None:
        return Parsed(number, record, errors)
    return Parsed(number, None, _explain(line, errors, unterminated=unterminated, offset=offset))


def _count_records(lines: list[bytes], max_line_bytes: int) -> int:
    return sum(1 for line in lines if len(line) > max_line_bytes or (line and not line.isspace()))


def parse_ndjson(
    data: bytes,
    decoder: RecordDecoder[T],
    *,
    max_lines: int = DEFAULT_MAX_LINES,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> NdjsonResult[T]:
    """Parse a whole NDJSON body. Raises :class:`TooManyLines` before decoding anything."""
    bom = data.startswith(BOM)
    lines = (data[len(BOM) :] if bom else data).split(b"\n")
    if len(lines) > max_lines and _count_records(lines, max_line_bytes) > max_lines:
        raise TooManyLines(max_lines)
    last = len(lines)
    parsed: list[Parsed[T]] = []
    append = parsed.append
    for number, line in enumerate(lines, 1):
        if len(line) > max_line_bytes:
            append(Parsed(number, None, [_too_long(len(line), max_line_bytes)]))
            continue
        if not line or line.isspace():
            continue
        offset = len(BOM) if bom and number == 1 else 0
        append(_parse_line(decoder, line, number, unterminated=number == last, offset=offset))
    return NdjsonResult(parsed)


def iter_ndjson_lines(
    stream: BinaryIO,
    decoder: RecordDecoder[T],
    *,
    max_lines: int = DEFAULT_MAX_LINES,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    chunk_size: int = 1 << 20,
) -> Iterator[Parsed[T]]:
    """Parse NDJSON from a binary stream, reading ``chunk_size`` bytes at a time.

    Memory stays bounded by about ``max_line_bytes + chunk_size`` whatever the file size: an
    overlong line is skipped up to its newline, never buffered. :class:`TooManyLines` is raised
    when the line after the ``max_lines``-th record is reached (the earlier records have been
    yielded by then).
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    head = b""
    while len(head) < len(BOM):
        more = stream.read(chunk_size)
        if not more:
            break
        head += more
    bom = head.startswith(BOM)
    chunk = head[len(BOM) :] if bom else head
    if not chunk and head:  # nothing but the BOM so far
        chunk = stream.read(chunk_size)
    number = 0  # physical lines completed so far
    records = 0
    carry = b""  # the start of the current line
    skipped = -1  # bytes of the current overlong line seen so far, or -1 when not skipping

    def emit(line: bytes, *, unterminated: bool) -> Iterator[Parsed[T]]:
        nonlocal records
        if len(line) <= max_line_bytes and (not line or line.isspace()):
            return
        records += 1
        if records > max_lines:
            raise TooManyLines(max_lines)
        if len(line) > max_line_bytes:
            yield Parsed(number, None, [_too_long(len(line), max_line_bytes)])
            return
        offset = len(BOM) if bom and number == 1 else 0
        yield _parse_line(decoder, line, number, unterminated=unterminated, offset=offset)

    while chunk:
        parts = chunk.split(b"\n")
        for index in range(len(parts) - 1):
            number += 1
            if index == 0 and skipped >= 0:
                size = skipped + len(parts[0])
                skipped = -1
                records += 1
                if records > max_lines:
                    raise TooManyLines(max_lines)
                yield Parsed(number, None, [_too_long(size, max_line_bytes)])
                continue
            line = carry + parts[0] if index == 0 else parts[index]
            yield from emit(line, unterminated=False)
        tail = parts[-1]
        if skipped >= 0 and len(parts) == 1:
            skipped += len(tail)
        else:
            carry = carry + tail if len(parts) == 1 else tail
            if len(carry) > max_line_bytes:
                skipped, carry = len(carry), b""
        chunk = stream.read(chunk_size)
    number += 1
    if skipped >= 0:
        records += 1
        if records > max_lines:
            raise TooManyLines(max_lines)
        yield Parsed(number, None, [_too_long(skipped, max_line_bytes)])
    else:
        yield from emit(carry, unterminated=True)
